"""Turn an exception raised by adapter code into the error reply of a request (§3.10).

The mapping goes by :func:`isinstance`, most specific class first, so a subclass of
:class:`~lightstreamer_adapter.interfaces.metadata.AccessError` written by a user is
still an access error on the wire (1.3.1 matched exact class names: bug B8). Only the
subtypes that ARI-PROTOCOL.md §3.10 allows for the method are used; anything else is a
generic ``E``.
"""

from __future__ import annotations

from ..interfaces.data import DataProviderError, FailureError, SubscribeError
from ..interfaces.metadata import (
    AccessError,
    ConflictingSessionError,
    CreditsError,
    ItemsError,
    MetadataProviderError,
    NotificationError,
    ResourceUnavailableError,
    SchemaError,
)
from .messages import ErrorInfo, ErrorKind, Method
from .versions import ProtocolVersion

__all__ = ["describe_exception", "error_for_exception"]

_M = Method
_CREDITS_METHODS = frozenset({_M.NUS, _M.NUA, _M.NUM, _M.NNS, _M.NNT, _M.MDA, _M.MSA, _M.MDC})
_NOTIFICATION_METHODS = frozenset({_M.NUM, _M.NNS, _M.NSC, _M.NNT, _M.NTC, _M.MDA, _M.MSA, _M.MDC})

# (exception class, error kind, methods that may carry it), most specific first: the first
# row whose class matches and whose method set contains the request's method wins.
_RULES: tuple[tuple[type[BaseException], ErrorKind, frozenset[Method]], ...] = (
    (DataProviderError, ErrorKind.DATA, frozenset({_M.DPI})),
    (SubscribeError, ErrorKind.SUBSCRIPTION, frozenset({_M.SUB, _M.USB})),
    (FailureError, ErrorKind.FAILURE, frozenset({_M.SUB, _M.USB})),
    (MetadataProviderError, ErrorKind.METADATA, frozenset({_M.MPI})),
    (ResourceUnavailableError, ErrorKind.RESOURCE_UNAVAILABLE, frozenset({_M.NUS, _M.NUA})),
    (AccessError, ErrorKind.ACCESS, frozenset({_M.NUS, _M.NUA})),
    (ConflictingSessionError, ErrorKind.CONFLICTING_SESSION, frozenset({_M.NNS})),
    (CreditsError, ErrorKind.CREDITS, _CREDITS_METHODS),
    (ItemsError, ErrorKind.ITEMS, frozenset({_M.GIS, _M.GSC})),
    (SchemaError, ErrorKind.SCHEMA, frozenset({_M.GSC})),
    (NotificationError, ErrorKind.NOTIFICATION, _NOTIFICATION_METHODS),
)


def describe_exception(exc: BaseException) -> str:
    """Return ``str(exc)``, or the class name when that is empty or raises.

    A user exception whose ``__str__`` raises must not stop the reply from being sent
    (1.3.1 wedged the item in that case: bug B14).
    """
    try:
        text = str(exc)
    except Exception:
        text = ""
    return text or type(exc).__name__


def _client_code(exc: CreditsError) -> int:
    try:
        return int(exc.client_error_code)
    except (TypeError, ValueError, OverflowError):
        return 0


def _optional_text(value: object) -> str | None:
    if value is None:
        return None
    try:
        return str(value)
    except Exception:
        return None


def error_for_exception(exc: BaseException, method: Method, version: ProtocolVersion) -> ErrorInfo:
    """Return the error reply content for ``exc`` raised while handling ``method``.

    Never raises. ``ResourceUnavailableError`` becomes an access error (``EA``) on
    ARI 1.8, which lacks ``ER``.
    """
    message = describe_exception(exc)
    for cls, kind, methods in _RULES:
        if method not in methods or not isinstance(exc, cls):
            continue
        if kind is ErrorKind.RESOURCE_UNAVAILABLE and not version.smart_encoding:
            kind = ErrorKind.ACCESS
        if kind is ErrorKind.CONFLICTING_SESSION:
            assert isinstance(exc, ConflictingSessionError)
            return ErrorInfo(
                kind,
                message,
                client_code=_client_code(exc),
                client_message=_optional_text(exc.client_user_msg),
                conflicting_session_id=_optional_text(exc.conflicting_session_id),
            )
        if kind is ErrorKind.CREDITS:
            assert isinstance(exc, CreditsError)
            return ErrorInfo(
                kind,
                message,
                client_code=_client_code(exc),
                client_message=_optional_text(exc.client_user_msg),
            )
        return ErrorInfo(kind, message)
    return ErrorInfo(ErrorKind.GENERIC, message)
