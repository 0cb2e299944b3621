"""The simulators driving the real servers: the documented examples, end to end."""

from __future__ import annotations

import os
import ssl
import threading

import pytest

from lightstreamer_adapter.interfaces.data import DataProvider, SubscribeError
from lightstreamer_adapter.interfaces.metadata import (
    AccessError,
    ConflictingSessionError,
    CreditsError,
    MetadataProvider,
)
from lightstreamer_adapter.protocol.versions import V1_8_3
from lightstreamer_adapter.server import (
    DataProviderServer,
    ExceptionHandler,
    MetadataProviderServer,
)
from lightstreamer_adapter.testing import (
    AdapterError,
    CredentialsRefusedError,
    DataProxySimulator,
    EndOfSnapshot,
    ErrorKind,
    ForceSessionTermination,
    ForceUnsubscription,
    MetadataFailure,
    MetadataProxySimulator,
)

T = 5.0 * float(os.environ.get("LS_TEST_TIMEOUT_SCALE", "1"))


class QuoteAdapter(DataProvider):
    """The Data Adapter of the testing how-to."""

    def __init__(self):
        self.prices = {"item1": "12.3"}
        self.listener = None

    def initialize(self, parameters, config_file=None):
        pass

    def set_listener(self, event_listener):
        self.listener = event_listener

    def issnapshot_available(self, item_name):
        return item_name != "nosnap"

    def subscribe(self, item_name):
        if item_name == "nosnap":
            return
        if item_name not in self.prices:
            raise SubscribeError(f"Unknown item {item_name}")
        self.listener.update(item_name, {"last_price": self.prices[item_name]}, True)
        self.listener.end_of_snapshot(item_name)

    def unsubscribe(self, item_name):
        pass

    def publish(self, item_name, price):
        self.prices[item_name] = price
        self.listener.update(item_name, {"last_price": price}, False)


class Quiet(ExceptionHandler):
    """Records errors instead of the default handling (which may end the process)."""

    def __init__(self):
        super().__init__()
        self.errors = []
        self.event = threading.Event()

    def handle_ioexception(self, exception):
        self.errors.append(exception)
        self.event.set()
        return False

    def handle_exception(self, exception):
        self.errors.append(exception)
        self.event.set()
        return False


# -- the documented example -----------------------------------------------------------------


def test_snapshot_then_real_time():
    adapter = QuoteAdapter()
    with DataProxySimulator(timeout=T) as proxy:
        proxy.attach(DataProviderServer(adapter, proxy.address))
        proxy.subscribe("item1")
        snapshot = proxy.next_update()
        assert snapshot.is_snapshot and snapshot.values == {"last_price": "12.3"}
        proxy.expect(EndOfSnapshot, item="item1")
        adapter.publish("item1", "12.5")
        assert proxy.next_update().values == {"last_price": "12.5"}


def test_unknown_item_is_refused():
    with DataProxySimulator(timeout=T) as proxy:
        proxy.attach(DataProviderServer(QuoteAdapter(), proxy.address))
        with pytest.raises(AdapterError) as refused:
            proxy.subscribe("item2")
        assert refused.value.kind is ErrorKind.SUBSCRIPTION
        assert refused.value.message == "Unknown item item2"


def test_the_step_by_step_form_and_item_state():
    adapter = QuoteAdapter()
    with DataProxySimulator(timeout=T) as proxy:
        server = DataProviderServer(adapter, proxy.address)
        server.set_exception_handler(Quiet())
        server.start()
        try:
            assert proxy.accept().params["enableClosePacket"] == "true"
            assert proxy.init(keepalive_hint=2000).params == {"ARI.version": "1.9.1"}
            sub = proxy.subscribe("nosnap")
            # issnapshot_available() is False: the server sent the EOS itself.
            assert proxy.expect(EndOfSnapshot).subscription_id == sub.request_id
            proxy.subscribe("item1")
            adapter.publish("item1", "13")
            proxy.expect(EndOfSnapshot, item="item1")
            updates = [proxy.next_update(item="item1") for _ in range(2)]
            assert [u.is_snapshot for u in updates] == [True, False]
            assert proxy.item_state("item1") == {"last_price": "13"}
            proxy.unsubscribe("item1")
            proxy.unsubscribe("nosnap")
        finally:
            server.close()
        proxy.wait_closed()


def test_data_adapter_refuses_old_proxies():
    with DataProxySimulator(timeout=T) as proxy:
        server = DataProviderServer(QuoteAdapter(), proxy.address)
        server.set_exception_handler(Quiet())
        with pytest.raises(AdapterError) as refused:
            proxy.attach(server, version="1.8.3")
        assert refused.value.kind in (ErrorKind.DATA, ErrorKind.GENERIC)


def test_a_close_from_the_simulator_closes_the_server():
    handler = Quiet()
    with DataProxySimulator(timeout=T) as proxy:
        server = DataProviderServer(QuoteAdapter(), proxy.address)
        server.set_exception_handler(handler)
        server.start()
        try:
            proxy.accept()
            proxy.init()
            proxy.close_connection("server shutting down")
            assert handler.event.wait(T)
            assert "server shutting down" in str(handler.errors[0])
        finally:
            server.close()


# -- Metadata --------------------------------------------------------------------------------


class Entitlements(MetadataProvider):
    """A Metadata Adapter with a few refusals and the control listener."""

    def __init__(self):
        self.control = None

    def set_listener(self, listener):
        self.control = listener

    def notify_user(self, user, password, http_headers):
        if user == "mallory":
            raise AccessError("Unknown user")
        if user == "broke":
            raise CreditsError(-3, "No credits", "Top up first")

    def notify_new_session(self, user, session_id, client_context):
        if session_id == "S2":
            raise ConflictingSessionError(-1, "Already connected", "S1", "One session only")

    def get_session_time_to_live(self, user, session_id):
        return 3600

    def wants_tables_notification(self, user):
        return True

    def enable_table_unsubscription(self, session_id, tables):
        return True


def test_metadata_requests_and_control_requests():
    adapter = Entitlements()
    with MetadataProxySimulator(timeout=T) as proxy:
        proxy.attach(MetadataProviderServer(adapter, proxy.address))
        reply = proxy.notify_user("alice", "secret", {"user-agent": "test"})
        assert (reply.max_bandwidth, reply.wants_tables_notification) == (0.0, True)
        with pytest.raises(AdapterError) as refused:
            proxy.notify_user("mallory", "guess")
        assert (refused.value.kind, refused.value.message) == (ErrorKind.ACCESS, "Unknown user")
        with pytest.raises(AdapterError) as broke:
            proxy.notify_user("broke", "x")
        assert (broke.value.client_code, broke.value.client_message) == (-3, "Top up first")
        assert proxy.notify_new_session("alice", "S1").time_to_live == 3600
        with pytest.raises(AdapterError) as conflict:
            proxy.notify_new_session("alice", "S2")
        assert conflict.value.kind is ErrorKind.CONFLICTING_SESSION
        assert conflict.value.conflicting_session_id == "S1"
        assert proxy.get_items("alice", "item1 item2", "S1").items == ("item1", "item2")

        done = adapter.control.force_session_termination("S1", -5, "Account suspended")
        request = proxy.expect(ForceSessionTermination)
        assert (request.session_id, request.cause_code) == ("S1", -5)
        assert done.result(T) is None
        adapter.control.failure(RuntimeError("Entitlement service unreachable"))
        assert proxy.expect(MetadataFailure).message == "Entitlement service unreachable"
        assert proxy.force_requests == [request]


def test_force_unsubscription_answer_reaches_the_adapter():
    adapter = Entitlements()
    with MetadataProxySimulator(timeout=T, on_force_unsubscription=lambda r: False) as proxy:
        proxy.attach(MetadataProviderServer(adapter, proxy.address))
        from lightstreamer_adapter.interfaces.metadata import Mode, TableInfo

        table = TableInfo(1, Mode.MERGE, "item1", "f", 1, 1, None, "QUOTES", ["item1"])
        assert proxy.notify_new_tables("alice", "S1", [table]).flags == (True, False)
        done = adapter.control.force_unsubscription("S1", table)
        assert proxy.expect(ForceUnsubscription).win_index == 1
        assert done.result(T) is False


def test_metadata_with_a_7_2_server():
    with MetadataProxySimulator(timeout=T) as proxy:
        proxy.attach(MetadataProviderServer(MetadataProvider(), proxy.address), version="1.8.3")
        assert proxy.version == V1_8_3
        assert proxy.get_items("u", "a+b c", "S1").items == ("a+b", "c")
        assert proxy.expect_line().endswith("|GIS|S|a%2Bb|S|c")


# -- credentials and TLS ---------------------------------------------------------------------


def test_remote_credentials():
    with MetadataProxySimulator(timeout=T, credentials=("python-adapter", "s3cr&t")) as proxy:
        good = MetadataProviderServer(MetadataProvider(), proxy.address)
        good.remote_user, good.remote_password = "python-adapter", "s3cr&t"
        proxy.attach(good)
        # A CLOSE first: accept() alone would drop the connection, which a server with
        # the default error handling answers by ending the process.
        proxy.close_connection("next test")

        handler = Quiet()
        bad = MetadataProviderServer(MetadataProvider(), proxy.address)
        bad.remote_user, bad.remote_password = "python-adapter", "wrong"
        bad.set_exception_handler(handler)
        bad.start()
        try:
            with pytest.raises(CredentialsRefusedError):
                proxy.accept()
            assert handler.event.wait(T)
            assert "wrong credentials" in str(handler.errors[0])
        finally:
            bad.close()


def test_tls(certificate):
    cert, key = certificate
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=str(cert))
    with DataProxySimulator(timeout=T, ssl_context=server_context) as proxy:
        proxy.attach(DataProviderServer(QuoteAdapter(), proxy.address, ssl_context=client_context))
        proxy.subscribe("item1")
        assert proxy.next_update().values == {"last_price": "12.3"}
