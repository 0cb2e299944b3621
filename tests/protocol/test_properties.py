"""Property tests of the codec: round trips and fuzzing (ARI-PROTOCOL.md §3, §5).

* ``decode(encode(m)) == m`` for every message type of both directions, at every version
  where the message exists (1.8.0, 1.8.2, 1.8.3, 1.9.0, 1.9.1), and every encoded line
  is one CR LF-terminated line (§10 items 4, 9, 32);
* arbitrary bytes or text, and mutations of the wire vectors, given to
  ``parse_proxy_line``, ``parse_remote_line`` or a ``ProtocolConnection`` produce
  messages or ``RemoteProtocolError``, never anything else (item 11).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vectors import ALL_VERSIONS, BAD_LINES, PROXY, VECTORS

from lightstreamer_adapter.interfaces.data import DiffAlgorithm
from lightstreamer_adapter.interfaces.metadata import (
    Mode,
    MpnDeviceInfo,
    MpnPlatformType,
    MpnSubscriptionInfo,
    SubscriptionStatistics,
    TableInfo,
)
from lightstreamer_adapter.protocol.connection import ProtocolConnection
from lightstreamer_adapter.protocol.encode import (
    encode_proxy_message,
    encode_remote_message,
    encode_update,
)
from lightstreamer_adapter.protocol.errors import RemoteProtocolError
from lightstreamer_adapter.protocol.fields import encode_string_smart
from lightstreamer_adapter.protocol.messages import (
    ClearSnapshot,
    CloseNotice,
    DataFailure,
    DataInitRequest,
    DeclareFieldDiffOrder,
    EndOfSnapshot,
    ErrorInfo,
    ErrorKind,
    ErrorReply,
    ForceSessionTermination,
    ForceSessionTerminationReply,
    ForceUnsubscription,
    ForceUnsubscriptionReply,
    GetItemDataReply,
    GetItemDataRequest,
    GetItemsReply,
    GetItemsRequest,
    GetSchemaReply,
    GetSchemaRequest,
    GetUserItemDataReply,
    GetUserItemDataRequest,
    InitReply,
    ItemData,
    Keepalive,
    MetadataFailure,
    MetadataInitRequest,
    Method,
    MpnDeviceAccessRequest,
    MpnDeviceTokenChangeRequest,
    MpnSubscriptionActivationRequest,
    NotifyNewSessionReply,
    NotifyNewSessionRequest,
    NotifyNewTablesReply,
    NotifyNewTablesRequest,
    NotifySessionCloseRequest,
    NotifyTablesCloseRequest,
    NotifyUserMessageRequest,
    NotifyUserReply,
    NotifyUserRequest,
    NotifyUserWithPrincipalRequest,
    RemoteCredentials,
    SubscribeRequest,
    UnsubscribeRequest,
    Update,
    VoidReply,
)
from lightstreamer_adapter.protocol.negotiation import Side
from lightstreamer_adapter.protocol.parse import (
    _FAST_PROXY_PARSERS,
    _PROXY_PARSERS,
    ALLOWED_ERROR_KINDS,
    _parse_tokens,
    parse_proxy_line,
    parse_remote_line,
)
from lightstreamer_adapter.protocol.versions import V1_9_1, ProtocolVersion

# Modest by default so the suite stays fast; raise LS_HYPOTHESIS_EXAMPLES for a deep run.
SETTINGS = settings(
    max_examples=int(os.environ.get("LS_HYPOTHESIS_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
Strategy = st.SearchStrategy[Any]

# ---------------------------------------------------------------------- value strategies

# Any text UTF-8 can carry (no lone surrogates): controls, "|", "%", "+", "#", "$" ...
texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
opt_texts = st.none() | texts
# Ids are opaque visible-ASCII tokens without "|" (§2.2).
ids = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, blacklist_characters="|"),
    min_size=1,
    max_size=18,
)
timestamps = st.integers(0, 2**45).map(str).filter(lambda ts: ts != "2")  # "2" = Metadata FAL
pairs = st.dictionaries(texts, opt_texts, max_size=4)
int32 = st.integers(-(2**31), 2**31 - 1)
int64 = st.integers(-(2**63), 2**63 - 1)
doubles = st.floats(allow_nan=False, allow_infinity=False)
_MODE_ORDER = (Mode.RAW, Mode.MERGE, Mode.DISTINCT, Mode.COMMAND)
# Allowed modes come back in R M D C order, each once.
mode_sets = st.sets(st.sampled_from(Mode)).map(lambda s: tuple(m for m in _MODE_ORDER if m in s))
table_modes = st.none() | st.sampled_from(Mode)
raw_platforms = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="|\r\n"), min_size=1
).filter(lambda p: p not in ("#", "A", "G"))  # unknown letters stay strings (§3.8)
platforms = st.none() | st.sampled_from(MpnPlatformType) | raw_platforms
devices = st.builds(MpnDeviceInfo, platforms, opt_texts, opt_texts)
algorithms = st.none() | st.lists(st.sampled_from(DiffAlgorithm), max_size=3).map(tuple)
statistics = st.builds(SubscriptionStatistics, int64, int64, int64)


def tables(version: ProtocolVersion, kind: str) -> Strategy:
    """A TableInfo holding exactly what the block layout of ``kind`` carries (§3.11)."""
    selector = st.none() if kind == "MSA" else opt_texts
    if not version.smart_encoding:
        return st.builds(TableInfo, int32, table_modes, opt_texts, opt_texts, int32, int32,
                         selector)  # fmt: skip

    @st.composite
    def table19(draw: Callable[[Strategy], Any]) -> TableInfo:
        items = draw(st.lists(opt_texts, max_size=3))
        stats = None
        if kind == "NTC" and items and draw(st.booleans()):
            stats = draw(st.lists(statistics, min_size=len(items), max_size=len(items)))
        return TableInfo(
            draw(int32), draw(table_modes), draw(opt_texts), draw(opt_texts), draw(int32),
            draw(int32), draw(selector), draw(opt_texts), items, stats,
        )  # fmt: skip

    return table19()


def errors_for(method: Method, version: ProtocolVersion) -> Strategy:
    """An ErrorInfo of a kind the method allows at the version (§3.10)."""
    kinds = sorted(ALLOWED_ERROR_KINDS[method], key=lambda k: k.value)
    if not version.smart_encoding:  # ER exists from 1.9.0
        kinds = [k for k in kinds if k is not ErrorKind.RESOURCE_UNAVAILABLE]
    return st.sampled_from(kinds).flatmap(_error_of_kind)


def _error_of_kind(kind: ErrorKind) -> Strategy:
    if kind is ErrorKind.CREDITS:
        return st.builds(ErrorInfo, st.just(kind), opt_texts, int32, opt_texts)
    if kind is ErrorKind.CONFLICTING_SESSION:
        return st.builds(ErrorInfo, st.just(kind), opt_texts, int32, opt_texts, opt_texts)
    return st.builds(ErrorInfo, st.just(kind), opt_texts)


any_errors = st.sampled_from(ErrorKind).flatmap(_error_of_kind)

# ---------------------------------------------------------------------- message strategies

_VOID_METHODS = [Method.SUB, Method.USB, Method.NUM, Method.NSC, Method.NTC, Method.MDA,
                 Method.MSA, Method.MDC]  # fmt: skip


def remote_messages(version: ProtocolVersion) -> Strategy:
    """Every message a Remote Adapter may send at ``version``."""
    smart = version.smart_encoding
    values = opt_texts if smart else (opt_texts | st.binary(max_size=8))  # Y: 1.8 only
    item_data = st.tuples(
        st.builds(ItemData, int32, doubles, mode_sets), st.builds(ItemData, int32, doubles,
                                                                  mode_sets)
    ).map(tuple) | st.just(())  # fmt: skip
    options = [
        st.builds(RemoteCredentials, pairs),
        st.just(Keepalive()),
        st.builds(InitReply, ids, st.sampled_from([Method.DPI, Method.MPI]), pairs),
        st.builds(VoidReply, ids, st.sampled_from(_VOID_METHODS)),
        st.sampled_from(sorted(ALLOWED_ERROR_KINDS, key=lambda m: m.value)).flatmap(
            lambda m: st.builds(ErrorReply, ids, st.just(m), errors_for(m, version))
        ),
        st.builds(NotifyUserReply, ids, st.sampled_from([Method.NUS, Method.NUA]), doubles,
                  st.booleans()),
        st.builds(GetItemsReply, ids, st.lists(opt_texts, max_size=4).map(tuple)),
        st.builds(GetSchemaReply, ids, st.lists(opt_texts, max_size=4).map(tuple)),
        st.builds(GetItemDataReply, ids, item_data),
        st.builds(GetUserItemDataReply, ids, item_data),
        st.builds(NotifyNewSessionReply, ids, (st.none() | int32) if smart else st.none()),
        st.builds(NotifyNewTablesReply, ids,
                  (st.none() | st.tuples(st.booleans(), st.booleans())) if smart
                  else st.none()),
        st.builds(Update, timestamps, texts, texts, st.booleans(),
                  st.dictionaries(texts, values, max_size=5)),
        st.builds(EndOfSnapshot, timestamps, texts, texts),
        st.builds(ClearSnapshot, timestamps, texts, texts),
        st.builds(DataFailure, timestamps, opt_texts),
    ]  # fmt: skip
    if smart:
        options += [
            st.builds(DeclareFieldDiffOrder, timestamps, texts, texts,
                      st.dictionaries(texts, algorithms, max_size=4)),
            st.builds(MetadataFailure, opt_texts),
            st.builds(ForceSessionTermination, ids, texts),
            st.builds(ForceSessionTermination, ids, texts, int32, opt_texts),
            st.builds(ForceUnsubscription, ids, texts, int32),
        ]  # fmt: skip
    return st.one_of(options)


def proxy_messages(version: ProtocolVersion) -> Strategy:
    """Every message the Proxy may send at ``version``."""
    item_lists = st.lists(opt_texts, max_size=4).map(tuple)
    options = [
        st.just(Keepalive()),
        st.builds(CloseNotice, pairs),
        st.builds(DataInitRequest, ids, pairs),
        st.builds(MetadataInitRequest, ids, pairs),
        st.builds(SubscribeRequest, ids, texts),
        st.builds(UnsubscribeRequest, ids, texts),
        st.builds(NotifyUserRequest, ids, opt_texts, opt_texts, pairs),
        st.builds(NotifyUserWithPrincipalRequest, ids, opt_texts, opt_texts, opt_texts, pairs),
        st.builds(GetItemsRequest, ids, opt_texts, opt_texts, opt_texts),
        st.builds(GetSchemaRequest, ids, opt_texts, opt_texts, opt_texts, opt_texts),
        st.builds(GetItemDataRequest, ids, item_lists),
        st.builds(GetUserItemDataRequest, ids, opt_texts, item_lists),
        st.builds(NotifyUserMessageRequest, ids, opt_texts, opt_texts, opt_texts),
        st.builds(NotifyNewSessionRequest, ids, opt_texts, opt_texts, pairs),
        st.builds(NotifySessionCloseRequest, ids, opt_texts),
        st.builds(NotifyNewTablesRequest, ids, opt_texts, opt_texts,
                  st.lists(tables(version, "NNT"), max_size=2).map(tuple)),
        st.builds(NotifyTablesCloseRequest, ids, opt_texts,
                  st.lists(tables(version, "NTC"), max_size=2).map(tuple)),
        st.builds(MpnDeviceAccessRequest, ids, opt_texts, opt_texts, devices),
        st.builds(MpnSubscriptionActivationRequest, ids, opt_texts, opt_texts,
                  tables(version, "MSA"),
                  st.builds(MpnSubscriptionInfo, devices, opt_texts, opt_texts)),
        st.builds(MpnDeviceTokenChangeRequest, ids, opt_texts, opt_texts, devices, opt_texts),
    ]  # fmt: skip
    if version.smart_encoding:
        options += [
            st.builds(ForceSessionTerminationReply, ids, st.none() | any_errors),
            st.builds(ForceUnsubscriptionReply, ids, st.booleans()),
            st.builds(ForceUnsubscriptionReply, ids, st.none(), any_errors),
        ]
    return st.one_of(options)


# ---------------------------------------------------------------------- round trips


def _check_line(line: str) -> None:
    # Items 4 and 9: exactly one line, CR LF terminated.
    assert line.endswith("\r\n")
    body = line[:-2]
    assert "\r" not in body and "\n" not in body
    assert "||" not in body and not body.endswith("|")  # no empty token (§2.1)


def _round_trip_remote(version: ProtocolVersion) -> None:
    @SETTINGS
    @given(remote_messages(version))
    def check(message: Any) -> None:
        line = encode_remote_message(message, version)
        _check_line(line)
        assert parse_remote_line(line[:-2], version) == message
        assert parse_remote_line(line[:-2].encode("utf-8"), version) == message

    check()


def _round_trip_proxy(version: ProtocolVersion) -> None:
    @SETTINGS
    @given(proxy_messages(version))
    def check(message: Any) -> None:
        line = encode_proxy_message(message, version)
        _check_line(line)
        assert parse_proxy_line(line[:-2], version) == message
        assert parse_proxy_line(line[:-2].encode("utf-8"), version) == message

    check()


def test_round_trip_remote_1_8_0() -> None:
    _round_trip_remote(ALL_VERSIONS[0])


def test_round_trip_remote_1_8_2() -> None:
    _round_trip_remote(ALL_VERSIONS[1])


def test_round_trip_remote_1_8_3() -> None:
    _round_trip_remote(ALL_VERSIONS[2])


def test_round_trip_remote_1_9_0() -> None:
    _round_trip_remote(ALL_VERSIONS[3])


def test_round_trip_remote_1_9_1() -> None:
    _round_trip_remote(ALL_VERSIONS[4])


def test_round_trip_proxy_1_8_0() -> None:
    _round_trip_proxy(ALL_VERSIONS[0])


def test_round_trip_proxy_1_8_2() -> None:
    _round_trip_proxy(ALL_VERSIONS[1])


def test_round_trip_proxy_1_8_3() -> None:
    _round_trip_proxy(ALL_VERSIONS[2])


def test_round_trip_proxy_1_9_0() -> None:
    _round_trip_proxy(ALL_VERSIONS[3])


def test_round_trip_proxy_1_9_1() -> None:
    _round_trip_proxy(ALL_VERSIONS[4])


# Short strings over the characters that matter to encode_update's fast path: the
# "|S|" separator, the null/empty markers and the escaped characters.
tricky_texts = texts | st.text(st.sampled_from("S|#$%+\r\n a"), max_size=4)


@SETTINGS
@given(
    tricky_texts,
    tricky_texts,
    st.dictionaries(tricky_texts, tricky_texts | st.none(), max_size=6),
    st.booleans(),
)
def test_update_fast_path_agrees_with_the_smart_encoder(
    item: str, subscription_id: str, values: Any, is_snapshot: bool
) -> None:
    # encode_update checks a whole update at once instead of encoding every string with
    # the Smart encoding (§3.3.2); the result must match fields.py exactly.
    line = encode_update("1", item, subscription_id, is_snapshot, values, V1_9_1)
    enc = encode_string_smart
    expected = "".join(f"|S|{enc(k)}|S|{enc(v)}" for k, v in values.items())
    flag = "1" if is_snapshot else "0"
    assert line == f"1|UD3|S|{enc(item)}|S|{enc(subscription_id)}|B|{flag}{expected}\r\n"
    assert parse_remote_line(line[:-2]) == Update("1", item, subscription_id, is_snapshot,
                                                  values)  # fmt: skip


_PLAIN_NAMES = ["ab", "a b", "é€", "S1"]
_SPECIAL_NAMES = ["#", "$", "", "S", "a+b", "5%", "x|y", "c\r", "d\n", "|S|"]


@pytest.mark.parametrize("other", [*_SPECIAL_NAMES, None])
@pytest.mark.parametrize("position", [0, 1, 2])
def test_names_reply_fast_path_each_special_name(other: str | None, position: int) -> None:
    names = ["ab", "a b"]
    names.insert(position, other)
    _check_names_reply("I1", tuple(names))


@st.composite
def reply_names(draw: Callable[[Strategy], Any]) -> tuple[str | None, ...]:
    """Names the Smart encoding writes as they are, with one other name half the time."""
    names = draw(st.lists(st.sampled_from(_PLAIN_NAMES), max_size=4))
    if draw(st.booleans()):
        other = draw(st.sampled_from(_SPECIAL_NAMES) | tricky_texts | st.none())
        names.insert(draw(st.integers(0, len(names))), other)
    return tuple(names)


@SETTINGS
@given(ids, reply_names())
def test_names_reply_fast_path_agrees_with_the_smart_encoder(
    request_id: str, names: tuple[str | None, ...]
) -> None:
    _check_names_reply(request_id, names)


def _check_names_reply(request_id: str, names: tuple[str | None, ...]) -> None:
    # GIS/GSC replies join plain names at once instead of encoding them one at a time.
    expected = "".join(f"|S|{encode_string_smart(name)}" for name in names)
    assert encode_remote_message(GetItemsReply(request_id, names), V1_9_1) == (
        f"{request_id}|GIS{expected}\r\n"
    )
    assert encode_remote_message(GetSchemaReply(request_id, names), V1_9_1) == (
        f"{request_id}|GSC{expected}\r\n"
    )


# ---------------------------------------------------------------------- fuzzing

_PARSERS = (parse_proxy_line, parse_remote_line)
versions = st.sampled_from(ALL_VERSIONS)


def _parse_or_refuse(parser: Callable[..., object], line: str | bytes, version: Any) -> None:
    try:
        result = parser(line, version)
    except RemoteProtocolError:
        return
    assert result is not None


@SETTINGS
@given(st.binary(max_size=80), versions)
def test_random_bytes(line: bytes, version: ProtocolVersion) -> None:
    for parser in _PARSERS:
        _parse_or_refuse(parser, line, version)


@SETTINGS
@given(st.text(max_size=80), versions)
def test_random_text(line: str, version: ProtocolVersion) -> None:
    for parser in _PARSERS:
        _parse_or_refuse(parser, line, version)


# Tokens that exercise type letters, markers, numbers and escapes.
_TOKENS = ["S", "I", "L", "D", "B", "M", "F", "P", "Y", "V", "E", "EC", "EX", "ER", "EZ", "#",
           "$", "%", "%2", "%ZZ", "%C3", "0", "1", "-1", "2147483648", "1e400", "NaN", "x",
           "RMDC", "JM", "A", "MC40NA==", "", "KEEPALIVE", "CLOSE", "SUB", "UD3"]  # fmt: skip
_LINES = [v.line for v in VECTORS] + [b.line for b in BAD_LINES if isinstance(b.line, str)]


@st.composite
def mutated_lines(draw: Callable[[Strategy], Any]) -> str:
    """A vector line with a few tokens deleted, duplicated, replaced or inserted."""
    tokens = draw(st.sampled_from(_LINES)).split("|")
    for _ in range(draw(st.integers(1, 3))):
        position = draw(st.integers(0, len(tokens)))
        operation = draw(st.sampled_from(["delete", "duplicate", "replace", "insert", "cut"]))
        token = draw(st.sampled_from(_TOKENS) | texts.filter(lambda t: "|" not in t))
        if operation == "insert" or not tokens:
            tokens.insert(position, token)
        elif operation == "cut":
            tokens = tokens[: max(position, 1)]
        else:
            position = min(position, len(tokens) - 1)
            if operation == "delete":
                del tokens[position]
            elif operation == "duplicate":
                tokens.insert(position, tokens[position])
            else:
                tokens[position] = token
    return "|".join(tokens)


@SETTINGS
@given(mutated_lines(), versions)
def test_mutated_vectors(line: str, version: ProtocolVersion) -> None:
    for parser in _PARSERS:
        _parse_or_refuse(parser, line, version)


@SETTINGS
@given(
    st.sampled_from([Side.DATA, Side.METADATA]),
    st.none() | versions,
    st.lists(
        st.binary(max_size=30)
        | mutated_lines().map(lambda line: line.encode("utf-8") + b"\r\n")
        | st.sampled_from([v.line.encode("utf-8") + b"\r\n" for v in VECTORS
                           if v.direction == PROXY]),
        max_size=8,
    ),
)  # fmt: skip
def test_connection_never_fails_otherwise(
    side: Side, version: ProtocolVersion | None, chunks: list[bytes]
) -> None:
    connection = ProtocolConnection(side, max_line_length=200)
    if version is not None:
        connection.accept_init(version)
    for chunk in chunks:
        connection.receive_data(chunk)
        # Each call consumes one line, so this loop ends.
        for _ in range(len(chunk) + 2):
            try:
                if connection.next_message() is None:
                    break
            except RemoteProtocolError:
                continue
        else:
            raise AssertionError("next_message() never returned None")


# ---------------------------------------------------------------------- parse fast paths

_FAST_VALUES = ["#", "$", "a", "b c", "+", "a+b", "%41", "%", "%2", "S", "é", ""]
_PLAIN_VALUES = ["#", "$", "a", "b c", "S", "é", "x y z"]


def fast_path_lines(method: str) -> Strategy:
    """Lines of a method that has a parse fast path: mostly ``S|<plain value>``
    arguments, the shape of the fast paths, with an odd token one time in three."""

    @st.composite
    def lines(draw: Callable[[Strategy], Any]) -> str:
        tokens = ["I1", method]
        for _ in range(draw(st.integers(0, 6))):
            tokens += ("S", draw(st.sampled_from(_PLAIN_VALUES)))
        if draw(st.integers(0, 2)) == 0:
            position = draw(st.integers(2, len(tokens)))
            tokens.insert(position, draw(st.sampled_from([*_FAST_VALUES, "I", "E"])))
        return "|".join(tokens)

    return lines()


def _outcome(parse: Callable[[], object]) -> object:
    try:
        return parse()
    except RemoteProtocolError as err:
        return (type(err), str(err), err.request_id, err.method, err.line)


def _check_fast_path(line: str, version: ProtocolVersion) -> None:
    # parse.py builds the frequent requests straight from the tokens when it can; it must
    # give what the general _Args parsers give, errors included.
    tokens = line.split("|")
    if len(tokens) < 2 or line == "KEEPALIVE":
        return
    general = _outcome(lambda: _parse_tokens(line, tokens, version, _PROXY_PARSERS, "Proxy"))
    fast = _outcome(lambda: parse_proxy_line(line, version))
    if isinstance(general, tuple):  # the direction appears in the unknown-method text
        assert isinstance(fast, tuple)
        assert fast[0] is general[0]
        assert fast[2:] == general[2:]
    else:
        assert fast == general


@pytest.mark.parametrize("method", sorted(_FAST_PROXY_PARSERS))
def test_parse_fast_paths_agree_with_the_general_parsers(method: str) -> None:
    @SETTINGS
    @given(fast_path_lines(method), versions)
    def check(line: str, version: ProtocolVersion) -> None:
        _check_fast_path(line, version)

    check()


@SETTINGS
@given(mutated_lines(), versions)
def test_parse_fast_paths_agree_on_mutated_vectors(line: str, version: ProtocolVersion) -> None:
    _check_fast_path(line, version)
