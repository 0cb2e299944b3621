"""The exceptions of the Proxy Adapter simulator."""

from __future__ import annotations

from ..protocol.messages import ErrorInfo, ErrorKind, Method

__all__ = ["AdapterError", "CredentialsRefusedError", "SimulatorError"]

# The wire form of each error subtype, for messages (ARI-PROTOCOL.md §3.10).
_KIND_LABELS = {
    ErrorKind.GENERIC: "generic error (E)",
    ErrorKind.DATA: "Data Adapter error (ED)",
    ErrorKind.SUBSCRIPTION: "subscription error (EU)",
    ErrorKind.FAILURE: "failure (EF)",
    ErrorKind.METADATA: "Metadata Adapter error (EM)",
    ErrorKind.ACCESS: "access error (EA)",
    ErrorKind.RESOURCE_UNAVAILABLE: "resource unavailable error (ER)",
    ErrorKind.CREDITS: "credits error (EC)",
    ErrorKind.CONFLICTING_SESSION: "conflicting session error (EX)",
    ErrorKind.ITEMS: "items error (EI)",
    ErrorKind.SCHEMA: "schema error (ES)",
    ErrorKind.NOTIFICATION: "notification error (EN)",
}


class AdapterError(Exception):
    """The adapter answered a request with an error reply.

    Raised by the blocking request methods of the simulators (``subscribe``,
    ``notify_user``, ``init``, ...). Also raise it from
    :attr:`MetadataProxySimulator.on_force_session_termination` or
    :attr:`~MetadataProxySimulator.on_force_unsubscription` to make the simulated
    Proxy refuse a request of the adapter.

    Args:
        error: The decoded error, or just a message (a generic error).
        request_id: The id of the request that was refused, when known.
        method: The method of the request that was refused, when known.

    Example:
        >>> from lightstreamer_adapter.testing import AdapterError
        >>> err = AdapterError("no such session")
        >>> err.kind.name, err.message
        ('GENERIC', 'no such session')
    """

    def __init__(
        self,
        error: ErrorInfo | str | None,
        *,
        request_id: str | None = None,
        method: Method | None = None,
    ) -> None:
        if not isinstance(error, ErrorInfo):
            error = ErrorInfo(ErrorKind.GENERIC, error)
        self.error = error
        self.request_id = request_id
        self.method = method
        super().__init__(self._describe())

    def _describe(self) -> str:
        label = _KIND_LABELS.get(self.error.kind, self.error.kind.name)
        text = f"{label}: {self.error.message!r}"
        if self.error.kind in (ErrorKind.CREDITS, ErrorKind.CONFLICTING_SESSION):
            text += (
                f" (client code {self.error.client_code},"
                f" client message {self.error.client_message!r}"
            )
            if self.error.kind is ErrorKind.CONFLICTING_SESSION:
                text += f", conflicting session {self.error.conflicting_session_id!r}"
            text += ")"
        if self.method is not None:
            request = f"{self.method.value} request"
            if self.request_id is not None:
                request += f" {self.request_id!r}"
            text = f"the adapter refused the {request} with a {text}"
        return text

    @property
    def kind(self) -> ErrorKind:
        """The error subtype (``ErrorKind.GENERIC`` for a bare ``E``)."""
        return self.error.kind

    @property
    def message(self) -> str | None:
        """The error message sent by the adapter (``None`` when it sent none)."""
        return self.error.message

    @property
    def client_code(self) -> int | None:
        """The client error code of a credits or conflicting-session error."""
        return self.error.client_code

    @property
    def client_message(self) -> str | None:
        """The client message of a credits or conflicting-session error."""
        return self.error.client_message

    @property
    def conflicting_session_id(self) -> str | None:
        """The session id carried by a conflicting-session error."""
        return self.error.conflicting_session_id


class SimulatorError(Exception):
    """The adapter broke the protocol, as detected by the simulated Proxy.

    Examples: a first line other than ``RAC``, a malformed line, a reply to an unknown
    request id or with the wrong method, an error subtype not allowed for the method,
    an update for an item that is not subscribed. The simulator records every
    violation (see :attr:`ProxySimulator.violations`) and raises it from the next
    blocking call, from :meth:`ProxySimulator.check`, or when the simulator is closed
    by a ``with`` block that ended without an exception.

    Attributes:
        line: The offending line as received (without terminator), when there is one.
    """

    def __init__(self, message: str, *, line: str | None = None) -> None:
        super().__init__(message)
        self.line = line


class CredentialsRefusedError(Exception):
    """The adapter's ``RAC`` credentials did not match the simulator's.

    The simulator did what a Proxy Adapter configured with ``auth=Y`` does: it sent
    ``0|CLOSE|S|reason|S|wrong+credentials`` (when the adapter asked for close packets)
    and closed the connection. Raised by :meth:`ProxySimulator.accept`.

    Attributes:
        user: The user the adapter sent (``None`` if it sent none).
        password: The password the adapter sent (``None`` if it sent none).
    """

    def __init__(self, user: str | None, password: str | None) -> None:
        super().__init__(
            f"the adapter sent wrong remote credentials (user {user!r}): the simulated "
            "Proxy closed the connection; set remote_user/remote_password on the server "
            "to one of the pairs given to the simulator's credentials option"
        )
        self.user = user
        self.password = password
