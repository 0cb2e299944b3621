"""The lifecycle shared by the Data and Metadata servers, and the exception handler.

:class:`Server` owns one connection to a Proxy Adapter: it validates its configuration
(before allocating anything), connects, sends ``RAC``, feeds what it reads to the sans-IO
:class:`~lightstreamer_adapter.protocol.connection.ProtocolConnection`, handles what both
sides have in common (``KEEPALIVE``, ``CLOSE``, malformed requests, the init request with
its version and keepalive negotiation, the init gate) and hands every other request to
the subclass. Subclass API (used by ``data_server.py`` and ``metadata_server.py``; see
``/work/notes/base-api.md`` for a walk-through):

Class attributes to set:
    ``_SIDE`` (:class:`~lightstreamer_adapter.protocol.negotiation.Side`), ``_ROLE``
    (``"data"``/``"metadata"``: thread names ``ls-<role>-reader-<n>``, ...), ``_LOG`` (the
    side's 1.3.1 logger), ``_INIT_METHOD`` (``Method.DPI``/``Method.MPI``),
    ``_INIT_REFUSAL_KIND`` (error kind of a refused version), ``_REQUEST_METHODS`` (the
    methods of this side's requests, for error replies to malformed lines),
    ``_INIT_ERROR`` (exception class :meth:`Server.start` raises), ``_ADAPTER_KIND``
    (``"Data"``/``"Metadata"``, for log messages).

Methods to override:
    :meth:`Server._initialize_adapter` (required), :meth:`Server._dispatch_request`
    (required), and optionally :meth:`Server._on_proxy_reply`,
    :meth:`Server._on_connection_lost`, :meth:`Server._default_exception_handling`.

Services for subclasses:
    :meth:`Server._send_message`, :meth:`Server._send_line`,
    :meth:`Server._send_reply`, :meth:`Server._send_error_reply`,
    :meth:`Server._report_exception`, :meth:`Server._report_ioexception`,
    :attr:`Server._version`, :attr:`Server._pool`, :attr:`Server._transport`,
    :attr:`Server._connected`.

Default handling of errors (what happens when there is no :class:`ExceptionHandler`, or
when its method returns a truthy value):

* **I/O errors** (:meth:`ExceptionHandler.handle_ioexception`: end of stream, socket
  errors, a Proxy that stopped reading): logged at CRITICAL, then the process ends with
  status 1 in :meth:`Server._terminate_process`, the one place where the library ends the
  process (1.3.1 called ``os._exit`` from its reader thread without flushing anything).
* **Other errors** (:meth:`ExceptionHandler.handle_exception`): logged at ERROR with the
  traceback; the Data side also reports them to the Proxy as a Data Adapter failure
  (``FAL``). A ``CLOSE`` from the Proxy arrives as
  :class:`~lightstreamer_adapter.protocol.errors.CloseRequestedError`; its default
  handling is a WARNING and :meth:`Server.close` (no ``FAL``).
"""

from __future__ import annotations

import logging
import os
import re
import socket
import sys
import threading
import time
from abc import ABCMeta, abstractmethod
from collections.abc import Hashable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from ..protocol.connection import ProtocolConnection
from ..protocol.encode import encode_remote_message
from ..protocol.error_mapping import describe_exception, error_for_exception
from ..protocol.errors import (
    CloseRequestedError,
    RemoteProtocolError,
    RemotingException,
    UnknownMethodError,
)
from ..protocol.messages import (
    CloseNotice,
    DataInitRequest,
    ErrorInfo,
    ErrorKind,
    ErrorReply,
    ForceSessionTerminationReply,
    ForceUnsubscriptionReply,
    InitReply,
    Keepalive,
    MetadataInitRequest,
    Method,
    RemoteCredentials,
    RemoteMessage,
    Request,
)
from ..protocol.negotiation import (
    Negotiated,
    Refused,
    Side,
    choose_keepalive,
    initial_keepalive,
    negotiate_version,
)
from ..protocol.versions import LATEST, ProtocolVersion
from .inline import COOLDOWN, STALL_AFTER, InlineJob, InlineRunner
from .pool import WorkerPool
from .transport import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_PENDING_BYTES,
    DEFAULT_SEND_TIMEOUT,
    Transport,
    log_received,
    open_connection,
    requests_debug_enabled,
)

if TYPE_CHECKING:
    import ssl

__all__ = ["DEFAULT_CLOSE_TIMEOUT", "ExceptionHandler", "Server"]

#: Seconds :meth:`Server.close` waits for the threads it started.
DEFAULT_CLOSE_TIMEOUT = 5.0

_SERVER_LOG = logging.getLogger("lightstreamer-adapter.server")
#: Requests the reader runs before it writes their replies itself when the writer is idle
#: (Transport.write_queued), rather than holding them to the end of the chunk: the Proxy
#: then reads them and sends its next requests while the rest of the chunk runs. Measured
#: (benchmarks/, 32 and 64 requests in flight): 16 beats 8 and 24 by 10-25 %.
_INLINE_BATCH = 16
#: The messages from the Proxy that are not requests to dispatch.
_NOT_REQUESTS = frozenset(
    {
        Keepalive,
        CloseNotice,
        DataInitRequest,
        MetadataInitRequest,
        ForceSessionTerminationReply,
        ForceUnsubscriptionReply,
    }
)
#: The methods by wire name, for the plain request lines (see Server._dispatch_plain).
_METHOD_OF: dict[str, Method] = {method.value: method for method in Method}
_ADDRESS_3_TUPLE = (
    "Address tuple length longer than the expected 2; library upgrade without source code "
    "alignment?"
)
_UNSAFE_BEFORE_INIT = re.compile(r"[^A-Za-z0-9._*-]+")


class ExceptionHandler(metaclass=ABCMeta):  # noqa: B024 - an ABC in 1.3.1 too
    """Receives the errors of a server; install it with :meth:`Server.set_exception_handler`.

    Each method returns whether the server should *also* apply its default handling:
    a truthy value means "go on with the default", a falsy one (``False``, ``None``)
    means "handled, do nothing more". This is the 1.3.1 convention, with one fix: the
    base methods here return ``True``, so overriding only one of them no longer
    silently disables the default of the other (1.3.1's base methods returned ``None``,
    bug B9).

    Both methods run on one of the server's threads. Several calls for the same incident
    are possible (e.g. an error while building a reply and the resulting failure).
    """

    def __init__(self) -> None:
        """Create a handler (nothing to initialise)."""

    def handle_ioexception(self, exception: Exception) -> bool:
        """Called when the connection with the Proxy Adapter failed or ended.

        ``exception`` is an :class:`EOFError` when the Proxy closed the connection, an
        :class:`OSError` for socket and TLS errors, a :class:`TimeoutError` when the
        Proxy stopped reading for longer than the send timeout. Called once per
        connection. The server has stopped serving: to go on, create and start a new
        one (the Robust Proxy accepts a new connection).

        Default handling (when this returns a truthy value): log at CRITICAL and end the
        process with exit status 1, as 1.3.1 did. Return ``False`` to keep the process
        running, typically after calling :meth:`Server.close`.

        Returns:
            Whether the default handling should also run. The base method returns
            ``True``.
        """
        return True

    def handle_exception(self, exception: Exception) -> bool:
        """Called for every other error: protocol errors, errors in callbacks, ``CLOSE``.

        ``exception`` is a :class:`~lightstreamer_adapter.protocol.RemotingException`
        for protocol errors (a malformed request, a value that cannot be encoded), a
        :class:`~lightstreamer_adapter.protocol.errors.CloseRequestedError` (with its
        ``reason``) when the Proxy sent ``CLOSE``, or any exception that escaped the
        server's own threads.

        Default handling (when this returns a truthy value): on the Data side, an ERROR
        log with the traceback and a Data Adapter failure (``FAL``) sent to the Proxy;
        on the Metadata side, the ERROR log only. For ``CLOSE``: a WARNING log and
        :meth:`Server.close`, no ``FAL``.

        Returns:
            Whether the default handling should also run. The base method returns
            ``True``.
        """
        return True


class Server(metaclass=ABCMeta):
    """Base class of :class:`DataProviderServer` and :class:`MetadataProviderServer`.

    A server owns one connection to a Proxy Adapter; it is started once and closed once.
    See the subclasses for the constructor arguments.
    """

    _DEFAULT_POOL_SIZE: ClassVar[int] = 4
    _STRICT_KEEPALIVE: ClassVar[int] = 1000
    _DEFAULT_KEEPALIVE: ClassVar[int] = 10000
    _MIN_KEEPALIVE: ClassVar[int] = 1000
    #: Process-wide count of the servers created (Data and Metadata), used for default
    #: names and thread names; bumped only once the constructor arguments are valid.
    _number: ClassVar[int] = 0
    _number_lock: ClassVar[threading.Lock] = threading.Lock()

    # Set by subclasses (see the module docstring).
    _SIDE: ClassVar[Side]
    _ROLE: ClassVar[str]
    _LOG: ClassVar[logging.Logger]
    _INIT_METHOD: ClassVar[Method]
    _INIT_REFUSAL_KIND: ClassVar[ErrorKind]
    _REQUEST_METHODS: ClassVar[frozenset[Method]]
    _INIT_ERROR: ClassVar[type[Exception]]
    _ADAPTER_KIND: ClassVar[str]

    def __init__(
        self,
        address: tuple[str, int] | None,
        name: str | None,
        keep_alive: float | None,
        thread_pool_size: int | None,
        ssl_context: ssl.SSLContext | None,
        *,
        sock: socket.socket | None = None,
        connect_timeout: float | None = DEFAULT_CONNECT_TIMEOUT,
        send_timeout: float = DEFAULT_SEND_TIMEOUT,
        max_pending_bytes: int = DEFAULT_MAX_PENDING_BYTES,
        close_timeout: float = DEFAULT_CLOSE_TIMEOUT,
    ) -> None:
        # Everything is validated before anything is allocated or counted (bug B17).
        host_port = _validate_address(address, sock)
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a str or None, not {type(name).__name__}")
        configured_keepalive = _validate_keep_alive(keep_alive)
        pool_size = _validate_pool_size(thread_pool_size)
        # Only an explicit 1 asks for strictly sequential calls (as 1.3.1 documented);
        # the default on a one-CPU machine is also a pool of one, without that meaning.
        self._inline = thread_pool_size != 1
        if ssl_context is not None and not hasattr(ssl_context, "wrap_socket"):
            raise TypeError(
                f"ssl_context must be an ssl.SSLContext or None, not {type(ssl_context).__name__}"
            )
        if sock is not None and not isinstance(sock, socket.socket):
            raise TypeError(f"sock must be a connected socket.socket, not {type(sock).__name__}")
        _check_positive("connect_timeout", connect_timeout, allow_none=True)
        _check_positive("send_timeout", send_timeout)
        _check_positive("max_pending_bytes", max_pending_bytes)
        _check_positive("close_timeout", close_timeout)

        with Server._number_lock:
            Server._number += 1
            self._index = Server._number
        self._name = name if name is not None else f"#{self._index}"
        self._address = host_port
        self._ssl_context = ssl_context
        self._sock = sock
        self._connect_timeout = connect_timeout
        self._send_timeout = float(send_timeout)
        self._max_pending_bytes = int(max_pending_bytes)
        self._close_timeout = float(close_timeout)
        self._configured_keepalive = configured_keepalive
        self._keep_alive: float | None = (
            10.0 if keep_alive is None else max(0, keep_alive)  # as 1.3.1 reports it
        )
        self._thread_pool_size = pool_size
        self._remote_user: str | None = None
        self._remote_password: str | None = None
        self._adapter_config: str | None = None
        self._adapter_params: dict[str, str] | None = None
        self._exception_handler: ExceptionHandler | None = None

        self._state_lock = threading.Lock()
        self._started = False
        self._closed = False
        #: The protocol version fixed by the init negotiation (``None`` before). Set on
        #: the reader thread when the init request is accepted, before the reply.
        self._version: ProtocolVersion | None = None
        self._init_done = False
        self._transport: Transport | None = None
        self._pool: WorkerPool | None = None
        #: Runs requests on the reader thread (None with thread_pool_size=1, which
        #: keeps every adapter call on the one worker, strictly one at a time).
        self._runner: InlineRunner | None = None
        self._conn = ProtocolConnection(self._SIDE)
        self._conn_lock = threading.Lock()
        self._recv_log_carry = bytearray()
        self._stop_reading = False
        self._close_requested: CloseRequestedError | None = None
        # The init gate (ARI-PROTOCOL.md §6.2): requests that arrive while the init
        # request is being processed wait here, in order; None once the gate is open.
        self._gate_lock = threading.Lock()
        self._held: list[Request] | None = []
        #: The gate is open and the init succeeded: requests go straight to dispatch.
        self._serving = False
        self._init_failure: str | None = None

    # ------------------------------------------------------------------ properties

    @property
    def name(self) -> str:
        """The server name, used in logs; ``"#<n>"`` when not given."""
        return self._name

    @property
    def keep_alive(self) -> float:
        """The keepalive interval in seconds in force; ``0`` when keepalives are off.

        Before the init request this is the configured value (``10.0`` when not
        configured); the init request may change it (see the keepalive guide).
        """
        return self._keep_alive if self._keep_alive is not None else 0

    @property
    def remote_user(self) -> str | None:
        """The user name sent to the Proxy Adapter at :meth:`start` (``RAC``)."""
        return self._remote_user

    @remote_user.setter
    def remote_user(self, value: str | None) -> None:
        self._remote_user = value

    @property
    def remote_password(self) -> str | None:
        """The password sent to the Proxy Adapter at :meth:`start` (``RAC``)."""
        return self._remote_password

    @remote_password.setter
    def remote_password(self, value: str | None) -> None:
        self._remote_password = value

    @property
    def thread_pool_size(self) -> int:
        """The number of threads that run the adapter's request callbacks."""
        return self._thread_pool_size

    @property
    def adapter_config(self) -> str | None:
        """The value passed to the adapter's ``initialize`` as ``config_file``."""
        return self._adapter_config

    @adapter_config.setter
    def adapter_config(self, value: str | None) -> None:
        self._adapter_config = value

    @property
    def adapter_params(self) -> dict[str, str] | None:
        """Parameters merged over the Proxy's init parameters (local values win)."""
        return self._adapter_params

    @adapter_params.setter
    def adapter_params(self, value: dict[str, str] | None) -> None:
        self._adapter_params = value

    @property
    def init_expected(self) -> bool:
        """Whether the init request has not been answered successfully yet."""
        return not self._init_done

    @property
    def protocol_version(self) -> str | None:
        """The ARI version agreed with the Proxy (e.g. ``"1.9.1"``), ``None`` before."""
        version = self._version
        return str(version) if version is not None and self._init_done else None

    # ------------------------------------------------------------------ public API

    def set_exception_handler(self, handler: ExceptionHandler | None) -> None:
        """Install the :class:`ExceptionHandler` that receives this server's errors."""
        self._exception_handler = handler

    def start(self) -> None:
        """Connect to the Proxy Adapter, send the credentials and start serving.

        Returns once the connection is established and ``RAC`` is written; the init
        request and everything after it are handled on the server's own threads, which
        keep the process alive until :meth:`close` or the end of the connection.

        Raises:
            RuntimeError: The server was already started, or closed.
            DataProviderError | MetadataProviderError: The connection failed (the
                cause, e.g. :class:`ConnectionRefusedError`, is chained).
        """
        with self._state_lock:
            if self._started:
                raise RuntimeError(
                    f"{type(self).__name__} {self._name} was already started; a server "
                    "serves one connection: create a new one to reconnect"
                )
            if self._closed:
                raise RuntimeError(f"{type(self).__name__} {self._name} is closed")
            self._started = True
        self._LOG.info(
            "Managing %s Adapter %s with a thread pool size of %d",
            self._ADAPTER_KIND,
            self._name,
            self._thread_pool_size,
        )
        interval = initial_keepalive(self._configured_keepalive)
        if interval is None:
            _SERVER_LOG.info("Keepalives for %s not set", self._name)
        else:
            _SERVER_LOG.info("Keepalives for %s set to %g s", self._name, interval)
        role = f"ls-{self._ROLE}"
        try:
            sock = self._sock
            if sock is None:
                assert self._address is not None
                sock = open_connection(
                    self._address,
                    connect_timeout=self._connect_timeout,
                    ssl_context=self._ssl_context,
                )
            pool = WorkerPool(
                self._thread_pool_size,
                f"{role}-worker-{self._index}",
                on_error=self._on_worker_error,
            )
            transport = Transport(
                sock,
                name=role,
                index=self._index,
                on_data=self._on_data,
                on_closed=self._on_transport_closed,
                send_timeout=self._send_timeout,
                max_pending_bytes=self._max_pending_bytes,
                keepalive=interval,
            )
            runner = (
                InlineRunner(
                    f"{role}-watchdog-{self._index}", self._conn_lock, self._on_reader_stalled
                )
                if self._inline
                else None
            )
            rac = RemoteCredentials.create(self._remote_user, self._remote_password)
            first_line = encode_remote_message(rac, LATEST)  # RAC is always BC (§3.4)
        except (OSError, TypeError, ValueError) as exc:
            raise self._INIT_ERROR("Caught an error during the initialization phase") from exc
        with self._state_lock:
            if self._is_closed():  # close() raced with start()
                sock.close()
                raise RuntimeError(f"{type(self).__name__} {self._name} is closed")
            self._pool = pool
            self._transport = transport
            self._runner = runner
        pool.start()
        if runner is not None:
            runner.start()
        try:
            transport.start(first_line)
        except OSError as exc:
            self._stop_workers()
            transport.close()
            pool.join(time.monotonic() + self._close_timeout)
            if runner is not None:
                runner.thread.join(self._close_timeout)
            raise self._INIT_ERROR("Caught an error during the initialization phase") from exc

    def close(self) -> None:
        """Close the connection and stop the server's threads.

        Shuts the socket down (no packet is sent, queued ones are dropped), lets running
        adapter callbacks finish and waits for every thread the server started, up to a
        deadline (``close_timeout``, 5 s by default; a thread still busy in adapter code
        after that is logged and left behind). Does not call anything on the adapter.
        Safe to call more than once, before :meth:`start`, and from the server's own
        threads (e.g. from an :class:`ExceptionHandler`).
        """
        with self._state_lock:
            if self._closed:
                return
            self._closed = True
            transport = self._transport
            pool = self._pool
        self._LOG.info("Closing %s Adapter server %s", self._ADAPTER_KIND, self._name)
        if transport is not None:
            transport.close()
        self._stop_workers()
        deadline = time.monotonic() + self._close_timeout
        done = True
        if transport is not None:
            done = transport.join(deadline) and done
        if pool is not None:
            done = pool.join(deadline) and done
        runner = self._runner
        if runner is not None and runner.thread is not threading.current_thread():
            if runner.thread.ident is not None:
                runner.thread.join(max(0.0, deadline - time.monotonic()))
            done = done and not runner.thread.is_alive()
        if not done:
            alive = [t.name for t in self._threads() if t.is_alive()]
            alive = [n for n in alive if n != threading.current_thread().name]
            if alive:
                self._LOG.warning(
                    "Server %s: threads still running %g s after close(): %s (busy in "
                    "adapter code?)",
                    self._name,
                    self._close_timeout,
                    ", ".join(alive),
                )

    def getSupportedVersion(  # name kept from 1.3.1
        self, proxy_version: str | None, max_version: str | None = None
    ) -> str:
        """Return the protocol version this server answers to ``proxy_version``.

        Kept from 1.3.1 (where it was abstract); ``max_version`` is ignored.

        Raises:
            RemotingException: The Proxy's version is not supported.
        """
        outcome = negotiate_version(proxy_version, self._SIDE)
        if isinstance(outcome, Refused):
            raise RemotingException(outcome.message)
        return str(outcome.version)

    def on_received_request(self, request: str) -> None:
        """Process one line as if it had been received from the Proxy (1.3.1 name).

        Meant for tests and diagnostics; the server's reader thread calls the same code.
        """
        self._on_data(request.encode("utf-8") + b"\r\n")

    def on_ioexception(self, ioexception: Exception) -> None:
        """Report a connection failure as the server does (1.3.1 name)."""
        self._report_ioexception(ioexception)

    def on_exception(self, exception: Exception) -> None:
        """Report an error as the server does (1.3.1 name)."""
        self._report_exception(exception)

    # ------------------------------------------------------------------ subclass hooks

    @abstractmethod
    def _initialize_adapter(
        self, parameters: dict[str, str | None], config_file: str | None
    ) -> None:
        """Initialise the adapter; runs on a worker thread, before the init reply.

        ``parameters`` are the init parameters without ``ARI.version`` and
        ``keepalive_hint.millis``, with :attr:`adapter_params` merged over them. Raise
        to refuse: the exception is mapped to the init error reply
        (:func:`~lightstreamer_adapter.protocol.error_mapping.error_for_exception`).
        """

    @abstractmethod
    def _dispatch_request(self, request: Request, inline: bool) -> InlineJob | None:
        """Handle one request of this side, in arrival order, after the init reply.

        Runs on the reader thread (or on the worker that finished the init) and must
        not block. With ``inline``, return the job that runs the request, which the
        reader then runs itself (see inline.py), or ``None`` if the request waits behind
        another of its key; without, submit the work to :attr:`_pool` (or a
        :class:`~lightstreamer_adapter._threading.pool.SerialQueue`) and return ``None``.
        """

    def _dispatch_plain(self, tokens: list[str], method: Method, inline: bool) -> InlineJob | None:
        """Like :meth:`_dispatch_request`, for the tokens of a plain request line.

        Called only for the methods the subclass put in the connection's
        ``plain_methods`` (see :meth:`_serve_plain_requests`). This default parses the
        tokens into a typed request.

        Raises:
            RemoteProtocolError: The line is malformed.
        """
        return self._dispatch_request(self._parse_plain(tokens), inline)

    def _parse_plain(self, tokens: list[str]) -> Request:
        """The typed request of a plain request line (see :meth:`_dispatch_plain`)."""
        message = self._conn.parse_tokens(tokens)
        assert isinstance(message, Request)  # plain methods are requests
        return message

    def _serve_plain_requests(self) -> None:
        """Hook called once the init is done: the subclass may set the connection's
        ``plain_methods`` here to have their plain lines reach :meth:`_dispatch_plain`
        as tokens."""

    def _on_proxy_reply(
        self, reply: ForceSessionTerminationReply | ForceUnsubscriptionReply
    ) -> None:
        """A reply of the Proxy to one of our requests (Metadata ``FST``/``FUS``).

        Runs on the reader thread. The default logs a warning (unexpected reply).
        """
        self._LOG.warning(
            "Discarding unexpected reply %r from the Proxy Adapter (server %s)",
            reply,
            self._name,
        )

    def _on_connection_lost(self, cause: BaseException) -> None:
        """Called once when the connection has ended, whatever the reason.

        ``cause`` is the I/O failure, the :class:`CloseRequestedError` of a ``CLOSE``,
        or a :class:`ConnectionError` after :meth:`close`. Runs on the reader thread,
        before the failure is reported to the exception handler. The default does
        nothing; the Metadata side fails its pending ``FST``/``FUS`` futures here.
        """

    def _default_exception_handling(self, exception: BaseException) -> None:
        """The default handling of :meth:`ExceptionHandler.handle_exception`.

        Logs at ERROR with the traceback; the Data side also sends ``FAL``.
        """
        self._LOG.error(
            "Server %s: %s", self._name, describe_exception(exception), exc_info=exception
        )

    def _terminate_process(self, exception: BaseException) -> None:
        """End the process after a connection failure: the default I/O-error handling.

        This is the only place where the library ends the process, and only when no
        :class:`ExceptionHandler` is installed or its ``handle_ioexception`` returns a
        truthy value. It keeps the 1.3.1 outcome (exit status 1) but first closes this
        server, flushes and closes the logging handlers (:func:`logging.shutdown`) and
        flushes ``sys.stdout``/``sys.stderr``, then calls :func:`os._exit`.

        Why :func:`os._exit` and not :func:`sys.exit` or
        :func:`_thread.interrupt_main`: this runs on a server thread, where
        ``sys.exit`` only ends that thread; interrupting the main thread does nothing
        useful when the main thread has already ended (the normal case for a script that
        just calls ``start()``, kept alive by the server's threads), is delayed while it
        sits in a blocking C call, and can be swallowed by user code catching
        ``KeyboardInterrupt``. ``atexit`` handlers do not run; applications that need
        them install an :class:`ExceptionHandler` whose ``handle_ioexception`` returns
        ``False`` and shut down on their own terms.
        """
        self._LOG.critical(
            "Connection of %s Adapter server %s to the Proxy Adapter failed: %s; ending the "
            "process (install an ExceptionHandler whose handle_ioexception returns False "
            "to handle this otherwise)",
            self._ADAPTER_KIND,
            self._name,
            describe_exception(exception),
        )
        try:
            self.close()
        finally:
            logging.shutdown()
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except Exception:
                    pass
            os._exit(1)

    # ------------------------------------------------------------------ services

    def _is_closed(self) -> bool:
        """Whether :meth:`close` was called (a method, so that it is read afresh)."""
        return self._closed

    @property
    def _connected(self) -> bool:
        """Whether the connection is up (started, not ended, not closed)."""
        transport = self._transport
        return transport is not None and not transport.closed

    def _threads(self) -> list[threading.Thread]:
        """Every thread this server started (for close() and tests)."""
        threads: list[threading.Thread] = []
        if self._transport is not None:
            threads.extend(self._transport.threads)
        if self._pool is not None:
            threads.extend(self._pool.threads)
        if self._runner is not None:
            threads.append(self._runner.thread)
        return threads

    def _stop_workers(self) -> None:
        """Let the pool and the watchdog end (does not wait)."""
        if self._pool is not None:
            self._pool.shutdown()
        if self._runner is not None:
            self._runner.stop()

    def _send_line(self, line: str) -> bool:
        """Queue one encoded line (ending in CR LF); ``False`` if it was dropped.

        Blocks only for backpressure (see the transport). Thread-safe.
        """
        transport = self._transport
        if transport is None:
            return False
        return transport.send(line)

    def _send_message(self, message: RemoteMessage) -> bool:
        """Encode ``message`` with the negotiated version and queue it.

        Raises:
            LocalProtocolError: The message cannot be encoded.
        """
        return self._send_line(encode_remote_message(message, self._version or LATEST))

    def _send_reply(self, message: RemoteMessage, request_id: str, method: Method) -> bool:
        """Send a reply; if it cannot be encoded, send a generic error reply instead.

        A return value of the adapter that the protocol cannot carry (a NaN, a wrong
        type) therefore still answers the request (1.3.1 left it unanswered: bug B2);
        the encoding error is also reported to :meth:`_report_exception`.
        """
        try:
            line = encode_remote_message(message, self._version or LATEST)
        except Exception as exc:
            return self._reply_unencodable(request_id, method, exc)
        transport = self._transport  # _send_line() inlined: one reply per request
        return transport is not None and transport.send(line)

    def _reply_unencodable(self, request_id: str, method: Method, exc: Exception) -> bool:
        """Answer a request whose reply could not be encoded (``exc``): log it, send
        the error reply ``exc`` maps to, and report ``exc`` to the exception handler."""
        self._LOG.error(
            "Server %s: cannot encode the %s reply to request %s: %s",
            self._name,
            method.value,
            request_id,
            describe_exception(exc),
        )
        sent = self._send_error_reply(request_id, method, exc)
        self._report_exception(exc)
        return sent

    def _send_error_reply(self, request_id: str, method: Method, exc: BaseException) -> bool:
        """Send the error reply that ``exc`` maps to for ``method`` (ARI §3.10).

        Never raises: if even the mapped reply cannot be encoded, a generic error with
        the exception's class name is sent.
        """
        version = self._version or LATEST
        try:
            info = error_for_exception(exc, method, version)
            line = encode_remote_message(ErrorReply(request_id, method, info), version)
        except Exception:
            fallback = ErrorInfo(ErrorKind.GENERIC, type(exc).__name__)
            line = encode_remote_message(ErrorReply(request_id, method, fallback), version)
        return self._send_line(line)

    def _report_exception(self, exception: BaseException) -> None:
        """Deliver ``exception`` to ``handle_exception``, then the default if asked."""
        if self._call_handler("handle_exception", exception):
            try:
                self._default_exception_handling(exception)
            except Exception:
                self._LOG.exception("Server %s: error in the default error handling", self._name)

    def _report_ioexception(self, exception: BaseException) -> None:
        """Deliver ``exception`` to ``handle_ioexception``, then the default if asked."""
        if self._call_handler("handle_ioexception", exception):
            self._terminate_process(exception)

    def _call_handler(self, method: str, exception: BaseException) -> bool:
        handler = self._exception_handler
        if handler is None:
            return True
        try:
            return bool(getattr(handler, method)(exception))
        except Exception:
            self._LOG.exception(
                "Server %s: the exception handler's %s raised; applying the default handling",
                self._name,
                method,
            )
            return True

    # ------------------------------------------------------------------ reading

    def _on_data(self, data: bytes) -> None:
        # Reader thread (or a caller of on_received_request()). Each message is parsed
        # and dispatched under the connection lock, so that requests are dispatched in
        # arrival order even when another thread takes over reading; a request run
        # inline runs after the lock is released (its key is already claimed).
        if data and requests_debug_enabled():
            log_received(data, self._recv_log_carry)
        transport = self._transport
        me = threading.current_thread()
        reading = transport is not None and transport.reader is me
        runner = self._runner if reading else None
        conn = self._conn
        conn_lock = self._conn_lock
        with conn_lock:
            conn.receive_data(data)
        if transport is None or not reading:
            transport = None
        else:
            transport.cork()
        ran = 0
        running = False  # whether an inline call has begun and not yet ended
        try:
            while True:
                job: InlineJob | None = None
                other: object = None  # handled after the lock is released
                with conn_lock:
                    if running:
                        assert runner is not None
                        runner.end()
                        running = False
                    if self._stop_reading:
                        return
                    if transport is not None and transport.reader is not me:
                        return  # another thread took over reading
                    try:
                        message = conn.next_message_or_tokens()
                    except Exception as exc:
                        other = exc
                    else:
                        if message is None:
                            return
                        if type(message) is list:
                            # A plain request line (see _serve_plain_requests).
                            method = _METHOD_OF[message[1]]
                            inline = runner is not None and runner.accepts(method)
                            try:
                                job = self._dispatch_plain(message, method, inline)
                            except RemoteProtocolError as exc:
                                other = exc  # the general parser's verdict on its shape
                            except Exception as exc:  # a bug of ours: report, go on
                                self._report_exception(exc)
                                continue
                        elif type(message) in _NOT_REQUESTS or not self._serving:
                            other = message
                        else:
                            # The usual case: a request once the init is done. Claimed
                            # under the lock, in arrival order.
                            request: Any = message
                            inline = runner is not None and runner.accepts(request.METHOD)
                            try:
                                job = self._dispatch_request(request, inline)
                            except Exception as exc:  # a bug of ours: report, go on
                                self._report_exception(exc)
                                continue
                if other is not None:
                    # Not under the lock: these may call the exception handler (which
                    # may close the server and wait for a reader that was replaced and
                    # needs the lock to end). No other thread parses meanwhile: a
                    # takeover happens only while this thread runs a request inline.
                    if isinstance(other, UnknownMethodError):
                        self._LOG.warning(
                            "Server %s: discarding unknown request: %s", self._name, other
                        )
                        continue
                    if isinstance(other, RemoteProtocolError):
                        self._on_malformed(other)
                        continue
                    if isinstance(other, Exception):  # a bug in the core: report, do not loop
                        self._report_exception(other)
                        return
                    try:
                        job = self._on_message(other, runner)
                    except Exception as exc:
                        self._report_exception(exc)
                        continue
                if job is None:
                    continue
                assert runner is not None and transport is not None
                kind, fn, args = job
                running = True
                runner.begin(kind)
                try:
                    fn(*args)
                except Exception as exc:
                    self._report_exception(exc)
                ran += 1
                if ran % _INLINE_BATCH == 0 and transport.reader is me:
                    # Ended first: a write the Proxy holds up must not look like a
                    # stuck adapter call to the watchdog.
                    with conn_lock:
                        runner.end()
                    running = False
                    transport.write_queued()
        finally:
            if running:
                assert runner is not None
                with conn_lock:
                    runner.end()
            if transport is not None:
                transport.uncork()

    def _on_message(self, message: object, runner: InlineRunner | None) -> InlineJob | None:
        # Every message but the requests _on_data() dispatches itself once the init is
        # done (no gate lock then: once open, the gate stays open, see _open_gate()).
        if isinstance(message, Keepalive):
            return None
        if isinstance(message, CloseNotice):
            self._on_close_notice(message)
            return None
        if isinstance(message, (DataInitRequest, MetadataInitRequest)):
            self._on_init_request(message)
            return None
        if isinstance(message, (ForceSessionTerminationReply, ForceUnsubscriptionReply)):
            self._on_proxy_reply(message)
            return None
        assert isinstance(message, Request)
        with self._gate_lock:
            if self._held is not None:
                self._held.append(message)
                return None
            if self._init_failure is None:
                inline = runner is not None and runner.accepts(message.METHOD)
                return self._dispatch_request(message, inline)
        self._refuse_uninitialized(message)
        return None

    def _on_reader_stalled(self, kind: Hashable) -> None:
        # Watchdog thread, under the runner's lock: the reader has been running one
        # request for STALL_AFTER seconds. Another thread reads from now on.
        transport = self._transport
        if transport is None:
            return
        thread = transport.take_over_reading()
        if thread is None:
            return
        name = kind.value if isinstance(kind, Method) else kind
        self._LOG.info(
            "Server %s: a %s request has been running for more than %g ms on the reader "
            "thread; %s reads from now on, and %s requests run on the worker pool for "
            "the next %g s",
            self._name,
            name,
            STALL_AFTER * 1000,
            thread.name,
            name,
            COOLDOWN,
        )
        thread.start()

    def _on_malformed(self, exc: RemoteProtocolError) -> None:
        # ARI-PROTOCOL.md §6.9: report it and, when the request can be identified,
        # answer it with a generic error so that the Proxy does not wait for its timeout.
        method = _method_of(exc.method)
        if exc.request_id is not None and method in self._REQUEST_METHODS:
            assert method is not None
            message = str(exc.args[0]) if exc.args else type(exc).__name__
            try:
                self._send_message(
                    ErrorReply(exc.request_id, method, ErrorInfo(ErrorKind.GENERIC, message))
                )
            except Exception:
                self._LOG.exception("Server %s: cannot answer a malformed request", self._name)
        self._report_exception(exc)

    def _on_close_notice(self, notice: CloseNotice) -> None:
        # ARI-PROTOCOL.md §5.3: no reply, stop processing requests, close, tell the app.
        reason = notice.reason
        self._LOG.info("Close requested by the counterpart with reason: %s", reason)
        error = CloseRequestedError(reason)
        self._close_requested = error
        self._stop_reading = True
        if self._transport is not None:
            self._transport.close()
        if self._call_handler("handle_exception", error):
            self._LOG.warning(
                "%s Adapter server %s closed by the Proxy Adapter (reason: %s)",
                self._ADAPTER_KIND,
                self._name,
                reason,
            )
            self.close()

    def _on_transport_closed(self, failure: BaseException | None) -> None:
        # Reader thread, exactly once per connection.
        cause: BaseException
        if self._close_requested is not None:
            cause = self._close_requested
        elif failure is not None:
            cause = failure
        else:
            cause = ConnectionError(f"server {self._name} closed")
        try:
            self._on_connection_lost(cause)
        except Exception:
            self._LOG.exception("Server %s: error while ending the connection", self._name)
        if failure is not None and self._close_requested is None:
            self._report_ioexception(failure)
        # Nothing can arrive or leave any more: let the workers end on their own so that
        # the process can exit even if close() is never called.
        self._stop_workers()

    def _on_worker_error(self, exc: BaseException) -> None:
        self._report_exception(exc)

    # ------------------------------------------------------------------ init request

    def _on_init_request(self, request: DataInitRequest | MetadataInitRequest) -> None:
        # Reader thread. The version is fixed here, so that the requests that follow
        # are parsed with it while the adapter's initialize runs on a worker (a slow
        # initialize must not keep the reader from noticing CLOSE or the end of stream).
        outcome = self._conn.negotiate(request)
        if isinstance(outcome, Negotiated):
            self._version = outcome.version
            self._conn.accept_init(outcome.version)
        pool = self._pool
        if pool is None or not pool.submit(self._run_init, request, outcome):
            # Only through on_received_request() before start(): run it here.
            self._run_init(request, outcome)

    def _run_init(
        self, request: DataInitRequest | MetadataInitRequest, outcome: Negotiated | Refused
    ) -> None:
        method = self._INIT_METHOD
        failure: str | None = "the init request could not be processed"
        try:
            params: dict[str, str | None] = dict(request.params)
            offered = params.pop("ARI.version", None)
            hint = params.pop("keepalive_hint.millis", None)
            self._apply_keepalive_hint(hint, offered is not None)
            if isinstance(outcome, Refused):
                failure = outcome.message
                self._LOG.error(
                    "Server %s: refusing the Proxy Adapter: %s", self._name, outcome.message
                )
                self._send_message(
                    ErrorReply(
                        request.request_id,
                        method,
                        ErrorInfo(self._INIT_REFUSAL_KIND, outcome.message),
                    )
                )
                return
            if self._adapter_params:
                params.update(self._adapter_params)
            try:
                self._initialize_adapter(params, self._adapter_config)
            except Exception as exc:
                failure = describe_exception(exc)
                self._LOG.error(
                    "Server %s: the %s Adapter's initialize failed (request %s): %s",
                    self._name,
                    self._ADAPTER_KIND,
                    request.request_id,
                    failure,
                    exc_info=exc,
                )
                self._send_error_reply(request.request_id, method, exc)
                return
            version = outcome.version
            reply_params: Mapping[str, str | None] = (
                {} if version.parts < (1, 8, 2) else {"ARI.version": str(version)}
            )
            self._send_message(InitReply(request.request_id, method, reply_params))
            self._init_done = True
            failure = None
            self._LOG.info(
                "%s Adapter server %s initialized, protocol version %s",
                self._ADAPTER_KIND,
                self._name,
                version,
            )
        except Exception as exc:
            # A bug on our side: the init request must still get an answer.
            self._send_error_reply(request.request_id, method, exc)
            raise
        finally:
            self._open_gate(failure)

    def _apply_keepalive_hint(self, hint: str | None, version_offered: bool) -> None:
        decision = choose_keepalive(self._configured_keepalive, hint, version_offered)
        if decision.warning:
            _SERVER_LOG.warning("Server %s: %s", self._name, decision.warning)
        self._keep_alive = decision.interval
        if self._transport is not None:
            self._transport.set_keepalive(decision.interval)
        if decision.interval is None:
            _SERVER_LOG.info("Keepalives for %s disabled", self._name)
        else:
            _SERVER_LOG.info("Keepalives for %s set to %g s", self._name, decision.interval)

    def _open_gate(self, failure: str | None) -> None:
        with self._gate_lock:
            held = self._held or []
            self._held = None
            self._init_failure = failure
            if failure is None:
                # Still under the lock, so that the reader cannot dispatch a later
                # request before these (dispatching never blocks).
                for request in held:
                    self._dispatch_request(request, False)
                # Only now may the reader skip the gate lock.
                self._serving = True
                self._serve_plain_requests()
                return
        for request in held:
            self._refuse_uninitialized(request)

    def _refuse_uninitialized(self, request: Request) -> None:
        # The init failed, so the Proxy should not send requests; answer them anyway.
        error = RemotingException(
            f"The {self._ADAPTER_KIND} Adapter is not initialized: {self._init_failure}"
        )
        self._send_error_reply(request.request_id, request.METHOD, error)


# ---------------------------------------------------------------------- validation


def _validate_address(address: Any, sock: socket.socket | None) -> tuple[str, int] | None:
    if address is None and sock is not None:
        return None
    if isinstance(address, (str, bytes)) or not hasattr(address, "__len__"):
        raise TypeError(f"address must be a (host, port) tuple, not {type(address).__name__}")
    if len(address) > 2:
        raise TypeError(_ADDRESS_3_TUPLE)
    if len(address) != 2:
        raise TypeError(f"address must be a (host, port) tuple, not {address!r}")
    host, port = address[0], address[1]
    if not isinstance(host, str):
        raise TypeError(f"the host in address must be a str, not {type(host).__name__}")
    if isinstance(port, bool) or not isinstance(port, (int, str)):
        raise TypeError(f"the port in address must be an int, not {type(port).__name__}")
    return (host, port)  # type: ignore[return-value]


def _validate_keep_alive(keep_alive: Any) -> float | None:
    if keep_alive is None:
        return None
    if isinstance(keep_alive, bool) or not isinstance(keep_alive, (int, float)):
        raise TypeError(
            f"keep_alive must be a number of seconds or None, not {type(keep_alive).__name__}"
        )
    if keep_alive != keep_alive:  # NaN
        raise ValueError("keep_alive must be a number of seconds, not NaN")
    return float(keep_alive)


def _validate_pool_size(size: Any) -> int:
    if size is None:
        size = 0
    if isinstance(size, bool) or not isinstance(size, int):
        raise TypeError(f"thread_pool_size must be an int or None, not {type(size).__name__}")
    if size <= 0:
        return os.cpu_count() or Server._DEFAULT_POOL_SIZE
    return size


def _check_positive(name: str, value: Any, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a positive number, not {type(value).__name__}")
    if not value > 0:
        raise ValueError(f"{name} must be positive, not {value!r}")


def _method_of(name: str | None) -> Method | None:
    if name is None:
        return None
    try:
        return Method(name)
    except ValueError:
        return None


def safe_before_init(message: str) -> str:
    """Limit ``message`` to characters encoded alike by both string encodings (§4.4)."""
    return _UNSAFE_BEFORE_INIT.sub("_", message).strip("_") or "error"
