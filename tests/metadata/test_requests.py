"""Sans-IO Metadata request handling: adapter call order, replies, errors, coercion.

ARI-PROTOCOL.md §5.14-§5.27, §3.10; checklist items 55-73; bugs B2, B8, B13.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from lightstreamer_adapter._metadata_requests import (
    METADATA_REQUEST_TYPES,
    handle_request,
    ordering_key,
)
from lightstreamer_adapter.interfaces.metadata import (
    AccessError,
    ConflictingSessionError,
    CreditsError,
    ItemsError,
    MetadataProvider,
    MetadataProviderError,
    Mode,
    MpnDeviceInfo,
    MpnPlatformType,
    MpnSubscriptionInfo,
    NotificationError,
    ResourceUnavailableError,
    SchemaError,
    SubscriptionStatistics,
    TableInfo,
)
from lightstreamer_adapter.protocol.messages import (
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
    Request,
    SubscribeRequest,
    VoidReply,
)
from lightstreamer_adapter.protocol.versions import V1_8_2, V1_8_3, V1_9_0, V1_9_1

K = ErrorKind
V19 = V1_9_1
ALL_MODES = (Mode.RAW, Mode.MERGE, Mode.DISTINCT, Mode.COMMAND)
SESSION = "S8f3da29cfc463220T5454537"


def table(win: int = 1, items: tuple[str, ...] | None = ("item1", "item2")) -> TableInfo:
    return TableInfo(
        win,
        Mode.MERGE,
        "item1 item2",
        "last_price time",
        1,
        2,
        None,
        "QUOTES",
        list(items) if items is not None else None,
    )


DEVICE = MpnDeviceInfo(MpnPlatformType.APPLE, "com.example.app", "token1")


def sample_requests() -> list[Request]:
    """One request of every Metadata kind."""
    return [
        NotifyUserRequest("r1", "user", "pw", {"host": "h"}),
        NotifyUserWithPrincipalRequest("r2", "user", "pw", "CN=x", {"host": "h"}),
        GetItemsRequest("r3", "user", "a b", SESSION),
        GetSchemaRequest("r4", "user", "a b", "f1 f2", SESSION),
        GetItemDataRequest("r5", ("a", "b")),
        GetUserItemDataRequest("r6", "user", ("a",)),
        NotifyUserMessageRequest("r7", "user", SESSION, "hello"),
        NotifyNewSessionRequest("r8", "user", SESSION, {"REMOTE_IP": "192.0.2.1"}),
        NotifySessionCloseRequest("r9", SESSION),
        NotifyNewTablesRequest("r10", "user", SESSION, (table(),)),
        NotifyTablesCloseRequest("r11", SESSION, (table(),)),
        MpnDeviceAccessRequest("r12", "user", SESSION, DEVICE),
        MpnSubscriptionActivationRequest(
            "r13", "user", SESSION, table(), MpnSubscriptionInfo(DEVICE, "{}", None)
        ),
        MpnDeviceTokenChangeRequest("r14", "user", SESSION, DEVICE, "token2"),
    ]


def test_every_metadata_request_kind_is_handled(recording_adapter: Any) -> None:
    requests = sample_requests()
    assert {type(r) for r in requests} == set(METADATA_REQUEST_TYPES)
    for request in requests:
        reply = handle_request(recording_adapter(), request, V19)
        assert reply.request_id == request.request_id  # type: ignore[union-attr]


def test_non_metadata_request_is_a_caller_bug(recording_adapter: Any) -> None:
    with pytest.raises(TypeError):
        handle_request(recording_adapter(), SubscribeRequest("x", "item"), V19)


# ---------------------------------------------------------------------------- defaults


@pytest.mark.parametrize("version", [V1_8_2, V1_8_3, V1_9_0, V1_9_1])
def test_plain_metadata_provider_defaults(version: Any) -> None:
    """The 1.3.1 defaults (API-CONTRACT §1.4) through a plain MetadataProvider."""
    adapter = MetadataProvider()
    replies = {type(r).__name__: handle_request(adapter, r, version) for r in sample_requests()}
    assert replies["NotifyUserRequest"] == NotifyUserReply("r1", Method.NUS, 0.0, False)
    assert replies["NotifyUserWithPrincipalRequest"] == NotifyUserReply(
        "r2", Method.NUA, 0.0, False
    )
    assert replies["GetItemsRequest"] == GetItemsReply("r3", ("a", "b"))
    assert replies["GetSchemaRequest"] == GetSchemaReply("r4", ("f1", "f2"))
    assert replies["GetItemDataRequest"] == GetItemDataReply(
        "r5", (ItemData(0, 0.0, ALL_MODES), ItemData(0, 0.0, ALL_MODES))
    )
    assert replies["GetUserItemDataRequest"] == GetUserItemDataReply(
        "r6", (ItemData(0, 0.0, ALL_MODES),)
    )
    # NUM is refused by default: EC|Unsupported function|0|#
    assert replies["NotifyUserMessageRequest"] == ErrorReply(
        "r7", Method.NUM, ErrorInfo(K.CREDITS, "Unsupported function", 0, None)
    )
    assert replies["NotifyNewSessionRequest"] == NotifyNewSessionReply("r8", None)
    assert replies["NotifySessionCloseRequest"] == VoidReply("r9", Method.NSC)
    assert replies["NotifyNewTablesRequest"] == NotifyNewTablesReply("r10", None)
    assert replies["NotifyTablesCloseRequest"] == VoidReply("r11", Method.NTC)
    assert replies["MpnDeviceAccessRequest"] == VoidReply("r12", Method.MDA)
    assert replies["MpnSubscriptionActivationRequest"] == VoidReply("r13", Method.MSA)
    assert replies["MpnDeviceTokenChangeRequest"] == VoidReply("r14", Method.MDC)


def test_default_get_items_keeps_1_3_1_split_on_single_spaces() -> None:
    reply = handle_request(MetadataProvider(), GetItemsRequest("g", "u", "a  b", "S"), V19)
    assert reply == GetItemsReply("g", ("a", "", "b"))


# ---------------------------------------------------------------------------- NUS / NUA


def test_notify_user_call_order_and_reply(recording_adapter: Any) -> None:
    adapter = recording_adapter(get_allowed_max_bandwidth=12.34, wants_tables_notification=True)
    request = NotifyUserRequest("FAKEID", "user", "password", {"h1": "v 1", "h2": None})
    reply = handle_request(adapter, request, V19)
    assert reply == NotifyUserReply("FAKEID", Method.NUS, 12.34, True)
    assert adapter.calls == [
        ("notify_user", ("user", "password", {"h1": "v 1", "h2": None})),
        ("get_allowed_max_bandwidth", ("user",)),
        ("wants_tables_notification", ("user",)),
    ]
    assert type(adapter.calls[0][1][2]) is dict


def test_notify_user_with_principal_delegates_by_default(recording_adapter: Any) -> None:
    adapter = recording_adapter()
    request = NotifyUserWithPrincipalRequest("ID", None, None, "CN=x", {})
    reply = handle_request(adapter, request, V19)
    assert reply == NotifyUserReply("ID", Method.NUA, 0.0, False)
    assert adapter.names() == [
        "notify_user_with_principal",
        "notify_user",
        "get_allowed_max_bandwidth",
        "wants_tables_notification",
    ]
    assert adapter.calls[0][1] == (None, None, {}, "CN=x")


class MyAccess(AccessError):
    pass


class MyUnavailable(ResourceUnavailableError):
    pass


class MyCredits(CreditsError):
    pass


@pytest.mark.parametrize(
    ("exc", "version", "expected"),
    [
        (AccessError("no"), V19, ErrorInfo(K.ACCESS, "no")),
        (MyAccess("sub"), V19, ErrorInfo(K.ACCESS, "sub")),  # B8
        (ResourceUnavailableError("busy"), V19, ErrorInfo(K.RESOURCE_UNAVAILABLE, "busy")),
        (MyUnavailable("busy"), V1_9_0, ErrorInfo(K.RESOURCE_UNAVAILABLE, "busy")),
        (ResourceUnavailableError("busy"), V1_8_3, ErrorInfo(K.ACCESS, "busy")),
        (
            CreditsError(-1, "A Message", "for client"),
            V19,
            ErrorInfo(K.CREDITS, "A Message", -1, "for client"),
        ),
        (MyCredits(10, "m"), V19, ErrorInfo(K.CREDITS, "m", 10, None)),
        # ConflictingSessionError is only EX in NNS; elsewhere it is a CreditsError.
        (ConflictingSessionError(-2, "c", "S1", "u"), V19, ErrorInfo(K.CREDITS, "c", -2, "u")),
        (NotificationError("n"), V19, ErrorInfo(K.GENERIC, "n")),
        (ItemsError("i"), V19, ErrorInfo(K.GENERIC, "i")),
        (ValueError("boom"), V19, ErrorInfo(K.GENERIC, "boom")),
    ],
)
@pytest.mark.parametrize(
    "failing", ["notify_user", "get_allowed_max_bandwidth", "wants_tables_notification"]
)
def test_notify_user_errors(
    recording_adapter: Any, exc: Exception, version: Any, expected: ErrorInfo, failing: str
) -> None:
    for request in (
        NotifyUserRequest("ID", "u", "p", {}),
        NotifyUserWithPrincipalRequest("ID", "u", "p", None, {}),
    ):
        adapter = recording_adapter(**{failing: exc})
        reply = handle_request(adapter, request, version)
        assert reply == ErrorReply("ID", request.METHOD, expected)


# ------------------------------------------------------------------ return value coercion


@pytest.mark.parametrize(
    ("value", "sent"),
    [(0, 0.0), (12, 12.0), (12.5, 12.5), (Decimal("1.5"), 1.5), (Fraction(1, 4), 0.25)],
)
def test_bandwidth_accepts_any_real_number(
    recording_adapter: Any, value: Any, sent: float
) -> None:
    adapter = recording_adapter(get_allowed_max_bandwidth=value)
    reply = handle_request(adapter, NotifyUserRequest("ID", "u", "p", {}), V19)
    assert reply == NotifyUserReply("ID", Method.NUS, sent, False)
    assert type(reply.max_bandwidth) is float  # type: ignore[union-attr]


@pytest.mark.parametrize("value", [None, "12", True, float("nan"), float("inf"), [1], 1j])
def test_unusable_bandwidth_is_an_error_reply_and_a_log_line(
    recording_adapter: Any, value: Any, caplog: pytest.LogCaptureFixture
) -> None:
    adapter = recording_adapter(get_allowed_max_bandwidth=value)
    with caplog.at_level(logging.ERROR):
        reply = handle_request(adapter, NotifyUserRequest("ID", "u", "p", {}), V19)
    assert isinstance(reply, ErrorReply)
    assert reply.error.kind is K.GENERIC
    assert "get_allowed_max_bandwidth" in (reply.error.message or "")
    assert "get_allowed_max_bandwidth" in caplog.text
    assert "ID" in caplog.text


@pytest.mark.parametrize(("value", "sent"), [(True, True), (False, False), (1, True), (0, False)])
def test_wants_tables_notification_accepts_bool_like(
    recording_adapter: Any, value: Any, sent: bool
) -> None:
    adapter = recording_adapter(wants_tables_notification=value)
    reply = handle_request(adapter, NotifyUserRequest("ID", "u", "p", {}), V19)
    assert reply == NotifyUserReply("ID", Method.NUS, 0.0, sent)


@pytest.mark.parametrize("value", [None, "yes", 2, 0.0, []])
def test_wants_tables_notification_rejects_the_rest(
    recording_adapter: Any, value: Any, caplog: pytest.LogCaptureFixture
) -> None:
    adapter = recording_adapter(wants_tables_notification=value)
    with caplog.at_level(logging.ERROR):
        reply = handle_request(adapter, NotifyUserRequest("ID", "u", "p", {}), V19)
    assert isinstance(reply, ErrorReply) and reply.error.kind is K.GENERIC
    assert "wants_tables_notification" in caplog.text


# --------------------------------------------------------------------------- GIS / GSC


def test_get_items_argument_order_and_reply(recording_adapter: Any) -> None:
    adapter = recording_adapter(get_items=["Item 1", None, "Item 2"])
    reply = handle_request(adapter, GetItemsRequest("FAKEID", "user", "group", "SESS"), V19)
    assert reply == GetItemsReply("FAKEID", ("Item 1", None, "Item 2"))
    assert adapter.calls == [("get_items", ("user", "SESS", "group"))]


def test_get_schema_argument_order_and_reply(recording_adapter: Any) -> None:
    adapter = recording_adapter(get_schema=iter(["Field 1", "Field 2"]))
    request = GetSchemaRequest("FAKEID", "user", "group", "schema", "SESS")
    assert handle_request(adapter, request, V19) == GetSchemaReply(
        "FAKEID", ("Field 1", "Field 2")
    )
    assert adapter.calls == [("get_schema", ("user", "SESS", "group", "schema"))]


@pytest.mark.parametrize("value", [None, [], ()])
def test_empty_names_give_a_bare_reply_and_a_warning(
    recording_adapter: Any, value: Any, caplog: pytest.LogCaptureFixture
) -> None:
    adapter = recording_adapter(get_items=value, get_schema=value)
    with caplog.at_level(logging.WARNING):
        assert handle_request(adapter, GetItemsRequest("a", "u", "g", "S"), V19) == GetItemsReply(
            "a", ()
        )
        assert handle_request(
            adapter, GetSchemaRequest("b", "u", "g", "s", "S"), V19
        ) == GetSchemaReply("b", ())
    assert "None or empty field list from get_items for group 'g'" in caplog.text
    assert "get_schema" in caplog.text


@pytest.mark.parametrize("value", ["item1", b"item1", 5, ["ok", 3]])
def test_unusable_names_are_an_error(recording_adapter: Any, value: Any) -> None:
    adapter = recording_adapter(get_items=value)
    reply = handle_request(adapter, GetItemsRequest("a", "u", "g", "S"), V19)
    assert isinstance(reply, ErrorReply) and reply.error.kind is K.GENERIC
    assert "get_items" in (reply.error.message or "")


@pytest.mark.parametrize(
    ("method", "exc", "kind"),
    [
        ("get_items", ItemsError("Empty User"), K.ITEMS),
        ("get_items", SchemaError("s"), K.GENERIC),
        ("get_items", CreditsError(1, "c"), K.GENERIC),
        ("get_schema", ItemsError("i"), K.ITEMS),
        ("get_schema", SchemaError("A Message"), K.SCHEMA),
        ("get_schema", RuntimeError("x"), K.GENERIC),
    ],
)
def test_items_and_schema_errors(
    recording_adapter: Any, method: str, exc: Exception, kind: ErrorKind
) -> None:
    adapter = recording_adapter(**{method: exc})
    request: Request
    if method == "get_items":
        request = GetItemsRequest("ID", "u", "g", "S")
    else:
        request = GetSchemaRequest("ID", "u", "g", "s", "S")
    reply = handle_request(adapter, request, V19)
    assert reply == ErrorReply("ID", request.METHOD, ErrorInfo(kind, str(exc)))


# --------------------------------------------------------------------------- GIT / GUI


def test_get_item_data_call_order_and_modes(recording_adapter: Any) -> None:
    allowed = {("i1", Mode.RAW), ("i1", Mode.MERGE), ("i2", Mode.DISTINCT)}
    adapter = recording_adapter(
        mode_may_be_allowed=lambda item, mode: (item, mode) in allowed,
        get_distinct_snapshot_length=lambda item: {"i1": 10, "i2": 5, "i3": 0}[item],
        get_min_source_frequency=lambda item: {"i1": 0.5, "i2": 0, "i3": 0.0}[item],
    )
    reply = handle_request(adapter, GetItemDataRequest("FAKEID", ("i1", "i2", "i3")), V19)
    assert reply == GetItemDataReply(
        "FAKEID",
        (
            ItemData(10, 0.5, (Mode.RAW, Mode.MERGE)),
            ItemData(5, 0.0, (Mode.DISTINCT,)),
            ItemData(0, 0.0, ()),
        ),
    )
    per_item = [
        ("mode_may_be_allowed", ("i1", Mode.RAW)),
        ("mode_may_be_allowed", ("i1", Mode.MERGE)),
        ("mode_may_be_allowed", ("i1", Mode.DISTINCT)),
        ("mode_may_be_allowed", ("i1", Mode.COMMAND)),
        ("get_distinct_snapshot_length", ("i1",)),
        ("get_min_source_frequency", ("i1",)),
    ]
    assert adapter.calls[:6] == per_item
    assert len(adapter.calls) == 18


def test_get_user_item_data_call_order(recording_adapter: Any) -> None:
    adapter = recording_adapter(
        ismode_allowed=lambda user, item, mode: mode is Mode.MERGE or None,
        get_allowed_buffer_size=30,
        get_allowed_max_item_frequency=3,
    )
    reply = handle_request(adapter, GetUserItemDataRequest("FAKEID", "user", ("item 1",)), V19)
    # mode checks go by truth value, as in 1.3.1 (None = not allowed)
    assert reply == GetUserItemDataReply("FAKEID", (ItemData(30, 3.0, (Mode.MERGE,)),))
    assert adapter.names() == ["ismode_allowed"] * 4 + [
        "get_allowed_buffer_size",
        "get_allowed_max_item_frequency",
    ]
    assert adapter.calls[0][1] == ("user", "item 1", Mode.RAW)


def test_no_items_give_empty_replies(recording_adapter: Any) -> None:
    adapter = recording_adapter()
    assert handle_request(adapter, GetItemDataRequest("a"), V19) == GetItemDataReply("a", ())
    assert handle_request(adapter, GetUserItemDataRequest("b", "u"), V19) == GetUserItemDataReply(
        "b", ()
    )
    assert adapter.calls == []


@pytest.mark.parametrize(
    ("answers", "method"),
    [
        ({"get_distinct_snapshot_length": 10.0}, None),  # integral float accepted
        ({"get_distinct_snapshot_length": 10.5}, "get_distinct_snapshot_length"),
        ({"get_distinct_snapshot_length": "10"}, "get_distinct_snapshot_length"),
        ({"get_distinct_snapshot_length": 1 << 31}, "get_distinct_snapshot_length"),
        ({"get_distinct_snapshot_length": None}, "get_distinct_snapshot_length"),
        ({"get_min_source_frequency": None}, "get_min_source_frequency"),
        ({"get_min_source_frequency": float("-inf")}, "get_min_source_frequency"),
        ({"get_allowed_buffer_size": False}, "get_allowed_buffer_size"),
        ({"get_allowed_buffer_size": 1.0}, None),
        ({"get_allowed_max_item_frequency": "3"}, "get_allowed_max_item_frequency"),
    ],
)
def test_item_data_coercion(
    recording_adapter: Any, answers: dict[str, Any], method: str | None
) -> None:
    adapter = recording_adapter(**answers)
    for request in (GetItemDataRequest("ID", ("a",)), GetUserItemDataRequest("ID", "u", ("a",))):
        reply = handle_request(adapter, request, V19)
        relevant = any(name in answers for name in _ADAPTER_METHODS[type(request)])
        if method is not None and relevant:
            assert isinstance(reply, ErrorReply) and reply.error.kind is K.GENERIC
            assert method in (reply.error.message or "")
        else:
            assert not isinstance(reply, ErrorReply)


_ADAPTER_METHODS: dict[type[Request], tuple[str, ...]] = {
    GetItemDataRequest: ("get_distinct_snapshot_length", "get_min_source_frequency"),
    GetUserItemDataRequest: ("get_allowed_buffer_size", "get_allowed_max_item_frequency"),
}


@pytest.mark.parametrize("exc", [ItemsError("x"), CreditsError(0, "c"), KeyError("k")])
def test_item_data_errors_are_always_generic(recording_adapter: Any, exc: Exception) -> None:
    adapter = recording_adapter(mode_may_be_allowed=exc, ismode_allowed=exc)
    for request in (GetItemDataRequest("ID", ("a",)), GetUserItemDataRequest("ID", "u", ("a",))):
        reply = handle_request(adapter, request, V19)
        assert isinstance(reply, ErrorReply)
        assert reply.error.kind is K.GENERIC


# --------------------------------------------------------------------------------- NUM


def test_notify_user_message(recording_adapter: Any) -> None:
    adapter = recording_adapter(notify_user_message=None)
    request = NotifyUserMessageRequest("FAKEID", "user", "SESS", "This is a message")
    assert handle_request(adapter, request, V19) == VoidReply("FAKEID", Method.NUM)
    assert adapter.calls == [("notify_user_message", ("user", "SESS", "This is a message"))]


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (
            CreditsError(4, "CreditsError", "clientErrorMsg"),
            ErrorInfo(K.CREDITS, "CreditsError", 4, "clientErrorMsg"),
        ),
        (NotificationError("n"), ErrorInfo(K.NOTIFICATION, "n")),
        (AccessError("a"), ErrorInfo(K.GENERIC, "a")),
    ],
)
def test_notify_user_message_errors(
    recording_adapter: Any, exc: Exception, expected: ErrorInfo
) -> None:
    adapter = recording_adapter(notify_user_message=exc)
    request = NotifyUserMessageRequest("ID", "u", "S", "m")
    assert handle_request(adapter, request, V19) == ErrorReply("ID", Method.NUM, expected)


# --------------------------------------------------------------------------------- NNS


@pytest.mark.parametrize(
    ("ttl", "reply_ttl"),
    [
        (0, None),
        (None, None),
        (-5, None),
        (3600, 3600),
        (60.0, 60),
        (True, "error"),
        ("60", "error"),
    ],
)
def test_new_session_ttl_in_1_9(recording_adapter: Any, ttl: Any, reply_ttl: Any) -> None:
    adapter = recording_adapter(get_session_time_to_live=ttl)
    request = NotifyNewSessionRequest(
        "FAKEID", "user", "SESS", {"prop1": "val1", "CLIENT_TYPE": None}
    )
    reply = handle_request(adapter, request, V19)
    if reply_ttl == "error":
        assert isinstance(reply, ErrorReply) and reply.error.kind is K.GENERIC
        assert "get_session_time_to_live" in (reply.error.message or "")
    else:
        assert reply == NotifyNewSessionReply("FAKEID", reply_ttl)
    assert adapter.calls == [
        ("notify_new_session", ("user", "SESS", {"prop1": "val1", "CLIENT_TYPE": None})),
        ("get_session_time_to_live", ("user", "SESS")),
    ]


@pytest.mark.parametrize("version", [V1_8_2, V1_8_3])
def test_new_session_in_1_8_is_always_void(recording_adapter: Any, version: Any) -> None:
    adapter = recording_adapter(get_session_time_to_live=3600)
    reply = handle_request(adapter, NotifyNewSessionRequest("ID", "u", "S", {}), version)
    assert reply == NotifyNewSessionReply("ID", None)
    assert adapter.names() == ["notify_new_session"]


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (
            ConflictingSessionError(-1, "A Message", "SXXX", "Message for client"),
            ErrorInfo(K.CONFLICTING_SESSION, "A Message", -1, "Message for client", "SXXX"),
        ),
        (
            ConflictingSessionError(11, "ConflictingSessionError", "conflictingSessionID"),
            ErrorInfo(
                K.CONFLICTING_SESSION, "ConflictingSessionError", 11, None, "conflictingSessionID"
            ),
        ),
        (CreditsError(-1, "c", "u"), ErrorInfo(K.CREDITS, "c", -1, "u")),
        (NotificationError("A Message"), ErrorInfo(K.NOTIFICATION, "A Message")),
        (AccessError("a"), ErrorInfo(K.GENERIC, "a")),
        (ZeroDivisionError("z"), ErrorInfo(K.GENERIC, "z")),
    ],
)
def test_new_session_errors(recording_adapter: Any, exc: Exception, expected: ErrorInfo) -> None:
    adapter = recording_adapter(notify_new_session=exc)
    reply = handle_request(adapter, NotifyNewSessionRequest("ID", "u", "S", {}), V19)
    assert reply == ErrorReply("ID", Method.NNS, expected)
    assert adapter.names() == ["notify_new_session"]  # no TTL asked after a refusal


def test_ttl_exception_is_mapped_like_notify_new_session(recording_adapter: Any) -> None:
    adapter = recording_adapter(get_session_time_to_live=CreditsError(-3, "later"))
    reply = handle_request(adapter, NotifyNewSessionRequest("ID", "u", "S", {}), V19)
    assert reply == ErrorReply("ID", Method.NNS, ErrorInfo(K.CREDITS, "later", -3, None))


# --------------------------------------------------------------------------------- NSC


def test_session_close(recording_adapter: Any) -> None:
    adapter = recording_adapter()
    assert handle_request(
        adapter, NotifySessionCloseRequest("FAKEID", "FAKESESSID"), V19
    ) == VoidReply("FAKEID", Method.NSC)
    assert adapter.calls == [("notify_session_close", ("FAKESESSID",))]


@pytest.mark.parametrize(
    ("exc", "kind"),
    [(NotificationError("Empty SessionId"), K.NOTIFICATION), (CreditsError(0, "c"), K.GENERIC)],
)
def test_session_close_errors(recording_adapter: Any, exc: Exception, kind: ErrorKind) -> None:
    adapter = recording_adapter(notify_session_close=exc)
    reply = handle_request(adapter, NotifySessionCloseRequest("ID", "S"), V19)
    assert reply == ErrorReply("ID", Method.NSC, ErrorInfo(kind, str(exc)))


# ---------------------------------------------------------------------------- NNT / NTC


@pytest.mark.parametrize(
    ("unsub", "stats", "flags"),
    [
        (False, False, None),
        (True, False, (True, False)),
        (False, True, (False, True)),
        (True, True, (True, True)),
        (1, 0, (True, False)),
    ],
)
def test_new_tables_flags_in_1_9(
    recording_adapter: Any, unsub: Any, stats: Any, flags: Any
) -> None:
    adapter = recording_adapter(
        enable_table_unsubscription=unsub, wants_final_table_statistics=stats
    )
    tables = (table(),)
    reply = handle_request(adapter, NotifyNewTablesRequest("f0", "user1", SESSION, tables), V19)
    assert reply == NotifyNewTablesReply("f0", flags)
    assert adapter.calls == [
        ("notify_new_tables", ("user1", SESSION, [table()])),
        ("enable_table_unsubscription", (SESSION, [table()])),
        ("wants_final_table_statistics", (SESSION, [table()])),
    ]
    assert type(adapter.calls[0][1][2]) is list


def test_new_tables_unsubscription_only_asked_for_a_single_table(recording_adapter: Any) -> None:
    adapter = recording_adapter(
        enable_table_unsubscription=True, wants_final_table_statistics=False
    )
    request = NotifyNewTablesRequest("f0", None, SESSION, (table(1), table(2)))
    assert handle_request(adapter, request, V19) == NotifyNewTablesReply("f0", None)
    assert adapter.names() == ["notify_new_tables", "wants_final_table_statistics"]


@pytest.mark.parametrize("version", [V1_8_2, V1_8_3])
def test_new_tables_in_1_8_is_always_void(recording_adapter: Any, version: Any) -> None:
    adapter = recording_adapter(
        enable_table_unsubscription=True, wants_final_table_statistics=True
    )
    reply = handle_request(adapter, NotifyNewTablesRequest("f0", None, "S", (table(),)), version)
    assert reply == NotifyNewTablesReply("f0", None)
    assert adapter.names() == ["notify_new_tables"]


@pytest.mark.parametrize(
    ("failing", "exc", "expected"),
    [
        (
            "notify_new_tables",
            CreditsError(10, "CreditsError", "clientErrorMsg"),
            ErrorInfo(K.CREDITS, "CreditsError", 10, "clientErrorMsg"),
        ),
        (
            "notify_new_tables",
            ConflictingSessionError(1, "c", "S2"),
            ErrorInfo(K.CREDITS, "c", 1, None),
        ),
        ("notify_new_tables", NotificationError("n"), ErrorInfo(K.NOTIFICATION, "n")),
        ("notify_new_tables", ItemsError("i"), ErrorInfo(K.GENERIC, "i")),
        ("enable_table_unsubscription", RuntimeError("r"), ErrorInfo(K.GENERIC, "r")),
        ("wants_final_table_statistics", NotificationError("n"), ErrorInfo(K.NOTIFICATION, "n")),
    ],
)
def test_new_tables_errors(
    recording_adapter: Any, failing: str, exc: Exception, expected: ErrorInfo
) -> None:
    adapter = recording_adapter(**{failing: exc})
    reply = handle_request(adapter, NotifyNewTablesRequest("ID", "u", "S", (table(),)), V19)
    assert reply == ErrorReply("ID", Method.NNT, expected)


@pytest.mark.parametrize("method", ["enable_table_unsubscription", "wants_final_table_statistics"])
@pytest.mark.parametrize("value", [None, "true", 2])
def test_new_tables_unusable_flags(
    recording_adapter: Any, method: str, value: Any, caplog: pytest.LogCaptureFixture
) -> None:
    adapter = recording_adapter(**{method: value})
    with caplog.at_level(logging.ERROR):
        reply = handle_request(adapter, NotifyNewTablesRequest("ID", "u", "S", (table(),)), V19)
    assert isinstance(reply, ErrorReply) and method in (reply.error.message or "")
    assert method in caplog.text


def test_tables_close_with_statistics_and_without_tables(recording_adapter: Any) -> None:
    adapter = recording_adapter()
    stats = [SubscriptionStatistics(120, 0, 15), SubscriptionStatistics(98, 0, 3)]
    closed = TableInfo(1, Mode.MERGE, "g", "s", 1, 2, None, "QUOTES", ["item1", "item2"], stats)
    assert handle_request(
        adapter, NotifyTablesCloseRequest("f1", SESSION, (closed,)), V19
    ) == VoidReply("f1", Method.NTC)
    assert handle_request(adapter, NotifyTablesCloseRequest("f2", SESSION, ()), V19) == VoidReply(
        "f2", Method.NTC
    )
    assert adapter.calls == [
        ("notify_tables_close", (SESSION, [closed])),
        ("notify_tables_close", (SESSION, [])),
    ]


@pytest.mark.parametrize(
    ("exc", "kind"), [(NotificationError("n"), K.NOTIFICATION), (CreditsError(0, "c"), K.GENERIC)]
)
def test_tables_close_errors(recording_adapter: Any, exc: Exception, kind: ErrorKind) -> None:
    adapter = recording_adapter(notify_tables_close=exc)
    reply = handle_request(adapter, NotifyTablesCloseRequest("ID", "S", (table(),)), V19)
    assert reply == ErrorReply("ID", Method.NTC, ErrorInfo(kind, str(exc)))


# --------------------------------------------------------------------------------- MPN


def test_mpn_requests_call_the_adapter(recording_adapter: Any) -> None:
    adapter = recording_adapter()
    requests = [r for r in sample_requests() if r.METHOD in (Method.MDA, Method.MSA, Method.MDC)]
    for request in requests:
        assert handle_request(adapter, request, V19) == VoidReply(
            request.request_id, request.METHOD
        )
    subscription = MpnSubscriptionInfo(DEVICE, "{}", None)
    assert adapter.calls == [
        ("notify_mpn_device_access", ("user", SESSION, DEVICE)),
        ("notify_mpn_subscription_activation", ("user", SESSION, table(), subscription)),
        ("notify_mpn_device_token_change", ("user", SESSION, DEVICE, "token2")),
    ]


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (
            CreditsError(-1, "A Message", "Message for client"),
            ErrorInfo(K.CREDITS, "A Message", -1, "Message for client"),
        ),
        (NotificationError("n"), ErrorInfo(K.NOTIFICATION, "n")),
        (MetadataProviderError("m"), ErrorInfo(K.GENERIC, "m")),
    ],
)
def test_mpn_errors(recording_adapter: Any, exc: Exception, expected: ErrorInfo) -> None:
    adapter = recording_adapter(
        notify_mpn_device_access=exc,
        notify_mpn_subscription_activation=exc,
        notify_mpn_device_token_change=exc,
    )
    requests = [r for r in sample_requests() if r.METHOD in (Method.MDA, Method.MSA, Method.MDC)]
    for request in requests:
        assert handle_request(adapter, request, V19) == ErrorReply(
            request.request_id, request.METHOD, expected
        )


# ---------------------------------------------------------------------- exceptions, logs


class Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no str")


def test_exception_whose_str_fails_still_gets_a_reply(recording_adapter: Any) -> None:
    adapter = recording_adapter(notify_session_close=Unprintable())
    reply = handle_request(adapter, NotifySessionCloseRequest("ID", "S"), V19)
    assert reply == ErrorReply("ID", Method.NSC, ErrorInfo(K.GENERIC, "Unprintable"))


def test_refusals_log_quietly_bugs_log_errors(
    recording_adapter: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="lightstreamer-adapter"):
        handle_request(
            recording_adapter(notify_user=AccessError("bad password")),
            NotifyUserRequest("r1", "u", "p", {}),
            V19,
        )
        handle_request(
            recording_adapter(notify_user=KeyError("oops")),
            NotifyUserRequest("r2", "u", "p", {}),
            V19,
        )
    levels = {r.getMessage().split()[2]: r.levelno for r in caplog.records}
    assert levels == {"r1": logging.DEBUG, "r2": logging.ERROR}
    error = next(r for r in caplog.records if r.levelno == logging.ERROR)
    assert error.exc_info is not None and "NUS" in error.getMessage()


def test_custom_logger(recording_adapter: Any, caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("tests.metadata.custom")
    with caplog.at_level(logging.ERROR, logger="tests.metadata.custom"):
        handle_request(
            recording_adapter(notify_session_close=ValueError("v")),
            NotifySessionCloseRequest("ID", "S"),
            V19,
            logger,
        )
    assert [r.name for r in caplog.records] == ["tests.metadata.custom"]


# ---------------------------------------------------------------------------- ordering


def test_ordering_key() -> None:
    keys = {r.METHOD: ordering_key(r) for r in sample_requests()}
    free = {Method.NUS, Method.NUA, Method.GIT, Method.GUI}
    assert {m for m, k in keys.items() if k is None} == free
    assert all(k == SESSION for m, k in keys.items() if m not in free)
    assert ordering_key(NotifySessionCloseRequest("x", None)) is None
