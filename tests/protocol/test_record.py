"""protocol._record: the protocol's records behave as the frozen dataclasses they replace.

Two kinds of check: every record class of ``messages``, ``negotiation`` and ``versions``
against a twin of its module built with the real ``dataclasses`` (signatures, fields,
defaults, repr, equality, hash, order, frozenness, pickling, error messages); and the
features of ``_record`` the protocol does not use today, run on both implementations.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import itertools
import pickle
import sys
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from lightstreamer_adapter.protocol import _record, messages, negotiation, versions

# ----------------------------------------------------------------- twins of the modules


def _twin(module: types.ModuleType) -> types.ModuleType:
    """``module`` run again with the real ``dataclasses`` in place of ``_record``."""
    assert module.__file__ is not None
    source = Path(module.__file__).read_text(encoding="utf-8")
    patched = source.replace("from ._record import", "from dataclasses import")
    assert patched != source
    twin = types.ModuleType(f"{module.__name__}_twin")
    twin.__package__ = module.__package__
    # dataclasses looks up the class's module to resolve string ClassVar annotations.
    sys.modules[twin.__name__] = twin
    try:
        exec(compile(patched, module.__file__, "exec"), twin.__dict__)
    finally:
        del sys.modules[twin.__name__]
    return twin


def _record_pairs() -> Iterator[tuple[type[Any], type[Any]]]:
    for module in (messages, negotiation, versions):
        twin = _twin(module)
        for name, cls in vars(module).items():
            if isinstance(cls, type) and "__record_fields__" in vars(cls):
                if cls.__module__ != module.__name__:
                    continue  # imported from another module
                yield cls, getattr(twin, name)


_PAIRS = list(_record_pairs())


def test_every_record_class_has_a_twin() -> None:
    assert len(_PAIRS) >= 45
    assert all(dataclasses.is_dataclass(theirs) for _, theirs in _PAIRS)


def _sample(cls: type[Any], tag: str) -> list[Any]:
    # Hashable values of any type will do: neither implementation checks types.
    return [(tag, index) for index, _ in enumerate(dataclasses.fields(cls))]


def _error(call: Any) -> tuple[type[BaseException], str]:
    with pytest.raises(Exception) as info:  # the type and text are compared with the twin's
        call()
    return type(info.value), str(info.value)


def _frozen_errors(obj: object, name: str) -> list[tuple[type[BaseException], str]]:
    return [_error(lambda: setattr(obj, name, 1)), _error(lambda: delattr(obj, name))]


@pytest.mark.parametrize(("ours", "theirs"), _PAIRS, ids=[c.__name__ for c, _ in _PAIRS])
def test_a_record_class_is_its_dataclass_twin(ours: type[Any], theirs: type[Any]) -> None:
    assert str(inspect.signature(ours)) == str(inspect.signature(theirs))
    assert ours.__init__.__annotations__ == theirs.__init__.__annotations__
    assert ours.__init__.__qualname__ == theirs.__init__.__qualname__
    assert ours.__doc__ == theirs.__doc__
    assert ours.__match_args__ == theirs.__match_args__
    assert repr(ours.__dataclass_params__) == repr(theirs.__dataclass_params__)

    def describe(cls: type[Any]) -> list[tuple[Any, ...]]:
        return [
            (f.name, f.type, f.default, f.default_factory, f.kw_only, f.init)
            for f in dataclasses.fields(cls)
        ]

    assert describe(ours) == describe(theirs)
    assert [f.name for f in _record.fields(ours)] == [f.name for f in dataclasses.fields(ours)]
    for name in vars(theirs).keys() | vars(ours).keys():
        if not name.startswith("__"):  # class attributes: defaults, ClassVars, methods
            assert (name in vars(ours)) == (name in vars(theirs)), name
            value = vars(ours)[name]
            if not isinstance(value, (types.FunctionType, classmethod, property)):
                assert repr(vars(ours)[name]) == repr(vars(theirs)[name]), name
    # Special methods present on the class itself (not inherited) are the same set.
    dunders = {"__init__", "__repr__", "__eq__", "__hash__", "__lt__", "__le__", "__gt__"}
    assert {d for d in dunders if d in vars(ours)} == {d for d in dunders if d in vars(theirs)}

    values, other = _sample(ours, "a"), _sample(ours, "b")
    mine, twin = ours(*values), theirs(*values)
    assert repr(mine) == repr(twin)
    assert hash(mine) == hash(twin)
    assert mine == ours(*values)
    assert mine == ours(**dict(zip(ours.__match_args__, values, strict=True)))
    assert (mine == ours(*other)) == (twin == theirs(*other))
    assert (mine != ours(*values)) is False
    assert mine != twin  # another class: NotImplemented both ways, then identity
    assert dataclasses.astuple(mine) == dataclasses.astuple(twin)
    assert dataclasses.asdict(mine) == dataclasses.asdict(twin)
    assert repr(dataclasses.replace(mine)) == repr(dataclasses.replace(twin))
    for clone in (pickle.loads(pickle.dumps(mine)), copy.copy(mine), copy.deepcopy(mine)):
        assert type(clone) is ours
        assert clone == mine
    for name in [*ours.__match_args__[:1], "not_a_field"]:
        assert _frozen_errors(mine, name) == _frozen_errors(twin, name)
    assert _error(lambda: ours(*values, "extra")) == _error(lambda: theirs(*values, "extra"))
    # Defaults and default factories: a factory gives each instance its own value.
    no_default = dataclasses.MISSING
    required = values[
        : sum(f.default is no_default is f.default_factory for f in dataclasses.fields(ours))
    ]
    if required:
        assert _error(lambda: ours()) == _error(lambda: theirs())
    first, second = ours(*required), ours(*required)
    assert repr(first) == repr(theirs(*required))
    for item in dataclasses.fields(ours):
        if item.default_factory is not no_default:
            assert getattr(first, item.name) is not getattr(second, item.name)


def test_versions_order_as_their_twins() -> None:
    twin = _twin(versions)
    ours = [versions.V1_9_1, versions.V1_8_0, versions.V1_9_0, versions.V1_8_3]
    theirs = [twin.ProtocolVersion(v.parts) for v in ours]
    assert [v.parts for v in sorted(ours)] == [v.parts for v in sorted(theirs)]
    for a, b in itertools.pairwise(ours):
        pair = twin.ProtocolVersion(a.parts), twin.ProtocolVersion(b.parts)
        assert (a < b, a <= b, a > b, a >= b) == (
            pair[0] < pair[1],
            pair[0] <= pair[1],
            pair[0] > pair[1],
            pair[0] >= pair[1],
        )
    assert _error(lambda: ours[0] < (1, 9, 1)) == _error(lambda: theirs[0] < (1, 9, 1))


def test_match_statements_use_the_fields() -> None:
    request = messages.SubscribeRequest("7", "item")
    match request:
        case messages.SubscribeRequest(request_id, item):
            assert (request_id, item) == ("7", "item")
        case _:
            pytest.fail("no match")


def test_a_real_dataclass_may_inherit_from_a_record() -> None:
    @dataclasses.dataclass(frozen=True)
    class Tagged(messages.SubscribeRequest):
        tag: int = 0

    tagged = Tagged("1", "item", 5)
    assert repr(tagged).endswith(".<locals>.Tagged(request_id='1', item='item', tag=5)")
    assert tagged.METHOD is messages.Method.SUB
    with pytest.raises(dataclasses.FrozenInstanceError):
        tagged.tag = 1  # type: ignore[misc]
    with pytest.raises(TypeError, match="non-frozen dataclass from a frozen one"):

        @dataclasses.dataclass
        class Mutable(messages.SubscribeRequest):
            tag: int = 0


# ------------------------------------------------ features, on both implementations


@pytest.fixture(params=["record", "dataclasses"])
def impl(request: pytest.FixtureRequest) -> Any:
    """The module under test: the ``dataclass``, ``field`` and ``fields`` it provides."""
    return _record if request.param == "record" else dataclasses


def test_classvars_are_not_fields(impl: Any) -> None:
    @impl.dataclass(frozen=True)
    class Point:
        KIND: ClassVar[str] = "point"
        ORIGIN: typing.ClassVar[int] = 0
        x: int
        y: int = 0

    assert [f.name for f in impl.fields(Point)] == ["x", "y"]
    assert Point(1).KIND == "point"
    assert Point.y == 0  # the default stays a class attribute


def test_inherited_fields_come_first_and_an_override_keeps_its_place(impl: Any) -> None:
    @impl.dataclass(frozen=True)
    class Base:
        a: int
        b: int = 2

    @impl.dataclass(frozen=True)
    class Child(Base):
        c: int = 3
        b: int = 20

    assert [f.name for f in impl.fields(Child)] == ["a", "b", "c"]
    assert repr(Child(1)) == (
        "test_inherited_fields_come_first_and_an_override_keeps_its_place.<locals>."
        "Child(a=1, b=20, c=3)"
    )
    assert Child(1) != Base(1, 20)


def test_a_plain_subclass_keeps_the_fields_and_may_add_attributes(impl: Any) -> None:
    @impl.dataclass(frozen=True)
    class Base:
        a: int

    class Plain(Base):
        pass

    plain = Plain(1)
    plain.note = "x"  # type: ignore[attr-defined]
    assert plain.note == "x"  # type: ignore[attr-defined]
    del plain.note  # type: ignore[attr-defined]
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'a'"):
        plain.a = 2  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot delete field 'a'"):
        del plain.a  # type: ignore[misc]
    assert plain != Base(1)
    assert plain == Plain(1)


def test_defaults_and_factories(impl: Any) -> None:
    @impl.dataclass(frozen=True)
    class Box:
        items: list[int] = impl.field(default_factory=list)
        size: int = impl.field(default=4)

    assert Box().items == [] and Box().items is not Box().items
    assert Box([1], 2) == Box(items=[1], size=2)
    assert not hasattr(Box, "items")
    assert Box.size == 4
    with pytest.raises(ValueError, match="mutable default <class 'list'> for field bad"):

        @impl.dataclass(frozen=True)
        class Bad:
            bad: list[int] = []

    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):

        @impl.dataclass(frozen=True)
        class Order:
            a: int = 1
            b: int  # type: ignore[misc]


def test_field_names_like_the_generated_code_locals(impl: Any) -> None:
    @impl.dataclass(frozen=True)
    class Odd:
        self: int
        attrs: int
        cls: int = 0

    odd = Odd(1, 2)
    assert (odd.self, odd.attrs, odd.cls) == (1, 2, 0)
    assert Odd(self=1, attrs=2) == odd


def test_post_init_runs(impl: Any) -> None:
    seen = []

    @impl.dataclass(frozen=True)
    class Checked:
        a: int

        def __post_init__(self) -> None:
            seen.append(self.a)

    Checked(5)
    assert seen == [5]


def test_methods_the_class_defines_are_kept(impl: Any) -> None:
    @impl.dataclass(frozen=True)
    class Own:
        a: int

        def __repr__(self) -> str:
            return "own"

        def __eq__(self, other: object) -> bool:
            return True

        def __hash__(self) -> int:
            return 7

    assert (repr(Own(1)), Own(1) == Own(2), hash(Own(1))) == ("own", True, 7)

    @impl.dataclass(frozen=True)
    class EqOnly:
        a: int

        def __eq__(self, other: object) -> bool:
            return True

    assert hash(EqOnly(1)) == hash((1,))  # __hash__ = None is not "its own"

    with pytest.raises(TypeError, match="Cannot overwrite attribute __setattr__"):

        @impl.dataclass(frozen=True)
        class Settable:
            a: int

            def __setattr__(self, name: str, value: object) -> None:
                pass

    with pytest.raises(TypeError, match="Cannot overwrite attribute __lt__"):

        @impl.dataclass(frozen=True, order=True)
        class Ordered:
            a: int

            def __lt__(self, other: object) -> bool:
                return True


def test_order_compares_the_fields_as_a_tuple(impl: Any) -> None:
    @impl.dataclass(frozen=True, order=True)
    class Pair:
        a: int
        b: str

    assert sorted([Pair(2, "a"), Pair(1, "b"), Pair(1, "a")]) == [
        Pair(1, "a"),
        Pair(1, "b"),
        Pair(2, "a"),
    ]
    assert Pair(1, "a") <= Pair(1, "a") and Pair(2, "a") >= Pair(1, "z")
    with pytest.raises(TypeError):
        _ = Pair(1, "a") < (1, "a")


def test_only_frozen_records() -> None:
    with pytest.raises(TypeError, match="only frozen"):
        _record.dataclass(frozen=False)


def test_fields_of_other_classes() -> None:
    @dataclasses.dataclass
    class Real:
        a: int

    assert [f.name for f in _record.fields(Real)] == ["a"]
    with pytest.raises(TypeError):
        _record.fields(object())
