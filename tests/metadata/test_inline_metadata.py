"""Metadata requests run on the reader thread, and the takeover when one of them blocks.

The reader runs a Metadata request itself when its session is idle; after 10 ms
(``STALL_AFTER``) in one call another thread reads (``ls-metadata-reader-<n>-2``, ...), so
that an adapter method waiting for the Proxy (an ``FST``/``FUS`` future) gets its answer.
Real sockets, through :class:`MetadataProxySimulator`; the real 10 ms / 30 s.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any

import pytest

from lightstreamer_adapter.interfaces.metadata import Mode, TableInfo
from lightstreamer_adapter.protocol.errors import CloseRequestedError
from lightstreamer_adapter.protocol.messages import (
    ForceSessionTermination,
    ForceUnsubscription,
    NotifyNewSessionRequest,
    NotifyUserRequest,
)
from lightstreamer_adapter.server import ExceptionHandler, MetadataProviderServer
from lightstreamer_adapter.testing import MetadataProxySimulator

Serve = Callable[..., MetadataProviderServer]
SCALE = float(os.environ.get("LS_TEST_TIMEOUT_SCALE", "1"))
METADATA_LOGGER = "lightstreamer-adapter.server.MetaDataProviderServer"


def T(seconds: float = 5.0) -> float:
    return seconds * SCALE


@pytest.fixture
def serve_inline(serve: Serve, wait_until: Any) -> Serve:
    """``serve``, then wait for the init gate to open.

    The init reply leaves just before the gate opens; a request that arrives in between
    waits behind the gate and is then dispatched to the pool, not run inline.
    """

    def start(adapter: Any, **kwargs: Any) -> MetadataProviderServer:
        server = serve(adapter, **kwargs)
        wait_until(lambda: server._serving, T(), "the init gate to open")
        return server

    return start


def table(win_index: int = 1) -> TableInfo:
    return TableInfo(win_index, Mode.MERGE, "item", "field", 1, 1, None, "DEFAULT", ["item"])


class Recorder(ExceptionHandler):
    """Records every call and suppresses the default handling."""

    def __init__(self) -> None:
        super().__init__()
        self.io: list[BaseException] = []
        self.errors: list[BaseException] = []
        self.error_event = threading.Event()

    def handle_ioexception(self, exception: Exception) -> bool:
        self.io.append(exception)
        return False

    def handle_exception(self, exception: Exception) -> bool:
        self.errors.append(exception)
        self.error_event.set()
        return False


class Threads:
    """Records, per adapter method, the threads that ran it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: list[tuple[str, str]] = []

    def note(self, method: str) -> None:
        with self.lock:
            self.seen.append((method, threading.current_thread().name))

    def of(self, method: str) -> list[str]:
        with self.lock:
            return [t for m, t in self.seen if m == method]


def reader(server: MetadataProviderServer, takeover: int = 1) -> str:
    base = f"ls-metadata-reader-{server._index}"
    return base if takeover == 1 else f"{base}-{takeover}"


def reader_names(server: MetadataProviderServer) -> list[str]:
    assert server._transport is not None
    return [t.name for t in server._transport.threads if "-reader-" in t.name]


def thread_named(server: MetadataProviderServer, name: str) -> threading.Thread:
    for thread in server._threads():
        if thread.name == name:
            return thread
    raise AssertionError(f"no thread {name!r} among {[t.name for t in server._threads()]}")


def stall_messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == METADATA_LOGGER and "on the reader thread" in r.getMessage()
    ]


# ---------------------------------------------------------------------- quick requests


def test_quick_metadata_requests_run_on_the_reader_thread(
    proxy: MetadataProxySimulator, serve_inline: Serve, recording_adapter: Any
) -> None:
    threads = Threads()
    adapter = recording_adapter(
        notify_user=lambda user, password, headers: threads.note("notify_user"),
        notify_new_session=lambda user, session, ctx: threads.note("notify_new_session"),
        get_items=lambda user, session, group: threads.note("get_items") or group.split(),
        notify_session_close=lambda session: threads.note("notify_session_close"),
    )
    server = serve_inline(adapter, thread_pool_size=4)
    proxy.notify_user("alice", "pw", {})
    proxy.notify_new_session("alice", "S1", {})
    assert proxy.get_items("alice", "a b", "S1").items == ("a", "b")
    proxy.notify_session_close("S1")
    # The first request of each kind cannot be in a cooldown: it runs on a reader
    # thread (the first one, unless a hiccup of more than 10 ms made another read).
    readers = reader_names(server)
    for method in ("notify_user", "notify_new_session", "get_items", "notify_session_close"):
        (thread,) = threads.of(method)
        assert thread in readers, (method, thread)
    assert threads.of("notify_user") == [reader(server)]  # nothing ran inline before
    assert [t.name for t in server._threads() if "watchdog" in t.name] == [
        f"ls-metadata-watchdog-{server._index}"
    ]


def test_pool_of_one_runs_metadata_calls_on_the_worker(
    proxy: MetadataProxySimulator, serve_inline: Serve, recording_adapter: Any
) -> None:
    threads = Threads()
    adapter = recording_adapter(
        notify_user=lambda user, password, headers: threads.note("notify_user"),
        notify_new_session=lambda user, session, ctx: threads.note("notify_new_session"),
    )
    server = serve_inline(adapter, thread_pool_size=1)
    n = server._index
    assert server._runner is None
    assert not any("watchdog" in t.name for t in server._threads())
    proxy.notify_user("alice", "pw", {})
    proxy.notify_new_session("alice", "S1", {})
    assert threads.of("notify_user") == [f"ls-metadata-worker-{n}-1"]
    assert threads.of("notify_new_session") == [f"ls-metadata-worker-{n}-1"]


# ---------------------------------------------------------------------- a blocking method


def test_blocked_notify_user_hands_reading_to_a_new_thread(
    proxy: MetadataProxySimulator,
    serve_inline: Serve,
    recording_adapter: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=METADATA_LOGGER)
    threads = Threads()
    entered = threading.Event()
    release = threading.Event()

    def notify_user(user: Any, password: Any, headers: Any) -> None:
        threads.note("notify_user")
        if user == "slow":
            entered.set()
            assert release.wait(T()), "never released"

    adapter = recording_adapter(
        notify_user=notify_user,
        notify_new_session=lambda user, session, ctx: threads.note("notify_new_session"),
    )
    server = serve_inline(adapter, thread_pool_size=4)
    n = server._index
    try:
        slow = proxy.send_request(NotifyUserRequest(proxy.new_request_id(), "slow", "pw", {}))
        assert entered.wait(T())
        old_reader = thread_named(server, reader(server))
        # Other requests are served while notify_user("slow") blocks.
        proxy.notify_user("quick", "pw", {})
        proxy.notify_new_session("quick", "S1", {})
        assert not slow.done()
        assert threads.of("notify_user")[0] == reader(server)
        # NUS stalled: the next one ran on a worker; NNS did not: it ran inline, on the
        # new reader.
        assert threads.of("notify_user")[1].startswith(f"ls-metadata-worker-{n}-")
        assert threads.of("notify_new_session") == [reader(server, 2)]
        (message,) = stall_messages(caplog)
        assert "a NUS request has been running for more than 10 ms" in message
        assert f"ls-metadata-reader-{n}-2 reads from now on" in message
        assert "NUS requests run on the worker pool for the next 30 s" in message
    finally:
        release.set()
    slow.result(T())
    old_reader.join(T())
    assert not old_reader.is_alive()
    assert reader_names(server) == [reader(server), reader(server, 2)]


# ---------------------------------------------------------------------- FST / FUS inline


def test_notify_new_session_waiting_for_force_session_termination_completes(
    proxy: MetadataProxySimulator,
    serve_inline: Serve,
    recording_adapter: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=METADATA_LOGGER)
    threads = Threads()
    outcomes: list[object] = []

    def notify_new_session(user: Any, session_id: str, ctx: Any) -> None:
        threads.note("notify_new_session")
        assert adapter.listener is not None
        future = adapter.listener.force_session_termination(session_id, -3, "bye")
        # Answered by the simulator, read by another reader while this one waits.
        outcomes.append(future.result(T()))

    adapter = recording_adapter(notify_new_session=notify_new_session)
    server = serve_inline(adapter, thread_pool_size=4)
    reply = proxy.notify_new_session("alice", "S1", {}, timeout=T())
    assert reply.time_to_live is None
    assert outcomes == [None]
    assert threads.of("notify_new_session") == [reader(server)]
    (request,) = proxy.force_requests
    assert isinstance(request, ForceSessionTermination)
    assert (request.session_id, request.cause_code, request.cause_message) == ("S1", -3, "bye")
    assert reader(server, 2) in reader_names(server)
    (message,) = stall_messages(caplog)
    assert "a NNS request" in message


def test_notify_new_tables_waiting_for_force_unsubscription_completes(
    proxy: MetadataProxySimulator, serve_inline: Serve, recording_adapter: Any
) -> None:
    threads = Threads()
    outcomes: list[object] = []

    def notify_new_tables(user: Any, session_id: str, tables: list[TableInfo]) -> None:
        threads.note("notify_new_tables")
        assert adapter.listener is not None
        outcomes.append(adapter.listener.force_unsubscription(session_id, tables[0]).result(T()))

    adapter = recording_adapter(notify_new_tables=notify_new_tables)
    server = serve_inline(adapter, thread_pool_size=4)
    proxy.notify_new_session("alice", "S1", {})
    proxy.notify_new_tables("alice", "S1", [table(7)], timeout=T())
    assert outcomes == [True]
    (request,) = proxy.force_requests
    assert isinstance(request, ForceUnsubscription)
    assert (request.session_id, request.win_index) == ("S1", 7)
    (thread,) = threads.of("notify_new_tables")
    assert thread in reader_names(server) and thread != reader_names(server)[-1]


def test_two_methods_waiting_for_the_proxy_in_a_row(
    proxy: MetadataProxySimulator, serve_inline: Serve, recording_adapter: Any
) -> None:
    # NNS stalls (reader -> reader-2), then NNT, another kind, runs inline on reader-2
    # and stalls too (reader-2 -> reader-3). Both complete.
    threads = Threads()

    def notify_new_session(user: Any, session_id: str, ctx: Any) -> None:
        threads.note("notify_new_session")
        assert adapter.listener is not None
        adapter.listener.force_session_termination(session_id).result(T())

    def notify_new_tables(user: Any, session_id: str, tables: list[TableInfo]) -> None:
        threads.note("notify_new_tables")
        assert adapter.listener is not None
        assert adapter.listener.force_unsubscription(session_id, tables[0]).result(T())

    adapter = recording_adapter(
        notify_new_session=notify_new_session, notify_new_tables=notify_new_tables
    )
    server = serve_inline(adapter, thread_pool_size=4)
    proxy.notify_new_session("alice", "S1", {}, timeout=T())
    proxy.notify_new_tables("alice", "S1", [table(1)], timeout=T())
    assert threads.of("notify_new_session") == [reader(server)]
    assert threads.of("notify_new_tables") == [reader(server, 2)]
    assert server._transport is not None
    assert server._transport.reader.name == reader(server, 3)
    # The replaced readers end (the transport forgets those that already have).
    for name in reader_names(server)[:-1]:
        thread = thread_named(server, name)
        thread.join(T())
        assert not thread.is_alive(), name
    # Both kinds cool down on the pool now; the connection still works.
    proxy.notify_new_session("bob", "S2", {}, timeout=T())
    assert threads.of("notify_new_session")[1].startswith(f"ls-metadata-worker-{server._index}-")


def test_close_fails_the_future_a_stuck_method_waits_for(
    proxy: MetadataProxySimulator, serve_inline: Serve, recording_adapter: Any
) -> None:
    # The Proxy never answers the FST, then sends CLOSE: the other reader notices it and
    # fails the future, which ends the adapter's wait.
    proxy.on_force_session_termination = None
    outcomes: list[BaseException] = []
    asked = threading.Event()

    def notify_new_session(user: Any, session_id: str, ctx: Any) -> None:
        assert adapter.listener is not None
        future = adapter.listener.force_session_termination(session_id)
        asked.set()
        try:
            future.result(T())
        except BaseException as exc:
            outcomes.append(exc)
            raise

    adapter = recording_adapter(notify_new_session=notify_new_session)
    handler = Recorder()
    server = serve_inline(adapter, thread_pool_size=4)
    server.set_exception_handler(handler)
    stuck = thread_named(server, reader(server))
    proxy.send_request(NotifyNewSessionRequest(proxy.new_request_id(), "alice", "S1", {}))
    assert asked.wait(T())
    proxy.expect(ForceSessionTermination)
    proxy.send_raw("0|CLOSE|S|reason|S|bye")
    assert handler.error_event.wait(T())
    assert isinstance(handler.errors[0], CloseRequestedError)
    stuck.join(T())
    assert not stuck.is_alive()
    (error,) = outcomes
    assert isinstance(error, ConnectionError) and "bye" in str(error)
    assert handler.io == []
