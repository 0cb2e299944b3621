"""The transport over TLS: one TLS call at a time, non-blocking, on real loopback sockets.

A TLS socket must not be read and written by two threads at once; the transport
serializes its TLS calls (see ``TlsIO``). These tests drive both directions at once,
and check the ends of a TLS connection: a local close, the Proxy's close, a Proxy that
stops reading. The Proxy's end is used by one thread only.
"""

from __future__ import annotations

import select
import socket
import ssl
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lightstreamer_adapter._threading import transport as transport_module
from lightstreamer_adapter._threading.transport import open_connection

RAC = "1|RAC|S|enableClosePacket|S|true\r\n"


@pytest.fixture
def contexts(certificate: tuple[Path, Path]) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(Proxy's server context, adapter's client context)."""
    cert, key = certificate
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(cert))
    return server, client


@pytest.fixture
def tls_pair(
    kit: Any, contexts: tuple[ssl.SSLContext, ssl.SSLContext]
) -> Iterator[tuple[ssl.SSLSocket, ssl.SSLSocket]]:
    """(adapter's end, Proxy's end) of a TLS connection over loopback TCP."""
    server_context, client_context = contexts
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(kit.T())
    accepted: list[ssl.SSLSocket] = []
    failures: list[BaseException] = []

    def accept() -> None:
        try:
            conn, _ = listener.accept()
            conn.settimeout(kit.T())
            accepted.append(server_context.wrap_socket(conn, server_side=True))
        except BaseException as exc:
            failures.append(exc)

    acceptor = threading.Thread(target=accept, name="tls-accept")
    acceptor.start()
    try:
        client = open_connection(
            ("127.0.0.1", listener.getsockname()[1]),
            connect_timeout=kit.T(),
            ssl_context=client_context,
        )
    finally:
        acceptor.join(kit.T())
        listener.close()
    assert not acceptor.is_alive() and not failures, failures
    assert isinstance(client, ssl.SSLSocket)
    proxy = accepted[0]
    yield client, proxy
    proxy.close()
    client.close()


class Events:
    """What a transport reports."""

    def __init__(self, expected_bytes: int = -1) -> None:
        self.data = bytearray()
        self.expected_bytes = expected_bytes
        self.all_data = threading.Event()
        self.closed: list[BaseException | None] = []
        self.closed_event = threading.Event()

    def on_data(self, chunk: bytes) -> None:
        self.data += chunk
        if len(self.data) == self.expected_bytes:
            self.all_data.set()

    def on_closed(self, failure: BaseException | None) -> None:
        self.closed.append(failure)
        self.closed_event.set()


def pump(
    sock: ssl.SSLSocket,
    requests: list[bytes],
    expected_lines: int,
    timeout: float,
    batch: int = 10,
) -> bytes:
    """Play the Proxy on one thread: read ``expected_lines`` lines while sending requests.

    A batch of requests leaves each time something arrives, so that they cross the
    incoming flood; the rest leaves once everything has arrived. Returns the bytes read.
    """
    sock.setblocking(False)
    deadline = time.monotonic() + timeout
    received = bytearray()
    lines = 0
    queued = bytearray()
    chunk_out = b""  # the bytes of a send to repeat after a "want" error
    next_request = 0
    while lines < expected_lines or chunk_out or queued or next_request < len(requests):
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"timed out: {lines} lines read, {next_request} requests queued"
        progressed = False
        try:
            chunk = sock.recv(65536)
        except ssl.SSLWantReadError:
            pass
        else:
            assert chunk, f"end of stream after {lines} lines"
            received += chunk
            lines += chunk.count(b"\n")
            progressed = True
        if next_request < len(requests) and (progressed or lines >= expected_lines):
            queued += b"".join(requests[next_request : next_request + batch])
            next_request += batch
        if not chunk_out and queued:
            chunk_out = bytes(queued[:16384])
            del queued[:16384]
        want_write = False
        if chunk_out:
            try:
                sent = sock.send(chunk_out)
            except ssl.SSLWantWriteError:
                want_write = True
            else:
                assert sent == len(chunk_out)
                chunk_out = b""
                progressed = True
        if not progressed:
            # Wait (bounded) for the socket: a read is tried first on every round, so no
            # decrypted bytes are left waiting here.
            select.select([sock], [sock] if want_write else [], [], min(remaining, 0.5))
    return bytes(received)


def test_many_lines_and_requests_cross_over_tls_intact_and_in_order(
    kit: Any, tls_pair: tuple[ssl.SSLSocket, ssl.SSLSocket]
) -> None:
    client, proxy = tls_pair
    producers, per_producer = 4, 5000
    requests = [
        f"{kind}{n}|{kind}|S|item{n % 7}\r\n".encode()
        for n in range(1000)
        for kind in ("SUB", "USB")
    ]
    events = Events(expected_bytes=sum(map(len, requests)))
    transport = kit.make_transport(client, events)
    read: list[bytes] = []
    failures: list[BaseException] = []

    def play_proxy() -> None:
        try:
            read.append(pump(proxy, requests, 1 + producers * per_producer, kit.T(30)))
        except BaseException as exc:
            failures.append(exc)

    start = threading.Barrier(producers + 1, timeout=kit.T())

    def produce(number: int) -> None:
        start.wait()
        pad = "v" * (number * 7)  # lines of different lengths
        for seq in range(per_producer):
            assert transport.send(f"{seq}|UD3|S|p{number}|S|{seq}|S|{pad}\r\n")

    peer = threading.Thread(target=play_proxy, name="tls-proxy")
    threads = [threading.Thread(target=produce, args=(n,)) for n in range(producers)]
    transport.start(RAC)
    try:
        peer.start()
        for thread in threads:
            thread.start()
        start.wait()
        for thread in threads:
            thread.join(kit.T(30))
        peer.join(kit.T(30))
        assert not peer.is_alive() and not any(t.is_alive() for t in threads)
        assert not failures, failures
        assert events.all_data.wait(kit.T())
    finally:
        transport.close()
    assert transport.join(time.monotonic() + kit.T())
    assert events.closed == [None]
    # The Proxy's requests arrived whole and in order.
    assert bytes(events.data) == b"".join(requests)
    # Every line arrived whole, RAC first, each producer's lines in order.
    text = read[0].decode()
    assert text.endswith("\r\n")
    lines = text[:-2].split("\r\n")
    assert lines[0] + "\r\n" == RAC
    last = dict.fromkeys(range(producers), -1)
    for line in lines[1:]:
        seq, method, _, producer, _, again, _, pad = line.split("|")
        number = int(producer[1:])
        assert method == "UD3" and again == seq and pad == "v" * (number * 7), line
        assert int(seq) == last[number] + 1, line
        last[number] = int(seq)
    assert last == dict.fromkeys(range(producers), per_producer - 1)


_PAIR = (("Q", "SUB"), ("R", "USB"))


@pytest.mark.parametrize("at_once", [False, True], ids=["paced", "pipelined"])
def test_updates_over_tls_while_the_proxy_subscribes_and_unsubscribes(
    kit: Any, contexts: tuple[ssl.SSLContext, ssl.SSLContext], closing: list[Any], at_once: bool
) -> None:
    # Paced: a pair of requests now and then. Pipelined: all of them in one send, so that
    # the reader writes replies itself in the middle of a chunk (every 16 requests) while
    # the writer is busy with the updates, or lent to the reader.
    server_context, client_context = contexts
    fake = kit.FakeProxy(ssl_context=server_context)
    closing.append(fake)
    adapter = kit.Adapter()
    kit.start_server(fake, adapter, closing, ssl_context=client_context)
    streams = [f"stream{n}" for n in range(4)]
    fake.send(*(f"S{n}|SUB|S|{item}" for n, item in enumerate(streams)))
    assert sorted(fake.read_lines(len(streams))) == sorted(
        f"S{n}|SUB|V" for n in range(len(streams))
    )
    per_item = 5000

    def produce(item: str) -> None:
        listener = adapter.listener
        for seq in range(per_item):
            listener.update(item, {"seq": str(seq), "pad": "p" * 24}, False)

    threads = [threading.Thread(target=produce, args=(item,)) for item in streams]
    for thread in threads:
        thread.start()
    # The Proxy subscribes and unsubscribes other items while the updates flow; this
    # thread alone uses the Proxy's end (reads, then a pair of requests, and so on).
    pairs = 200
    sent_pairs = 0
    if at_once:
        fake.send(*(f"{k}{n}|{m}|S|side{n}" for n in range(pairs) for k, m in _PAIR))
        sent_pairs = pairs
    replies: list[str] = []
    last = dict.fromkeys(streams, -1)
    updates = 0
    buffer = b""
    conn = fake.conn
    deadline = time.monotonic() + kit.T(30)
    while updates < per_item * len(streams) or len(replies) < 2 * pairs:
        if sent_pairs < pairs and (updates >= 100 * sent_pairs or updates == 4 * per_item):
            fake.send(
                f"Q{sent_pairs}|SUB|S|side{sent_pairs}", f"R{sent_pairs}|USB|S|side{sent_pairs}"
            )
            sent_pairs += 1
        conn.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = conn.recv(1 << 20)
        assert chunk, "end of stream"
        buffer += chunk
        *lines, buffer = buffer.split(b"\r\n")
        for raw in lines:
            parts = raw.decode().split("|")
            if parts[1] == "UD3":
                item, seq = parts[3], int(parts[11])
                assert parts[8:14] == ["S", "seq", "S", str(seq), "S", "pad"], raw
                assert parts[14:] == ["S", "p" * 24], raw
                assert seq == last[item] + 1, raw
                last[item] = seq
                updates += 1
            else:
                replies.append(raw.decode())
    for thread in threads:
        thread.join(kit.T())
    assert last == dict.fromkeys(streams, per_item - 1)
    assert buffer == b""
    # A USB that arrives before its SUB has run makes the SUB "too late" (ARI-PROTOCOL.md).
    too_late = "|SUB|EU|Subscribe request come too late"
    answers = {line.split("|", 1)[0]: (index, line) for index, line in enumerate(replies)}
    assert len(answers) == len(replies) == 2 * pairs
    for n in range(pairs):  # per item, the unsubscription is answered after the subscription
        (sub_at, sub), (usb_at, usb) = answers[f"Q{n}"], answers[f"R{n}"]
        assert sub in (f"Q{n}|SUB|V", f"Q{n}{too_late}") and usb == f"R{n}|USB|V"
        assert sub_at < usb_at


@pytest.fixture
def slow_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    """On Linux, where shutdown() wakes a waiting poll(), make the safety-net poll
    interval an hour: a thread that still ends promptly was woken by the shutdown."""
    if sys.platform.startswith("linux"):
        monkeypatch.setattr(transport_module, "_TLS_POLL_INTERVAL", 3600.0)


@pytest.mark.usefixtures("slow_poll")
def test_close_ends_an_idle_tls_connection_promptly(
    kit: Any, tls_pair: tuple[ssl.SSLSocket, ssl.SSLSocket]
) -> None:
    client, proxy = tls_pair
    events = Events(expected_bytes=len(b"SUB1|SUB|S|a\r\n"))
    transport = kit.make_transport(client, events)
    transport.start(RAC)
    proxy.sendall(b"SUB1|SUB|S|a\r\n")
    assert events.all_data.wait(kit.T())  # the reader is now waiting for more
    began = time.monotonic()
    transport.close()
    assert events.closed_event.wait(kit.T())
    assert transport.join(time.monotonic() + kit.T())
    assert time.monotonic() - began < kit.T(2)
    assert events.closed == [None]
    # The Proxy got RAC, then the end of the stream.
    proxy.settimeout(kit.T())
    data = b""
    while chunk := proxy.recv(65536):
        data += chunk
    assert data == RAC.encode()


@pytest.mark.usefixtures("slow_poll")
def test_close_ends_a_tls_writer_blocked_by_the_proxy_promptly(
    kit: Any, tls_pair: tuple[ssl.SSLSocket, ssl.SSLSocket], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = tls_pair  # the Proxy never reads
    writer_waits = threading.Event()
    real_wait = transport_module._wait_socket

    def wait_socket(sock: socket.socket, writable: bool, timeout: float) -> bool:
        if writable:
            writer_waits.set()
        return real_wait(sock, writable, timeout)

    monkeypatch.setattr(transport_module, "_wait_socket", wait_socket)
    events = Events()
    transport = kit.make_transport(client, events, send_timeout=kit.T(60))
    transport.start(RAC)
    line = "u" * 1022 + "\r\n"
    stopped = threading.Event()

    def produce() -> None:
        # Fills the socket buffers, then waits for room until close() (bounded anyway).
        for _ in range(100_000):
            if not transport.send(line):
                break
        stopped.set()

    producer = threading.Thread(target=produce, name="tls-producer")
    producer.start()
    try:
        assert writer_waits.wait(kit.T()), "the writer never had to wait"
    finally:
        began = time.monotonic()
        transport.close()
    assert stopped.wait(kit.T())
    producer.join(kit.T())
    assert events.closed_event.wait(kit.T())
    assert transport.join(time.monotonic() + kit.T())
    assert time.monotonic() - began < kit.T(2)
    assert events.closed == [None]


@pytest.mark.parametrize("how", ["close", "close_notify"])
def test_the_proxy_closing_a_tls_connection_is_reported_once(
    kit: Any, tls_pair: tuple[ssl.SSLSocket, ssl.SSLSocket], how: str
) -> None:
    client, proxy = tls_pair
    events = Events(expected_bytes=len(b"KEEPALIVE\r\n"))
    transport = kit.make_transport(client, events, keepalive=0.05)
    transport.start(RAC)
    proxy.sendall(b"KEEPALIVE\r\n")
    assert events.all_data.wait(kit.T())
    if how == "close_notify":
        try:
            proxy.unwrap()  # a TLS close_notify, then the adapter's end shuts down
        except OSError:
            pass  # the adapter did not answer with its own close_notify
    proxy.shutdown(socket.SHUT_RDWR)
    proxy.close()
    assert events.closed_event.wait(kit.T())
    assert transport.join(time.monotonic() + kit.T())
    assert len(events.closed) == 1
    assert isinstance(events.closed[0], EOFError), events.closed
    transport.close()  # harmless afterwards
    assert len(events.closed) == 1


@pytest.mark.parametrize("max_pending_bytes", [16 * 1024, 64 * 1024 * 1024])
def test_send_timeout_is_honoured_over_tls(
    kit: Any, tls_pair: tuple[ssl.SSLSocket, ssl.SSLSocket], max_pending_bytes: int
) -> None:
    """A Proxy that stops reading fails the connection after send_timeout.

    With a small buffer a producer waits for room; with a huge one only the writer
    waits, in its TLS write (the bound the socket timeout gives a plain socket).
    """
    client, _ = tls_pair  # the Proxy never reads
    events = Events()
    send_timeout = 0.5
    transport = kit.make_transport(
        client, events, send_timeout=send_timeout, max_pending_bytes=max_pending_bytes
    )
    transport.start(RAC)
    line = "w" * 1022 + "\r\n"
    began = time.monotonic()
    try:
        if max_pending_bytes > 1024 * 1024:
            # More than the loopback socket buffers of both ends hold, queued at once.
            for _ in range(32 * 1024):
                assert transport.send(line)
        else:
            for _ in range(1_000_000):
                if not transport.send(line):
                    break
            else:
                pytest.fail("the producer was never stopped")
        assert events.closed_event.wait(kit.T())
        elapsed = time.monotonic() - began
        assert transport.join(time.monotonic() + kit.T())
    finally:
        transport.close()
    assert len(events.closed) == 1
    failure = events.closed[0]
    assert isinstance(failure, TimeoutError), failure
    assert "send_timeout" in str(failure)
    if max_pending_bytes > 1024 * 1024:
        assert "write to the Proxy Adapter did not complete" in str(failure)
    assert send_timeout <= elapsed < send_timeout + kit.T(2)


def test_plain_sockets_keep_the_direct_path(kit: Any) -> None:
    left, right = socket.socketpair()
    try:
        events = Events()
        transport = kit.make_transport(left, events)
        assert transport._tls is None
        assert transport._recv == left.recv and transport._sendall == left.sendall
        transport.close()
    finally:
        left.close()
        right.close()
