"""The simulator over TLS: one TLS call at a time, and the same behaviour as in plain TCP.

OpenSSL forbids two threads in one TLS connection at a time, and CPython releases the GIL
inside ``SSL_read``/``SSL_write``: the simulator's reader thread (in ``recv``) and a test
thread sending a request (in ``send``/``sendall``) must never be in the TLS socket
together, or the TLS stream can be corrupted (a rare ``bad record mac``, a broken or stuck
connection). The corruption itself is rare, so the simulator's socket is of a subclass
that records every time a thread enters it while another is inside. The adapter floods
updates while the test sends requests, and everything must also arrive intact and in
order; the ends of a connection (a CLOSE, the adapter's close, refused credentials, an
adapter that stops reading) are reported as over plain TCP.
"""

from __future__ import annotations

import os
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from lightstreamer_adapter.interfaces.data import DataProvider
from lightstreamer_adapter.server import DataProviderServer
from lightstreamer_adapter.testing import CredentialsRefusedError, DataProxySimulator

SCALE = float(os.environ.get("LS_TEST_TIMEOUT_SCALE", "1"))
T = 5.0 * SCALE

RAC = "1|RAC|S|enableClosePacket|S|true|S|SDK|S|Python+Adapter+SDK"
DPI_OK = {"DPI": ["{id}|DPI|S|ARI.version|S|1.9.1"]}

#: Updates of the flood; requests sent meanwhile (at least, at most).
UPDATES = 10000
MIN_REQUESTS = 300
MAX_REQUESTS = 3000
#: Makes each update line about 150 bytes.
PAD = "p" * 120


class Watch:
    """Records the calls that entered the TLS socket while another thread was inside."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inside: dict[int, int] = {}  # thread ident -> nesting depth
        self.calls: dict[str, int] = {}
        self.overlaps: list[str] = []

    @contextmanager
    def call(self, name: str) -> Iterator[None]:
        me = threading.get_ident()
        with self._lock:
            others = [ident for ident in self._inside if ident != me]
            if others and len(self.overlaps) < 100:
                self.overlaps.append(f"{name} while thread {others[0]} was inside")
            self._inside[me] = self._inside.get(me, 0) + 1
            self.calls[name] = self.calls.get(name, 0) + 1
        try:
            yield
        finally:
            with self._lock:
                depth = self._inside.pop(me) - 1
                if depth:
                    self._inside[me] = depth


@dataclass
class Tls:
    """The contexts of one test: the simulator's (watched) and the adapter's."""

    watch: Watch
    server: ssl.SSLContext
    client: ssl.SSLContext
    sockets: list[ssl.SSLSocket] = field(default_factory=list)

    def connect(self, address: tuple[str, int], first_line: str) -> ssl.SSLSocket:
        """A TLS client socket that sends ``first_line`` and then reads nothing."""
        sock = self.client.wrap_socket(
            socket.create_connection(address, timeout=T), server_hostname=address[0]
        )
        self.sockets.append(sock)
        sock.sendall(first_line.encode("ascii") + b"\r\n")
        return sock


@pytest.fixture
def tls(certificate: tuple[Path, Path]) -> Iterator[Tls]:
    """Fresh contexts for ``certificate``; the simulator's sockets report to a Watch."""
    watch = Watch()

    class WatchedSocket(ssl.SSLSocket):
        def recv(self, buflen: int = 1024, flags: int = 0) -> bytes:
            with watch.call("recv"):
                return super().recv(buflen, flags)

        def send(self, data: Any, flags: int = 0) -> int:
            with watch.call("send"):
                return super().send(data, flags)

        def sendall(self, data: Any, flags: int = 0) -> None:
            with watch.call("sendall"):
                super().sendall(data, flags)

    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(*certificate)
    server.sslsocket_class = WatchedSocket
    client = ssl.create_default_context(cafile=str(certificate[0]))
    made = Tls(watch, server, client)
    yield made
    for sock in made.sockets:
        sock.close()


class FloodAdapter(DataProvider):
    """Sends ``UPDATES`` numbered updates of item ``flood`` from a thread of its own."""

    def __init__(self) -> None:
        self.listener: Any = None
        self.done = threading.Event()
        self.failures: list[BaseException] = []
        self._thread = threading.Thread(target=self._flood, name="flood", daemon=True)

    def initialize(self, parameters: Any, config_file: Any = None) -> None:
        pass

    def set_listener(self, event_listener: Any) -> None:
        self.listener = event_listener

    def issnapshot_available(self, item_name: str) -> bool:
        # True: the server sends no end-of-snapshot of its own for the many requests.
        return True

    def subscribe(self, item_name: str) -> None:
        pass

    def unsubscribe(self, item_name: str) -> None:
        pass

    def start(self) -> None:
        self._thread.start()

    def join(self) -> None:
        self._thread.join(T)
        assert not self._thread.is_alive(), "the flood thread did not end"

    def _flood(self) -> None:
        try:
            for n in range(UPDATES):
                self.listener.update("flood", {"n": str(n), "pad": PAD}, False)
        except BaseException as exc:
            self.failures.append(exc)
        finally:
            self.done.set()


def test_tls_requests_while_the_adapter_floods_updates(tls: Tls) -> None:
    adapter = FloodAdapter()
    with DataProxySimulator(timeout=T, ssl_context=tls.server) as proxy:
        proxy.attach(DataProviderServer(adapter, proxy.address, ssl_context=tls.client))
        proxy.subscribe("flood")
        adapter.start()
        # Requests go out one by one (one TLS write each) while the reader thread reads
        # the flood and the replies, until the flood has been written.
        pending = []
        while len(pending) < MAX_REQUESTS and (
            len(pending) < MIN_REQUESTS or not adapter.done.is_set()
        ):
            pending.append(proxy.send_subscribe(f"item{len(pending)}"))
        for reply in pending:
            reply.result(T)
        numbers = []
        for _ in range(UPDATES):
            update = proxy.next_update(T, item="flood")
            assert update.values["pad"] == PAD
            numbers.append(update.values["n"])
        assert numbers == [str(n) for n in range(UPDATES)]
        adapter.join()
        assert adapter.failures == []
        proxy.check()
        proxy.close_connection("done")
    assert tls.watch.calls.get("recv", 0) > 0, "the watched socket class was not used"
    assert tls.watch.calls.get("send", 0) + tls.watch.calls.get("sendall", 0) > len(pending)
    assert tls.watch.overlaps == []


# -- the ends of a TLS connection, as over plain TCP -------------------------------------------


def ready(proxy: DataProxySimulator, remote: Callable[..., Any], tls: Tls) -> Any:
    """Connect a fake remote over TLS, accept it and init it."""
    fake = remote(proxy.address, DPI_OK, ssl_context=tls.client)
    proxy.accept()
    proxy.init()
    assert fake.next_line().split("|")[1] == "DPI"
    return fake


def test_tls_close_connection_sends_close_then_eof(remote: Any, tls: Tls) -> None:
    with DataProxySimulator(timeout=T, ssl_context=tls.server) as proxy:
        fake = ready(proxy, remote, tls)
        proxy.close_connection("server shutting down")
        assert fake.eof.wait(T)
        assert bytes(fake.raw).endswith(b"0|CLOSE|S|reason|S|server+shutting+down\r\n")
        with pytest.raises(ConnectionError, match="the simulator closed the connection"):
            proxy.subscribe("a")
        assert not proxy.connected
    assert tls.watch.overlaps == []


def test_tls_reply_waits_fail_when_the_adapter_disconnects(remote: Any, tls: Tls) -> None:
    with DataProxySimulator(timeout=T, ssl_context=tls.server) as proxy:
        fake = ready(proxy, remote, tls)
        pending = proxy.send_subscribe("a")
        fake.next_line()
        fake.close()
        with pytest.raises(ConnectionError, match="the adapter closed the connection"):
            pending.result()
        proxy.wait_closed()
        assert not proxy.connected
    assert tls.watch.overlaps == []


def test_tls_wrong_credentials_close_with_the_proxy_bytes(remote: Any, tls: Tls) -> None:
    with DataProxySimulator(
        timeout=T, ssl_context=tls.server, credentials=("remote1", "s3cr&t")
    ) as proxy:
        fake = remote(proxy.address, first=[RAC], ssl_context=tls.client)
        with pytest.raises(CredentialsRefusedError, match="wrong remote credentials"):
            proxy.accept()
        assert fake.eof.wait(T)
        assert bytes(fake.raw) == b"0|CLOSE|S|reason|S|wrong+credentials\r\n"
        proxy.wait_closed()
        with pytest.raises(ConnectionError):
            proxy.init()
    assert tls.watch.overlaps == []


def test_tls_send_times_out_when_the_adapter_stops_reading(tls: Tls) -> None:
    timeout = 1.0 * SCALE
    line = "x" * 1_000_000
    with DataProxySimulator(timeout=timeout, ssl_context=tls.server) as proxy:
        tls.connect(proxy.address, "1|RAC|S|enableClosePacket|S|false")
        proxy.accept()
        # The socket buffers take a few megabytes, then the write waits for the timeout.
        with pytest.raises(TimeoutError, match="within the simulator's timeout: is it still"):
            for _ in range(100):
                proxy.send_raw(line)
    assert tls.watch.overlaps == []
