"""The Remote Metadata Adapter server and its control listener (ARI-PROTOCOL.md §5.13-§5.29).

:class:`MetadataProviderServer` (published by :mod:`lightstreamer_adapter.server`) plugs
the Metadata requests into the shared ``Server`` base: the init request (``MPI``) is
handled by the base, which calls ``_initialize_adapter``; every other request is run by
the sans-IO ``_metadata_requests.handle_request``, on the reader thread while it is quick
and on a pool worker otherwise (see inline.py). Requests about one session go through a
:class:`~lightstreamer_adapter._threading.pool.SerialQueue` keyed by session id, so that
the adapter sees them one at a time in arrival order (``NNS`` before the ``NNT``,
``NTC`` and ``NSC`` of the session, ARI-PROTOCOL.md §6.7); a session whose requests block
does not hold up the others, nor the session-less ``NUS``/``NUA``/``GIT``/``GUI``. The
serial queue drops a session's entry as soon as it is idle, so finished sessions leave
nothing behind.

The adapter's :class:`MetadataControlListener` (``FST``, ``FUS``, Metadata ``FAL``) is
:class:`_ControlListener`, one per server.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from typing import TYPE_CHECKING, Any, ClassVar

from .. import METADATA_PROVIDER_LOGGER
from .._metadata_requests import PlainLanes, PlainRequest, handle_request, ordering_key
from ..interfaces.metadata import (
    MetadataControlListener,
    MetadataProvider,
    MetadataProviderError,
    TableInfo,
)
from ..protocol.error_mapping import describe_exception
from ..protocol.messages import (
    ErrorKind,
    ForceSessionTermination,
    ForceSessionTerminationReply,
    ForceUnsubscription,
    ForceUnsubscriptionReply,
    MetadataFailure,
    Method,
    RemoteMessage,
    Request,
)
from ..protocol.negotiation import Side
from ..protocol.versions import LATEST, ProtocolVersion
from .base import DEFAULT_CLOSE_TIMEOUT, Server
from .inline import InlineJob
from .pool import SerialQueue
from .transport import DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_PENDING_BYTES, DEFAULT_SEND_TIMEOUT

if TYPE_CHECKING:
    import ssl

__all__ = ["ControlRequestError", "MetadataProviderServer"]

_LOG = METADATA_PROVIDER_LOGGER

# The first id of our own requests. Ids are per connection, lower-case hex, so they are
# alphanumeric and never one of the reserved ids 0, 1, 2 (ARI-PROTOCOL.md §2.4, §2.5).
_FIRST_REQUEST_ID = 0x64


class ControlRequestError(RuntimeError):
    """The Server answered a control request (``FST``/``FUS``) with an error.

    Attributes:
        method: ``"FST"`` or ``"FUS"``.
        server_message: The message of the Server's error reply, or ``None``.
    """

    def __init__(self, method: str, server_message: str | None) -> None:
        super().__init__(f"The Server refused the {method} request: {server_message}")
        self.method = method
        self.server_message = server_message


_Pending = tuple[Method, "Future[Any]"]


class _ControlListener(MetadataControlListener):
    """The :class:`MetadataControlListener` of one Metadata connection.

    Lifecycle (ARI-PROTOCOL.md §6.8): requests fail locally with :class:`RuntimeError`
    while ``ready()`` returns ``None`` (until the ``MPI`` reply has been queued), and
    always when the negotiated version is 1.8; once :meth:`connection_closed` has been
    called, pending and new requests fail with :class:`ConnectionError`. Argument errors
    raise at once.

    Futures are marked running when created (they cannot be cancelled: the request is on
    its way) and are completed on the connection's reader thread, which therefore runs
    their callbacks: keep callbacks short.

    Args:
        send: Encodes and queues a message; returns ``False`` when the connection has
            ended and the message was dropped.
        ready: Returns the negotiated version once the ``MPI`` reply has been queued,
            ``None`` before: requests written after that follow the reply on the wire.
        logger: The Metadata logger.
    """

    def __init__(
        self,
        send: Callable[[RemoteMessage], bool],
        ready: Callable[[], ProtocolVersion | None],
        logger: logging.Logger,
    ) -> None:
        self._send = send
        self._ready = ready
        self._log = logger
        self._lock = threading.Lock()
        self._closed: BaseException | None = None
        self._pending: dict[str, _Pending] = {}
        self._next_id = _FIRST_REQUEST_ID

    # -- driven by the server ----------------------------------------------------------

    def connection_closed(self, cause: BaseException | None) -> None:
        """Fail every pending request and refuse new ones (EOF, error, CLOSE, close())."""
        reason = f"the connection to the Proxy Adapter ended ({cause or 'closed locally'})"
        with self._lock:
            if self._closed is None:
                self._closed = ConnectionError(reason)
            pending, self._pending = self._pending, {}
        for method, future in pending.values():
            error = ConnectionError(f"{method.value} request not answered: {reason}")
            error.__cause__ = cause
            _fail(future, error)

    def pending_count(self) -> int:
        """The number of requests waiting for the Server's answer."""
        with self._lock:
            return len(self._pending)

    def on_reply(self, reply: ForceSessionTerminationReply | ForceUnsubscriptionReply) -> None:
        """Complete the request answered by ``reply`` (reader thread)."""
        method = Method.FST if isinstance(reply, ForceSessionTerminationReply) else Method.FUS
        with self._lock:
            entry = self._pending.get(reply.request_id)
            if entry is not None and entry[0] is method:
                del self._pending[reply.request_id]
        if entry is None or entry[0] is not method:
            # ARI-PROTOCOL.md §2.8 step 8: an unknown id is logged and ignored.
            self._log.warning(
                "Ignoring a %s reply with unknown request id %r", method.value, reply.request_id
            )
            return
        future = entry[1]
        if reply.error is not None:
            _fail(future, ControlRequestError(method.value, reply.error.message))
        elif isinstance(reply, ForceUnsubscriptionReply):
            _complete(future, bool(reply.done))
        else:
            _complete(future, None)

    # -- MetadataControlListener ---------------------------------------------------------

    def force_session_termination(
        self,
        session_id: str,
        cause_code: int | None = None,
        cause_message: str | None = None,
    ) -> Future[None]:
        """Ask the Server to close a session (``FST``, ARI-PROTOCOL.md §5.28).

        ``cause_message`` without ``cause_code`` is sent with code ``0`` (unspecified).

        Raises:
            TypeError: ``session_id`` is not a ``str``, or ``cause_code`` not an ``int``.
            ValueError: ``cause_code`` is positive.
        """
        _check_session_id(session_id)
        if cause_code is not None:
            if isinstance(cause_code, bool) or not isinstance(cause_code, int):
                raise TypeError(f"cause_code must be an int or None, not {cause_code!r}")
            if cause_code > 0:
                raise ValueError(f"cause_code must be zero or negative, not {cause_code}")
        if cause_message is not None and not isinstance(cause_message, str):
            raise TypeError(f"cause_message must be a str or None, not {cause_message!r}")
        if cause_code is None and cause_message is not None:
            cause_code = 0

        def build(request_id: str) -> RemoteMessage:
            return ForceSessionTermination(request_id, session_id, cause_code, cause_message)

        future: Future[None] = self._request(Method.FST, build)
        return future

    def force_unsubscription(self, session_id: str, table_info: TableInfo) -> Future[bool]:
        """Ask the Server to remove a table of a session (``FUS``, ARI-PROTOCOL.md §5.29).

        Raises:
            TypeError: ``session_id`` is not a ``str`` or ``table_info`` not a
                :class:`TableInfo`.
        """
        _check_session_id(session_id)
        if not isinstance(table_info, TableInfo):
            raise TypeError(
                f"table_info must be the TableInfo received in notify_new_tables, "
                f"not {table_info!r}"
            )
        win_index = table_info.win_index

        def build(request_id: str) -> RemoteMessage:
            return ForceUnsubscription(request_id, session_id, win_index)

        future: Future[bool] = self._request(Method.FUS, build)
        return future

    def failure(self, exception: BaseException) -> None:
        """Tell the Server the Metadata Adapter is broken (``2|FAL``, ARI 1.9 only, §5.5).

        With an ARI 1.8 Proxy, before the init reply, or after the connection ended, the
        failure can only be logged.
        """
        message = describe_exception(exception)
        with self._lock:
            usable = self._usable_locked()
        if usable is None and self._send(MetadataFailure(message)):
            return
        self._log.error(
            "Metadata Adapter failure not reported to the Proxy Adapter (%s): %s",
            usable or "connection ended",
            message,
        )

    # -- internals -----------------------------------------------------------------------

    def _usable_locked(self) -> str | None:
        """Why requests cannot be sent now, or ``None`` if they can."""
        if self._closed is not None:
            return str(self._closed)
        version = self._ready()
        if version is None:
            return "the Metadata Adapter is not initialised yet"
        if not version.smart_encoding:
            return f"the Proxy Adapter speaks ARI {version}, which lacks it (1.9 needed)"
        return None

    def _request(self, method: Method, build: Callable[[str], RemoteMessage]) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_running_or_notify_cancel()
        with self._lock:
            problem = self._usable_locked()
            closed = self._closed is not None
            if problem is None:
                request_id = format(self._next_id, "x")
                self._next_id += 1
                self._pending[request_id] = (method, future)
        if problem is not None:
            exc_type = ConnectionError if closed else RuntimeError
            future.set_exception(exc_type(f"Cannot send {method.value}: {problem}"))
            return future
        # Registered before sending, so that a quick answer finds it; sent outside the
        # lock, since a full outgoing buffer may block for a while. Whoever removes the
        # entry from the pending map completes the future.
        try:
            sent = self._send(build(request_id))
        except Exception as err:
            if self._forget(request_id):
                _fail(future, err)
            return future
        if not sent and self._forget(request_id):
            _fail(future, ConnectionError(f"Cannot send {method.value}: connection ended"))
        return future

    def _forget(self, request_id: str) -> bool:
        with self._lock:
            return self._pending.pop(request_id, None) is not None


def _check_session_id(session_id: object) -> None:
    if not isinstance(session_id, str):
        raise TypeError(f"session_id must be a str, not {session_id!r}")


def _complete(future: Future[Any], result: Any) -> None:
    try:
        future.set_result(result)
    except InvalidStateError:  # pragma: no cover - only the entry's owner completes it
        pass


def _fail(future: Future[Any], exc: BaseException) -> None:
    try:
        future.set_exception(exc)
    except InvalidStateError:  # pragma: no cover - only the entry's owner completes it
        pass


class MetadataProviderServer(Server):
    """Runs a :class:`~lightstreamer_adapter.interfaces.metadata.MetadataProvider` for a Proxy.

    Connects to the Proxy Metadata Adapter of a Lightstreamer Server and serves it until
    :meth:`close` or the end of the connection. Speaks ARI 1.9.1 (Server 7.4 and later)
    and, with older Servers, 1.9.0, 1.8.3 and 1.8.2.

    Requests about the same session reach the adapter one at a time, in the order the
    Server sent them; a session whose requests block does not hold up the others. After
    ``initialize`` the adapter receives a
    :class:`~lightstreamer_adapter.interfaces.metadata.MetadataControlListener` through
    ``set_listener``.

    Args:
        adapter: The Metadata Adapter.
        address: ``(host, port)`` of the Proxy Metadata Adapter's ``request_reply_port``
            (IPv4 or IPv6 host name or address).
        name: Name used in log messages; ``"#<n>"`` by default (threads are named by
            role and the server number, e.g. ``ls-data-reader-<n>``).
        keep_alive: Keepalive interval in seconds: ``None`` lets the Proxy decide
            (10 s if it asks for nothing), a positive number is the longest silence
            wanted, ``0`` or less disables keepalives unless the Proxy requires them.
        thread_pool_size: Worker threads; ``0``, ``None`` or negative means the
            number of CPUs. Quick adapter calls run on the reader thread; the workers
            take the slow ones (see the threading topic). ``1`` runs every call on the
            one worker, strictly one at a time.
        ssl_context: A client :class:`ssl.SSLContext` for a Proxy with ``tls=Y``; the
            Proxy's certificate is checked against the host of ``address``.
        sock: An already connected socket (plain or TLS) to use instead of connecting
            to ``address``, which may then be ``None``.
        connect_timeout: Seconds allowed to connect (and for the TLS handshake);
            ``None`` waits as long as the operating system does.
        send_timeout: Seconds a write to the Proxy may take, and the longest time a
            reply waits when the outgoing buffer is full (backpressure). After that the
            connection is considered failed.
        max_pending_bytes: Size of the outgoing buffer, in characters of encoded lines.
        close_timeout: Seconds :meth:`close` waits for the server's threads.

    Raises:
        TypeError: ``adapter`` is not a ``MetadataProvider``, or ``address`` is not a
            ``(host, port)`` pair.
        ValueError: A timeout or size is not positive.
    """

    _SIDE: ClassVar[Side] = Side.METADATA
    _ROLE: ClassVar[str] = "metadata"
    _LOG = METADATA_PROVIDER_LOGGER
    _INIT_METHOD: ClassVar[Method] = Method.MPI
    _INIT_REFUSAL_KIND: ClassVar[ErrorKind] = ErrorKind.METADATA
    _REQUEST_METHODS: ClassVar[frozenset[Method]] = frozenset(
        {
            Method.MPI,
            Method.NUS,
            Method.NUA,
            Method.GIS,
            Method.GSC,
            Method.GIT,
            Method.GUI,
            Method.NUM,
            Method.NNS,
            Method.NSC,
            Method.NNT,
            Method.NTC,
            Method.MDA,
            Method.MSA,
            Method.MDC,
        }
    )
    _INIT_ERROR: ClassVar[type[Exception]] = MetadataProviderError
    _ADAPTER_KIND: ClassVar[str] = "Metadata"

    def __init__(
        self,
        adapter: MetadataProvider,
        address: tuple[str, int] | None,
        name: str | None = None,
        keep_alive: float | None = None,
        thread_pool_size: int | None = 0,
        ssl_context: ssl.SSLContext | None = None,
        *,
        sock: socket.socket | None = None,
        connect_timeout: float | None = DEFAULT_CONNECT_TIMEOUT,
        send_timeout: float = DEFAULT_SEND_TIMEOUT,
        max_pending_bytes: int = DEFAULT_MAX_PENDING_BYTES,
        close_timeout: float = DEFAULT_CLOSE_TIMEOUT,
    ) -> None:
        if not isinstance(adapter, MetadataProvider):
            raise TypeError(
                "The provided adapter is not a subclass of "
                "lightstreamer_adapter.interfaces.MetadataProvider"
            )
        super().__init__(
            address,
            name,
            keep_alive,
            thread_pool_size,
            ssl_context,
            sock=sock,
            connect_timeout=connect_timeout,
            send_timeout=send_timeout,
            max_pending_bytes=max_pending_bytes,
            close_timeout=close_timeout,
        )
        self._adapter = adapter
        self._sessions: SerialQueue[str, Request | PlainRequest] | None = None
        self._lanes: PlainLanes | None = None
        self._listener = _ControlListener(self._send_message, self._ready_version, self._LOG)

    @property
    def adapter(self) -> MetadataProvider:
        """The Metadata Adapter this server runs."""
        return self._adapter

    # ------------------------------------------------------------------ base hooks

    def _initialize_adapter(
        self, parameters: dict[str, str | None], config_file: str | None
    ) -> None:
        # ARI-PROTOCOL.md §5.13: initialize, then the listener, both before the reply.
        params: Any = parameters
        self._adapter.initialize(params, config_file)
        self._adapter.set_listener(self._listener)

    def _dispatch_request(self, request: Request, inline: bool) -> InlineJob | None:
        # Reader thread (or the init worker), under the base's gate lock: never blocks.
        return self._dispatch(request.METHOD, ordering_key(request), request, inline)

    def _dispatch_plain(self, tokens: list[str], method: Method, inline: bool) -> InlineJob | None:
        # Reader thread, under the connection lock: never blocks.
        lanes = self._lanes
        request = None if lanes is None else lanes.parse(tokens)
        if request is None:
            return self._dispatch_request(self._parse_plain(tokens), inline)
        key = request[3]
        if key is None and inline:
            return (method, self._serve_plain, (request,))
        return self._dispatch(method, key, request, inline)

    def _dispatch(
        self, method: Method, key: str | None, request: Request | PlainRequest, inline: bool
    ) -> InlineJob | None:
        if key is None:
            if inline:
                return (method, self._serve, (None, request, False))
            pool = self._pool
            if pool is None or not pool.submit(self._serve, None, request, False):
                self._LOG.debug("Server %s: dropping %r, server stopped", self._name, request)
            return None
        sessions = self._sessions
        if sessions is None:
            assert self._pool is not None
            sessions = self._sessions = SerialQueue(self._pool, self._serve, self._on_serial_error)
        if inline:
            if sessions.claim(key, request):
                return (method, sessions.run_claimed, (key, request))
            return None
        if not sessions.submit(key, request):
            self._LOG.debug("Server %s: dropping %r, server stopped", self._name, request)
        return None

    def _serve_plain_requests(self) -> None:
        version = self._version
        if version is not None and version.smart_encoding:
            # The lanes first: the reader may get tokens as soon as the set is changed.
            self._lanes = PlainLanes(self._adapter, version, self._LOG)
            self._conn.plain_methods = PlainLanes.METHODS

    def _on_proxy_reply(
        self, reply: ForceSessionTerminationReply | ForceUnsubscriptionReply
    ) -> None:
        self._listener.on_reply(reply)

    def _on_connection_lost(self, cause: BaseException) -> None:
        self._listener.connection_closed(cause)

    # ------------------------------------------------------------------ internals

    def _ready_version(self) -> ProtocolVersion | None:
        # The base sets _init_done right after queueing the MPI reply, so anything the
        # listener queues once this returns a version follows the reply on the wire.
        return self._version if self._init_done else None

    def _serve(self, key: str | None, request: Request | PlainRequest, more: bool) -> None:
        # One request, one reply, always (ARI-PROTOCOL.md §2.2). The signature is the
        # SerialQueue handler's (the ordering key, or None for unordered requests).
        if type(request) is tuple:
            self._serve_plain(request)
            return
        assert not isinstance(request, tuple)
        version = self._version or LATEST
        try:
            reply = handle_request(self._adapter, request, version, self._LOG)
        except Exception as exc:  # a bug of ours: still answer, then report
            self._send_error_reply(request.request_id, request.METHOD, exc)
            self._report_exception(exc)
            return
        self._send_reply(reply, request.request_id, request.METHOD)

    def _serve_plain(self, request: PlainRequest) -> None:
        lane, method, request_id, _, args = request
        try:
            line = lane(request_id, *args)
        except Exception as exc:  # the reply cannot be encoded, or a bug of ours
            self._reply_unencodable(request_id, method, exc)
            return
        transport = self._transport
        if transport is not None:
            transport.send(line)

    def _on_serial_error(
        self, key: str, request: Request | PlainRequest, exc: BaseException
    ) -> None:
        # _serve does not raise for adapter errors; this is the last line of defence.
        self._report_exception(exc)
