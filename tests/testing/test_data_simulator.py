"""DataProxySimulator against a scripted raw-socket remote: exact bytes both ways."""

from __future__ import annotations

import itertools
import os
import time

import pytest

from lightstreamer_adapter.interfaces.data import DiffAlgorithm
from lightstreamer_adapter.protocol.versions import V1_8_0, V1_9_1
from lightstreamer_adapter.testing import (
    AdapterError,
    ClearSnapshot,
    DataFailure,
    DataProxySimulator,
    DeclareFieldDiffOrder,
    EndOfSnapshot,
    ErrorKind,
    InitReply,
    Keepalive,
    SimulatorError,
    Update,
    VoidReply,
)

T = 5.0 * float(os.environ.get("LS_TEST_TIMEOUT_SCALE", "1"))
SHORT = 0.2 * float(os.environ.get("LS_TEST_TIMEOUT_SCALE", "1"))

DPI_OK = {"DPI": ["{id}|DPI|S|ARI.version|S|1.9.1"]}


@pytest.fixture
def proxy():
    with DataProxySimulator(timeout=T) as simulator:
        yield simulator


def ready(proxy, remote, responses=None):
    """Connect a fake remote, accept it and init with 1.9.1."""
    fake = remote(proxy.address, {**DPI_OK, **(responses or {})})
    proxy.accept()
    proxy.init()
    assert fake.next_line().split("|")[1] == "DPI"
    return fake


# -- init ------------------------------------------------------------------------------


def test_init_sends_the_proxy_parameters_and_reads_the_version(proxy, remote):
    fake = remote(proxy.address, DPI_OK)
    assert proxy.accept().params == {
        "enableClosePacket": "true",
        "SDK": "Python Adapter SDK",
    }
    reply = proxy.init(keepalive_hint=8000, data_adapter_name="QUOTE_ADAPTER")
    assert isinstance(reply, InitReply)
    assert reply.params == {"ARI.version": "1.9.1"}
    assert proxy.version == V1_9_1
    dpi = fake.next_line()
    rid = dpi.split("|")[0]
    assert dpi == (
        f"{rid}|DPI|S|ARI.version|S|1.9.1|S|keepalive_hint.millis|S|8000"
        "|S|adapters_conf.id|S|DEMO|S|data_provider.name|S|QUOTE_ADAPTER"
    )


def test_init_extra_params_are_bc_encoded_and_may_replace_reserved_ones(proxy, remote):
    fake = remote(proxy.address, DPI_OK)
    proxy.accept()
    proxy.init({"remote:feed url": "http://x/q", "adapters_conf.id": "OTHER"})
    dpi = fake.next_line()
    assert dpi.split("|", 1)[1] == (
        "DPI|S|ARI.version|S|1.9.1|S|adapters_conf.id|S|OTHER"
        "|S|data_provider.name|S|DEFAULT|S|remote%3Afeed+url|S|http%3A%2F%2Fx%2Fq"
    )


def test_init_without_version_simulates_a_1_8_0_proxy(proxy, remote):
    fake = remote(proxy.address, {"DPI": ["{id}|DPI|V"]})
    proxy.accept()
    reply = proxy.init(version=None, adapter_set=None, data_adapter_name=None)
    assert reply.params == {}
    assert proxy.version == V1_8_0
    assert fake.next_line().split("|")[1:] == ["DPI"]


def test_init_refused_raises_adapter_error(proxy, remote):
    remote(proxy.address, {"DPI": ["{id}|DPI|ED|Unsupported+Proxy+Adapter+version"]})
    proxy.accept()
    with pytest.raises(AdapterError) as refused:
        proxy.init(version="1.9.0")
    assert refused.value.kind is ErrorKind.DATA
    assert refused.value.message == "Unsupported Proxy Adapter version"
    assert refused.value.method.value == "DPI"
    assert proxy.version is None


def test_init_reply_with_a_higher_version_is_a_violation(proxy, remote):
    remote(proxy.address, {"DPI": ["{id}|DPI|S|ARI.version|S|1.9.1"]})
    proxy.accept()
    with pytest.raises(SimulatorError, match=r"higher than the 1\.9\.0 offered"):
        proxy.init(version="1.9.0")


def test_init_reply_v_to_a_versioned_proxy_is_a_violation(proxy, remote):
    remote(proxy.address, {"DPI": ["{id}|DPI|V"]})
    proxy.accept()
    with pytest.raises(SimulatorError, match=r"needs ARI\.version"):
        proxy.init()


# -- subscriptions ---------------------------------------------------------------------


def test_subscribe_update_end_of_snapshot(proxy, remote):
    fake = ready(
        proxy,
        remote,
        {
            "SUB": [
                "1700000000100|UD3|S|{1}|S|{id}|B|1|S|last_price|S|12.3|S|time|S|10:00:00",
                "1700000000101|EOS|S|{1}|S|{id}",
                "{id}|SUB|V",
            ]
        },
    )
    reply = proxy.subscribe("item1")
    assert isinstance(reply, VoidReply)
    sub = fake.next_line()
    assert sub == f"{reply.request_id}|SUB|S|item1"
    update = proxy.next_update()
    assert update == Update(
        "1700000000100",
        "item1",
        reply.request_id,
        True,
        {"last_price": "12.3", "time": "10:00:00"},
    )
    eos = proxy.expect(EndOfSnapshot)
    assert (eos.item, eos.subscription_id) == ("item1", reply.request_id)
    assert proxy.item_state("item1") == {"last_price": "12.3", "time": "10:00:00"}


def test_smart_encoding_of_items_and_values(proxy, remote):
    fake = ready(
        proxy,
        remote,
        {
            "SUB": [
                "1|EOS|S|{1}|S|{id}",
                "{id}|SUB|V",
                "2|UD3|S|{1}|S|{id}|B|0|S|body|S|Rates up 0.25%25 → markets|S|n|S|#|S|e|S|$",
            ]
        },
    )
    proxy.subscribe("news|item")
    assert fake.next_line().endswith("|SUB|S|news%7Citem")
    update = proxy.next_update(item="news|item")
    assert update.values == {"body": "Rates up 0.25% → markets", "n": None, "e": ""}
    assert not update.is_snapshot


def test_notifications_are_taken_selectively_in_order(proxy, remote):
    fake = ready(proxy, remote, {"SUB": ["{id}|SUB|V"]})
    sub_id = proxy.subscribe("a").request_id
    fake.send(f"1|UD3|S|a|S|{sub_id}|B|0|S|f|S|1")
    fake.send(f"2|CLS|S|a|S|{sub_id}")
    fake.send(f"3|DFD|S|a|S|{sub_id}|S|f|F|JM|S|g|F|#|S|h|F|$")
    fake.send(f"4|UD3|S|a|S|{sub_id}|B|0|S|f|S|2")
    fake.send("5|FAL|E|Generic exception")
    assert proxy.expect(DataFailure).message == "Generic exception"
    dfd = proxy.expect(DeclareFieldDiffOrder)
    assert dfd.algorithms == {
        "f": (DiffAlgorithm.JSONPATCH, DiffAlgorithm.DIFF_MATCH_PATCH),
        "g": None,
        "h": (),
    }
    assert [u.values["f"] for u in itertools.islice(proxy.updates(), 2)] == ["1", "2"]
    assert isinstance(proxy.next_notification(), ClearSnapshot)
    assert proxy.notifications == []
    assert proxy.item_state("a") == {"f": "2"}


def test_clear_snapshot_nulls_the_item_state(proxy, remote):
    fake = ready(proxy, remote, {"SUB": ["{id}|SUB|V"]})
    sub_id = proxy.subscribe("a").request_id
    fake.send(f"1|UD3|S|a|S|{sub_id}|B|1|S|f|S|1|S|g|S|2")
    fake.send(f"2|CLS|S|a|S|{sub_id}")
    proxy.expect(ClearSnapshot)
    assert proxy.item_state("a") == {"f": None, "g": None}
    assert proxy.item_state("unknown") == {}


def test_subscribe_error_forms(proxy, remote):
    ready(
        proxy,
        remote,
        {
            "SUB": lambda rid, method, args: {
                "eu": [f"{rid}|SUB|EU|Subscribe request come too late"],
                "ef": [f"{rid}|SUB|EF|Failure Error"],
                "e": [f"{rid}|SUB|E|#"],
            }[args[1]]
        },
    )
    with pytest.raises(AdapterError) as eu:
        proxy.subscribe("eu")
    assert eu.value.kind is ErrorKind.SUBSCRIPTION
    assert eu.value.message == "Subscribe request come too late"
    assert "SUB request" in str(eu.value)
    with pytest.raises(AdapterError) as ef:
        proxy.subscribe("ef")
    assert (ef.value.kind, ef.value.message) == (ErrorKind.FAILURE, "Failure Error")
    with pytest.raises(AdapterError) as generic:
        proxy.subscribe("e")
    assert (generic.value.kind, generic.value.message) == (ErrorKind.GENERIC, None)


def test_pipelined_requests_replied_out_of_order(proxy, remote):
    fake = ready(proxy, remote)
    first = proxy.send_subscribe("a")
    second = proxy.send_unsubscribe("a")
    sub = fake.next_line().split("|")[0]
    usb = fake.next_line().split("|")[0]
    assert (sub, usb) == (first.request_id, second.request_id)
    assert not first.done()
    fake.send(f"{usb}|USB|V")
    fake.send(f"{sub}|SUB|EU|Subscribe request come too late")
    assert second.result().method.value == "USB"
    with pytest.raises(AdapterError):
        first.result()
    assert first.done()
    assert first.reply().request_id == sub
    assert "PendingReply SUB" in repr(first)


def test_request_ids_are_unique_hex(proxy):
    ids = {proxy.new_request_id() for _ in range(300)}
    assert len(ids) == 300
    assert all(int(rid, 16) for rid in ids)


# -- protocol violations ---------------------------------------------------------------


def test_update_for_an_unknown_subscription_is_a_violation(proxy, remote):
    fake = ready(proxy, remote)
    fake.send("1|UD3|S|a|S|nosuchid|B|0")
    with pytest.raises(SimulatorError, match="not the id of a SUB request"):
        proxy.next_update()
    assert len(proxy.violations) == 1


def test_update_after_the_unsubscription_reply_is_a_violation(proxy, remote):
    fake = ready(proxy, remote, {"SUB": ["{id}|SUB|V"], "USB": ["{id}|USB|V"]})
    sub_id = proxy.subscribe("a").request_id
    proxy.unsubscribe("a")
    fake.send(f"1|EOS|S|a|S|{sub_id}")
    with pytest.raises(SimulatorError, match="after the reply to its unsubscription"):
        proxy.expect(EndOfSnapshot)


def test_update_with_the_id_of_another_item_is_a_violation(proxy, remote):
    fake = ready(proxy, remote, {"SUB": ["{id}|SUB|V"]})
    sub_id = proxy.subscribe("a").request_id
    fake.send(f"1|UD3|S|b|S|{sub_id}|B|0")
    assert "of the SUB of item 'a'" in str(proxy.expect_violation())
    proxy.check()  # already reported


def test_lenient_simulator_accepts_stray_updates(remote):
    with DataProxySimulator(timeout=T, strict=False) as proxy:
        fake = ready(proxy, remote)
        fake.send("1|UD3|S|a|S|x|B|0|S|f|S|v")
        assert proxy.next_update().values == {"f": "v"}


def test_error_subtype_of_another_method_is_a_violation(proxy, remote):
    ready(proxy, remote, {"SUB": ["{id}|SUB|EA|nope"]})
    with pytest.raises(SimulatorError, match="malformed reply to the SUB request"):
        proxy.subscribe("a", timeout=T)


def test_reply_with_the_wrong_method_is_a_violation(proxy, remote):
    ready(proxy, remote, {"SUB": ["{id}|USB|V"]})
    with pytest.raises(SimulatorError, match="has method USB, expected SUB"):
        proxy.subscribe("a")


def test_reply_to_an_unknown_id_and_second_reply(proxy, remote):
    fake = ready(proxy, remote, {"SUB": ["{id}|SUB|V", "{id}|SUB|V"]})
    proxy.subscribe("a")
    assert "second reply to the SUB request" in str(proxy.expect_violation())
    fake.send("nosuchid|USB|V")
    assert "unknown request id 'nosuchid'" in str(proxy.expect_violation())
    fake.send("KEEPALIVE")
    proxy.expect(Keepalive)
    assert len(proxy.violations) == 2


def test_several_violations_are_raised_together(proxy, remote):
    # One line, two violations: not RAC first, and a reply to an unknown id.
    remote(proxy.address, first=["x1|SUB|V"])
    with pytest.raises(SimulatorError) as both:
        proxy.accept()
    assert "must be RAC" in str(both.value)
    assert "(and 1 more: reply to an unknown request id 'x1'" in str(both.value)
    assert both.value.line == "x1|SUB|V"
    proxy.check()  # reported once


def test_malformed_line_and_metadata_messages_on_a_data_connection(proxy, remote):
    fake = ready(proxy, remote)
    fake.send("garbage")
    assert "malformed line" in str(proxy.expect_violation())
    fake.send("64|FST|S|S1|V")
    violation = proxy.expect_violation()
    assert "FST is a Metadata request, received on a Data connection" in str(violation)
    assert violation.line == "64|FST|S|S1|V"
    with pytest.raises(TimeoutError, match="a protocol violation"):
        proxy.expect_violation(SHORT)


def test_dfd_on_1_8_is_a_violation(remote):
    with DataProxySimulator(timeout=T) as proxy:
        fake = remote(proxy.address, {"DPI": ["{id}|DPI|S|ARI.version|S|1.8.3"]})
        proxy.accept()
        proxy.init(version="1.8.3")
        fake.send("1|DFD|S|a|S|b|S|f|F|J")
        with pytest.raises(SimulatorError, match="DFD"):
            proxy.expect_line()


def test_with_block_raises_unreported_violations(remote):
    with pytest.raises(SimulatorError, match="malformed"), DataProxySimulator(timeout=T) as proxy:
        fake = ready(proxy, remote)
        fake.send("garbage")
        proxy.expect_line()


# -- raw level ---------------------------------------------------------------------------


def test_raw_send_and_expect_line(proxy, remote):
    fake = ready(proxy, remote, {"SUB": ["KEEPALIVE", "{id}|SUB|V"], "USB": ["{id}|USB|E|x"]})
    proxy.send_raw("X1|SUB|S|item")
    assert fake.next_line() == "X1|SUB|S|item"
    assert proxy.expect_line() == "X1|SUB|V"
    # A malformed request still expects its reply: no violation for it.
    proxy.send_raw("X2|USB|S|a|S|b")
    assert proxy.expect_line() == "X2|USB|E|x"
    proxy.send_raw("0|CLOSE|S|reason|S|any")
    assert proxy.received[0] == "1|RAC|S|enableClosePacket|S|true|S|SDK|S|Python+Adapter+SDK"
    assert "KEEPALIVE" in proxy.received
    assert proxy.received_bytes.startswith(b"1|RAC|")
    assert proxy.received_bytes.endswith(b"X2|USB|E|x\r\n")
    assert proxy.sent[-1] == "0|CLOSE|S|reason|S|any"
    proxy.check()
    with pytest.raises(ValueError, match="CR or LF"):
        proxy.send_raw("a\r\nb")


def test_expect_line_can_return_keepalives(proxy, remote):
    fake = ready(proxy, remote)
    fake.send("KEEPALIVE")
    assert proxy.expect_line(skip_keepalives=False) == "KEEPALIVE"


# -- timeouts, closing ---------------------------------------------------------------------


def test_timeouts_are_quick_and_helpful(proxy, remote):
    ready(proxy, remote)
    started = time.monotonic()
    with pytest.raises(TimeoutError) as no_reply:
        proxy.subscribe("item1", timeout=SHORT)
    assert "SUB request" in str(no_reply.value)
    assert "item 'item1'" in str(no_reply.value)
    assert "last line received" in str(no_reply.value)
    with pytest.raises(TimeoutError, match="EndOfSnapshot notification for item 'x'"):
        proxy.expect(EndOfSnapshot, SHORT, item="x")
    with pytest.raises(TimeoutError, match="a line from the adapter"):
        proxy.expect_line(SHORT)
    with pytest.raises(TimeoutError):
        proxy.wait_closed(SHORT)
    assert time.monotonic() - started < 4 * SHORT + 1.0


def test_accept_timeout(proxy):
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="no adapter connected"):
        proxy.accept(timeout=SHORT)
    assert time.monotonic() - started < SHORT + 1.0


def test_methods_before_accept_explain_what_to_do(proxy):
    with pytest.raises(RuntimeError, match="call accept"):
        proxy.subscribe("a")
    assert proxy.version is None
    assert proxy.remote_credentials is None
    assert not proxy.connected
    proxy.check()


def test_reply_waits_fail_when_the_adapter_disconnects(proxy, remote):
    fake = ready(proxy, remote)
    pending = proxy.send_subscribe("a")
    fake.next_line()
    fake.close()
    with pytest.raises(ConnectionError, match="the adapter closed the connection"):
        pending.result()
    proxy.wait_closed()
    assert not proxy.connected


def test_close_connection_sends_close_then_eof(proxy, remote):
    fake = ready(proxy, remote)
    proxy.close_connection("server shutting down")
    assert fake.eof.wait(T)
    assert bytes(fake.raw).endswith(b"0|CLOSE|S|reason|S|server+shutting+down\r\n")
    with pytest.raises(ConnectionError, match="the simulator closed the connection"):
        proxy.subscribe("a")


def test_accept_again_takes_the_next_connection(proxy, remote):
    first = ready(proxy, remote)
    second = remote(proxy.address, DPI_OK)
    proxy.accept()
    assert first.eof.wait(T)  # the previous connection was closed
    proxy.init()
    assert second.next_line().split("|")[1] == "DPI"


def test_close_joins_the_threads(remote, no_leaked_threads):
    proxy = DataProxySimulator(timeout=T)
    ready(proxy, remote)
    remote(proxy.address)  # queued, never accepted
    proxy.close()
    proxy.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        proxy.accept()


def test_attach_starts_and_closes_the_server(remote):
    class Server:
        def __init__(self, address):
            self.address = address
            self.fake = None
            self.closed = False

        def start(self):
            self.fake = remote(self.address, DPI_OK)

        def close(self):
            self.closed = True

    with DataProxySimulator(timeout=T) as proxy:
        server = Server(proxy.address)
        assert proxy.attach(server).params["ARI.version"] == "1.9.1"
    assert server.closed


def test_close_sends_close_when_the_adapter_asked_for_it(remote):
    proxy = DataProxySimulator(timeout=T)
    fake = ready(proxy, remote)
    proxy.close()
    assert fake.eof.wait(T)
    assert bytes(fake.raw).endswith(b"0|CLOSE|S|reason|S|simulator+closed\r\n")


def test_drop_connection_sends_nothing(proxy, remote):
    fake = ready(proxy, remote)
    received = bytes(fake.raw)
    proxy.drop_connection()
    assert fake.eof.wait(T)
    assert bytes(fake.raw) == received
    with pytest.raises(ConnectionError):
        proxy.expect_line()


def test_many_updates_keep_their_order(proxy, remote):
    fake = ready(proxy, remote, {"SUB": ["{id}|SUB|V"]})
    sub_id = proxy.subscribe("a").request_id
    count = 5000
    fake.send_bytes(
        b"".join(f"{n}|UD3|S|a|S|{sub_id}|B|0|S|n|S|{n}\r\n".encode() for n in range(count))
    )
    fake.send("KEEPALIVE")
    proxy.expect(Keepalive)  # every update is queued by now
    assert [u.values["n"] for u in itertools.islice(proxy.updates(), count)] == [
        str(n) for n in range(count)
    ]
    assert proxy.item_state("a") == {"n": str(count - 1)}
