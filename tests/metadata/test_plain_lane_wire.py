"""The plain lanes over a real socket: exact reply bytes, errors, ordering.

The simulated Proxy sends raw request lines; at ARI 1.9.x the frequent requests (``NUS``,
``GIS``, ``GSC``, ``GIT``) are served by the plain lanes, at 1.8.x by the typed path.
Both must give the bytes of ARI-PROTOCOL.md §5.14-§5.18, the same error replies, and the
same handling of malformed lines (§6.9: a generic error reply and the exception handler).
A server with the lanes switched off serves the same lines for comparison.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from lightstreamer_adapter._metadata_requests import PlainLanes
from lightstreamer_adapter.interfaces.metadata import (
    AccessError,
    CreditsError,
    ItemsError,
    MetadataProvider,
    ResourceUnavailableError,
    SchemaError,
)
from lightstreamer_adapter.protocol.errors import LocalProtocolError, RemoteProtocolError
from lightstreamer_adapter.protocol.fields import encode_string_bc, encode_string_smart
from lightstreamer_adapter.server import ExceptionHandler, MetadataProviderServer
from lightstreamer_adapter.testing import MetadataProxySimulator

Serve = Callable[..., MetadataProviderServer]
WaitUntil = Callable[[Callable[[], object], float, str], None]
SCALE = float(os.environ.get("LS_TEST_TIMEOUT_SCALE", "1"))
SESSION = "S8f3da29cfc463220T5454537"


def T(seconds: float = 5.0) -> float:
    """A timeout, scaled by ``LS_TEST_TIMEOUT_SCALE``."""
    return seconds * SCALE


class Recorder(ExceptionHandler):
    """Records what the server reports; never ends the process."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: list[Exception] = []

    def handle_exception(self, exception: Exception) -> bool:
        self.errors.append(exception)
        return False

    def handle_ioexception(self, exception: Exception) -> bool:
        return False


class TypedOnlyServer(MetadataProviderServer):
    """A server that never turns the plain lanes on: every request takes the typed path."""

    def _serve_plain_requests(self) -> None:
        pass


@pytest.fixture
def lane_methods(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The method of every line ``PlainLanes.parse`` is given (the lanes' use)."""
    seen: list[str] = []
    original = PlainLanes.parse

    def spy(self: PlainLanes, tokens: list[str]) -> Any:
        seen.append(tokens[1])
        return original(self, tokens)

    monkeypatch.setattr(PlainLanes, "parse", spy)
    return seen


def exchange(proxy: MetadataProxySimulator, line: str) -> str:
    """Send one raw request line and return the next line written by the adapter."""
    proxy.send_raw(line)
    return proxy.expect_line()


def replies_by_id(proxy: MetadataProxySimulator, count: int) -> dict[str, str]:
    """The next ``count`` lines, by request id (replies may come in any order)."""
    lines = [proxy.expect_line(T()) for _ in range(count)]
    by_id = {line.partition("|")[0]: line for line in lines}
    assert len(by_id) == count, lines
    return by_id


# ------------------------------------------------------------ the examples of the spec


@pytest.mark.parametrize("version", ["1.9.1", "1.9.0"])
def test_spec_examples_at_1_9_use_the_lanes(
    proxy: MetadataProxySimulator,
    serve: Serve,
    recording_adapter: Any,
    lane_methods: list[str],
    version: str,
) -> None:
    modes = {"An Item Name1": "RM", "An Item Name2": "D"}
    adapter = recording_adapter(
        get_allowed_max_bandwidth=12.34,
        wants_tables_notification=True,
        get_items=["Item 1", "Item 2"],
        get_schema=["Field 1", "Field 2"],
        mode_may_be_allowed=lambda item, mode: mode.value in modes[item],
        get_distinct_snapshot_length=lambda item: {"An Item Name1": 10, "An Item Name2": 5}[item],
        get_min_source_frequency=lambda item: {"An Item Name1": 0.5, "An Item Name2": 0}[item],
    )
    serve(adapter, version)
    line = "FAKEID|NUS|S|user|S|password|S|header1|S|value 1|S|header2|S|value 2"
    assert exchange(proxy, line) == "FAKEID|NUS|D|12.34|B|1"
    assert adapter.calls[:3] == [
        ("notify_user", ("user", "password", {"header1": "value 1", "header2": "value 2"})),
        ("get_allowed_max_bandwidth", ("user",)),
        ("wants_tables_notification", ("user",)),
    ]
    line = "FAKEID|GIS|S|user|S|group|S|FAKESESSID"
    assert exchange(proxy, line) == "FAKEID|GIS|S|Item 1|S|Item 2"
    assert adapter.calls[-1] == ("get_items", ("user", "FAKESESSID", "group"))
    line = "FAKEID|GSC|S|user|S|group|S|schema|S|FAKESESSID"
    assert exchange(proxy, line) == "FAKEID|GSC|S|Field 1|S|Field 2"
    assert adapter.calls[-1] == ("get_schema", ("user", "FAKESESSID", "group", "schema"))
    line = "FAKEID|GIT|S|An Item Name1|S|An Item Name2"
    assert exchange(proxy, line) == "FAKEID|GIT|I|10|D|0.5|M|RM|I|5|D|0.0|M|D"
    assert lane_methods == ["NUS", "GIS", "GSC", "GIT"]
    # An escaped line goes the typed way, with the same result (§5.14 Node test).
    line = (
        "FAKEID|NUS|S|user|S|password|S|header %0D|S|value 𩥪|S|header $|S|%23"
        "|S|header %2B|S|value Ȭ|S|header %7C|S|value €"
    )
    assert exchange(proxy, line) == "FAKEID|NUS|D|12.34|B|1"
    assert adapter.calls[-3][1][2] == {
        "header \r": "value 𩥪",
        "header $": "#",
        "header +": "value Ȭ",
        "header |": "value €",
    }
    assert lane_methods == ["NUS", "GIS", "GSC", "GIT"]
    # "+" is a plus in the Smart encoding, sent back escaped; "$"/"#" names escaped too.
    adapter.answers["get_items"] = lambda user, session_id, group: group.split(" ")
    line = "P|GIS|S|user1|S|nasdaq100_AA_AL+abc|S|" + SESSION
    assert exchange(proxy, line) == "P|GIS|S|nasdaq100_AA_AL%2Babc"
    adapter.answers["get_items"] = ["#", "$", "", None, "a|b", "€"]
    assert exchange(proxy, "Q|GIS|S|u|S|g|S|s") == "Q|GIS|S|%23|S|%24|S|$|S|#|S|a%7Cb|S|€"


def test_spec_examples_at_1_8_3_use_the_typed_path(
    proxy: MetadataProxySimulator,
    serve: Serve,
    recording_adapter: Any,
    lane_methods: list[str],
) -> None:
    table = {"item_1": (10, 4.5, "MD"), "item_2": (20, 7.3, "RMC"), "item_3": (0, 0.0, "")}
    adapter = recording_adapter(
        get_allowed_max_bandwidth=12.3,
        wants_tables_notification=True,
        get_items=["nasdaq100_AA_AL", "abc"],
        mode_may_be_allowed=lambda item, mode: mode.value in table[item][2],
        get_distinct_snapshot_length=lambda item: table[item][0],
        get_min_source_frequency=lambda item: table[item][1],
    )
    serve(adapter, "1.8.3")
    line = "10000010c3e4d0462|NUS|S|userX|S|remote_password|S|host|S|www.mycompany.com"
    assert exchange(proxy, line) == "10000010c3e4d0462|NUS|D|12.3|B|1"
    assert adapter.calls[0] == (
        "notify_user",
        ("userX", "remote_password", {"host": "www.mycompany.com"}),
    )
    line = f"50000010c3e4d0462|GIS|S|user1|S|nasdaq100_AA_AL+abc|S|{SESSION}"
    assert exchange(proxy, line) == "50000010c3e4d0462|GIS|S|nasdaq100_AA_AL|S|abc"
    assert adapter.calls[-1] == ("get_items", ("user1", SESSION, "nasdaq100_AA_AL abc"))
    adapter.answers["get_items"] = []
    assert exchange(proxy, line) == "50000010c3e4d0462|GIS"
    adapter.answers["get_items"] = ItemsError("Empty User")
    assert exchange(proxy, line) == "50000010c3e4d0462|GIS|EI|Empty+User"
    adapter.answers["get_schema"] = lambda user, session_id, group, schema: schema.split(" ")
    line = f"70000010c3e4d0462|GSC|S|user1|S|nasdaq100_AA_AL+abc|S|short1+short2|S|{SESSION}"
    assert exchange(proxy, line) == "70000010c3e4d0462|GSC|S|short1|S|short2"
    assert adapter.calls[-1] == (
        "get_schema",
        ("user1", SESSION, "nasdaq100_AA_AL abc", "short1 short2"),
    )
    line = "70000010c3e4d0462|GIT|S|item_1|S|item_2|S|item_3"
    assert (
        exchange(proxy, line)
        == "70000010c3e4d0462|GIT|I|10|D|4.5|M|MD|I|20|D|7.3|M|RMC|I|0|D|0.0|M|$"
    )
    adapter.answers["get_min_source_frequency"] = RuntimeError("Error for provided item")
    assert exchange(proxy, line) == "70000010c3e4d0462|GIT|E|Error+for+provided+item"
    adapter.answers["notify_user"] = CreditsError(10, "CreditsError", "User not allowed")
    line = "10000010c3e4d0462|NUS|S|userX|S|remote_password"
    assert exchange(proxy, line) == "10000010c3e4d0462|NUS|EC|CreditsError|10|User+not+allowed"
    assert lane_methods == []


# ---------------------------------------------------------------- values and headers


def test_null_and_empty_session_ids(
    proxy: MetadataProxySimulator, serve: Serve, recording_adapter: Any, lane_methods: list[str]
) -> None:
    adapter = recording_adapter(get_items=["i"], get_schema=["f"])
    serve(adapter)
    assert exchange(proxy, "G1|GIS|S|u|S|g|S|#") == "G1|GIS|S|i"
    assert adapter.calls[-1] == ("get_items", ("u", None, "g"))
    assert exchange(proxy, "G2|GIS|S|#|S|$|S|$") == "G2|GIS|S|i"
    assert adapter.calls[-1] == ("get_items", (None, "", ""))
    assert exchange(proxy, "G3|GSC|S|u|S|g|S|sc|S|#") == "G3|GSC|S|f"
    assert adapter.calls[-1] == ("get_schema", ("u", None, "g", "sc"))
    assert exchange(proxy, "G4|GIT|S|#|S|$") == "G4|GIT|I|0|D|0.0|M|RMDC|I|0|D|0.0|M|RMDC"
    assert [args[0] for name, args in adapter.calls if name == "get_min_source_frequency"] == [
        None,
        "",
    ]
    assert exchange(proxy, "G5|GIT") == "G5|GIT"
    assert lane_methods == ["GIS", "GIS", "GSC", "GIT", "GIT"]


def test_nus_with_several_and_repeated_headers(
    proxy: MetadataProxySimulator, serve: Serve, recording_adapter: Any, lane_methods: list[str]
) -> None:
    adapter = recording_adapter(get_allowed_max_bandwidth=40, wants_tables_notification=1)
    serve(adapter)
    line = (
        "H|NUS|S|u ü|S|p w|S|host|S|example.com|S|REQUEST_ID|S|a1|S|accept|S|#"
        "|S|host|S|other.example.com|S|x-empty|S|$"
    )
    assert exchange(proxy, line) == "H|NUS|D|40.0|B|1"
    name, (user, password, headers) = adapter.calls[0]
    assert (name, user, password) == ("notify_user", "u ü", "p w")
    assert list(headers.items()) == [
        ("host", "other.example.com"),
        ("REQUEST_ID", "a1"),
        ("accept", None),
        ("x-empty", ""),
    ]
    assert [name for name, _ in adapter.calls] == [
        "notify_user",
        "get_allowed_max_bandwidth",
        "wants_tables_notification",
    ]
    assert exchange(proxy, "H2|NUS|S|#|S|#") == "H2|NUS|D|40.0|B|1"
    assert adapter.calls[-3] == ("notify_user", (None, None, {}))
    assert lane_methods == ["NUS", "NUS"]


# ------------------------------------------------------------------------- errors


@pytest.mark.parametrize("version", ["1.9.1", "1.8.3"])
@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("BADG|GIS|S|u|S|g", "Truncated line: the session id is missing"),
        (
            "BADG|GIS|S|u|S|g|S|s|S|x",
            "2 unexpected extra token(s) starting with 'S' (an unescaped '|' in a value?)",
        ),
        ("BADG|GIS|S|u|I|g|S|s", "Unexpected type 'I' for the group: expected 'S'"),
    ],
)
def test_malformed_gis_gets_a_generic_error_and_the_handler(
    proxy: MetadataProxySimulator,
    serve: Serve,
    recording_adapter: Any,
    wait_until: WaitUntil,
    lane_methods: list[str],
    version: str,
    line: str,
    message: str,
) -> None:
    """§6.9 as in base.py ``_on_malformed``: a generic error reply with the parser's
    message, then the RemoteProtocolError to the exception handler; the adapter is not
    called and the connection goes on."""
    adapter = recording_adapter(get_items=["i"])
    server = serve(adapter, version)
    handler = Recorder()
    server.set_exception_handler(handler)
    encode = encode_string_bc if version == "1.8.3" else encode_string_smart
    assert exchange(proxy, line) == f"BADG|GIS|E|{encode(message)}"
    wait_until(lambda: handler.errors, T(), "the exception handler")
    [error] = handler.errors
    assert isinstance(error, RemoteProtocolError)
    assert (error.args[0], error.request_id, error.method) == (message, "BADG", "GIS")
    assert adapter.calls == []
    assert exchange(proxy, "OK|GIS|S|u|S|g|S|s") == "OK|GIS|S|i"
    assert lane_methods == ([] if version == "1.8.3" else ["GIS", "GIS"])


@pytest.mark.parametrize(
    ("line", "answers", "reply"),
    [
        ("X|NUS|S|u|S|p", {"notify_user": AccessError("A Message")}, "X|NUS|EA|A Message"),
        (
            "X|NUS|S|u|S|p",
            {"notify_user": ResourceUnavailableError("Authentication back-end busy")},
            "X|NUS|ER|Authentication back-end busy",
        ),
        (
            "X|NUS|S|u|S|p",
            {"notify_user": CreditsError(-1, "A Message", "Message for client")},
            "X|NUS|EC|A Message|-1|Message for client",
        ),
        (
            "X|NUS|S|u|S|p",
            {"wants_tables_notification": CreditsError(0, "late", None)},
            "X|NUS|EC|late|0|#",
        ),
        ("X|NUS|S|u|S|p", {"notify_user": KeyError("k")}, "X|NUS|E|'k'"),
        ("X|GIS|S|u|S|g|S|s", {"get_items": ItemsError("A Message")}, "X|GIS|EI|A Message"),
        ("X|GIS|S|u|S|g|S|s", {"get_items": SchemaError("s")}, "X|GIS|E|s"),
        ("X|GSC|S|u|S|g|S|c|S|s", {"get_schema": SchemaError("A Message")}, "X|GSC|ES|A Message"),
        ("X|GSC|S|u|S|g|S|c|S|s", {"get_schema": ItemsError("i|j")}, "X|GSC|EI|i%7Cj"),
        ("X|GSC|S|u|S|g|S|c|S|s", {"get_schema": CreditsError(1, "c")}, "X|GSC|E|c"),
        ("X|GIT|S|a|S|b", {"get_min_source_frequency": ItemsError("i")}, "X|GIT|E|i"),
        ("X|GIT|S|a", {"mode_may_be_allowed": RuntimeError("50%+1")}, "X|GIT|E|50%25%2B1"),
    ],
)
def test_adapter_errors_give_the_mapped_error_reply(
    proxy: MetadataProxySimulator,
    serve: Serve,
    recording_adapter: Any,
    lane_methods: list[str],
    line: str,
    answers: dict[str, Any],
    reply: str,
) -> None:
    serve(recording_adapter(**answers))
    assert exchange(proxy, line) == reply
    assert lane_methods == [line.split("|")[1]]


# ------------------------------------------------------ lanes on and off, side by side


class Quirky(MetadataProvider):
    """Answers by name: the awkward values an adapter may return or raise."""

    def notify_user(self, user: Any, password: Any, http_headers: Any) -> None:
        if user == "raise":
            raise AccessError(f"no {sorted(http_headers.items())}")
        if user == "surrogate":
            raise ValueError("bad \ud800")

    def get_allowed_max_bandwidth(self, user: Any) -> Any:
        return {"nan": math.nan, "bool": True, "big": 2**1100}.get(user, 1.5)

    def wants_tables_notification(self, user: Any) -> Any:
        return {"none": None, "two": 2}.get(user, False)

    def get_items(self, user: Any, session_id: Any, group: Any) -> Any:
        answers: dict[Any, Any] = {
            "none": None,
            "str": "a b",
            "bytes": [b"x"],
            "surrogate": ["ok", "\ud800"],
            "odd": ["#", "$", "", None, "a|b", "+", "%", "€ x"],
            "raise": ItemsError(f"{user}/{session_id}"),
        }
        answer = answers.get(group, [f"{user}:{session_id}"])
        if isinstance(answer, Exception):
            raise answer
        return answer

    def get_schema(self, user: Any, session_id: Any, group: Any, schema: Any) -> Any:
        if schema == "schema-error":
            raise SchemaError("no such schema")
        return self.get_items(user, session_id, schema)

    def mode_may_be_allowed(self, item: Any, mode: Any) -> Any:
        return item != "none" and (mode.value in "MD" or item == "all")

    def get_distinct_snapshot_length(self, item: Any) -> Any:
        return {"bool": True, "float": 3.0, "big": 2**31, "half": 1.5}.get(item, 7)

    def get_min_source_frequency(self, item: Any) -> Any:
        if item == "raise":
            raise RuntimeError("frequency|failed")
        return {"nan": math.nan, "int": 2, "inf": math.inf}.get(item, 0.25)


# Each line with whether the server reports an exception for it (malformed line or a
# reply that cannot be encoded).
SIDE_BY_SIDE = [
    ("a1|NUS|S|u|S|p", False),
    ("a2|NUS|S|raise|S|p|S|h|S|1|S|h|S|2|S|g|S|#", False),
    ("a3|NUS|S|surrogate|S|p", True),
    ("a4|NUS|S|nan|S|p", False),
    ("a5|NUS|S|bool|S|p", False),
    ("a6|NUS|S|big|S|p", False),
    ("a7|NUS|S|none|S|p", False),
    ("a8|NUS|S|two|S|p", False),
    ("a9|NUS|S|u|S|p|S|#|S|v", True),
    ("aa|NUS|S|u", True),
    ("b1|GIS|S|u|S|g|S|s1", False),
    ("b2|GIS|S|u|S|none|S|s1", False),
    ("b3|GIS|S|u|S|str|S|s1", False),
    ("b4|GIS|S|u|S|bytes|S|s1", False),
    ("b5|GIS|S|u|S|surrogate|S|s1", True),
    ("b6|GIS|S|u|S|odd|S|#", False),
    ("b7|GIS|S|€ u|S|raise|S|$", False),
    ("b8|GIS|S|u|S|g", True),
    ("c1|GSC|S|u|S|g|S|sc|S|s1", False),
    ("c2|GSC|S|u|S|g|S|schema-error|S|s1", False),
    ("c3|GSC|S|u|S|g|S|odd|S|#", False),
    ("c4|GSC|S|u|S|g|S|surrogate|S|s2", True),
    ("c5|GSC|S|u|S|g|S|sc|S|s1|S|x", True),
    ("d1|GIT|S|i|S|all|S|none", False),
    ("d2|GIT|S|bool", False),
    ("d3|GIT|S|float|S|int", False),
    ("d4|GIT|S|i|S|big", False),
    ("d5|GIT|S|half", False),
    ("d6|GIT|S|nan", False),
    ("d7|GIT|S|inf", False),
    ("d8|GIT|S|i|S|raise", False),
    ("d9|GIT", False),
    ("da|GIT|S|i|X|j", True),
]


ServerClass = type[MetadataProviderServer]


@contextmanager
def attached(
    server_class: ServerClass, version: str
) -> Iterator[tuple[MetadataProxySimulator, Recorder]]:
    """A simulator of its own, attached to a new server of ``server_class`` serving a
    :class:`Quirky` adapter (both closed at the end)."""
    handler = Recorder()
    with MetadataProxySimulator(timeout=T()) as simulator:
        server = server_class(Quirky(), simulator.address)
        server.set_exception_handler(handler)
        simulator.attach(server, version=version)
        yield simulator, handler


def serve_lines(
    server_class: ServerClass, version: str, wait_until: WaitUntil
) -> tuple[list[str], list[tuple[str, str]]]:
    """Send SIDE_BY_SIDE one at a time; the replies and the reported exceptions."""
    with attached(server_class, version) as (simulator, handler):
        replies = [exchange(simulator, line) for line, _ in SIDE_BY_SIDE]
        expected = sum(reported for _, reported in SIDE_BY_SIDE)
        wait_until(lambda: len(handler.errors) >= expected, T(), "the reported exceptions")
        errors = [(type(err).__name__, str(err)) for err in handler.errors]
    return replies, errors


@pytest.mark.parametrize("version", ["1.9.1", "1.9.0"])
def test_lanes_and_typed_path_send_the_same_bytes(
    wait_until: WaitUntil, lane_methods: list[str], version: str
) -> None:
    lanes = serve_lines(MetadataProviderServer, version, wait_until)
    assert len(lane_methods) == len(SIDE_BY_SIDE)  # every line went to PlainLanes.parse
    typed = serve_lines(TypedOnlyServer, version, wait_until)
    assert len(lane_methods) == len(SIDE_BY_SIDE)  # and none here
    assert lanes[0] == typed[0]
    # The reports come from the threads that served the lines: compared as multisets.
    assert sorted(lanes[1]) == sorted(typed[1])
    replies = dict(zip([line for line, _ in SIDE_BY_SIDE], lanes[0], strict=True))
    # A few of them spelled out.
    assert replies["a2|NUS|S|raise|S|p|S|h|S|1|S|h|S|2|S|g|S|#"] == (
        "a2|NUS|EA|no [('g', None), ('h', '2')]"
    )
    assert (
        replies["b6|GIS|S|u|S|odd|S|#"] == "b6|GIS|S|%23|S|%24|S|$|S|#|S|a%7Cb|S|%2B|S|%25|S|€ x"
    )
    assert replies["b7|GIS|S|€ u|S|raise|S|$"] == "b7|GIS|EI|€ u/"
    assert replies["d1|GIT|S|i|S|all|S|none"] == (
        "d1|GIT|I|7|D|0.25|M|MD|I|7|D|0.25|M|RMDC|I|7|D|0.25|M|$"
    )
    assert replies["d3|GIT|S|float|S|int"] == "d3|GIT|I|3|D|0.25|M|MD|I|7|D|2.0|M|MD"
    assert replies["d8|GIT|S|i|S|raise"] == "d8|GIT|E|frequency%7Cfailed"
    assert replies["a4|NUS|S|nan|S|p"].startswith(
        "a4|NUS|E|get_allowed_max_bandwidth() returned nan"
    )
    assert replies["b5|GIS|S|u|S|surrogate|S|s1"].startswith("b5|GIS|E|")
    assert sorted(name for name, _ in lanes[1]) == [
        *["LocalProtocolError"] * 3,
        *["RemoteProtocolError"] * 5,
    ]


def test_unencodable_reply_is_answered_and_reported(
    proxy: MetadataProxySimulator,
    serve: Serve,
    recording_adapter: Any,
    wait_until: WaitUntil,
    lane_methods: list[str],
) -> None:
    server = serve(recording_adapter(get_items=["ok", "\ud800"]))
    handler = Recorder()
    server.set_exception_handler(handler)
    reply = exchange(proxy, "U|GIS|S|u|S|g|S|s")
    assert reply.startswith("U|GIS|E|")
    wait_until(lambda: handler.errors, T(), "the exception handler")
    assert isinstance(handler.errors[0], LocalProtocolError)
    assert lane_methods == ["GIS"]
    assert exchange(proxy, "V|GIT|S|i") == "V|GIT|I|0|D|0.0|M|RMDC"


# ------------------------------------------------------------------------- ordering


class SessionLog(MetadataProvider):
    """Records ``(session, call)`` in call order; get_items of ``slow`` sessions waits."""

    def __init__(self, release: threading.Event) -> None:
        self.release = release
        self.entered = threading.Event()
        self.timed_out = False
        self.lock = threading.Lock()
        self.log: list[tuple[Any, str]] = []

    def _add(self, session_id: Any, what: str) -> None:
        with self.lock:
            self.log.append((session_id, what))

    def calls_of(self, session_id: str) -> list[str]:
        with self.lock:
            return [what for session, what in self.log if session == session_id]

    def notify_new_session(self, user: Any, session_id: Any, client_context: Any) -> None:
        self._add(session_id, "NNS")

    def get_items(self, user: Any, session_id: Any, group: Any) -> Any:
        if str(session_id).startswith("slow"):
            self.entered.set()
            if not self.release.wait(T()):
                self.timed_out = True
        self._add(session_id, "GIS")
        return [group]

    def get_schema(self, user: Any, session_id: Any, group: Any, schema: Any) -> Any:
        self._add(session_id, "GSC")
        return [schema]

    def notify_session_close(self, session_id: Any) -> None:
        self._add(session_id, "NSC")


def test_requests_of_a_session_keep_their_order(
    proxy: MetadataProxySimulator, serve: Serve, lane_methods: list[str]
) -> None:
    adapter = SessionLog(threading.Event())
    serve(adapter, thread_pool_size=4)
    sessions = [f"s{n}" for n in range(20)]
    steps = ["NNS", "GIS", "GSC", "NSC"]
    for step in steps:
        for session in sessions:  # interleaved: every session's step, then the next step
            rid = f"{step}-{session}"
            if step == "NNS":
                proxy.send_raw(f"{rid}|NNS|S|u|S|{session}|S|REMOTE_IP|S|1.2.3.4")
            elif step == "GIS":
                proxy.send_raw(f"{rid}|GIS|S|u|S|g-{session}|S|{session}")
            elif step == "GSC":
                proxy.send_raw(f"{rid}|GSC|S|u|S|g|S|f-{session}|S|{session}")
            else:
                proxy.send_raw(f"{rid}|NSC|S|{session}")
    lines = [proxy.expect_line(T()) for _ in range(len(steps) * len(sessions))]
    for session in sessions:
        assert adapter.calls_of(session) == steps
        mine = [line for line in lines if line.split("|")[0].endswith(f"-{session}")]
        assert mine == [
            f"NNS-{session}|NNS|V",
            f"GIS-{session}|GIS|S|g-{session}",
            f"GSC-{session}|GSC|S|f-{session}",
            f"NSC-{session}|NSC|V",
        ]
    assert lane_methods.count("GIS") == lane_methods.count("GSC") == len(sessions)


def test_a_slow_get_items_blocks_only_its_session(
    proxy: MetadataProxySimulator, serve: Serve, lane_methods: list[str]
) -> None:
    release = threading.Event()
    adapter = SessionLog(release)
    serve(adapter, thread_pool_size=4)
    try:
        for line in (
            "n1|NNS|S|u|S|slow1",
            "g1|GIS|S|u|S|g1|S|slow1",
            "c1|NSC|S|slow1",
            "n2|NNS|S|u|S|s2",
            "g2|GIS|S|u|S|g2|S|s2",
            "k2|GSC|S|u|S|g|S|f2|S|s2",
            "c2|NSC|S|s2",
            "u3|NUS|S|u|S|p",
            "t3|GIT|S|i",
            "g3|GIS|S|u|S|g3|S|#",
        ):
            proxy.send_raw(line)
        assert adapter.entered.wait(T())
        # Everything but the slow session's GIS and the NSC queued behind it is answered.
        first = replies_by_id(proxy, 8)
        assert first == {
            "n1": "n1|NNS|V",
            "n2": "n2|NNS|V",
            "g2": "g2|GIS|S|g2",
            "k2": "k2|GSC|S|f2",
            "c2": "c2|NSC|V",
            "u3": "u3|NUS|D|0.0|B|0",
            "t3": "t3|GIT|I|0|D|0.0|M|RMDC",
            "g3": "g3|GIS|S|g3",
        }
        assert adapter.calls_of("slow1") == ["NNS"]
        assert adapter.calls_of("s2") == ["NNS", "GIS", "GSC", "NSC"]
    finally:
        release.set()
    assert [proxy.expect_line(T()), proxy.expect_line(T())] == ["g1|GIS|S|g1", "c1|NSC|V"]
    assert adapter.calls_of("slow1") == ["NNS", "GIS", "NSC"]
    assert not adapter.timed_out
    assert sorted(lane_methods) == ["GIS", "GIS", "GIS", "GIT", "GSC", "NUS"]
