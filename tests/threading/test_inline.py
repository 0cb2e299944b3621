"""Requests run on the reader thread ("inline"), and the watchdog that rescues a stuck reader.

The reader runs a ``SUB``/``USB`` itself when its item is idle; when one such call has
lasted ``STALL_AFTER`` (10 ms) the watchdog makes a new thread the reader
(``ls-data-reader-<n>-2``, ``-3``, ...), the stuck thread finishes its call, sends its
reply and ends, and the method that stalled runs on the worker pool for ``COOLDOWN``
(30 s). With ``thread_pool_size=1`` there is no watchdog: every call runs on the one
worker. See lightstreamer_adapter/_threading/inline.py and base.py ``_on_data``.

Server tests use the real 10 ms / 30 s; the InlineRunner unit tests at the end construct
runners with their own ``stall_after``/``cooldown``.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

import pytest

from lightstreamer_adapter._threading.inline import STALL_AFTER, InlineRunner
from lightstreamer_adapter.interfaces.data import DataProvider, ItemEventListener
from lightstreamer_adapter.protocol.errors import CloseRequestedError
from lightstreamer_adapter.server import DataProviderServer, ExceptionHandler

DATA_LOGGER = "lightstreamer-adapter.server.DataProviderServer"


# ---------------------------------------------------------------------- helpers


class ThreadAdapter(DataProvider):
    """Records ``(method, item, thread name)``; ``subscribe`` may block per item.

    ``blockers[item]`` is an Event that ``subscribe(item)`` waits for (with a timeout);
    ``entered[item]`` is set when ``subscribe(item)`` starts and ``left[item]`` when it
    returns.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.lock = threading.Lock()
        self.calls: list[tuple[str, str, str]] = []
        self.blockers: dict[str, threading.Event] = {}
        self.entered: dict[str, threading.Event] = {}
        self.left: dict[str, threading.Event] = {}
        self.active = 0
        self.overlaps = 0
        self.listener: ItemEventListener | None = None

    def block(self, item: str) -> threading.Event:
        release = threading.Event()
        self.blockers[item] = release
        self.entered[item] = threading.Event()
        self.left[item] = threading.Event()
        return release

    def _record(self, method: str, item: str) -> None:
        with self.lock:
            self.calls.append((method, item, threading.current_thread().name))
            if self.active:
                self.overlaps += 1
            self.active += 1

    def _done(self) -> None:
        with self.lock:
            self.active -= 1

    def initialize(self, parameters: dict[str, str], config_file: str | None = None) -> None:
        pass

    def set_listener(self, event_listener: ItemEventListener) -> None:
        self.listener = event_listener

    def subscribe(self, item_name: str) -> None:
        self._record("subscribe", item_name)
        try:
            release = self.blockers.get(item_name)
            if release is not None:
                self.entered[item_name].set()
                assert release.wait(self.timeout), f"subscribe({item_name}) never released"
        finally:
            self._done()
            if item_name in self.left:
                self.left[item_name].set()

    def unsubscribe(self, item_name: str) -> None:
        self._record("unsubscribe", item_name)
        self._done()

    def issnapshot_available(self, item_name: str) -> bool:
        return True

    def threads_of(self, method: str, item: str) -> list[str]:
        with self.lock:
            return [t for m, i, t in self.calls if m == method and i == item]

    def sequence(self) -> list[tuple[str, str]]:
        with self.lock:
            return [(m, i) for m, i, _ in self.calls]


class Recorder(ExceptionHandler):
    """Records every call; returns the configured results (False: no default handling)."""

    def __init__(self, io_result: bool = False, exc_result: bool = False) -> None:
        super().__init__()
        self.io: list[BaseException] = []
        self.errors: list[BaseException] = []
        self.io_event = threading.Event()
        self.error_event = threading.Event()
        self.io_result = io_result
        self.exc_result = exc_result
        self.on_error: Callable[[BaseException], None] | None = None

    def handle_ioexception(self, exception: Exception) -> bool:
        self.io.append(exception)
        self.io_event.set()
        return self.io_result

    def handle_exception(self, exception: Exception) -> bool:
        self.errors.append(exception)
        if self.on_error is not None:
            self.on_error(exception)
        self.error_event.set()
        return self.exc_result


def reader_name(server: DataProviderServer, takeover: int = 1) -> str:
    base = f"ls-data-reader-{server._index}"
    return base if takeover == 1 else f"{base}-{takeover}"


def thread_named(server: DataProviderServer, name: str) -> threading.Thread:
    for thread in server._threads():
        if thread.name == name:
            return thread
    raise AssertionError(f"no thread {name!r} among {[t.name for t in server._threads()]}")


def reader_names(server: DataProviderServer) -> set[str]:
    assert server._transport is not None
    return {t.name for t in server._transport.threads if "-reader-" in t.name}


def stall_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == DATA_LOGGER and "on the reader thread" in r.getMessage()
    ]


def start(kit: Any, proxy: Any, closing: list[Any], adapter: DataProvider, **options: Any) -> Any:
    options.setdefault("thread_pool_size", 4)
    options.setdefault("keep_alive", 0)  # no KEEPALIVE lines among the replies
    handler = options.pop("handler", None) or Recorder()
    server = kit.start_server(proxy, adapter, closing, handler=handler, **options)
    wait_serving(kit, server)
    return server


def wait_serving(kit: Any, server: DataProviderServer) -> None:
    """Wait for the init gate to open after the init reply.

    The init reply leaves just before the gate opens; a request that arrives in between
    waits behind the gate and is then dispatched to the pool, not run inline.
    """
    kit.wait_until(lambda: server._serving, kit.T(), "the init gate to open")


def block_subscribe(kit: Any, proxy: Any, adapter: ThreadAdapter, item: str, rid: str) -> Any:
    """Send ``SUB item`` whose subscribe() blocks; return its release Event once entered."""
    release = adapter.block(item)
    proxy.send(f"{rid}|SUB|S|{item}")
    assert adapter.entered[item].wait(kit.T()), f"subscribe({item}) was not called"
    return release


def wait_takeover(kit: Any, server: DataProviderServer, takeover: int = 2) -> threading.Thread:
    name = reader_name(server, takeover)
    kit.wait_until(lambda: name in reader_names(server), kit.T(), f"the reader thread {name}")
    return thread_named(server, name)


# ---------------------------------------------------------------------- 1. quick calls


def test_quick_sub_and_usb_run_on_the_reader_thread(
    kit: Any, proxy: Any, closing: list[Any]
) -> None:
    adapter = ThreadAdapter(kit.T())
    server = start(kit, proxy, closing, adapter)
    proxy.send("S1|SUB|S|a")
    assert proxy.read_line() == "S1|SUB|V"
    proxy.send("U1|USB|S|a")
    assert proxy.read_line() == "U1|USB|V"
    proxy.send("S2|SUB|S|b", "S3|SUB|S|c")
    assert proxy.read_lines(2) == ["S2|SUB|V", "S3|SUB|V"]
    proxy.send("U2|USB|S|b")
    assert proxy.read_line() == "U2|USB|V"
    # The first request of a kind cannot be in a cooldown: it runs on the reader itself.
    assert adapter.threads_of("subscribe", "a") == [reader_name(server)]
    # A machine hiccup longer than 10 ms may hand reading to a new thread: the other
    # calls ran on a reader thread, whichever.
    readers = reader_names(server)
    for method, item in [("unsubscribe", "a"), ("subscribe", "b"), ("subscribe", "c")]:
        (thread,) = adapter.threads_of(method, item)
        assert thread in readers, (method, item, thread)
    sequence = adapter.sequence()
    assert sequence[:2] == [("subscribe", "a"), ("unsubscribe", "a")]
    assert sorted(sequence[2:4]) == [("subscribe", "b"), ("subscribe", "c")]
    assert sequence[4] == ("unsubscribe", "b")
    watchdogs = [t.name for t in server._threads() if "watchdog" in t.name]
    assert watchdogs == [f"ls-data-watchdog-{server._index}"]


# ---------------------------------------------------------------------- 2. a stuck SUB


def test_blocked_subscribe_hands_reading_to_a_new_thread(
    kit: Any, proxy: Any, closing: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=DATA_LOGGER)
    adapter = ThreadAdapter(kit.T())
    server = start(kit, proxy, closing, adapter)
    n = server._index
    release = block_subscribe(kit, proxy, adapter, "A", "SA")
    assert adapter.threads_of("subscribe", "A") == [reader_name(server)]
    old_reader = thread_named(server, reader_name(server))

    proxy.send("SB|SUB|S|B")
    assert proxy.read_line() == "SB|SUB|V"  # answered while A is still blocked
    assert not adapter.left["A"].is_set() and not release.is_set()

    new_reader = thread_named(server, reader_name(server, 2))
    assert new_reader.is_alive() and old_reader.is_alive()
    assert server._transport is not None and server._transport.reader is new_reader
    # The INFO line names the method, the new reader and the cooldown.
    (record,) = stall_records(caplog)
    assert record.levelno == logging.INFO
    message = record.getMessage()
    assert "a SUB request has been running for more than 10 ms" in message
    assert f"ls-data-reader-{n}-2 reads from now on" in message
    assert "SUB requests run on the worker pool for the next 30 s" in message
    # SUB is in its cooldown: B ran on a worker, not on a reader.
    (b_thread,) = adapter.threads_of("subscribe", "B")
    assert b_thread.startswith(f"ls-data-worker-{n}-"), b_thread
    # USB did not stall: it still runs inline, on the new reader.
    proxy.send("UB|USB|S|B")
    assert proxy.read_line() == "UB|USB|V"
    assert adapter.threads_of("unsubscribe", "B") == [reader_name(server, 2)]

    release.set()
    assert proxy.read_line() == "SA|SUB|V"
    old_reader.join(kit.T())
    assert not old_reader.is_alive(), "the stuck reader did not end after its call"
    assert new_reader.is_alive()
    # Nothing else stalled: still two readers, one INFO line.
    assert reader_names(server) == {reader_name(server), reader_name(server, 2)}
    assert len(stall_records(caplog)) == 1
    # The connection goes on normally with the new reader; SUB is still cooling down.
    # (Sent one at a time: a USB read while its SUB still waits for a worker makes the
    # SUB "too late", ARI-PROTOCOL.md §6.3.)
    proxy.send("SC|SUB|S|C")
    assert proxy.read_line() == "SC|SUB|V"
    proxy.send("UC|USB|S|C")
    assert proxy.read_line() == "UC|USB|V"
    assert adapter.threads_of("subscribe", "C")[0].startswith(f"ls-data-worker-{n}-")
    assert adapter.threads_of("unsubscribe", "C") == [reader_name(server, 2)]


# ---------------------------------------------------------------------- 3. USB behind SUB


def test_usb_of_a_blocked_item_waits_for_its_subscribe(
    kit: Any, proxy: Any, closing: list[Any]
) -> None:
    adapter = ThreadAdapter(kit.T())
    server = start(kit, proxy, closing, adapter)
    release = block_subscribe(kit, proxy, adapter, "A", "SA")
    proxy.send("UA|USB|S|A")
    items = server._items
    assert items is not None
    # Read by the new reader and queued behind the running SUB of the same item.
    kit.wait_until(lambda: items.pending("A") == 2, kit.T(), "the USB queued behind the SUB")
    assert ("unsubscribe", "A") not in adapter.sequence()
    release.set()
    assert proxy.read_lines(2) == ["SA|SUB|V", "UA|USB|V"]
    assert adapter.sequence() == [("subscribe", "A"), ("unsubscribe", "A")]
    assert adapter.overlaps == 0
    (thread,) = adapter.threads_of("unsubscribe", "A")
    assert thread.startswith(f"ls-data-worker-{server._index}-"), thread
    kit.wait_until(lambda: items.pending("A") == 0, kit.T(), "item A to be idle")


# ---------------------------------------------------------------------- 5. CLOSE and EOF


def test_close_from_the_proxy_while_a_call_is_stuck(
    kit: Any, proxy: Any, closing: list[Any]
) -> None:
    adapter = ThreadAdapter(kit.T())
    handler = Recorder()
    server = start(kit, proxy, closing, adapter, handler=handler)
    release = block_subscribe(kit, proxy, adapter, "A", "SA")
    old_reader = thread_named(server, reader_name(server))
    proxy.send("0|CLOSE|S|reason|S|bye")
    assert handler.error_event.wait(kit.T()), "CLOSE was not noticed while a call was stuck"
    (error,) = handler.errors
    assert isinstance(error, CloseRequestedError) and error.reason == "bye"
    assert not adapter.left["A"].is_set()  # still blocked
    assert proxy.wait_eof(), "the connection was not closed"
    assert handler.io == []
    release.set()
    old_reader.join(kit.T())
    assert not old_reader.is_alive()
    assert handler.io == []


def test_end_of_stream_while_a_call_is_stuck(kit: Any, proxy: Any, closing: list[Any]) -> None:
    adapter = ThreadAdapter(kit.T())
    handler = Recorder()
    server = start(kit, proxy, closing, adapter, handler=handler)
    release = block_subscribe(kit, proxy, adapter, "A", "SA")
    old_reader = thread_named(server, reader_name(server))
    proxy.close_connection()
    assert handler.io_event.wait(kit.T()), "the end of stream was not noticed"
    (error,) = handler.io
    assert isinstance(error, EOFError)
    assert not adapter.left["A"].is_set()  # noticed while the call is still blocked
    release.set()
    old_reader.join(kit.T())
    assert not old_reader.is_alive()
    # Once per connection: the reader that was replaced must not report the end again.
    assert len(handler.io) == 1, handler.io


def test_default_close_handling_while_a_call_is_stuck_ends_promptly(
    kit: Any, proxy: Any, closing: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    # CLOSE with the default handling (handle_exception returns True: WARNING, then
    # close()). The stuck call is released as soon as the CLOSE is reported, so every
    # thread of the server can end at once: close() must not wait out close_timeout.
    caplog.set_level(logging.INFO, logger=DATA_LOGGER)
    adapter = ThreadAdapter(kit.T())
    handler = Recorder(exc_result=True)
    close_timeout = kit.T(6)
    server = start(kit, proxy, closing, adapter, handler=handler, close_timeout=close_timeout)
    release = block_subscribe(kit, proxy, adapter, "A", "SA")
    handler.on_error = lambda exc: release.set()
    proxy.send("0|CLOSE|S|reason|S|bye")
    assert handler.error_event.wait(kit.T())
    assert isinstance(handler.errors[0], CloseRequestedError)
    started = time.monotonic()
    threads = server._threads()
    for thread in threads:
        thread.join(max(0.0, started + kit.T(2) - time.monotonic()))
    alive = [t.name for t in threads if t.is_alive()]
    assert alive == [], (
        f"threads still alive {time.monotonic() - started:.1f} s after the CLOSE "
        f"(close_timeout {close_timeout:g} s): {alive}"
    )
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert not any("threads still running" in w for w in warnings), warnings


# ---------------------------------------------------------------------- 6. one worker


def test_pool_of_one_has_no_watchdog_and_runs_calls_on_the_worker(
    kit: Any, proxy: Any, closing: list[Any]
) -> None:
    adapter = ThreadAdapter(kit.T())
    server = start(kit, proxy, closing, adapter, thread_pool_size=1)
    n = server._index
    assert server._runner is None
    names = sorted(t.name for t in server._threads())
    assert names == sorted([f"ls-data-reader-{n}", f"ls-data-writer-{n}", f"ls-data-worker-{n}-1"])
    assert not any("watchdog" in name for name in names)
    # A blocking subscribe: the next requests wait behind it (strictly sequential) and
    # no other thread takes over reading.
    release = block_subscribe(kit, proxy, adapter, "A", "SA")
    proxy.send("SB|SUB|S|B", "SC|SUB|S|C", "UA|USB|S|A")
    items = server._items
    assert items is not None
    kit.wait_until(lambda: items.pending("A") == 2, kit.T(), "the USB queued behind the SUB")
    assert adapter.sequence() == [("subscribe", "A")]
    release.set()
    replies = proxy.read_lines(4)
    # One worker: B and C wait for it, in order; A's USB follows its SUB.
    assert replies[0] == "SA|SUB|V"
    assert replies.index("SB|SUB|V") < replies.index("SC|SUB|V")
    assert sorted(replies) == sorted(["SA|SUB|V", "SB|SUB|V", "SC|SUB|V", "UA|USB|V"])
    assert adapter.sequence()[0] == ("subscribe", "A")
    assert sorted(adapter.sequence()) == sorted(
        [("subscribe", "A"), ("subscribe", "B"), ("subscribe", "C"), ("unsubscribe", "A")]
    )
    assert {t for _, _, t in adapter.calls} == {f"ls-data-worker-{n}-1"}
    assert adapter.overlaps == 0
    assert reader_names(server) == {f"ls-data-reader-{n}"}


def test_default_pool_of_one_on_a_one_cpu_machine_keeps_the_watchdog(
    kit: Any, proxy: Any, closing: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only an explicit thread_pool_size=1 asks for strictly sequential calls.
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    adapter = ThreadAdapter(kit.T())
    server = start(kit, proxy, closing, adapter, thread_pool_size=0)
    n = server._index
    assert server.thread_pool_size == 1
    assert server._runner is not None
    assert f"ls-data-watchdog-{n}" in {t.name for t in server._threads()}
    kit.wait_until(lambda: server._serving, kit.T(), "the init to complete")
    proxy.send("SB|SUB|S|B")
    assert proxy.read_lines(1) == ["SB|SUB|V"]
    assert adapter.threads_of("subscribe", "B") == [reader_name(server)]


# ---------------------------------------------------------------------- 7. close() while stuck


@pytest.mark.parametrize("after_takeover", [True, False], ids=["after-takeover", "at-once"])
def test_close_while_a_call_is_stuck_returns_within_close_timeout(
    kit: Any,
    proxy: Any,
    closing: list[Any],
    caplog: pytest.LogCaptureFixture,
    after_takeover: bool,
) -> None:
    caplog.set_level(logging.INFO, logger=DATA_LOGGER)
    adapter = ThreadAdapter(kit.T())
    close_timeout = 0.3
    server = start(kit, proxy, closing, adapter, close_timeout=close_timeout)
    stuck = reader_name(server)
    release = block_subscribe(kit, proxy, adapter, "A", "SA")
    stuck_thread = thread_named(server, stuck)
    if after_takeover:
        wait_takeover(kit, server)
    started = time.monotonic()
    server.close()
    elapsed = time.monotonic() - started
    assert elapsed < close_timeout + kit.T(2), elapsed
    try:
        warnings = [
            r.getMessage()
            for r in caplog.records
            if r.levelno == logging.WARNING and "threads still running" in r.getMessage()
        ]
        assert len(warnings) == 1, warnings
        listed = warnings[0].split("close(): ", 1)[1].split(" (busy", 1)[0].split(", ")
        assert stuck in listed, warnings[0]
        assert stuck_thread.is_alive()
    finally:
        release.set()
    stuck_thread.join(kit.T())
    assert not stuck_thread.is_alive()
    assert proxy.wait_eof()


# ---------------------------------------------------------------------- cork and backpressure


def test_updates_filling_the_buffer_inside_an_inline_subscribe_do_not_stall_the_reader(
    kit: Any, proxy: Any, closing: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    # subscribe() sends a snapshot larger than the outgoing buffer, on the reader thread,
    # whose lines are corked. Waiting for room must let the writer go: the adapter
    # never blocks on its own, so no other thread should have to take over reading.
    caplog.set_level(logging.INFO, logger=DATA_LOGGER)

    class SnapshotAdapter(ThreadAdapter):
        def subscribe(self, item_name: str) -> None:
            super().subscribe(item_name)
            assert self.listener is not None
            for _ in range(3):
                self.listener.update(item_name, {"f": "x" * 2000}, True)

    adapter = SnapshotAdapter(kit.T())
    server = start(kit, proxy, closing, adapter, max_pending_bytes=2048)
    proxy.send("S1|SUB|S|a")
    lines = proxy.read_lines(4)
    assert lines[-1] == "S1|SUB|V"
    assert all("|UD3|" in line for line in lines[:3]), [line[:40] for line in lines]
    assert adapter.threads_of("subscribe", "a") == [reader_name(server)]
    assert stall_records(caplog) == []
    assert reader_names(server) == {reader_name(server)}


# ---------------------------------------------------------------------- 9. pipelining


def test_five_hundred_pipelined_subscriptions_in_one_send(
    kit: Any, proxy: Any, closing: list[Any]
) -> None:
    adapter = ThreadAdapter(kit.T())
    start(kit, proxy, closing, adapter)
    count = 500
    proxy.send(*(f"S{i}|SUB|S|item{i}" for i in range(count)))  # one sendall
    replies = proxy.read_lines(count, kit.T(10))
    assert replies == [f"S{i}|SUB|V" for i in range(count)]
    assert adapter.sequence() == [("subscribe", f"item{i}") for i in range(count)]


def test_a_reply_write_the_proxy_holds_up_is_not_a_stuck_adapter_call(
    kit: Any, proxy: Any, closing: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    # In a long chunk the reader writes the replies itself every 16 requests. With a
    # Proxy that does not read, that write blocks: it is not an adapter call, so the
    # watchdog must not hand reading to another thread nor put SUB on the pool.
    caplog.set_level(logging.INFO, logger=DATA_LOGGER)
    adapter = ThreadAdapter(kit.T())
    server = start(kit, proxy, closing, adapter)
    transport = server._transport
    transport._sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    proxy.conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    count = 3000
    proxy.send(*(f"S{i}|SUB|S|item{i}" for i in range(count)))
    kit.wait_until(
        lambda: transport._lent or len(adapter.calls) == count,
        kit.T(),
        "the reader to write replies (or to run every request)",
    )
    # Thirty watchdog periods with the reader's write held up (when it was).
    threading.Event().wait(30 * STALL_AFTER)
    replies = proxy.read_lines(count, kit.T(10))
    assert replies == [f"S{i}|SUB|V" for i in range(count)]
    assert stall_records(caplog) == []
    assert reader_names(server) == {reader_name(server)}
    assert set(adapter.threads_of("subscribe", "item0")) == {reader_name(server)}


# ---------------------------------------------------------------------- 8. InlineRunner


class CountingLock:
    """A lock that counts how often it is entered (the watchdog enters it once per tick
    while an inline call runs), so tests can wait for ticks instead of sleeping."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cond = threading.Condition()
        self.entries = 0

    def __enter__(self) -> CountingLock:
        self._lock.acquire()
        with self._cond:
            self.entries += 1
            self._cond.notify_all()
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.release()

    def wait_entries(self, count: int, timeout: float) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: self.entries >= count, timeout), (
                f"the lock was entered {self.entries} times, expected {count}"
            )


class Stalls:
    """The ``on_stall`` callback: records the kinds, signals each call."""

    def __init__(self) -> None:
        self.kinds: list[Hashable] = []
        self.threads: list[str] = []
        self._cond = threading.Condition()

    def __call__(self, kind: Hashable) -> None:
        with self._cond:
            self.kinds.append(kind)
            self.threads.append(threading.current_thread().name)
            self._cond.notify_all()

    def wait_count(self, count: int, timeout: float) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.kinds) >= count, timeout), (
                f"on_stall called {len(self.kinds)} times, expected {count}"
            )


@pytest.fixture
def runners() -> Any:
    """Create InlineRunners; they are stopped and joined at teardown."""
    made: list[InlineRunner] = []

    def make(
        lock: Any = None, stall_after: float = 0.002, cooldown: float = 60.0
    ) -> tuple[InlineRunner, Stalls, Any]:
        lock = lock if lock is not None else CountingLock()
        stalls = Stalls()
        runner = InlineRunner(
            f"test-watchdog-{len(made) + 1}",
            lock,
            stalls,
            stall_after=stall_after,
            cooldown=cooldown,
        )
        made.append(runner)
        runner.start()
        return runner, stalls, lock

    yield make
    for runner in made:
        runner.stop()
    for runner in made:
        runner.thread.join(5)
        assert not runner.thread.is_alive()


def test_runner_calls_on_stall_once_per_stalled_call(runners: Any, kit: Any) -> None:
    runner, stalls, lock = runners()
    runner.begin("SUB")
    stalls.wait_count(1, kit.T())
    assert stalls.kinds == ["SUB"]
    assert stalls.threads == [runner.thread.name]
    # The call goes on for many more ticks: it is not rescued again.
    seen = lock.entries
    lock.wait_entries(seen + 20, kit.T())
    assert stalls.kinds == ["SUB"]
    with lock:
        runner.end()
    # The next stalled call is rescued, once, with its own kind.
    runner.begin("USB")
    stalls.wait_count(2, kit.T())
    seen = lock.entries
    lock.wait_entries(seen + 20, kit.T())
    assert stalls.kinds == ["SUB", "USB"]
    with lock:
        runner.end()


def test_runner_does_not_rescue_calls_that_end_in_time(runners: Any, kit: Any) -> None:
    # A generous stall_after: calls that end at once are never rescued.
    runner, stalls, lock = runners(stall_after=kit.T(0.5))
    for _ in range(200):
        runner.begin("NUS")
        with lock:
            runner.end()
    runner.begin("NNS")
    stalls.wait_count(1, kit.T())
    assert stalls.kinds == ["NNS"]
    with lock:
        runner.end()


def test_runner_accepts_is_false_during_the_cooldown(runners: Any, kit: Any) -> None:
    runner, stalls, lock = runners(cooldown=3600.0)
    assert runner.accepts("SUB") and runner.accepts("USB")
    runner.begin("SUB")
    stalls.wait_count(1, kit.T())
    assert not runner.accepts("SUB")
    assert runner.accepts("USB")  # only the kind that stalled
    with lock:
        runner.end()
    assert not runner.accepts("SUB")  # the end of the call does not end the cooldown


def test_runner_accepts_again_after_the_cooldown(runners: Any, kit: Any) -> None:
    runner, stalls, lock = runners(cooldown=0.05)
    runner.begin("SUB")
    stalls.wait_count(1, kit.T())
    with lock:
        runner.end()
    kit.wait_until(lambda: runner.accepts("SUB"), kit.T(), "the end of the cooldown")
    assert runner.accepts("SUB")
    # And it can stall (and cool down) again.
    runner.begin("SUB")
    stalls.wait_count(2, kit.T())
    assert stalls.kinds == ["SUB", "SUB"]
    with lock:
        runner.end()


def test_runner_disarms_when_idle_and_rearms_on_the_next_call(runners: Any, kit: Any) -> None:
    runner, stalls, lock = runners()
    kit.wait_until(lambda: runner.thread.is_alive(), kit.T(), "the watchdog thread")
    assert not runner._armed  # no call yet: the watchdog sleeps without a timeout
    runner.begin("GIS")
    with lock:
        runner.end()
    assert runner._armed
    # After its idle ticks the watchdog sleeps again, and takes no lock meanwhile.
    kit.wait_until(lambda: not runner._armed, kit.T(), "the watchdog to disarm")
    entries = lock.entries
    assert stalls.kinds == []
    # The next call re-arms it, and a stall is still noticed.
    runner.begin("GIS")
    assert runner._armed
    stalls.wait_count(1, kit.T())
    assert stalls.kinds == ["GIS"]
    assert lock.entries > entries
    with lock:
        runner.end()


def test_runner_stop_ends_its_thread(runners: Any, kit: Any) -> None:
    # Idle (disarmed) watchdog.
    idle, _, _ = runners()
    kit.wait_until(lambda: idle.thread.is_alive(), kit.T(), "the watchdog thread")
    idle.stop()
    idle.thread.join(kit.T())
    assert not idle.thread.is_alive()
    # Armed watchdog, stopped while a call runs and while holding the lock
    # (close() may do that).
    busy, stalls, lock = runners()
    busy.begin("SUB")
    stalls.wait_count(1, kit.T())
    with lock:
        busy.stop()
    busy.thread.join(kit.T())
    assert not busy.thread.is_alive()
    with lock:
        busy.end()
    # Not started: stop() is harmless.
    never = InlineRunner("test-watchdog-never", threading.Lock(), lambda kind: None)
    never.stop()
    assert not never.thread.is_alive()


def test_runner_reports_an_on_stall_error_and_goes_on(
    runners: Any, kit: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="lightstreamer-adapter.server")
    lock = CountingLock()
    calls: list[Hashable] = []
    called = threading.Event()

    def broken(kind: Hashable) -> None:
        calls.append(kind)
        called.set()
        raise RuntimeError("boom")

    runner = InlineRunner("test-watchdog-broken", lock, broken, stall_after=0.002)
    runner.start()
    try:
        runner.begin("SUB")
        assert called.wait(kit.T())
        kit.wait_until(
            lambda: any("replacing a busy reader" in r.getMessage() for r in caplog.records),
            kit.T(),
            "the error log",
        )
        assert runner.thread.is_alive()
        assert not runner.accepts("SUB")
        with lock:
            runner.end()
    finally:
        runner.stop()
        runner.thread.join(kit.T())
    assert not runner.thread.is_alive()
    assert calls == ["SUB"]
