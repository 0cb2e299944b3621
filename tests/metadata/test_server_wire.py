"""MetadataProviderServer over a real socket: every request and error form, exact lines.

The simulated Proxy sends the request lines of ARI-PROTOCOL.md §5.13-§5.27 as they are
and the tests compare the reply lines byte for byte (checklist items 55-73, 91, 92).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from lightstreamer_adapter.interfaces.metadata import (
    AccessError,
    ConflictingSessionError,
    CreditsError,
    ItemsError,
    MetadataProvider,
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
from lightstreamer_adapter.server import MetadataProviderServer
from lightstreamer_adapter.testing import MetadataProxySimulator

Serve = Callable[..., MetadataProviderServer]
SESSION = "S8f3da29cfc463220T5454537"


def exchange(proxy: MetadataProxySimulator, line: str) -> str:
    """Send one raw request line and return the next line written by the adapter."""
    proxy.send_raw(line)
    return proxy.expect_line()


# ------------------------------------------------------------------------- ARI 1.9.1


def test_notify_user_1_9(
    proxy: MetadataProxySimulator, serve: Serve, recording_adapter: Any
) -> None:
    adapter = recording_adapter(get_allowed_max_bandwidth=12.34, wants_tables_notification=True)
    serve(adapter)
    assert (
        exchange(proxy, "FAKEID|NUS|S|user|S|password|S|header1|S|value 1|S|header2|S|value 2")
        == "FAKEID|NUS|D|12.34|B|1"
    )
    assert adapter.calls[-3][1] == (
        "user",
        "password",
        {"header1": "value 1", "header2": "value 2"},
    )
    line = (
        "FAKEID|NUS|S|user|S|password|S|header %0D|S|value 𩥪|S|header $|S|%23"
        "|S|header %2B|S|value Ȭ|S|header %7C|S|value €"
    )
    assert exchange(proxy, line) == "FAKEID|NUS|D|12.34|B|1"
    assert adapter.calls[-3][1][2] == {
        "header \r": "value 𩥪",
        "header $": "#",
        "header +": "value Ȭ",
        "header |": "value €",
    }


def test_notify_user_with_principal_1_9(
    proxy: MetadataProxySimulator, serve: Serve, recording_adapter: Any
) -> None:
    adapter = recording_adapter(get_allowed_max_bandwidth=12.34, wants_tables_notification=1)
    serve(adapter)
    line = "FAKEID|NUA|S|user|S|password|S|principal|S|header1|S|value 1|S|header2|S|value 2"
    assert exchange(proxy, line) == "FAKEID|NUA|D|12.34|B|1"
    assert adapter.calls[0] == (
        "notify_user_with_principal",
        ("user", "password", {"header1": "value 1", "header2": "value 2"}, "principal"),
    )
    adapter.answers["notify_user_with_principal"] = ValueError("A Message")
    assert exchange(proxy, line) == "FAKEID|NUA|E|A Message"


@pytest.mark.parametrize(
    ("exc", "reply"),
    [
        (AccessError("A Message"), "FAKEID|NUS|EA|A Message"),
        (
            ResourceUnavailableError("Authentication back-end busy"),
            "FAKEID|NUS|ER|Authentication back-end busy",
        ),
        (
            CreditsError(-1, "A Message", "Message for client"),
            "FAKEID|NUS|EC|A Message|-1|Message for client",
        ),
        (CreditsError(0, "no", None), "FAKEID|NUS|EC|no|0|#"),
        (ConflictingSessionError(-2, "c", "S1", "m"), "FAKEID|NUS|EC|c|-2|m"),
        (KeyError("k"), "FAKEID|NUS|E|'k'"),
        (NotificationError("x|y"), "FAKEID|NUS|E|x%7Cy"),
    ],
)
def test_notify_user_errors_1_9(
    proxy: MetadataProxySimulator, serve: Serve, recording_adapter: Any, exc: Exception, reply: str
) -> None:
    serve(recording_adapter(notify_user=exc))
    assert exchange(proxy, "FAKEID|NUS|S|user|S|password") == reply


def test_unusable_return_values_are_answered(
    proxy: MetadataProxySimulator, serve: Serve, recording_adapter: Any
) -> None:
    """Bug B2: 1.3.1 sent nothing at all for these."""
    adapter = recording_adapter(
        get_allowed_max_bandwidth=0,
        wants_tables_notification=None,
        get_distinct_snapshot_length=10.0,
    )
    serve(adapter)
    reply = exchange(proxy, "A|NUS|S|u|S|p")
    assert reply.startswith("A|NUS|E|wants_tables_notification() returned None")
    assert exchange(proxy, "B|GIT|S|item") == "B|GIT|I|10|D|0.0|M|RMDC"
    adapter.answers["get_min_source_frequency"] = float("nan")
    assert exchange(proxy, "C|GIT|S|item").startswith(
        "C|GIT|E|get_min_source_frequency() returned nan"
    )


def test_get_items_and_schema_1_9(
    proxy: MetadataProxySimulator, serve: Serve, recording_adapter: Any
) -> None:
    adapter = recording_adapter(get_items=["Item 1", "Item 2"], get_schema=["Field 1", "Field 2"])
    serve(adapter)
    assert (
        exchange(proxy, "FAKEID|GIS|S|user|S|group|S|FAKESESSID") == "FAKEID|GIS|S|Item 1|S|Item 2"
    )
    assert adapter.calls[-1] == ("get_items", ("user", "FAKESESSID", "group"))
    assert (
        exchange(proxy, "FAKEID|GSC|S|user|S|group|S|schema|S|FAKESESSID")
        == "FAKEID|GSC|S|Field 1|S|Field 2"
    )
    assert adapter.calls[-1] == ("get_schema", ("user", "FAKESESSID", "group", "schema"))
    adapter.answers.update(get_items=[], get_schema=None)
    assert exchange(proxy, "G1|GIS|S|user|S|group|S|S") == "G1|GIS"
    assert exchange(proxy, "G2|GSC|S|user|S|group|S|schema|S|S") == "G2|GSC"
    adapter.answers.update(get_items=["#", "", None, "a|b"])
    assert exchange(proxy, "G3|GIS|S|#|S|g|S|S") == "G3|GIS|S|%23|S|$|S|#|S|a%7Cb"
    assert adapter.calls[-1] == ("get_items", (None, "S", "g"))


def test_default_get_items_keeps_empty_names(proxy: MetadataProxySimulator, serve: Serve) -> None:
    serve(MetadataProvider())
    assert exchange(proxy, "G|GIS|S|user1|S|a  b|S|S") == "G|GIS|S|a|S|$|S|b"


@pytest.mark.parametrize(
    ("line", "method", "exc", "reply"),
    [
        ("X|GIS|S|u|S|g|S|S", "get_items", ItemsError("A Message"), "X|GIS|EI|A Message"),
        ("X|GIS|S|u|S|g|S|S", "get_items", SchemaError("s"), "X|GIS|E|s"),
        ("X|GSC|S|u|S|g|S|s|S|S", "get_schema", ItemsError("i"), "X|GSC|EI|i"),
        ("X|GSC|S|u|S|g|S|s|S|S", "get_schema", SchemaError("A Message"), "X|GSC|ES|A Message"),
        ("X|GSC|S|u|S|g|S|s|S|S", "get_schema", CreditsError(1, "c"), "X|GSC|E|c"),
    ],
)
def test_items_and_schema_errors(
    proxy: MetadataProxySimulator,
    serve: Serve,
    recording_adapter: Any,
    line: str,
    method: str,
    exc: Exception,
    reply: str,
) -> None:
    serve(recording_adapter(**{method: exc}))
    assert exchange(proxy, line) == reply


def test_get_item_data_and_user_item_data_1_9(
    proxy: MetadataProxySimulator, serve: Serve, recording_adapter: Any
) -> None:
    modes = {"An Item Name1": "RM", "An Item Name2": "D", "item 1": "RMDC", "item 2": "M"}
    adapter = recording_adapter(
        mode_may_be_allowed=lambda item, mode: mode.value in modes[item],
        ismode_allowed=lambda user, item, mode: mode.value in modes[item],
        get_distinct_snapshot_length=lambda item: {"An Item Name1": 10, "An Item Name2": 5}[item],
        get_min_source_frequency=lambda item: {"An Item Name1": 0.5, "An Item Name2": 0}[item],
        get_allowed_buffer_size=lambda user, item: {"item 1": 30, "item 2": 40}[item],
        get_allowed_max_item_frequency=lambda user, item: {"item 1": 3, "item 2": 2.25}[item],
    )
    serve(adapter)
    assert (
        exchange(proxy, "FAKEID|GIT|S|An Item Name1|S|An Item Name2")
        == "FAKEID|GIT|I|10|D|0.5|M|RM|I|5|D|0.0|M|D"
    )
    assert (
        exchange(proxy, "FAKEID|GUI|S|user|S|item 1|S|item 2")
        == "FAKEID|GUI|I|30|D|3.0|M|RMDC|I|40|D|2.25|M|M"
    )
    assert exchange(proxy, "E1|GIT") == "E1|GIT"
    assert exchange(proxy, "E2|GUI|S|user") == "E2|GUI"
    adapter.answers["mode_may_be_allowed"] = False
    adapter.answers["get_distinct_snapshot_length"] = 0
    adapter.answers["get_min_source_frequency"] = 0
    assert exchange(proxy, "E3|GIT|S|x") == "E3|GIT|I|0|D|0.0|M|$"
    adapter.answers["get_allowed_buffer_size"] = ItemsError("Error for provided item")
    assert exchange(proxy, "E4|GUI|S|u|S|item 1") == "E4|GUI|E|Error for provided item"


@pytest.mark.parametrize(
    ("exc", "reply"),
    [
        (None, "FAKEID|NUM|V"),
        (
            CreditsError(4, "CreditsError", "clientErrorMsg"),
            "FAKEID|NUM|EC|CreditsError|4|clientErrorMsg",
        ),
        (NotificationError("A Message"), "FAKEID|NUM|EN|A Message"),
        (AccessError("a"), "FAKEID|NUM|E|a"),
    ],
)
def test_notify_user_message_1_9(
    proxy: MetadataProxySimulator, serve: Serve, recording_adapter: Any, exc: Any, reply: str
) -> None:
    adapter = recording_adapter(notify_user_message=exc)
    serve(adapter)
    assert exchange(proxy, "FAKEID|NUM|S|user|S|FAKESESSID|S|This is a message") == reply
    assert adapter.calls[-1] == (
        "notify_user_message",
        ("user", "FAKESESSID", "This is a message"),
    )


def test_notify_user_message_default_refuses(proxy: MetadataProxySimulator, serve: Serve) -> None:
    serve(MetadataProvider())
    assert exchange(proxy, "N|NUM|S|user|S|S1|S|hello") == "N|NUM|EC|Unsupported function|0|#"


def test_notify_new_session_1_9(
    proxy: MetadataProxySimulator, serve: Serve, recording_adapter: Any
) -> None:
    adapter = recording_adapter(get_session_time_to_live=0)
    serve(adapter)
    line = "FAKEID|NNS|S|user|S|FAKESESSID|S|prop1|S|val1|S|prop2|S|val2|S|CLIENT_TYPE|S|#"
    assert exchange(proxy, line) == "FAKEID|NNS|V"
    assert adapter.calls[-2] == (
        "notify_new_session",
        ("user", "FAKESESSID", {"prop1": "val1", "prop2": "val2", "CLIENT_TYPE": None}),
    )
    assert adapter.calls[-1] == ("get_session_time_to_live", ("user", "FAKESESSID"))
    adapter.answers["get_session_time_to_live"] = 3600
    assert exchange(proxy, line.replace("FAKEID", "F2")) == "F2|NNS|I|3600"


@pytest.mark.parametrize(
    ("exc", "reply"),
    [
        (
            ConflictingSessionError(-1, "A Message", "SXXXXXXXXXXXXXXXXX", "Message for client"),
            "FAKEID|NNS|EX|A Message|-1|Message for client|SXXXXXXXXXXXXXXXXX",
        ),
        (CreditsError(-1, "c", None), "FAKEID|NNS|EC|c|-1|#"),
        (NotificationError("A Message"), "FAKEID|NNS|EN|A Message"),
        (ItemsError("i"), "FAKEID|NNS|E|i"),
    ],
)
def test_notify_new_session_errors_1_9(
    proxy: MetadataProxySimulator, serve: Serve, recording_adapter: Any, exc: Exception, reply: str
) -> None:
    serve(recording_adapter(notify_new_session=exc))
    assert exchange(proxy, "FAKEID|NNS|S|user|S|FAKESESSID") == reply


@pytest.mark.parametrize(
    ("exc", "reply"),
    [
        (None, "FAKEID|NSC|V"),
        (NotificationError("Empty SessionId"), "FAKEID|NSC|EN|Empty SessionId"),
        (CreditsError(0, "c"), "FAKEID|NSC|E|c"),
    ],
)
def test_notify_session_close_1_9(
    proxy: MetadataProxySimulator, serve: Serve, recording_adapter: Any, exc: Any, reply: str
) -> None:
    adapter = recording_adapter(notify_session_close=exc)
    serve(adapter)
    assert exchange(proxy, "FAKEID|NSC|S|FAKESESSID") == reply
    assert adapter.calls[-1] == ("notify_session_close", ("FAKESESSID",))


NNT_1_9 = (
    "f0000010c3e4d0462|NNT|S|user1|S|S8f3da29cfc463220T5454537|I|1|M|M|S|item1 item2"
    "|S|QUOTES|S|last_price time|I|1|I|2|S|#|I|2|S|item1|S|item2"
)
TABLE_1_9 = TableInfo(
    1, Mode.MERGE, "item1 item2", "last_price time", 1, 2, None, "QUOTES", ["item1", "item2"]
)


@pytest.mark.parametrize(
    ("unsub", "stats", "reply"),
    [
        (False, False, "f0000010c3e4d0462|NNT|V"),
        (True, True, "f0000010c3e4d0462|NNT|B|1|B|1"),
        (True, False, "f0000010c3e4d0462|NNT|B|1|B|0"),
        (False, True, "f0000010c3e4d0462|NNT|B|0|B|1"),
    ],
)
def test_notify_new_tables_1_9(
    proxy: MetadataProxySimulator,
    serve: Serve,
    recording_adapter: Any,
    unsub: bool,
    stats: bool,
    reply: str,
) -> None:
    adapter = recording_adapter(
        enable_table_unsubscription=unsub, wants_final_table_statistics=stats
    )
    serve(adapter)
    assert exchange(proxy, NNT_1_9) == reply
    assert adapter.calls[-3] == ("notify_new_tables", ("user1", SESSION, [TABLE_1_9]))
    table = adapter.calls[-3][1][2][0]
    assert table.data_adapter == "QUOTES"
    assert table.subscribed_items == ["item1", "item2"]
    assert table.subscription_statistics is None
    assert table.selector is None


def test_notify_new_tables_two_tables_1_9(
    proxy: MetadataProxySimulator, serve: Serve, recording_adapter: Any
) -> None:
    adapter = recording_adapter(
        enable_table_unsubscription=True, wants_final_table_statistics=True
    )
    serve(adapter)
    line = NNT_1_9 + "|I|2|M|D|S|g2|S|ADAPTER2|S|f1|I|1|I|1|S|sel|I|1|S|i3"
    assert exchange(proxy, line) == "f0000010c3e4d0462|NNT|B|0|B|1"
    tables = adapter.calls[0][1][2]
    assert [t.win_index for t in tables] == [1, 2]
    assert tables[1] == TableInfo(2, Mode.DISTINCT, "g2", "f1", 1, 1, "sel", "ADAPTER2", ["i3"])
    assert "enable_table_unsubscription" not in adapter.names()


@pytest.mark.parametrize(
    ("exc", "reply"),
    [
        (
            CreditsError(10, "CreditsError", "clientErrorMsg"),
            "f0000010c3e4d0462|NNT|EC|CreditsError|10|clientErrorMsg",
        ),
        (NotificationError("n"), "f0000010c3e4d0462|NNT|EN|n"),
        (ConflictingSessionError(-1, "c", "S2"), "f0000010c3e4d0462|NNT|EC|c|-1|#"),
        (RuntimeError("r"), "f0000010c3e4d0462|NNT|E|r"),
    ],
)
def test_notify_new_tables_errors_1_9(
    proxy: MetadataProxySimulator, serve: Serve, recording_adapter: Any, exc: Exception, reply: str
) -> None:
    serve(recording_adapter(notify_new_tables=exc))
    assert exchange(proxy, NNT_1_9) == reply


def test_notify_tables_close_1_9(
    proxy: MetadataProxySimulator, serve: Serve, recording_adapter: Any
) -> None:
    adapter = recording_adapter()
    serve(adapter)
    block = "|I|1|M|M|S|item1 item2|S|QUOTES|S|last_price time|I|1|I|2|S|#|I|2|S|item1|S|item2"
    assert (
        exchange(proxy, f"f1000010c3e4d0462|NTC|S|{SESSION}{block}|I|0")
        == "f1000010c3e4d0462|NTC|V"
    )
    assert adapter.calls[-1] == ("notify_tables_close", (SESSION, [TABLE_1_9]))
    with_stats = f"f2000010c3e4d0462|NTC|S|{SESSION}{block}|I|2|L|120|L|0|L|15|L|98|L|0|L|3"
    assert exchange(proxy, with_stats) == "f2000010c3e4d0462|NTC|V"
    closed = adapter.calls[-1][1][1][0]
    assert closed.subscription_statistics == [
        SubscriptionStatistics(120, 0, 15),
        SubscriptionStatistics(98, 0, 3),
    ]
    assert exchange(proxy, f"f3|NTC|S|{SESSION}") == "f3|NTC|V"
    assert adapter.calls[-1] == ("notify_tables_close", (SESSION, []))
    adapter.answers["notify_tables_close"] = NotificationError("gone")
    assert exchange(proxy, f"f4|NTC|S|{SESSION}") == "f4|NTC|EN|gone"


DEVICE = MpnDeviceInfo(MpnPlatformType.APPLE, "appID", "deviceToken")


def test_mpn_requests_1_9(
    proxy: MetadataProxySimulator, serve: Serve, recording_adapter: Any
) -> None:
    adapter = recording_adapter()
    serve(adapter)
    assert (
        exchange(proxy, "FAKEID|MDA|S|user|S|FAKESESSID|P|A|S|appID|S|deviceToken")
        == "FAKEID|MDA|V"
    )
    assert adapter.calls[-1] == ("notify_mpn_device_access", ("user", "FAKESESSID", DEVICE))
    assert (
        exchange(proxy, "FAKEID|MDC|S|user|S|FAKESESSID|P|G|S|appID|S|deviceToken|S|deviceToken2")
        == "FAKEID|MDC|V"
    )
    google = MpnDeviceInfo(MpnPlatformType.GOOGLE, "appID", "deviceToken")
    assert adapter.calls[-1] == (
        "notify_mpn_device_token_change",
        ("user", "FAKESESSID", google, "deviceToken2"),
    )
    msa = (
        "c00000147c9bc4c74|MSA|S|user1|S|Sc4a1769b6bb83a4aT2852044|I|1|M|M|S|item4 item19"
        "|S|STOCKS|S|stock_name last_price time|I|1|I|2|I|2|S|item4|S|item19|P|A"
        "|S|com.example.stocklist|S|f74d8ffc|S|Double.parseDouble(${last_price}) > 1000.0"
        '|S|{"aps":{"alert":"${message}","badge":"AUTO"}}'
    )
    assert exchange(proxy, msa) == "c00000147c9bc4c74|MSA|V"
    name, (user, session, table, subscription) = adapter.calls[-1]
    assert (name, user, session) == (
        "notify_mpn_subscription_activation",
        "user1",
        "Sc4a1769b6bb83a4aT2852044",
    )
    assert table == TableInfo(
        1,
        Mode.MERGE,
        "item4 item19",
        "stock_name last_price time",
        1,
        2,
        None,
        "STOCKS",
        ["item4", "item19"],
    )
    assert subscription == MpnSubscriptionInfo(
        MpnDeviceInfo(MpnPlatformType.APPLE, "com.example.stocklist", "f74d8ffc"),
        '{"aps":{"alert":"${message}","badge":"AUTO"}}',
        "Double.parseDouble(${last_price}) > 1000.0",
    )


def test_mpn_unknown_platform_kept_raw(
    proxy: MetadataProxySimulator, serve: Serve, recording_adapter: Any
) -> None:
    adapter = recording_adapter()
    serve(adapter)
    assert exchange(proxy, "X|MDA|S|user|S|S|P|W|S|app|S|tok") == "X|MDA|V"
    assert adapter.calls[-1][1][2] == MpnDeviceInfo("W", "app", "tok")


@pytest.mark.parametrize(
    ("exc", "suffix"),
    [
        (
            CreditsError(-1, "A Message", "Message for client"),
            "EC|A Message|-1|Message for client",
        ),
        (NotificationError("n"), "EN|n"),
        (ConflictingSessionError(-1, "c", "S9"), "EC|c|-1|#"),
        (ValueError("v"), "E|v"),
    ],
)
def test_mpn_errors_1_9(
    proxy: MetadataProxySimulator,
    serve: Serve,
    recording_adapter: Any,
    exc: Exception,
    suffix: str,
) -> None:
    serve(
        recording_adapter(
            notify_mpn_device_access=exc,
            notify_mpn_subscription_activation=exc,
            notify_mpn_device_token_change=exc,
        )
    )
    assert exchange(proxy, "A|MDA|S|u|S|S|P|A|S|app|S|tok") == f"A|MDA|{suffix}"
    assert exchange(proxy, "B|MDC|S|u|S|S|P|G|S|app|S|tok|S|tok2") == f"B|MDC|{suffix}"
    msa = "C|MSA|S|u|S|S|I|1|M|M|S|g|S|D|S|s|I|1|I|1|I|1|S|g|P|A|S|app|S|tok|S|#|S|{}"
    assert exchange(proxy, msa) == f"C|MSA|{suffix}"


def test_malformed_request_gets_a_generic_error(
    proxy: MetadataProxySimulator, serve: Serve, recording_adapter: Any
) -> None:
    """Bug B13 / checklist 92: the Proxy is not left waiting."""
    adapter = recording_adapter()
    server = serve(adapter)
    errors: list[BaseException] = []

    class Handler:
        def handle_exception(self, exc: BaseException) -> bool:
            errors.append(exc)
            return False

        def handle_ioexception(self, exc: BaseException) -> bool:
            return False

    server.set_exception_handler(Handler())  # type: ignore[arg-type]
    assert exchange(proxy, "BAD1|NUS|S|user").startswith("BAD1|NUS|E|")
    assert exchange(proxy, "BAD2|GIT|X|item").startswith("BAD2|GIT|E|")
    assert exchange(proxy, "BAD3|NNT|S|u|S|S|I|one|M|M").startswith("BAD3|NNT|E|")
    assert len(errors) == 3
    assert adapter.calls == []
    # unknown method: no reply, and the connection goes on
    proxy.send_raw("U1|XYZ|S|a")
    assert exchange(proxy, "OK|NSC|S|s") == "OK|NSC|V"


# ------------------------------------------------------------------------- ARI 1.8.x


@pytest.mark.parametrize("version", ["1.8.3", "1.8.2"])
def test_requests_1_8_use_bc_and_the_1_8_layouts(
    proxy: MetadataProxySimulator, serve: Serve, recording_adapter: Any, version: str
) -> None:
    adapter = recording_adapter(
        get_allowed_max_bandwidth=12.3,
        wants_tables_notification=True,
        get_items=["nasdaq100_AA_AL", "abc"],
        get_session_time_to_live=3600,
        enable_table_unsubscription=True,
        wants_final_table_statistics=True,
    )
    server = serve(adapter, version)
    assert server.protocol_version == version
    assert (
        exchange(
            proxy, "10000010c3e4d0462|NUS|S|userX|S|remote_password|S|host|S|www.mycompany.com"
        )
        == "10000010c3e4d0462|NUS|D|12.3|B|1"
    )
    assert (
        exchange(
            proxy,
            "50000010c3e4d0462|GIS|S|user1|S|nasdaq100_AA_AL+abc|S|S8f3da29cfc463220T5454537",
        )
        == "50000010c3e4d0462|GIS|S|nasdaq100_AA_AL|S|abc"
    )
    assert adapter.calls[-1] == ("get_items", ("user1", SESSION, "nasdaq100_AA_AL abc"))
    assert exchange(proxy, "N1|NNS|S|user1|S|S1|S|REMOTE_IP|S|1.2.3.4") == "N1|NNS|V"
    assert "get_session_time_to_live" not in adapter.names()
    nnt = (
        "f0000010c3e4d0462|NNT|S|#|S|S8f3da29cfc463220T5454537|I|1|M|M|S|nasdaq100_AA_AL|S|short"
        "|I|1|I|5|S|#|I|2|M|D|S|nasdaq100_AA_AL|S|medium|I|4|I|3|S|selector"
    )
    assert exchange(proxy, nnt) == "f0000010c3e4d0462|NNT|V"
    assert adapter.calls[-1] == (
        "notify_new_tables",
        (
            None,
            SESSION,
            [
                TableInfo(1, Mode.MERGE, "nasdaq100_AA_AL", "short", 1, 5, None),
                TableInfo(2, Mode.DISTINCT, "nasdaq100_AA_AL", "medium", 4, 3, "selector"),
            ],
        ),
    )
    ntc = (
        "f0000010c3e4d0462|NTC|S|S8f3da29cfc463220T5454537|I|1|M|M|S|nasdaq100_AA_AL|S|short"
        "|I|1|I|5|S|#"
    )
    assert exchange(proxy, ntc) == "f0000010c3e4d0462|NTC|V"
    adapter.answers["notify_user"] = ResourceUnavailableError("busy now")
    assert exchange(proxy, "R|NUS|S|u|S|p") == "R|NUS|EA|busy+now"
    adapter.answers["notify_new_session"] = ConflictingSessionError(
        11, "ConflictingSessionError", "conflictingSessionID", "clientErrorMsg"
    )
    assert (
        exchange(proxy, "10000020b3e6d0462|NNS|S|u|S|S2")
        == "10000020b3e6d0462|NNS|EX|ConflictingSessionError|11|clientErrorMsg"
        "|conflictingSessionID"
    )
    assert exchange(proxy, "d0|NUM|S|u|S|S|S|hi+there") == "d0|NUM|EC|Unsupported+function|0|#"
    assert adapter.calls[-1] == ("notify_user_message", ("u", "S", "hi there"))


def test_msa_1_8(proxy: MetadataProxySimulator, serve: Serve, recording_adapter: Any) -> None:
    adapter = recording_adapter()
    serve(adapter, "1.8.3")
    line = (
        "c00000147c9bc4c74|MSA|S|user1|S|Sc4a1769b6bb83a4aT2852044|I|1|M|M|S|item4+item19"
        "|S|stock_name+last_price+time|I|1|I|2|P|A|S|com.lightstreamer.demo.ios.stocklistdemo"
        "|S|f74d8ffc5ee7cb31749a329a8f9202867c0a9906e80ee7f9eeccca1f24c5aaf1"
        "|S|Double.parseDouble%28%24%7Blast_price%7D%29+%3E+1000.0"
        "|S|%7B%22aps%22%3A%7B%22alert%22%3A%22%24%7Bmessage%7D%22%2C%22badge%22%3A%22AUTO%22%7D"
        "%2C%22acme2%22%3A%5B%22%24%7Btag1%7D%22%2C%22%24%7Btag2%7D%22%5D%7D"
    )
    assert exchange(proxy, line) == "c00000147c9bc4c74|MSA|V"
    _, (_, _, table, subscription) = adapter.calls[-1]
    assert table == TableInfo(1, Mode.MERGE, "item4 item19", "stock_name last_price time", 1, 2)
    assert subscription.trigger == "Double.parseDouble(${last_price}) > 1000.0"
    assert subscription.notification_format.startswith('{"aps":{"alert":"${message}"')
    assert subscription.device.application_id == "com.lightstreamer.demo.ios.stocklistdemo"


def test_git_gui_1_8(proxy: MetadataProxySimulator, serve: Serve, recording_adapter: Any) -> None:
    table = {
        "item_1": (10, 4.5, "MD"),
        "item_2": (20, 7.3, "RMC"),
        "item_3": (0, 0.0, ""),
    }
    adapter = recording_adapter(
        mode_may_be_allowed=lambda item, mode: mode.value in table[item][2],
        get_distinct_snapshot_length=lambda item: table[item][0],
        get_min_source_frequency=lambda item: table[item][1],
    )
    serve(adapter, "1.8.3")
    assert (
        exchange(proxy, "70000010c3e4d0462|GIT|S|item_1|S|item_2|S|item_3")
        == "70000010c3e4d0462|GIT|I|10|D|4.5|M|MD|I|20|D|7.3|M|RMC|I|0|D|0.0|M|$"
    )
    adapter.answers["get_min_source_frequency"] = RuntimeError("Error for provided item")
    assert exchange(proxy, "7|GIT|S|item_1") == "7|GIT|E|Error+for+provided+item"
