"""One accepted adapter connection: its reader thread and everything it recorded.

The reader thread feeds the sans-IO core (``framing.LineBuffer`` and
``parse.parse_remote_line``) and sorts what comes out: replies go to the pending request
with the same id, notifications to a mailbox from which callers take them selectively,
and whatever breaks the protocol becomes a :class:`SimulatorError` in the list of
violations. Every blocking wait of the public API is a :meth:`Connection.wait_for` on
one condition variable, which the reader notifies after each line.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from .._threading.transport import TlsIO
from ..protocol.encode import encode_proxy_message
from ..protocol.errors import RemoteProtocolError
from ..protocol.framing import CRLF, LineBuffer
from ..protocol.messages import (
    ClearSnapshot,
    CloseNotice,
    DataFailure,
    DeclareFieldDiffOrder,
    EndOfSnapshot,
    ErrorInfo,
    ErrorKind,
    ErrorReply,
    ForceSessionTermination,
    ForceSessionTerminationReply,
    ForceUnsubscription,
    ForceUnsubscriptionReply,
    GetItemDataReply,
    GetItemsReply,
    GetSchemaReply,
    GetUserItemDataReply,
    InitReply,
    Keepalive,
    MetadataFailure,
    Method,
    NotifyNewSessionReply,
    NotifyNewTablesReply,
    NotifyUserReply,
    ProxyMessage,
    RemoteCredentials,
    RemoteMessage,
    Request,
    SubscribeRequest,
    UnsubscribeRequest,
    Update,
    VoidReply,
)
from ..protocol.parse import ALLOWED_ERROR_KINDS, parse_proxy_line, parse_remote_line
from ..protocol.versions import LATEST, V1_8_0, V1_8_2, V1_8_3, V1_9_0, ProtocolVersion
from ._errors import SimulatorError

__all__ = ["Connection", "ForceHandler", "Pending", "Reply"]

_T = TypeVar("_T")

#: A success or error reply of the adapter to one of our requests.
Reply = (
    InitReply
    | VoidReply
    | ErrorReply
    | NotifyUserReply
    | GetItemsReply
    | GetSchemaReply
    | GetItemDataReply
    | GetUserItemDataReply
    | NotifyNewSessionReply
    | NotifyNewTablesReply
)
_REPLY_TYPES = (
    InitReply,
    VoidReply,
    ErrorReply,
    NotifyUserReply,
    GetItemsReply,
    GetSchemaReply,
    GetItemDataReply,
    GetUserItemDataReply,
    NotifyNewSessionReply,
    NotifyNewTablesReply,
)
_DATA_NOTIFICATIONS = (Update, EndOfSnapshot, ClearSnapshot, DeclareFieldDiffOrder, DataFailure)
_ItemNotification = Update | EndOfSnapshot | ClearSnapshot | DeclareFieldDiffOrder

#: Computes the Proxy's answer to an ``FST``/``FUS`` of the adapter (or ``None``: no answer).
ForceHandler = Callable[
    [ForceSessionTermination | ForceUnsubscription],
    ForceSessionTerminationReply | ForceUnsubscriptionReply | None,
]

_M = Method
_DATA_METHODS = frozenset({_M.DPI, _M.SUB, _M.USB})
_METADATA_METHODS = frozenset(
    {
        _M.MPI, _M.NUS, _M.NUA, _M.GIS, _M.GSC, _M.GIT, _M.GUI, _M.NUM,
        _M.NNS, _M.NSC, _M.NNT, _M.NTC, _M.MDA, _M.MSA, _M.MDC,
    }
)  # fmt: skip
_REQUEST_METHODS = _DATA_METHODS | _METADATA_METHODS

# The success reply forms of each method (ARI-PROTOCOL.md §5).
_SUCCESS_TYPES: dict[Method, tuple[type, ...]] = {
    _M.DPI: (InitReply,),
    _M.MPI: (InitReply,),
    _M.NUS: (NotifyUserReply,),
    _M.NUA: (NotifyUserReply,),
    _M.GIS: (GetItemsReply,),
    _M.GSC: (GetSchemaReply,),
    _M.GIT: (GetItemDataReply,),
    _M.GUI: (GetUserItemDataReply,),
    _M.NNS: (NotifyNewSessionReply, VoidReply),
    _M.NNT: (NotifyNewTablesReply, VoidReply),
}
_FIXED_REPLY_METHODS: dict[type, Method] = {
    GetItemsReply: _M.GIS,
    GetSchemaReply: _M.GSC,
    GetItemDataReply: _M.GIT,
    GetUserItemDataReply: _M.GUI,
    NotifyNewSessionReply: _M.NNS,
    NotifyNewTablesReply: _M.NNT,
}

_RECV_SIZE = 65536
_SHOWN = 200


def reply_method(reply: Reply) -> Method:
    """Return the method a reply answers."""
    if isinstance(reply, InitReply | VoidReply | ErrorReply | NotifyUserReply):
        return reply.method
    return _FIXED_REPLY_METHODS[type(reply)]


def _shorten(text: str) -> str:
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "..."


@dataclass
class Pending:
    """A request sent to the adapter, waiting for its reply."""

    request_id: str
    method: Method
    description: str
    reply: Reply | None = None
    #: Index in ``Connection.received`` of the reply line.
    reply_line: int = -1


@dataclass
class _Subscriptions:
    """What the Proxy knows of the items' subscriptions (ARI-PROTOCOL.md §6.4)."""

    #: SUB request id -> item.
    items: dict[str, str] = field(default_factory=dict)
    #: SUB request ids whose events are accepted.
    open: set[str] = field(default_factory=set)
    #: item -> id of the last SUB sent for it.
    last: dict[str, str] = field(default_factory=dict)
    #: USB request id -> id of the SUB it closes.
    closing: dict[str, str] = field(default_factory=dict)


class Connection:
    """An accepted adapter connection: reader thread, records, pending requests.

    Every attribute below is guarded by :attr:`cond`.
    """

    def __init__(
        self,
        sock: socket.socket,
        *,
        data: bool,
        number: int,
        peer: str,
        credentials: Sequence[tuple[str | None, str | None]] | None,
        strict: bool,
        max_line_length: int,
        timeout: float,
        force_handler: ForceHandler | None,
        logger: logging.Logger,
    ) -> None:
        self.sock = sock
        self.data = data
        self.number = number
        self.peer = peer
        self._credentials = credentials
        self._strict = strict
        self._buffer = LineBuffer(max_line_length)
        self._force_handler = force_handler
        self._logger = logger
        self._send_lock = threading.Lock()
        # The I/O path is chosen once. A plain socket is read and written directly, with
        # the timeout bounding each call. A TLS socket must not be in the reader's recv
        # and a sender's sendall at once (OpenSSL forbids it, and CPython releases the
        # GIL in SSL_read/SSL_write): it is non-blocking and used through TlsIO, which
        # makes one TLS call at a time and waits for the socket outside its lock.
        #: Set before the socket is shut down for good: TlsIO then makes no TLS call.
        self._io_closed = False
        self._tls = TlsIO.for_socket(sock, timeout, lambda: self._io_closed, "the Remote Adapter")
        self._recv: Callable[[int], bytes]
        self._sendall: Callable[[bytes], None]
        if self._tls is None:
            sock.settimeout(timeout)
            self._recv = sock.recv
            self._sendall = sock.sendall
        else:
            sock.setblocking(False)  # TlsIO bounds its writes by the timeout itself
            self._recv = self._tls.recv
            self._sendall = self._tls.sendall

        self.cond = threading.Condition()
        self.received: list[str] = []
        self.received_bytes = bytearray()
        self.sent: list[str] = []
        #: Index of the next line returned by expect_line.
        self.raw_cursor = 0
        #: Notifications (and keepalives, FST/FUS requests) not yet taken, oldest first.
        self.mailbox: deque[RemoteMessage] = deque()
        self.pending: dict[str, Pending] = {}
        self._answered: dict[str, Method] = {}
        self.violations: list[SimulatorError] = []
        self.reported = 0
        self.rac: RemoteCredentials | None = None
        self.first_line_seen = False
        self.refused = False
        #: The reader has ended: EOF, socket error or close().
        self.ended = False
        self.end_reason = "the connection is open"
        self._closing = False
        self.offered: ProtocolVersion | None = None
        self.offered_text: str | None = None
        #: The version agreed by the init reply; None until then.
        self.version: ProtocolVersion | None = None
        self.force_requests: list[ForceSessionTermination | ForceUnsubscription] = []
        self.item_states: dict[str, tuple[str, dict[str, str | bytes | None]]] = {}
        self._subs = _Subscriptions()

        self._thread = threading.Thread(
            target=self._read_loop,
            name=f"ls-simulator-{'data' if data else 'metadata'}-reader-{number}",
            daemon=True,
        )

    # ----------------------------------------------------------------------------------
    # Lifecycle

    def start(self) -> None:
        """Start the reader thread."""
        self._thread.start()

    def shutdown(
        self, deadline: float, close_notice: CloseNotice | None = None, grace: float = 0.0
    ) -> None:
        """Close the connection and join the reader thread until ``deadline`` (monotonic).

        With ``close_notice``, and if the connection is still open, send it first and give
        the adapter up to ``grace`` seconds to close its side: shutting down at once could
        reset the connection (unread bytes) and lose the ``CLOSE`` on its way.
        """
        with self.cond:
            still_open = not self.ended and not self._closing
        if close_notice is not None and still_open:
            try:
                self.send_message(close_notice)
            except (OSError, ConnectionError):
                pass
            else:
                with self.cond:
                    self._closing = True
                self._shutdown_socket(socket.SHUT_WR)
                if self._thread.is_alive() and self._thread is not threading.current_thread():
                    wait = min(grace, deadline - time.monotonic())
                    self._thread.join(max(0.0, wait))
        with self.cond:
            self._closing = True
        self._shutdown_socket(socket.SHUT_RDWR)
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(max(0.0, deadline - time.monotonic()))
        self._close_socket()
        with self.cond:
            if not self.ended:
                self.ended = True
                self.end_reason = "the simulator closed the connection"
            self.cond.notify_all()

    def _shutdown_socket(self, how: int) -> None:
        """Shut the socket down: ``SHUT_WR`` half closes it, ``SHUT_RDWR`` ends its I/O."""
        if how == socket.SHUT_RDWR:
            self._io_closed = True
        if self._tls is not None:
            self._tls.shutdown(how)  # between two TLS calls, keeping the TLS state
            return
        try:
            self.sock.shutdown(how)
        except (OSError, ValueError):
            pass

    def _close_socket(self) -> None:
        self._io_closed = True
        try:
            if self._tls is None:
                self.sock.close()
            else:
                # The reader may still be alive (a join that timed out): not in the
                # middle of one of its TLS calls.
                with self._tls.lock:
                    self.sock.close()
        except OSError:
            pass

    @property
    def close_packet_allowed(self) -> bool:
        """Whether a real Proxy would send ``CLOSE`` now (ARI-PROTOCOL.md §5.3)."""
        with self.cond:
            if self.refused:
                return False
            if self.rac is not None and self.rac.params.get("enableClosePacket") == "true":
                return True
            return self.version is not None and self.version >= V1_8_3

    @property
    def parse_version(self) -> ProtocolVersion:
        """The version used to parse and encode ordinary packets right now."""
        return self.version or self.offered or LATEST

    # ----------------------------------------------------------------------------------
    # Sending

    def send_text(self, text: str) -> None:
        """Write one encoded line (terminator included) atomically."""
        data = text.encode("utf-8")
        line = text[:-2] if text.endswith(CRLF) else text.rstrip("\r\n")
        with self._send_lock:
            with self.cond:
                if self._closing:
                    raise ConnectionError(
                        f"the simulator closed the connection: cannot send {_shorten(line)!r}"
                    )
            if self._logger.isEnabledFor(logging.DEBUG):
                self._logger.debug("> %s", line)
            try:
                self._sendall(data)
            except TimeoutError as exc:
                raise TimeoutError(
                    f"could not send {_shorten(line)!r} to the adapter within the "
                    "simulator's timeout: is it still reading?"
                ) from exc
            except OSError as exc:
                raise ConnectionError(
                    f"could not send {_shorten(line)!r} to the adapter: {exc}"
                ) from exc
            with self.cond:
                self.sent.append(line)

    def send_message(self, message: ProxyMessage) -> None:
        """Encode a message with the current version and write it."""
        with self.cond:
            version = self.parse_version
        self.send_text(encode_proxy_message(message, version))

    def register(self, request_id: str, method: Method, description: str) -> Pending:
        """Expect a reply to a request about to be sent."""
        pending = Pending(request_id, method, description)
        with self.cond:
            self.pending[request_id] = pending
            self._answered.pop(request_id, None)
        return pending

    def note_request(self, message: Request) -> None:
        """Track the subscription state opened or closed by a request being sent."""
        with self.cond:
            subs = self._subs
            if isinstance(message, SubscribeRequest):
                subs.items[message.request_id] = message.item
                subs.open.add(message.request_id)
                subs.last[message.item] = message.request_id
            elif isinstance(message, UnsubscribeRequest):
                sub_id = subs.last.get(message.item)
                if sub_id is not None:
                    subs.closing[message.request_id] = sub_id

    def register_raw(self, line: str) -> Pending | None:
        """Expect a reply to a raw line, if it looks like a request (even a malformed one)."""
        with self.cond:
            version = self.parse_version
        try:
            message = parse_proxy_line(line, version)
        except RemoteProtocolError:
            message = None
        if isinstance(message, Request):
            self.note_request(message)
            return self.register(message.request_id, message.METHOD, f"raw request {line!r}")
        # A deliberately malformed request still deserves a reply (§6.9): expect one.
        tokens = line.split("|")
        if len(tokens) < 2 or tokens[0] in ("", "0"):
            return None
        try:
            method = Method(tokens[1])
        except ValueError:
            return None
        if method not in _REQUEST_METHODS:
            return None
        return self.register(tokens[0], method, f"raw request {_shorten(line)!r}")

    # ----------------------------------------------------------------------------------
    # Waiting

    def wait_for(
        self,
        take: Callable[[], _T | None],
        timeout: float,
        expected: str,
        *,
        check: bool = True,
    ) -> _T:
        """Wait until ``take()`` (called under the lock) returns something.

        With ``check``, unreported violations are raised first.

        Raises:
            SimulatorError: A protocol violation was recorded and not yet reported.
            ConnectionError: The connection ended first.
            TimeoutError: Nothing within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                if check:
                    self.raise_violations()
                value = take()
                if value is not None:
                    return value
                if self.ended:
                    raise ConnectionError(
                        f"{self.end_reason} while waiting for {expected}; "
                        f"{self.describe_last_line()}"
                    )
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"timed out after {timeout:g} s waiting for {expected}; "
                        f"{self.describe_last_line()}{self._hint()}"
                    )
                self.cond.wait(remaining)

    def raise_violations(self) -> None:
        """Raise the violations recorded since the last call (caller holds the lock)."""
        if self.reported >= len(self.violations):
            return
        new = self.violations[self.reported :]
        self.reported = len(self.violations)
        if len(new) == 1:
            raise new[0]
        others = "; ".join(str(v) for v in new[1:])
        raise SimulatorError(
            f"{new[0]} (and {len(new) - 1} more: {others})", line=new[0].line
        ) from new[0]

    def take_violation(self) -> SimulatorError | None:
        """Mark the oldest unreported violation as reported and return it (lock held)."""
        if self.reported >= len(self.violations):
            return None
        self.reported += 1
        return self.violations[self.reported - 1]

    def describe_last_line(self) -> str:
        """Describe the last line received, for error messages (caller holds the lock)."""
        if not self.received:
            return "nothing received from the adapter yet"
        return f"last line received: {_shorten(self.received[-1])!r}"

    def _hint(self) -> str:
        if self.rac is None and not self.first_line_seen:
            return " (the adapter sent nothing: did its server start and connect?)"
        if self.version is None:
            return " (the connection is not initialized: call init() first)"
        return ""

    def take_notification(self, match: Callable[[RemoteMessage], bool]) -> RemoteMessage | None:
        """Remove and return the oldest notification that matches (caller holds the lock)."""
        # The oldest usually matches: popleft is O(1); a deeper match is rarer.
        for index, message in enumerate(self.mailbox):
            if match(message):
                if index == 0:
                    self.mailbox.popleft()
                else:
                    del self.mailbox[index]
                return message
        return None

    # ----------------------------------------------------------------------------------
    # Reading (reader thread)

    def _read_loop(self) -> None:
        reason = "the adapter closed the connection"
        recv = self._recv
        while True:
            try:
                chunk = recv(_RECV_SIZE)
            except TimeoutError:
                if self._tls is not None:
                    # TlsIO's wait for the socket ended: its recv returns b"" once the
                    # socket is shut down for good (and not during the CLOSE grace).
                    continue
                with self.cond:
                    if self._closing:
                        reason = "the simulator closed the connection"
                        break
                continue
            except (OSError, ValueError) as exc:
                with self.cond:
                    closing = self._closing
                reason = (
                    "the simulator closed the connection"
                    if closing
                    else f"the connection failed ({exc})"
                )
                break
            if not chunk:
                with self.cond:
                    if self._closing or self.refused:
                        reason = "the simulator closed the connection"
                break
            self._feed(chunk)
        with self.cond:
            self.ended = True
            self.end_reason = reason
            self.cond.notify_all()
        self._logger.debug("connection %d ended: %s", self.number, reason)

    def _feed(self, chunk: bytes) -> None:
        # The lines of a chunk are handled under one lock acquisition (waiters wake once
        # per chunk); the work that calls user code or writes runs after it is released.
        after: list[Callable[[], None]] = []
        with self.cond:
            self.received_bytes += chunk
            self._buffer.feed(chunk)
            while True:
                try:
                    line = self._buffer.next_line()
                except RemoteProtocolError as exc:
                    self._violation(f"the adapter sent an overlong line: {exc}", None)
                    continue
                if line is None:
                    break
                try:
                    action = self._handle_line(line)
                except Exception as exc:  # a bug of the simulator must not kill the reader
                    self._logger.exception("internal error of the simulator")
                    self._violation(f"internal error of the simulator: {exc!r}", None)
                else:
                    if action is not None:
                        after.append(action)
            self.cond.notify_all()
        for action in after:
            action()

    def _handle_line(self, raw: bytes) -> Callable[[], None] | None:
        """Record and route one line (caller holds the lock); return work to do unlocked."""
        text = raw.decode("utf-8", errors="backslashreplace")
        if self._logger.isEnabledFor(logging.DEBUG):
            self._logger.debug("< %s", text)
        self.received.append(text)
        try:
            message = parse_remote_line(raw, self.parse_version)
        except RemoteProtocolError as exc:
            pending = self.pending.get(exc.request_id or "")
            if not self.first_line_seen:
                self.first_line_seen = True
                self._violation(
                    f"the first line of a connection must be RAC, got a malformed line ({exc})",
                    text,
                )
            elif pending is not None and exc.method == pending.method.value:
                self._violation(f"malformed reply to {pending.description}: {exc}", text)
            else:
                self._violation(f"the adapter sent a malformed line: {exc}", text)
            return None
        return self._dispatch(message, text)

    def _dispatch(self, message: RemoteMessage, text: str) -> Callable[[], None] | None:
        """Route one parsed message (caller holds the lock); return work to do unlocked."""
        if not self.first_line_seen:
            self.first_line_seen = True
            if not isinstance(message, RemoteCredentials):
                # Recorded; then go on as a lenient Proxy would, so that the rest is
                # still checked.
                self._violation(
                    "the first line of a connection must be RAC (ARI-PROTOCOL.md §1.10 "
                    f"rule 1): the adapter sent {type(message).__name__} first",
                    text,
                )
        if isinstance(message, RemoteCredentials):
            if self.rac is not None:
                self._violation("the adapter sent RAC twice", text)
                return None
            self.rac = message
            return self._check_credentials(message)
        if isinstance(message, Keepalive):
            self.mailbox.append(message)
        elif isinstance(message, _REPLY_TYPES):
            self._on_reply(message, text)
        elif isinstance(message, (*_DATA_NOTIFICATIONS, MetadataFailure)):
            message = self._fix_failure(message)
            self._on_notification(message, text)
        else:
            return self._on_force(message, text)
        return None

    def _fix_failure(self, message: RemoteMessage) -> RemoteMessage:
        # "2|FAL|..." on a Metadata connection is the Metadata FAL (§5.5); any FAL on a
        # Data connection is the Data FAL (§5.4), whatever its first token.
        if self.data and isinstance(message, MetadataFailure):
            return DataFailure("2", message.message)
        if not self.data and isinstance(message, DataFailure) and message.timestamp == "2":
            return MetadataFailure(message.message)
        return message

    def _check_credentials(self, rac: RemoteCredentials) -> Callable[[], None] | None:
        if self._credentials is None or (rac.user, rac.password) in self._credentials:
            return None
        self.refused = True
        self._logger.info(
            "connection %d: wrong remote credentials (user %r): closing", self.number, rac.user
        )
        send_close = rac.params.get("enableClosePacket") == "true"

        def refuse() -> None:
            # What a Proxy with auth=Y does (ARI-PROTOCOL.md §1.7, Appendix A.3).
            if send_close:
                try:
                    self.send_message(CloseNotice({"reason": "wrong credentials"}))
                except (OSError, ConnectionError):
                    pass
            self._shutdown_socket(socket.SHUT_RDWR)

        return refuse

    def _on_reply(self, reply: Reply, text: str) -> None:
        request_id = reply.request_id
        method = reply_method(reply)
        pending = self.pending.pop(request_id, None)
        if pending is None:
            if request_id in self._answered:
                self._violation(
                    f"second reply to the {self._answered[request_id].value} request "
                    f"{request_id!r}: every request gets exactly one reply",
                    text,
                )
            else:
                self._violation(
                    f"reply to an unknown request id {request_id!r} (method {method.value})",
                    text,
                )
            return
        self._answered[request_id] = pending.method
        if method is not pending.method:
            self._violation(
                f"the reply to {pending.description} has method {method.value}, "
                f"expected {pending.method.value}",
                text,
            )
        elif isinstance(reply, ErrorReply):
            self._check_error_kind(pending, reply.error, text)
        else:
            allowed = _SUCCESS_TYPES.get(method, (VoidReply,))
            if not isinstance(reply, allowed):
                self._violation(
                    f"unexpected reply form to {pending.description}: {type(reply).__name__}",
                    text,
                )
            else:
                self._check_success(pending, reply, text)
        if method is _M.USB:
            sub_id = self._subs.closing.pop(request_id, None)
            if sub_id is not None:
                # §6.4: the window of a subscription closes with its USB reply.
                self._subs.open.discard(sub_id)
        pending.reply = reply
        pending.reply_line = len(self.received) - 1

    def _check_error_kind(self, pending: Pending, error: ErrorInfo, text: str) -> None:
        # The parser already refuses subtypes a method never carries; this catches a
        # subtype legal for the method of the line but not for the request's.
        kind = error.kind
        if kind not in ALLOWED_ERROR_KINDS.get(pending.method, frozenset({ErrorKind.GENERIC})):
            self._violation(
                f"error subtype E{kind.value} is not allowed in the reply to "
                f"{pending.description} (ARI-PROTOCOL.md §3.10)",
                text,
            )
        elif kind is ErrorKind.RESOURCE_UNAVAILABLE and self.parse_version < V1_9_0:
            self._violation(
                f"error subtype ER requires ARI 1.9, but {self.parse_version} was agreed "
                "(send EA instead)",
                text,
            )

    def _check_success(self, pending: Pending, reply: Reply, text: str) -> None:
        if isinstance(reply, InitReply):
            self._on_init_reply(reply, text)
        elif (
            (isinstance(reply, NotifyNewSessionReply) and reply.time_to_live is not None)
            or (isinstance(reply, NotifyNewTablesReply) and reply.flags is not None)
        ) and self.parse_version < V1_9_0:
            self._violation(
                f"the reply form of {pending.description} requires ARI 1.9, but "
                f"{self.parse_version} was agreed",
                text,
            )

    def _on_init_reply(self, reply: InitReply, text: str) -> None:
        answered = reply.params.get("ARI.version")
        if answered is None:
            version = V1_8_0
            if reply.params:
                self._violation("the init reply has parameters but no ARI.version", text)
            elif self.offered_text is not None:
                self._violation(
                    f"the init reply is V (ARI 1.8.0) but the Proxy offered "
                    f"{self.offered_text}: a 1.8.2+ Proxy needs ARI.version in the reply",
                    text,
                )
        else:
            try:
                version = ProtocolVersion.parse(answered)
            except ValueError:
                self._violation(f"the init reply carries an invalid version {answered!r}", text)
                version = self.offered or LATEST
            else:
                if self.offered_text is None:
                    self._violation(
                        "the init reply carries ARI.version but the simulated 1.8.0 "
                        "Proxy offered none: it expects a bare V",
                        text,
                    )
                elif self.offered is not None and version > self.offered:
                    self._violation(
                        f"the adapter answered version {answered}, higher than the "
                        f"{self.offered_text} offered (ARI-PROTOCOL.md §4.3)",
                        text,
                    )
                elif version < V1_8_2:
                    self._violation(f"the adapter answered unsupported version {answered}", text)
        self.version = version

    def _on_notification(self, message: RemoteMessage, text: str) -> None:
        if isinstance(message, MetadataFailure):
            if self.data:  # pragma: no cover - _fix_failure converts it
                return
            if self.version is None or self.version < V1_9_0:
                self._violation(
                    "Metadata FAL requires ARI 1.9 and a completed init (ARI-PROTOCOL.md §5.5)",
                    text,
                )
            self.mailbox.append(message)
            return
        if not self.data:
            self._violation(
                f"{type(message).__name__} is a Data Adapter notification, received on a "
                "Metadata connection",
                text,
            )
            return
        if isinstance(message, DataFailure):
            self.mailbox.append(message)
            return
        assert isinstance(message, _ItemNotification)
        if self.version is None:
            self._violation(
                f"{type(message).__name__} for item {message.item!r} before the init reply",
                text,
            )
        elif isinstance(message, DeclareFieldDiffOrder) and self.version < V1_9_0:
            self._violation(f"DFD requires ARI 1.9, but {self.version} was agreed", text)
        if self._strict:
            self._check_window(message, text)
        self._update_state(message)
        self.mailbox.append(message)

    def _check_window(self, message: _ItemNotification, text: str) -> None:
        sub_id = message.subscription_id
        item = self._subs.items.get(sub_id)
        kind = type(message).__name__
        if item is None:
            self._violation(
                f"{kind} for item {message.item!r} carries subscription id {sub_id!r}, "
                "which is not the id of a SUB request (ARI-PROTOCOL.md §6.4)",
                text,
            )
        elif item != message.item:
            self._violation(
                f"{kind} for item {message.item!r} carries the id {sub_id!r} of the SUB "
                f"of item {item!r}",
                text,
            )
        elif sub_id not in self._subs.open:
            self._violation(
                f"{kind} for item {message.item!r} after the reply to its unsubscription "
                "(ARI-PROTOCOL.md §6.4)",
                text,
            )

    def _update_state(self, message: _ItemNotification) -> None:
        if isinstance(message, DeclareFieldDiffOrder):
            return
        state = self.item_states.get(message.item)
        if state is None or state[0] != message.subscription_id:
            state = (message.subscription_id, {})
            self.item_states[message.item] = state
        values = state[1]
        if isinstance(message, Update):
            values.update(message.values)
        elif isinstance(message, ClearSnapshot):
            for name in values:
                values[name] = None

    def _on_force(
        self, message: ForceSessionTermination | ForceUnsubscription, text: str
    ) -> Callable[[], None] | None:
        name = "FST" if isinstance(message, ForceSessionTermination) else "FUS"
        if self.data:
            self._violation(f"{name} is a Metadata request, received on a Data connection", text)
            return None
        if self.version is None or self.version < V1_9_0:
            self._violation(
                f"{name} requires ARI 1.9 and a completed init (ARI-PROTOCOL.md §6.8); "
                "the adapter must fail it locally",
                text,
            )
            return None
        if message.request_id in ("0", "1", "2"):
            self._violation(
                f"{name} uses the reserved request id {message.request_id!r} "
                "(ARI-PROTOCOL.md §2.5)",
                text,
            )
        self.force_requests.append(message)
        self.mailbox.append(message)
        handler = self._force_handler
        if handler is None:
            return None

        def answer() -> None:
            reply = handler(message)
            if reply is not None:
                try:
                    self.send_message(reply)
                except (OSError, ConnectionError) as exc:
                    self._logger.warning("could not answer %s: %s", name, exc)

        return answer

    def _violation(self, message: str, line: str | None) -> None:
        """Record a protocol violation (caller holds the lock)."""
        error = SimulatorError(
            message if line is None else f"{message}: {_shorten(line)!r}", line=line
        )
        self._logger.warning("protocol violation: %s", error)
        self.violations.append(error)


def error_reply_for(exc: BaseException) -> ErrorInfo:
    """The generic error the simulated Proxy sends when a callback raised ``exc``."""
    try:
        text = str(exc) or type(exc).__name__
    except Exception:
        text = type(exc).__name__
    return ErrorInfo(ErrorKind.GENERIC, text)
