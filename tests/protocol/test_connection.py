"""ProtocolConnection: init gate, negotiation, version switch (ARI-PROTOCOL.md §2.8, §4, §6.2).

§10 checklist items 5, 6, 10-14, 19-21, 26, 90.
"""

from __future__ import annotations

import pytest
from vectors import PROXY, VECTORS, Vector

from lightstreamer_adapter.protocol.connection import ProtocolConnection
from lightstreamer_adapter.protocol.errors import (
    LocalProtocolError,
    RemoteProtocolError,
    UnknownMethodError,
)
from lightstreamer_adapter.protocol.framing import LineTooLongError
from lightstreamer_adapter.protocol.messages import (
    CloseNotice,
    DataFailure,
    DataInitRequest,
    GetItemsReply,
    GetItemsRequest,
    Keepalive,
    MetadataInitRequest,
    NotifyNewTablesRequest,
    SubscribeRequest,
)
from lightstreamer_adapter.protocol.negotiation import Negotiated, Refused, Side
from lightstreamer_adapter.protocol.versions import (
    LATEST,
    V1_8_0,
    V1_8_2,
    V1_8_3,
    V1_9_0,
    V1_9_1,
    ProtocolVersion,
)

# One well-formed 1.9.1 line per method the Proxy could send (and a few it never sends).
SAMPLES = {
    "DPI": "I1|DPI|S|ARI.version|S|1.9.1",
    "SUB": "I2|SUB|S|item",
    "USB": "I3|USB|S|item",
    "MPI": "I4|MPI|S|ARI.version|S|1.9.1",
    "NUS": "I5|NUS|S|u|S|p",
    "NUA": "I6|NUA|S|u|S|p|S|principal",
    "GIS": "I7|GIS|S|u|S|g|S|s",
    "GSC": "I8|GSC|S|u|S|g|S|sc|S|s",
    "GIT": "I9|GIT|S|i",
    "GUI": "Ia|GUI|S|u|S|i",
    "NUM": "Ib|NUM|S|u|S|s|S|m",
    "NNS": "Ic|NNS|S|u|S|s",
    "NSC": "Id|NSC|S|s",
    "NNT": "Ie|NNT|S|u|S|s|I|1|M|M|S|g|S|DA|S|sc|I|1|I|1|S|#|I|1|S|i",
    "NTC": "If|NTC|S|s|I|1|M|M|S|g|S|DA|S|sc|I|1|I|1|S|#|I|1|S|i|I|0",
    "MDA": "Ig|MDA|S|u|S|s|P|A|S|app|S|tok",
    "MSA": "Ih|MSA|S|u|S|s|I|1|M|M|S|g|S|DA|S|sc|I|1|I|1|I|0|P|G|S|app|S|tok|S|#|S|{}",
    "MDC": "Ii|MDC|S|u|S|s|P|A|S|app|S|tok|S|tok2",
    "FST": "64|FST|V",
    "FUS": "65|FUS|B|1",
    "CLOSE": "0|CLOSE|S|reason|S|bye",
    "KEEPALIVE": "KEEPALIVE",
    "FOO": "Ij|FOO|S|x",
    "UD3": "1700000000123|UD3|S|i|S|s|B|0",
    "RAC": "1|RAC|S|user|S|u",
}

OK, WAIT, LATE, UNKNOWN = "ok", "wait", "late", "unknown"
STATES = ("fresh", "pending", "accepted")  # no init / init received / accept_init called
_META = (UNKNOWN, UNKNOWN, UNKNOWN, WAIT, WAIT, OK)
_NEVER = (UNKNOWN,) * 6

# Rows: method -> outcome on (Data fresh, pending, accepted, Metadata fresh, pending,
# accepted). §2.8 steps 2-7 and §6.2.
GATE = {
    "DPI": (OK, LATE, LATE, UNKNOWN, UNKNOWN, UNKNOWN),
    "SUB": (WAIT, WAIT, OK, UNKNOWN, UNKNOWN, UNKNOWN),
    "USB": (WAIT, WAIT, OK, UNKNOWN, UNKNOWN, UNKNOWN),
    "MPI": (UNKNOWN, UNKNOWN, UNKNOWN, OK, LATE, LATE),
    **{m: _META for m in ("NUS", "NUA", "GIS", "GSC", "GIT", "GUI", "NUM", "NNS", "NSC",
                          "NNT", "NTC", "MDA", "MSA", "MDC", "FST", "FUS")},
    "CLOSE": (OK,) * 6,
    "KEEPALIVE": (OK,) * 6,
    "FOO": _NEVER,
    "UD3": _NEVER,
    "RAC": _NEVER,
}  # fmt: skip

CASES = [
    (method, side, state, GATE[method][(0 if side is Side.DATA else 3) + STATES.index(state)])
    for method in GATE
    for side in (Side.DATA, Side.METADATA)
    for state in STATES
]


def _connection(side: Side, state: str, version: ProtocolVersion = V1_9_1) -> ProtocolConnection:
    connection = ProtocolConnection(side)
    if state != "fresh":
        init = SAMPLES["DPI" if side is Side.DATA else "MPI"]
        connection.receive_data(init.encode() + b"\r\n")
        assert isinstance(connection.next_message(), (DataInitRequest, MetadataInitRequest))
    if state == "accepted":
        connection.accept_init(version)
    return connection


def _feed(connection: ProtocolConnection, line: str) -> object:
    connection.receive_data(line.encode("utf-8") + b"\r\n")
    return connection.next_message()


@pytest.mark.parametrize(
    ("method", "side", "state", "outcome"),
    CASES,
    ids=[f"{m}-{s.name.lower()}-{st}-{o}" for m, s, st, o in CASES],
)
def test_gate(method: str, side: Side, state: str, outcome: str) -> None:
    # Items 10, 12, 13, 14.
    connection = _connection(side, state)
    line = SAMPLES[method]
    if outcome == OK:
        message = _feed(connection, line)
        assert message is not None
        if method == "KEEPALIVE":
            assert message == Keepalive()
    else:
        with pytest.raises(RemoteProtocolError) as caught:
            _feed(connection, line)
        error = caught.value
        if method != "KEEPALIVE":
            assert (error.request_id, error.method) == tuple(line.split("|")[:2])
        assert error.line == line
        if outcome == UNKNOWN:
            assert isinstance(error, UnknownMethodError)
        else:
            assert not isinstance(error, UnknownMethodError)
            expected = "waiting for init" if outcome == WAIT else "late init"
            assert expected in str(error)
    # Whatever happened, the connection goes on with the next line.
    assert _feed(connection, "KEEPALIVE") == Keepalive()
    assert connection.next_message() is None


def test_other_side_method_message_names_the_adapter_kind() -> None:
    connection = _connection(Side.DATA, "accepted")
    with pytest.raises(UnknownMethodError, match="Metadata Adapter"):
        _feed(connection, SAMPLES["NUS"])
    connection = _connection(Side.METADATA, "accepted")
    with pytest.raises(UnknownMethodError, match="Data Adapter"):
        _feed(connection, SAMPLES["SUB"])


def test_close_with_wrong_id_before_and_after_init() -> None:
    # Item 90.
    for state in STATES:
        connection = _connection(Side.DATA, state)
        with pytest.raises(RemoteProtocolError) as caught:
            _feed(connection, "1|CLOSE|S|reason|S|x")
        assert (caught.value.request_id, caught.value.method) == ("1", "CLOSE")


def test_malformed_lines_before_init() -> None:
    # Item 11: fewer than two tokens, empty tokens: errors, and the reader goes on.
    connection = ProtocolConnection(Side.DATA)
    connection.receive_data(b"garbage\r\n|SUB|S|x\r\nX||S|x\r\nI1|DPI\r\n")
    for _ in range(3):
        with pytest.raises(RemoteProtocolError):
            connection.next_message()
    assert connection.next_message() == DataInitRequest("I1")


def test_malformed_init_does_not_count_as_init() -> None:
    connection = ProtocolConnection(Side.METADATA)
    connection.receive_data(b"I1|MPI|S|ARI.version\r\nI2|MPI|S|ARI.version|S|1.9.1\r\n")
    with pytest.raises(RemoteProtocolError) as caught:
        connection.next_message()
    assert "late init" not in str(caught.value)
    assert connection.next_message() == MetadataInitRequest("I2", {"ARI.version": "1.9.1"})


def test_invalid_utf8_is_a_remote_protocol_error() -> None:
    # Item 8.
    connection = _connection(Side.DATA, "accepted")
    connection.receive_data(b"X|SUB|S|\xff\xfe\r\nY|SUB|S|ok\r\n")
    with pytest.raises(RemoteProtocolError) as caught:
        connection.next_message()
    assert (caught.value.request_id, caught.value.method) == ("X", "SUB")
    assert connection.next_message() == SubscribeRequest("Y", "ok")


def test_multibyte_character_split_across_reads() -> None:
    # Item 8.
    connection = _connection(Side.DATA, "accepted")
    data = "X|SUB|S|€ \U0002996a\r\n".encode()
    for byte in data:
        connection.receive_data(bytes([byte]))
    assert connection.next_message() == SubscribeRequest("X", "€ \U0002996a")


def test_bom_at_stream_start_is_skipped() -> None:
    # Item 6.
    connection = ProtocolConnection(Side.DATA)
    connection.receive_data(b"\xef\xbb")
    assert connection.next_message() is None
    connection.receive_data(b"\xbfI1|DPI|S|ARI.version|S|1.9.1\r\n")
    assert connection.next_message() == DataInitRequest("I1", {"ARI.version": "1.9.1"})


def test_line_too_long_then_continues() -> None:
    connection = ProtocolConnection(Side.DATA, max_line_length=64)
    connection.accept_init(V1_9_1)
    connection.receive_data(b"X|SUB|S|" + b"x" * 100 + b"\r\nY|SUB|S|ok\r\n")
    with pytest.raises(LineTooLongError):
        connection.next_message()
    assert connection.next_message() == SubscribeRequest("Y", "ok")


def test_keepalive_from_proxy_is_returned() -> None:
    # Item 10 [INFERRED]: returned as Keepalive, for the front end to ignore.
    connection = ProtocolConnection(Side.METADATA)
    assert _feed(connection, "KEEPALIVE") == Keepalive()
    assert not connection.initialized


# ---------------------------------------------------------------------- negotiation


NEGOTIATION = [
    # (side, offered ARI.version, expected answer or None for a refusal); items 15-21.
    (Side.DATA, "1.9.1", V1_9_1),
    (Side.DATA, "1.9.2", V1_9_1),
    (Side.DATA, "2.0", V1_9_1),
    (Side.DATA, "1.9.0", None),
    (Side.DATA, "1.8.3", None),
    (Side.DATA, None, None),
    (Side.DATA, "garbage", None),
    (Side.METADATA, "1.9.1", V1_9_1),
    (Side.METADATA, "1.10.0", V1_9_1),
    (Side.METADATA, "1.9.0", V1_9_0),
    (Side.METADATA, "1.8.3", V1_8_3),
    (Side.METADATA, "1.8.2", V1_8_2),
    (Side.METADATA, "1.8.1", None),
    (Side.METADATA, "1.8.0", None),
    (Side.METADATA, None, V1_8_0),
    (Side.METADATA, "x.y", None),
]


@pytest.mark.parametrize(("side", "offered", "expected"), NEGOTIATION)
def test_negotiate_through_the_connection(
    side: Side, offered: str | None, expected: ProtocolVersion | None
) -> None:
    connection = ProtocolConnection(side)
    method = "DPI" if side is Side.DATA else "MPI"
    line = f"I1|{method}|S|adapters_conf.id|S|DEMO"
    if offered is not None:
        line += f"|S|ARI.version|S|{offered}"
    request = _feed(connection, line)
    assert isinstance(request, (DataInitRequest, MetadataInitRequest))
    result = connection.negotiate(request)
    if expected is None:
        assert isinstance(result, Refused)
        assert result.message
    else:
        assert result == Negotiated(expected)
    # negotiate() does not change the state.
    assert connection.version is None
    assert not connection.initialized


def test_accept_init_sets_the_version_once() -> None:
    connection = ProtocolConnection(Side.METADATA)
    assert connection.side is Side.METADATA
    assert (connection.version, connection.initialized) == (None, False)
    connection.accept_init(V1_8_3)
    assert (connection.version, connection.initialized) == (V1_8_3, True)
    with pytest.raises(LocalProtocolError):
        connection.accept_init(V1_9_1)


# ---------------------------------------------------------------------- version switch


def test_init_request_is_bc_before_any_version() -> None:
    # Item 26.
    connection = ProtocolConnection(Side.METADATA)
    request = _feed(connection, "I1|MPI|S|ARI.version|S|1.9.1|S|my+key|S|a%2Bb")
    assert request == MetadataInitRequest("I1", {"ARI.version": "1.9.1", "my key": "a+b"})


def test_encode_before_init_uses_latest() -> None:
    connection = ProtocolConnection(Side.DATA)
    assert connection.encode(DataFailure("1", "a b")) == "1|FAL|E|a b\r\n"
    assert LATEST.smart_encoding


@pytest.mark.parametrize(
    ("version", "group", "encoded"),
    [(V1_8_3, "a b", "I1|GIS|S|a+b\r\n"), (V1_9_1, "a+b", "I1|GIS|S|a b\r\n")],
)
def test_version_switch_after_accept_init(
    version: ProtocolVersion, group: str, encoded: str
) -> None:
    # Items 19-20: BC on 1.8, Smart on 1.9, for both parsing and encoding.
    connection = _connection(Side.METADATA, "pending")
    connection.accept_init(version)
    request = _feed(connection, "I1|GIS|S|u|S|a+b|S|s")
    assert request == GetItemsRequest("I1", "u", group, "s")
    assert connection.encode(GetItemsReply("I1", ("a b",))) == encoded


def test_table_layout_follows_the_version() -> None:
    # Item 20: the 1.8 table layout after answering 1.8.3.
    connection = _connection(Side.METADATA, "pending")
    connection.accept_init(V1_8_3)
    request = _feed(connection, "I1|NNT|S|u|S|s|I|1|M|M|S|g|S|sc|I|1|I|2|S|%23")
    assert isinstance(request, NotifyNewTablesRequest)
    assert request.tables[0].selector == "#"
    assert request.tables[0].subscribed_items is None


def test_fst_reply_on_18_is_refused() -> None:
    connection = _connection(Side.METADATA, "accepted", V1_8_3)
    with pytest.raises(RemoteProtocolError):
        _feed(connection, "64|FST|V")


# ---------------------------------------------------------------------- whole sessions


def _session(prefix: str) -> list[Vector]:
    return [v for v in VECTORS if v.name.startswith(prefix) and v.direction == PROXY]


@pytest.mark.parametrize(
    ("prefix", "side"), [("a1_", Side.DATA), ("a2_", Side.METADATA), ("a4_", Side.METADATA)]
)
def test_appendix_a_sessions_in_one_chunk(prefix: str, side: Side) -> None:
    vectors = _session(prefix)
    connection = ProtocolConnection(side)
    connection.receive_data(b"".join(v.line.encode() + b"\r\n" for v in vectors))
    received = []
    while (message := connection.next_message()) is not None:
        received.append(message)
        if isinstance(message, (DataInitRequest, MetadataInitRequest)):
            result = connection.negotiate(message)
            assert isinstance(result, Negotiated)
            connection.accept_init(result.version)
    assert received == [v.message for v in vectors]
    assert connection.version == vectors[-1].version
    if prefix == "a1_":
        assert isinstance(received[-1], CloseNotice)
