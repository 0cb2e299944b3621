"""Every wire vector parses to its message: whole, as bytes, and fed byte by byte.

ARI-PROTOCOL.md §2, §3, §5 and Appendix A; §10 checklist items 5, 10-14, 26, 31, 46-53,
55-75, 79, 90 (see the vector names in vectors.py for the item of each line).
"""

from __future__ import annotations

import pytest
from vectors import BAD_LINES, PROXY, VECTORS, BadLine, Vector

from lightstreamer_adapter.interfaces.data import DiffAlgorithm
from lightstreamer_adapter.interfaces.metadata import Mode
from lightstreamer_adapter.protocol.connection import ProtocolConnection
from lightstreamer_adapter.protocol.errors import RemoteProtocolError, UnknownMethodError
from lightstreamer_adapter.protocol.framing import LineBuffer
from lightstreamer_adapter.protocol.messages import (
    CloseNotice,
    DataInitRequest,
    GetItemsRequest,
    Keepalive,
    MetadataInitRequest,
    NotifyNewTablesRequest,
    NotifyTablesCloseRequest,
    SubscribeRequest,
    UnsubscribeRequest,
    Update,
)
from lightstreamer_adapter.protocol.negotiation import Side
from lightstreamer_adapter.protocol.parse import parse_proxy_line, parse_remote_line
from lightstreamer_adapter.protocol.versions import V1_8_3, V1_9_1

TERMINATORS = {"crlf": b"\r\n", "lf": b"\n", "cr": b"\r"}


def _parse(vector: Vector, line: str | bytes) -> object:
    parser = parse_proxy_line if vector.direction == PROXY else parse_remote_line
    return parser(line, vector.version)


def _connection_for(vector: Vector) -> ProtocolConnection:
    """A connection in the state where the Proxy may send the vector's line."""
    message = vector.message
    data_side = isinstance(
        message, (DataInitRequest, SubscribeRequest, UnsubscribeRequest, CloseNotice, Keepalive)
    )
    connection = ProtocolConnection(Side.DATA if data_side else Side.METADATA)
    if not isinstance(message, (DataInitRequest, MetadataInitRequest)):
        connection.accept_init(vector.version)
    return connection


def _receive_all(vector: Vector, data: bytes, chunk: int) -> list[object]:
    """Feed ``data`` in chunks of ``chunk`` bytes; return every message produced."""
    messages: list[object] = []
    if vector.direction == PROXY:
        connection = _connection_for(vector)
        for start in range(0, len(data), chunk):
            connection.receive_data(data[start : start + chunk])
            while (message := connection.next_message()) is not None:
                messages.append(message)
        return messages
    buffer = LineBuffer()
    for start in range(0, len(data), chunk):
        buffer.feed(data[start : start + chunk])
        while (line := buffer.next_line()) is not None:
            messages.append(parse_remote_line(line, vector.version))
    return messages


@pytest.mark.parametrize("vector", VECTORS, ids=[v.name for v in VECTORS])
def test_vector_parses(vector: Vector) -> None:
    assert _parse(vector, vector.line) == vector.message


@pytest.mark.parametrize("vector", VECTORS, ids=[v.name for v in VECTORS])
def test_vector_parses_from_bytes(vector: Vector) -> None:
    assert _parse(vector, vector.line.encode("utf-8")) == vector.message


@pytest.mark.parametrize("terminator", TERMINATORS.values(), ids=list(TERMINATORS))
@pytest.mark.parametrize("vector", VECTORS, ids=[v.name for v in VECTORS])
def test_vector_fed_byte_by_byte(vector: Vector, terminator: bytes) -> None:
    # Item 5 (CR LF, LF and lone CR) and item 8 (a character split across reads).
    data = vector.line.encode("utf-8") + terminator
    assert _receive_all(vector, data, 1) == [vector.message]


@pytest.mark.parametrize("vector", VECTORS, ids=[v.name for v in VECTORS])
def test_vector_with_trailing_data(vector: Vector) -> None:
    # The start of the next line stays buffered; empty lines are skipped (item 5).
    data = b"\r\n" + vector.line.encode("utf-8") + b"\r\n\r\n" + b"KEEPALI"
    assert _receive_all(vector, data, len(data)) == [vector.message]
    assert _receive_all(vector, data, 7) == [vector.message]


# A second init is a protocol error (see test_connection).
_REPEATABLE = [
    v for v in VECTORS if not isinstance(v.message, (DataInitRequest, MetadataInitRequest))
]


@pytest.mark.parametrize("vector", _REPEATABLE, ids=[v.name for v in _REPEATABLE])
def test_vector_repeated_in_one_chunk(vector: Vector) -> None:
    line = vector.line.encode("utf-8")
    data = line + b"\n" + line + b"\r" + line + b"\r\n"
    assert _receive_all(vector, data, len(data)) == [vector.message] * 3


@pytest.mark.parametrize("bad", BAD_LINES, ids=[b.name for b in BAD_LINES])
def test_bad_line_is_refused(bad: BadLine) -> None:
    parser = parse_proxy_line if bad.direction == PROXY else parse_remote_line
    with pytest.raises(RemoteProtocolError) as caught:
        parser(bad.line, bad.version)
    error = caught.value
    assert type(error) is bad.error
    assert error.request_id == bad.request_id
    assert error.method == bad.method
    text = bad.line if isinstance(bad.line, str) else bad.line.decode("utf-8", "replace")
    assert error.line == text
    assert text[:20] in str(error)


def test_unknown_method_is_a_remote_protocol_error() -> None:
    # Item 12: callers that catch RemoteProtocolError also catch unknown methods.
    assert issubclass(UnknownMethodError, RemoteProtocolError)


def test_bc_and_smart_read_the_same_line_differently() -> None:
    # §3.4: "+" is a space in BC (ARI 1.8) and a literal "+" in Smart (ARI 1.9).
    assert parse_proxy_line("X|SUB|S|a+b", V1_8_3) == SubscribeRequest("X", "a b")
    assert parse_proxy_line("X|SUB|S|a+b", V1_9_1) == SubscribeRequest("X", "a+b")


def test_init_request_is_bc_in_every_version() -> None:
    # Item 26: MPI/DPI parameters are BC even in 1.9.
    for version in (V1_8_3, V1_9_1):
        message = parse_proxy_line("X|MPI|S|a+b|S|c%2Bd", version)
        assert message == MetadataInitRequest("X", {"a b": "c+d"})


def test_close_is_bc_in_every_version() -> None:
    assert parse_proxy_line("0|CLOSE|S|reason|S|a+b", V1_9_1) == CloseNotice({"reason": "a b"})
    assert parse_proxy_line("0|CLOSE", V1_9_1) == CloseNotice()


def test_close_reason_property() -> None:
    message = parse_proxy_line("0|CLOSE|S|reason|S|keepalive+timeout")
    assert isinstance(message, CloseNotice)
    assert message.reason == "keepalive timeout"


def test_gis_argument_order() -> None:
    # Item 59: user, group, session on the wire.
    message = parse_proxy_line("X|GIS|S|u|S|g|S|s")
    assert message == GetItemsRequest("X", user="u", group="g", session_id="s")


def test_tables_19_and_18_layouts() -> None:
    # Item 69: the 1.9 layout carries data adapter and items; 1.8 has neither.
    line19 = "X|NNT|S|u|S|s|I|3|M|C|S|g|S|DA|S|sc|I|1|I|1|S|sel|I|1|S|it"
    message = parse_proxy_line(line19, V1_9_1)
    assert isinstance(message, NotifyNewTablesRequest)
    (table,) = message.tables
    assert (table.win_index, table.mode, table.group, table.data_adapter) == (
        3, Mode.COMMAND, "g", "DA",
    )  # fmt: skip
    assert (table.schema, table.min, table.max, table.selector) == ("sc", 1, 1, "sel")
    assert table.subscribed_items == ["it"]
    assert table.subscription_statistics is None
    line18 = "X|NNT|S|u|S|s|I|3|M|C|S|g|S|sc|I|1|I|1|S|sel"
    message = parse_proxy_line(line18, V1_8_3)
    assert isinstance(message, NotifyNewTablesRequest)
    (table,) = message.tables
    assert table.data_adapter is None
    assert table.subscribed_items is None
    assert table.subscription_statistics is None


def test_ntc_statistics_count_need_not_match_items() -> None:
    # [INFERRED] lenient: the statistics count is read as sent (Appendix C item 10).
    line = "X|NTC|S|s|I|1|M|M|S|g|S|DA|S|sc|I|1|I|2|S|#|I|2|S|a|S|b|I|1|L|1|L|2|L|3"
    message = parse_proxy_line(line)
    assert isinstance(message, NotifyTablesCloseRequest)
    statistics = message.tables[0].subscription_statistics
    assert statistics is not None
    assert [(s.tot_real_time, s.tot_lost, s.tot_filtered) for s in statistics] == [(1, 2, 3)]


def test_ntc_with_several_tables() -> None:
    block = "I|{}|M|M|S|g|S|DA|S|sc|I|1|I|1|S|#|I|1|S|a|I|0"
    line = "X|NTC|S|s|" + "|".join(block.format(n) for n in (1, 2, 3))
    message = parse_proxy_line(line)
    assert isinstance(message, NotifyTablesCloseRequest)
    assert [table.win_index for table in message.tables] == [1, 2, 3]


def test_nnt_without_tables_is_accepted() -> None:
    # [INFERRED] lenient, like NTC (§3.11).
    assert parse_proxy_line("X|NNT|S|u|S|s") == NotifyNewTablesRequest("X", "u", "s")


def test_update_field_order_is_kept() -> None:
    message = parse_remote_line("1|UD3|S|i|S|s|B|0|S|z|S|1|S|a|S|2|S|m|S|3")
    assert isinstance(message, Update)
    assert list(message.values) == ["z", "a", "m"]


def test_dfd_algorithms_in_preference_order() -> None:
    message = parse_remote_line("1|DFD|S|i|S|s|S|f|F|MJ")
    assert message.algorithms == {  # type: ignore[union-attr]
        "f": (DiffAlgorithm.DIFF_MATCH_PATCH, DiffAlgorithm.JSONPATCH)
    }


def test_repeated_name_keeps_last_value() -> None:
    # [INFERRED] like a Java map put: first position, last value.
    message = parse_proxy_line("X|NNS|S|u|S|s|S|k|S|1|S|j|S|2|S|k|S|3")
    assert message.context == {"k": "3", "j": "2"}  # type: ignore[union-attr]


def test_spaces_are_never_stripped() -> None:
    # Item 7.
    assert parse_proxy_line("X|SUB|S| item ") == SubscribeRequest("X", " item ")
