"""PlainLanes against the typed path: same adapter calls, same logs, same reply bytes.

Sans-IO. Each request line is served twice with the same scripted adapter: once by a
lane (``PlainLanes.parse`` on the tokens, then ``lane(request_id, *args)``) and once by
the general path (``parse_proxy_line`` + ``handle_request`` + ``encode_remote_message``).
The reply line, or the :class:`LocalProtocolError` raised for a reply that cannot be
encoded, the adapter calls (arguments and order), the log records and the ordering key
must all be equal; a line the general parser refuses must not get a lane.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lightstreamer_adapter._metadata_requests import PlainLanes, handle_request, ordering_key
from lightstreamer_adapter.interfaces.metadata import (
    AccessError,
    ConflictingSessionError,
    CreditsError,
    ItemsError,
    MetadataProvider,
    MetadataProviderError,
    Mode,
    NotificationError,
    ResourceUnavailableError,
    SchemaError,
)
from lightstreamer_adapter.protocol.encode import encode_remote_message
from lightstreamer_adapter.protocol.errors import LocalProtocolError, RemoteProtocolError
from lightstreamer_adapter.protocol.messages import Method, Request
from lightstreamer_adapter.protocol.parse import parse_proxy_line
from lightstreamer_adapter.protocol.versions import V1_9_0, V1_9_1, ProtocolVersion

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
Strategy = st.SearchStrategy[Any]
Call = tuple[str, tuple[Any, ...]]
Outcome = tuple[str, str]

_MODULE_LOG = logging.getLogger("lightstreamer-adapter.server.MetaDataProviderServer")

# ------------------------------------------------------------------------ the adapter


class Raising(Exception):
    """An adapter exception whose ``str()`` itself raises."""

    def __str__(self) -> str:
        raise RuntimeError("no text")


class PerItem:
    """An answer that depends on the item (or user) name: ``choices[len(name) % n]``."""

    def __init__(self, choices: list[Any]) -> None:
        self.choices = choices

    def __call__(self, *args: Any) -> Any:
        key = args[0] if args else None
        return self.choices[len(str(key)) % len(self.choices)]

    def __repr__(self) -> str:
        return f"PerItem({self.choices!r})"


class FakeAdapter(MetadataProvider):
    """Records every call; ``answers[name]`` is a value, an exception or a callable.

    A callable is called with the call's arguments and its result is used the same way
    (an exception instance it returns is raised). Header dicts are recorded as their
    item list, so that the order of the names is compared too.
    """

    def __init__(self, answers: dict[str, Any] | None = None) -> None:
        self.answers: dict[str, Any] = dict(answers or {})
        self.calls: list[Call] = []

    def _answer(self, name: str, args: tuple[Any, ...], default: Callable[[], Any]) -> Any:
        recorded = tuple(list(a.items()) if isinstance(a, dict) else a for a in args)
        self.calls.append((name, recorded))
        if name not in self.answers:
            return default()
        answer = self.answers[name]
        if callable(answer) and not isinstance(answer, (BaseException, type)):
            answer = answer(*args)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def notify_user(self, user: Any, password: Any, http_headers: Any) -> None:
        self._answer("notify_user", (user, password, http_headers), lambda: None)

    def get_allowed_max_bandwidth(self, user: Any) -> Any:
        return self._answer("get_allowed_max_bandwidth", (user,), lambda: 0.0)

    def wants_tables_notification(self, user: Any) -> Any:
        return self._answer("wants_tables_notification", (user,), lambda: False)

    def get_items(self, user: Any, session_id: Any, group: Any) -> Any:
        return self._answer(
            "get_items",
            (user, session_id, group),
            lambda: MetadataProvider.get_items(self, user, session_id, group),
        )

    def get_schema(self, user: Any, session_id: Any, group: Any, schema: Any) -> Any:
        return self._answer(
            "get_schema",
            (user, session_id, group, schema),
            lambda: MetadataProvider.get_schema(self, user, session_id, group, schema),
        )

    def mode_may_be_allowed(self, item: Any, mode: Mode) -> Any:
        return self._answer("mode_may_be_allowed", (item, mode), lambda: True)

    def get_distinct_snapshot_length(self, item: Any) -> Any:
        return self._answer("get_distinct_snapshot_length", (item,), lambda: 0)

    def get_min_source_frequency(self, item: Any) -> Any:
        return self._answer("get_min_source_frequency", (item,), lambda: 0.0)


# ------------------------------------------------------------------- the two paths


class ListHandler(logging.Handler):
    """Keeps ``(logger, level, message)`` of every record."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.name, record.levelno, record.getMessage()))


@contextmanager
def captured_logs() -> Iterator[tuple[logging.Logger, ListHandler]]:
    """A DEBUG logger to pass to both paths; the module logger's warnings go to the same
    handler (``_items``/``_schema`` warn there whatever logger is passed)."""
    handler = ListHandler()
    log = logging.getLogger("tests.plain_lanes")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    log.addHandler(handler)
    _MODULE_LOG.addHandler(handler)
    try:
        yield log, handler
    finally:
        log.removeHandler(handler)
        _MODULE_LOG.removeHandler(handler)


def typed_outcome(
    adapter: MetadataProvider, line: str, version: ProtocolVersion, log: logging.Logger
) -> Outcome:
    """The general path: parse, handle, encode."""
    request = parse_proxy_line(line, version)
    assert isinstance(request, Request)
    reply = handle_request(adapter, request, version, log)
    try:
        return ("line", encode_remote_message(reply, version))
    except LocalProtocolError as err:
        return ("LocalProtocolError", str(err))


def lane_outcome(
    adapter: MetadataProvider, tokens: list[str], version: ProtocolVersion, log: logging.Logger
) -> Outcome:
    """The lane: parse the tokens, call the lane."""
    request = PlainLanes(adapter, version, log).parse(tokens)
    assert request is not None
    lane, _, request_id, _, args = request
    try:
        return ("line", lane(request_id, *args))
    except LocalProtocolError as err:
        return ("LocalProtocolError", str(err))


def is_plain(line: str) -> bool:
    """Whether ``next_message_or_tokens`` would return the tokens of ``line``."""
    return "%" not in line and "" not in line.split("|")


def check_line(line: str, answers: dict[str, Any], version: ProtocolVersion) -> str:
    """Serve ``line`` both ways with the same answers and compare everything.

    Returns ``"refused"`` when the general parser refuses the line (the lane's parse then
    gave ``None``), else ``"served"``.
    """
    assert is_plain(line), line
    tokens = line.split("|")
    lanes = PlainLanes(FakeAdapter(answers), version)
    try:
        request = parse_proxy_line(line, version)
    except RemoteProtocolError:
        assert lanes.parse(list(tokens)) is None, f"a lane for a malformed line: {line!r}"
        return "refused"
    assert isinstance(request, Request)
    plain = lanes.parse(list(tokens))
    assert plain is not None, f"no lane for a well-formed plain line: {line!r}"
    _, method, request_id, key, _ = plain
    assert method is request.METHOD
    assert request_id == request.request_id == tokens[0]
    assert key == ordering_key(request)

    lane_adapter, typed_adapter = FakeAdapter(answers), FakeAdapter(answers)
    with captured_logs() as (log, handler):
        lane = lane_outcome(lane_adapter, list(tokens), version, log)
        lane_logs, handler.records = handler.records, []
        typed = typed_outcome(typed_adapter, line, version, log)
        typed_logs = handler.records
    assert lane == typed, f"{line!r} with {answers!r}"
    assert lane_adapter.calls == typed_adapter.calls
    assert lane_logs == typed_logs
    return "served"


# ----------------------------------------------------------------------- strategies

versions = st.sampled_from([V1_9_0, V1_9_1])
_VALUE_CHARS = st.characters(codec="utf-8", blacklist_characters="|%\r\n")
# Values of a plain line: no "|", "%", CR, LF, never empty; "#" is null and "$" empty.
values = st.one_of(
    st.sampled_from(
        ["#", "$", "S", "I", "a b", " ", "+", "a+b", "€uro", "𩥪", "Ȭ x", "##", "$$", "#x", "u"]
    ),
    st.text(_VALUE_CHARS, min_size=1, max_size=8),
)
# Request ids: the Proxy's are hex, but any plain token reaches the lanes.
ids = st.one_of(
    st.text(
        st.characters(min_codepoint=0x21, max_codepoint=0x7E, blacklist_characters="|%"),
        min_size=1,
        max_size=10,
    ),
    st.text(_VALUE_CHARS, min_size=1, max_size=6),
)
header_names = st.one_of(st.sampled_from(["host", "h1", "REQUEST_ID", "$", "x y", "#"]), values)
headers = st.lists(st.tuples(header_names, values), max_size=4)
items = st.lists(values, max_size=5)


def errors() -> Strategy:
    """Exceptions an adapter may raise: every MetadataError subclass and others."""
    makers: list[Callable[[], BaseException]] = [
        lambda: AccessError("denied"),
        lambda: ResourceUnavailableError("busy now"),
        lambda: CreditsError(-1, "credits", "Message for client"),
        lambda: CreditsError(0, "no", None),
        lambda: ConflictingSessionError(-2, "conflict", "S1", "m"),
        lambda: ItemsError("items|bad"),
        lambda: SchemaError("schema 50%+1"),
        lambda: NotificationError("n"),
        lambda: MetadataProviderError("mp"),
        lambda: ValueError("plain €"),
        lambda: Exception(),
        lambda: Exception("\ud800"),
        lambda: KeyError("k"),
        lambda: Raising(),
    ]
    return st.sampled_from(makers).map(lambda make: make())


names = st.one_of(
    st.sampled_from(["#", "$", "", None, "a|b", "%", "+", "a b", "€", "\r\n", "\ud800", "ok"]),
    st.text(max_size=6),
)
name_answers = st.one_of(
    st.lists(names, max_size=5),
    st.lists(names, max_size=5).map(tuple),
    st.just(None),
    st.sampled_from(
        ["a b", "", b"ab", 42, [1], ["a", 2], ("x", None), frozenset({"k"}), ["a", b"b"]]
    ),
    st.just(lambda *args: (name for name in ["g1", None, "g 2"])),
    errors(),
)
floats_like = st.one_of(
    st.floats(),
    st.integers(-(2**40), 2**40),
    st.sampled_from(
        [True, False, Decimal("1.5"), Decimal("NaN"), Fraction(1, 3), "1.0", None, 2**1100]
    ),
    errors(),
)
bools_like = st.one_of(st.sampled_from([True, False, 0, 1, 2, -1, None, "1", 1.0]), errors())
ints_like = st.one_of(
    st.integers(-(2**33), 2**33),
    st.sampled_from([True, 1.0, 1.5, math.nan, math.inf, None, "3", Decimal(2)]),
    errors(),
)
truths = st.sampled_from([True, False, 1, 0, None, "x", "", [], [0]])


def maybe(name: str, strategy: Strategy) -> Strategy:
    """``{name: answer}``, an answer that depends on the item, or ``{}`` (the default)."""
    per_item = st.lists(strategy, min_size=1, max_size=3).map(PerItem)
    return st.one_of(
        st.just({}), strategy.map(lambda a: {name: a}), per_item.map(lambda a: {name: a})
    )


def merged(*parts: Strategy) -> Strategy:
    """One answers dict from several ``maybe`` strategies."""

    def merge(dicts: tuple[dict[str, Any], ...]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for part in dicts:
            result.update(part)
        return result

    return st.tuples(*parts).map(merge)


nus_answers = merged(
    maybe("notify_user", st.one_of(st.none(), errors())),
    maybe("get_allowed_max_bandwidth", floats_like),
    maybe("wants_tables_notification", bools_like),
)
git_answers = merged(
    maybe("mode_may_be_allowed", st.one_of(truths, errors())),
    maybe("get_distinct_snapshot_length", ints_like),
    maybe("get_min_source_frequency", floats_like),
)


def line_of(request_id: str, method: str, args: list[str | None]) -> str:
    """``<id>|<method>|S|<arg>...``; ``None`` args are written as ``#``."""
    tokens = [request_id, method]
    for arg in args:
        tokens += ["S", "#" if arg is None else arg]
    return "|".join(tokens)


# -------------------------------------------------------------- property tests


@SETTINGS
@given(ids, values, values, headers, nus_answers, versions)
def test_nus_lane_equals_typed_path(
    request_id: str,
    user: str,
    password: str,
    pairs: list[tuple[str, str]],
    answers: dict[str, Any],
    version: ProtocolVersion,
) -> None:
    flat = [text for pair in pairs for text in pair]
    line = line_of(request_id, "NUS", [user, password, *flat])
    outcome = check_line(line, answers, version)
    assert outcome == ("refused" if "#" in flat[::2] else "served")


def assert_session_key(line: str, session_id: str, version: ProtocolVersion) -> None:
    """The lane's ordering key of a GIS/GSC line is its decoded session id."""
    request = PlainLanes(FakeAdapter(), version).parse(line.split("|"))
    assert request is not None
    assert request[3] == {"#": None, "$": ""}.get(session_id, session_id)


@SETTINGS
@given(ids, values, values, values, st.one_of(st.none(), name_answers), versions)
def test_gis_lane_equals_typed_path(
    request_id: str,
    user: str,
    group: str,
    session_id: str,
    get_items: Any,
    version: ProtocolVersion,
) -> None:
    answers = {} if get_items is None else {"get_items": get_items}
    line = line_of(request_id, "GIS", [user, group, session_id])
    assert check_line(line, answers, version) == "served"
    assert_session_key(line, session_id, version)


@SETTINGS
@given(ids, values, values, values, values, st.one_of(st.none(), name_answers), versions)
def test_gsc_lane_equals_typed_path(
    request_id: str,
    user: str,
    group: str,
    schema: str,
    session_id: str,
    get_schema: Any,
    version: ProtocolVersion,
) -> None:
    answers = {} if get_schema is None else {"get_schema": get_schema}
    line = line_of(request_id, "GSC", [user, group, schema, session_id])
    assert check_line(line, answers, version) == "served"
    assert_session_key(line, session_id, version)


@SETTINGS
@given(ids, items, git_answers, versions)
def test_git_lane_equals_typed_path(
    request_id: str, item_names: list[str], answers: dict[str, Any], version: ProtocolVersion
) -> None:
    line = line_of(request_id, "GIT", list(item_names))
    assert check_line(line, answers, version) == "served"
    request = PlainLanes(FakeAdapter(), version).parse(line.split("|"))
    assert request is not None and request[3] is None


_LETTERS = ["S", "I", "D", "B", "M", "X", "s", "SS", "#", "$"]


@st.composite
def mutated_lines(draw: st.DrawFn) -> str:
    """A plain NUS/GIS/GSC/GIT line, then possibly a wrong type letter, a token more or
    less, a pair more or less (lines that are not of the plain shape, or are but have
    another arity)."""
    method = draw(st.sampled_from(["NUS", "GIS", "GSC", "GIT"]))
    arity = {"NUS": 2, "GIS": 3, "GSC": 4, "GIT": 2}[method]
    count = draw(st.sampled_from([arity - 1, arity, arity + 1, arity + 2]) | st.integers(0, 7))
    tokens = [draw(ids), method]
    for _ in range(count):
        tokens += ["S", draw(values)]
    for _ in range(draw(st.integers(0, 2))):
        mutation = draw(st.sampled_from(["letter", "drop", "add", "drop pair", "add pair"]))
        args = len(tokens) - 2
        if mutation == "letter" and args:
            index = 2 + draw(st.integers(0, args - 1))
            tokens[index] = draw(st.sampled_from(_LETTERS))
        elif mutation == "drop" and args:
            del tokens[2 + draw(st.integers(0, args - 1))]
        elif mutation == "add":
            tokens.insert(2 + draw(st.integers(0, args)), draw(st.sampled_from(_LETTERS)))
        elif mutation == "drop pair" and args >= 2:
            del tokens[-2:]
        elif mutation == "add pair":
            tokens += [draw(st.sampled_from(_LETTERS)), draw(values)]
    return "|".join(tokens)


@settings(SETTINGS, max_examples=300)
@given(mutated_lines(), versions)
def test_unusual_shapes_get_no_lane_and_same_outcome(line: str, version: ProtocolVersion) -> None:
    """parse() gives None exactly for the lines the general parser refuses; the
    others are served as the typed path serves them (default adapter answers)."""
    check_line(line, {}, version)


# -------------------------------------------------------------- explicit examples

MALFORMED = [
    "1|GIS|S|u|S|g",
    "1|GIS|S|u|S|g|S|s|S|x",
    "1|GIS|S|u|I|g|S|s",
    "1|GIS|S|#|S|g",
    "1|GIS|S|#|S|g|S|s|S|$",
    "1|GIS|S|u|S|g|X|#",
    "1|GIS",
    "1|GSC|S|u|S|g|S|s",
    "1|GSC|S|u|S|g|S|sc|S|s|S|x",
    "1|GSC|S|u|S|g|D|sc|S|s",
    "1|GSC|S|#|S|g|S|$",
    "1|NUS|S|u",
    "1|NUS",
    "1|NUS|S|u|S|p|S|h",
    "1|NUS|S|u|S|p|S|h|S|v|S|h2",
    "1|NUS|S|u|S|p|S|#|S|v",
    "1|NUS|S|u|S|p|S|h|S|v|S|#|S|w",
    "1|NUS|S|u|D|p",
    "1|NUS|S|#|S|p|S|h",
    "1|NUS|S|u|S|p|B|h|S|v",
    "1|GIT|S|a|I|b",
    "1|GIT|S|a|S",
    "1|GIT|S",
    "1|GIT|S|#|X|a",
    "1|GIT|M|a",
]


@pytest.mark.parametrize("line", MALFORMED)
@pytest.mark.parametrize("version", [V1_9_0, V1_9_1], ids=str)
def test_malformed_plain_lines_get_no_lane(line: str, version: ProtocolVersion) -> None:
    adapter = FakeAdapter()
    assert PlainLanes(adapter, version).parse(line.split("|")) is None
    with pytest.raises(RemoteProtocolError):
        parse_proxy_line(line, version)
    assert adapter.calls == []


@pytest.mark.parametrize(
    "line", ["1|NUA|S|u|S|p|S|pr", "1|NSC|S|s", "1|GUI|S|u|S|i", "1|NNS|S|u|S|s", "1|SUB|S|i"]
)
def test_other_methods_get_no_lane(line: str) -> None:
    assert PlainLanes(FakeAdapter(), V1_9_1).parse(line.split("|")) is None


def test_methods() -> None:
    assert frozenset({"NUS", "GIS", "GSC", "GIT"}) == PlainLanes.METHODS


@pytest.mark.parametrize(
    ("line", "method", "key", "args"),
    [
        ("A|GIS|S|u|S|g|S|sid", Method.GIS, "sid", ("u", "g", "sid")),
        ("A|GIS|S|u|S|g|S|#", Method.GIS, None, ("u", "g", None)),
        ("A|GIS|S|#|S|$|S|$", Method.GIS, "", (None, "", "")),
        ("A|GSC|S|u|S|g|S|sc|S|sid", Method.GSC, "sid", ("u", "g", "sc", "sid")),
        ("A|GSC|S|u|S|g|S|sc|S|#", Method.GSC, None, ("u", "g", "sc", None)),
        ("A|GIT", Method.GIT, None, ([],)),
        ("A|GIT|S|a b|S|#|S|$", Method.GIT, None, (["a b", None, ""],)),
        ("A|NUS|S|u|S|p", Method.NUS, None, ("u", "p", {})),
        ("A|NUS|S|#|S|$|S|h|S|#", Method.NUS, None, (None, "", {"h": None})),
    ],
)
def test_parse_gives_method_key_and_args(
    line: str, method: Method, key: str | None, args: tuple[Any, ...]
) -> None:
    request = PlainLanes(FakeAdapter(), V1_9_1).parse(line.split("|"))
    assert request is not None
    _, got_method, request_id, got_key, got_args = request
    assert (got_method, request_id, got_key) == (method, "A", key)
    assert tuple(list(a) if isinstance(a, (list, tuple)) else a for a in got_args) == tuple(
        list(a) if isinstance(a, (list, tuple)) else a for a in args
    )


def test_repeated_header_keeps_first_position_and_last_value() -> None:
    line = "R|NUS|S|u|S|p|S|h1|S|v1|S|h2|S|v2|S|h1|S|v3"
    answers = {"get_allowed_max_bandwidth": 12.34, "wants_tables_notification": True}
    assert check_line(line, answers, V1_9_1) == "served"
    adapter = FakeAdapter(answers)
    assert lane_outcome(adapter, line.split("|"), V1_9_1, _MODULE_LOG) == (
        "line",
        "R|NUS|D|12.34|B|1\r\n",
    )
    assert adapter.calls[0] == ("notify_user", ("u", "p", [("h1", "v3"), ("h2", "v2")]))


@pytest.mark.parametrize(
    ("line", "answers", "reply"),
    [
        ("E|NUS|S|u|S|p", {"notify_user": AccessError("A Message")}, "E|NUS|EA|A Message"),
        (
            "E|NUS|S|u|S|p",
            {"notify_user": ResourceUnavailableError("busy")},
            "E|NUS|ER|busy",
        ),
        (
            "E|NUS|S|u|S|p",
            {"get_allowed_max_bandwidth": CreditsError(-1, "A Message", "for client")},
            "E|NUS|EC|A Message|-1|for client",
        ),
        ("E|NUS|S|u|S|p", {"wants_tables_notification": ItemsError("i")}, "E|NUS|E|i"),
        ("E|GIS|S|u|S|g|S|s", {"get_items": ItemsError("A Message")}, "E|GIS|EI|A Message"),
        ("E|GIS|S|u|S|g|S|s", {"get_items": SchemaError("s")}, "E|GIS|E|s"),
        ("E|GSC|S|u|S|g|S|c|S|s", {"get_schema": SchemaError("x|y")}, "E|GSC|ES|x%7Cy"),
        ("E|GSC|S|u|S|g|S|c|S|s", {"get_schema": ItemsError("i")}, "E|GSC|EI|i"),
        ("E|GIT|S|a", {"get_min_source_frequency": ItemsError("i")}, "E|GIT|E|i"),
        ("E|GIT|S|a", {"mode_may_be_allowed": Exception("boom")}, "E|GIT|E|boom"),
        ("E|GIT|S|a", {"get_distinct_snapshot_length": Raising()}, "E|GIT|E|Raising"),
    ],
)
def test_adapter_errors_give_the_mapped_reply(
    line: str, answers: dict[str, Any], reply: str
) -> None:
    assert check_line(line, answers, V1_9_1) == "served"
    outcome = lane_outcome(FakeAdapter(answers), line.split("|"), V1_9_1, _MODULE_LOG)
    assert outcome == ("line", reply + "\r\n")


@pytest.mark.parametrize(
    ("line", "answers", "start"),
    [
        (
            "U|NUS|S|u|S|p",
            {"get_allowed_max_bandwidth": math.nan},
            "U|NUS|E|get_allowed_max_bandwidth() returned nan (float)",
        ),
        (
            "U|NUS|S|u|S|p",
            {"get_allowed_max_bandwidth": True},
            "U|NUS|E|get_allowed_max_bandwidth() returned True (bool)",
        ),
        (
            "U|NUS|S|u|S|p",
            {"wants_tables_notification": None},
            "U|NUS|E|wants_tables_notification() returned None",
        ),
        ("U|GIS|S|u|S|g|S|s", {"get_items": "a b"}, "U|GIS|E|get_items() returned 'a b' (str)"),
        ("U|GSC|S|u|S|g|S|c|S|s", {"get_schema": [1]}, "U|GSC|E|get_schema() returned [1]"),
        (
            "U|GIT|S|a",
            {"get_distinct_snapshot_length": True},
            "U|GIT|E|get_distinct_snapshot_length() returned True (bool)",
        ),
        (
            "U|GIT|S|a",
            {"get_min_source_frequency": math.inf},
            "U|GIT|E|get_min_source_frequency() returned inf",
        ),
    ],
)
def test_unusable_return_values_give_a_generic_error(
    line: str, answers: dict[str, Any], start: str
) -> None:
    assert check_line(line, answers, V1_9_1) == "served"
    kind, text = lane_outcome(FakeAdapter(answers), line.split("|"), V1_9_1, _MODULE_LOG)
    assert kind == "line" and text.startswith(start)


@pytest.mark.parametrize(
    ("line", "answers"),
    [
        ("L|GIS|S|u|S|g|S|s", {"get_items": ["ok", "\ud800"]}),
        ("L|GSC|S|u|S|g|S|c|S|s", {"get_schema": ("\ud800",)}),
        ("L|NUS|S|u|S|p", {"notify_user": Exception("\ud800")}),
        ("L|GIS|S|u|S|g|S|s", {"get_items": ItemsError("bad \ud800")}),
        ("L|GIT|S|a", {"get_min_source_frequency": ValueError("\udfff")}),
    ],
)
def test_unencodable_replies_raise_in_both_paths(line: str, answers: dict[str, Any]) -> None:
    """A reply UTF-8 cannot carry: the lane raises what encode_remote_message raises."""
    assert check_line(line, answers, V1_9_1) == "served"
    with pytest.raises(LocalProtocolError):
        request = PlainLanes(FakeAdapter(answers), V1_9_1).parse(line.split("|"))
        assert request is not None
        lane, _, request_id, _, args = request
        lane(request_id, *args)


def test_git_call_order_is_per_item_and_stops_at_the_first_error() -> None:
    answers = {
        "mode_may_be_allowed": lambda item, mode: mode in (Mode.MERGE, Mode.COMMAND),
        "get_distinct_snapshot_length": PerItem([1, 2, ValueError("third")]),
    }
    line = "G|GIT|S|a|S|bb|S|ccc|S|dddd"  # "a" gets 2, "bb" the error
    assert check_line(line, answers, V1_9_1) == "served"
    adapter = FakeAdapter(answers)
    outcome = lane_outcome(adapter, line.split("|"), V1_9_1, _MODULE_LOG)
    assert outcome == ("line", "G|GIT|E|third\r\n")
    assert [name for name, _ in adapter.calls] == [
        *["mode_may_be_allowed"] * 4,
        "get_distinct_snapshot_length",
        "get_min_source_frequency",
        *["mode_may_be_allowed"] * 4,
        "get_distinct_snapshot_length",
    ]
    assert [args[1] for name, args in adapter.calls[:4]] == list(Mode)


def test_gis_gsc_argument_order() -> None:
    """ARI order user, group, session; adapter order user, session, group (§5.16, §5.17)."""
    adapter = FakeAdapter({"get_items": ["i"], "get_schema": ["f"]})
    for line in ("A|GIS|S|u|S|g|S|s", "B|GSC|S|u|S|g|S|c|S|s"):
        request = PlainLanes(adapter, V1_9_1).parse(line.split("|"))
        assert request is not None
        lane, _, request_id, _, args = request
        lane(request_id, *args)
    assert adapter.calls == [("get_items", ("u", "s", "g")), ("get_schema", ("u", "s", "g", "c"))]
