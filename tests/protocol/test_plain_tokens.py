"""The tokens of plain request lines: ``ProtocolConnection.plain_methods``,
``next_message_or_tokens``, ``parse_tokens`` and the parse helpers ``plain_values``,
``plain_pairs``, ``parse_proxy_tokens``.

A plain line (no ``%``, no empty token) of a method in ``plain_methods`` comes back as
its tokens, and only once the init is done at a version with the Smart encoding;
``parse_tokens`` then gives exactly what ``next_message`` would have given for the line,
error included.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lightstreamer_adapter.protocol.connection import ProtocolConnection
from lightstreamer_adapter.protocol.errors import RemoteProtocolError, UnknownMethodError
from lightstreamer_adapter.protocol.messages import (
    CloseNotice,
    GetItemDataRequest,
    GetItemsRequest,
    Keepalive,
    MetadataInitRequest,
    NotifyUserRequest,
    SubscribeRequest,
)
from lightstreamer_adapter.protocol.negotiation import Side
from lightstreamer_adapter.protocol.parse import (
    parse_proxy_line,
    parse_proxy_tokens,
    plain_pairs,
    plain_values,
)
from lightstreamer_adapter.protocol.versions import (
    V1_8_0,
    V1_8_2,
    V1_8_3,
    V1_9_0,
    V1_9_1,
    ProtocolVersion,
)

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PLAIN = frozenset({"NUS", "GIS", "GSC", "GIT"})
SMART = [V1_9_0, V1_9_1]
BC = [V1_8_0, V1_8_2, V1_8_3]
ALL_VERSIONS = BC + SMART

# One plain line per Metadata request method (§5.14-§5.27 shapes, 1.9 table layout).
PLAIN_LINES = {
    "NUS": "I5|NUS|S|u|S|p|S|host|S|h",
    "NUA": "I6|NUA|S|u|S|p|S|principal",
    "GIS": "I7|GIS|S|u|S|g|S|s",
    "GSC": "I8|GSC|S|u|S|g|S|sc|S|s",
    "GIT": "I9|GIT|S|i|S|j",
    "GUI": "Ia|GUI|S|u|S|i",
    "NUM": "Ib|NUM|S|u|S|s|S|m",
    "NNS": "Ic|NNS|S|u|S|s",
    "NSC": "Id|NSC|S|s",
    "NNT": "Ie|NNT|S|u|S|s|I|1|M|M|S|g|S|DA|S|sc|I|1|I|1|S|#|I|1|S|i",
    "NTC": "If|NTC|S|s|I|1|M|M|S|g|S|DA|S|sc|I|1|I|1|S|#|I|1|S|i|I|0",
    "MDA": "Ig|MDA|S|u|S|s|P|A|S|app|S|tok",
    "MDC": "Ii|MDC|S|u|S|s|P|A|S|app|S|tok|S|tok2",
}
Outcome = tuple[str, Any]


def connection(
    version: ProtocolVersion | None = V1_9_1,
    plain: frozenset[str] = PLAIN,
    side: Side = Side.METADATA,
) -> ProtocolConnection:
    """A connection with ``plain_methods`` set, initialised at ``version`` (if any)."""
    conn = ProtocolConnection(side)
    conn.plain_methods = plain
    if version is not None:
        conn.accept_init(version)
    return conn


def next_of(conn: ProtocolConnection, line: str | bytes) -> Any:
    """Feed one line and return what ``next_message_or_tokens`` gives for it."""
    conn.receive_data((line if isinstance(line, bytes) else line.encode("utf-8")) + b"\r\n")
    return conn.next_message_or_tokens()


def outcome(call: Any) -> Outcome:
    """The result of ``call()``, or the details of the protocol error it raised."""
    try:
        return ("ok", call())
    except RemoteProtocolError as err:
        return (type(err).__name__, (str(err), err.request_id, err.method, err.line))


# --------------------------------------------------------------- when tokens come back


@pytest.mark.parametrize("version", SMART, ids=str)
@pytest.mark.parametrize("method", sorted(PLAIN))
def test_tokens_for_plain_methods_at_1_9(version: ProtocolVersion, method: str) -> None:
    line = PLAIN_LINES[method]
    assert next_of(connection(version), line) == line.split("|")


@pytest.mark.parametrize("version", BC, ids=str)
@pytest.mark.parametrize("method", sorted(PLAIN))
def test_no_tokens_at_1_8(version: ProtocolVersion, method: str) -> None:
    """In the BC encoding "+" is a space: the tokens would need decoding."""
    line = PLAIN_LINES[method]
    message = next_of(connection(version), line)
    assert not isinstance(message, list)
    assert message == parse_proxy_line(line, version)


def test_plus_is_a_space_at_1_8_and_a_plus_at_1_9() -> None:
    line = "G|GIS|S|u|S|a+b|S|s"
    message = next_of(connection(V1_8_3), line)
    assert isinstance(message, GetItemsRequest) and message.group == "a b"
    conn = connection(V1_9_1)
    tokens = next_of(conn, line)
    assert tokens == line.split("|")
    parsed = conn.parse_tokens(tokens)
    assert isinstance(parsed, GetItemsRequest) and parsed.group == "a+b"


@pytest.mark.parametrize("method", sorted(set(PLAIN_LINES) - PLAIN))
def test_no_tokens_for_other_methods(method: str) -> None:
    line = PLAIN_LINES[method]
    message = next_of(connection(V1_9_1), line)
    assert not isinstance(message, list)
    assert message == parse_proxy_line(line, V1_9_1)


def test_only_the_methods_asked_for() -> None:
    conn = connection(V1_9_1, frozenset({"GIS"}))
    assert next_of(conn, PLAIN_LINES["GIS"]) == PLAIN_LINES["GIS"].split("|")
    assert isinstance(next_of(conn, PLAIN_LINES["NUS"]), NotifyUserRequest)
    assert isinstance(next_of(conn, PLAIN_LINES["GIT"]), GetItemDataRequest)


def test_plain_methods_default_empty_and_settable_any_time() -> None:
    conn = ProtocolConnection(Side.METADATA)
    assert conn.plain_methods == frozenset()
    conn.accept_init(V1_9_1)
    assert isinstance(next_of(conn, PLAIN_LINES["GIS"]), GetItemsRequest)
    conn.plain_methods = frozenset(["GIS", "GIT"])  # any iterable, kept as a frozenset
    assert conn.plain_methods == frozenset({"GIS", "GIT"})
    assert next_of(conn, PLAIN_LINES["GIS"]) == PLAIN_LINES["GIS"].split("|")
    conn.plain_methods = frozenset()
    assert isinstance(next_of(conn, PLAIN_LINES["GIS"]), GetItemsRequest)


def test_no_tokens_before_init() -> None:
    """plain_methods is kept but ignored until accept_init (§2.8 gate first)."""
    conn = connection(None, PLAIN | {"MPI"})
    assert conn.plain_methods == PLAIN | {"MPI"}
    with pytest.raises(RemoteProtocolError, match="waiting for init") as caught:
        next_of(conn, PLAIN_LINES["GIS"])
    assert (caught.value.request_id, caught.value.method) == ("I7", "GIS")
    init = next_of(conn, "M|MPI|S|ARI.version|S|1.9.1")
    assert isinstance(init, MetadataInitRequest)
    with pytest.raises(RemoteProtocolError, match="waiting for init"):
        next_of(conn, PLAIN_LINES["NUS"])  # init received, not yet accepted
    conn.accept_init(V1_9_1)
    assert next_of(conn, PLAIN_LINES["NUS"]) == PLAIN_LINES["NUS"].split("|")


def test_never_for_mpi_close_keepalive() -> None:
    conn = connection(V1_9_1, PLAIN | {"MPI", "CLOSE", "KEEPALIVE", "FOO"})
    assert isinstance(next_of(conn, "KEEPALIVE"), Keepalive)
    with pytest.raises(RemoteProtocolError, match="late init"):
        next_of(conn, "M2|MPI|S|ARI.version|S|1.9.1")
    with pytest.raises(UnknownMethodError):
        next_of(conn, "F|FOO|S|x")
    assert next_of(conn, PLAIN_LINES["GIT"]) == PLAIN_LINES["GIT"].split("|")
    assert next_of(conn, "0|CLOSE|S|reason|S|bye") == CloseNotice({"reason": "bye"})


def test_never_for_methods_of_the_other_side() -> None:
    conn = connection(V1_9_1, PLAIN | {"SUB"})
    with pytest.raises(UnknownMethodError):
        next_of(conn, "S|SUB|S|item")
    data = connection(V1_9_1, PLAIN | {"SUB"}, Side.DATA)
    assert data.plain_methods == PLAIN | {"SUB"}
    assert next_of(data, "S|SUB|S|item") == ["S", "SUB", "S", "item"]
    assert isinstance(data.parse_tokens(["S", "SUB", "S", "item"]), SubscribeRequest)
    with pytest.raises(UnknownMethodError):
        next_of(data, PLAIN_LINES["GIS"])


@pytest.mark.parametrize(
    "line",
    [
        "P|GIS|S|u%20x|S|g|S|s",  # an escape
        "P|GIS|S|u|S|g|S|50%",  # a bad escape
        "P|GIS|S||S|g|S|s",  # an empty token
        "P|GIT|",
        "P|GIT|S|a|S|",
        "P|NUS|S|u|S|p|S|h|S|%E2%82%AC",
        "|GIS|S|u|S|g|S|s",  # no id
        "P|GIS|S|u|S|g|S|\xff",  # not UTF-8 (written as the byte 0xFF below)
    ],
)
def test_never_for_escapes_or_empty_tokens(line: str) -> None:
    data = line.encode("latin-1") if "\xff" in line else line.encode("utf-8")
    tokens_conn, typed_conn = connection(), connection()
    got = outcome(lambda: next_of(tokens_conn, data))
    expected = outcome(lambda: next_of(typed_conn, data))
    assert got == expected
    assert not isinstance(got[1], list)


@pytest.mark.parametrize("version", ALL_VERSIONS, ids=str)
def test_next_message_never_returns_tokens(version: ProtocolVersion) -> None:
    conn = connection(version)
    for line in PLAIN_LINES.values():  # NNT/NTC: malformed at 1.8 (another layout)
        conn.receive_data(line.encode() + b"\r\n")
        got = outcome(conn.next_message)
        assert not isinstance(got[1], list)
        assert got == outcome(lambda line=line: parse_proxy_line(line, version))
    assert conn.next_message() is None
    assert conn.next_message_or_tokens() is None


def test_split_lines_and_several_lines_per_chunk() -> None:
    conn = connection()
    data = (PLAIN_LINES["GIS"] + "\r\n" + PLAIN_LINES["GIT"] + "\r\n").encode()
    conn.receive_data(data[:5])
    assert conn.next_message_or_tokens() is None
    conn.receive_data(data[5:])
    assert conn.next_message_or_tokens() == PLAIN_LINES["GIS"].split("|")
    assert conn.next_message_or_tokens() == PLAIN_LINES["GIT"].split("|")
    assert conn.next_message_or_tokens() is None


# ------------------------------------------------------------- parse_tokens == parse

MALFORMED = [
    "B|GIS|S|u|S|g",
    "B|GIS|S|u|S|g|S|s|S|x",
    "B|GIS|S|u|I|g|S|s",
    "B|GSC|S|u|S|g|S|s",
    "B|GSC|S|u|S|g|S|sc|S|s|S|x",
    "B|NUS|S|u",
    "B|NUS|S|u|S|p|S|h",
    "B|NUS|S|u|S|p|S|#|S|v",
    "B|NUS|D|u|S|p",
    "B|GIT|S|a|I|b",
    "B|GIT|S",
    "B|GIT|X|a",
    "B|GIS",
]


@pytest.mark.parametrize("version", SMART, ids=str)
@pytest.mark.parametrize("line", MALFORMED)
def test_parse_tokens_raises_what_next_message_raises(version: ProtocolVersion, line: str) -> None:
    tokens_conn, typed_conn = connection(version), connection(version)
    tokens = next_of(tokens_conn, line)
    assert tokens == line.split("|")  # the shape is not checked when the tokens are returned
    typed_conn.receive_data(line.encode() + b"\r\n")
    expected = outcome(typed_conn.next_message)
    assert expected[0] == "RemoteProtocolError"
    assert outcome(lambda: tokens_conn.parse_tokens(tokens)) == expected
    assert outcome(lambda: parse_proxy_tokens(line.split("|"), version)) == expected


_TOKENS = st.one_of(
    st.sampled_from(["S", "I", "D", "X", "#", "$", "", "%", "%2", "%41", "%E2%82%AC", "a+b"]),
    st.text(
        st.characters(codec="utf-8", blacklist_characters="|\r\n"),
        min_size=1,
        max_size=6,
    ),
)
_METHODS = ["NUS", "GIS", "GSC", "GIT", "NUA", "GUI", "NSC", "NNS", "SUB", "FOO", "MPI", "CLOSE"]


_PLAIN_VALUES = st.one_of(
    st.sampled_from(["#", "$", "S", "a b", "+", "€", "##"]),
    st.text(
        st.characters(codec="utf-8", blacklist_characters="|%\r\n"),
        min_size=1,
        max_size=6,
    ),
)


@st.composite
def request_lines(draw: st.DrawFn) -> str:
    """``<id>|<method>|...``: half of them S pairs of plain values, the others with stray
    letters, escapes, empty tokens, odd counts."""
    if draw(st.booleans()):
        method = draw(st.sampled_from(sorted(PLAIN)))
        count = draw(st.integers(0, 6))
        values = [draw(_PLAIN_VALUES) for _ in range(count)]
        return "|".join(
            [draw(st.text("abc019", min_size=1, max_size=3)), method]
            + [token for value in values for token in ("S", value)]
        )
    rid = draw(st.sampled_from(["", "0", "A1", "#"]) | st.text("abc019", min_size=1, max_size=3))
    method = draw(st.sampled_from(_METHODS))
    tokens = [rid, method]
    for _ in range(draw(st.integers(0, 6))):
        letter = draw(st.sampled_from(["S"] * 6 + ["I", "X", ""]))
        tokens += [letter, draw(_TOKENS)]
    if draw(st.booleans()):
        tokens.append(draw(_TOKENS))
    return "|".join(tokens)


def expected_tokens(line: str, version: ProtocolVersion, plain: frozenset[str]) -> bool:
    """Whether ``next_message_or_tokens`` must return the tokens of ``line``."""
    tokens = line.split("|")
    return (
        version.smart_encoding
        and tokens[1] in plain
        and tokens[0] != ""
        and "%" not in line
        and "" not in tokens
    )


@SETTINGS
@given(request_lines(), st.sampled_from(ALL_VERSIONS), st.sampled_from([PLAIN, frozenset()]))
def test_tokens_then_parse_tokens_equals_next_message(
    line: str, version: ProtocolVersion, plain: frozenset[str]
) -> None:
    tokens_conn, typed_conn = connection(version, plain), connection(version, plain)
    typed_conn.receive_data(line.encode() + b"\r\n")
    expected = outcome(typed_conn.next_message)
    assert not isinstance(expected[1], list)
    got = outcome(lambda: next_of(tokens_conn, line))
    if expected_tokens(line, version, plain):
        assert got == ("ok", line.split("|"))
        got = outcome(lambda: tokens_conn.parse_tokens(line.split("|")))
    assert got == expected


@SETTINGS
@given(request_lines(), st.sampled_from(ALL_VERSIONS))
def test_parse_proxy_tokens_equals_parse_proxy_line(line: str, version: ProtocolVersion) -> None:
    assert outcome(lambda: parse_proxy_tokens(line.split("|"), version)) == outcome(
        lambda: parse_proxy_line(line, version)
    )


def test_parse_tokens_before_init_parses_at_latest() -> None:
    conn = ProtocolConnection(Side.METADATA)
    request = conn.parse_tokens(["G", "GIS", "S", "u", "S", "a+b", "S", "s"])
    assert request == GetItemsRequest("G", "u", "a+b", "s")


# -------------------------------------------------------- plain_values / plain_pairs


@pytest.mark.parametrize(
    ("line", "values"),
    [
        ("1|GIT", []),
        ("1|GIT|S|a", ["a"]),
        ("1|GIS|S|u|S|#|S|$", ["u", None, ""]),
        ("1|NUS|S|#|S|$|S|h|S|#", [None, "", "h", None]),
        ("1|GIT|S|a b|S|€|S|+|S|##|S|$$", ["a b", "€", "+", "##", "$$"]),
        ("1|GIT|S|S|S|I", ["S", "I"]),
    ],
)
def test_plain_values(line: str, values: list[str | None]) -> None:
    result = plain_values(line.split("|"))
    assert result is not None and list(result) == values


@pytest.mark.parametrize(
    "line",
    ["1|GIT|S", "1|GIS|S|u|I|g|S|s", "1|GIT|X|a", "1|GIT|s|a", "1|GIT|S|a|S", "1|NUS|S|u|D|1.0"],
)
def test_plain_values_wrong_shapes(line: str) -> None:
    assert plain_values(line.split("|")) is None


def test_plain_values_without_null_or_empty_are_the_value_tokens() -> None:
    tokens = ["1", "GIT", "S", "a", "S", "b c"]
    assert list(plain_values(tokens) or ()) == tokens[3::2]


@pytest.mark.parametrize(
    ("values", "start", "pairs"),
    [
        (["u", "p"], 2, {}),
        (["u", "p", "h", "v"], 2, {"h": "v"}),
        (["u", "p", "h", None], 2, {"h": None}),
        (["u", "p", "", ""], 2, {"": ""}),
        (["u", "p", "pr", "a", "1", "b", "2"], 3, {"a": "1", "b": "2"}),
    ],
)
def test_plain_pairs(values: list[str | None], start: int, pairs: dict[str, str | None]) -> None:
    assert plain_pairs(values, start) == pairs


def test_plain_pairs_repeated_name_keeps_first_position_and_last_value() -> None:
    pairs = plain_pairs(["u", "p", "h1", "v1", "h2", "v2", "h1", "v3"], 2)
    assert pairs is not None
    assert list(pairs.items()) == [("h1", "v3"), ("h2", "v2")]
    typed = parse_proxy_line("1|NUS|S|u|S|p|S|h1|S|v1|S|h2|S|v2|S|h1|S|v3", V1_9_1)
    assert isinstance(typed, NotifyUserRequest)
    assert list(typed.headers.items()) == list(pairs.items())


@pytest.mark.parametrize(
    ("values", "start"),
    [
        (["u"], 2),
        ([], 2),
        (["u", "p", "h"], 2),
        (["u", "p", None, "v"], 2),
        (["u", "p", "h", "v", None, "w"], 2),
        (["u", "p", "pr", "h"], 3),
    ],
)
def test_plain_pairs_wrong_shapes(values: list[str | None], start: int) -> None:
    assert plain_pairs(values, start) is None


@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["h1", "h2", "$", "#", "x y"]), st.sampled_from(["v", "#", "$", "w"])
        ),
        max_size=5,
    )
)
def test_plain_pairs_agree_with_the_typed_headers(pairs: list[tuple[str, str]]) -> None:
    line = "|".join(["1", "NUS", "S", "u", "S", "p"] + [f"S|{n}|S|{v}" for n, v in pairs])
    values = plain_values(line.split("|"))
    assert values is not None
    headers = plain_pairs(values, 2)
    try:
        typed = parse_proxy_line(line, V1_9_1)
    except RemoteProtocolError:
        assert headers is None
        return
    assert isinstance(typed, NotifyUserRequest) and headers is not None
    assert list(headers.items()) == list(typed.headers.items())
