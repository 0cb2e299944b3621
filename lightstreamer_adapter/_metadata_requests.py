"""Metadata requests to adapter calls and back to replies, without any I/O.

:func:`handle_request` takes a parsed Metadata request (``NUS`` ... ``MDC``, not the
init request), calls the :class:`MetadataProvider` methods in the documented order
(ARI-PROTOCOL.md §5.14-§5.27) and returns the reply message. It never raises for
anything the adapter does: an exception becomes the error reply allowed for the
method (§3.10, by ``isinstance``: bug B8), and a return value that cannot be sent
becomes a generic error reply and an ERROR log line naming the adapter method (1.3.1
sent nothing at all: bugs B2, B13).

Accepted return values (everything else is an error reply):

* floats (bandwidth, frequencies): any real number (or ``Decimal``) but ``bool``,
  finite;
* integers (buffer size, snapshot length, time-to-live): any integral number but
  ``bool``, or a float with an integral value, within 32 bits;
* wire booleans (``wants_tables_notification``, ``enable_table_unsubscription``,
  ``wants_final_table_statistics``): ``bool``, or an integer ``0``/``1``;
* mode checks (``ismode_allowed``, ``mode_may_be_allowed``): any object, by its truth
  value, as in 1.3.1;
* names (``get_items``, ``get_schema``): an iterable of ``str``/``None`` other than a
  string itself; ``None`` counts as empty.

:func:`ordering_key` tells which requests belong to a session and must therefore reach
the adapter in arrival order (§6.7).

:class:`PlainLanes` serves the four frequent requests (``NUS``, ``GIS``, ``GSC``,
``GIT``) from the tokens of a plain line, with the same adapter calls, checks and replies
as :func:`handle_request` but without the typed messages: the two share the functions
that call the adapter (``_user_limits``, ``_items``, ``_schema``, ``_item_data``) and
:func:`_error_reply`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from numbers import Integral, Real
from typing import Any

from .interfaces.metadata import MetadataError, MetadataProvider, Mode, TableInfo
from .protocol.encode import (
    encode_item_data_reply,
    encode_names_reply,
    encode_notify_user_reply,
    encode_remote_message,
)
from .protocol.error_mapping import describe_exception, error_for_exception
from .protocol.fields import EMPTY, NULL
from .protocol.messages import (
    ErrorInfo,
    ErrorKind,
    ErrorReply,
    GetItemDataReply,
    GetItemDataRequest,
    GetItemsReply,
    GetItemsRequest,
    GetSchemaReply,
    GetSchemaRequest,
    GetUserItemDataReply,
    GetUserItemDataRequest,
    ItemData,
    Method,
    MpnDeviceAccessRequest,
    MpnDeviceTokenChangeRequest,
    MpnSubscriptionActivationRequest,
    NotifyNewSessionReply,
    NotifyNewSessionRequest,
    NotifyNewTablesReply,
    NotifyNewTablesRequest,
    NotifySessionCloseRequest,
    NotifyTablesCloseRequest,
    NotifyUserMessageRequest,
    NotifyUserReply,
    NotifyUserRequest,
    NotifyUserWithPrincipalRequest,
    RemoteMessage,
    Request,
    VoidReply,
    _fast_new,
)
from .protocol.parse import plain_pairs, plain_values
from .protocol.versions import ProtocolVersion

__all__ = [
    "METADATA_REQUEST_TYPES",
    "MetadataRequest",
    "PlainLanes",
    "PlainRequest",
    "UnusableReturnValue",
    "handle_request",
    "ordering_key",
]

_LOG = logging.getLogger("lightstreamer-adapter.server.MetaDataProviderServer")

_INT_MIN = -(1 << 31)
_INT_MAX = (1 << 31) - 1

MetadataRequest = (
    NotifyUserRequest
    | NotifyUserWithPrincipalRequest
    | GetItemsRequest
    | GetSchemaRequest
    | GetItemDataRequest
    | GetUserItemDataRequest
    | NotifyUserMessageRequest
    | NotifyNewSessionRequest
    | NotifySessionCloseRequest
    | NotifyNewTablesRequest
    | NotifyTablesCloseRequest
    | MpnDeviceAccessRequest
    | MpnSubscriptionActivationRequest
    | MpnDeviceTokenChangeRequest
)

#: The request classes :func:`handle_request` accepts (everything but the init request).
METADATA_REQUEST_TYPES: tuple[type[Request], ...] = (
    NotifyUserRequest,
    NotifyUserWithPrincipalRequest,
    GetItemsRequest,
    GetSchemaRequest,
    GetItemDataRequest,
    GetUserItemDataRequest,
    NotifyUserMessageRequest,
    NotifyNewSessionRequest,
    NotifySessionCloseRequest,
    NotifyNewTablesRequest,
    NotifyTablesCloseRequest,
    MpnDeviceAccessRequest,
    MpnSubscriptionActivationRequest,
    MpnDeviceTokenChangeRequest,
)

_SESSION_REQUEST_TYPES = (
    NotifyNewSessionRequest,
    NotifySessionCloseRequest,
    NotifyNewTablesRequest,
    NotifyTablesCloseRequest,
    NotifyUserMessageRequest,
    GetItemsRequest,
    GetSchemaRequest,
    MpnDeviceAccessRequest,
    MpnSubscriptionActivationRequest,
    MpnDeviceTokenChangeRequest,
)


class UnusableReturnValue(Exception):
    """An adapter method returned a value that cannot be sent to the Proxy.

    Attributes:
        adapter_method: The name of the :class:`MetadataProvider` method.
        value: What it returned.
    """

    def __init__(self, adapter_method: str, value: object, expected: str) -> None:
        self.adapter_method = adapter_method
        self.value = value
        try:
            shown = repr(value)
        except Exception:
            shown = f"<{type(value).__name__} object>"
        if len(shown) > 100:
            shown = shown[:100] + "..."
        super().__init__(
            f"{adapter_method}() returned {shown} ({type(value).__name__}); expected {expected}"
        )


def ordering_key(request: Request) -> str | None:
    """Return the session a request belongs to, or ``None`` for a session-less request.

    Requests with the same key must reach the adapter one at a time, in arrival order
    (``NNS`` before the ``NNT``, ``NTC`` and ``NSC`` of the session); the others
    (``NUS``, ``NUA``, ``GIT``, ``GUI``, and requests with a null session id) may run
    in parallel with anything.
    """
    if isinstance(request, _SESSION_REQUEST_TYPES):
        return request.session_id
    return None


# ---------------------------------------------------------------------------------------
# Return value coercion


# Iterating the Mode enum runs Python code on every request; a tuple does not.
_MODES = tuple(Mode)
_R, _M, _D, _C = _MODES

# Replies are built with messages._fast_new: the frozen dataclass __init__ costs more
# than the rest of a simple handler (timeit).
_new_notify_user_reply = _fast_new(NotifyUserReply)
_new_get_items_reply = _fast_new(GetItemsReply)
_new_get_schema_reply = _fast_new(GetSchemaReply)
_new_item_data = _fast_new(ItemData)
_new_get_item_data_reply = _fast_new(GetItemDataReply)
_new_get_user_item_data_reply = _fast_new(GetUserItemDataReply)
_new_void_reply = _fast_new(VoidReply)


def _as_float(adapter_method: str, value: object) -> float:
    # The exact-type test first: the ABC check below is slow and the common case is float.
    if type(value) is float and math.isfinite(value):
        return value
    # bool is an int, but True kbit/s is a bug, not a bandwidth.
    if not isinstance(value, bool) and isinstance(value, (Real, Decimal)):
        result = float(value)
        if math.isfinite(result):
            return result
    raise UnusableReturnValue(adapter_method, value, "a finite float (int accepted)")


def _as_int(adapter_method: str, value: object) -> int:
    if type(value) is int and _INT_MIN <= value <= _INT_MAX:
        return value
    result: int | None = None
    if isinstance(value, bool):
        result = None
    elif isinstance(value, Integral) or (isinstance(value, float) and value.is_integer()):
        result = int(value)
    if result is not None and _INT_MIN <= result <= _INT_MAX:
        return result
    raise UnusableReturnValue(adapter_method, value, "a 32-bit int")


def _as_wire_bool(adapter_method: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, Integral) and int(value) in (0, 1):
        return bool(value)
    raise UnusableReturnValue(adapter_method, value, "a bool")


def _as_names(adapter_method: str, value: object) -> tuple[str | None, ...] | None:
    """The names of a GIS/GSC reply; ``None`` means "none" (the caller warns)."""
    if type(value) is list or type(value) is tuple:
        # The usual result, e.g. group.split(" "): the Iterable ABC check and a loop over
        # the names cost more than building the reply. str.join accepts exactly the
        # str instances (subclasses included); anything else, None too, goes the long way.
        names = tuple(value)
        try:
            "".join(names)
        except TypeError:
            pass
        else:
            return names
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise UnusableReturnValue(adapter_method, value, "a list of str")
    names = tuple(value)
    for name in names:
        if name is not None and not isinstance(name, str):
            raise UnusableReturnValue(
                adapter_method, value, f"a list of str, not containing {name!r}"
            )
    return names


def _time_to_live(value: object) -> int | None:
    if value is None:
        return None
    ttl = _as_int("get_session_time_to_live", value)
    return ttl if ttl > 0 else None


# ---------------------------------------------------------------------------------------
# Handlers: one per request class. Each may raise anything; handle_request maps it.

_Handler = Callable[[MetadataProvider, Any, ProtocolVersion], RemoteMessage]
_Names = tuple[str | None, ...]


def _notify_user(
    adapter: MetadataProvider,
    request: NotifyUserRequest | NotifyUserWithPrincipalRequest,
    version: ProtocolVersion,
) -> RemoteMessage:
    headers: Any = dict(request.headers)
    if isinstance(request, NotifyUserWithPrincipalRequest):
        adapter.notify_user_with_principal(
            request.user, request.password, headers, request.client_principal
        )
    else:
        adapter.notify_user(request.user, request.password, headers)
    bandwidth, wants_tables = _user_limits(adapter, request.user)
    return _new_notify_user_reply(request.request_id, request.METHOD, bandwidth, wants_tables)


def _user_limits(adapter: MetadataProvider, user: Any) -> tuple[float, bool]:
    """The rest of NUS and NUA, once the user is accepted: bandwidth, tables flag."""
    bandwidth = _as_float("get_allowed_max_bandwidth", adapter.get_allowed_max_bandwidth(user))
    wants_tables = _as_wire_bool(
        "wants_tables_notification", adapter.wants_tables_notification(user)
    )
    return bandwidth, wants_tables


def _get_items(
    adapter: MetadataProvider, request: GetItemsRequest, version: ProtocolVersion
) -> RemoteMessage:
    items = _items(adapter, request.user, request.group, request.session_id)
    return _new_get_items_reply(request.request_id, items)


def _items(adapter: MetadataProvider, user: Any, group: Any, session_id: Any) -> _Names:
    # ARI order is user, group, session; the adapter's is user, session, group (§5.16).
    items = _as_names("get_items", adapter.get_items(user, session_id, group))
    if not items:
        _LOG.warning("None or empty field list from get_items for group '%s'", group)
    return items or ()


def _get_schema(
    adapter: MetadataProvider, request: GetSchemaRequest, version: ProtocolVersion
) -> RemoteMessage:
    fields = _schema(adapter, request.user, request.group, request.schema, request.session_id)
    return _new_get_schema_reply(request.request_id, fields)


def _schema(
    adapter: MetadataProvider, user: Any, group: Any, schema: Any, session_id: Any
) -> _Names:
    fields = _as_names("get_schema", adapter.get_schema(user, session_id, group, schema))
    if not fields:
        _LOG.warning(
            "None or empty field list from get_schema for schema '%s' in group '%s'",
            schema,
            group,
        )
    return fields or ()


def _get_item_data(
    adapter: MetadataProvider, request: GetItemDataRequest, version: ProtocolVersion
) -> RemoteMessage:
    data = tuple([_new_item_data(*_item_data(adapter, item)) for item in request.items])
    return _new_get_item_data_reply(request.request_id, data)


def _item_data(adapter: MetadataProvider, item: Any) -> tuple[int, float, tuple[Mode, ...]]:
    # Call order per item: modes R, M, D, C, then length, then frequency (§5.18).
    allowed = adapter.mode_may_be_allowed
    flags = (allowed(item, _R), allowed(item, _M), allowed(item, _D), allowed(item, _C))
    if all(flags):
        modes = _MODES  # the usual answer, without building a tuple
    else:
        modes = tuple([mode for mode, flag in zip(_MODES, flags, strict=True) if flag])
    length = _as_int("get_distinct_snapshot_length", adapter.get_distinct_snapshot_length(item))
    frequency = _as_float("get_min_source_frequency", adapter.get_min_source_frequency(item))
    return length, frequency, modes


def _get_user_item_data(
    adapter: MetadataProvider, request: GetUserItemDataRequest, version: ProtocolVersion
) -> RemoteMessage:
    data = []
    user = request.user
    for item in request.items:
        name: Any = item
        modes = tuple([mode for mode in _MODES if adapter.ismode_allowed(user, name, mode)])
        size = _as_int("get_allowed_buffer_size", adapter.get_allowed_buffer_size(user, name))
        frequency = _as_float(
            "get_allowed_max_item_frequency", adapter.get_allowed_max_item_frequency(user, name)
        )
        data.append(_new_item_data(size, frequency, modes))
    return _new_get_user_item_data_reply(request.request_id, tuple(data))


def _notify_user_message(
    adapter: MetadataProvider, request: NotifyUserMessageRequest, version: ProtocolVersion
) -> RemoteMessage:
    session_id: Any = request.session_id
    message: Any = request.message
    adapter.notify_user_message(request.user, session_id, message)
    return _new_void_reply(request.request_id, request.METHOD)


def _notify_new_session(
    adapter: MetadataProvider, request: NotifyNewSessionRequest, version: ProtocolVersion
) -> RemoteMessage:
    session_id: Any = request.session_id
    adapter.notify_new_session(request.user, session_id, dict(request.context))
    ttl = None
    if version.smart_encoding:  # the I|<ttl> form exists since ARI 1.9.0 (§5.21)
        ttl = _time_to_live(adapter.get_session_time_to_live(request.user, session_id))
    return NotifyNewSessionReply(request.request_id, ttl)


def _notify_session_close(
    adapter: MetadataProvider, request: NotifySessionCloseRequest, version: ProtocolVersion
) -> RemoteMessage:
    session_id: Any = request.session_id
    adapter.notify_session_close(session_id)
    return _new_void_reply(request.request_id, request.METHOD)


def _notify_new_tables(
    adapter: MetadataProvider, request: NotifyNewTablesRequest, version: ProtocolVersion
) -> RemoteMessage:
    session_id: Any = request.session_id
    tables: list[TableInfo] = list(request.tables)
    adapter.notify_new_tables(request.user, session_id, tables)
    if not version.smart_encoding:  # the B|B form exists since ARI 1.9.0 (§5.23)
        return NotifyNewTablesReply(request.request_id)
    # Forced unsubscription is keyed by win index, so only a lone table can offer it.
    unsubscription = False
    if len(tables) == 1:
        unsubscription = _as_wire_bool(
            "enable_table_unsubscription", adapter.enable_table_unsubscription(session_id, tables)
        )
    statistics = _as_wire_bool(
        "wants_final_table_statistics", adapter.wants_final_table_statistics(session_id, tables)
    )
    flags = (unsubscription, statistics) if unsubscription or statistics else None
    return NotifyNewTablesReply(request.request_id, flags)


def _notify_tables_close(
    adapter: MetadataProvider, request: NotifyTablesCloseRequest, version: ProtocolVersion
) -> RemoteMessage:
    session_id: Any = request.session_id
    adapter.notify_tables_close(session_id, list(request.tables))
    return _new_void_reply(request.request_id, request.METHOD)


def _mpn_device_access(
    adapter: MetadataProvider, request: MpnDeviceAccessRequest, version: ProtocolVersion
) -> RemoteMessage:
    session_id: Any = request.session_id
    adapter.notify_mpn_device_access(request.user, session_id, request.device)
    return _new_void_reply(request.request_id, request.METHOD)


def _mpn_subscription_activation(
    adapter: MetadataProvider,
    request: MpnSubscriptionActivationRequest,
    version: ProtocolVersion,
) -> RemoteMessage:
    session_id: Any = request.session_id
    adapter.notify_mpn_subscription_activation(
        request.user, session_id, request.table, request.subscription
    )
    return _new_void_reply(request.request_id, request.METHOD)


def _mpn_device_token_change(
    adapter: MetadataProvider, request: MpnDeviceTokenChangeRequest, version: ProtocolVersion
) -> RemoteMessage:
    session_id: Any = request.session_id
    adapter.notify_mpn_device_token_change(
        request.user, session_id, request.device, request.new_device_token
    )
    return _new_void_reply(request.request_id, request.METHOD)


_HANDLERS: dict[type[Request], _Handler] = {
    NotifyUserRequest: _notify_user,
    NotifyUserWithPrincipalRequest: _notify_user,
    GetItemsRequest: _get_items,
    GetSchemaRequest: _get_schema,
    GetItemDataRequest: _get_item_data,
    GetUserItemDataRequest: _get_user_item_data,
    NotifyUserMessageRequest: _notify_user_message,
    NotifyNewSessionRequest: _notify_new_session,
    NotifySessionCloseRequest: _notify_session_close,
    NotifyNewTablesRequest: _notify_new_tables,
    NotifyTablesCloseRequest: _notify_tables_close,
    MpnDeviceAccessRequest: _mpn_device_access,
    MpnSubscriptionActivationRequest: _mpn_subscription_activation,
    MpnDeviceTokenChangeRequest: _mpn_device_token_change,
}


def handle_request(
    adapter: MetadataProvider,
    request: Request,
    version: ProtocolVersion,
    logger: logging.Logger | None = None,
) -> RemoteMessage:
    """Run one Metadata request against the adapter and return its reply.

    Args:
        adapter: The Metadata Adapter.
        request: A parsed request of one of :data:`METADATA_REQUEST_TYPES`.
        version: The negotiated protocol version (decides the 1.9 reply forms).
        logger: Where to log refusals and failures; the Metadata logger by default.

    Returns:
        The success reply, or an :class:`ErrorReply` when the adapter raised or
        returned a value that cannot be sent. Never raises for what the adapter does.

    Raises:
        TypeError: ``request`` is not a Metadata request (a bug of the caller).
    """
    log = logger or _LOG
    handler = _HANDLERS.get(type(request))
    if handler is None:
        raise TypeError(f"not a Metadata request: {request!r}")
    try:
        return handler(adapter, request, version)
    except Exception as err:
        return _error_reply(err, request.request_id, request.METHOD, version, log)


def _error_reply(
    err: Exception,
    request_id: str,
    method: Method,
    version: ProtocolVersion,
    log: logging.Logger,
) -> ErrorReply:
    """The reply to a request whose handling raised ``err``, logged."""
    if isinstance(err, UnusableReturnValue):
        log.error("Cannot answer %s request %s: %s", method.value, request_id, err)
        return ErrorReply(request_id, method, ErrorInfo(ErrorKind.GENERIC, str(err)))
    error = error_for_exception(err, method, version)
    if isinstance(err, MetadataError) and error.kind is not ErrorKind.GENERIC:
        # A refusal the adapter meant (e.g. wrong credentials): not an SDK problem.
        log.debug(
            "%s request %s refused by the adapter: %s",
            method.value,
            request_id,
            describe_exception(err),
        )
    else:
        log.error(
            "%s request %s failed in the Metadata Adapter: %s",
            method.value,
            request_id,
            describe_exception(err),
            exc_info=err,
        )
    return ErrorReply(request_id, method, error)


# ---------------------------------------------------------------------------------------
# Plain lanes: the frequent requests without the typed messages

_NULL_OR_EMPTY = frozenset({NULL, EMPTY})
# Reading an Enum member as a class attribute runs Python code in CPython 3.11 (about
# 70 ns, timeit): the lanes use these module constants.
_NUS, _GIS, _GSC, _GIT = Method.NUS, Method.GIS, Method.GSC, Method.GIT

#: A plain request, from :meth:`PlainLanes.parse`: ``(lane, method, request id, ordering
#: key, args)``; its reply line is ``lane(request_id, *args)``.
PlainRequest = tuple[Callable[..., str], Method, str, "str | None", tuple[Any, ...]]


class PlainLanes:
    """Serves ``NUS``, ``GIS``, ``GSC`` and ``GIT`` straight from the tokens of a plain line.

    The same adapter calls, checks, logs and replies as :func:`handle_request`, without
    the typed request and reply messages and their dispatch: for these short requests
    that is about half of the CPU the SDK spends on each (benchmarks/NOTES.md). The
    tokens come from :meth:`~.protocol.connection.ProtocolConnection.next_message_or_tokens`
    (so the line holds no escape); a line of any other shape is left to the general
    parser, which also words the errors.

    Each lane returns the reply line. An exception of the adapter, or a return value
    that cannot be sent, gives the error reply :func:`handle_request` would give; a lane
    raises only when the reply cannot be encoded (:class:`LocalProtocolError`, which
    ``encode_remote_message`` would raise for the typed reply).

    Args:
        adapter: The Metadata Adapter.
        version: The negotiated version (one with the Smart encoding).
        logger: Where to log refusals and failures; the Metadata logger by default.
    """

    #: The methods served here.
    METHODS = frozenset({"NUS", "GIS", "GSC", "GIT"})

    def __init__(
        self,
        adapter: MetadataProvider,
        version: ProtocolVersion,
        logger: logging.Logger | None = None,
    ) -> None:
        self._adapter = adapter
        self._version = version
        self._log = logger or _LOG

    def parse(self, tokens: list[str]) -> PlainRequest | None:
        """The request in ``tokens``, or ``None`` when the line has another shape (a
        wrong type letter or count of values: the general parser then decides)."""
        # Each branch checks what the general parser checks for the method (§5.14-§5.18).
        # The usual lines, with only S tokens and no null or empty value, are taken
        # apart by position; the others by plain_values.
        method = tokens[1]
        count = len(tokens)
        args: tuple[Any, ...]
        headers: dict[str, str | None] | None
        if _NULL_OR_EMPTY.isdisjoint(tokens):
            if method == "GIS":
                if count == 8 and tokens[2] == tokens[4] == tokens[6] == "S":
                    session_id = tokens[7]
                    args = (tokens[3], tokens[5], session_id)
                    return (self._get_items, _GIS, tokens[0], session_id, args)
                return None
            if method == "GSC":
                if count == 10 and tokens[2] == tokens[4] == tokens[6] == tokens[8] == "S":
                    session_id = tokens[9]
                    args = (tokens[3], tokens[5], tokens[7], session_id)
                    return (self._get_schema, _GSC, tokens[0], session_id, args)
                return None
            # The others are S pairs throughout.
            if count & 1 or tokens[2::2].count("S") != (count >> 1) - 1:
                return None
            if method == "GIT":
                return (self._get_item_data, _GIT, tokens[0], None, (tokens[3::2],))
            if method == "NUS" and count >= 6 and not (count - 6) & 3:
                # User, password, then header names and values; dict() keeps the first
                # position and the last value of a repeated name, as _Args.pairs does.
                if count == 10:
                    headers = {tokens[7]: tokens[9]}
                else:
                    headers = dict(zip(tokens[7::4], tokens[9::4], strict=True))
                args = (tokens[3], tokens[5], headers)
                return (self._notify_user, _NUS, tokens[0], None, args)
            return None
        values = plain_values(tokens)
        if values is None:
            return None
        count = len(values)
        if method == "GIT":
            return (self._get_item_data, _GIT, tokens[0], None, (values,))
        if method == "NUS":
            headers = plain_pairs(values, 2)
            if headers is None:
                return None
            return (self._notify_user, _NUS, tokens[0], None, (*values[:2], headers))
        if method == "GIS":
            if count != 3:
                return None
            return (self._get_items, _GIS, tokens[0], values[2], tuple(values))
        if method == "GSC":
            if count != 4:
                return None
            return (self._get_schema, _GSC, tokens[0], values[3], tuple(values))
        return None

    def _error_line(self, err: Exception, request_id: str, method: Method) -> str:
        reply = _error_reply(err, request_id, method, self._version, self._log)
        return encode_remote_message(reply, self._version)

    def _notify_user(self, request_id: str, user: Any, password: Any, headers: Any) -> str:
        try:
            adapter = self._adapter
            adapter.notify_user(user, password, headers)
            bandwidth, wants_tables = _user_limits(adapter, user)
        except Exception as err:
            return self._error_line(err, request_id, _NUS)
        return encode_notify_user_reply(request_id, _NUS, bandwidth, wants_tables)

    def _get_items(self, request_id: str, user: Any, group: Any, session_id: Any) -> str:
        try:
            items = _items(self._adapter, user, group, session_id)
        except Exception as err:
            return self._error_line(err, request_id, _GIS)
        return encode_names_reply(request_id, "GIS", items, self._version)

    def _get_schema(
        self, request_id: str, user: Any, group: Any, schema: Any, session_id: Any
    ) -> str:
        try:
            fields = _schema(self._adapter, user, group, schema, session_id)
        except Exception as err:
            return self._error_line(err, request_id, _GSC)
        return encode_names_reply(request_id, "GSC", fields, self._version)

    def _get_item_data(self, request_id: str, items: Sequence[Any]) -> str:
        adapter = self._adapter
        try:
            data = [_item_data(adapter, item) for item in items]
        except Exception as err:
            return self._error_line(err, request_id, _GIT)
        return encode_item_data_reply(request_id, "GIT", data)
