"""Lines to messages: the parsers of both directions (ARI-PROTOCOL.md §2, §3, §5).

:func:`parse_proxy_line` reads what the Proxy Adapter sends (the requests of both
adapter kinds, ``CLOSE``, ``KEEPALIVE`` and the Proxy's replies to ``FST``/``FUS``);
:func:`parse_remote_line` reads what a Remote Adapter sends (``RAC``, replies, data
notifications, ``FST``/``FUS`` requests) and serves the Proxy simulator and the
round-trip tests.

A line is split on ``|`` (both string encodings escape it, §3.3.3) and dispatched on its
method through a dict of parse functions. Parsing is strict: an empty token, fewer than
two tokens, a wrong type letter, a missing or extra token, a bad number or a bad escape
raise :class:`~lightstreamer_adapter.protocol.errors.RemoteProtocolError` carrying the
request id, the method and the line; a well-formed line with a method unknown in that
direction raises :class:`~lightstreamer_adapter.protocol.errors.UnknownMethodError`.

The negotiated version decides the string encoding (§3.4: ``RAC``, ``MPI``, ``DPI``,
their replies and ``CLOSE`` always use the Backward-Compatibility encoding, every other
packet the Smart encoding from ARI 1.9.0) and the layout of table blocks (§3.11).

Choices where the protocol is silent (ARI-PROTOCOL.md marks them [INFERRED]):

* an incoming ``KEEPALIVE`` is returned as :class:`~.messages.Keepalive` (§2.6);
* a table mode ``M|#`` or ``M|$`` is read as mode ``None`` (Appendix C item 14);
* an unknown MPN platform letter is kept as a plain string (§3.8);
* the NTC statistics count is read as given (``0`` gives ``None`` statistics); it is not
  required to equal the number of items (Appendix C item 10);
* ``NNT`` with no table block is accepted, like ``NTC`` (§3.11);
* a name/value list (init parameters, headers, context, ``CLOSE``, ``RAC``) with a null
  name is malformed; a repeated name keeps its first position and its last value;
* the Proxy's ``FST``/``FUS`` error replies may carry any error subtype (the Remote's
  replies are checked against the subtypes §3.10 allows for their method);
* ``DFD``, Metadata ``FAL``, ``FST``/``FUS``, the ``NNS`` TTL, the ``NNT`` flags and the
  ``ER`` subtype are malformed on ARI 1.8, and so is a ``Y`` value on ARI 1.9 (§4.4).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import TypeVar

from ..interfaces.metadata import (
    Mode,
    MpnDeviceInfo,
    MpnPlatformType,
    MpnSubscriptionInfo,
    SubscriptionStatistics,
    TableInfo,
)
from .errors import RemoteProtocolError, UnknownMethodError
from .fields import (
    EMPTY,
    NULL,
    decode_bool,
    decode_bytes_base64,
    decode_diff_algorithms,
    decode_double,
    decode_int,
    decode_long,
    decode_mode,
    decode_modes,
    decode_platform,
    decode_string_bc,
    string_codec,
)
from .messages import (
    ClearSnapshot,
    CloseNotice,
    DataFailure,
    DataInitRequest,
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
    GetItemDataRequest,
    GetItemsReply,
    GetItemsRequest,
    GetSchemaReply,
    GetSchemaRequest,
    GetUserItemDataReply,
    GetUserItemDataRequest,
    InitReply,
    ItemData,
    Keepalive,
    MetadataFailure,
    MetadataInitRequest,
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
    ProxyMessage,
    RemoteCredentials,
    RemoteMessage,
    SubscribeRequest,
    UnsubscribeRequest,
    Update,
    VoidReply,
    _fast_new,
)
from .versions import LATEST, ProtocolVersion

__all__ = [
    "ALLOWED_ERROR_KINDS",
    "parse_proxy_line",
    "parse_proxy_tokens",
    "parse_remote_line",
    "plain_pairs",
    "plain_values",
]

_K = ErrorKind
_M = Method

#: The error subtypes each method's error reply may carry (ARI-PROTOCOL.md §3.10);
#: ``ER`` (:attr:`ErrorKind.RESOURCE_UNAVAILABLE`) only from ARI 1.9.0.
ALLOWED_ERROR_KINDS: dict[Method, frozenset[ErrorKind]] = {
    _M.DPI: frozenset({_K.GENERIC, _K.DATA}),
    _M.SUB: frozenset({_K.GENERIC, _K.SUBSCRIPTION, _K.FAILURE}),
    _M.USB: frozenset({_K.GENERIC, _K.SUBSCRIPTION, _K.FAILURE}),
    _M.MPI: frozenset({_K.GENERIC, _K.METADATA}),
    _M.NUS: frozenset({_K.GENERIC, _K.ACCESS, _K.RESOURCE_UNAVAILABLE, _K.CREDITS}),
    _M.NUA: frozenset({_K.GENERIC, _K.ACCESS, _K.RESOURCE_UNAVAILABLE, _K.CREDITS}),
    _M.GIS: frozenset({_K.GENERIC, _K.ITEMS}),
    _M.GSC: frozenset({_K.GENERIC, _K.ITEMS, _K.SCHEMA}),
    _M.GIT: frozenset({_K.GENERIC}),
    _M.GUI: frozenset({_K.GENERIC}),
    _M.NUM: frozenset({_K.GENERIC, _K.NOTIFICATION, _K.CREDITS}),
    _M.NNS: frozenset({_K.GENERIC, _K.NOTIFICATION, _K.CREDITS, _K.CONFLICTING_SESSION}),
    _M.NSC: frozenset({_K.GENERIC, _K.NOTIFICATION}),
    _M.NNT: frozenset({_K.GENERIC, _K.NOTIFICATION, _K.CREDITS}),
    _M.NTC: frozenset({_K.GENERIC, _K.NOTIFICATION}),
    _M.MDA: frozenset({_K.GENERIC, _K.NOTIFICATION, _K.CREDITS}),
    _M.MSA: frozenset({_K.GENERIC, _K.NOTIFICATION, _K.CREDITS}),
    _M.MDC: frozenset({_K.GENERIC, _K.NOTIFICATION, _K.CREDITS}),
}

_ANY_ERROR_KIND = frozenset(ErrorKind)
_ERROR_KIND_BY_TOKEN = {"E" + kind.value: kind for kind in ErrorKind}

_Decoder = Callable[[str], "str | None"]
_T = TypeVar("_T")


class _Args:
    """A cursor over the argument tokens of one line (the tokens after the method)."""

    __slots__ = ("_end", "_pos", "_tokens", "decode", "version")

    def __init__(self, tokens: list[str], decode: _Decoder, version: ProtocolVersion) -> None:
        self._tokens = tokens
        self._pos = 2
        self._end = len(tokens)
        #: The string decoder of this packet; BC-only packets switch it with use_bc().
        self.decode = decode
        self.version = version

    def use_bc(self) -> None:
        """Decode strings with the Backward-Compatibility encoding (§3.4)."""
        self.decode = decode_string_bc

    def more(self) -> bool:
        """Whether tokens are left."""
        return self._pos < self._end

    def peek(self) -> str | None:
        """The next token, not consumed, or ``None`` at the end of the line."""
        return self._tokens[self._pos] if self._pos < self._end else None

    def finish(self) -> None:
        """Check that every token was consumed."""
        if self._pos < self._end:
            extra = self._end - self._pos
            raise RemoteProtocolError(
                f"{extra} unexpected extra token(s) starting with {self._tokens[self._pos]!r}"
                " (an unescaped '|' in a value?)"
            )

    def raw(self, letter: str, what: str) -> str:
        """Consume ``<letter>|<value>`` and return the value token."""
        pos = self._pos
        if pos >= self._end:
            raise RemoteProtocolError(f"Truncated line: {what} is missing")
        found = self._tokens[pos]
        if found != letter:
            raise RemoteProtocolError(f"Unexpected type {found!r} for {what}: expected {letter!r}")
        if pos + 1 >= self._end:
            raise RemoteProtocolError(f"Truncated line: the value of {what} is missing")
        self._pos = pos + 2
        return self._tokens[pos + 1]

    def untyped(self, what: str) -> str:
        """Consume one token without a type letter (error messages and extras, §3.10)."""
        pos = self._pos
        if pos >= self._end:
            raise RemoteProtocolError(f"Truncated line: {what} is missing")
        self._pos = pos + 1
        return self._tokens[pos]

    def void(self, what: str) -> None:
        """Consume a ``V`` token."""
        pos = self._pos
        if pos >= self._end:
            raise RemoteProtocolError(f"Truncated line: {what} is missing")
        if self._tokens[pos] != "V":
            raise RemoteProtocolError(
                f"Unexpected type {self._tokens[pos]!r} for {what}: expected 'V'"
            )
        self._pos = pos + 1

    # Typed values. Decoder errors are re-raised naming the value, so that the message
    # says which argument of the packet is wrong.

    def string(self, what: str) -> str | None:
        """Consume ``S|<string>``; ``None`` for ``#``."""
        return _decoded(self.decode, self.raw("S", what), what)

    def text(self, what: str) -> str:
        """Consume ``S|<string>`` that must not be null."""
        value = _decoded(self.decode, self.raw("S", what), what)
        if value is None:
            raise RemoteProtocolError(f"{_cap(what)} must not be null ('#')")
        return value

    def integer(self, what: str) -> int:
        """Consume ``I|<32-bit integer>``."""
        return _decoded(decode_int, self.raw("I", what), what)

    def long(self, what: str) -> int:
        """Consume ``L|<64-bit integer>``."""
        return _decoded(decode_long, self.raw("L", what), what)

    def double(self, what: str) -> float:
        """Consume ``D|<double>``."""
        return _decoded(decode_double, self.raw("D", what), what)

    def boolean(self, what: str) -> bool:
        """Consume ``B|<0/1>``."""
        return _decoded(decode_bool, self.raw("B", what), what)

    def mode(self, what: str) -> Mode | None:
        """Consume ``M|<one mode>`` of a table; ``#``/``$`` give ``None`` (§3.6)."""
        return _decoded(decode_mode, self.raw("M", what), what)

    def modes(self, what: str) -> tuple[Mode, ...]:
        """Consume ``M|<allowed modes>``; ``$`` gives ``()``, ``#`` is malformed."""
        value = _decoded(decode_modes, self.raw("M", what), what)
        if value is None:
            raise RemoteProtocolError(f"{_cap(what)} must not be null ('#')")
        return value

    def platform(self, what: str) -> MpnPlatformType | str | None:
        """Consume ``P|<platform>``; unknown letters stay plain strings (§3.8)."""
        return decode_platform(self.raw("P", what))

    def count(self, what: str) -> int:
        """Consume ``I|<n>`` that counts what follows; it must be at least zero."""
        value = self.integer(what)
        if value < 0:
            raise RemoteProtocolError(f"{_cap(what)} is negative: {value}")
        return value

    def pairs(self, what: str) -> dict[str, str | None]:
        """Consume ``S|<name>|S|<value>`` pairs up to the end of the line."""
        result: dict[str, str | None] = {}
        while self._pos < self._end:
            name = self.text(f"the name of a {what}")
            result[name] = self.string(f"the value of {what} {name!r}")
        return result

    def strings(self, what: str) -> tuple[str | None, ...]:
        """Consume ``S|<string>`` tokens up to the end of the line."""
        result: list[str | None] = []
        while self._pos < self._end:
            result.append(self.string(what))
        return tuple(result)

    def error_follows(self) -> bool:
        """Whether the next token is an exception type (``E`` + subtype, §3.10)."""
        return self._pos < self._end and self._tokens[self._pos][:1] == "E"

    def error(self, allowed: Collection[ErrorKind]) -> ErrorInfo:
        """Consume ``E<subtype>|<message>[|extras]`` (§3.10)."""
        token = self.untyped("the exception type")
        kind = _ERROR_KIND_BY_TOKEN.get(token)
        if kind is None:
            raise RemoteProtocolError(f"Unknown exception type {token!r}")
        if kind not in allowed:
            raise RemoteProtocolError(f"Exception type {token!r} is not allowed here")
        if kind is ErrorKind.RESOURCE_UNAVAILABLE and not self.version.smart_encoding:
            raise RemoteProtocolError(
                f"Exception type 'ER' does not exist in ARI {self.version} (use 'EA')"
            )
        message = _decoded(self.decode, self.untyped("the exception message"), "the message")
        if kind is not ErrorKind.CREDITS and kind is not ErrorKind.CONFLICTING_SESSION:
            return ErrorInfo(kind, message)
        code = _decoded(decode_int, self.untyped("the client error code"), "the client code")
        client = _decoded(
            self.decode, self.untyped("the client error message"), "the client message"
        )
        if kind is ErrorKind.CREDITS:
            return ErrorInfo(kind, message, code, client)
        conflicting = _decoded(
            self.decode, self.untyped("the conflicting session id"), "the session id"
        )
        return ErrorInfo(kind, message, code, client, conflicting)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _decoded(decoder: Callable[[str], _T], token: str, what: str) -> _T:
    try:
        return decoder(token)
    except RemoteProtocolError as err:
        raise RemoteProtocolError(f"{_cap(what)}: {err}") from err


def _require_1_9(args: _Args, what: str) -> None:
    if not args.version.smart_encoding:
        raise RemoteProtocolError(f"{what} does not exist in ARI {args.version} (since 1.9.0)")


# --------------------------------------------------------------------------------------
# Table blocks (§3.11)


def _table(args: _Args, kind: str) -> TableInfo:
    """Read one table block; ``kind`` is ``"NNT"``, ``"NTC"`` or ``"MSA"``."""
    win_index = args.integer("the table win index")
    mode = args.mode("the table mode")
    group = args.string("the table group")
    if not args.version.smart_encoding:
        schema = args.string("the table schema")
        first = args.integer("the table min index")
        last = args.integer("the table max index")
        selector = None if kind == "MSA" else args.string("the table selector")
        return TableInfo(win_index, mode, group, schema, first, last, selector)
    data_adapter = args.string("the table data adapter")
    schema = args.string("the table schema")
    first = args.integer("the table min index")
    last = args.integer("the table max index")
    selector = None if kind == "MSA" else args.string("the table selector")
    items = [args.string("a table item") for _ in range(args.count("the table item count"))]
    statistics = None
    if kind == "NTC":
        count = args.count("the table statistics count")
        if count:
            statistics = [
                SubscriptionStatistics(
                    args.long("the real-time updates of an item"),
                    args.long("the lost updates of an item"),
                    args.long("the filtered updates of an item"),
                )
                for _ in range(count)
            ]
    return TableInfo(
        win_index, mode, group, schema, first, last, selector, data_adapter, items, statistics
    )


def _tables(args: _Args, kind: str) -> tuple[TableInfo, ...]:
    tables = []
    while args.more():
        tables.append(_table(args, kind))
    return tuple(tables)


def _device(args: _Args) -> MpnDeviceInfo:
    return MpnDeviceInfo(
        args.platform("the MPN platform"),
        args.string("the MPN application id"),
        args.string("the MPN device token"),
    )


# --------------------------------------------------------------------------------------
# Proxy -> Remote


def _p_close(rid: str, args: _Args) -> ProxyMessage:
    if rid != "0":
        raise RemoteProtocolError(f"CLOSE must have id '0', not {rid!r} (§5.3)")
    args.use_bc()
    return CloseNotice(args.pairs("parameter"))


def _p_data_init(rid: str, args: _Args) -> ProxyMessage:
    args.use_bc()
    return DataInitRequest(rid, args.pairs("parameter"))


def _p_metadata_init(rid: str, args: _Args) -> ProxyMessage:
    args.use_bc()
    return MetadataInitRequest(rid, args.pairs("parameter"))


def _p_subscribe(rid: str, args: _Args) -> ProxyMessage:
    item = args.text("the item name")
    args.finish()
    return SubscribeRequest(rid, item)


def _p_unsubscribe(rid: str, args: _Args) -> ProxyMessage:
    item = args.text("the item name")
    args.finish()
    return UnsubscribeRequest(rid, item)


def _p_notify_user(rid: str, args: _Args) -> ProxyMessage:
    user = args.string("the user")
    password = args.string("the password")
    return NotifyUserRequest(rid, user, password, args.pairs("header"))


def _p_notify_user_auth(rid: str, args: _Args) -> ProxyMessage:
    user = args.string("the user")
    password = args.string("the password")
    principal = args.string("the client principal")
    return NotifyUserWithPrincipalRequest(rid, user, password, principal, args.pairs("header"))


def _p_get_items(rid: str, args: _Args) -> ProxyMessage:
    # Wire order: user, group, session (§5.16).
    user = args.string("the user")
    group = args.string("the group")
    session_id = args.string("the session id")
    args.finish()
    return GetItemsRequest(rid, user, group, session_id)


def _p_get_schema(rid: str, args: _Args) -> ProxyMessage:
    user = args.string("the user")
    group = args.string("the group")
    schema = args.string("the schema")
    session_id = args.string("the session id")
    args.finish()
    return GetSchemaRequest(rid, user, group, schema, session_id)


def _p_get_item_data(rid: str, args: _Args) -> ProxyMessage:
    return GetItemDataRequest(rid, args.strings("an item name"))


def _p_get_user_item_data(rid: str, args: _Args) -> ProxyMessage:
    user = args.string("the user")
    return GetUserItemDataRequest(rid, user, args.strings("an item name"))


def _p_notify_user_message(rid: str, args: _Args) -> ProxyMessage:
    user = args.string("the user")
    session_id = args.string("the session id")
    message = args.string("the message")
    args.finish()
    return NotifyUserMessageRequest(rid, user, session_id, message)


def _p_notify_new_session(rid: str, args: _Args) -> ProxyMessage:
    user = args.string("the user")
    session_id = args.string("the session id")
    return NotifyNewSessionRequest(rid, user, session_id, args.pairs("context property"))


def _p_notify_session_close(rid: str, args: _Args) -> ProxyMessage:
    session_id = args.string("the session id")
    args.finish()
    return NotifySessionCloseRequest(rid, session_id)


def _p_notify_new_tables(rid: str, args: _Args) -> ProxyMessage:
    user = args.string("the user")
    session_id = args.string("the session id")
    return NotifyNewTablesRequest(rid, user, session_id, _tables(args, "NNT"))


def _p_notify_tables_close(rid: str, args: _Args) -> ProxyMessage:
    session_id = args.string("the session id")
    return NotifyTablesCloseRequest(rid, session_id, _tables(args, "NTC"))


def _p_mpn_device_access(rid: str, args: _Args) -> ProxyMessage:
    user = args.string("the user")
    session_id = args.string("the session id")
    device = _device(args)
    args.finish()
    return MpnDeviceAccessRequest(rid, user, session_id, device)


def _p_mpn_subscription_activation(rid: str, args: _Args) -> ProxyMessage:
    user = args.string("the user")
    session_id = args.string("the session id")
    table = _table(args, "MSA")
    device = _device(args)
    trigger = args.string("the MPN trigger")
    notification_format = args.string("the MPN notification format")
    args.finish()
    subscription = MpnSubscriptionInfo(device, notification_format, trigger)
    return MpnSubscriptionActivationRequest(rid, user, session_id, table, subscription)


def _p_mpn_device_token_change(rid: str, args: _Args) -> ProxyMessage:
    user = args.string("the user")
    session_id = args.string("the session id")
    device = _device(args)
    new_token = args.string("the new MPN device token")
    args.finish()
    return MpnDeviceTokenChangeRequest(rid, user, session_id, device, new_token)


def _p_force_session_termination_reply(rid: str, args: _Args) -> ProxyMessage:
    _require_1_9(args, "FST")
    if args.error_follows():
        error = args.error(_ANY_ERROR_KIND)
        args.finish()
        return ForceSessionTerminationReply(rid, error)
    args.void("the FST result")
    args.finish()
    return ForceSessionTerminationReply(rid)


def _p_force_unsubscription_reply(rid: str, args: _Args) -> ProxyMessage:
    _require_1_9(args, "FUS")
    if args.error_follows():
        error = args.error(_ANY_ERROR_KIND)
        args.finish()
        return ForceUnsubscriptionReply(rid, error=error)
    done = args.boolean("the FUS result")
    args.finish()
    return ForceUnsubscriptionReply(rid, done)


_ProxyParser = Callable[[str, _Args], ProxyMessage]

_PROXY_PARSERS: dict[str, _ProxyParser] = {
    "CLOSE": _p_close,
    "DPI": _p_data_init,
    "SUB": _p_subscribe,
    "USB": _p_unsubscribe,
    "MPI": _p_metadata_init,
    "NUS": _p_notify_user,
    "NUA": _p_notify_user_auth,
    "GIS": _p_get_items,
    "GSC": _p_get_schema,
    "GIT": _p_get_item_data,
    "GUI": _p_get_user_item_data,
    "NUM": _p_notify_user_message,
    "NNS": _p_notify_new_session,
    "NSC": _p_notify_session_close,
    "NNT": _p_notify_new_tables,
    "NTC": _p_notify_tables_close,
    "MDA": _p_mpn_device_access,
    "MSA": _p_mpn_subscription_activation,
    "MDC": _p_mpn_device_token_change,
    "FST": _p_force_session_termination_reply,
    "FUS": _p_force_unsubscription_reply,
}


# --------------------------------------------------------------------------------------
# Proxy -> Remote, fast paths (issue 6: the CPU per request)
#
# Most requests carry only ``S|<value>`` arguments, and their values hold no escape: a
# line without "%" (and without "+" in the BC encoding) decodes every value to itself,
# but "#" (null) and "$" (empty), §3.3. For those lines the functions below build the
# message straight from the tokens, without the _Args cursor, the per-value decoder
# calls and the dataclass __init__ (together about half of the parse time, timeit).
# When a line has any other shape they return None and the general parsers above run,
# which also write the error messages; test_parse.py checks that both agree.

_Values = Sequence[str | None]
_FastParser = Callable[[list[str]], ProxyMessage | None]

_plain_value = {NULL: None, EMPTY: ""}.get
_new_subscribe = _fast_new(SubscribeRequest)
_new_unsubscribe = _fast_new(UnsubscribeRequest)
_new_notify_user = _fast_new(NotifyUserRequest)
_new_notify_user_auth = _fast_new(NotifyUserWithPrincipalRequest)
_new_get_items = _fast_new(GetItemsRequest)
_new_get_schema = _fast_new(GetSchemaRequest)
_new_get_item_data = _fast_new(GetItemDataRequest)
_new_get_user_item_data = _fast_new(GetUserItemDataRequest)
_new_notify_user_message = _fast_new(NotifyUserMessageRequest)
_new_notify_session_close = _fast_new(NotifySessionCloseRequest)


def plain_values(tokens: list[str]) -> _Values | None:
    """The values of a plain line ``<id>|<method>|S|<value>|...``; ``None`` for another shape.

    A *plain* line has no empty token and no escape (no ``%``; at a version with the
    Backward-Compatibility encoding, no ``+`` either), so that each value decodes to
    itself but ``#`` (``None``) and ``$`` (the empty string). Only call it for such a
    line: :meth:`~.connection.ProtocolConnection.next_message_or_tokens` returns the
    tokens of exactly those.
    """
    types = tokens[2::2]
    if len(tokens) & 1 or types.count("S") != len(types):
        return None
    values = tokens[3::2]
    if NULL in values or EMPTY in values:  # rare: skip the map otherwise
        return list(map(_plain_value, values, values))
    return values


def plain_pairs(values: _Values, start: int) -> dict[str, str | None] | None:
    """The name/value pairs of ``values[start:]`` (from :func:`plain_values`); ``None``
    for an odd count, a null name or fewer than ``start`` values."""
    count = len(values)
    if count < start or (count - start) & 1:
        return None
    # A plain loop: for the usual one to three pairs it costs half of dict(zip(...)).
    pairs: dict[str, str | None] = {}
    for index in range(start, count, 2):
        name = values[index]
        if name is None:
            return None
        # A repeated name keeps its first position and its last value, as in _Args.pairs.
        pairs[name] = values[index + 1]
    return pairs


def _fast_item_request(new: Callable[[str, str], ProxyMessage]) -> _FastParser:
    def parse(tokens: list[str]) -> ProxyMessage | None:
        # SUB and USB: exactly S|<item>, the item not null (the empty item "$" is legal).
        if len(tokens) != 4 or tokens[2] != "S" or tokens[3] == NULL:
            return None
        item = tokens[3]
        return new(tokens[0], "" if item == EMPTY else item)

    return parse


def _f_notify_user(tokens: list[str]) -> ProxyMessage | None:
    values = plain_values(tokens)
    if values is None or (headers := plain_pairs(values, 2)) is None:
        return None
    return _new_notify_user(tokens[0], values[0], values[1], headers)


def _f_notify_user_auth(tokens: list[str]) -> ProxyMessage | None:
    values = plain_values(tokens)
    if values is None or (headers := plain_pairs(values, 3)) is None:
        return None
    return _new_notify_user_auth(tokens[0], values[0], values[1], values[2], headers)


def _f_get_items(tokens: list[str]) -> ProxyMessage | None:
    values = plain_values(tokens)
    if values is None or len(values) != 3:
        return None
    user, group, session_id = values  # wire order (§5.16)
    return _new_get_items(tokens[0], user, group, session_id)


def _f_get_schema(tokens: list[str]) -> ProxyMessage | None:
    values = plain_values(tokens)
    if values is None or len(values) != 4:
        return None
    user, group, schema, session_id = values
    return _new_get_schema(tokens[0], user, group, schema, session_id)


def _f_get_item_data(tokens: list[str]) -> ProxyMessage | None:
    values = plain_values(tokens)
    if values is None:
        return None
    return _new_get_item_data(tokens[0], tuple(values))


def _f_get_user_item_data(tokens: list[str]) -> ProxyMessage | None:
    values = plain_values(tokens)
    if values is None or not values:
        return None
    return _new_get_user_item_data(tokens[0], values[0], tuple(values[1:]))


def _f_notify_user_message(tokens: list[str]) -> ProxyMessage | None:
    values = plain_values(tokens)
    if values is None or len(values) != 3:
        return None
    user, session_id, message = values
    return _new_notify_user_message(tokens[0], user, session_id, message)


def _f_notify_session_close(tokens: list[str]) -> ProxyMessage | None:
    values = plain_values(tokens)
    if values is None or len(values) != 1:
        return None
    return _new_notify_session_close(tokens[0], values[0])


_FAST_PROXY_PARSERS: dict[str, _FastParser] = {
    "SUB": _fast_item_request(_new_subscribe),
    "USB": _fast_item_request(_new_unsubscribe),
    "NUS": _f_notify_user,
    "NUA": _f_notify_user_auth,
    "GIS": _f_get_items,
    "GSC": _f_get_schema,
    "GIT": _f_get_item_data,
    "GUI": _f_get_user_item_data,
    "NUM": _f_notify_user_message,
    "NSC": _f_notify_session_close,
}


# --------------------------------------------------------------------------------------
# Remote -> Proxy


def _r_credentials(rid: str, args: _Args) -> RemoteMessage:
    if rid != "1":
        raise RemoteProtocolError(f"RAC must have id '1', not {rid!r} (§5.1)")
    args.use_bc()
    return RemoteCredentials(args.pairs("parameter"))


def _r_init_reply(method: Method) -> _RemoteParser:
    allowed = ALLOWED_ERROR_KINDS[method]

    def parse(rid: str, args: _Args) -> RemoteMessage:
        args.use_bc()  # replies and error messages of MPI/DPI included (§3.4)
        if args.error_follows():
            error = args.error(allowed)
            args.finish()
            return ErrorReply(rid, method, error)
        if args.peek() != "S":  # V, the 1.8.0 reply (§4.4), or nothing: malformed
            args.void("the init result")
            args.finish()
            return InitReply(rid, method)
        return InitReply(rid, method, args.pairs("parameter"))

    return parse


def _r_void_reply(method: Method) -> _RemoteParser:
    allowed = ALLOWED_ERROR_KINDS[method]

    def parse(rid: str, args: _Args) -> RemoteMessage:
        if args.error_follows():
            error = args.error(allowed)
            args.finish()
            return ErrorReply(rid, method, error)
        args.void(f"the {method.value} result")
        args.finish()
        return VoidReply(rid, method)

    return parse


def _r_notify_user_reply(method: Method) -> _RemoteParser:
    allowed = ALLOWED_ERROR_KINDS[method]

    def parse(rid: str, args: _Args) -> RemoteMessage:
        if args.error_follows():
            error = args.error(allowed)
            args.finish()
            return ErrorReply(rid, method, error)
        bandwidth = args.double("the allowed max bandwidth")
        wants_tables = args.boolean("the tables notification flag")
        args.finish()
        return NotifyUserReply(rid, method, bandwidth, wants_tables)

    return parse


def _r_get_items_reply(rid: str, args: _Args) -> RemoteMessage:
    if args.error_follows():
        error = args.error(ALLOWED_ERROR_KINDS[Method.GIS])
        args.finish()
        return ErrorReply(rid, Method.GIS, error)
    return GetItemsReply(rid, args.strings("an item name"))


def _r_get_schema_reply(rid: str, args: _Args) -> RemoteMessage:
    if args.error_follows():
        error = args.error(ALLOWED_ERROR_KINDS[Method.GSC])
        args.finish()
        return ErrorReply(rid, Method.GSC, error)
    return GetSchemaReply(rid, args.strings("a field name"))


def _item_data(args: _Args) -> tuple[ItemData, ...]:
    data = []
    while args.more():
        size = args.integer("the item size")
        frequency = args.double("the item frequency")
        data.append(ItemData(size, frequency, args.modes("the item modes")))
    return tuple(data)


def _r_get_item_data_reply(rid: str, args: _Args) -> RemoteMessage:
    if args.error_follows():
        error = args.error(ALLOWED_ERROR_KINDS[Method.GIT])
        args.finish()
        return ErrorReply(rid, Method.GIT, error)
    return GetItemDataReply(rid, _item_data(args))


def _r_get_user_item_data_reply(rid: str, args: _Args) -> RemoteMessage:
    if args.error_follows():
        error = args.error(ALLOWED_ERROR_KINDS[Method.GUI])
        args.finish()
        return ErrorReply(rid, Method.GUI, error)
    return GetUserItemDataReply(rid, _item_data(args))


def _r_notify_new_session_reply(rid: str, args: _Args) -> RemoteMessage:
    if args.error_follows():
        error = args.error(ALLOWED_ERROR_KINDS[Method.NNS])
        args.finish()
        return ErrorReply(rid, Method.NNS, error)
    if args.peek() == "V":
        args.void("the NNS result")
        args.finish()
        return NotifyNewSessionReply(rid)
    _require_1_9(args, "The NNS time-to-live")
    ttl = args.integer("the session time-to-live")
    args.finish()
    return NotifyNewSessionReply(rid, ttl)


def _r_notify_new_tables_reply(rid: str, args: _Args) -> RemoteMessage:
    if args.error_follows():
        error = args.error(ALLOWED_ERROR_KINDS[Method.NNT])
        args.finish()
        return ErrorReply(rid, Method.NNT, error)
    if args.peek() == "V":
        args.void("the NNT result")
        args.finish()
        return NotifyNewTablesReply(rid)
    _require_1_9(args, "The NNT reply flags")
    unsubscription = args.boolean("the enable unsubscription flag")
    statistics = args.boolean("the wants final statistics flag")
    args.finish()
    return NotifyNewTablesReply(rid, (unsubscription, statistics))


def _r_update(ts: str, args: _Args) -> RemoteMessage:
    item = args.text("the item name")
    subscription_id = args.text("the subscription id")
    is_snapshot = args.boolean("the snapshot flag")
    values: dict[str, str | bytes | None] = {}
    while args.more():
        name = args.text("a field name")
        if args.peek() == "Y":
            # Byte arrays exist in ARI 1.8 only (§3.9).
            _require_1_9_absent(args, name)
            values[name] = _decoded(
                decode_bytes_base64, args.raw("Y", f"field {name!r}"), f"field {name!r}"
            )
        else:
            values[name] = args.string(f"the value of field {name!r}")
    return Update(ts, item, subscription_id, is_snapshot, values)


def _require_1_9_absent(args: _Args, name: str) -> None:
    if args.version.smart_encoding:
        raise RemoteProtocolError(
            f"Type 'Y' for field {name!r} does not exist in ARI {args.version} (1.8 only)"
        )


def _r_end_of_snapshot(ts: str, args: _Args) -> RemoteMessage:
    item = args.text("the item name")
    subscription_id = args.text("the subscription id")
    args.finish()
    return EndOfSnapshot(ts, item, subscription_id)


def _r_clear_snapshot(ts: str, args: _Args) -> RemoteMessage:
    item = args.text("the item name")
    subscription_id = args.text("the subscription id")
    args.finish()
    return ClearSnapshot(ts, item, subscription_id)


def _r_declare_field_diff_order(ts: str, args: _Args) -> RemoteMessage:
    _require_1_9(args, "DFD")
    item = args.text("the item name")
    subscription_id = args.text("the subscription id")
    algorithms = {}
    while args.more():
        name = args.text("a field name")
        algorithms[name] = _decoded(
            decode_diff_algorithms, args.raw("F", f"field {name!r}"), f"field {name!r}"
        )
    return DeclareFieldDiffOrder(ts, item, subscription_id, algorithms)


def _r_failure(rid: str, args: _Args) -> RemoteMessage:
    # The bare E only, never a subtype (§5.4, §5.5).
    token = args.untyped("the exception type")
    if token != "E":
        raise RemoteProtocolError(f"Unexpected type {token!r} in FAL: expected 'E'")
    message = _decoded(args.decode, args.untyped("the failure message"), "the message")
    args.finish()
    if rid == "2":  # the reserved id of the Metadata FAL (§2.5)
        _require_1_9(args, "The Metadata FAL")
        return MetadataFailure(message)
    return DataFailure(rid, message)


def _r_force_session_termination(rid: str, args: _Args) -> RemoteMessage:
    _require_1_9(args, "FST")
    session_id = args.text("the session id")
    if args.peek() == "V":
        args.void("the FST cause")
        args.finish()
        return ForceSessionTermination(rid, session_id)
    code = args.integer("the cause code")
    message = args.string("the cause message")
    args.finish()
    return ForceSessionTermination(rid, session_id, code, message)


def _r_force_unsubscription(rid: str, args: _Args) -> RemoteMessage:
    _require_1_9(args, "FUS")
    session_id = args.text("the session id")
    win_index = args.integer("the win index")
    args.finish()
    return ForceUnsubscription(rid, session_id, win_index)


_RemoteParser = Callable[[str, _Args], RemoteMessage]

_REMOTE_PARSERS: dict[str, _RemoteParser] = {
    "RAC": _r_credentials,
    "DPI": _r_init_reply(Method.DPI),
    "MPI": _r_init_reply(Method.MPI),
    "SUB": _r_void_reply(Method.SUB),
    "USB": _r_void_reply(Method.USB),
    "UD3": _r_update,
    "EOS": _r_end_of_snapshot,
    "CLS": _r_clear_snapshot,
    "DFD": _r_declare_field_diff_order,
    "FAL": _r_failure,
    "NUS": _r_notify_user_reply(Method.NUS),
    "NUA": _r_notify_user_reply(Method.NUA),
    "GIS": _r_get_items_reply,
    "GSC": _r_get_schema_reply,
    "GIT": _r_get_item_data_reply,
    "GUI": _r_get_user_item_data_reply,
    "NUM": _r_void_reply(Method.NUM),
    "NNS": _r_notify_new_session_reply,
    "NSC": _r_void_reply(Method.NSC),
    "NNT": _r_notify_new_tables_reply,
    "NTC": _r_void_reply(Method.NTC),
    "MDA": _r_void_reply(Method.MDA),
    "MSA": _r_void_reply(Method.MSA),
    "MDC": _r_void_reply(Method.MDC),
    "FST": _r_force_session_termination,
    "FUS": _r_force_unsubscription,
}


# --------------------------------------------------------------------------------------
# Entry points


def _as_text(line: bytes | str) -> str:
    if isinstance(line, str):
        return line
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as exc:
        shown = line.decode("utf-8", "replace")
        head = shown.split("|", 2)
        raise RemoteProtocolError(
            f"Malformed line: not valid UTF-8 ({exc.reason} at byte {exc.start})",
            request_id=head[0] if len(head) > 1 and head[0] else None,
            method=head[1] if len(head) > 2 and head[1] else None,
            line=shown,
        ) from exc


def _split(line: bytes | str) -> tuple[str, list[str] | None]:
    """The text of a line and its tokens (at least two); ``None`` for ``KEEPALIVE``."""
    text = _as_text(line)
    if text == "KEEPALIVE":
        return text, None
    tokens = text.split("|")
    if len(tokens) < 2:
        raise RemoteProtocolError(
            "Malformed line: fewer than two '|'-separated tokens (id and method)", line=text
        )
    return text, tokens


def _parse_tokens(
    text: str,
    tokens: list[str],
    version: ProtocolVersion,
    parsers: dict[str, Callable[[str, _Args], _T]],
    direction: str,
) -> _T:
    """Parse a line split on "|" into at least two tokens, with the general parsers."""
    if "" in tokens:
        # An empty string travels as "$" (§3.2): "||" never occurs in valid traffic (§2.1).
        raise RemoteProtocolError(
            f"Malformed line: empty token at position {tokens.index('')}",
            request_id=tokens[0] or None,
            method=tokens[1] or None,
            line=text,
        )
    parser = parsers.get(tokens[1])
    if parser is None:
        raise UnknownMethodError(
            f"Unknown method {tokens[1]!r} for a line sent by the {direction}",
            request_id=tokens[0],
            method=tokens[1],
            line=text,
        )
    try:
        return parser(tokens[0], _Args(tokens, string_codec(version)[1], version))
    except RemoteProtocolError as err:
        raise err.with_context(request_id=tokens[0], method=tokens[1], line=text) from None


def _parse_proxy_tokens(text: str, tokens: list[str], version: ProtocolVersion) -> ProxyMessage:
    """:func:`parse_proxy_line` for a line already split into at least two tokens, so
    that :class:`~.connection.ProtocolConnection` splits each line only once."""
    fast = _FAST_PROXY_PARSERS.get(tokens[1])
    # "+" is a space in the BC encoding only; it is tested before smart_encoding, which is
    # the costlier test (a property).
    if (
        fast is not None
        and "%" not in text
        and "" not in tokens
        and ("+" not in text or version.smart_encoding)
    ):
        message = fast(tokens)
        if message is not None:
            return message
    return _parse_tokens(text, tokens, version, _PROXY_PARSERS, "Proxy Adapter")


def parse_proxy_tokens(tokens: list[str], version: ProtocolVersion) -> ProxyMessage:
    """:func:`parse_proxy_line` for a line already split on ``|`` into at least two
    tokens (such as :meth:`~.connection.ProtocolConnection.next_message_or_tokens`
    returns): same result, same exceptions."""
    return _parse_proxy_tokens("|".join(tokens), tokens, version)


def parse_proxy_line(line: bytes | str, version: ProtocolVersion = LATEST) -> ProxyMessage:
    """Parse a line sent by the Proxy Adapter (ARI-PROTOCOL.md §2.8, §5).

    Args:
        line: The line without its terminator; ``bytes`` are decoded as UTF-8, strictly.
        version: The negotiated version; it decides the string encoding of ordinary
            packets and the table layout (``MPI``, ``DPI`` and ``CLOSE`` are always read
            with the Backward-Compatibility encoding).

    Returns:
        A request of either adapter kind, :class:`~.messages.CloseNotice`,
        :class:`~.messages.Keepalive`, or the Proxy's reply to ``FST``/``FUS``
        (:class:`~.messages.ForceSessionTerminationReply`,
        :class:`~.messages.ForceUnsubscriptionReply`).

    Raises:
        UnknownMethodError: A well-formed line whose method the Proxy never sends.
        RemoteProtocolError: A malformed line (with ``request_id``, ``method`` and
            ``line`` filled in when they could be read), including ``CLOSE`` with an id
            other than ``0``.
    """
    text, tokens = _split(line)
    if tokens is None:
        return Keepalive()
    return _parse_proxy_tokens(text, tokens, version)


def parse_remote_line(line: bytes | str, version: ProtocolVersion = LATEST) -> RemoteMessage:
    """Parse a line sent by a Remote Adapter: the mirror of :func:`parse_proxy_line`.

    Used by the Proxy simulator and the round-trip tests. ``FAL`` with id ``2`` is the
    Metadata failure, any other id a Data failure (the id is then its timestamp).

    Args:
        line: The line without its terminator; ``bytes`` are decoded as UTF-8, strictly.
        version: The negotiated version (see :func:`parse_proxy_line`).

    Returns:
        :class:`~.messages.RemoteCredentials`, :class:`~.messages.Keepalive`, a reply
        (error replies as :class:`~.messages.ErrorReply`), a data notification or an
        ``FST``/``FUS`` request.

    Raises:
        UnknownMethodError: A well-formed line whose method a Remote never sends.
        RemoteProtocolError: A malformed line, or one that breaks the rules of the
            version (e.g. ``DFD`` on ARI 1.8, an error subtype the method does not allow).
    """
    text, tokens = _split(line)
    if tokens is None:
        return Keepalive()
    return _parse_tokens(text, tokens, version, _REMOTE_PARSERS, "Remote Adapter")
