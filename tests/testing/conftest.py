"""Helpers for the simulator tests: a scripted fake Remote Adapter over raw sockets.

The fake remote connects to a simulator, sends its ``RAC`` line and answers each line
it receives from a table {method: reply templates}, where ``{id}`` is the request id of
the received line and ``{0}``, ``{1}``... its argument tokens. Everything is exact bytes:
what the fake sends is written as given (plus CR LF), what it receives is kept raw.
"""

from __future__ import annotations

import os
import queue
import socket
import ssl
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence

import pytest

# The optional fixtures of the public plugin, under test here (pytest_plugins is only
# allowed in the root conftest.py).
from lightstreamer_adapter.testing.pytest_plugin import (  # noqa: F401
    data_proxy,
    metadata_proxy,
    simulator_timeout,
)

TIMEOUT_SCALE = float(os.environ.get("LS_TEST_TIMEOUT_SCALE", "1"))
#: The simulators' default timeout in these tests.
T = 5.0 * TIMEOUT_SCALE
#: A short wait, for the tests that expect a timeout.
SHORT = 0.2 * TIMEOUT_SCALE

RAC = "1|RAC|S|enableClosePacket|S|true|S|SDK|S|Python+Adapter+SDK"

Responder = Callable[[str, str, list[str]], Sequence[str]]
Responses = Mapping[str, Sequence[str] | Responder]


class FakeRemote:
    """A raw-socket Remote Adapter with scripted answers."""

    def __init__(
        self,
        address: tuple[str, int],
        responses: Responses | None = None,
        *,
        first: Sequence[str] = (RAC,),
        ssl_context: ssl.SSLContext | None = None,
        connect: bool = True,
    ) -> None:
        self.address = address
        self.responses: dict[str, Sequence[str] | Responder] = dict(responses or {})
        self.lines: queue.Queue[str] = queue.Queue()
        self.raw = bytearray()
        self.eof = threading.Event()
        self._send_lock = threading.Lock()
        self._ssl_context = ssl_context
        self._first = first
        self._thread: threading.Thread | None = None
        self.sock: socket.socket | None = None
        if connect:
            self.connect()

    def connect(self) -> None:
        sock = socket.create_connection(self.address, timeout=T)
        if self._ssl_context is not None:
            sock = self._ssl_context.wrap_socket(sock, server_hostname=self.address[0])
        self.sock = sock
        for line in self._first:
            self.send(line)
        self._thread = threading.Thread(target=self._read, name="fake-remote", daemon=True)
        self._thread.start()

    def send(self, line: str) -> None:
        self.send_bytes(line.encode("utf-8") + b"\r\n")

    def send_bytes(self, data: bytes) -> None:
        assert self.sock is not None
        with self._send_lock:
            self.sock.sendall(data)

    def next_line(self, timeout: float = T) -> str:
        return self.lines.get(timeout=timeout)

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()
        if self._thread is not None:
            self._thread.join(T)

    def _read(self) -> None:
        assert self.sock is not None
        pending = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except (OSError, ValueError):
                break
            if not chunk:
                break
            self.raw += chunk
            pending += chunk
            while b"\r\n" in pending:
                raw_line, pending = pending.split(b"\r\n", 1)
                line = raw_line.decode("utf-8")
                self.lines.put(line)
                self._answer(line)
        # Like a real remote, close the connection when the Proxy closes it.
        try:
            self.sock.close()
        except OSError:
            pass
        self.eof.set()

    def _answer(self, line: str) -> None:
        tokens = line.split("|")
        if len(tokens) < 2:
            return
        answer = self.responses.get(tokens[1])
        if answer is None:
            return
        replies = (
            answer(tokens[0], tokens[1], tokens[2:])
            if callable(answer)
            else [t.format(*tokens[2:], id=tokens[0]) for t in answer]
        )
        for reply in replies:
            try:
                self.send(reply)
            except OSError:
                return


@pytest.fixture
def remote() -> Iterator[Callable[..., FakeRemote]]:
    """A factory of fake remotes, closed at teardown."""
    made: list[FakeRemote] = []

    def make(
        address: tuple[str, int], responses: Responses | None = None, **kw: object
    ) -> FakeRemote:
        fake = FakeRemote(address, responses, **kw)  # type: ignore[arg-type]
        made.append(fake)
        return fake

    yield make
    for fake in made:
        fake.close()


@pytest.fixture
def no_leaked_threads() -> Iterator[None]:
    """Fail if a simulator thread survives the test."""
    yield
    alive = [t.name for t in threading.enumerate() if t.name.startswith("ls-simulator")]
    assert alive == []
