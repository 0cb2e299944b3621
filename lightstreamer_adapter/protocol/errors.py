"""The exception tree of the protocol core.

::

    Exception
    └── RemotingException                 kept from 1.3.1; what the exception handler gets
        ├── ProtocolError                 an ARI protocol violation
        │   ├── RemoteProtocolError       the Proxy sent something we cannot accept
        │   │   └── UnknownMethodError    ... a well-formed line with a method we do not know
        │   └── LocalProtocolError        we were asked to send something ARI cannot carry
        └── CloseRequestedError           the Proxy sent CLOSE (ARI-PROTOCOL.md §5.3)

:class:`RemoteProtocolError` carries the request id and the method of the offending line
when they could be read, so that the servers can still answer the request with an error
reply (ARI-PROTOCOL.md §6.9) instead of leaving the Proxy waiting for its timeout.
"""

from __future__ import annotations

__all__ = [
    "CloseRequestedError",
    "LocalProtocolError",
    "ProtocolError",
    "RemoteProtocolError",
    "RemotingException",
    "UnknownMethodError",
]


class RemotingException(Exception):
    """Base class of the errors of the remote adapter protocol (name kept from 1.3.1)."""


class ProtocolError(RemotingException):
    """An ARI protocol violation, by either side."""


class RemoteProtocolError(ProtocolError):
    """The Proxy sent a line that cannot be accepted.

    Attributes:
        request_id: The id of the offending request, when it could be read.
        method: The method of the offending request, when it could be read.
        line: The offending line (possibly shortened), when known.
    """

    def __init__(
        self,
        message: str,
        *,
        request_id: str | None = None,
        method: str | None = None,
        line: str | None = None,
    ) -> None:
        super().__init__(message)
        self.request_id = request_id
        self.method = method
        self.line = line

    def with_context(
        self, *, request_id: str | None, method: str | None, line: str | None
    ) -> RemoteProtocolError:
        """Return this error with the request id, method and line filled in where missing."""
        if self.request_id is None:
            self.request_id = request_id
        if self.method is None:
            self.method = method
        if self.line is None:
            self.line = line
        return self

    def __str__(self) -> str:
        text = super().__str__()
        where = []
        if self.method is not None:
            where.append(f"method {self.method}")
        if self.request_id is not None:
            where.append(f"request id {self.request_id}")
        if where:
            text = f"{text} ({', '.join(where)})"
        if self.line is not None:
            shown = self.line if len(self.line) <= 200 else self.line[:200] + "..."
            text = f"{text}: {shown!r}"
        return text


class UnknownMethodError(RemoteProtocolError):
    """A well-formed line whose method this side does not know; it gets no reply."""


class LocalProtocolError(ProtocolError, ValueError):
    """A value or message that ARI cannot carry (e.g. a NaN double, DFD on ARI 1.8)."""


class CloseRequestedError(RemotingException):
    """The Proxy closed the connection with a CLOSE packet.

    Attributes:
        reason: The reason the Proxy gave, or ``None``.
    """

    def __init__(self, reason: str | None) -> None:
        super().__init__(f"Close requested by the counterpart with reason: {reason}")
        self.reason = reason
