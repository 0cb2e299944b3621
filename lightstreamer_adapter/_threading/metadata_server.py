"""The Remote Metadata Adapter server and its control listener (ARI-PROTOCOL.md §5.13-§5.29).

:class:`MetadataProviderServer` is published by :mod:`lightstreamer_adapter.server`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from typing import Any

from ..interfaces.metadata import MetadataControlListener, TableInfo
from ..protocol.error_mapping import describe_exception
from ..protocol.messages import (
    ForceSessionTermination,
    ForceSessionTerminationReply,
    ForceUnsubscription,
    ForceUnsubscriptionReply,
    MetadataFailure,
    Method,
    RemoteMessage,
)
from ..protocol.versions import ProtocolVersion

__all__ = ["ControlRequestError"]

_LOG = logging.getLogger("lightstreamer-adapter.server.MetaDataProviderServer")

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
    until :meth:`activate` is called right after the ``MPI`` reply has been queued, and
    always when the negotiated version is 1.8; once :meth:`connection_closed` has been
    called, pending and new requests fail with :class:`ConnectionError`. Argument errors
    raise at once.

    Futures are marked running when created (they cannot be cancelled: the request is on
    its way) and are completed on the connection's reader thread, which therefore runs
    their callbacks: keep callbacks short.

    Args:
        send: Encodes and queues a message; returns ``False`` when the connection has
            ended and the message was dropped.
        logger: The Metadata logger.
    """

    def __init__(self, send: Callable[[RemoteMessage], bool], logger: logging.Logger) -> None:
        self._send = send
        self._log = logger
        self._lock = threading.Lock()
        self._version: ProtocolVersion | None = None
        self._closed: BaseException | None = None
        self._pending: dict[str, _Pending] = {}
        self._next_id = _FIRST_REQUEST_ID

    # -- driven by the server ----------------------------------------------------------

    def activate(self, version: ProtocolVersion) -> None:
        """Allow requests from now on (call after queueing the ``MPI`` reply)."""
        with self._lock:
            self._version = version

    def connection_closed(self, cause: BaseException | None) -> None:
        """Fail every pending request and refuse new ones (EOF, error, CLOSE, close())."""
        reason = f"the connection to the Proxy Adapter ended ({cause or 'closed locally'})"
        with self._lock:
            if self._closed is None:
                self._closed = ConnectionError(reason)
            pending, self._pending = self._pending, {}
        for method, future in pending.values():
            _fail(future, ConnectionError(f"{method.value} request not answered: {reason}"))

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
        if self._version is None:
            return "the Metadata Adapter is not initialised yet"
        if not self._version.smart_encoding:
            return f"the Proxy Adapter speaks ARI {self._version}, which lacks it (1.9 needed)"
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
