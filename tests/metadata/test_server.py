"""MetadataProviderServer over real sockets: init and negotiation, the control listener,
per-session ordering, LiteralBasedProvider.

ARI-PROTOCOL.md §4.3-§4.5, §5.5, §5.13, §5.28, §5.29, §6.7, §6.8; checklist 16, 19-24,
74-80.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import pytest

from lightstreamer_adapter.interfaces.metadata import (
    AccessError,
    MetadataControlListener,
    MetadataProvider,
    MetadataProviderError,
    Mode,
    TableInfo,
)
from lightstreamer_adapter.metadata import LiteralBasedProvider
from lightstreamer_adapter.protocol.messages import (
    ErrorInfo,
    ErrorKind,
    ForceSessionTermination,
    ForceUnsubscription,
    MetadataFailure,
    NotifyNewSessionRequest,
    NotifyNewTablesRequest,
    NotifySessionCloseRequest,
    NotifyTablesCloseRequest,
    NotifyUserRequest,
)
from lightstreamer_adapter.server import ExceptionHandler, MetadataProviderServer
from lightstreamer_adapter.testing import AdapterError, MetadataProxySimulator

Serve = Callable[..., MetadataProviderServer]
SCALE = float(os.environ.get("LS_TEST_TIMEOUT_SCALE", "1"))


def T(seconds: float = 5.0) -> float:
    return seconds * SCALE


class QuietHandler(ExceptionHandler):
    """Keeps connection ends from ending the process; records everything."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: list[BaseException] = []
        self.ioerrors: list[BaseException] = []
        self.io_reported = threading.Event()

    def handle_exception(self, exception: Exception) -> bool:
        self.errors.append(exception)
        return False

    def handle_ioexception(self, exception: Exception) -> bool:
        self.ioerrors.append(exception)
        self.io_reported.set()
        return False


# ------------------------------------------------------------------------- construction


def test_constructor_checks_the_adapter_and_keeps_1_3_1_signature() -> None:
    with pytest.raises(TypeError, match=r"not a subclass of .*MetadataProvider"):
        MetadataProviderServer(object(), ("127.0.0.1", 1))  # type: ignore[arg-type]
    adapter = MetadataProvider()
    server = MetadataProviderServer(adapter, ("127.0.0.1", 1), "meta", 3.0, 2, None)
    assert server.adapter is adapter
    assert server.name == "meta"
    assert server.keep_alive == 3.0
    assert server.thread_pool_size == 2
    assert server.init_expected is True
    assert server.protocol_version is None
    server.close()


def test_start_failure_is_a_metadata_provider_error(proxy: MetadataProxySimulator) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = MetadataProviderServer(MetadataProvider(), ("127.0.0.1", port))
    with pytest.raises(MetadataProviderError, match="initialization phase") as info:
        server.start()
    assert isinstance(info.value.__cause__, OSError)
    server.close()


# ------------------------------------------------------------------------- init


def test_init_parameters_listener_and_order(
    proxy: MetadataProxySimulator, serve: Serve, recording_adapter: Any
) -> None:
    early: list[Future[None]] = []

    def on_listener(listener: MetadataControlListener) -> None:
        # Before the MPI reply: control requests fail locally, nothing is written.
        early.append(listener.force_session_termination("S0"))

    adapter = recording_adapter(set_listener=on_listener)
    server = serve(
        adapter,
        params={"keepalive_hint.millis": "5000", "proxy.instance_id": "abc", "shared": "remote"},
        adapter_params={"shared": "local", "extra": "x"},
        adapter_config="conf.ini",
        keep_init_calls=True,
    )
    assert adapter.names() == ["initialize", "set_listener"]
    params, config = adapter.calls[0][1]
    assert params == {
        "adapters_conf.id": "DEMO",
        "proxy.instance_id": "abc",
        "shared": "local",
        "extra": "x",
    }
    assert config == "conf.ini"
    assert isinstance(adapter.listener, MetadataControlListener)
    assert server.protocol_version == "1.9.1"
    assert server.init_expected is False
    assert server.keep_alive == 5.0
    with pytest.raises(RuntimeError, match="not initialised"):
        early[0].result(0)
    assert not any("|FST|" in line for line in proxy.received)
    # after the reply the same listener works
    assert adapter.listener.force_session_termination("S1").result(T()) is None
    assert proxy.received[-1] == "64|FST|S|S1|V"


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (MetadataProviderError("The ID must be supplied"), ErrorKind.METADATA),
        (AccessError("a"), ErrorKind.GENERIC),
        (ValueError("A Message"), ErrorKind.GENERIC),
    ],
)
def test_initialize_errors(
    proxy: MetadataProxySimulator, recording_adapter: Any, exc: Exception, kind: ErrorKind
) -> None:
    adapter = recording_adapter(initialize=exc)
    server = MetadataProviderServer(adapter, proxy.address)
    server.set_exception_handler(QuietHandler())
    server.start()
    proxy.accept()
    with pytest.raises(AdapterError) as info:
        proxy.init()
    assert info.value.error == ErrorInfo(kind, str(exc))
    assert "set_listener" not in adapter.names()
    server.close()


def test_initialize_error_line_is_bc(
    proxy: MetadataProxySimulator, recording_adapter: Any
) -> None:
    server = MetadataProviderServer(
        recording_adapter(initialize=MetadataProviderError("The ID must be supplied")),
        proxy.address,
    )
    server.set_exception_handler(QuietHandler())
    server.start()
    proxy.accept()
    with pytest.raises(AdapterError) as info:
        proxy.init()
    assert proxy.received[-1] == f"{info.value.request_id}|MPI|EM|The+ID+must+be+supplied"
    server.close()


@pytest.mark.parametrize(
    ("offered", "answered"),
    [
        ("1.9.1", "1.9.1"),
        ("1.9.2", "1.9.1"),
        ("1.10.0", "1.9.1"),
        ("2.0", "1.9.1"),
        ("1.9.0", "1.9.0"),
        ("1.8.3", "1.8.3"),
        ("1.8.2", "1.8.2"),
    ],
)
def test_negotiation(
    proxy: MetadataProxySimulator, recording_adapter: Any, offered: str, answered: str
) -> None:
    server = MetadataProviderServer(recording_adapter(), proxy.address)
    server.start()
    proxy.accept()
    reply = proxy.init(version=offered)
    assert proxy.received[-1] == f"{reply.request_id}|MPI|S|ARI.version|S|{answered}"
    assert server.protocol_version == answered
    # the session then uses the matching string encoding (§3.4)
    proxy.send_raw("G|GIS|S|u|S|a+b|S|S")
    expected = "G|GIS|S|a%2Bb" if answered.startswith("1.9") else "G|GIS|S|a|S|b"
    assert proxy.expect_line() == expected
    server.close()


def test_no_version_is_ari_1_8_0(proxy: MetadataProxySimulator, recording_adapter: Any) -> None:
    adapter = recording_adapter()
    server = MetadataProviderServer(adapter, proxy.address)
    server.start()
    proxy.accept()
    reply = proxy.init(version=None)
    assert proxy.received[-1] == f"{reply.request_id}|MPI|V"
    assert adapter.calls[0][1][0] == {"adapters_conf.id": "DEMO"}
    assert server.keep_alive == 1.0  # strict keepalive for a 1.8.0 Proxy (§7)
    assert server.protocol_version == "1.8.0"
    proxy.send_raw("N|NNS|S|u|S|S1")
    assert proxy.expect_line() == "N|NNS|V"
    server.close()


@pytest.mark.parametrize("offered", ["1.8.0", "1.8.1", "garbage"])
def test_refused_versions(
    proxy: MetadataProxySimulator, recording_adapter: Any, offered: str
) -> None:
    adapter = recording_adapter()
    server = MetadataProviderServer(adapter, proxy.address)
    server.set_exception_handler(QuietHandler())
    server.start()
    proxy.accept()
    with pytest.raises(AdapterError) as info:
        proxy.init(version=offered)
    assert info.value.kind in (ErrorKind.METADATA, ErrorKind.GENERIC)
    assert adapter.calls == []  # initialize not called
    # later requests are refused, not dispatched
    with pytest.raises(AdapterError):
        proxy.notify_user("u", "p")
    assert adapter.calls == []
    server.close()


# ------------------------------------------------------------------------- control listener


def test_force_session_termination_and_unsubscription_round_trips(
    proxy: MetadataProxySimulator, serve: Serve, recording_adapter: Any
) -> None:
    refused = {"S-bad"}

    def on_fst(request: ForceSessionTermination) -> None:
        if request.session_id in refused:
            raise AdapterError("Unknown session")

    def on_fus(request: ForceUnsubscription) -> bool:
        if request.win_index == 99:
            raise AdapterError("boom")
        return request.win_index == 1

    proxy.on_force_session_termination = on_fst
    proxy.on_force_unsubscription = on_fus
    adapter = recording_adapter(enable_table_unsubscription=True)
    serve(adapter)
    listener = adapter.listener
    assert listener.force_session_termination("S8f3da29").result(T()) is None
    assert listener.force_session_termination("S1", -5, "Account suspended").result(T()) is None
    with pytest.raises(RuntimeError, match="Unknown session"):
        listener.force_session_termination("S-bad").result(T())
    table = TableInfo(1, Mode.MERGE, "g", "s", 1, 1)
    assert listener.force_unsubscription("S1", table).result(T()) is True
    other = TableInfo(2, Mode.MERGE, "g", "s", 1, 1)
    assert listener.force_unsubscription("S1", other).result(T()) is False
    with pytest.raises(RuntimeError, match="boom"):
        listener.force_unsubscription("S1", TableInfo(99, None, "g", "s", 1, 1)).result(T())
    sent = [line for line in proxy.received if "|FST|" in line or "|FUS|" in line]
    assert sent == [
        "64|FST|S|S8f3da29|V",
        "65|FST|S|S1|I|-5|S|Account suspended",
        "66|FST|S|S-bad|V",
        "67|FUS|S|S1|I|1",
        "68|FUS|S|S1|I|2",
        "69|FUS|S|S1|I|99",
    ]
    assert proxy.force_requests[1] == ForceSessionTermination("65", "S1", -5, "Account suspended")


def test_force_requests_interleave_with_replies(
    proxy: MetadataProxySimulator, serve: Serve, recording_adapter: Any
) -> None:
    """An adapter may call the listener from inside a request callback (A.2)."""
    results: list[Future[bool]] = []

    def notify_new_tables(user: Any, session_id: str, tables: list[TableInfo]) -> None:
        assert adapter.listener is not None
        results.append(adapter.listener.force_unsubscription(session_id, tables[0]))

    adapter = recording_adapter(notify_new_tables=notify_new_tables)
    serve(adapter)
    table = TableInfo(1, Mode.MERGE, "i1", "f", 1, 1, None, "D", ["i1"])
    proxy.notify_new_tables("u", "S1", [table])
    assert results[0].result(T()) is True


def test_unknown_reply_id_is_logged_and_ignored(
    proxy: MetadataProxySimulator, serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    serve(MetadataProvider())
    with caplog.at_level("WARNING"):
        proxy.send_raw("zz9|FST|V")
        proxy.send_raw("zz8|FUS|B|1")
        proxy.send_raw("P|NSC|S|s")
        assert proxy.expect_line() == "P|NSC|V"
    assert caplog.text.count("unknown request id") == 2


def test_metadata_failure_1_9(
    proxy: MetadataProxySimulator, serve: Serve, recording_adapter: Any
) -> None:
    adapter = recording_adapter()
    serve(adapter)
    adapter.listener.failure(RuntimeError("Entitlement service unreachable"))
    assert proxy.expect(MetadataFailure) == MetadataFailure("Entitlement service unreachable")
    assert proxy.received[-1] == "2|FAL|E|Entitlement service unreachable"


@pytest.mark.parametrize("version", ["1.8.3", "1.8.2"])
def test_control_listener_with_ari_1_8_fails_locally(
    proxy: MetadataProxySimulator,
    serve: Serve,
    recording_adapter: Any,
    caplog: pytest.LogCaptureFixture,
    version: str,
) -> None:
    adapter = recording_adapter()
    serve(adapter, version)
    listener = adapter.listener
    with pytest.raises(RuntimeError, match=r"1\.9 needed"):
        listener.force_session_termination("S1").result(0)
    with pytest.raises(RuntimeError):
        listener.force_unsubscription("S1", TableInfo(1, None, "g", "s", 1, 1)).result(0)
    with caplog.at_level("ERROR"):
        listener.failure(RuntimeError("db down"))
    assert "db down" in caplog.text
    proxy.send_raw("X|NSC|S|s")
    assert proxy.expect_line() == "X|NSC|V"
    assert not any(("|FST|" in x or "|FUS|" in x or "|FAL|" in x) for x in proxy.received)


def test_pending_requests_fail_when_the_connection_ends(
    proxy: MetadataProxySimulator, serve: Serve, recording_adapter: Any
) -> None:
    proxy.on_force_session_termination = None  # the Proxy never answers
    proxy.on_force_unsubscription = None
    adapter = recording_adapter()
    server = serve(adapter)
    handler = QuietHandler()
    server.set_exception_handler(handler)
    fst = adapter.listener.force_session_termination("S1")
    fus = adapter.listener.force_unsubscription("S1", TableInfo(1, None, "g", "s", 1, 1))
    proxy.expect(ForceUnsubscription)
    assert not fst.done()
    proxy.drop_connection()  # EOF, no CLOSE
    for fut in (fst, fus):
        with pytest.raises(ConnectionError):
            fut.result(T())
    with pytest.raises(ConnectionError):
        adapter.listener.force_session_termination("S2").result(T())
    assert handler.io_reported.wait(T())
    assert len(handler.ioerrors) == 1


def test_pending_requests_fail_on_close_packet_and_on_local_close(
    proxy: MetadataProxySimulator, serve: Serve, recording_adapter: Any
) -> None:
    proxy.on_force_session_termination = None
    adapter = recording_adapter()
    server = serve(adapter)
    handler = QuietHandler()
    server.set_exception_handler(handler)
    fst = adapter.listener.force_session_termination("S1")
    proxy.expect(ForceSessionTermination)
    proxy.send_raw("0|CLOSE|S|reason|S|keepalive+timeout")
    with pytest.raises(ConnectionError, match="keepalive timeout"):
        fst.result(T())
    assert handler.ioerrors == []


def test_pending_requests_fail_on_local_close(
    proxy: MetadataProxySimulator, serve: Serve, recording_adapter: Any
) -> None:
    proxy.on_force_session_termination = None
    adapter = recording_adapter()
    server = serve(adapter)
    fst = adapter.listener.force_session_termination("S1")
    proxy.expect(ForceSessionTermination)
    server.close()
    with pytest.raises(ConnectionError):
        fst.result(T())


# ------------------------------------------------------------------------- ordering


class OrderAdapter(MetadataProvider):
    """Records, per session, the order in which the adapter sees its requests."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: dict[str, list[str]] = {}
        self.active: set[str] = set()
        self.overlaps = 0

    def _record(self, session_id: str, what: str) -> None:
        with self.lock:
            if session_id in self.active:
                self.overlaps += 1
            self.active.add(session_id)
            self.seen.setdefault(session_id, []).append(what)
        # Give other workers a chance to run something of the same session, if they
        # wrongly could.
        time.sleep(0)
        with self.lock:
            self.active.discard(session_id)

    def notify_new_session(self, user: Any, session_id: str, client_context: Any) -> None:
        self._record(session_id, "NNS")

    def notify_new_tables(self, user: Any, session_id: str, tables: Any) -> None:
        self._record(session_id, f"NNT{tables[0].win_index}")

    def notify_tables_close(self, session_id: str, tables: Any) -> None:
        self._record(session_id, f"NTC{tables[0].win_index}")

    def notify_session_close(self, session_id: str) -> None:
        self._record(session_id, "NSC")


def test_one_thousand_sessions_keep_per_session_order(
    proxy: MetadataProxySimulator, serve: Serve
) -> None:
    adapter = OrderAdapter()
    server = serve(adapter, thread_pool_size=8)
    started = time.monotonic()
    sessions = [f"S{n:04d}" for n in range(1000)]
    expected = ["NNS", "NNT1", "NNT2", "NTC1", "NTC2", "NSC"]
    pending = []
    # Pipelined like the real Proxy, interleaving sessions: every request of every
    # session is sent before any reply is awaited.
    for step in expected:
        for session in sessions:
            rid = proxy.new_request_id()
            if step == "NNS":
                request: Any = NotifyNewSessionRequest(rid, "user", session, {})
            elif step == "NSC":
                request = NotifySessionCloseRequest(rid, session)
            else:
                win = int(step[-1])
                table = TableInfo(win, Mode.MERGE, "i", "f", 1, 1, None, "D", ["i"])
                if step.startswith("NNT"):
                    request = NotifyNewTablesRequest(rid, "user", session, (table,))
                else:
                    request = NotifyTablesCloseRequest(rid, session, (table,))
            pending.append(proxy.send_request(request))
    for handle in pending:
        handle.result(T(10))
    elapsed = time.monotonic() - started
    assert set(adapter.seen) == set(sessions)
    bad = {s: order for s, order in adapter.seen.items() if order != expected}
    assert bad == {}
    assert adapter.overlaps == 0
    assert elapsed < T(10)
    # no per-session state left behind
    assert server._sessions is not None
    assert server._sessions._waiting == {}


def test_sessions_run_in_parallel_and_one_slow_session_blocks_only_itself(
    proxy: MetadataProxySimulator, serve: Serve
) -> None:
    release = threading.Event()
    entered = threading.Event()

    class SlowSession(MetadataProvider):
        def __init__(self) -> None:
            self.order: list[str] = []

        def notify_new_session(self, user: Any, session_id: str, context: Any) -> None:
            if session_id == "slow":
                entered.set()
                assert release.wait(T())
            self.order.append(f"NNS {session_id}")

        def notify_session_close(self, session_id: str) -> None:
            self.order.append(f"NSC {session_id}")

    adapter = SlowSession()
    serve(adapter, thread_pool_size=4)
    slow_nns = proxy.send_request(NotifyNewSessionRequest(proxy.new_request_id(), "u", "slow", {}))
    slow_nsc = proxy.send_request(NotifySessionCloseRequest(proxy.new_request_id(), "slow"))
    assert entered.wait(T())
    # other sessions and session-less requests go on meanwhile
    assert proxy.notify_new_session("u", "fast", {}).time_to_live is None
    assert proxy.notify_session_close("fast") is not None
    assert proxy.notify_user("u", "p").max_bandwidth == 0.0
    assert proxy.get_item_data(["a"]).items[0].modes == tuple(Mode)
    assert not slow_nsc.done()
    release.set()
    slow_nns.result(T())
    slow_nsc.result(T())
    assert adapter.order == ["NNS fast", "NSC fast", "NNS slow", "NSC slow"]


def test_session_less_requests_do_not_wait_for_each_other(
    proxy: MetadataProxySimulator, serve: Serve
) -> None:
    barrier = threading.Barrier(2, timeout=T())

    class Meeting(MetadataProvider):
        def notify_user(self, user: Any, password: Any, headers: Any) -> None:
            barrier.wait()  # both NUS must be inside notify_user at once

    serve(Meeting(), thread_pool_size=2)
    first = proxy.send_request(NotifyUserRequest(proxy.new_request_id(), "a", "p", {}))
    assert proxy.notify_user("b", "p").wants_tables_notification is False
    first.result(T())


def test_worker_thread_names(proxy: MetadataProxySimulator, serve: Serve) -> None:
    names: list[str] = []

    class Named(MetadataProvider):
        def notify_session_close(self, session_id: str) -> None:
            names.append(threading.current_thread().name)

    server = serve(Named(), thread_pool_size=1)
    proxy.notify_session_close("S")
    assert names == [f"ls-metadata-worker-{server._index}-1"]


# ------------------------------------------------------------------------- LiteralBasedProvider


def test_literal_based_provider_end_to_end(proxy: MetadataProxySimulator, serve: Serve) -> None:
    serve(
        LiteralBasedProvider(param_prefix="lit:"),
        params={"lit:allowed_users": "alice, bob", "lit:max_bandwidth": "40"},
        adapter_params={"lit:allowed_modes": "MERGE DISTINCT", "buffer_size": "30"},
    )
    assert proxy.notify_user("alice", "pw").max_bandwidth == 40.0
    with pytest.raises(AdapterError) as info:
        proxy.notify_user("mallory", "pw")
    assert info.value.kind is ErrorKind.ACCESS
    assert proxy.get_items("alice", "item1  item2\titem3", "S1").items == (
        "item1",
        "item2",
        "item3",
    )
    assert proxy.get_schema("alice", "i", " last_price time ", "S1").fields == (
        "last_price",
        "time",
    )
    git = proxy.get_item_data(["item1"]).items[0]
    assert (git.size, git.frequency, git.modes) == (10, 0.0, (Mode.MERGE, Mode.DISTINCT))
    gui = proxy.get_user_item_data("alice", ["item1"]).items[0]
    assert (gui.size, gui.modes) == (30, (Mode.MERGE, Mode.DISTINCT))
    with pytest.raises(AdapterError) as info:
        proxy.notify_user_message("alice", "S1", "hi")
    assert info.value.kind is ErrorKind.CREDITS


def test_literal_based_provider_bad_configuration_fails_the_init(
    proxy: MetadataProxySimulator,
) -> None:
    server = MetadataProviderServer(LiteralBasedProvider(), proxy.address)
    server.set_exception_handler(QuietHandler())
    server.start()
    proxy.accept()
    with pytest.raises(AdapterError) as info:
        proxy.init(params={"max_bandwidth": "fast"})
    assert info.value.kind is ErrorKind.METADATA
    assert "max_bandwidth" in (info.value.error.message or "")
    server.close()
