"""messages._fast_new: the parser's positional constructors build the same messages.

The parse fast paths and the Metadata handlers build frozen messages without the
dataclass ``__init__``; the result must not differ in any way a caller can see.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
from typing import Any

import pytest

from lightstreamer_adapter.protocol import messages
from lightstreamer_adapter.protocol.messages import Method, _fast_new

_CLASSES = [
    cls
    for name in messages.__all__
    if dataclasses.is_dataclass(cls := getattr(messages, name)) and isinstance(cls, type)
]


def _sample_values(cls: type[Any]) -> list[Any]:
    # Any values will do: neither constructor checks types.
    return [f"v{index}" for index, _ in enumerate(dataclasses.fields(cls))]


@pytest.mark.parametrize("cls", _CLASSES, ids=[cls.__name__ for cls in _CLASSES])
def test_fast_new_builds_the_same_message(cls: type[Any]) -> None:
    values = _sample_values(cls)
    fast = _fast_new(cls)(*values)
    slow = cls(*values)
    assert type(fast) is cls
    assert fast == slow
    assert hash(fast) == hash(slow)
    assert repr(fast) == repr(slow)
    assert vars(fast) == vars(slow)
    assert dataclasses.astuple(fast) == dataclasses.astuple(slow)
    assert pickle.loads(pickle.dumps(fast)) == slow
    assert copy.copy(fast) == slow
    if dataclasses.fields(cls):
        with pytest.raises(dataclasses.FrozenInstanceError):
            fast.__setattr__(dataclasses.fields(cls)[0].name, "other")


def test_fast_new_with_a_field_named_like_its_locals() -> None:
    # NotifyUserMessageRequest has a "message" field: the generated code must not clash.
    new = _fast_new(messages.NotifyUserMessageRequest)
    request = new("I1", "user", "S1", "hello")
    assert request == messages.NotifyUserMessageRequest("I1", "user", "S1", "hello")
    assert request.METHOD is Method.NUM


def test_fast_new_refuses_private_fields() -> None:
    @dataclasses.dataclass(frozen=True)
    class Private:
        _self: int

    with pytest.raises(ValueError, match="private field"):
        _fast_new(Private)
