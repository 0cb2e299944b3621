"""One ARI connection over a socket: a reader thread and a writer thread.

The transport knows bytes and lines, not packets. It

* opens the connection (:func:`open_connection`: IPv4 or IPv6 through
  :func:`socket.create_connection`, a connect timeout, ``TCP_NODELAY``, optional TLS);
* writes the first line (``RAC``, ARI-PROTOCOL.md §6.1) synchronously in :meth:`start`,
  before any other thread may write;
* runs one **writer** thread: producers append encoded lines (``str`` ending in CR LF) to a
  list under :attr:`Transport.lock`; the writer swaps the list, joins it, encodes it to
  UTF-8 and writes it with one ``sendall`` per 256 lines. Packets are therefore never
  interleaved (§2.1, §6.11) and a backlog is written in batches;
* bounds what is queued (``max_pending_bytes``, counting the characters queued and those
  being written): a producer that finds the buffer full waits up to ``send_timeout``
  seconds for room (backpressure; the waiting producers are woken one at a time); if
  there is still no room the Proxy is considered unresponsive and the connection fails
  with :class:`TimeoutError`. A ``sendall`` that takes longer than ``send_timeout`` fails
  the connection the same way;
* writes ``KEEPALIVE`` when nothing at all was written for the keepalive interval (§7);
* runs one **reader** thread: ``recv`` in chunks of 64 KiB handed to ``on_data``. While
  it handles a chunk of requests it corks the writer (its replies wait for the end of
  the chunk), and it may write what is queued itself, when the writer is idle
  (:meth:`Transport.write_queued`): the writer is then lent to it and waits.

On a plain socket the reader blocks in ``recv`` and the writer in ``sendall``. A TLS
socket must not be used by two threads at once (OpenSSL forbids it, and CPython releases
the GIL inside ``SSL_read``/``SSL_write``): there the socket is non-blocking, every TLS
call (``recv``, ``send``, ``shutdown``) is made under one lock of its own, and the threads
wait for the socket (``poll``/``select``) outside that lock (:class:`TlsIO`).

Failures (EOF, socket errors, the backpressure timeout) are collected in one place: the
first one wins, the socket is shut down, and the reader thread calls ``on_closed`` with it
exactly once when it exits (ARI-PROTOCOL.md §10 item 93). A local :meth:`Transport.close`
also ends the reader, which then calls ``on_closed(None)``.

Both threads are non-daemon, so that a started server keeps the process alive (as in
1.3.1) until the connection ends or the server is closed.
"""

from __future__ import annotations

import logging
import select
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import ssl

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_PENDING_BYTES",
    "DEFAULT_SEND_TIMEOUT",
    "KEEPALIVE_LINE",
    "TlsIO",
    "Transport",
    "open_connection",
]

#: Seconds allowed to establish the TCP connection (and the TLS handshake).
DEFAULT_CONNECT_TIMEOUT: Final = 10.0
#: Seconds a write may take, and a producer may wait for room in a full buffer.
DEFAULT_SEND_TIMEOUT: Final = 30.0
#: Upper bound of the characters queued for writing (128 KiB: measured to give the same
#: throughput and CPU per update as larger buffers, with a lower peak memory: 256 KiB
#: costs 0.85 MB more at peak, 64 KiB 6-12 % more CPU per update; see benchmarks/).
DEFAULT_MAX_PENDING_BYTES: Final = 128 * 1024
#: The keepalive line (ARI-PROTOCOL.md §5.2). Kept here too so the transport does not
#: depend on the codec.
KEEPALIVE_LINE: Final = "KEEPALIVE\r\n"

_RECV_SIZE: Final = 65536
#: Lines written per sendall (about 40 KB of updates of 8 short fields).
_WRITE_SLICE: Final = 256
#: Longest wait of a TLS reader or writer for its socket before it checks again whether
#: the connection is closing (shutdown() ends the wait at once where the OS wakes it).
_TLS_POLL_INTERVAL: Final = 0.5

_get_ident = threading.get_ident

_REQUESTS_LOGGER = logging.getLogger("lightstreamer-adapter.requestreply.requests")
_REPLIES_LOGGER = logging.getLogger("lightstreamer-adapter.requestreply.replies")
_KEEPALIVES_LOGGER = logging.getLogger("lightstreamer-adapter.requestreply.keep_alives")
_NOTIFICATIONS_LOGGER = logging.getLogger("lightstreamer-adapter.requestreply.notifications")
_LOG = logging.getLogger("lightstreamer-adapter.server")

# Methods whose lines are notifications rather than replies: used to pick the logger of a
# sent line, only when DEBUG logging is on.
_NOTIFICATION_METHODS: Final = frozenset({"UD3", "EOS", "CLS", "DFD", "FAL"})


def open_connection(
    address: tuple[str, int],
    *,
    connect_timeout: float | None = DEFAULT_CONNECT_TIMEOUT,
    ssl_context: ssl.SSLContext | None = None,
) -> socket.socket:
    """Connect to a Proxy Adapter and return the socket, ready for :class:`Transport`.

    Resolves ``host`` for IPv4 and IPv6 and tries each address in turn
    (:func:`socket.create_connection`), disables Nagle's algorithm (without
    ``TCP_NODELAY`` two small writes in a row can stall for about 40 ms on delayed ACKs)
    and, with ``ssl_context``, performs the TLS handshake checking ``host``
    (ARI-PROTOCOL.md §1.6).

    Args:
        address: ``(host, port)`` of the Proxy Adapter's ``request_reply_port``.
        connect_timeout: Seconds allowed for the connection and the TLS handshake;
            ``None`` waits as long as the operating system does.
        ssl_context: The TLS client context, or ``None`` for plain TCP.

    Raises:
        OSError: The connection or the handshake failed (``ssl.SSLError`` and
            ``TimeoutError`` are ``OSError`` subclasses).
    """
    host, port = address
    # getaddrinfo() IDNA-encodes a str host, importing encodings.idna, unicodedata and
    # stringprep (~0.5 MB of resident memory) even for "127.0.0.1". The IDNA form of an
    # ASCII name is its ASCII bytes, which getaddrinfo() accepts as they are; the str
    # stays for the TLS host name check.
    target: str | bytes = host.encode("ascii") if host.isascii() else host
    sock = socket.create_connection((target, port), timeout=connect_timeout)  # type: ignore[arg-type]
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if ssl_context is not None:
            sock = ssl_context.wrap_socket(sock, server_hostname=host)
    except BaseException:
        sock.close()
        raise
    return sock


class Transport:
    """The reader and writer threads of one connection.

    Args:
        sock: A connected socket (possibly TLS). The transport owns it from now on and
            closes it when both threads have ended.
        name: Thread name stem, e.g. ``"ls-data"`` gives ``ls-data-reader-<n>``.
        index: The server number appended to thread names.
        on_data: Called on the reader thread with every chunk received. It must not
            raise; if it does, the exception is logged and reading goes on.
        on_closed: Called once, on the reader thread, when the connection has ended:
            with the failure (:class:`EOFError` for an orderly end of stream,
            :class:`OSError` for socket errors, :class:`TimeoutError` for a Proxy that
            stopped reading) or ``None`` after :meth:`close`.
        send_timeout: Seconds a ``sendall`` may last, and a producer may wait for room.
        max_pending_bytes: Bound of the queued characters (see the module docstring).
        keepalive: Initial keepalive interval in seconds, ``None`` for no keepalives.
    """

    def __init__(
        self,
        sock: socket.socket,
        *,
        name: str,
        index: int,
        on_data: Callable[[bytes], None],
        on_closed: Callable[[BaseException | None], None],
        send_timeout: float = DEFAULT_SEND_TIMEOUT,
        max_pending_bytes: int = DEFAULT_MAX_PENDING_BYTES,
        keepalive: float | None = None,
    ) -> None:
        self._sock = sock
        # The I/O path is chosen once: a plain socket is read and written directly (the
        # hot path), a TLS socket through TlsIO, which serializes the TLS calls.
        self._tls = TlsIO.for_socket(sock, send_timeout, lambda: self._closing)
        self._recv: Callable[[int], bytes]
        self._sendall: Callable[[bytes], None]
        if self._tls is None:
            self._recv = sock.recv
            self._sendall = sock.sendall
        else:
            self._recv = self._tls.recv
            self._sendall = self._tls.sendall
        self._on_data = on_data
        self._on_closed = on_closed
        self._send_timeout = send_timeout
        self._max_pending = max_pending_bytes
        self._keepalive = keepalive
        #: The lock of the outgoing queue. Hold it (briefly, without blocking) to make a
        #: state change atomic with respect to the lines queued by :meth:`send_if`.
        self.lock = threading.Lock()
        self._wake_writer = threading.Condition(self.lock)
        self._room = threading.Condition(self.lock)
        self._pending: list[str] = []
        self._buffered = 0  # characters queued plus characters being written
        self._writer_idle = False
        self._room_waiters = 0
        self._closing = False
        self._failure: BaseException | None = None
        self._last_write = time.monotonic()
        self._threads_left = 2
        self._reader_name = f"{name}-reader-{index}"
        #: The thread that reads now (read-only for others). Another one takes over
        #: when the reader is stuck in adapter code (see inline.py); the old one then
        #: ends after its call. A plain attribute: it is read once per request.
        self.reader = threading.Thread(
            target=self._read_loop, args=(False,), name=self._reader_name, daemon=False
        )
        self._readers = [self.reader]
        self._takeovers = 0
        #: The ident of the reader while it corks the writer (see :meth:`cork`).
        self._cork_ident: int | None = None
        #: The reader is writing (:meth:`write_queued`); the writer must not.
        self._lent = False
        #: The writer woke while it was lent: it must look again when it is given back.
        self._missed = False
        self._writer = threading.Thread(
            target=self._write_loop, name=f"{name}-writer-{index}", daemon=False
        )
        self._started = False

    # ------------------------------------------------------------------ lifecycle

    def start(self, first_line: str) -> None:
        """Write ``first_line`` synchronously, then start the writer and reader threads.

        Nothing else can be written before ``first_line``: this is how ``RAC`` is
        guaranteed to be the first packet (ARI-PROTOCOL.md §5.1, §6.1).

        Raises:
            OSError: The line could not be written; no thread was started.
        """
        if self._tls is None:
            self._sock.settimeout(self._send_timeout)  # bounds each sendall
        else:
            self._sock.setblocking(False)  # TlsIO bounds its writes itself
        self._sendall(first_line.encode("utf-8"))
        self._last_write = time.monotonic()
        _log_sent([first_line])
        self._started = True
        self._writer.start()
        self.reader.start()

    def close(self) -> None:
        """Stop both threads without waiting; queued lines are dropped.

        Shuts the socket down so that a ``recv`` blocked in the reader returns at once
        (closing the descriptor alone would not wake it: bug B4 of 1.3.1). Idempotent;
        :meth:`join` waits for the threads.
        """
        with self.lock:
            if self._closing:
                return
            self._begin_closing()
        self._shutdown_socket()
        if not self._started:
            self._sock.close()

    def join(self, deadline: float) -> bool:
        """Wait, until the :func:`time.monotonic` ``deadline``, for both threads to end.

        The calling thread is skipped if it is one of them. Returns whether every
        thread (other than the caller) has ended.
        """
        current = threading.current_thread()
        done = True
        for thread in (self._writer, *self._readers):
            if thread is current or not thread.is_alive():
                continue
            thread.join(max(0.0, deadline - time.monotonic()))
            done = done and not thread.is_alive()
        return done

    @property
    def closed(self) -> bool:
        """Whether the connection has ended or is being closed."""
        return self._closing

    @property
    def threads(self) -> tuple[threading.Thread, ...]:
        """The reader threads (the first and any that took over), then the writer."""
        return (*self._readers, self._writer)

    def take_over_reading(self) -> threading.Thread | None:
        """Designate a new reader thread; the current one ends after its ``on_data``.

        The new thread first calls ``on_data(b"")``, to process what was received but
        not yet handled, then reads the socket. Returns the thread, not yet started
        (the caller starts it), or ``None`` when the connection is ending. Also lifts
        the cork of the old reader.
        """
        with self.lock:
            if self._closing or not self._started:
                return None
            self._takeovers += 1
            thread = threading.Thread(
                target=self._read_loop,
                args=(True,),
                name=f"{self._reader_name}-{self._takeovers + 1}",
                daemon=False,
            )
            self.reader = thread
            # Forget the replaced readers that have ended (a long-lived connection may
            # see a takeover every half minute).
            self._readers = [t for t in self._readers if t.is_alive()]
            self._readers.append(thread)
            self._cork_ident = None
            self._wake_idle_writer()
        return thread

    def cork(self) -> None:
        """Hold back the writer for the lines the calling thread queues, until :meth:`uncork`.

        The reader corks while it handles a chunk of requests, so that their replies are
        written together, with one wake-up of the writer instead of one per reply. Lines
        queued by other threads still wake the writer (and take the corked ones along).
        """
        self._cork_ident = _get_ident()

    def uncork(self) -> None:
        """End :meth:`cork` and wake the writer if lines are waiting."""
        with self.lock:
            if self._cork_ident == _get_ident():
                self._cork_ident = None
            self._wake_idle_writer()

    def _wake_idle_writer(self) -> None:
        # Lock held.
        if self._pending and self._writer_idle:
            self._writer_idle = False
            self._wake_writer.notify()

    # ------------------------------------------------------------------ writing

    def send(self, line: str) -> bool:
        """Queue one complete line (ending in CR LF) for writing.

        Blocks only while the buffer is full, at most ``send_timeout`` seconds
        (backpressure); then the connection fails. Returns ``False`` if the line was
        dropped because the connection has ended.
        """
        lock = self.lock
        # Producers (update() callers) never block in the OS on this lock. Its critical
        # sections are a few bytecodes, so a holder that is not running lost the GIL
        # inside one; blocking would hand the lock to a thread that must then wait for
        # the GIL, and every later update would pay a context switch (a lock convoy,
        # measured at 2.5 -> 7-14 us per update with 4-16 producer threads). Yielding
        # the GIL instead lets the holder finish. Waiting for room in a full buffer still
        # blocks, in Condition.wait, which releases the lock. (Inlined: hot path.)
        if not lock.acquire(False):
            self._acquire_yielding()
        try:
            if self._closing or (self._buffered >= self._max_pending and not self._wait_room()):
                return False
            self._pending.append(line)
            self._buffered += len(line)
            if self._writer_idle and self._cork_ident != _get_ident():
                self._writer_idle = False
                self._wake_writer.notify()
        finally:
            lock.release()
        return True

    def send_if(self, line: str, guard: Mapping[str, str], key: str, expected: str) -> bool:
        """Queue ``line`` only if ``guard.get(key) is expected``, checked under the lock.

        The data side uses it to drop an event whose subscription ended while it was
        being encoded: the check and the append are atomic with respect to any change
        of ``guard`` made while holding :attr:`lock` (ARI-PROTOCOL.md §6.4). Returns
        whether the line was queued.
        """
        # The hot path of every update: a positional acquire(False), as keywords cost
        # ~30 % of the call.
        lock = self.lock
        if not lock.acquire(False):
            self._acquire_yielding()
        try:
            if self._closing or (self._buffered >= self._max_pending and not self._wait_room()):
                return False
            if guard.get(key) is not expected:
                return False
            self._pending.append(line)
            self._buffered += len(line)
            if self._writer_idle and self._cork_ident != _get_ident():
                self._writer_idle = False
                self._wake_writer.notify()
        finally:
            lock.release()
        return True

    def _acquire_yielding(self) -> None:
        # Take the lock without blocking in the OS: see send().
        lock = self.lock
        while not lock.acquire(False):
            time.sleep(0)

    def set_keepalive(self, interval: float | None) -> None:
        """Change the keepalive interval (seconds; ``None`` = no keepalives)."""
        with self.lock:
            self._keepalive = interval
            if self._writer_idle:
                self._writer_idle = False
                self._wake_writer.notify()

    @property
    def keepalive(self) -> float | None:
        """The current keepalive interval in seconds, ``None`` when disabled."""
        return self._keepalive

    def _wait_room(self) -> bool:
        # Called with the lock held and the buffer full. Returns True when there is room.
        deadline = time.monotonic() + self._send_timeout
        self._room_waiters += 1
        try:
            while self._buffered >= self._max_pending:
                if self._closing:
                    return False
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._fail_locked(
                        TimeoutError(
                            f"the outgoing buffer stayed full ({self._buffered} characters "
                            f"queued) for {self._send_timeout} s: the Proxy Adapter is not "
                            "reading; raise send_timeout or max_pending_bytes if it is just "
                            "slow"
                        )
                    )
                    return False
                # A corked reader that fills the buffer must not wait for a writer that
                # nobody woke (its own lines do not wake it while corked).
                self._wake_idle_writer()
                self._room.wait(remaining)
            return not self._closing
        finally:
            self._room_waiters -= 1
            # Waiters are woken one at a time, each passing the turn on while there is
            # room: the writer's notify_all woke all of them at once, to convoy on this
            # lock and the GIL, and most filled nothing before the buffer was full again
            # (16 producers: 57 -> 10 context switches per 1,000 updates, ~10 % more
            # updates/s). _begin_closing still wakes everyone.
            if self._room_waiters and self._buffered < self._max_pending:
                self._room.notify()

    def _write_loop(self) -> None:
        try:
            while True:
                with self.lock:
                    while (not self._pending or self._lent) and not self._closing:
                        if self._lent:
                            # The reader is writing (write_queued): wait until it gives
                            # the socket back, then look again (keepalive included).
                            self._missed = True
                            self._writer_idle = True
                            self._wake_writer.wait()
                            continue
                        interval = self._keepalive
                        if interval is None:
                            self._writer_idle = True
                            self._wake_writer.wait()
                            continue
                        remaining = self._last_write + interval - time.monotonic()
                        if remaining <= 0:
                            break
                        self._writer_idle = True
                        self._wake_writer.wait(remaining)
                    self._writer_idle = False
                    if self._closing:
                        return
                    if self._pending:
                        lines = self._pending
                        self._pending = []
                    else:
                        lines = [KEEPALIVE_LINE]
                        self._buffered += len(KEEPALIVE_LINE)
                sent = self._write_lines(lines)
                with self.lock:
                    self._wrote(sent)
        except OSError as exc:
            self._fail(exc)
        except BaseException as exc:  # a bug: never leave the connection half alive
            _LOG.exception("Unexpected error in thread %s", threading.current_thread().name)
            self._fail(exc)
        finally:
            self._thread_done()

    def write_queued(self) -> None:
        """Write the queued lines on the calling thread, if the writer is idle.

        The reader calls it every 16 requests of a chunk (see ``_on_data`` in base.py).
        Woken instead, the writer thread could not get the GIL from the busy reader until
        that one blocks in ``recv``: the replies would leave only at the end of the chunk,
        and the Proxy would prepare its next requests while the adapter waits. Written
        here, they leave at once and both sides work at the same time. The writer stays
        out of the way (``_lent``) until the lines are written, so the order of the lines is
        kept. Does nothing when the writer is busy: it takes the lines next.
        """
        with self.lock:
            if not self._writer_idle or self._lent or self._closing or not self._pending:
                return
            lines = self._pending
            self._pending = []
            self._lent = True
        failure: BaseException | None = None
        sent = 0
        try:
            sent = self._write_lines(lines)
        except OSError as exc:
            failure = exc
        except BaseException as exc:  # a bug: never leave the writer lent for good
            _LOG.exception("Unexpected error in thread %s", threading.current_thread().name)
            failure = exc
        with self.lock:
            self._lent = False
            self._wrote(sent)
            if self._missed:
                # The writer woke meanwhile (a line of another thread, a keepalive due,
                # a new interval): let it look again.
                self._missed = False
                self._writer_idle = False
                self._wake_writer.notify()
        if failure is not None:
            self._fail(failure)

    def _write_lines(self, lines: list[str]) -> int:
        """Write ``lines`` (emptying the list); returns their length in characters.

        Raises:
            OSError: The socket failed, or a write lasted more than ``send_timeout``.
        """
        sent = sum(map(len, lines))
        _log_sent(lines)
        # Written in slices: a full buffer's str and its UTF-8 copy would otherwise be
        # alive at once next to the lines (~0.2 MB more at peak); the lines are let go as
        # they are written. Room is made once, at the end (_wrote), so that the producers
        # (blocked on a full buffer) do not take the GIL back from this thread between two
        # slices.
        sendall = self._sendall
        while lines:
            part = lines[:_WRITE_SLICE]
            del lines[:_WRITE_SLICE]
            try:
                data = "".join(part).encode("utf-8")
            except UnicodeEncodeError:
                data = _encode_valid_lines(part)
            del part
            # send_timeout bounds each sendall (the socket timeout, or TlsIO).
            sendall(data)
            del data
        return sent

    def _wrote(self, sent: int) -> None:
        # Lock held: ``sent`` characters have left the buffer.
        self._last_write = time.monotonic()
        self._buffered -= sent
        if self._room_waiters:
            self._room.notify()  # one; it wakes the next (see _wait_room)

    # ------------------------------------------------------------------ reading

    def _read_loop(self, taking_over: bool) -> None:
        failure: BaseException | None = None
        me = threading.current_thread()
        recv = self._recv
        try:
            if taking_over:
                try:
                    self._on_data(b"")
                except Exception:
                    _LOG.exception("Unexpected error while handling received data")
            while not self._closing:
                if self.reader is not me:
                    return  # another thread took over while this one was busy
                try:
                    data = recv(_RECV_SIZE)
                except TimeoutError:
                    # The socket timeout exists for sendall (or TlsIO's wait ended): an
                    # idle reader checks the loop condition and goes on.
                    continue
                if not data:
                    failure = EOFError("Socket connection broken: end of stream from the Proxy")
                    break
                try:
                    self._on_data(data)
                except Exception:
                    _LOG.exception("Unexpected error while handling received data")
        except OSError as exc:
            failure = exc
        except BaseException as exc:
            _LOG.exception("Unexpected error in thread %s", threading.current_thread().name)
            failure = exc
        with self.lock:
            if self.reader is not me:
                # Replaced while busy in adapter code: the reader that took over reports
                # the end of the connection, once.
                return
            if self._failure is not None:
                failure = self._failure  # the first failure wins (e.g. a write error)
            elif self._closing:
                failure = None  # a local close: not a failure
            else:
                self._failure = failure
            if not self._closing:
                self._begin_closing()
        self._shutdown_socket()
        try:
            self._on_closed(failure)
        except Exception:
            _LOG.exception("Unexpected error while handling the end of the connection")
        finally:
            self._thread_done()

    # ------------------------------------------------------------------ failures

    def _fail(self, exc: BaseException) -> None:
        with self.lock:
            self._fail_locked(exc)

    def _fail_locked(self, exc: BaseException) -> None:
        if self._closing:
            return
        self._failure = exc
        self._begin_closing()
        # shutdown() does not block; doing it under the lock keeps the failure atomic.
        self._shutdown_socket()

    def _begin_closing(self) -> None:
        # Lock held.
        self._closing = True
        self._pending = []
        self._wake_writer.notify_all()
        self._room.notify_all()

    def _shutdown_socket(self) -> None:
        # Wakes a reader blocked in recv (or a TLS thread waiting in poll).
        if self._tls is not None:
            self._tls.shutdown()
            return
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except (OSError, ValueError):
            pass  # already shut down, never connected, or closed

    def _thread_done(self) -> None:
        with self.lock:
            self._threads_left -= 1
            last = self._threads_left == 0
        if last:
            self._sock.close()


class TlsIO:
    """Reads and writes one TLS socket from two threads, one TLS call at a time.

    OpenSSL forbids using one connection from two threads at once. The owner makes the
    socket non-blocking (:meth:`Transport.start`; the simulator of
    :mod:`lightstreamer_adapter.testing` uses this class too); every TLS call is made
    under :attr:`lock`, which is never held while waiting: ``SSLWantReadError`` and
    ``SSLWantWriteError`` make the thread release it and wait for the socket with
    :func:`_wait_socket`. Once ``closing()`` is true no TLS call is made.
    """

    __slots__ = (
        "_closing",
        "_peer",
        "_send_timeout",
        "_sock",
        "_want_read",
        "_want_write",
        "lock",
    )

    @classmethod
    def for_socket(
        cls,
        sock: socket.socket,
        send_timeout: float,
        closing: Callable[[], bool],
        peer: str = "the Proxy Adapter",
    ) -> TlsIO | None:
        """An instance for a TLS socket, ``None`` for a plain one.

        ``peer`` names the other side in the message of a write timeout.
        """
        # An SSLSocket exists only if ssl was imported: no import here (4 MB).
        ssl_module = sys.modules.get("ssl")
        if ssl_module is None or not isinstance(sock, ssl_module.SSLSocket):
            return None
        return cls(sock, send_timeout, closing, ssl_module, peer)

    def __init__(
        self,
        sock: socket.socket,
        send_timeout: float,
        closing: Callable[[], bool],
        ssl_module: Any,
        peer: str = "the Proxy Adapter",
    ) -> None:
        self._sock = sock
        self._peer = peer
        self._send_timeout = send_timeout
        self._closing = closing
        self._want_read: type[OSError] = ssl_module.SSLWantReadError
        self._want_write: type[OSError] = ssl_module.SSLWantWriteError
        #: Held for every TLS call on the socket, never while waiting.
        self.lock = threading.Lock()

    def recv(self, size: int) -> bytes:
        """Up to ``size`` bytes; ``b""`` at the end of the stream or once closing.

        Raises:
            TimeoutError: Nothing arrived for a while (the caller checks whether to
                go on reading and calls again).
            OSError: The connection failed.
        """
        sock = self._sock
        while True:
            # Tried before waiting: the TLS layer may hold decrypted bytes already.
            with self.lock:
                if self._closing():
                    return b""
                try:
                    return sock.recv(size)
                except self._want_read:
                    writable = False
                except self._want_write:
                    writable = True
            if not _wait_socket(sock, writable, _TLS_POLL_INTERVAL):
                raise TimeoutError("no data")

    def sendall(self, data: bytes) -> None:
        """Write all of ``data`` within ``send_timeout`` seconds.

        Raises:
            TimeoutError: The Proxy did not take the data in time.
            OSError: The connection failed or is closing.
        """
        sock = self._sock
        view = memoryview(data)
        deadline = time.monotonic() + self._send_timeout
        while view:
            with self.lock:
                if self._closing():
                    raise ConnectionAbortedError("the connection is closed")
                try:
                    # Without partial writes, SSL_write takes all of it or nothing; a
                    # retry after a "want" error passes the same bytes, as required.
                    sent = sock.send(view)
                except self._want_read:
                    writable = False
                except self._want_write:
                    writable = True
                else:
                    view = view[sent:]
                    continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(
                    f"a write to {self._peer} did not complete within "
                    f"{self._send_timeout} s: {self._peer} is not reading; raise the "
                    "timeout (send_timeout for a server) if it is just slow"
                )
            _wait_socket(sock, writable, min(remaining, _TLS_POLL_INTERVAL))

    def shutdown(self, how: int = socket.SHUT_RDWR) -> None:
        """Shut the TCP connection down (no TLS close_notify), between two TLS calls.

        The TLS state is kept (``SSLSocket.shutdown`` would drop it, and a later read
        would return the raw records): after ``SHUT_WR`` the socket can still be read.
        """
        with self.lock:
            try:
                socket.socket.shutdown(self._sock, how)
            except (OSError, ValueError):
                pass  # already shut down, never connected, or closed


if sys.platform == "win32":

    def _wait_socket(sock: socket.socket, writable: bool, timeout: float) -> bool:
        # Windows has no poll(); its select() has no descriptor-number limit.
        sockets = [sock]
        if writable:
            ready = select.select([], sockets, [], timeout)[1]
        else:
            ready = select.select(sockets, [], [], timeout)[0]
        return bool(ready)

else:

    def _wait_socket(sock: socket.socket, writable: bool, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for ``sock`` to be readable (or writable).

        Returns whether it became ready (errors and hang-ups count as ready).
        """
        # poll(), not select(): select() fails on descriptors above FD_SETSIZE (1024).
        poller = select.poll()
        poller.register(sock, select.POLLOUT if writable else select.POLLIN)
        return bool(poller.poll(timeout * 1000.0))


def log_received(data: bytes, carry: bytearray) -> None:
    """Log the complete lines of ``data`` at DEBUG with a ``"< "`` prefix.

    ``carry`` holds a partial line between calls. Call only when DEBUG is enabled on the
    requests logger.
    """
    carry += data
    *lines, rest = bytes(carry).split(b"\n")
    carry[:] = rest
    for raw in lines:
        text = raw.rstrip(b"\r").decode("utf-8", "replace")
        if text:
            _REQUESTS_LOGGER.debug("< %s", text)


def requests_debug_enabled() -> bool:
    """Whether received lines are logged (DEBUG on the requests logger)."""
    return _REQUESTS_LOGGER.isEnabledFor(logging.DEBUG)


def _log_sent(lines: list[str]) -> None:
    # One cheap check per batch; the per-line work happens only with DEBUG on.
    if not (
        _REPLIES_LOGGER.isEnabledFor(logging.DEBUG)
        or _NOTIFICATIONS_LOGGER.isEnabledFor(logging.DEBUG)
        or _KEEPALIVES_LOGGER.isEnabledFor(logging.DEBUG)
    ):
        return
    for line in lines:
        text = line.rstrip("\r\n")
        if text == "KEEPALIVE":
            _KEEPALIVES_LOGGER.debug("> %s", text)
            continue
        parts = text.split("|", 2)
        if len(parts) > 1 and parts[1] in _NOTIFICATION_METHODS:
            _NOTIFICATIONS_LOGGER.debug("> %s", text)
        else:
            _REPLIES_LOGGER.debug("> %s", text)


def _encode_valid_lines(lines: list[str]) -> bytes:
    """Encode ``lines`` to UTF-8, dropping (with an ERROR log) those that cannot be.

    Only an update whose value holds a lone surrogate gets here (replies are checked when
    they are encoded): dropping that one line keeps the connection and the other lines.
    """
    chunks = []
    for line in lines:
        try:
            chunks.append(line.encode("utf-8"))
        except UnicodeEncodeError as exc:
            _LOG.error(
                "Dropped an outgoing line holding a character UTF-8 cannot carry "
                "(a lone surrogate at position %d): %r",
                exc.start,
                line[:200],
            )
    return b"".join(chunks)
