"""MetadataProxySimulator against a scripted raw-socket remote: every request and reply."""

from __future__ import annotations

import os

import pytest

from lightstreamer_adapter.interfaces.metadata import (
    Mode,
    MpnDeviceInfo,
    MpnPlatformType,
    MpnSubscriptionInfo,
    SubscriptionStatistics,
    TableInfo,
)
from lightstreamer_adapter.protocol.messages import NotifyUserRequest
from lightstreamer_adapter.protocol.versions import V1_8_2, V1_8_3, V1_9_1
from lightstreamer_adapter.testing import (
    AdapterError,
    ErrorInfo,
    ErrorKind,
    ForceSessionTermination,
    ForceUnsubscription,
    ItemData,
    MetadataFailure,
    MetadataProxySimulator,
    NotifyUserReply,
    SimulatorError,
    VoidReply,
)

T = 5.0 * float(os.environ.get("LS_TEST_TIMEOUT_SCALE", "1"))
SHORT = 0.2 * float(os.environ.get("LS_TEST_TIMEOUT_SCALE", "1"))

SESSION = "S8f3da29cfc463220T5454537"


class Replies:
    """Answers every request with the reply registered for its method; records the args."""

    def __init__(self, version="1.9.1"):
        self.replies = {"MPI": f"MPI|S|ARI.version|S|{version}"}
        self.requests = []

    def __call__(self, rid, method, args):
        self.requests.append("|".join([method, *args]))
        reply = self.replies.get(method)
        return [] if reply is None else [f"{rid}|{reply}"]

    def table(self):
        methods = "MPI NUS NUA GIS GSC GIT GUI NUM NNS NSC NNT NTC MDA MSA MDC"
        return dict.fromkeys(methods.split(" "), self)


@pytest.fixture
def proxy():
    with MetadataProxySimulator(timeout=T) as simulator:
        yield simulator


def ready(proxy, remote, version="1.9.1", **kw):
    replies = Replies(version)
    fake = remote(proxy.address, replies.table(), **kw)
    proxy.accept()
    proxy.init(version=version)
    assert fake.next_line().split("|")[1] == "MPI"
    return fake, replies


def table_1_9(statistics=None):
    return TableInfo(
        1,
        Mode.MERGE,
        "item1 item2",
        "last_price time",
        1,
        2,
        None,
        "QUOTES",
        ["item1", "item2"],
        statistics,
    )


TABLE_1_9 = "I|1|M|M|S|item1 item2|S|QUOTES|S|last_price time|I|1|I|2|S|#|I|2|S|item1|S|item2"


def test_init_sends_mpi(proxy, remote):
    fake = remote(proxy.address, Replies().table())
    proxy.accept()
    reply = proxy.init(keepalive_hint=-1, params={"proxy.instance_id": "hewbc3ikbbctyui"})
    assert reply.method.value == "MPI"
    assert proxy.version == V1_9_1
    line = fake.next_line()
    assert line.split("|", 1)[1] == (
        "MPI|S|ARI.version|S|1.9.1|S|keepalive_hint.millis|S|-1|S|adapters_conf.id|S|DEMO"
        "|S|proxy.instance_id|S|hewbc3ikbbctyui"
    )


def test_init_refused(proxy, remote):
    remote(proxy.address, {"MPI": ["{id}|MPI|EM|The+ID+must+be+supplied"]})
    proxy.accept()
    with pytest.raises(AdapterError) as refused:
        proxy.init()
    assert refused.value.kind is ErrorKind.METADATA
    assert refused.value.message == "The ID must be supplied"


def test_every_request_and_reply_1_9(proxy, remote):
    _, replies = ready(proxy, remote)
    r = replies.replies
    r["NUS"] = "NUS|D|12.34|B|1"
    reply = proxy.notify_user("user", "password", {"header 1": "value 1", "h|2": "€"})
    assert reply == NotifyUserReply(reply.request_id, reply.method, 12.34, True)
    r["NUA"] = "NUA|D|0.0|B|0"
    reply = proxy.notify_user_with_principal("user", None, "principal")
    assert (reply.max_bandwidth, reply.wants_tables_notification) == (0.0, False)
    r["GIS"] = "GIS|S|Item 1|S|#|S|$"
    assert proxy.get_items("user", "item1 item2", SESSION).items == ("Item 1", None, "")
    r["GIS"] = "GIS"
    assert proxy.get_items(None, "g", SESSION).items == ()
    r["GSC"] = "GSC|S|last_price|S|time"
    assert proxy.get_schema("user", "g", "last_price time", SESSION).fields == (
        "last_price",
        "time",
    )
    r["GIT"] = "GIT|I|10|D|0.5|M|RM|I|5|D|0.0|M|$"
    assert proxy.get_item_data(["a", "b"]).items == (
        ItemData(10, 0.5, (Mode.RAW, Mode.MERGE)),
        ItemData(5, 0.0, ()),
    )
    r["GUI"] = "GUI|I|30|D|3.0|M|RMDC"
    assert proxy.get_user_item_data("user", ["a"]).items == (
        ItemData(30, 3.0, (Mode.RAW, Mode.MERGE, Mode.DISTINCT, Mode.COMMAND)),
    )
    r["NUM"] = "NUM|V"
    assert isinstance(proxy.notify_user_message("user", SESSION, "CHAT|hello"), VoidReply)
    r["NNS"] = "NNS|V"
    context = {"REMOTE_IP": "192.0.2.10"}
    assert proxy.notify_new_session("user", SESSION, context).time_to_live is None
    r["NNS"] = "NNS|I|3600"
    assert proxy.notify_new_session("user", SESSION).time_to_live == 3600
    r["NSC"] = "NSC|V"
    proxy.notify_session_close(SESSION)
    r["NNT"] = "NNT|V"
    assert proxy.notify_new_tables("user", SESSION, [table_1_9()]).flags is None
    r["NNT"] = "NNT|B|1|B|0"
    assert proxy.notify_new_tables("user", SESSION, [table_1_9()]).flags == (True, False)
    r["NTC"] = "NTC|V"
    stats = [SubscriptionStatistics(120, 0, 15), SubscriptionStatistics(98, 0, 3)]
    proxy.notify_tables_close(SESSION, [table_1_9(stats)])
    proxy.notify_tables_close(SESSION, [])
    device = MpnDeviceInfo(MpnPlatformType.APPLE, "appID", "deviceToken")
    r["MDA"] = "MDA|V"
    proxy.notify_mpn_device_access("user", SESSION, device)
    r["MSA"] = "MSA|V"
    msa_table = TableInfo(1, Mode.MERGE, "item4", "stock_name", 1, 1, None, "STOCKS", ["item4"])
    subscription = MpnSubscriptionInfo(device, '{"aps":{}}', "${last_price} > 1000.0")
    proxy.notify_mpn_subscription_activation("user", SESSION, msa_table, subscription)
    r["MDC"] = "MDC|V"
    proxy.notify_mpn_device_token_change("user", SESSION, device, "deviceToken2")
    proxy.check()
    assert replies.requests[1:] == [
        "NUS|S|user|S|password|S|header 1|S|value 1|S|h%7C2|S|€",
        "NUA|S|user|S|#|S|principal",
        f"GIS|S|user|S|item1 item2|S|{SESSION}",
        f"GIS|S|#|S|g|S|{SESSION}",
        f"GSC|S|user|S|g|S|last_price time|S|{SESSION}",
        "GIT|S|a|S|b",
        "GUI|S|user|S|a",
        f"NUM|S|user|S|{SESSION}|S|CHAT%7Chello",
        f"NNS|S|user|S|{SESSION}|S|REMOTE_IP|S|192.0.2.10",
        f"NNS|S|user|S|{SESSION}",
        f"NSC|S|{SESSION}",
        f"NNT|S|user|S|{SESSION}|{TABLE_1_9}",
        f"NNT|S|user|S|{SESSION}|{TABLE_1_9}",
        f"NTC|S|{SESSION}|{TABLE_1_9}|I|2|L|120|L|0|L|15|L|98|L|0|L|3",
        f"NTC|S|{SESSION}",
        f"MDA|S|user|S|{SESSION}|P|A|S|appID|S|deviceToken",
        f"MSA|S|user|S|{SESSION}|I|1|M|M|S|item4|S|STOCKS|S|stock_name|I|1|I|1|I|1|S|item4"
        '|P|A|S|appID|S|deviceToken|S|${last_price} > 1000.0|S|{"aps":{}}',
        f"MDC|S|user|S|{SESSION}|P|A|S|appID|S|deviceToken|S|deviceToken2",
    ]


K = ErrorKind
ERRORS = [
    ("NUS", "E|A Message", ErrorInfo(K.GENERIC, "A Message")),
    ("NUS", "EA|A Message", ErrorInfo(K.ACCESS, "A Message")),
    ("NUS", "ER|busy", ErrorInfo(K.RESOURCE_UNAVAILABLE, "busy")),
    ("NUS", "EC|A Message|-1|For client", ErrorInfo(K.CREDITS, "A Message", -1, "For client")),
    ("NUS", "EC|m|0|#", ErrorInfo(K.CREDITS, "m", 0, None)),
    ("NNS", "EX|m|-1|Client|SX", ErrorInfo(K.CONFLICTING_SESSION, "m", -1, "Client", "SX")),
    ("NNS", "EN|A Message", ErrorInfo(K.NOTIFICATION, "A Message")),
    ("GIS", "EI|Empty User", ErrorInfo(K.ITEMS, "Empty User")),
    ("GSC", "ES|A Message", ErrorInfo(K.SCHEMA, "A Message")),
    ("GSC", "EI|x", ErrorInfo(K.ITEMS, "x")),
    ("GIT", "E|Error for item", ErrorInfo(K.GENERIC, "Error for item")),
    ("NUM", "EC|CreditsError|4|clientMsg", ErrorInfo(K.CREDITS, "CreditsError", 4, "clientMsg")),
    ("NSC", "EN|#", ErrorInfo(K.NOTIFICATION, None)),
    ("MDA", "EC|A Message|-1|For client", ErrorInfo(K.CREDITS, "A Message", -1, "For client")),
]  # fmt: skip


@pytest.mark.parametrize(("method", "reply", "error"), ERRORS)
def test_error_replies_raise_adapter_error(proxy, remote, method, reply, error):
    _, replies = ready(proxy, remote)
    replies.replies[method] = f"{method}|{reply}"
    call = {
        "NUS": lambda: proxy.notify_user("u", "p"),
        "NNS": lambda: proxy.notify_new_session("u", SESSION),
        "GIS": lambda: proxy.get_items("u", "g", SESSION),
        "GSC": lambda: proxy.get_schema("u", "g", "s", SESSION),
        "GIT": lambda: proxy.get_item_data(["i"]),
        "NUM": lambda: proxy.notify_user_message("u", SESSION, "m"),
        "NSC": lambda: proxy.notify_session_close(SESSION),
        "MDA": lambda: proxy.notify_mpn_device_access(
            "u", SESSION, MpnDeviceInfo(MpnPlatformType.GOOGLE, "a", "t")
        ),
    }[method]
    with pytest.raises(AdapterError) as refused:
        call()
    assert refused.value.error == error
    assert refused.value.kind is error.kind
    assert refused.value.message == error.message
    assert refused.value.client_code == error.client_code
    assert refused.value.client_message == error.client_message
    assert refused.value.conflicting_session_id == error.conflicting_session_id
    assert refused.value.method.value == method
    assert method in str(refused.value)


@pytest.mark.parametrize("version", [V1_8_2, V1_8_3])
def test_1_8_metadata_is_bc_encoded_with_the_1_8_table_layout(proxy, remote, version):
    _, replies = ready(proxy, remote, str(version))
    assert proxy.version == version
    r = replies.replies
    r["GIS"] = "GIS|S|item+1|S|item%7C2"
    assert proxy.get_items("user1", "item1 item2", SESSION).items == ("item 1", "item|2")
    r["NNT"] = "NNT|V"
    table = TableInfo(1, Mode.MERGE, "item1 item2", "last_price time", 1, 2, "#")
    proxy.notify_new_tables("user1", SESSION, [table])
    r["NUS"] = "NUS|EA|Wrong+password"
    with pytest.raises(AdapterError) as refused:
        proxy.notify_user("u", "p")
    assert refused.value.message == "Wrong password"
    assert replies.requests[1:] == [
        f"GIS|S|user1|S|item1+item2|S|{SESSION}",
        f"NNT|S|user1|S|{SESSION}|I|1|M|M|S|item1+item2|S|last_price+time|I|1|I|2|S|%23",
        "NUS|S|u|S|p",
    ]


def test_1_9_reply_forms_on_1_8_are_violations(proxy, remote):
    _, replies = ready(proxy, remote, "1.8.3")
    replies.replies["NNS"] = "NNS|I|3600"
    with pytest.raises(SimulatorError, match="malformed reply to the NNS request"):
        proxy.notify_new_session("u", SESSION)
    replies.replies["NUS"] = "NUS|ER|busy"
    with pytest.raises(SimulatorError, match=r"'ER' does not exist in ARI 1\.8\.3"):
        proxy.notify_user("u", "p")


def test_send_request_pipelines(proxy, remote):
    _, replies = ready(proxy, remote)
    replies.replies["NUS"] = "NUS|D|1.5|B|0"
    handles = [
        proxy.send_request(NotifyUserRequest(proxy.new_request_id(), f"u{n}", "p"))
        for n in range(3)
    ]
    assert [h.result().max_bandwidth for h in reversed(handles)] == [1.5] * 3


# -- the adapter's requests ------------------------------------------------------------


def test_fst_and_fus_are_answered_and_recorded(proxy, remote):
    fake, _ = ready(proxy, remote)
    fake.send(f"64|FST|S|{SESSION}|V")
    assert fake.next_line() == "64|FST|V"
    fake.send(f"65|FST|S|{SESSION}|I|-5|S|Account suspended")
    assert fake.next_line() == "65|FST|V"
    fake.send(f"66|FUS|S|{SESSION}|I|1")
    assert fake.next_line() == "66|FUS|B|1"
    assert proxy.expect(ForceUnsubscription) == ForceUnsubscription("66", SESSION, 1)
    assert proxy.expect(ForceSessionTermination) == ForceSessionTermination("64", SESSION)
    assert proxy.force_requests == [
        ForceSessionTermination("64", SESSION),
        ForceSessionTermination("65", SESSION, -5, "Account suspended"),
        ForceUnsubscription("66", SESSION, 1),
    ]


def test_fst_and_fus_custom_answers(remote):
    def refuse(request):
        raise AdapterError(f"no session {request.session_id}")

    def fus(request):
        if request.win_index == 9:
            raise RuntimeError("boom")
        return False

    with MetadataProxySimulator(
        timeout=T, on_force_session_termination=refuse, on_force_unsubscription=fus
    ) as proxy:
        fake, _ = ready(proxy, remote)
        fake.send("a1|FST|S|S1|V")
        assert fake.next_line() == "a1|FST|E|no session S1"
        fake.send("a2|FUS|S|S1|I|1")
        assert fake.next_line() == "a2|FUS|B|0"
        fake.send("a3|FUS|S|S1|I|9")
        assert fake.next_line() == "a3|FUS|E|boom"
        proxy.on_force_unsubscription = None  # no answer at all
        fake.send("a4|FUS|S|S1|I|1")
        proxy.on_force_session_termination = lambda request: None
        fake.send("a5|FST|S|S1|V")
        assert fake.next_line() == "a5|FST|V"
        assert [r.request_id for r in proxy.force_requests] == ["a1", "a2", "a3", "a4", "a5"]


def test_metadata_failure(proxy, remote):
    fake, _ = ready(proxy, remote)
    fake.send("2|FAL|E|Entitlement service unreachable")
    assert proxy.expect(MetadataFailure).message == "Entitlement service unreachable"


def test_fst_before_init_or_on_1_8_is_a_violation(proxy, remote):
    fake = remote(proxy.address, {"MPI": ["{id}|MPI|S|ARI.version|S|1.9.1"]})
    proxy.accept()
    fake.send("64|FST|S|S1|V")
    assert "FST requires ARI 1.9 and a completed init" in str(proxy.expect_violation())
    proxy.init()
    fake.send("1|FUS|S|S1|I|1")
    assert "reserved request id '1'" in str(proxy.expect_violation())
    assert fake.next_line().split("|")[1] == "MPI"
    assert fake.next_line() == "1|FUS|B|1"


def test_data_notifications_on_a_metadata_connection_are_violations(proxy, remote):
    fake, _ = ready(proxy, remote)
    fake.send("1700000000000|EOS|S|item|S|x")
    assert "Data Adapter notification" in str(proxy.expect_violation())


def test_timeout_names_the_request(proxy, remote):
    ready(proxy, remote)  # no NUM reply registered: the fake does not answer
    with pytest.raises(TimeoutError, match=r"the NUM request '[0-9a-f]+'"):
        proxy.notify_user_message("u", SESSION, "m", timeout=SHORT)
