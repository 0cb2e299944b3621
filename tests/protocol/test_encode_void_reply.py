"""``encode_void_reply``: the void reply line without building a ``VoidReply`` (§5.7, §5.8)."""

from __future__ import annotations

import pytest

from lightstreamer_adapter.protocol.encode import encode_remote_message, encode_void_reply
from lightstreamer_adapter.protocol.errors import LocalProtocolError
from lightstreamer_adapter.protocol.messages import Method, VoidReply
from lightstreamer_adapter.protocol.versions import ProtocolVersion

VERSIONS = [ProtocolVersion.parse(v) for v in ("1.8.0", "1.8.2", "1.9.0", "1.9.1")]
VOID = [m for m in Method if m.value in {"SUB", "USB", "NUM", "NSC", "NTC", "MDC", "MSA"}]


def test_subscribe_and_unsubscribe_replies() -> None:
    assert encode_void_reply("10000010c3e4d0462", Method.SUB) == "10000010c3e4d0462|SUB|V\r\n"
    assert encode_void_reply("2f", Method.USB) == "2f|USB|V\r\n"


@pytest.mark.parametrize("method", VOID, ids=lambda m: m.value)
@pytest.mark.parametrize("version", VERSIONS, ids=str)
@pytest.mark.parametrize("request_id", ["1", "abc123", "id-with.dots"])
def test_same_line_as_the_message_encoder(
    method: Method, version: ProtocolVersion, request_id: str
) -> None:
    expected = encode_remote_message(VoidReply(request_id, method), version)
    assert encode_void_reply(request_id, method) == expected


@pytest.mark.parametrize("request_id", ["", "a|b", "a\r\nb"])
def test_an_id_that_would_break_the_line_is_refused(request_id: str) -> None:
    with pytest.raises(LocalProtocolError, match="request id"):
        encode_void_reply(request_id, Method.SUB)


def test_a_method_without_a_void_reply_is_refused() -> None:
    with pytest.raises(LocalProtocolError):
        encode_void_reply("1", Method.GIS)
