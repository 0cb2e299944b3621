"""The connection machinery shared by the Data and Metadata Proxy simulators."""

from __future__ import annotations

import itertools
import logging
import os
import selectors
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, ClassVar, Generic, Protocol, TypeVar, cast, overload

from ..protocol.framing import CRLF, DEFAULT_MAX_LINE_LENGTH
from ..protocol.messages import (
    CloseNotice,
    DataInitRequest,
    ErrorReply,
    InitReply,
    Keepalive,
    MetadataInitRequest,
    Method,
    ProxyMessage,
    RemoteCredentials,
    RemoteMessage,
    Request,
    SubscribeRequest,
    UnsubscribeRequest,
)
from ..protocol.versions import ProtocolVersion
from ._connection import Connection, ForceHandler, Pending, Reply
from ._errors import AdapterError, CredentialsRefusedError, SimulatorError

__all__ = ["PendingReply", "ProxySimulator"]

_T = TypeVar("_T")
_R = TypeVar("_R")
_Self = TypeVar("_Self", bound="ProxySimulator")

_LOGGER = logging.getLogger("lightstreamer-adapter.testing")

#: ``credentials``: one (user, password) pair or several.
Credentials = tuple[str | None, str | None] | Sequence[tuple[str | None, str | None]]


class Startable(Protocol):
    """What :meth:`ProxySimulator.attach` needs of a server: ``start()`` and ``close()``."""

    def start(self) -> None:
        """Connect to the Proxy and start serving."""

    def close(self) -> None:
        """Stop serving and close the connection."""


class PendingReply(Generic[_T]):
    """A request sent to the adapter whose reply may not have arrived yet.

    Returned by the ``send_*`` methods, to pipeline requests as the real Proxy does
    (ARI-PROTOCOL.md §1.3): send several, then collect the replies in any order.
    """

    def __init__(
        self,
        simulator: ProxySimulator,
        connection: Connection,
        pending: Pending,
        convert: Callable[[Reply], _T],
    ) -> None:
        self._simulator = simulator
        self._connection = connection
        self._pending = pending
        self._convert = convert

    @property
    def request_id(self) -> str:
        """The id of the request."""
        return self._pending.request_id

    @property
    def method(self) -> Method:
        """The method of the request."""
        return self._pending.method

    def done(self) -> bool:
        """Tell whether the reply has arrived."""
        with self._connection.cond:
            return self._pending.reply is not None

    def reply(self, timeout: float | None = None) -> Reply:
        """Wait for the reply and return it as decoded, error replies included.

        Raises:
            TimeoutError: No reply within ``timeout`` (default: the simulator's).
            ConnectionError: The connection ended first.
            SimulatorError: The adapter broke the protocol.
        """
        pending = self._pending

        def take() -> Reply | None:
            return pending.reply

        # mypy cannot solve "_T | None" against a union: say what _T is.
        return cast(
            Reply,
            self._connection.wait_for(
                take, self._simulator._timeout(timeout), f"the reply to {pending.description}"
            ),
        )

    def result(self, timeout: float | None = None) -> _T:
        """Wait for the reply and return it; raise :class:`AdapterError` for an error reply.

        Raises:
            AdapterError: The adapter answered with an error.
            TimeoutError: No reply within ``timeout`` (default: the simulator's).
            ConnectionError: The connection ended first.
            SimulatorError: The adapter broke the protocol.
        """
        reply = self.reply(timeout)
        if isinstance(reply, ErrorReply):
            raise AdapterError(reply.error, request_id=reply.request_id, method=reply.method)
        return self._convert(reply)

    def __repr__(self) -> str:
        state = "done" if self.done() else "pending"
        return f"<PendingReply {self.method.value} {self.request_id!r} {state}>"


def _identity(reply: Reply) -> Reply:
    return reply


def expect_type(kind: type[_R]) -> Callable[[Reply], _R]:
    """A converter that checks the type of a success reply (already validated by method)."""

    def convert(reply: Reply) -> _R:
        if not isinstance(reply, kind):
            raise SimulatorError(f"expected a {kind.__name__} reply, got {reply!r}", line=None)
        return reply

    return convert


class ProxySimulator:
    """Base class of the simulated Proxy Adapters: listening, accepting, recording.

    A simulator listens on a TCP port, like a Proxy Adapter of a Lightstreamer Server
    configured with ``request_reply_port``, and lets a test drive the adapter that
    connects to it: accept the connection (checking that ``RAC`` comes first and,
    optionally, the remote credentials), initialise it, send requests and wait for
    replies and notifications. Every wait has a timeout and raises
    :class:`TimeoutError` with a description of what was expected and of the last line
    received.

    The simulator records everything: the raw lines received (:attr:`received`) and
    sent (:attr:`sent`), the notifications not yet taken (:attr:`notifications`), the
    protocol violations it detected (:attr:`violations`). Violations are raised as
    :class:`SimulatorError` by the next blocking call, by :meth:`check`, or at the end
    of a ``with`` block that exits without an exception.

    Use the subclasses :class:`DataProxySimulator` and :class:`MetadataProxySimulator`.

    Args:
        host: The address to listen on.
        port: The port to listen on; ``0`` picks a free one (see :attr:`address`).
        ssl_context: A server-side TLS context (``ssl.PROTOCOL_TLS_SERVER`` with a
            certificate chain loaded), to simulate a Proxy with ``tls=Y``.
        credentials: The (user, password) pair, or a list of pairs, that the adapter
            must send in ``RAC`` (a Proxy with ``auth=Y``); ``None`` accepts anything.
        timeout: The default timeout of every wait, in seconds.
        strict: Also report as violations the notifications for items that are not
            subscribed (ARI-PROTOCOL.md §6.4).
        max_line_length: The longest line accepted from the adapter, in bytes.
    """

    _DATA: ClassVar[bool] = True
    _numbers: ClassVar[Iterator[int]] = itertools.count(1)

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        ssl_context: ssl.SSLContext | None = None,
        credentials: Credentials | None = None,
        timeout: float = 5.0,
        strict: bool = True,
        max_line_length: int = DEFAULT_MAX_LINE_LENGTH,
    ) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, not {timeout!r}")
        #: The default timeout of every wait, in seconds.
        self.timeout = timeout
        self._ssl_context = ssl_context
        self._credentials = _normalize_credentials(credentials)
        self._strict = strict
        self._max_line_length = max_line_length
        self._number = next(ProxySimulator._numbers)
        self._lock = threading.Lock()
        self._incoming: list[Connection | SimulatorError] = []
        self._incoming_cond = threading.Condition(self._lock)
        self._current: Connection | None = None
        self._connections = 0
        self._attached: list[Startable] = []
        self._closed = False
        # Proxy request ids: a counter in hex before a fixed-width per-simulator part,
        # like the Server's "10000010c3e4d0462" (unique: the suffix has a fixed width).
        self._id_suffix = f"{int.from_bytes(os.urandom(8), 'big') | (1 << 63):016x}"
        self._id_counter = itertools.count(1)

        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            if os.name == "posix":
                # A fixed port can be reused at once after a previous run, whose closed
                # connections linger in TIME_WAIT (on Windows the option means "steal").
                self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._listener.bind((host, port))
            self._listener.listen(8)
            self._listener.setblocking(False)
        except OSError:
            self._listener.close()
            raise
        self._address: tuple[str, int] = self._listener.getsockname()[:2]
        self._wake_r, self._wake_w = socket.socketpair()
        kind = "data" if self._DATA else "metadata"
        self._acceptor = threading.Thread(
            target=self._accept_loop,
            name=f"ls-simulator-{kind}-acceptor-{self._number}",
            daemon=True,
        )
        self._acceptor.start()

    # ----------------------------------------------------------------------------------
    # Properties

    @property
    def address(self) -> tuple[str, int]:
        """The (host, port) the simulator listens on: pass it to the server."""
        return self._address

    @property
    def connected(self) -> bool:
        """Whether an accepted connection is open (the adapter has not closed it)."""
        with self._lock:
            conn = self._current
        if conn is None:
            return False
        with conn.cond:
            return not conn.ended

    @property
    def remote_credentials(self) -> RemoteCredentials | None:
        """The ``RAC`` of the current connection, or ``None``."""
        conn = self._connection_or_none()
        if conn is None:
            return None
        with conn.cond:
            return conn.rac

    @property
    def version(self) -> ProtocolVersion | None:
        """The protocol version agreed by the init reply, or ``None`` before it."""
        conn = self._connection_or_none()
        if conn is None:
            return None
        with conn.cond:
            return conn.version

    @property
    def received(self) -> list[str]:
        """Every line received on the current connection, in order, without terminator.

        Bytes that are not valid UTF-8 are shown as backslash escapes.
        """
        conn = self._connection()
        with conn.cond:
            return list(conn.received)

    @property
    def received_bytes(self) -> bytes:
        """Every byte received on the current connection, terminators included."""
        conn = self._connection()
        with conn.cond:
            return bytes(conn.received_bytes)

    @property
    def sent(self) -> list[str]:
        """Every line sent on the current connection, in order, without terminator."""
        conn = self._connection()
        with conn.cond:
            return list(conn.sent)

    @property
    def notifications(self) -> list[RemoteMessage]:
        """The notifications received and not yet taken, oldest first (a copy).

        They include updates and other Data notifications, Metadata failures, ``FST``
        and ``FUS`` requests of the adapter, and keepalives.
        """
        conn = self._connection()
        with conn.cond:
            return list(conn.mailbox)

    @property
    def violations(self) -> list[SimulatorError]:
        """Every protocol violation detected on the current connection (reported or not)."""
        conn = self._connection_or_none()
        if conn is None:
            return []
        with conn.cond:
            return list(conn.violations)

    # ----------------------------------------------------------------------------------
    # Connection

    def accept(self, timeout: float | None = None) -> RemoteCredentials:
        """Wait for the adapter to connect and send its ``RAC``.

        A connection accepted earlier is dropped first, without ``CLOSE``: the simulated
        Proxy serves one adapter at a time, and a second ``accept()`` simulates a Robust
        Proxy that lost the connection and waits for the adapter to reconnect (the
        server sees a connection failure; call :meth:`close_connection` first for a
        ``CLOSE``).

        Args:
            timeout: Seconds to wait (default: :attr:`timeout`), TLS handshake included.

        Returns:
            The decoded ``RAC`` (``.user``, ``.password``, ``.params``).

        Raises:
            TimeoutError: No connection, or no ``RAC``, in time.
            CredentialsRefusedError: ``credentials`` were set and the ``RAC`` did not
                match them; the connection was refused as a real Proxy does.
            SimulatorError: The first line was not ``RAC``, or the TLS handshake failed.
        """
        deadline = time.monotonic() + self._timeout(timeout)
        with self._lock:
            previous, self._current = self._current, None
        if previous is not None:
            # A lost connection, as the Robust Proxy sees it: no CLOSE.
            previous.shutdown(deadline)
        with self._incoming_cond:
            while not self._incoming:
                if self._closed:
                    raise RuntimeError("the simulator is closed")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    host, port = self._address
                    raise TimeoutError(
                        f"no adapter connected to {host}:{port} within "
                        f"{self._timeout(timeout):g} s: start a server with this "
                        "simulator's address, e.g. DataProviderServer(adapter, "
                        "proxy.address).start()"
                    )
                self._incoming_cond.wait(remaining)
            incoming = self._incoming.pop(0)
        if isinstance(incoming, SimulatorError):
            raise incoming
        with self._lock:
            self._current = incoming
        conn = incoming
        rac = conn.wait_for(
            lambda: conn.rac, max(0.0, deadline - time.monotonic()), "the RAC of the adapter"
        )
        with conn.cond:
            refused = conn.refused
            # The raw cursor starts after the RAC (see expect_line).
            conn.raw_cursor = len(conn.received)
        if refused:
            raise CredentialsRefusedError(rac.user, rac.password)
        return rac

    def _start_init(
        self,
        method: Method,
        params: Mapping[str, str | None] | None,
        version: str | ProtocolVersion | None,
        keepalive_hint: int | str | None,
        adapter_set: str | None,
        data_adapter_name: str | None,
        timeout: float | None,
    ) -> InitReply:
        conn = self._connection()
        wire: dict[str, str | None] = {}
        offered_text = None if version is None else str(version)
        if offered_text is not None:
            wire["ARI.version"] = offered_text
        if keepalive_hint is not None:
            wire["keepalive_hint.millis"] = str(keepalive_hint)
        if adapter_set is not None:
            wire["adapters_conf.id"] = adapter_set
        if data_adapter_name is not None:
            wire["data_provider.name"] = data_adapter_name
        if params:
            wire.update(params)
        offered: ProtocolVersion | None = None
        if offered_text is not None:
            try:
                offered = ProtocolVersion.parse(offered_text)
            except ValueError:
                offered = None  # a deliberately invalid version: parse with the latest
        with conn.cond:
            conn.offered = offered
            conn.offered_text = offered_text
        request_id = self.new_request_id()
        message = (
            DataInitRequest(request_id, wire)
            if method is Method.DPI
            else MetadataInitRequest(request_id, wire)
        )
        pending = conn.register(request_id, method, f"the {method.value} request {request_id!r}")
        conn.send_message(message)
        handle = PendingReply(self, conn, pending, expect_type(InitReply))
        try:
            return handle.result(timeout)
        finally:
            with conn.cond:
                if pending.reply_line >= 0:
                    conn.raw_cursor = max(conn.raw_cursor, pending.reply_line + 1)

    def _attach(
        self, server: Startable, init: Callable[[], InitReply], timeout: float | None
    ) -> InitReply:
        self._attached.append(server)
        server.start()
        self.accept(timeout)
        return init()

    def wait_closed(self, timeout: float | None = None) -> None:
        """Wait until the adapter closes the connection (EOF), e.g. after a ``CLOSE``.

        Raises:
            TimeoutError: The connection is still open after ``timeout``.
        """
        conn = self._connection()
        deadline = time.monotonic() + self._timeout(timeout)
        with conn.cond:
            while not conn.ended:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"the adapter did not close the connection within "
                        f"{self._timeout(timeout):g} s; {conn.describe_last_line()}"
                    )
                conn.cond.wait(remaining)

    def close_connection(self, reason: str | None = None) -> None:
        """Send ``0|CLOSE|S|reason|S|<reason>`` (ARI-PROTOCOL.md §5.3), then close.

        The adapter gets up to a second to close its side first, as the real Proxy's
        ``CLOSE`` is followed by the end of the connection.

        Args:
            reason: The reason; ``None`` sends a ``CLOSE`` without parameters.
        """
        conn = self._connection()
        params = {} if reason is None else {"reason": reason}
        conn.shutdown(time.monotonic() + self.timeout, CloseNotice(params), self._grace())

    def drop_connection(self) -> None:
        """Close the connection abruptly, without ``CLOSE``: a network failure or a crash.

        Use it to test how a server handles the loss of its Proxy; mind that the
        servers' default handling of a lost connection ends the process (install an
        ``ExceptionHandler``).
        """
        self._connection().shutdown(time.monotonic() + self.timeout)

    def close(self) -> None:
        """Close the attached servers, the connections and the listening socket.

        Open connections get a ``CLOSE`` first (reason ``simulator closed``) when the
        adapter asked for close packets, as a Server shutting down does: a server then
        closes quietly instead of reporting a lost connection. Joins the simulator's
        threads (within :attr:`timeout`). Idempotent.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            attached, self._attached = self._attached, []
        errors: list[BaseException] = []
        for server in reversed(attached):
            try:
                server.close()
            except Exception as exc:
                errors.append(exc)
        deadline = time.monotonic() + self.timeout
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass
        self._acceptor.join(max(0.0, deadline - time.monotonic()))
        with self._incoming_cond:
            queued, self._incoming = self._incoming, []
            current = self._current
            self._incoming_cond.notify_all()
        for item in [current, *queued]:
            if isinstance(item, Connection):
                self._end(item, deadline)
        for sock in (self._listener, self._wake_r, self._wake_w):
            sock.close()
        if errors:
            raise errors[0]

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
        if exc_type is None:
            self.check()

    def expect_violation(self, timeout: float | None = None) -> SimulatorError:
        """Wait for the next protocol violation not reported yet and return it.

        For tests that provoke a violation on purpose: the violation is returned (and
        counts as reported) instead of being raised.

        Raises:
            TimeoutError: No violation within ``timeout``.
        """
        conn = self._connection()
        return conn.wait_for(
            conn.take_violation,
            self._timeout(timeout),
            "a protocol violation by the adapter",
            check=False,
        )

    def check(self) -> None:
        """Raise the protocol violations not reported yet, as one :class:`SimulatorError`."""
        conn = self._connection_or_none()
        if conn is None:
            return
        with conn.cond:
            conn.raise_violations()

    # ----------------------------------------------------------------------------------
    # Requests

    def new_request_id(self) -> str:
        """Return a fresh request id in the style of the Server (e.g. ``1a3f...``)."""
        return f"{next(self._id_counter):x}{self._id_suffix}"

    def send_request(self, message: Request) -> PendingReply[Reply]:
        """Send any request (use :meth:`new_request_id` for its id) without waiting.

        The returned handle's :meth:`~PendingReply.result` gives the decoded success
        reply or raises :class:`AdapterError`.
        """
        conn = self._connection()
        return PendingReply(self, conn, self._send_request(conn, message), _identity)

    def _send_request(self, conn: Connection, message: Request) -> Pending:
        description = _describe_request(message)
        pending = conn.register(message.request_id, message.METHOD, description)
        conn.note_request(message)
        # Every concrete Request is a ProxyMessage; the base class is not in the union.
        conn.send_message(cast(ProxyMessage, message))
        return pending

    def _request(self, message: Request, kind: type[_R], timeout: float | None) -> _R:
        return self._request_with(message, expect_type(kind), timeout)

    def _request_with(
        self, message: Request, convert: Callable[[Reply], _R], timeout: float | None
    ) -> _R:
        conn = self._connection()
        pending = self._send_request(conn, message)
        return PendingReply(self, conn, pending, convert).result(timeout)

    # ----------------------------------------------------------------------------------
    # Raw level

    def send_raw(self, line: str) -> None:
        """Send one line as it is, adding the CR LF terminator.

        A line that looks like a request (``<id>|<METHOD>|...``, even a malformed one)
        makes the simulator expect a reply with that id, so the reply is not reported as
        a violation; read it with :meth:`expect_line`.
        """
        if "\r" in line or "\n" in line:
            raise ValueError(f"a raw line must not contain CR or LF: {line!r}")
        conn = self._connection()
        conn.register_raw(line)
        conn.send_text(line + CRLF)

    def expect_line(self, timeout: float | None = None, *, skip_keepalives: bool = True) -> str:
        """Return the next line received, without terminator.

        Lines are returned in arrival order, each once, starting after the ``RAC``
        (after :meth:`accept`) and after the init reply (after ``init()``); the other
        methods do not move this cursor, so a line already consumed as a decoded reply
        or notification is still returned here.

        Args:
            timeout: Seconds to wait (default: :attr:`timeout`).
            skip_keepalives: Skip ``KEEPALIVE`` lines, whose timing is not predictable.
        """
        conn = self._connection()

        def take() -> str | None:
            while conn.raw_cursor < len(conn.received):
                line = conn.received[conn.raw_cursor]
                conn.raw_cursor += 1
                if not (skip_keepalives and line == "KEEPALIVE"):
                    return line
            return None

        return conn.wait_for(take, self._timeout(timeout), "a line from the adapter")

    # ----------------------------------------------------------------------------------
    # Notifications

    def next_notification(
        self, timeout: float | None = None, *, skip_keepalives: bool = True
    ) -> RemoteMessage:
        """Take the oldest notification of any type (see :attr:`notifications`)."""
        conn = self._connection()

        def take() -> RemoteMessage | None:
            return conn.take_notification(
                lambda m: not (skip_keepalives and isinstance(m, Keepalive))
            )

        return cast(
            RemoteMessage,
            conn.wait_for(take, self._timeout(timeout), "a notification from the adapter"),
        )

    @overload
    def expect(
        self, message_type: type[_T], timeout: float | None = None, *, item: str | None = None
    ) -> _T: ...

    @overload
    def expect(
        self,
        message_type: tuple[type[Any], ...],
        timeout: float | None = None,
        *,
        item: str | None = None,
    ) -> Any: ...

    def expect(
        self,
        message_type: type[Any] | tuple[type[Any], ...],
        timeout: float | None = None,
        *,
        item: str | None = None,
    ) -> Any:
        """Take the oldest notification of a type, leaving the others queued.

        Args:
            message_type: ``Update``, ``EndOfSnapshot``, ``ClearSnapshot``,
                ``DeclareFieldDiffOrder``, ``DataFailure``, ``MetadataFailure``,
                ``ForceSessionTermination``, ``ForceUnsubscription``, ``Keepalive``
                (or a tuple of them).
            timeout: Seconds to wait (default: :attr:`timeout`).
            item: Only a notification about this item.

        Raises:
            TimeoutError: None arrived in time.
        """
        conn = self._connection()

        def match(message: RemoteMessage) -> bool:
            if not isinstance(message, message_type):
                return False
            return item is None or getattr(message, "item", None) == item

        names = (
            message_type.__name__
            if isinstance(message_type, type)
            else " or ".join(t.__name__ for t in message_type)
        )
        about = "" if item is None else f" for item {item!r}"
        return conn.wait_for(
            lambda: conn.take_notification(match),
            self._timeout(timeout),
            f"a {names} notification{about}",
        )

    def drain(self, message_type: type[_T] | None = None) -> list[Any]:
        """Take, without waiting, every queued notification (of a type, if given)."""
        conn = self._connection()
        with conn.cond:
            conn.raise_violations()
            if message_type is None:
                taken = list(conn.mailbox)
                conn.mailbox.clear()
                return taken
            taken = [m for m in conn.mailbox if isinstance(m, message_type)]
            conn.mailbox = deque(m for m in conn.mailbox if not isinstance(m, message_type))
            return taken

    # ----------------------------------------------------------------------------------
    # Internals

    def _timeout(self, timeout: float | None) -> float:
        return self.timeout if timeout is None else timeout

    def _connection_or_none(self) -> Connection | None:
        with self._lock:
            return self._current

    def _connection(self) -> Connection:
        conn = self._connection_or_none()
        if conn is None:
            raise RuntimeError(
                "no adapter connection: call accept() first (after starting the server)"
            )
        return conn

    def _grace(self) -> float:
        # How long a CLOSE waits for the adapter to close its side. Generous on purpose:
        # closing ours first while the adapter still writes would reset the connection,
        # which can destroy the CLOSE before the adapter reads it (then a server with the
        # default error handling ends its process). A conforming adapter closes at once.
        return self.timeout

    def _end(self, conn: Connection, deadline: float) -> None:
        """Close a connection as a Proxy that shuts down: ``CLOSE`` first when allowed.

        Without it a server would see the connection fail, whose default handling ends
        the process.
        """
        notice = CloseNotice({"reason": "simulator closed"})
        conn.shutdown(deadline, notice if conn.close_packet_allowed else None, self._grace())

    def _force_handler(self) -> ForceHandler | None:
        return None

    def _accept_loop(self) -> None:
        selector = selectors.DefaultSelector()
        selector.register(self._listener, selectors.EVENT_READ)
        selector.register(self._wake_r, selectors.EVENT_READ)
        try:
            while True:
                events = selector.select()
                if any(key.fileobj is self._wake_r for key, _ in events):
                    return
                try:
                    sock, peer = self._listener.accept()
                except BlockingIOError:
                    continue
                except OSError:
                    return
                incoming = self._prepare(sock, peer)
                with self._incoming_cond:
                    if self._closed:
                        if isinstance(incoming, Connection):
                            self._end(incoming, time.monotonic() + self._grace())
                        return
                    self._incoming.append(incoming)
                    self._incoming_cond.notify_all()
        finally:
            selector.close()

    def _prepare(self, sock: socket.socket, peer: Any) -> Connection | SimulatorError:
        """Set up an accepted socket (TLS handshake included) and start its reader."""
        where = f"{peer[0]}:{peer[1]}"
        sock.setblocking(True)
        sock.settimeout(self.timeout)
        if self._ssl_context is not None:
            try:
                sock = self._ssl_context.wrap_socket(sock, server_side=True)
            except (OSError, ssl.SSLError) as exc:
                sock.close()
                return SimulatorError(
                    f"the TLS handshake with the adapter at {where} failed: {exc}"
                )
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        self._connections += 1
        conn = Connection(
            sock,
            data=self._DATA,
            number=self._connections,
            peer=where,
            credentials=self._credentials,
            strict=self._strict,
            max_line_length=self._max_line_length,
            timeout=self.timeout,
            force_handler=self._force_handler(),
            logger=_LOGGER,
        )
        conn.start()
        _LOGGER.debug("accepted connection %d from %s", conn.number, where)
        return conn


def _normalize_credentials(
    credentials: Credentials | None,
) -> tuple[tuple[str | None, str | None], ...] | None:
    if credentials is None:
        return None
    if len(credentials) == 2 and all(c is None or isinstance(c, str) for c in credentials):
        user, password = credentials
        assert user is None or isinstance(user, str)
        assert password is None or isinstance(password, str)
        return ((user, password),)
    pairs: list[tuple[str | None, str | None]] = []
    for pair in credentials:
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise ValueError(f"credentials must be (user, password) pairs, not {pair!r}")
        pairs.append((pair[0], pair[1]))
    return tuple(pairs)


def _describe_request(message: Request) -> str:
    text = f"the {message.METHOD.value} request {message.request_id!r}"
    if isinstance(message, SubscribeRequest | UnsubscribeRequest):
        text += f" for item {message.item!r}"
    return text
