"""The transport and the worker pool, on real sockets, without the protocol layers."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from lightstreamer_adapter._threading.pool import SerialQueue, WorkerPool
from lightstreamer_adapter._threading.transport import open_connection


class Events:
    """Collects what a transport reports."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.data_event = threading.Event()
        self.closed: list[BaseException | None] = []
        self.closed_event = threading.Event()

    def on_data(self, chunk: bytes) -> None:
        self.data += chunk
        self.data_event.set()

    def on_closed(self, failure: BaseException | None) -> None:
        self.closed.append(failure)
        self.closed_event.set()


@pytest.fixture
def pair() -> Any:
    left, right = socket.socketpair()
    yield left, right
    left.close()
    right.close()


def read_exactly(sock: socket.socket, size: int, timeout: float) -> bytes:
    sock.settimeout(timeout)
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        assert chunk, "unexpected EOF"
        data += chunk
    return data


def read_line(sock: socket.socket, timeout: float) -> bytes:
    sock.settimeout(timeout)
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = sock.recv(1)
        assert chunk, "unexpected EOF"
        data += chunk
    return data


def test_first_line_is_written_before_any_other(kit: Any, pair: Any) -> None:
    left, right = pair
    events = Events()
    transport = kit.make_transport(left, events, keepalive=0.05)
    transport.start("1|RAC|S|enableClosePacket|S|true\r\n")
    try:
        assert read_line(right, kit.T()) == b"1|RAC|S|enableClosePacket|S|true\r\n"
        assert read_line(right, kit.T()) == b"KEEPALIVE\r\n"
    finally:
        transport.close()
        assert transport.join(time.monotonic() + kit.T())


def test_lines_are_never_interleaved_under_concurrency(kit: Any, pair: Any) -> None:
    left, right = pair
    events = Events()
    transport = kit.make_transport(left, events)
    transport.start("FIRST\r\n")
    threads = 8
    per_thread = 2000
    expected = {f"T{t}|{'x' * (t * 37)}|{i}" for t in range(threads) for i in range(per_thread)}

    def produce(t: int) -> None:
        for i in range(per_thread):
            assert transport.send(f"T{t}|{'x' * (t * 37)}|{i}\r\n")

    workers = [threading.Thread(target=produce, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    received: list[str] = []
    buffer = b""
    right.settimeout(kit.T())
    deadline = time.monotonic() + kit.T()
    while len(received) < threads * per_thread + 1 and time.monotonic() < deadline:
        buffer += right.recv(1 << 16)
        *lines, buffer = buffer.split(b"\r\n")
        received.extend(line.decode() for line in lines)
    for worker in workers:
        worker.join(kit.T())
    transport.close()
    assert received[0] == "FIRST"
    assert set(received[1:]) == expected
    # Per-producer order is kept.
    for t in range(threads):
        mine = [int(line.rsplit("|", 1)[1]) for line in received[1:] if line.startswith(f"T{t}|")]
        assert mine == list(range(per_thread))


def test_keepalive_only_after_idle_interval(kit: Any, pair: Any) -> None:
    left, right = pair
    events = Events()
    interval = 0.3
    transport = kit.make_transport(left, events, keepalive=interval)
    started = time.monotonic()
    transport.start("FIRST\r\n")
    try:
        assert read_line(right, kit.T()) == b"FIRST\r\n"
        assert read_line(right, kit.T()) == b"KEEPALIVE\r\n"
        assert time.monotonic() - started >= interval
        # Traffic more frequent than the interval suppresses keepalives.
        pacing = threading.Event()
        for n in range(8):
            sent_at = time.monotonic()
            transport.send(f"DATA{n}\r\n")
            assert read_line(right, kit.T()) == f"DATA{n}\r\n".encode()
            pacing.wait(max(0.0, interval / 4 - (time.monotonic() - sent_at)))
        # And the next keepalive comes one interval after the last write.
        assert read_line(right, kit.T()) == b"KEEPALIVE\r\n"
        assert time.monotonic() - sent_at >= interval
    finally:
        transport.close()


def test_keepalive_interval_can_change_and_be_disabled(kit: Any, pair: Any) -> None:
    left, right = pair
    events = Events()
    transport = kit.make_transport(left, events, keepalive=None)
    transport.start("FIRST\r\n")
    try:
        assert read_line(right, kit.T()) == b"FIRST\r\n"
        right.settimeout(0.3)
        with pytest.raises((TimeoutError, socket.timeout)):
            right.recv(1)
        changed = time.monotonic()
        transport.set_keepalive(0.2)
        assert read_line(right, kit.T()) == b"KEEPALIVE\r\n"
        assert transport.keepalive == 0.2
        del changed
    finally:
        transport.close()


def test_end_of_stream_is_reported_once(kit: Any, pair: Any) -> None:
    left, right = pair
    events = Events()
    transport = kit.make_transport(left, events)
    transport.start("FIRST\r\n")
    right.sendall(b"hello\r\n")
    assert events.data_event.wait(kit.T())
    right.shutdown(socket.SHUT_RDWR)
    assert events.closed_event.wait(kit.T())
    assert transport.join(time.monotonic() + kit.T())
    assert len(events.closed) == 1
    assert isinstance(events.closed[0], EOFError)
    assert bytes(events.data) == b"hello\r\n"
    transport.close()  # harmless afterwards
    assert len(events.closed) == 1


def test_local_close_reports_none_and_joins(kit: Any, pair: Any) -> None:
    left, right = pair
    events = Events()
    transport = kit.make_transport(left, events, keepalive=1.0)
    transport.start("FIRST\r\n")
    reader, writer = transport.threads
    assert reader.name == "ls-test-reader-1" and writer.name == "ls-test-writer-1"
    assert not reader.daemon and not writer.daemon
    transport.close()
    transport.close()
    assert transport.join(time.monotonic() + kit.T())
    assert events.closed == [None]
    assert not reader.is_alive() and not writer.is_alive()
    # The peer sees the end of the stream (1.3.1 bug B4: it saw nothing).
    assert read_line(right, kit.T()) == b"FIRST\r\n"
    right.settimeout(kit.T())
    assert right.recv(10) == b""
    assert not transport.send("LATE\r\n")


def test_producers_blocked_on_a_full_buffer_all_go_on(kit: Any) -> None:
    # 16 producers against a 2 KB buffer: they block on it again and again and are woken
    # one at a time (each waking the next while there is room). None may be left
    # behind, and every line must arrive, in order per producer.
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname(), timeout=kit.T())
    peer, _ = listener.accept()
    events = Events()
    transport = kit.make_transport(client, events, max_pending_bytes=2048, send_timeout=kit.T())
    transport.start("FIRST\r\n")
    producers, per_producer = 16, 500
    received = bytearray()
    total = len(b"FIRST\r\n") + sum(
        len(f"p{p}-{n}\r\n") for p in range(producers) for n in range(per_producer)
    )

    def read_all() -> None:
        peer.settimeout(kit.T())
        while len(received) < total:
            chunk = peer.recv(65536)
            if not chunk:
                return
            received.extend(chunk)

    def produce(p: int) -> None:
        for n in range(per_producer):
            assert transport.send(f"p{p}-{n}\r\n")

    threads = [threading.Thread(target=produce, args=(p,)) for p in range(producers)]
    reader = threading.Thread(target=read_all)
    try:
        reader.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(kit.T())
            assert not thread.is_alive(), "a producer stayed blocked on the full buffer"
        reader.join(kit.T())
        assert not reader.is_alive()
        lines = received.decode().split("\r\n")
        assert lines[0] == "FIRST" and lines[-1] == ""
        for p in range(producers):
            mine = [line for line in lines if line.startswith(f"p{p}-")]
            assert mine == [f"p{p}-{n}" for n in range(per_producer)]
        assert transport._room_waiters == 0
    finally:
        transport.close()
        peer.close()
        listener.close()


def test_backpressure_bounds_memory_and_fails_after_send_timeout(kit: Any) -> None:
    # A real TCP connection whose peer never reads.
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname(), timeout=kit.T())
    client.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    peer, _ = listener.accept()
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    events = Events()
    limit = 10_000
    send_timeout = 0.5
    transport = kit.make_transport(
        client, events, send_timeout=send_timeout, max_pending_bytes=limit
    )
    transport.start("FIRST\r\n")
    line = "x" * 98 + "\r\n"
    peak = 0
    blocked_since: float | None = None
    try:
        for _ in range(1_000_000):
            before = time.monotonic()
            if not transport.send(line):
                break
            if time.monotonic() - before > send_timeout / 2 and blocked_since is None:
                blocked_since = before
            peak = max(peak, transport._buffered)
        else:
            pytest.fail("the producer was never stopped")
        assert peak <= limit + len(line)
        assert events.closed_event.wait(kit.T())
        assert len(events.closed) == 1
        failure = events.closed[0]
        assert isinstance(failure, TimeoutError)
        assert transport.join(time.monotonic() + kit.T())
    finally:
        transport.close()
        peer.close()
        listener.close()


# ------------------------------------------------------------ the reader writing (cork)


class CorkedReader(Events):
    """``on_data`` plays the server's reader: it corks, queues ``lines``, calls
    ``write_queued()``, then waits for ``go_on`` before it queues ``after`` and uncorks."""

    def __init__(self, lines: list[str], after: list[str], timeout: float) -> None:
        super().__init__()
        self.transport: Any = None
        self.lines, self.after, self.timeout = lines, after, timeout
        self.go_on = threading.Event()
        self.done = threading.Event()
        self.errors: list[BaseException] = []

    def on_data(self, chunk: bytes) -> None:
        transport = self.transport
        try:
            transport.cork()
            for line in self.lines:
                assert transport.send(line)
            transport.write_queued()
            assert self.go_on.wait(self.timeout), "the test never let the reader go on"
            for line in self.after:
                transport.send(line)
        except BaseException as exc:  # reported to the test thread
            self.errors.append(exc)
        finally:
            transport.uncork()
            self.done.set()


def small_buffer_pair() -> tuple[socket.socket, socket.socket]:
    """A socket pair whose writing end holds little: a big write blocks until the
    other end reads."""
    left, right = socket.socketpair()
    left.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    return left, right


def wait_writer_idle(kit: Any, transport: Any) -> None:
    # write_queued() writes only when the writer waits for lines (a thread just started
    # may not be waiting yet).
    kit.wait_until(lambda: transport._writer_idle, kit.T(), "the writer to wait for lines")


def test_the_reader_writes_its_corked_lines_at_once_when_the_writer_is_idle(
    kit: Any, pair: Any
) -> None:
    # Corked lines wait for the end of the chunk, unless the reader writes them
    # itself: here the Proxy gets them while the reader is still corked.
    left, right = pair
    reader = CorkedReader(["1|SUB|V\r\n", "2|SUB|V\r\n"], ["3|USB|V\r\n"], kit.T())
    transport = reader.transport = kit.make_transport(left, reader)
    transport.start("FIRST\r\n")
    try:
        assert read_line(right, kit.T()) == b"FIRST\r\n"
        wait_writer_idle(kit, transport)
        right.sendall(b"requests\r\n")
        assert read_exactly(right, 18, kit.T()) == b"1|SUB|V\r\n2|SUB|V\r\n"
        assert not reader.done.is_set()
        reader.go_on.set()
        assert read_line(right, kit.T()) == b"3|USB|V\r\n"
        assert reader.done.wait(kit.T()) and not reader.errors
        # (The writer counts its lines out just after writing them.)
        kit.wait_until(lambda: transport._buffered == 0, kit.T(), "the buffer to be empty")
    finally:
        transport.close()
        assert transport.join(time.monotonic() + kit.T())


@pytest.mark.parametrize("other", ["OTHER\r\n", None], ids=["line", "keepalive-only"])
def test_lines_queued_while_the_reader_writes_follow_its_lines(
    kit: Any, other: str | None
) -> None:
    # The reader's write blocks (the Proxy does not read yet). Meanwhile the writer
    # wakes: keepalives are turned on, and another thread queues a line. It must wait
    # for the reader's lines to be written, then carry on after them: the line, and the
    # keepalives.
    left, right = small_buffer_pair()
    batch = [f"{n}|SUB|V|{'x' * 200}\r\n" for n in range(1000)]  # ~200 KB: blocks
    reader = CorkedReader(batch, [], kit.T())
    reader.go_on.set()
    transport = reader.transport = kit.make_transport(
        left, reader, keepalive=None, max_pending_bytes=1 << 20, send_timeout=kit.T()
    )
    transport.start("FIRST\r\n")
    try:
        assert read_line(right, kit.T()) == b"FIRST\r\n"
        wait_writer_idle(kit, transport)
        right.sendall(b"requests\r\n")
        kit.wait_until(lambda: transport._lent, kit.T(), "the reader to write its lines")
        transport.set_keepalive(0.05)
        if other is not None:
            assert transport.send(other)
        kit.wait_until(lambda: transport._missed, kit.T(), "the writer to wake and wait")
        expected = "".join([*batch, other or "KEEPALIVE\r\n"]).encode()
        assert read_exactly(right, len(expected), kit.T()) == expected
        assert reader.done.wait(kit.T()) and not reader.errors
        # The writer is back in charge: the keepalives go on.
        assert read_line(right, kit.T()) == b"KEEPALIVE\r\n"
        assert not transport._lent and not transport._missed
    finally:
        transport.close()
        assert transport.join(time.monotonic() + kit.T())
        left.close()
        right.close()


def test_the_reader_leaves_its_lines_to_a_busy_writer(kit: Any) -> None:
    # The writer is blocked in a long write: write_queued() must not wait for it (nor
    # write before it); the writer takes the reader's lines next.
    left, right = small_buffer_pair()
    reader = CorkedReader(["1|SUB|V\r\n"], ["2|USB|V\r\n"], kit.T())
    transport = reader.transport = kit.make_transport(
        left, reader, max_pending_bytes=1 << 20, send_timeout=kit.T()
    )
    transport.start("FIRST\r\n")
    try:
        assert read_line(right, kit.T()) == b"FIRST\r\n"
        big = "".join(f"U{n}|{'y' * 200}\r\n" for n in range(1000))
        assert transport.send(big)
        kit.wait_until(
            lambda: not transport._pending and not transport._writer_idle,
            kit.T(),
            "the writer to take the big line",
        )
        right.sendall(b"requests\r\n")
        # write_queued() returned at once: the reader is waiting for go_on already.
        kit.wait_until(lambda: transport._pending == ["1|SUB|V\r\n"], kit.T(), "the line")
        reader.go_on.set()
        assert reader.done.wait(kit.T()) and not reader.errors
        expected = big.encode() + b"1|SUB|V\r\n2|USB|V\r\n"
        assert read_exactly(right, len(expected), kit.T()) == expected
    finally:
        transport.close()
        assert transport.join(time.monotonic() + kit.T())
        left.close()
        right.close()


def test_a_failed_write_of_the_reader_fails_the_connection(kit: Any, pair: Any) -> None:
    left, right = pair
    reader = CorkedReader(["1|SUB|V\r\n"], [], kit.T())
    reader.go_on.set()
    transport = reader.transport = kit.make_transport(left, reader)
    transport.start("FIRST\r\n")
    try:
        assert read_line(right, kit.T()) == b"FIRST\r\n"
        wait_writer_idle(kit, transport)
        right.shutdown(socket.SHUT_RD)  # the reader's write fails (EPIPE)
        right.sendall(b"requests\r\n")
        assert reader.closed_event.wait(kit.T())
        assert reader.done.is_set() and not reader.errors
        assert len(reader.closed) == 1 and isinstance(reader.closed[0], OSError)
        assert not isinstance(reader.closed[0], EOFError)
        assert transport.join(time.monotonic() + kit.T())
        assert not transport._lent
    finally:
        transport.close()


def test_an_unexpected_error_in_the_reader_write_fails_the_connection(
    kit: Any, pair: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # A bug below write_queued() (here: the socket's sendall raising something else than
    # OSError) must not leave the writer lent for good: it is logged, and the
    # connection fails with it.
    left, right = pair
    reader = CorkedReader(["1|SUB|V\r\n"], [], kit.T())
    reader.go_on.set()
    transport = reader.transport = kit.make_transport(left, reader)
    transport.start("FIRST\r\n")
    bug = RuntimeError("a bug in sendall")

    def broken_sendall(data: bytes) -> None:
        raise bug

    try:
        assert read_line(right, kit.T()) == b"FIRST\r\n"
        wait_writer_idle(kit, transport)
        transport._sendall = broken_sendall
        right.sendall(b"requests\r\n")
        assert reader.closed_event.wait(kit.T())
        assert reader.closed == [bug] and not reader.errors
        assert not transport._lent
        assert any(
            r.exc_info and r.exc_info[1] is bug and "Unexpected error" in r.getMessage()
            for r in caplog.records
        )
        assert transport.join(time.monotonic() + kit.T())
    finally:
        transport.close()


def test_open_connection_sets_nodelay_and_timeout(kit: Any) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        sock = open_connection(listener.getsockname()[:2], connect_timeout=kit.T())
        try:
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
            assert sock.gettimeout() == kit.T()
        finally:
            sock.close()
    finally:
        listener.close()


def test_open_connection_ipv6(kit: Any) -> None:
    if not kit.ipv6_available():
        pytest.skip("::1 is not available on this machine")
    listener = socket.create_server(("::1", 0), family=socket.AF_INET6)
    try:
        sock = open_connection(("::1", listener.getsockname()[1]), connect_timeout=kit.T())
        try:
            assert sock.family == socket.AF_INET6
        finally:
            sock.close()
    finally:
        listener.close()


def test_open_connection_refused_raises_oserror(kit: Any) -> None:
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    with pytest.raises(OSError):
        open_connection(("127.0.0.1", port), connect_timeout=kit.T())


def test_tls_connection_checks_the_host_name(kit: Any, certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=str(cert))
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    accepted: list[Any] = []

    def serve() -> None:
        conn, _ = listener.accept()
        conn.settimeout(kit.T())
        try:
            tls = server_context.wrap_socket(conn, server_side=True)
            accepted.append(tls.recv(100))
            tls.close()
        except (ssl.SSLError, OSError) as exc:
            accepted.append(exc)
            conn.close()

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        sock = open_connection(
            ("localhost", port), connect_timeout=kit.T(), ssl_context=client_context
        )
        assert isinstance(sock, ssl.SSLSocket)
        assert sock.server_hostname == "localhost"
        sock.sendall(b"hello")
        thread.join(kit.T())
        assert accepted == [b"hello"]
        sock.close()
    finally:
        listener.close()
        thread.join(kit.T())


# ---------------------------------------------------------------------- pool


def test_pool_threads_are_named_and_not_daemon(kit: Any) -> None:
    pool = WorkerPool(3, "ls-test-worker-9")
    pool.start()
    done = threading.Event()
    assert pool.submit(done.set)
    assert done.wait(kit.T())
    assert [t.name for t in pool.threads] == [f"ls-test-worker-9-{n}" for n in (1, 2, 3)]
    assert not any(t.daemon for t in pool.threads)
    pool.shutdown()
    assert pool.join(time.monotonic() + kit.T())
    assert not pool.submit(done.set)


def test_pool_reports_task_errors_and_goes_on(kit: Any) -> None:
    errors: list[BaseException] = []
    pool = WorkerPool(1, "ls-test-worker", on_error=errors.append)
    pool.start()
    done = threading.Event()

    def boom() -> None:
        raise ValueError("boom")

    pool.submit(boom)
    pool.submit(done.set)
    assert done.wait(kit.T())
    assert [type(e) for e in errors] == [ValueError]
    pool.shutdown()
    assert pool.join(time.monotonic() + kit.T())


def test_serial_queue_keeps_per_key_order_without_overlap(kit: Any) -> None:
    pool = WorkerPool(8, "ls-test-worker")
    pool.start()
    running: dict[str, int] = {}
    seen: dict[str, list[int]] = {}
    overlaps: list[str] = []
    lock = threading.Lock()
    total = 20 * 200
    done = threading.Event()
    count = [0]

    def handler(key: str, item: int, more: bool) -> None:
        with lock:
            running[key] = running.get(key, 0) + 1
            if running[key] > 1:
                overlaps.append(key)
        seen.setdefault(key, []).append(item)
        with lock:
            running[key] -= 1
            count[0] += 1
            if count[0] == total:
                done.set()

    queue: SerialQueue[str, int] = SerialQueue(pool, handler, lambda k, i, e: None)
    for n in range(200):
        for k in range(20):
            queue.submit(f"item{k}", n)
    assert done.wait(kit.T())
    assert not overlaps
    assert all(seen[f"item{k}"] == list(range(200)) for k in range(20))
    pool.shutdown()
    assert pool.join(time.monotonic() + kit.T())


def test_serial_queue_more_flag_and_errors_do_not_wedge(kit: Any) -> None:
    pool = WorkerPool(2, "ls-test-worker")
    pool.start()
    gate = threading.Event()
    log: list[tuple[int, bool]] = []
    errors: list[tuple[str, int, str]] = []
    finished = threading.Event()

    def handler(key: str, item: int, more: bool) -> None:
        if item == 0:
            assert gate.wait(kit.T())
        log.append((item, more))
        if item == 1:
            raise RuntimeError("in the handler")
        if item == 3:
            finished.set()

    queue: SerialQueue[str, int] = SerialQueue(
        pool, handler, lambda k, i, e: errors.append((k, i, str(e)))
    )
    for n in range(4):
        queue.submit("a", n)
    assert queue.pending("a") == 4
    gate.set()
    assert finished.wait(kit.T())
    # Items 1 and 2 were taken while others waited; item 3 was the last one. (Item 0
    # may have been taken before the others were submitted.)
    assert [item for item, _ in log] == [0, 1, 2, 3]
    assert log[1:] == [(1, True), (2, True), (3, False)]
    assert errors == [("a", 1, "in the handler")]
    pool.shutdown()
    assert pool.join(time.monotonic() + kit.T())
    assert queue.pending("a") == 0
