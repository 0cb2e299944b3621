"""Messages to lines: the encoders of both directions (ARI-PROTOCOL.md §2, §3, §5).

:func:`encode_remote_message` writes what this SDK sends to the Proxy Adapter;
:func:`encode_proxy_message` writes what the Proxy sends (for the Proxy simulator and the
round-trip tests). Both dispatch on the message class through a dict and return one line
including its ``"\\r\\n"`` terminator (§1.9).

The data notifications have plain functions that take no message object, for the hot
path: :func:`encode_update`, :func:`encode_end_of_snapshot`,
:func:`encode_clear_snapshot`, :func:`encode_field_diff_order`,
:func:`encode_data_failure`, and the constant :data:`KEEPALIVE_LINE`.

String encoding follows §3.4: ``RAC``, ``MPI``, ``DPI`` (requests, replies and error
messages) and ``CLOSE`` always use the Backward-Compatibility encoding; everything else
uses the Smart encoding from ARI 1.9.0 and the Backward-Compatibility encoding before.

Encoders raise :class:`~lightstreamer_adapter.protocol.errors.LocalProtocolError` for a
message ARI cannot carry at the given version: ``DFD``, Metadata ``FAL``, ``FST``,
``FUS``, the ``NNS`` time-to-live, the ``NNT`` flags and the ``ER`` subtype on ARI 1.8;
an error subtype that the method does not allow (§3.10); a null name in a name/value
list; an id that contains ``|``, CR or LF; a number out of range or not finite. Fields of
a :class:`~lightstreamer_adapter.interfaces.metadata.TableInfo` that the block layout of
the version has no place for (e.g. the items on ARI 1.8, the selector in ``MSA``) are
not written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import chain
from typing import Any

from ..interfaces.data import DiffAlgorithm
from ..interfaces.metadata import Mode, MpnDeviceInfo, TableInfo
from .errors import LocalProtocolError
from .fields import (
    _INT_MAX,
    _INT_MIN,
    EMPTY,
    NULL,
    _isfinite,
    bytes_as_string,
    encode_bool,
    encode_bytes_base64,
    encode_diff_algorithms,
    encode_double,
    encode_int,
    encode_long,
    encode_mode,
    encode_modes,
    encode_platform,
    encode_string_bc,
    encode_string_smart,
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
)
from .parse import ALLOWED_ERROR_KINDS
from .versions import LATEST, ProtocolVersion

__all__ = [
    "KEEPALIVE_LINE",
    "encode_clear_snapshot",
    "encode_data_failure",
    "encode_end_of_snapshot",
    "encode_field_diff_order",
    "encode_item_data_reply",
    "encode_names_reply",
    "encode_notify_user_reply",
    "encode_proxy_message",
    "encode_remote_message",
    "encode_update",
    "encode_void_reply",
]

_CRLF = "\r\n"
#: The keepalive packet, terminator included (ARI-PROTOCOL.md §5.2).
KEEPALIVE_LINE = "KEEPALIVE\r\n"

_Encoder = Callable[[str | None], str]


def _codec(version: ProtocolVersion) -> _Encoder:
    """The string encoder of ordinary packets at ``version`` (§3.4)."""
    return encode_string_smart if version.smart_encoding else encode_string_bc


def _check_id(request_id: str, what: str = "request id") -> str:
    """Reject an id that would break the line; ids are otherwise opaque (§2.2)."""
    # The Proxy's ids are hex strings: one C-level test passes them (no alphanumeric
    # character is "|", CR or LF).
    if type(request_id) is str and request_id.isalnum():
        return request_id
    if (
        not isinstance(request_id, str)
        or not request_id
        or "|" in request_id
        or "\r" in request_id
        or "\n" in request_id
    ):
        raise LocalProtocolError(
            f"Cannot send {request_id!r} as a {what}: it must be a non-empty string "
            "without '|', CR or LF"
        )
    return request_id


def _require_1_9(version: ProtocolVersion, what: str) -> None:
    if not version.smart_encoding:
        raise LocalProtocolError(f"{what} does not exist in ARI {version} (since 1.9.0)")


def _line(tokens: list[str]) -> str:
    # str.join takes the text of str subclasses (e.g. a StrEnum item name), where an
    # f-string would call their __format__.
    return "|".join(tokens) + _CRLF


def _pairs(tokens: list[str], params: Mapping[str, str | None], encode: _Encoder) -> None:
    """Append ``S|<name>|S|<value>`` for each entry, in mapping order."""
    for name, value in params.items():
        if name is None:
            raise LocalProtocolError("Cannot send a name/value pair with a null name")
        tokens += ("S", encode(name), "S", encode(value))


def _strings(tokens: list[str], values: Iterable[str | None], encode: _Encoder) -> None:
    for value in values:
        tokens += ("S", encode(value))


def _error_tokens(
    tokens: list[str], error: ErrorInfo, encode: _Encoder, version: ProtocolVersion
) -> None:
    """Append ``E<subtype>|<message>`` and the untyped extras of the subtype (§3.10)."""
    kind = error.kind
    if kind is ErrorKind.RESOURCE_UNAVAILABLE and not version.smart_encoding:
        raise LocalProtocolError(
            f"Exception type 'ER' does not exist in ARI {version}: send an access error"
        )
    tokens += ("E" + kind.value, encode(error.message))
    if kind is ErrorKind.CREDITS or kind is ErrorKind.CONFLICTING_SESSION:
        if error.client_code is None:
            raise LocalProtocolError(f"A {kind.name} error needs a client_code")
        # The code is an untyped decimal (§3.10).
        tokens += (encode_int(error.client_code), encode(error.client_message))
        if kind is ErrorKind.CONFLICTING_SESSION:
            tokens.append(encode(error.conflicting_session_id))


# --------------------------------------------------------------------------------------
# Data notifications: the hot path


def _field_name(name: object, item: str) -> str:
    """Encode a field name (Smart encoding), refusing what is not a string."""
    if not isinstance(name, str):
        raise LocalProtocolError(
            f"Cannot send field name {name!r} of item {item!r}: field names must be strings"
        )
    # str.__str__ turns a str subclass (e.g. a StrEnum member) into its plain text.
    return encode_string_smart(str.__str__(name))


def _unsupported(name: object, value: object, item: str) -> LocalProtocolError:
    return LocalProtocolError(
        f"Cannot send the value {value!r} of field {name!r} of item {item!r}: "
        f"a {type(value).__name__} has no wire form; use str, bytes, int, float or None"
    )


def _field_value_smart(name: object, value: object, item: str) -> str:
    """Encode an update value as the token after ``S|`` (ARI 1.9, §5.9, §3.9)."""
    if value is None:
        return NULL
    if isinstance(value, str):
        return encode_string_smart(str.__str__(value))
    if isinstance(value, (bytes, bytearray)):
        # ARI 1.9 dropped type Y: bytes travel as an ISO-8859-1 string (§3.9).
        return encode_string_smart(bytes_as_string(bytes(value)))
    if isinstance(value, (int, float)):  # bool included: "True"/"False"
        return encode_string_smart(str(value))
    raise _unsupported(name, value, item)


def _update_smart(
    timestamp: str,
    item: str,
    subscription_id: str,
    is_snapshot: bool,
    values: Mapping[str, object],
) -> str:
    """``UD3`` for ARI 1.9, one field at a time: the general path of encode_update."""
    smart = encode_string_smart
    parts = [timestamp, "|UD3|S|", smart(item), "|S|", smart(subscription_id)]
    parts.append("|B|1" if is_snapshot else "|B|0")
    append = parts.append
    for name, value in values.items():
        # The Smart encoding (§3.3.2) is inlined for plain strings of two characters or
        # more that hold none of the five escaped characters, which are written as they
        # are; the function call it saves per name and per value is most of the cost of
        # a short field (timeit). Everything else goes through the helpers.
        if type(name) is not str:
            token = _field_name(name, item)
        elif (
            len(name) < 2
            or "%" in name
            or "|" in name
            or "+" in name
            or "\r" in name
            or "\n" in name
        ):
            token = smart(name)
        else:
            token = name
        if type(value) is str:
            if (
                len(value) < 2
                or "%" in value
                or "|" in value
                or "+" in value
                or "\r" in value
                or "\n" in value
            ):
                value = smart(value)
        elif value is None:
            value = NULL
        else:
            value = _field_value_smart(name, value, item)
        append(f"|S|{token}|S|{value}")
    append(_CRLF)
    # str.join, not an f-string, for item and subscription_id: see _line.
    return "".join(parts)


def _update_bc(
    timestamp: str,
    item: str,
    subscription_id: str,
    is_snapshot: bool,
    values: Mapping[str, object],
) -> str:
    """``UD3`` for ARI 1.8: BC strings, bytes as ``Y|<base64>`` (§3.9)."""
    encode = encode_string_bc
    tokens = [timestamp, "UD3", "S", encode(item), "S", encode(subscription_id), "B"]
    tokens.append("1" if is_snapshot else "0")
    for name, value in values.items():
        if not isinstance(name, str):
            raise LocalProtocolError(
                f"Cannot send field name {name!r} of item {item!r}: field names must be strings"
            )
        if value is None or isinstance(value, str):
            tokens += ("S", encode(name), "S", encode(value))
        elif isinstance(value, (bytes, bytearray)):
            tokens += ("S", encode(name), "Y", encode_bytes_base64(bytes(value)))
        elif isinstance(value, (int, float)):
            tokens += ("S", encode(name), "S", encode(str(value)))
        else:
            raise _unsupported(name, value, item)
    return _line(tokens)


# The fast path of encode_update joins the strings of an update with "|S|" into the line
# and checks the line once (see there).
_join_with_s = "|S|".join
_flatten = chain.from_iterable
_SHORT_LAST = ("|S|#", "|S|$")


def encode_update(
    timestamp: str,
    item: str,
    subscription_id: str,
    is_snapshot: bool,
    values: Mapping[str, object],
    version: ProtocolVersion,
) -> str:
    """Encode an update, ``UD3`` (ARI-PROTOCOL.md §5.9, §10 items 46-48).

    ``<ts>|UD3|S|<item>|S|<sub id>|B|<0/1>`` followed by ``|S|<field>|S|<value>`` per
    field, in mapping order.

    Values: ``str``; ``None`` (null, ``#``); ``bytes`` (ARI 1.9: the ISO-8859-1 string
    of the bytes as an ``S`` value; ARI 1.8: ``Y|<base64>``); ``int`` and ``float`` are
    sent as the string ``str(value)`` (so ``True``/``False`` for a ``bool``, ``nan`` for
    a NaN).

    Args:
        timestamp: The first token, the epoch time in milliseconds (§2.3).
        item: The item name.
        subscription_id: The id of the ``SUB`` request of the current subscription.
        is_snapshot: Whether the event belongs to the snapshot.
        values: Field names to values.
        version: The negotiated version.

    Returns:
        The line, ``"\\r\\n"`` included.

    Raises:
        LocalProtocolError: A field name that is not a string, or a value of another
            type (the message names the field and the item).
    """
    # The identity test first spares the usual update a property call (~2 % of it).
    if version is not LATEST and not version.smart_encoding:
        return _update_bc(timestamp, item, subscription_id, is_snapshot, values)
    # Fast path, for updates made of strings that need no escaping (the usual case: names
    # and values such as "last_price" and "12.34"). Rather than encoding name after value,
    # it writes the line with one C-level str.join over the names and values and checks
    # the result with a few substring tests: about twice as fast as a per-field loop, with
    # or without the Smart encoding inlined (timeit, 8 short fields). str.join raises
    # TypeError for None, bytes or a number; such updates, and those that need escaping,
    # take the general per-field path, which then costs about twice the fast path (the
    # failed attempt included). Both paths must agree byte for byte: test_properties.py
    # checks.
    try:
        # A value that is not a str makes the join raise TypeError: intended.
        body = _join_with_s(_flatten(values.items()))  # type: ignore[arg-type]
    except TypeError:
        return _update_smart(timestamp, item, subscription_id, is_snapshot, values)
    flag = "1" if is_snapshot else "0"
    if body:
        line = f"{timestamp}|UD3|S|{item}|S|{subscription_id}|B|{flag}|S|{body}"
        # 7 pipes up to the flag, then 2 per gap between the 2 * len(values) strings.
        pipes = 7 + 4 * len(values)
    else:
        line = f"{timestamp}|UD3|S|{item}|S|{subscription_id}|B|{flag}"
        pipes = 7
    # Every string of the update (item, subscription id, names, values) sits between two
    # "|" here. It needs no escaping (§3.3.2) when it holds none of "%+|\r\n" (the pipe
    # count proves there is no "|" in any of them) and is neither empty ("|S||S|", or a
    # final "|") nor "#" or "$" (two cheap single-character tests guard those patterns);
    # the subscription id, followed by "|B|", is tested on its own. The timestamp is
    # digits, or a caller's token without these characters.
    if (
        len(subscription_id) < 2
        or "%" in line
        or "+" in line
        or "\r" in line
        or "\n" in line
        or line.count("|") != pipes
        or "|S||S|" in line
        or line[-1] == "|"
        or (
            ("#" in line or "$" in line)
            and ("|S|#|S|" in line or "|S|$|S|" in line or line.endswith(_SHORT_LAST))
        )
    ):
        return _update_smart(timestamp, item, subscription_id, is_snapshot, values)
    return line + "\r\n"


def _item_notification(
    timestamp: str, verb: str, item: str, subscription_id: str, version: ProtocolVersion
) -> str:
    # EOS and CLS share their layout: <ts>|<verb>|S|<item>|S|<sub id> (§5.10, §5.11).
    encode = _codec(version)
    return _line([timestamp, verb, "S", encode(item), "S", encode(subscription_id)])


def encode_end_of_snapshot(
    timestamp: str, item: str, subscription_id: str, version: ProtocolVersion
) -> str:
    """Encode an end of snapshot, ``<ts>|EOS|S|<item>|S|<sub id>`` (§5.10, item 50).

    Args:
        timestamp: The first token, the epoch time in milliseconds.
        item: The item name.
        subscription_id: The id of the ``SUB`` request of the current subscription.
        version: The negotiated version.

    Returns:
        The line, ``"\\r\\n"`` included.
    """
    return _item_notification(timestamp, "EOS", item, subscription_id, version)


def encode_clear_snapshot(
    timestamp: str, item: str, subscription_id: str, version: ProtocolVersion
) -> str:
    """Encode a clear snapshot, ``<ts>|CLS|S|<item>|S|<sub id>`` (§5.11, item 50).

    Args:
        timestamp: The first token, the epoch time in milliseconds.
        item: The item name.
        subscription_id: The id of the ``SUB`` request of the current subscription.
        version: The negotiated version.

    Returns:
        The line, ``"\\r\\n"`` included.
    """
    return _item_notification(timestamp, "CLS", item, subscription_id, version)


def encode_field_diff_order(
    timestamp: str,
    item: str,
    subscription_id: str,
    algorithms: Mapping[str, Sequence[DiffAlgorithm] | None],
    version: ProtocolVersion,
) -> str:
    """Encode a field diff order declaration, ``DFD`` (§5.12, item 51).

    ``<ts>|DFD|S|<item>|S|<sub id>`` followed by ``|S|<field>|F|<letters>`` per field;
    ``None`` is written ``#`` (no information), an empty sequence ``$`` (no algorithm).

    Args:
        timestamp: The first token, the epoch time in milliseconds.
        item: The item name.
        subscription_id: The id of the ``SUB`` request of the current subscription.
        algorithms: Field names to algorithms in order of preference, or ``None``.
        version: The negotiated version.

    Returns:
        The line, ``"\\r\\n"`` included.

    Raises:
        LocalProtocolError: The version is ARI 1.8 (``DFD`` does not exist there), a
            field name is not a string, or an algorithm is not a :class:`DiffAlgorithm`.
    """
    _require_1_9(version, "DFD (declare_field_diff_order)")
    encode = encode_string_smart
    tokens = [timestamp, "DFD", "S", encode(item), "S", encode(subscription_id)]
    for name, field_algorithms in algorithms.items():
        tokens += ("S", _field_name(name, item), "F", encode_diff_algorithms(field_algorithms))
    return _line(tokens)


def encode_data_failure(timestamp: str, message: str | None, version: ProtocolVersion) -> str:
    """Encode a Data Adapter failure, ``<ts>|FAL|E|<message>`` (§5.4, item 53).

    Args:
        timestamp: The first token, the epoch time in milliseconds.
        message: The message, or ``None`` (written ``#``).
        version: The negotiated version.

    Returns:
        The line, ``"\\r\\n"`` included.
    """
    return _line([timestamp, "FAL", "E", _codec(version)(message)])


# --------------------------------------------------------------------------------------
# Remote -> Proxy


def _e_credentials(message: RemoteCredentials, version: ProtocolVersion) -> str:
    tokens = ["1", "RAC"]
    _pairs(tokens, message.params, encode_string_bc)  # always BC (§3.4)
    return _line(tokens)


def _e_keepalive(message: Keepalive, version: ProtocolVersion) -> str:
    return KEEPALIVE_LINE


_INIT_METHODS = frozenset({Method.DPI, Method.MPI})
# Methods whose success reply may be a bare V (§5); NNS, NNT and the 1.8.0 init reply
# have their own message classes, whose V form encodes identically.
_VOID_METHODS = frozenset(
    {
        Method.SUB,
        Method.USB,
        Method.NUM,
        Method.NSC,
        Method.NTC,
        Method.MDA,
        Method.MSA,
        Method.MDC,
        Method.NNS,
        Method.NNT,
        Method.DPI,
        Method.MPI,
    }
)


# The usual replies check their method by name: Method.value and hashing a Method (a set
# lookup) run Python code, enum's property and Enum.__hash__; _value_ is the plain
# attribute behind value (a documented enum "sunder" name). Other values take
# _check_method.
_VOID_TAILS = {method.value: f"|{method.value}|V\r\n" for method in _VOID_METHODS}
_NOTIFY_USER_METHODS = frozenset({Method.NUS, Method.NUA})
_NOTIFY_USER_NAMES = frozenset(method.value for method in _NOTIFY_USER_METHODS)


def _check_method(method: Method, allowed: frozenset[Method], what: str) -> str:
    if method not in allowed:
        raise LocalProtocolError(f"{what} cannot answer {method.value}")
    return method.value


def _e_init_reply(message: InitReply, version: ProtocolVersion) -> str:
    method = _check_method(message.method, _INIT_METHODS, "An InitReply")
    rid = _check_id(message.request_id)
    if not message.params:
        return f"{rid}|{method}|V\r\n"  # the 1.8.0 form (§4.4)
    tokens = [rid, method]
    _pairs(tokens, message.params, encode_string_bc)
    return _line(tokens)


def encode_void_reply(request_id: str, method: Method) -> str:
    """Encode the success reply of a request without a result: ``<id>|<method>|V``.

    The same line as ``encode_remote_message(VoidReply(request_id, method))`` at any
    version, without building the message: the Data side sends one per ``SUB`` and
    ``USB`` (ARI-PROTOCOL.md §5.7, §5.8).

    Raises:
        LocalProtocolError: A method that has no void reply, or an id that would break
            the line.
    """
    tail = _VOID_TAILS.get(method._value_) if type(method) is Method else None
    if tail is None:
        tail = f"|{_check_method(method, _VOID_METHODS, 'A VoidReply')}|V\r\n"
    return f"{_check_id(request_id)}{tail}"


def _e_void_reply(message: VoidReply, version: ProtocolVersion) -> str:
    return encode_void_reply(message.request_id, message.method)


def _e_error_reply(message: ErrorReply, version: ProtocolVersion) -> str:
    method = message.method
    allowed = ALLOWED_ERROR_KINDS.get(method)
    if allowed is None:
        raise LocalProtocolError(f"{method.value} has no error reply")
    if message.error.kind not in allowed:
        raise LocalProtocolError(
            f"Exception type 'E{message.error.kind.value}' is not allowed in a "
            f"{method.value} reply: send a generic error (§3.10)"
        )
    encode = encode_string_bc if method in _INIT_METHODS else _codec(version)
    tokens = [_check_id(message.request_id), method.value]
    _error_tokens(tokens, message.error, encode, version)
    return _line(tokens)


def encode_notify_user_reply(
    request_id: str, method: Method, max_bandwidth: float, wants_tables_notification: bool
) -> str:
    """Encode the success reply to ``NUS``/``NUA``: ``<id>|NUS|D|<bandwidth>|B|<flag>``.

    The line of ``encode_remote_message(NotifyUserReply(...))`` at any version, without
    building the message (ARI-PROTOCOL.md §5.14, §5.15).

    Raises:
        LocalProtocolError: Another method, a bandwidth that is not finite, or an id
            that would break the line.
    """
    name: str = method._value_ if type(method) is Method else ""
    if name not in _NOTIFY_USER_NAMES:
        name = _check_method(method, _NOTIFY_USER_METHODS, "A NotifyUserReply")
    bandwidth = encode_double(max_bandwidth)
    flag = encode_bool(wants_tables_notification)
    return f"{_check_id(request_id)}|{name}|D|{bandwidth}|B|{flag}\r\n"


def _e_notify_user_reply(message: NotifyUserReply, version: ProtocolVersion) -> str:
    return encode_notify_user_reply(
        message.request_id,
        message.method,
        message.max_bandwidth,
        message.wants_tables_notification,
    )


def _plain_names(names: tuple[str | None, ...]) -> str | None:
    """The names joined with ``"|S|"`` if the Smart encoding writes each as it is (no
    None, empty, ``#`` or ``$``, no "%", "+", CR, LF or "|"), else ``None``.

    As in encode_update, one join and a few C-level tests on the result cost less than
    encoding the names one at a time.
    """
    try:
        body = _join_with_s(names)  # type: ignore[arg-type]  # TypeError for a None
    except TypeError:
        return None
    if (
        "%" in body
        or "+" in body
        or "\r" in body
        or "\n" in body
        or body.count("|") != 2 * len(names) - 2  # a "|" inside a name
        or "" in names
        or NULL in names
        or EMPTY in names
    ):
        return None
    return body


def encode_names_reply(
    request_id: str, method: str, names: Iterable[str | None], version: ProtocolVersion
) -> str:
    """Encode the success reply to ``GIS`` or ``GSC``: ``<id>|<method>|S|<name>|...``.

    The line of ``encode_remote_message(GetItemsReply(...))`` (or ``GetSchemaReply``)
    without building the message (ARI-PROTOCOL.md §5.16, §5.17), checked as that
    function checks it (a lone surrogate in a name cannot be sent).

    Args:
        request_id: The request's id.
        method: ``"GIS"`` or ``"GSC"``.
        names: The item or field names (``None`` for a null name).
        version: The negotiated version (decides the string encoding).

    Raises:
        LocalProtocolError: A name UTF-8 cannot carry, or an id that would break the
            line.
    """
    if method != "GIS" and method != "GSC":
        raise LocalProtocolError(f"{method!r} has no names reply: GIS or GSC expected")
    rid = _check_id(request_id)
    if type(names) is tuple and names and (version is LATEST or version.smart_encoding):
        body = _plain_names(names)
        if body is not None:
            line = f"{rid}|{method}|S|{body}\r\n"
            if not line.isascii():
                _check_utf8(line)
            return line
    tokens = [rid, method]
    _strings(tokens, names, _codec(version))
    line = _line(tokens)
    if not line.isascii():
        _check_utf8(line)
    return line


def _e_get_items_reply(message: GetItemsReply, version: ProtocolVersion) -> str:
    return encode_names_reply(message.request_id, "GIS", message.items, version)


def _e_get_schema_reply(message: GetSchemaReply, version: ProtocolVersion) -> str:
    return encode_names_reply(message.request_id, "GSC", message.fields, version)


def encode_item_data_reply(
    request_id: str, method: str, data: Iterable[tuple[int, float, tuple[Mode, ...]]]
) -> str:
    """Encode the success reply to ``GIT`` or ``GUI``: ``<id>|GIT|I|...|D|...|M|...``.

    The line of ``encode_remote_message(GetItemDataReply(...))`` (or
    ``GetUserItemDataReply``) without building the messages (ARI-PROTOCOL.md §5.18,
    §5.19); the encoding is the same at every version.

    Args:
        request_id: The request's id.
        method: ``"GIT"`` or ``"GUI"``.
        data: Per item, in request order, ``(size, frequency, modes)`` as in
            :class:`~.messages.ItemData`.

    Raises:
        LocalProtocolError: A value the protocol cannot carry (a frequency that is not
            finite), or an id that would break the line.
    """
    if method != "GIT" and method != "GUI":
        raise LocalProtocolError(f"{method!r} has no item data reply: GIT or GUI expected")
    parts = [_check_id(request_id), method]
    for size, frequency, modes in data:
        # The checks of encode_int and encode_double inline for the usual int and float.
        length: int | str = size
        if type(size) is not int or not _INT_MIN <= size <= _INT_MAX:
            length = encode_int(size)  # raises, or the int subclass converted
        if type(frequency) is float and _isfinite(frequency):
            parts.append(f"I|{length}|D|{frequency!r}|M|{encode_modes(modes)}")
        else:
            parts.append(f"I|{length}|D|{encode_double(frequency)}|M|{encode_modes(modes)}")
    return _line(parts)


def _item_data(data: Iterable[ItemData]) -> Iterator[tuple[int, float, tuple[Mode, ...]]]:
    return ((entry.size, entry.frequency, entry.modes) for entry in data)


def _e_get_item_data_reply(message: GetItemDataReply, version: ProtocolVersion) -> str:
    return encode_item_data_reply(message.request_id, "GIT", _item_data(message.items))


def _e_get_user_item_data_reply(message: GetUserItemDataReply, version: ProtocolVersion) -> str:
    return encode_item_data_reply(message.request_id, "GUI", _item_data(message.items))


def _e_notify_new_session_reply(message: NotifyNewSessionReply, version: ProtocolVersion) -> str:
    rid = _check_id(message.request_id)
    if message.time_to_live is None:
        return f"{rid}|NNS|V\r\n"
    _require_1_9(version, "The NNS time-to-live")
    return f"{rid}|NNS|I|{encode_int(message.time_to_live)}\r\n"


def _e_notify_new_tables_reply(message: NotifyNewTablesReply, version: ProtocolVersion) -> str:
    rid = _check_id(message.request_id)
    if message.flags is None:
        return f"{rid}|NNT|V\r\n"
    _require_1_9(version, "The NNT reply flags")
    unsubscription, statistics = message.flags
    return f"{rid}|NNT|B|{encode_bool(unsubscription)}|B|{encode_bool(statistics)}\r\n"


def _e_update(message: Update, version: ProtocolVersion) -> str:
    return encode_update(
        message.timestamp,
        message.item,
        message.subscription_id,
        message.is_snapshot,
        message.values,
        version,
    )


def _e_end_of_snapshot(message: EndOfSnapshot, version: ProtocolVersion) -> str:
    return encode_end_of_snapshot(
        message.timestamp, message.item, message.subscription_id, version
    )


def _e_clear_snapshot(message: ClearSnapshot, version: ProtocolVersion) -> str:
    return encode_clear_snapshot(message.timestamp, message.item, message.subscription_id, version)


def _e_declare_field_diff_order(message: DeclareFieldDiffOrder, version: ProtocolVersion) -> str:
    return encode_field_diff_order(
        message.timestamp, message.item, message.subscription_id, message.algorithms, version
    )


def _e_data_failure(message: DataFailure, version: ProtocolVersion) -> str:
    return encode_data_failure(message.timestamp, message.message, version)


def _e_metadata_failure(message: MetadataFailure, version: ProtocolVersion) -> str:
    _require_1_9(version, "The Metadata FAL")
    return _line(["2", "FAL", "E", encode_string_smart(message.message)])  # reserved id (§2.5)


def _e_force_session_termination(
    message: ForceSessionTermination, version: ProtocolVersion
) -> str:
    _require_1_9(version, "FST (force_session_termination)")
    rid = _check_id(message.request_id)
    session = encode_string_smart(message.session_id)
    if message.cause_code is None:
        if message.cause_message is not None:
            raise LocalProtocolError("FST: a cause message needs a cause code")
        return _line([rid, "FST", "S", session, "V"])
    code = encode_int(message.cause_code)
    return _line(
        [rid, "FST", "S", session, "I", code, "S", encode_string_smart(message.cause_message)]
    )


def _e_force_unsubscription(message: ForceUnsubscription, version: ProtocolVersion) -> str:
    _require_1_9(version, "FUS (force_unsubscription)")
    rid = _check_id(message.request_id)
    session = encode_string_smart(message.session_id)
    return _line([rid, "FUS", "S", session, "I", encode_int(message.win_index)])


_REMOTE_ENCODERS: dict[type[Any], Callable[[Any, ProtocolVersion], str]] = {
    RemoteCredentials: _e_credentials,
    Keepalive: _e_keepalive,
    InitReply: _e_init_reply,
    VoidReply: _e_void_reply,
    ErrorReply: _e_error_reply,
    NotifyUserReply: _e_notify_user_reply,
    GetItemsReply: _e_get_items_reply,
    GetSchemaReply: _e_get_schema_reply,
    GetItemDataReply: _e_get_item_data_reply,
    GetUserItemDataReply: _e_get_user_item_data_reply,
    NotifyNewSessionReply: _e_notify_new_session_reply,
    NotifyNewTablesReply: _e_notify_new_tables_reply,
    Update: _e_update,
    EndOfSnapshot: _e_end_of_snapshot,
    ClearSnapshot: _e_clear_snapshot,
    DeclareFieldDiffOrder: _e_declare_field_diff_order,
    DataFailure: _e_data_failure,
    MetadataFailure: _e_metadata_failure,
    ForceSessionTermination: _e_force_session_termination,
    ForceUnsubscription: _e_force_unsubscription,
}


def encode_remote_message(message: RemoteMessage, version: ProtocolVersion = LATEST) -> str:
    """Encode a message sent by the Remote Adapter (ARI-PROTOCOL.md §5).

    Args:
        message: Any :data:`~.messages.RemoteMessage`.
        version: The negotiated version (``RAC`` and the ``MPI``/``DPI`` replies are
            always Backward-Compatibility encoded).

    Returns:
        One line, ``"\\r\\n"`` included.

    Raises:
        LocalProtocolError: The message cannot be sent at this version or holds a value
            ARI cannot carry (see the module documentation).
        TypeError: ``message`` is not a Remote message.
    """
    encoder = _REMOTE_ENCODERS.get(type(message))
    if encoder is None:
        raise TypeError(f"Not a message sent by a Remote Adapter: {message!r}")
    line = encoder(message, version)
    if not line.isascii():
        _check_utf8(line)
    return line


def _check_utf8(line: str) -> None:
    # The Smart encoder leaves characters raw for speed, so a lone surrogate from adapter
    # code (e.g. "a\ud800") would only fail when the writer encodes its whole batch,
    # failing the connection. Replies are not the hot path: check them here so that the
    # caller can answer with an error reply instead. Updates are checked by the writer.
    # The caller tests line.isascii() first, which passes nearly every reply.
    try:
        line.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise LocalProtocolError(
            f"a value holds a character that UTF-8 cannot carry (a lone surrogate "
            f"at position {exc.start}): {line[:80]!r}"
        ) from None


# --------------------------------------------------------------------------------------
# Proxy -> Remote


def _table_tokens(
    tokens: list[str], table: TableInfo, kind: str, encode: _Encoder, version: ProtocolVersion
) -> None:
    """Append a table block in the layout of ``kind`` and ``version`` (§3.11)."""
    tokens += ("I", encode_int(table.win_index), "M", encode_mode(table.mode))
    tokens += ("S", encode(table.group))
    if version.smart_encoding:
        tokens += ("S", encode(table.data_adapter))
    tokens += ("S", encode(table.schema), "I", encode_int(table.min), "I", encode_int(table.max))
    if kind != "MSA":
        tokens += ("S", encode(table.selector))
    if not version.smart_encoding:
        return
    items = table.subscribed_items or ()
    tokens += ("I", encode_int(len(items)))
    _strings(tokens, items, encode)
    if kind == "NTC":
        statistics = table.subscription_statistics or ()
        tokens += ("I", encode_int(len(statistics)))
        for entry in statistics:
            tokens += (
                "L",
                encode_long(entry.tot_real_time),
                "L",
                encode_long(entry.tot_lost),
                "L",
                encode_long(entry.tot_filtered),
            )


def _device_tokens(tokens: list[str], device: MpnDeviceInfo, encode: _Encoder) -> None:
    tokens += ("P", encode_platform(device.mpn_platform_type))
    tokens += ("S", encode(device.application_id), "S", encode(device.device_token))


def _e_close(message: CloseNotice, version: ProtocolVersion) -> str:
    tokens = ["0", "CLOSE"]
    _pairs(tokens, message.params, encode_string_bc)  # always BC (§3.4)
    return _line(tokens)


def _e_data_init(message: DataInitRequest, version: ProtocolVersion) -> str:
    tokens = [_check_id(message.request_id), "DPI"]
    _pairs(tokens, message.params, encode_string_bc)
    return _line(tokens)


def _e_metadata_init(message: MetadataInitRequest, version: ProtocolVersion) -> str:
    tokens = [_check_id(message.request_id), "MPI"]
    _pairs(tokens, message.params, encode_string_bc)
    return _line(tokens)


def _e_subscribe(message: SubscribeRequest, version: ProtocolVersion) -> str:
    return _line([_check_id(message.request_id), "SUB", "S", _codec(version)(message.item)])


def _e_unsubscribe(message: UnsubscribeRequest, version: ProtocolVersion) -> str:
    return _line([_check_id(message.request_id), "USB", "S", _codec(version)(message.item)])


def _e_notify_user(message: NotifyUserRequest, version: ProtocolVersion) -> str:
    encode = _codec(version)
    tokens = [_check_id(message.request_id), "NUS"]
    _strings(tokens, (message.user, message.password), encode)
    _pairs(tokens, message.headers, encode)
    return _line(tokens)


def _e_notify_user_auth(message: NotifyUserWithPrincipalRequest, version: ProtocolVersion) -> str:
    encode = _codec(version)
    tokens = [_check_id(message.request_id), "NUA"]
    _strings(tokens, (message.user, message.password, message.client_principal), encode)
    _pairs(tokens, message.headers, encode)
    return _line(tokens)


def _e_get_items(message: GetItemsRequest, version: ProtocolVersion) -> str:
    tokens = [_check_id(message.request_id), "GIS"]
    _strings(tokens, (message.user, message.group, message.session_id), _codec(version))
    return _line(tokens)


def _e_get_schema(message: GetSchemaRequest, version: ProtocolVersion) -> str:
    tokens = [_check_id(message.request_id), "GSC"]
    values = (message.user, message.group, message.schema, message.session_id)
    _strings(tokens, values, _codec(version))
    return _line(tokens)


def _e_get_item_data(message: GetItemDataRequest, version: ProtocolVersion) -> str:
    tokens = [_check_id(message.request_id), "GIT"]
    _strings(tokens, message.items, _codec(version))
    return _line(tokens)


def _e_get_user_item_data(message: GetUserItemDataRequest, version: ProtocolVersion) -> str:
    tokens = [_check_id(message.request_id), "GUI"]
    _strings(tokens, (message.user, *message.items), _codec(version))
    return _line(tokens)


def _e_notify_user_message(message: NotifyUserMessageRequest, version: ProtocolVersion) -> str:
    tokens = [_check_id(message.request_id), "NUM"]
    _strings(tokens, (message.user, message.session_id, message.message), _codec(version))
    return _line(tokens)


def _e_notify_new_session(message: NotifyNewSessionRequest, version: ProtocolVersion) -> str:
    encode = _codec(version)
    tokens = [_check_id(message.request_id), "NNS"]
    _strings(tokens, (message.user, message.session_id), encode)
    _pairs(tokens, message.context, encode)
    return _line(tokens)


def _e_notify_session_close(message: NotifySessionCloseRequest, version: ProtocolVersion) -> str:
    encoded = _codec(version)(message.session_id)
    return _line([_check_id(message.request_id), "NSC", "S", encoded])


def _e_notify_new_tables(message: NotifyNewTablesRequest, version: ProtocolVersion) -> str:
    encode = _codec(version)
    tokens = [_check_id(message.request_id), "NNT"]
    _strings(tokens, (message.user, message.session_id), encode)
    for table in message.tables:
        _table_tokens(tokens, table, "NNT", encode, version)
    return _line(tokens)


def _e_notify_tables_close(message: NotifyTablesCloseRequest, version: ProtocolVersion) -> str:
    encode = _codec(version)
    tokens = [_check_id(message.request_id), "NTC", "S", encode(message.session_id)]
    for table in message.tables:
        _table_tokens(tokens, table, "NTC", encode, version)
    return _line(tokens)


def _e_mpn_device_access(message: MpnDeviceAccessRequest, version: ProtocolVersion) -> str:
    encode = _codec(version)
    tokens = [_check_id(message.request_id), "MDA"]
    _strings(tokens, (message.user, message.session_id), encode)
    _device_tokens(tokens, message.device, encode)
    return _line(tokens)


def _e_mpn_subscription_activation(
    message: MpnSubscriptionActivationRequest, version: ProtocolVersion
) -> str:
    encode = _codec(version)
    subscription = message.subscription
    tokens = [_check_id(message.request_id), "MSA"]
    _strings(tokens, (message.user, message.session_id), encode)
    _table_tokens(tokens, message.table, "MSA", encode, version)
    _device_tokens(tokens, subscription.device, encode)
    # Wire order: trigger, then notification format (§5.26).
    _strings(tokens, (subscription.trigger, subscription.notification_format), encode)
    return _line(tokens)


def _e_mpn_device_token_change(
    message: MpnDeviceTokenChangeRequest, version: ProtocolVersion
) -> str:
    encode = _codec(version)
    tokens = [_check_id(message.request_id), "MDC"]
    _strings(tokens, (message.user, message.session_id), encode)
    _device_tokens(tokens, message.device, encode)
    tokens += ("S", encode(message.new_device_token))
    return _line(tokens)


def _e_force_session_termination_reply(
    message: ForceSessionTerminationReply, version: ProtocolVersion
) -> str:
    _require_1_9(version, "FST")
    rid = _check_id(message.request_id)
    if message.error is None:
        return f"{rid}|FST|V\r\n"
    tokens = [rid, "FST"]
    _error_tokens(tokens, message.error, encode_string_smart, version)
    return _line(tokens)


def _e_force_unsubscription_reply(
    message: ForceUnsubscriptionReply, version: ProtocolVersion
) -> str:
    _require_1_9(version, "FUS")
    rid = _check_id(message.request_id)
    if (message.done is None) == (message.error is None):
        raise LocalProtocolError("A ForceUnsubscriptionReply needs exactly one of done, error")
    if message.error is None:
        return f"{rid}|FUS|B|{encode_bool(bool(message.done))}\r\n"
    tokens = [rid, "FUS"]
    _error_tokens(tokens, message.error, encode_string_smart, version)
    return _line(tokens)


_PROXY_ENCODERS: dict[type[Any], Callable[[Any, ProtocolVersion], str]] = {
    Keepalive: _e_keepalive,
    CloseNotice: _e_close,
    DataInitRequest: _e_data_init,
    MetadataInitRequest: _e_metadata_init,
    SubscribeRequest: _e_subscribe,
    UnsubscribeRequest: _e_unsubscribe,
    NotifyUserRequest: _e_notify_user,
    NotifyUserWithPrincipalRequest: _e_notify_user_auth,
    GetItemsRequest: _e_get_items,
    GetSchemaRequest: _e_get_schema,
    GetItemDataRequest: _e_get_item_data,
    GetUserItemDataRequest: _e_get_user_item_data,
    NotifyUserMessageRequest: _e_notify_user_message,
    NotifyNewSessionRequest: _e_notify_new_session,
    NotifySessionCloseRequest: _e_notify_session_close,
    NotifyNewTablesRequest: _e_notify_new_tables,
    NotifyTablesCloseRequest: _e_notify_tables_close,
    MpnDeviceAccessRequest: _e_mpn_device_access,
    MpnSubscriptionActivationRequest: _e_mpn_subscription_activation,
    MpnDeviceTokenChangeRequest: _e_mpn_device_token_change,
    ForceSessionTerminationReply: _e_force_session_termination_reply,
    ForceUnsubscriptionReply: _e_force_unsubscription_reply,
}


def encode_proxy_message(message: ProxyMessage, version: ProtocolVersion = LATEST) -> str:
    """Encode a message sent by the Proxy Adapter (for the simulator and tests).

    Args:
        message: Any :data:`~.messages.ProxyMessage`.
        version: The negotiated version (``MPI``, ``DPI`` and ``CLOSE`` are always
            Backward-Compatibility encoded).

    Returns:
        One line, ``"\\r\\n"`` included.

    Raises:
        LocalProtocolError: The message cannot be sent at this version or holds a value
            ARI cannot carry.
        TypeError: ``message`` is not a Proxy message.
    """
    encoder = _PROXY_ENCODERS.get(type(message))
    if encoder is None:
        raise TypeError(f"Not a message sent by the Proxy Adapter: {message!r}")
    return encoder(message, version)
