"""Helpers for the thread front-end tests: a raw fake Proxy over real loopback sockets.

The fake Proxy speaks bytes, so the tests assert exact wire lines. Every wait has a
timeout scaled by ``LS_TEST_TIMEOUT_SCALE``.
"""

from __future__ import annotations

import os
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from lightstreamer_adapter._threading.transport import Transport
from lightstreamer_adapter.interfaces.data import DataProvider, ItemEventListener

SCALE = float(os.environ.get("LS_TEST_TIMEOUT_SCALE", "1"))


def T(seconds: float = 5.0) -> float:
    """A timeout scaled by LS_TEST_TIMEOUT_SCALE."""
    return seconds * SCALE


class FakeProxy:
    """A listening socket standing for the Proxy Adapter; one accepted connection."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        family: socket.AddressFamily = socket.AF_INET,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._listener = socket.socket(family, socket.SOCK_STREAM)
        self._listener.bind((host, 0))
        self._listener.listen(1)
        self._listener.settimeout(T())
        self._ssl_context = ssl_context
        self.host = host
        self.port: int = self._listener.getsockname()[1]
        self.conn: socket.socket | None = None
        self._buffer = b""
        self.received: list[str] = []

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    def begin_accept(self) -> None:
        """Accept in the background (needed for TLS, whose handshake blocks both ends)."""
        failures: list[BaseException] = []

        def run() -> None:
            try:
                self.accept()
            except BaseException as exc:
                failures.append(exc)

        self._accept_failures = failures
        self._acceptor = threading.Thread(target=run, name="fake-proxy-accept")
        self._acceptor.start()

    def finish_accept(self) -> None:
        self._acceptor.join(T())
        assert not self._acceptor.is_alive(), "accept did not finish"
        if self._accept_failures:
            raise self._accept_failures[0]

    def accept(self, timeout: float | None = None) -> socket.socket:
        self._listener.settimeout(timeout if timeout is not None else T())
        conn, _ = self._listener.accept()
        if self._ssl_context is not None:
            conn.settimeout(T())
            conn = self._ssl_context.wrap_socket(conn, server_side=True)
        conn.settimeout(T())
        self.conn = conn
        return conn

    def send(self, *lines: str) -> None:
        assert self.conn is not None
        self.conn.sendall("".join(line + "\r\n" for line in lines).encode("utf-8"))

    def send_raw(self, data: bytes) -> None:
        assert self.conn is not None
        self.conn.sendall(data)

    def read_line(self, timeout: float | None = None) -> str:
        """The next line, without its CR LF; AssertionError on timeout or EOF."""
        assert self.conn is not None
        deadline = time.monotonic() + (timeout if timeout is not None else T())
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no line within the timeout; got so far {self.received}")
            self.conn.settimeout(remaining)
            try:
                chunk = self.conn.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                raise AssertionError(f"end of stream; got so far {self.received}")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\n", 1)
        assert raw.endswith(b"\r"), f"line not ended by CR LF: {raw!r}"
        line = raw[:-1].decode("utf-8")
        self.received.append(line)
        return line

    def read_lines(self, count: int, timeout: float | None = None) -> list[str]:
        deadline = time.monotonic() + (timeout if timeout is not None else T())
        return [self.read_line(max(0.001, deadline - time.monotonic())) for _ in range(count)]

    def read_until(
        self, predicate: Callable[[str], bool], timeout: float | None = None
    ) -> list[str]:
        """Lines up to and including the first one matching ``predicate``."""
        deadline = time.monotonic() + (timeout if timeout is not None else T())
        lines = []
        while True:
            line = self.read_line(max(0.001, deadline - time.monotonic()))
            lines.append(line)
            if predicate(line):
                return lines

    def read_reply(self, request_id: str, timeout: float | None = None) -> str:
        """Skip notifications and keepalives up to the reply to ``request_id``."""
        lines = self.read_until(lambda line: line.split("|", 1)[0] == request_id, timeout)
        return lines[-1]

    def no_line_within(self, seconds: float) -> bool:
        """True if nothing (not even EOF) arrives within ``seconds``."""
        assert self.conn is not None
        if b"\n" in self._buffer:
            return False
        self.conn.settimeout(seconds)
        try:
            chunk = self.conn.recv(65536)
        except TimeoutError:
            return True
        self._buffer += chunk
        return False

    def wait_eof(self, timeout: float | None = None) -> bool:
        """Read (and keep) everything until EOF; True if EOF came in time."""
        assert self.conn is not None
        deadline = time.monotonic() + (timeout if timeout is not None else T())
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self.conn.settimeout(remaining)
            try:
                chunk = self.conn.recv(65536)
            except TimeoutError:
                return False
            except (ConnectionResetError, ssl.SSLError):
                return True
            if not chunk:
                return True
            self._buffer += chunk

    def close_connection(self) -> None:
        if self.conn is not None:
            try:
                self.conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.conn.close()

    def close(self) -> None:
        self.close_connection()
        self._listener.close()


class RecordingHandler:
    """An ExceptionHandler (duck-typed) that records calls and suppresses the defaults."""

    def __init__(self, io_result: bool = False, exc_result: bool = False) -> None:
        self.io: list[BaseException] = []
        self.errors: list[BaseException] = []
        self.io_event = threading.Event()
        self.error_event = threading.Event()
        self._io_result = io_result
        self._exc_result = exc_result

    def handle_ioexception(self, exception: BaseException) -> bool:
        self.io.append(exception)
        self.io_event.set()
        return self._io_result

    def handle_exception(self, exception: BaseException) -> bool:
        self.errors.append(exception)
        self.error_event.set()
        return self._exc_result


class Adapter(DataProvider):
    """A Data Adapter that records calls; behaviour is configured per test."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.listener: ItemEventListener | None = None
        self.params: dict[str, Any] | None = None
        self.config: str | None = None
        self.snapshot: dict[str, Any] = {}
        self.subscribe_hook: Callable[[str], None] | None = None
        self.unsubscribe_hook: Callable[[str], None] | None = None
        self.init_hook: Callable[[], None] | None = None
        self.lock = threading.Lock()
        self.subscribed = threading.Event()
        self.initialized = threading.Event()

    def initialize(self, parameters: dict[str, str], config_file: str | None = None) -> None:
        self.calls.append(("initialize", dict(parameters), config_file))
        self.params = dict(parameters)
        self.config = config_file
        if self.init_hook is not None:
            self.init_hook()
        self.initialized.set()

    def set_listener(self, event_listener: ItemEventListener) -> None:
        self.calls.append(("set_listener",))
        self.listener = event_listener

    def subscribe(self, item_name: str) -> None:
        with self.lock:
            self.calls.append(("subscribe", item_name))
        if self.subscribe_hook is not None:
            self.subscribe_hook(item_name)
        self.subscribed.set()

    def unsubscribe(self, item_name: str) -> None:
        with self.lock:
            self.calls.append(("unsubscribe", item_name))
        if self.unsubscribe_hook is not None:
            self.unsubscribe_hook(item_name)

    def issnapshot_available(self, item_name: str) -> Any:
        with self.lock:
            self.calls.append(("issnapshot_available", item_name))
        value = self.snapshot.get(item_name, True)
        if isinstance(value, BaseException):
            raise value
        return value


@pytest.fixture(autouse=True)
def no_process_exit(monkeypatch: pytest.MonkeyPatch) -> list[BaseException]:
    """Replace the default I/O handling (ending the process) by a recorder."""
    calls: list[BaseException] = []
    try:
        from lightstreamer_adapter._threading.base import Server
    except ImportError:  # the protocol core is not there yet: nothing to patch
        return calls

    def record(self: Any, exception: BaseException) -> None:
        calls.append(exception)
        self.close()

    monkeypatch.setattr(Server, "_terminate_process", record)
    return calls


@pytest.fixture
def proxy() -> Iterator[FakeProxy]:
    fake = FakeProxy()
    yield fake
    fake.close()


@pytest.fixture
def closing() -> Iterator[list[Any]]:
    """Append servers (or anything with close()) to have them closed at teardown."""
    things: list[Any] = []
    yield things
    for thing in reversed(things):
        thing.close()


def ipv6_available() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


DPI_191 = "DPI1|DPI|S|ARI.version|S|1.9.1"


def start_server(
    proxy: FakeProxy,
    adapter: DataProvider,
    closing: list[Any],
    *,
    handler: Any = None,
    init: str | None = DPI_191,
    **options: Any,
) -> Any:
    """Start a DataProviderServer against ``proxy``, check RAC, send ``init``.

    With a ``handler`` (default: a RecordingHandler suppressing every default), returns
    the server once the init reply has been read (it is not checked here when ``init``
    is not the default).
    """
    from lightstreamer_adapter.server import DataProviderServer

    server = DataProviderServer(adapter, proxy.address, **options)
    closing.append(server)
    server.set_exception_handler(handler if handler is not None else RecordingHandler())
    proxy.begin_accept()
    server.start()
    proxy.finish_accept()
    assert proxy.read_line() == "1|RAC|S|enableClosePacket|S|true|S|SDK|S|Python+Adapter+SDK"
    if init is not None:
        proxy.send(init)
        reply = proxy.read_reply(init.split("|", 1)[0])
        if init == DPI_191:
            assert reply == "DPI1|DPI|S|ARI.version|S|1.9.1"
    return server


def make_transport(sock: socket.socket, events: Any, **options: Any) -> Transport:
    """A transport on ``sock`` reporting to ``events.on_data``/``events.on_closed``;
    its threads are ``ls-test-reader-1`` and ``ls-test-writer-1``."""
    return Transport(
        sock,
        name="ls-test",
        index=1,
        on_data=events.on_data,
        on_closed=events.on_closed,
        **options,
    )


class Kit:
    """The helpers of this conftest, handed to tests through the ``kit`` fixture.

    (Test modules are imported with ``--import-mode=importlib`` and cannot import this
    conftest by name.)
    """

    T = staticmethod(T)
    FakeProxy = FakeProxy
    RecordingHandler = RecordingHandler
    Adapter = Adapter
    ipv6_available = staticmethod(ipv6_available)
    start_server = staticmethod(start_server)
    DPI_191 = DPI_191
    make_transport = staticmethod(make_transport)
    wait_until: Callable[[Callable[[], object], float, str], None]


@pytest.fixture
def kit(wait_until: Callable[[Callable[[], object], float, str], None]) -> type[Kit]:
    Kit.wait_until = staticmethod(wait_until)  # from the root conftest
    return Kit
