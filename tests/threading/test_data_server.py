"""DataProviderServer against a raw fake Proxy: exact wire lines (ARI-PROTOCOL.md §5, §6).

Checklist items of ARI-PROTOCOL.md §10 are cited as "(#n)".
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from lightstreamer_adapter.interfaces.data import (
    DataProviderError,
    DiffAlgorithm,
    FailureError,
    ItemEventListener,
    SubscribeError,
)
from lightstreamer_adapter.protocol.errors import (
    CloseRequestedError,
    LocalProtocolError,
    RemoteProtocolError,
)
from lightstreamer_adapter.server import DataProviderServer

LATE = "Subscribe request come too late"


def notification(line: str) -> str:
    """Replace the epoch-millis first token of a notification by ``<ts>`` (#49)."""
    first, rest = line.split("|", 1)
    assert first.isdigit(), line
    assert abs(int(first) - time.time() * 1000) < 60_000, line
    return "<ts>|" + rest


# ---------------------------------------------------------------------- RAC and DPI


def test_rac_is_first_and_dpi_is_answered(kit: Any, proxy: Any, closing: list[Any]) -> None:
    adapter = kit.Adapter()
    server = kit.start_server(proxy, adapter, closing)  # checks RAC (#1, #2, #3) and DPI (#15)
    assert server.protocol_version == "1.9.1"
    assert not server.init_expected
    assert [c[0] for c in adapter.calls] == ["initialize", "set_listener"]  # (#25)
    assert adapter.listener is server
    assert isinstance(adapter.listener, ItemEventListener)


RAC_TAIL = "|S|enableClosePacket|S|true|S|SDK|S|Python+Adapter+SDK"


@pytest.mark.parametrize(
    ("user", "password", "expected"),
    [
        ("alice", None, "1|RAC|S|user|S|alice" + RAC_TAIL),
        (None, "s3 cr|t", "1|RAC|S|password|S|s3+cr%7Ct" + RAC_TAIL),
        ("u", "p", "1|RAC|S|user|S|u|S|password|S|p" + RAC_TAIL),
    ],
)
def test_rac_with_credentials(
    kit: Any, proxy: Any, closing: list[Any], user: Any, password: Any, expected: str
) -> None:
    server = DataProviderServer(kit.Adapter(), proxy.address)
    closing.append(server)
    server.set_exception_handler(kit.RecordingHandler())
    server.remote_user = user
    server.remote_password = password
    server.start()
    proxy.accept()
    assert proxy.read_line() == expected


def test_dpi_parameters_reach_initialize(kit: Any, proxy: Any, closing: list[Any]) -> None:
    adapter = kit.Adapter()
    server = DataProviderServer(adapter, proxy.address, keep_alive=None)
    closing.append(server)
    server.set_exception_handler(kit.RecordingHandler())
    server.adapter_config = "conf.xml"
    server.adapter_params = {"local": "L", "clash": "local wins"}
    server.start()
    proxy.accept()
    proxy.read_line()
    proxy.send(
        "ID9|DPI|S|ARI.version|S|1.9.2|S|keepalive_hint.millis|S|5000|S|adapters_conf.id|S|DEMO"
        "|S|clash|S|remote|S|remote%3Aurl|S|http%3A%2F%2Fx+y|S|nothing|S|#"
    )
    assert proxy.read_line() == "ID9|DPI|S|ARI.version|S|1.9.1"  # (#17)
    assert adapter.params == {  # (#22, #23, #26)
        "adapters_conf.id": "DEMO",
        "clash": "local wins",
        "remote:url": "http://x y",
        "nothing": None,
        "local": "L",
    }
    assert adapter.config == "conf.xml"
    assert server.keep_alive == 5.0


@pytest.mark.parametrize(
    "offer",
    [
        "ID1|DPI|S|ARI.version|S|1.9.0",
        "ID1|DPI|S|ARI.version|S|1.8.3",
        "ID1|DPI|S|ARI.version|S|1.8.0",
        "ID1|DPI|S|data_provider.name|S|DEFAULT",
        "ID1|DPI",
        "ID1|DPI|S|ARI.version|S|bogus",
    ],
)
def test_dpi_refused_versions(kit: Any, proxy: Any, closing: list[Any], offer: str) -> None:
    adapter = kit.Adapter()
    server = kit.start_server(proxy, adapter, closing, init=offer)
    reply = proxy.received[-1]
    assert reply.startswith("ID1|DPI|ED|"), reply  # (#18, #21)
    assert " " not in reply  # BC-encoded message
    assert adapter.calls == []
    assert server.init_expected
    # Later requests are answered with an error, never left waiting.
    proxy.send("S1|SUB|S|item")
    assert proxy.read_line().startswith("S1|SUB|E|")


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (DataProviderError("The ID must be supplied"), "ID1|DPI|ED|The+ID+must+be+supplied"),
        (RuntimeError("broken"), "ID1|DPI|E|broken"),
        (type("MyProviderError", (DataProviderError,), {})("sub"), "ID1|DPI|ED|sub"),
    ],
)
def test_initialize_errors(
    kit: Any, proxy: Any, closing: list[Any], error: Exception, expected: str
) -> None:
    adapter = kit.Adapter()

    def fail() -> None:
        raise error

    adapter.init_hook = fail
    kit.start_server(proxy, adapter, closing, init="ID1|DPI|S|ARI.version|S|1.9.1")
    assert proxy.received[-1] == expected  # (#24)
    assert ("set_listener",) not in adapter.calls


def test_slow_initialize_does_not_stop_the_reader(
    kit: Any, proxy: Any, closing: list[Any]
) -> None:
    adapter = kit.Adapter()
    release = threading.Event()
    adapter.init_hook = lambda: release.wait(kit.T())
    handler = kit.RecordingHandler()
    kit.start_server(proxy, adapter, closing, handler=handler, init=None)
    proxy.send(kit.DPI_191, "S1|SUB|S|item", "0|CLOSE|S|reason|S|shutting+down")
    # CLOSE is noticed while initialize() is still running (#89).
    assert handler.error_event.wait(kit.T())
    assert isinstance(handler.errors[0], CloseRequestedError)
    assert handler.errors[0].reason == "shutting down"
    assert not release.is_set()
    release.set()
    assert proxy.wait_eof()


def test_end_of_stream_during_a_slow_initialize(kit: Any, proxy: Any, closing: list[Any]) -> None:
    adapter = kit.Adapter()
    release = threading.Event()
    adapter.init_hook = lambda: release.wait(kit.T())
    handler = kit.RecordingHandler()
    kit.start_server(proxy, adapter, closing, handler=handler, init=None)
    proxy.send(kit.DPI_191)
    wait_for_init(adapter, kit)
    assert adapter.calls[0][0] == "initialize"
    proxy.close_connection()
    assert handler.io_event.wait(kit.T())  # noticed while initialize() still runs
    assert isinstance(handler.io[0], EOFError) and not release.is_set()
    release.set()


def wait_for_init(adapter: Any, kit: Any) -> None:
    deadline = time.monotonic() + kit.T()
    while not adapter.calls:
        assert time.monotonic() < deadline
        threading.Event().wait(0.005)


def test_requests_wait_for_the_init_reply(kit: Any, proxy: Any, closing: list[Any]) -> None:
    adapter = kit.Adapter()
    release = threading.Event()
    adapter.init_hook = lambda: release.wait(kit.T())
    kit.start_server(proxy, adapter, closing, init=None)
    proxy.send(kit.DPI_191, "S1|SUB|S|a", "S2|SUB|S|b")
    assert proxy.no_line_within(0.2)
    assert ("subscribe", "a") not in adapter.calls
    release.set()
    lines = proxy.read_lines(3)
    assert lines[0] == "DPI1|DPI|S|ARI.version|S|1.9.1"
    assert sorted(lines[1:]) == ["S1|SUB|V", "S2|SUB|V"]


# ---------------------------------------------------------------------- SUB / USB


def test_subscribe_and_unsubscribe(kit: Any, proxy: Any, closing: list[Any]) -> None:
    adapter = kit.Adapter()
    kit.start_server(proxy, adapter, closing)
    proxy.send("S1|SUB|S|An Item Name")
    assert proxy.read_line() == "S1|SUB|V"  # (#34)
    proxy.send("U1|USB|S|An Item Name")
    assert proxy.read_line() == "U1|USB|V"
    assert [c for c in adapter.calls if c[0] != "initialize"][1:] == [
        ("issnapshot_available", "An Item Name"),
        ("subscribe", "An Item Name"),
        ("unsubscribe", "An Item Name"),
    ]


def test_no_snapshot_sends_eos_before_subscribe(kit: Any, proxy: Any, closing: list[Any]) -> None:
    adapter = kit.Adapter()
    adapter.snapshot["news|item"] = False
    seen_before_subscribe: list[str] = []

    def on_subscribe(item: str) -> None:
        seen_before_subscribe.extend(proxy.received)  # nothing read yet by the test
        adapter.listener.update(item, {"body": "Rates up 0.25% → react"}, False)

    adapter.subscribe_hook = on_subscribe
    kit.start_server(proxy, adapter, closing)
    proxy.send("S1|SUB|S|news%7Citem")
    lines = proxy.read_lines(3)
    assert notification(lines[0]) == "<ts>|EOS|S|news%7Citem|S|S1"  # (#36)
    assert (
        notification(lines[1])
        == "<ts>|UD3|S|news%7Citem|S|S1|B|0|S|body|S|Rates up 0.25%25 → react"
    )
    assert lines[2] == "S1|SUB|V"


@pytest.mark.parametrize("value", [True, None, 0])
def test_eos_only_when_snapshot_is_exactly_false(
    kit: Any, proxy: Any, closing: list[Any], value: Any
) -> None:
    adapter = kit.Adapter()
    adapter.snapshot["item"] = value
    kit.start_server(proxy, adapter, closing)
    proxy.send("S1|SUB|S|item")
    assert proxy.read_line() == "S1|SUB|V"


def test_snapshot_from_inside_subscribe(kit: Any, proxy: Any, closing: list[Any]) -> None:
    adapter = kit.Adapter()

    def on_subscribe(item: str) -> None:
        adapter.listener.update(item, {"last_price": "12.3", "time": "10:00:00"}, True)
        adapter.listener.end_of_snapshot(item)

    adapter.subscribe_hook = on_subscribe
    kit.start_server(proxy, adapter, closing)
    proxy.send("S1|SUB|S|item1")
    lines = proxy.read_lines(3)
    assert [notification(line) for line in lines[:2]] == [  # (#44, #46, #50)
        "<ts>|UD3|S|item1|S|S1|B|1|S|last_price|S|12.3|S|time|S|10:00:00",
        "<ts>|EOS|S|item1|S|S1",
    ]
    assert lines[2] == "S1|SUB|V"


class MySubscribeError(SubscribeError):
    pass


class BadStr(Exception):
    def __str__(self) -> str:
        raise ValueError("no text")


@pytest.mark.parametrize(
    ("error", "reply"),
    [
        (SubscribeError("Subscription Error"), "S1|SUB|EU|Subscription Error"),
        (FailureError("Failure Error"), "S1|SUB|EF|Failure Error"),
        (MySubscribeError("mine"), "S1|SUB|EU|mine"),
        (RuntimeError("oops"), "S1|SUB|E|oops"),
        (BadStr(), "S1|SUB|E|BadStr"),
    ],
)
def test_subscribe_errors(
    kit: Any, proxy: Any, closing: list[Any], error: Exception, reply: str
) -> None:
    adapter = kit.Adapter()

    def fail(item: str) -> None:
        adapter.listener.update(item, {"f": "during"}, False)
        raise error

    adapter.subscribe_hook = fail
    kit.start_server(proxy, adapter, closing)
    proxy.send("S1|SUB|S|item")
    lines = proxy.read_until(lambda line: line.startswith("S1|"))
    assert lines[-1] == reply  # (#35)
    # The subscription failed: events are dropped from now on (bug B15), and the USB is
    # answered without calling the adapter (#40).
    adapter.listener.update("item", {"f": "after"}, False)
    proxy.send("U1|USB|S|item")
    assert proxy.read_line() == "U1|USB|V"
    assert ("unsubscribe", "item") not in adapter.calls
    # The item is not wedged (bug B14).
    adapter.subscribe_hook = None
    proxy.send("S2|SUB|S|item")
    assert proxy.read_line() == "S2|SUB|V"


def test_issnapshot_available_raising(kit: Any, proxy: Any, closing: list[Any]) -> None:
    adapter = kit.Adapter()
    adapter.snapshot["item"] = FailureError("no snapshot info")
    kit.start_server(proxy, adapter, closing)
    proxy.send("S1|SUB|S|item")
    assert proxy.read_line() == "S1|SUB|EF|no snapshot info"  # (#37)
    assert ("subscribe", "item") not in adapter.calls


@pytest.mark.parametrize(
    ("error", "reply"),
    [
        (SubscribeError("u"), "U1|USB|EU|u"),
        (FailureError("Failure Error"), "U1|USB|EF|Failure Error"),
        (KeyError("k"), "U1|USB|E|'k'"),
    ],
)
def test_unsubscribe_errors(
    kit: Any, proxy: Any, closing: list[Any], error: Exception, reply: str
) -> None:
    adapter = kit.Adapter()

    def fail(item: str) -> None:
        raise error

    adapter.unsubscribe_hook = fail
    kit.start_server(proxy, adapter, closing)
    # One at a time: a SUB already followed by its USB would be "too late".
    proxy.send("S1|SUB|S|item")
    assert proxy.read_line() == "S1|SUB|V"
    proxy.send("U1|USB|S|item")
    assert proxy.read_line() == reply
    # The subscription is over anyway.
    adapter.listener.update("item", {"f": "after"}, False)
    adapter.unsubscribe_hook = None
    proxy.send("S2|SUB|S|item")
    assert proxy.read_line() == "S2|SUB|V"
    proxy.send("U2|USB|S|item")
    assert proxy.read_line() == "U2|USB|V"


class Fatal(BaseException):
    """Not an Exception: escapes every ``except Exception``."""


def test_base_exception_in_subscribe_still_answers(
    kit: Any, proxy: Any, closing: list[Any]
) -> None:
    adapter = kit.Adapter()
    calls = [0]

    def fail(item: str) -> None:
        calls[0] += 1
        if calls[0] == 1:
            raise Fatal("stop")

    adapter.subscribe_hook = fail
    kit.start_server(proxy, adapter, closing)
    proxy.send("S1|SUB|S|item")
    assert proxy.read_line().startswith("S1|SUB|E|")  # (#91, bug B14)
    proxy.send("U1|USB|S|item", "S2|SUB|S|item")
    assert proxy.read_lines(2) == ["U1|USB|V", "S2|SUB|V"]


def test_usb_for_unknown_item(
    kit: Any, proxy: Any, closing: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    adapter = kit.Adapter()
    kit.start_server(proxy, adapter, closing)
    with caplog.at_level(logging.WARNING):
        proxy.send("U1|USB|S|never")
        assert proxy.read_line() == "U1|USB|V"  # (#41)
    assert any("never" in r.getMessage() and "U1" in r.getMessage() for r in caplog.records)
    assert ("unsubscribe", "never") not in adapter.calls


def test_late_subscribe_sequence(kit: Any, proxy: Any, closing: list[Any]) -> None:
    # ARI-PROTOCOL.md §6.3: ID1..ID7 queued behind a running subscribe().
    adapter = kit.Adapter()
    entered = threading.Event()
    release = threading.Event()

    def slow(item: str) -> None:
        if not entered.is_set():
            entered.set()
            assert release.wait(kit.T())

    adapter.subscribe_hook = slow
    server = kit.start_server(proxy, adapter, closing)
    proxy.send("ID1|SUB|S|item1")
    assert entered.wait(kit.T())
    proxy.send(
        "ID2|USB|S|item1",
        "ID3|SUB|S|item1",
        "ID4|USB|S|item1",
        "ID5|SUB|S|item1",
        "ID6|USB|S|item1",
        "ID7|SUB|S|item1",
    )
    # Wait until the reader has queued the six requests behind ID1.
    deadline = time.monotonic() + kit.T()
    while server._items.pending("item1") < 7:
        assert time.monotonic() < deadline
        threading.Event().wait(0.005)
    release.set()
    assert proxy.read_lines(7) == [  # (#38, #39, #40, #42, bug B1)
        "ID1|SUB|V",
        "ID2|USB|V",
        f"ID3|SUB|EU|{LATE}",
        "ID4|USB|V",
        f"ID5|SUB|EU|{LATE}",
        "ID6|USB|V",
        "ID7|SUB|V",
    ]
    assert [c for c in adapter.calls if c[0] in ("subscribe", "unsubscribe")] == [
        ("subscribe", "item1"),
        ("unsubscribe", "item1"),
        ("subscribe", "item1"),
    ]


def test_usb_while_subscribe_is_running(kit: Any, proxy: Any, closing: list[Any]) -> None:
    adapter = kit.Adapter()
    entered = threading.Event()
    release = threading.Event()
    feeding = threading.Event()
    stop_feeding = threading.Event()
    order: list[str] = []

    def slow_subscribe(item: str) -> None:
        order.append("subscribe-start")
        entered.set()
        assert release.wait(kit.T())
        adapter.listener.update(item, {"n": "in-subscribe"}, True)
        order.append("subscribe-end")

    def feed() -> None:
        # Keeps sending while the USB is processed: nothing may follow its reply.
        n = 0
        while not stop_feeding.is_set():
            adapter.listener.update("item", {"n": str(n)}, False)
            n += 1
            if n == 50:
                feeding.set()

    def on_unsubscribe(item: str) -> None:
        order.append("unsubscribe")
        feeder = threading.Thread(target=feed)
        feeder.start()
        assert feeding.wait(kit.T())
        stop_after_reply.append(feeder)

    stop_after_reply: list[threading.Thread] = []
    adapter.subscribe_hook = slow_subscribe
    adapter.unsubscribe_hook = on_unsubscribe
    kit.start_server(proxy, adapter, closing, thread_pool_size=4)
    proxy.send("S1|SUB|S|item")
    assert entered.wait(kit.T())
    proxy.send("U1|USB|S|item")
    release.set()
    lines = proxy.read_until(lambda line: line == "U1|USB|V")
    stop_feeding.set()
    for feeder in stop_after_reply:
        feeder.join(kit.T())
    assert order == ["subscribe-start", "subscribe-end", "unsubscribe"]  # (#38)
    assert notification(lines[0]) == "<ts>|UD3|S|item|S|S1|B|1|S|n|S|in-subscribe"
    assert lines[1] == "S1|SUB|V"
    assert all("|UD3|S|item|S|S1|B|0|" in line for line in lines[2:-1])
    # Nothing after the USB reply (#45).
    assert proxy.no_line_within(0.2)


def test_updates_after_unsubscribe_are_dropped(
    kit: Any, proxy: Any, closing: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    adapter = kit.Adapter()
    kit.start_server(proxy, adapter, closing)
    proxy.send("S1|SUB|S|item")
    assert proxy.read_line() == "S1|SUB|V"
    proxy.send("U1|USB|S|item")
    assert proxy.read_line() == "U1|USB|V"
    with caplog.at_level(
        logging.WARNING, logger="lightstreamer-adapter.server.DataProviderServer"
    ):
        for n in range(100):
            adapter.listener.update("item", {"n": str(n)}, False)
        adapter.listener.end_of_snapshot("item")
        adapter.listener.clear_snapshot("item")
        adapter.listener.declare_field_diff_order("item", {"n": None})
    assert proxy.no_line_within(0.2)  # (#43)
    drops = [r for r in caplog.records if "Unexpected update for item_name item" in r.getMessage()]
    assert len(drops) == 1  # rate-limited (bug B18)


def test_subscription_ids_follow_the_current_sub(kit: Any, proxy: Any, closing: list[Any]) -> None:
    adapter = kit.Adapter()
    kit.start_server(proxy, adapter, closing)
    proxy.send("S1|SUB|S|item")
    assert proxy.read_line() == "S1|SUB|V"
    adapter.listener.update("item", {"a": "1"}, False)
    assert notification(proxy.read_line()) == "<ts>|UD3|S|item|S|S1|B|0|S|a|S|1"
    proxy.send("U1|USB|S|item", "S2|SUB|S|item")
    assert proxy.read_lines(2) == ["U1|USB|V", "S2|SUB|V"]
    adapter.listener.update("item", {"a": "2"}, False)
    adapter.listener.clear_snapshot("item")
    assert [notification(line) for line in proxy.read_lines(2)] == [
        "<ts>|UD3|S|item|S|S2|B|0|S|a|S|2",
        "<ts>|CLS|S|item|S|S2",
    ]


# ---------------------------------------------------------------------- listener values


def test_update_timestamp_is_the_current_millisecond(
    kit: Any, proxy: Any, closing: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first token of UD3 is made once per millisecond of time.time() and reused
    # within it (#49); a clock that moves on, or back, gives the new millisecond.
    import lightstreamer_adapter._threading.data_server as data_server

    adapter = kit.Adapter()
    kit.start_server(proxy, adapter, closing)
    proxy.send("S1|SUB|S|item")
    assert proxy.read_line() == "S1|SUB|V"
    clock = [1_700_000_000.1234]
    monkeypatch.setattr(data_server, "_time", lambda: clock[0])
    expected = []
    for now, stamp in [
        (1_700_000_000.1234, "1700000000123"),
        (1_700_000_000.1239, "1700000000123"),  # the same millisecond: reused
        (1_700_000_000.1241, "1700000000124"),
        (1_700_000_002.5, "1700000002500"),
        (1_699_999_000.0, "1699999000000"),  # set back: not frozen until it catches up
    ]:
        clock[0] = now
        adapter.listener.update("item", {"f": "v"}, False)
        expected.append(f"{stamp}|UD3|S|item|S|S1|B|0|S|f|S|v")
    assert proxy.read_lines(5) == expected


def test_update_value_types(kit: Any, proxy: Any, closing: list[Any]) -> None:
    adapter = kit.Adapter()
    kit.start_server(proxy, adapter, closing)
    proxy.send("S1|SUB|S|AnItemName")
    assert proxy.read_line() == "S1|SUB|V"
    listener = adapter.listener
    listener.update(
        "AnItemName",
        {
            "field1": "A string",
            "field2": "",
            "field3": None,
            "bytes": b"caf\xe9",
            "int": 42,
            "float": 1.5,
            "bool": True,
            "field_|": "value€",
        },
        False,
    )
    listener.update("AnItemName", {}, True)  # an event without fields
    listener.update("AnItemName", events_map={"kw": "1.3.1 name"}, issnapshot=False)
    listener.update("AnItemName", item_event={"kw": "interface name"}, issnapshot=False)
    assert [notification(line) for line in proxy.read_lines(4)] == [  # (#46, #47, #48)
        "<ts>|UD3|S|AnItemName|S|S1|B|0|S|field1|S|A string|S|field2|S|$|S|field3|S|#"
        "|S|bytes|S|café|S|int|S|42|S|float|S|1.5|S|bool|S|True|S|field_%7C|S|value€",
        "<ts>|UD3|S|AnItemName|S|S1|B|1",
        "<ts>|UD3|S|AnItemName|S|S1|B|0|S|kw|S|1.3.1 name",
        "<ts>|UD3|S|AnItemName|S|S1|B|0|S|kw|S|interface name",
    ]
    with pytest.raises(TypeError):
        listener.update("AnItemName", {"a": "1"}, False, events_map={"a": "2"})
    with pytest.raises(TypeError):
        listener.update("AnItemName", {"a": "1"})


def test_unsupported_value_goes_to_the_handler(kit: Any, proxy: Any, closing: list[Any]) -> None:
    adapter = kit.Adapter()
    handler = kit.RecordingHandler()
    kit.start_server(proxy, adapter, closing, handler=handler)
    proxy.send("S1|SUB|S|item")
    assert proxy.read_line() == "S1|SUB|V"
    adapter.listener.update("item", {"bad": [1, 2]}, False)  # does not raise
    assert handler.error_event.wait(kit.T())
    assert isinstance(handler.errors[0], LocalProtocolError)
    assert "bad" in str(handler.errors[0]) and "item" in str(handler.errors[0])
    assert proxy.no_line_within(0.1)  # the handler returned False: no FAL


def test_unsupported_value_default_handling_sends_fal(
    kit: Any, proxy: Any, closing: list[Any]
) -> None:
    adapter = kit.Adapter()
    kit.start_server(proxy, adapter, closing, handler=kit.RecordingHandler(exc_result=True))
    proxy.send("S1|SUB|S|item")
    assert proxy.read_line() == "S1|SUB|V"
    adapter.listener.update("item", {"bad": object()}, False)
    assert notification(proxy.read_line()).startswith("<ts>|FAL|E|")  # (#54)


def test_other_notifications(kit: Any, proxy: Any, closing: list[Any]) -> None:
    adapter = kit.Adapter()
    kit.start_server(proxy, adapter, closing)
    proxy.send("S1|SUB|S|AnItemName")
    assert proxy.read_line() == "S1|SUB|V"
    listener = adapter.listener
    listener.declare_field_diff_order(
        "AnItemName",
        {
            "field1": [DiffAlgorithm.JSONPATCH],
            "field2": None,
            "field3": [],
            "field5": ["JSONPATCH", DiffAlgorithm.DIFF_MATCH_PATCH],
        },
    )
    listener.clear_snapshot("AnItemName")
    listener.end_of_snapshot("AnItemName")
    listener.failure(Exception("Generic exception"))
    listener.failure(Exception())
    assert [notification(line) for line in proxy.read_lines(5)] == [
        "<ts>|DFD|S|AnItemName|S|S1|S|field1|F|J|S|field2|F|#|S|field3|F|$|S|field5|F|JM",  # (#51)
        "<ts>|CLS|S|AnItemName|S|S1",  # (#50)
        "<ts>|EOS|S|AnItemName|S|S1",
        "<ts>|FAL|E|Generic exception",  # (#53)
        "<ts>|FAL|E|Exception",
    ]


# ---------------------------------------------------------------------- volume


def test_100k_updates_over_100_items_complete_and_ordered(
    kit: Any, proxy: Any, closing: list[Any]
) -> None:
    adapter = kit.Adapter()
    kit.start_server(proxy, adapter, closing, thread_pool_size=4)
    items = [f"item{n}" for n in range(100)]
    proxy.send(*(f"S{n}|SUB|S|{item}" for n, item in enumerate(items)))
    replies = proxy.read_lines(100)
    assert sorted(replies) == sorted(f"S{n}|SUB|V" for n in range(100))
    per_item = 1000
    producers = 4

    def produce(part: int) -> None:
        listener = adapter.listener
        mine = items[part::producers]
        for seq in range(per_item):
            for item in mine:
                listener.update(item, {"seq": str(seq), "price": 1.25}, False)

    threads = [threading.Thread(target=produce, args=(p,)) for p in range(producers)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    expected = len(items) * per_item
    last: dict[str, int] = {}
    buffer = b""
    count = 0
    conn = proxy.conn
    deadline = time.monotonic() + kit.T(20)
    while count < expected:
        conn.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = conn.recv(1 << 20)
        assert chunk, "end of stream"
        buffer += chunk
        *lines, buffer = buffer.split(b"\r\n")
        for raw in lines:
            parts = raw.split(b"|")
            assert parts[1] == b"UD3", raw
            item = parts[3].decode()
            seq = int(parts[11])
            assert seq == last.get(item, -1) + 1, (item, seq)  # per-item order, no loss
            last[item] = seq
            count += 1
    for thread in threads:
        thread.join(kit.T())
    elapsed = time.monotonic() - started
    assert count == expected and set(last.values()) == {per_item - 1}
    assert buffer == b""
    assert elapsed < kit.T(10)


# ---------------------------------------------------------------------- errors


def test_malformed_request_gets_an_error_reply(kit: Any, proxy: Any, closing: list[Any]) -> None:
    handler = kit.RecordingHandler()
    kit.start_server(proxy, kit.Adapter(), closing, handler=handler)
    proxy.send("X1|SUB")  # missing item
    reply = proxy.read_line()
    assert reply.startswith("X1|SUB|E|"), reply  # (#92)
    assert handler.error_event.wait(kit.T())
    assert isinstance(handler.errors[0], RemoteProtocolError)
    # The reader goes on.
    proxy.send("S1|SUB|S|ok")
    assert proxy.read_line() == "S1|SUB|V"


def test_malformed_request_default_handling_sends_fal(
    kit: Any, proxy: Any, closing: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    kit.start_server(proxy, kit.Adapter(), closing, handler=kit.RecordingHandler(exc_result=True))
    with caplog.at_level(logging.ERROR):
        proxy.send("X1|SUB|Q|item")
        assert proxy.read_line().startswith("X1|SUB|E|")
        assert notification(proxy.read_line()).startswith("<ts>|FAL|E|")  # (#54)
    assert any(r.exc_info for r in caplog.records if r.levelno == logging.ERROR)


def test_lines_without_method_unknown_methods_and_keepalives(
    kit: Any, proxy: Any, closing: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    handler = kit.RecordingHandler()
    kit.start_server(proxy, kit.Adapter(), closing, handler=handler)
    with caplog.at_level(logging.WARNING):
        proxy.send("KEEPALIVE", "garbage", "N1|NUS|S|user|S|pwd", "Z1|ZZZ|S|x", "")
        proxy.send("S1|SUB|S|ok")
        assert proxy.read_line() == "S1|SUB|V"  # nothing before: no reply to those (#10, #12)
    assert len(handler.errors) == 1  # "garbage" (#11)
    assert isinstance(handler.errors[0], RemoteProtocolError)
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "NUS" in messages and "ZZZ" in messages


def test_request_before_init_is_a_protocol_error(kit: Any, proxy: Any, closing: list[Any]) -> None:
    handler = kit.RecordingHandler()
    adapter = kit.Adapter()
    kit.start_server(proxy, adapter, closing, handler=handler, init=None)
    proxy.send("S1|SUB|S|item")
    assert proxy.read_line().startswith("S1|SUB|E|")  # (#13)
    assert isinstance(handler.errors[0], RemoteProtocolError)
    assert adapter.calls == []
    proxy.send(kit.DPI_191, "DPI2|DPI|S|ARI.version|S|1.9.1")
    # The second init is refused by the reader, possibly before the first is answered.
    first, second = sorted(proxy.read_lines(2))
    assert first == "DPI1|DPI|S|ARI.version|S|1.9.1"
    assert second.startswith("DPI2|DPI|E|")  # (#14)
    assert len(handler.errors) == 2


def test_close_from_the_proxy(kit: Any, proxy: Any, closing: list[Any]) -> None:
    handler = kit.RecordingHandler(exc_result=True)
    server = kit.start_server(proxy, kit.Adapter(), closing, handler=handler)
    proxy.send("0|CLOSE|S|reason|S|keepalive+timeout")
    assert proxy.wait_eof()  # no FAL, nothing at all (#89)
    assert proxy._buffer == b""
    assert handler.error_event.wait(kit.T())
    assert isinstance(handler.errors[0], CloseRequestedError)
    assert handler.errors[0].reason == "keepalive timeout"
    # Default handling: the server closed itself and its threads end.
    deadline = time.monotonic() + kit.T()
    while any(t.is_alive() for t in server._threads()):
        assert time.monotonic() < deadline
        threading.Event().wait(0.01)
    assert handler.io == []  # the end of stream after CLOSE is not an I/O error


def test_close_with_wrong_id_is_a_protocol_error(kit: Any, proxy: Any, closing: list[Any]) -> None:
    handler = kit.RecordingHandler()
    kit.start_server(proxy, kit.Adapter(), closing, handler=handler)
    proxy.send("5|CLOSE|S|reason|S|x", "S1|SUB|S|item")
    assert proxy.read_line() == "S1|SUB|V"  # (#90): no reply, still serving
    assert isinstance(handler.errors[0], RemoteProtocolError)


def test_end_of_stream_is_reported_once(
    kit: Any, proxy: Any, closing: list[Any], no_process_exit: list[BaseException]
) -> None:
    handler = kit.RecordingHandler()
    server = kit.start_server(proxy, kit.Adapter(), closing, handler=handler)
    proxy.close_connection()
    assert handler.io_event.wait(kit.T())
    server.close()
    assert len(handler.io) == 1 and isinstance(handler.io[0], EOFError)  # (#93)
    assert no_process_exit == []


def test_end_of_stream_default_handling_ends_the_process(
    kit: Any, proxy: Any, closing: list[Any], no_process_exit: list[BaseException]
) -> None:
    # no_process_exit replaces Server._terminate_process (os._exit) with a recorder.
    server = DataProviderServer(kit.Adapter(), proxy.address)
    closing.append(server)
    server.start()
    proxy.accept()
    proxy.read_line()
    proxy.close_connection()
    deadline = time.monotonic() + kit.T()
    while not no_process_exit:
        assert time.monotonic() < deadline
        threading.Event().wait(0.01)
    assert isinstance(no_process_exit[0], EOFError)


# ---------------------------------------------------------------------- transport options


def test_keepalives_when_idle(kit: Any, proxy: Any, closing: list[Any]) -> None:
    started = time.monotonic()
    server = kit.start_server(proxy, kit.Adapter(), closing, init=None, keep_alive=0.2)
    assert server.keep_alive == 0.2
    assert proxy.read_line() == "KEEPALIVE"  # before the init request too (§6.1)
    assert time.monotonic() - started >= 0.2
    proxy.send(kit.DPI_191)
    assert proxy.read_reply("DPI1") == "DPI1|DPI|S|ARI.version|S|1.9.1"
    replied = time.monotonic()
    assert proxy.read_line() == "KEEPALIVE"
    assert time.monotonic() - replied >= 0.15  # any write restarts the idle timer (#87)


def test_keepalive_hint_forces_disabled_keepalives(
    kit: Any, proxy: Any, closing: list[Any]
) -> None:
    server = kit.start_server(
        proxy,
        kit.Adapter(),
        closing,
        init="DPI1|DPI|S|ARI.version|S|1.9.1|S|keepalive_hint.millis|S|500",
        keep_alive=0,
    )
    assert proxy.received[-1] == "DPI1|DPI|S|ARI.version|S|1.9.1"
    replied = time.monotonic()
    assert server.keep_alive == 1.0  # hint below the minimum (#82, #86; bug B6)
    assert proxy.read_line(kit.T()) == "KEEPALIVE"
    assert time.monotonic() - replied >= 0.95


def test_tcp_nodelay_is_set(kit: Any, proxy: Any, closing: list[Any]) -> None:
    server = kit.start_server(proxy, kit.Adapter(), closing)
    sock = server._transport._sock
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_ipv6(kit: Any, closing: list[Any]) -> None:
    if not kit.ipv6_available():
        pytest.skip("::1 is not available on this machine")
    proxy = kit.FakeProxy("::1", socket.AF_INET6)
    closing.append(proxy)
    kit.start_server(proxy, kit.Adapter(), closing)
    proxy.send("S1|SUB|S|item")
    assert proxy.read_line() == "S1|SUB|V"


def test_tls(kit: Any, closing: list[Any], certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    proxy = kit.FakeProxy(ssl_context=server_context)
    closing.append(proxy)
    client_context = ssl.create_default_context(cafile=str(cert))
    server = kit.start_server(proxy, kit.Adapter(), closing, ssl_context=client_context)
    assert isinstance(server._transport._sock, ssl.SSLSocket)
    proxy.send("S1|SUB|S|item")
    assert proxy.read_line() == "S1|SUB|V"


def test_tls_wrong_host_fails_start(
    kit: Any, closing: list[Any], certificate: tuple[Path, Path]
) -> None:
    cert, key = certificate
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    proxy = kit.FakeProxy(ssl_context=server_context)
    closing.append(proxy)
    outcome: list[BaseException] = []

    def accept() -> None:
        try:
            proxy.accept()
        except (ssl.SSLError, OSError) as exc:
            outcome.append(exc)

    accepting = threading.Thread(target=accept)
    accepting.start()
    server = DataProviderServer(
        kit.Adapter(), proxy.address, ssl_context=ssl.create_default_context()
    )
    closing.append(server)
    with pytest.raises(DataProviderError) as caught:
        server.start()
    assert isinstance(caught.value.__cause__, ssl.SSLCertVerificationError)
    accepting.join(kit.T())
    assert outcome and isinstance(outcome[0], (ssl.SSLError, OSError))


def test_backpressure_when_the_proxy_stops_reading(
    kit: Any, proxy: Any, closing: list[Any]
) -> None:
    handler = kit.RecordingHandler()
    limit = 64 * 1024
    send_timeout = 0.5
    server = kit.start_server(
        proxy,
        kit.Adapter(),
        closing,
        handler=handler,
        send_timeout=send_timeout,
        max_pending_bytes=limit,
    )
    proxy.conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    proxy.send("S1|SUB|S|item")
    assert proxy.read_line() == "S1|SUB|V"
    listener = server  # the server is the listener
    transport = server._transport
    peak = 0
    deadline = time.monotonic() + kit.T(10)
    # The fake Proxy reads nothing more: the producer is slowed down, then the
    # connection fails after the send timeout.
    while not handler.io_event.is_set():
        assert time.monotonic() < deadline
        listener.update("item", {"payload": "x" * 200}, False)
        peak = max(peak, transport._buffered)
    assert peak <= limit + 300  # memory stays bounded (bug B11)
    assert len(handler.io) == 1 and isinstance(handler.io[0], TimeoutError)
    listener.update("item", {"payload": "dropped"}, False)  # returns at once now


# ---------------------------------------------------------------------- with the simulator


def test_session_through_the_simulator(kit: Any) -> None:
    from lightstreamer_adapter.testing import AdapterError, DataProxySimulator, EndOfSnapshot

    adapter = kit.Adapter()
    adapter.snapshot["quiet"] = False

    def on_subscribe(item: str) -> None:
        if item == "refused":
            raise SubscribeError("no such item")
        if item == "quotes":
            adapter.listener.update(item, {"last": 12.5, "raw": b"\xe9"}, True)
            adapter.listener.end_of_snapshot(item)

    adapter.subscribe_hook = on_subscribe
    with DataProxySimulator(timeout=kit.T()) as proxy:
        server = DataProviderServer(adapter, proxy.address)
        server.set_exception_handler(kit.RecordingHandler())
        reply = proxy.attach(server, params={"remote:x": "1"})
        assert reply.params["ARI.version"] == "1.9.1"
        proxy.subscribe("quotes")
        update = proxy.next_update()
        assert (update.item, update.is_snapshot) == ("quotes", True)
        assert update.values == {"last": "12.5", "raw": "é"}
        proxy.expect(EndOfSnapshot)
        proxy.subscribe("quiet")
        assert proxy.expect(EndOfSnapshot).item == "quiet"
        with pytest.raises(AdapterError) as refused:
            proxy.subscribe("refused")
        assert refused.value.error.message == "no such item"
        proxy.unsubscribe("quotes")
        assert adapter.params["remote:x"] == "1"
