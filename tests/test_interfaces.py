"""The 1.3.1 public names and signatures of the interface modules (API-CONTRACT.md §1.3, §1.4)."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from lightstreamer_adapter.interfaces import data, metadata
from lightstreamer_adapter.interfaces.data import DataProvider, DiffAlgorithm, ItemEventListener
from lightstreamer_adapter.interfaces.metadata import (
    ConflictingSessionError,
    CreditsError,
    MetadataProvider,
    Mode,
    MpnDeviceInfo,
    MpnPlatformType,
    MpnSubscriptionInfo,
    SubscriptionStatistics,
    TableInfo,
)

DATA_NAMES_131 = {
    "DataProvider", "ItemEventListener", "DataError", "DataProviderError",
    "SubscribeError", "FailureError",
}
METADATA_NAMES_131 = {
    "MetadataProvider", "Mode", "MpnPlatformType", "MpnDeviceInfo", "MpnSubscriptionInfo",
    "TableInfo", "MetadataError", "MetadataProviderError", "NotificationError",
    "AccessError", "ItemsError", "SchemaError", "CreditsError", "ConflictingSessionError",
}


def test_all_contains_the_131_names_and_the_new_ones() -> None:
    assert set(data.__all__) >= DATA_NAMES_131
    assert {"DiffAlgorithm", "KEY_FIELD", "COMMAND_FIELD", "ADD_COMMAND", "UPDATE_COMMAND",
            "DELETE_COMMAND"} <= set(data.__all__)
    assert set(metadata.__all__) >= METADATA_NAMES_131
    assert {"ResourceUnavailableError", "SubscriptionStatistics",
            "MetadataControlListener"} <= set(metadata.__all__)
    for module in (data, metadata):
        for name in module.__all__:
            assert hasattr(module, name), name


def sig(func: Any) -> str:
    """The signature without annotations: names, kinds and defaults are the contract."""
    params = [
        p.replace(annotation=inspect.Parameter.empty)
        for p in inspect.signature(func).parameters.values()
    ]
    return str(inspect.Signature(params))


DATA_SIGNATURES = {
    (DataProvider, "initialize"): "(self, parameters, config_file=None)",
    (DataProvider, "set_listener"): "(self, event_listener)",
    (DataProvider, "subscribe"): "(self, item_name)",
    (DataProvider, "unsubscribe"): "(self, item_name)",
    (DataProvider, "issnapshot_available"): "(self, item_name)",
    (ItemEventListener, "update"): "(self, item_name, item_event, issnapshot)",
    (ItemEventListener, "end_of_snapshot"): "(self, item_name)",
    (ItemEventListener, "clear_snapshot"): "(self, item_name)",
    (ItemEventListener, "failure"): "(self, exception)",
}


@pytest.mark.parametrize(("owner", "name"), list(DATA_SIGNATURES))
def test_data_signatures(owner: type, name: str) -> None:
    assert sig(getattr(owner, name)) == DATA_SIGNATURES[owner, name]


def test_data_provider_abstract_methods_are_the_131_five() -> None:
    assert DataProvider.__abstractmethods__ == {
        "initialize", "set_listener", "subscribe", "unsubscribe", "issnapshot_available"}
    # declare_field_diff_order is new and optional so old listener subclasses still work.
    assert ItemEventListener.__abstractmethods__ == {"update", "end_of_snapshot", "clear_snapshot"}


METADATA_PARAMS = {
    "initialize": ["parameters", "config_file"],
    "notify_user": ["user", "password", "http_headers"],
    "notify_user_with_principal": ["user", "password", "http_headers", "client_principal"],
    "get_items": ["user", "session_id", "group"],
    "get_schema": ["user", "session_id", "group", "schema"],
    "get_allowed_max_bandwidth": ["user"],
    "get_allowed_max_item_frequency": ["user", "item"],
    "get_allowed_buffer_size": ["user", "item"],
    "ismode_allowed": ["user", "item", "mode"],
    "mode_may_be_allowed": ["item", "mode"],
    "get_min_source_frequency": ["item"],
    "get_distinct_snapshot_length": ["item"],
    "notify_user_message": ["user", "session_id", "message"],
    "notify_new_session": ["user", "session_id", "client_context"],
    "notify_session_close": ["session_id"],
    "wants_tables_notification": ["user"],
    "notify_new_tables": ["user", "session_id", "tables"],
    "notify_tables_close": ["session_id", "tables"],
    "notify_mpn_device_access": ["user", "session_id", "device"],
    "notify_mpn_subscription_activation": ["user", "session_id", "table", "mpn_subscription"],
    "notify_mpn_device_token_change": ["user", "session_id", "device", "new_device_token"],
    # ARI 1.9 additions
    "set_listener": ["listener"],
    "get_session_time_to_live": ["user", "session_id"],
    "enable_table_unsubscription": ["session_id", "tables"],
    "wants_final_table_statistics": ["session_id", "tables"],
}


@pytest.mark.parametrize("name", sorted(METADATA_PARAMS))
def test_metadata_provider_parameter_names(name: str) -> None:
    params = list(inspect.signature(getattr(MetadataProvider, name)).parameters)
    assert params == ["self", *METADATA_PARAMS[name]]


def test_metadata_defaults() -> None:
    p = MetadataProvider()
    assert p.get_items("u", "S", "a  b") == ["a", "", "b"]  # 1.3.1 split(' '), B21 kept
    assert p.get_schema("u", "S", "g", "f1 f2") == ["f1", "f2"]
    assert p.get_allowed_max_bandwidth("u") == 0.0
    assert p.get_allowed_max_item_frequency("u", "i") == 0.0
    assert p.get_allowed_buffer_size("u", "i") == 0
    assert p.ismode_allowed("u", "i", Mode.RAW) is True
    assert p.mode_may_be_allowed("i", Mode.COMMAND) is True
    assert p.get_min_source_frequency("i") == 0.0
    assert p.get_distinct_snapshot_length("i") == 0
    assert p.wants_tables_notification("u") is False
    assert p.get_session_time_to_live("u", "S") == 0
    assert p.enable_table_unsubscription("S", []) is False
    assert p.wants_final_table_statistics("S", []) is False
    with pytest.raises(CreditsError) as info:
        p.notify_user_message("u", "S", "hi")
    assert (info.value.client_error_code, info.value.msg) == (0, "Unsupported function")


def test_notify_user_with_principal_delegates() -> None:
    seen = []

    class P(MetadataProvider):
        def notify_user(self, user: Any, password: Any, http_headers: Any) -> None:
            seen.append((user, password, http_headers))

    P().notify_user_with_principal("u", "p", {"h": "v"}, "CN=x")
    assert seen == [("u", "p", {"h": "v"})]


def test_enum_values_are_wire_letters() -> None:
    assert [m.value for m in Mode] == ["R", "M", "D", "C"]
    assert [m.name for m in Mode] == ["RAW", "MERGE", "DISTINCT", "COMMAND"]
    assert {m.name: m.value for m in MpnPlatformType} == {"APPLE": "A", "GOOGLE": "G"}
    assert {m.name: m.value for m in DiffAlgorithm} == {"JSONPATCH": "J", "DIFF_MATCH_PATCH": "M"}


def test_exception_arguments_and_properties() -> None:
    err = ConflictingSessionError(-5, "msg", "S9", "for client")
    assert (err.client_error_code, err.msg, err.conflicting_session_id, err.client_user_msg) == (
        -5, "msg", "S9", "for client")
    assert str(err) == "msg"
    assert isinstance(err, CreditsError)
    assert CreditsError(0, "m").client_user_msg is None
    assert data.SubscribeError("no").msg == "no"


def test_value_classes_are_hashable_with_repr() -> None:  # bug B19
    device = MpnDeviceInfo(MpnPlatformType.APPLE, "app", "tok")
    assert device == MpnDeviceInfo(MpnPlatformType.APPLE, "app", "tok")
    assert hash(device) == hash(MpnDeviceInfo(MpnPlatformType.APPLE, "app", "tok"))
    assert device.mpn_platform_type is MpnPlatformType.APPLE
    assert "app" in repr(device)
    table = TableInfo(1, Mode.MERGE, "g", "s", 1, 2, subscribed_items=["a", "b"],
                      subscription_statistics=[SubscriptionStatistics(1, 2, 3)])
    assert {table: 1}[TableInfo(1, Mode.MERGE, "g", "s", 1, 2, subscribed_items=["a", "b"],
                                subscription_statistics=[SubscriptionStatistics(1, 2, 3)])] == 1
    assert (table.win_index, table.mode, table.group, table.schema, table.min, table.max,
            table.selector, table.data_adapter) == (1, Mode.MERGE, "g", "s", 1, 2, None, None)
    assert table.subscribed_items == ["a", "b"]
    assert repr(table).startswith("TableInfo(win_index=1, mode=<Mode.MERGE")
    assert table != TableInfo(2, Mode.MERGE, "g", "s", 1, 2)
    sub = MpnSubscriptionInfo(device, "{}", None)
    assert sub == MpnSubscriptionInfo(device, "{}", None)
    assert (sub.device, sub.notification_format, sub.trigger) == (device, "{}", None)
