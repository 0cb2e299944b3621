"""Every example of ``examples/`` runs against the Proxy simulator.

The adapters run in this process, through the real servers, against
:mod:`lightstreamer_adapter.testing`; one test also runs ``examples/hello_world.py`` as a
separate process, as a user would. Feeds are made fast (small intervals) or driven by
hand (the portfolio's ``buy``/``sell``), so no test waits for wall-clock pacing.
"""

from __future__ import annotations

import importlib
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from lightstreamer_adapter.interfaces.data import (
    ADD_COMMAND,
    COMMAND_FIELD,
    DELETE_COMMAND,
    KEY_FIELD,
    UPDATE_COMMAND,
    DataProviderError,
)
from lightstreamer_adapter.interfaces.metadata import MetadataProvider, Mode
from lightstreamer_adapter.metadata import LiteralBasedProvider
from lightstreamer_adapter.server import DataProviderServer, MetadataProviderServer
from lightstreamer_adapter.testing import (
    AdapterError,
    CredentialsRefusedError,
    DataProxySimulator,
    EndOfSnapshot,
    ErrorKind,
    MetadataProxySimulator,
    Update,
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
TIMEOUT_SCALE = float(os.environ.get("LS_TEST_TIMEOUT_SCALE", "1"))
#: The timeout of every wait in these tests.
T = 5.0 * TIMEOUT_SCALE


def _import_examples() -> dict[str, ModuleType]:
    # The examples import each other by plain name (as when run as scripts), so their
    # folder must be on sys.path while they are imported.
    sys.path.insert(0, str(EXAMPLES))
    try:
        names = ("runner", "hello_world", "stock_list", "portfolio", "chat", "tls_credentials")
        return {name: importlib.import_module(name) for name in names}
    finally:
        sys.path.remove(str(EXAMPLES))


_EXAMPLES = _import_examples()
hello_world = _EXAMPLES["hello_world"]
stock_list = _EXAMPLES["stock_list"]
portfolio = _EXAMPLES["portfolio"]
chat = _EXAMPLES["chat"]
tls_credentials = _EXAMPLES["tls_credentials"]
runner = _EXAMPLES["runner"]


def test_every_example_is_tested() -> None:
    scripts = {path.stem for path in EXAMPLES.glob("*.py")}
    assert scripts == set(_EXAMPLES)


def _params(element: ET.Element | None) -> dict[str, str | None]:
    assert element is not None
    return {param.get("name", ""): param.text for param in element.findall("param")}


def test_adapters_xml_example_matches_the_examples() -> None:
    text = (ROOT / "adapters.xml.example").read_text(encoding="utf-8")
    root = ET.fromstring(text)
    assert root.get("id") == "PYTHON_EXAMPLES"
    data_providers = root.findall("data_provider")
    assert [d.get("name") for d in data_providers] == ["DEFAULT"]
    metadata = _params(root.find("metadata_provider"))
    data = _params(data_providers[0])
    # One request/reply port each, no legacy notify port; the ports of the examples.
    assert metadata == {"request_reply_port": str(runner.METADATA_PORT)}
    assert data == {"request_reply_port": str(runner.DATA_PORT)}
    defaults = hello_world.parse_args([])
    assert (defaults.metadata_port, defaults.data_port) == (6663, 6661)
    assert (runner.METADATA_PORT, runner.DATA_PORT) == (6663, 6661)

    # The commented-out settings are well-formed once uncommented.
    uncommented = re.sub(r"<!--\s*(<param.*?)\s*-->", r"\1", text, flags=re.DOTALL)
    root = ET.fromstring(uncommented)
    for provider in (root.find("metadata_provider"), root.find("data_provider")):
        names = set(_params(provider))
        assert {"auth", "auth.credentials.1.user", "auth.credentials.1.password"} <= names
        assert {"tls", "tls.keystore.type", "tls.keystore.keystore_file"} <= names
        assert "notify_port" not in names


def _notifications_for(proxy: DataProxySimulator, item: str, count: int) -> list[Any]:
    """The next ``count`` notifications about ``item``, in arrival order."""
    taken: list[Any] = []
    while len(taken) < count:
        message = proxy.next_notification(T)
        if getattr(message, "item", None) == item:
            taken.append(message)
    return taken


# --------------------------------------------------------------------------------------
# hello_world.py


def test_hello_world_alternates_greetings() -> None:
    adapter = hello_world.HelloWorldDataAdapter(interval=0.01)
    try:
        with DataProxySimulator(timeout=T) as proxy:
            proxy.attach(DataProviderServer(adapter, proxy.address))
            proxy.subscribe("greetings")
            # No snapshot: the server itself ends the (empty) snapshot first.
            eos, first, second, third = _notifications_for(proxy, "greetings", 4)
            assert isinstance(eos, EndOfSnapshot)
            assert [u.values["message"] for u in (first, second, third)] == [
                "Hello",
                "World",
                "Hello",
            ]
            assert not any(u.is_snapshot for u in (first, second, third))
            assert set(first.values) == {"message", "timestamp"}
            proxy.unsubscribe("greetings")
            assert adapter.feed_thread is None  # joined by unsubscribe
    finally:
        adapter.close()


def test_hello_world_refuses_other_items() -> None:
    with DataProxySimulator(timeout=T) as proxy:
        proxy.attach(DataProviderServer(hello_world.HelloWorldDataAdapter(), proxy.address))
        with pytest.raises(AdapterError) as refused:
            proxy.subscribe("weather")
        assert refused.value.kind is ErrorKind.SUBSCRIPTION
        assert "greetings" in (refused.value.message or "")


def test_hello_world_metadata_is_the_default_provider() -> None:
    with MetadataProxySimulator(timeout=T) as proxy:
        proxy.attach(MetadataProviderServer(MetadataProvider(), proxy.address))
        assert proxy.notify_user("alice", "secret").max_bandwidth == 0.0
        assert proxy.get_items("alice", "greetings", "S1").items == ("greetings",)
        fields = proxy.get_schema("alice", "greetings", "message timestamp", "S1").fields
        assert fields == ("message", "timestamp")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.mark.skipif(sys.platform == "win32", reason="stopped with SIGTERM")
def test_hello_world_script_end_to_end() -> None:
    with (
        MetadataProxySimulator(timeout=T) as metadata_proxy,
        DataProxySimulator(timeout=T) as data_proxy,
    ):
        command = [
            sys.executable,
            str(EXAMPLES / "hello_world.py"),
            "--host",
            "127.0.0.1",
            "--metadata-port",
            str(metadata_proxy.address[1]),
            "--data-port",
            str(data_proxy.address[1]),
        ]
        with subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_subprocess_env(),
        ) as process:
            try:
                metadata_proxy.accept()
                metadata_proxy.init()
                data_proxy.accept()
                data_proxy.init()
                assert metadata_proxy.notify_user("alice", None).max_bandwidth == 0.0
                data_proxy.subscribe("greetings")
                update = data_proxy.next_update()
                assert update.values["message"] == "Hello"
                data_proxy.unsubscribe("greetings")
                # SIGTERM is the clean way out: main() closes both servers, exit 0.
                process.send_signal(signal.SIGTERM)
                out, err = process.communicate(timeout=T)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.communicate()
            assert process.returncode == 0, err
            assert "connected" in out
            metadata_proxy.wait_closed()
            data_proxy.wait_closed()


def test_hello_world_script_without_a_proxy() -> None:
    port = _free_port()  # nothing listens there any more
    result = subprocess.run(
        [
            sys.executable,
            str(EXAMPLES / "hello_world.py"),
            "--host",
            "127.0.0.1",
            "--metadata-port",
            str(port),
            "--data-port",
            str(port),
        ],
        capture_output=True,
        text=True,
        env=_subprocess_env(),
        timeout=T * 2,
        check=False,
    )
    assert result.returncode == 1
    assert "Cannot connect" in result.stderr
    assert "simulate" in result.stderr


# An adapters.py in the style of the 1.3.1 README: the main thread ends right after
# start(), the servers keep the process alive (1.3.1 needed an extra "keep the main thread
# alive" step, and without it stopped answering: bug B5).
LEGACY_SCRIPT = """
import sys
import threading
import time

from lightstreamer_adapter.interfaces.data import DataProvider
from lightstreamer_adapter.interfaces.metadata import MetadataProvider
from lightstreamer_adapter.server import DataProviderServer, MetadataProviderServer


class GreetingsAdapter(DataProvider):
    def __init__(self):
        self.listener = None
        self.stop = threading.Event()

    def initialize(self, parameters, config_file=None):
        pass

    def set_listener(self, event_listener):
        self.listener = event_listener

    def subscribe(self, item_name):
        if item_name == "greetings":
            self.stop.clear()
            threading.Thread(target=self.feed, daemon=True).start()

    def unsubscribe(self, item_name):
        self.stop.set()

    def issnapshot_available(self, item_name):
        return False

    def feed(self):
        counter = 0
        while not self.stop.is_set():
            message = "Hello" if counter % 2 == 0 else "World"
            self.listener.update(
                "greetings", {"message": message, "timestamp": time.ctime()}, False
            )
            counter += 1
            self.stop.wait(0.05)


host, metadata_port, data_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
metadata_server = MetadataProviderServer(MetadataProvider(), (host, metadata_port))
data_server = DataProviderServer(GreetingsAdapter(), (host, data_port))
metadata_server.start()
data_server.start()
print("started", flush=True)
"""


def test_a_1_3_1_style_script_runs_unchanged(tmp_path: Path) -> None:
    script = tmp_path / "adapters.py"
    script.write_text(LEGACY_SCRIPT, encoding="utf-8")
    with (
        MetadataProxySimulator(timeout=T) as metadata_proxy,
        DataProxySimulator(timeout=T) as data_proxy,
    ):
        ports = [str(metadata_proxy.address[1]), str(data_proxy.address[1])]
        with subprocess.Popen(
            [sys.executable, str(script), "127.0.0.1", *ports],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_subprocess_env(),
        ) as process:
            try:
                metadata_proxy.accept()
                metadata_proxy.init()
                data_proxy.accept()
                data_proxy.init()
                assert process.stdout is not None
                assert process.stdout.readline() == "started\n"
                # The main thread of the script has ended (or is ending): still served.
                assert metadata_proxy.notify_user("alice", "pw").max_bandwidth == 0.0
                data_proxy.subscribe("greetings")
                messages = [data_proxy.next_update().values["message"] for _ in range(3)]
                assert messages == ["Hello", "World", "Hello"]
                data_proxy.unsubscribe("greetings")
                # The Server shuts down (CLOSE): the servers close, the process ends.
                data_proxy.close_connection("shutting down")
                metadata_proxy.close_connection("shutting down")
                _, err = process.communicate(timeout=T)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.communicate()
            assert process.returncode == 0, err


# --------------------------------------------------------------------------------------
# stock_list.py


@pytest.fixture
def stocks() -> Iterator[Any]:
    adapter = stock_list.StockListDataAdapter(interval=0.001, seed=7)
    yield adapter
    adapter.close()


def test_stock_list_snapshot_then_merge_updates(stocks: Any) -> None:
    with DataProxySimulator(timeout=T) as proxy:
        proxy.attach(DataProviderServer(stocks, proxy.address))
        proxy.subscribe("item1")
        snapshot, eos, update = _notifications_for(proxy, "item1", 3)
        assert isinstance(snapshot, Update) and snapshot.is_snapshot
        assert tuple(snapshot.values) == stock_list.FIELDS
        assert snapshot.values["stock_name"] == "Alder Widgets"
        assert snapshot.values["ref_price"] == "12.40"
        assert isinstance(eos, EndOfSnapshot)
        assert isinstance(update, Update) and not update.is_snapshot
        # MERGE mode: only what changed; the name and reference price never do.
        assert {"last_price", "time", "pct_change"} <= set(update.values)
        assert "stock_name" not in update.values and "ref_price" not in update.values
        proxy.unsubscribe("item1")


def test_stock_list_serves_ten_items_and_refuses_others(stocks: Any) -> None:
    assert stocks.items == [f"item{n}" for n in range(1, 11)]
    with DataProxySimulator(timeout=T) as proxy:
        proxy.attach(DataProviderServer(stocks, proxy.address))
        for item in ("item2", "item10"):
            proxy.subscribe(item)
            first = proxy.next_update(item=item)
            assert first.is_snapshot and first.values["stock_name"]
        with pytest.raises(AdapterError) as refused:
            proxy.subscribe("item11")
        assert refused.value.kind is ErrorKind.SUBSCRIPTION


def test_stock_list_metadata_resolves_groups_literally() -> None:
    with MetadataProxySimulator(timeout=T) as proxy:
        proxy.attach(MetadataProviderServer(LiteralBasedProvider(), proxy.address))
        assert proxy.get_items(None, "item1 item2", "S1").items == ("item1", "item2")


# --------------------------------------------------------------------------------------
# portfolio.py


def _row(update: Update) -> tuple[Any, ...]:
    return (
        update.values[COMMAND_FIELD],
        update.values[KEY_FIELD],
        update.values.get("qty"),
        update.is_snapshot,
    )


def test_portfolio_command_mode_add_update_delete() -> None:
    adapter = portfolio.PortfolioDataAdapter(interval=None)
    with DataProxySimulator(timeout=T) as proxy:
        proxy.attach(DataProviderServer(adapter, proxy.address))
        proxy.subscribe("portfolio1")
        *snapshot, eos = _notifications_for(proxy, "portfolio1", 4)
        assert [_row(u) for u in snapshot] == [
            (ADD_COMMAND, "item2", "1200", True),
            (ADD_COMMAND, "item5", "300", True),
            (ADD_COMMAND, "item7", "5000", True),
        ]
        assert isinstance(eos, EndOfSnapshot)

        adapter.buy("portfolio1", "item3", 100)
        adapter.buy("portfolio1", "item2", 100)
        adapter.sell("portfolio1", "item7", 1000)
        adapter.sell("portfolio1", "item5", 300)
        events = [_row(proxy.next_update(item="portfolio1")) for _ in range(4)]
        assert events == [
            (ADD_COMMAND, "item3", "100", False),
            (UPDATE_COMMAND, "item2", "1300", False),
            (UPDATE_COMMAND, "item7", "4000", False),
            (DELETE_COMMAND, "item5", None, False),
        ]
        with pytest.raises(ValueError):
            adapter.sell("portfolio1", "item5", 1)
        assert adapter.positions("portfolio1") == {"item2": 1300, "item7": 4000, "item3": 100}
        proxy.unsubscribe("portfolio1")


def test_portfolio_trader_events_rebuild_the_positions() -> None:
    adapter = portfolio.PortfolioDataAdapter(interval=0.001, seed=3)
    try:
        with DataProxySimulator(timeout=T) as proxy:
            proxy.attach(DataProviderServer(adapter, proxy.address))
            proxy.subscribe("portfolio2")
            table: dict[str, str] = {}
            commands = set()
            while len(commands) < 3:  # until the trader has added, updated and deleted
                update = proxy.next_update(item="portfolio2")
                command, key, qty, _ = _row(update)
                commands.add(command)
                if command == DELETE_COMMAND:
                    assert key in table
                    del table[key]
                else:
                    assert (key in table) == (command == UPDATE_COMMAND)
                    table[key] = qty
            adapter.close()  # no more trades: the rest of the events are on their way
            expected = {k: str(v) for k, v in adapter.positions("portfolio2").items()}
            for update in proxy.drain(Update):
                command, key, qty, _ = _row(update)
                if command == DELETE_COMMAND:
                    del table[key]
                else:
                    table[key] = qty
            while table != expected:
                command, key, qty, _ = _row(proxy.next_update(item="portfolio2"))
                if command == DELETE_COMMAND:
                    del table[key]
                else:
                    table[key] = qty
    finally:
        adapter.close()


def test_portfolio_metadata_allows_command_mode_only_for_portfolios() -> None:
    with MetadataProxySimulator(timeout=T) as proxy:
        proxy.attach(MetadataProviderServer(portfolio.PortfolioMetadataAdapter(), proxy.address))
        portfolio1, item1 = proxy.get_item_data(["portfolio1", "item1"]).items
        assert portfolio1.modes == (Mode.COMMAND,)
        assert item1.modes == (Mode.RAW, Mode.MERGE, Mode.DISTINCT, Mode.COMMAND)


# --------------------------------------------------------------------------------------
# chat.py


def test_chat_messages_are_published() -> None:
    room = chat.ChatDataAdapter()
    with (
        MetadataProxySimulator(timeout=T) as metadata_proxy,
        DataProxySimulator(timeout=T) as data_proxy,
    ):
        metadata_proxy.attach(
            MetadataProviderServer(chat.ChatMetadataAdapter(room), metadata_proxy.address)
        )
        data_proxy.attach(DataProviderServer(room, data_proxy.address))
        data_proxy.subscribe("chat_room")
        data_proxy.expect(EndOfSnapshot, item="chat_room")

        metadata_proxy.notify_new_session("alice", "S1", {"REMOTE_IP": "10.0.0.1"})
        metadata_proxy.notify_user_message("alice", "S1", "  hello, world  ")
        update = data_proxy.next_update(item="chat_room")
        assert update.values["user"] == "alice"
        assert update.values["message"] == "hello, world"
        assert not update.is_snapshot

        metadata_proxy.notify_new_session(None, "S2", {"REMOTE_IP": "10.0.0.2"})
        metadata_proxy.notify_user_message(None, "S2", "hi")
        assert data_proxy.next_update(item="chat_room").values["user"] == "guest@10.0.0.2"

        with pytest.raises(AdapterError) as empty:
            metadata_proxy.notify_user_message("alice", "S1", "   ")
        assert empty.value.kind is ErrorKind.NOTIFICATION
        with pytest.raises(AdapterError) as long:
            metadata_proxy.notify_user_message("alice", "S1", "x" * 501)
        assert long.value.kind is ErrorKind.CREDITS
        assert long.value.client_code == -1
        assert "500" in (long.value.client_message or "")

        metadata_proxy.notify_session_close("S1")
        metadata_proxy.notify_session_close("S1")  # repeated: no error
        data_proxy.unsubscribe("chat_room")
        # Nobody subscribed: the message is accepted and dropped.
        metadata_proxy.notify_user_message(None, "S2", "anybody there?")
        assert data_proxy.drain(Update) == []


def test_chat_metadata_item_properties() -> None:
    with MetadataProxySimulator(timeout=T) as proxy:
        adapter = chat.ChatMetadataAdapter(chat.ChatDataAdapter())
        proxy.attach(MetadataProviderServer(adapter, proxy.address))
        room, other = proxy.get_item_data(["chat_room", "item1"]).items
        assert room.modes == (Mode.RAW, Mode.DISTINCT)
        assert room.size == 30
        assert other.size == 0


# --------------------------------------------------------------------------------------
# tls_credentials.py


def _proxy_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


CREDENTIALS = ("python-adapter", "change-me")


def test_tls_and_credentials(certificate: tuple[Path, Path]) -> None:
    adapter = hello_world.HelloWorldDataAdapter(interval=0.01)
    proxy_context = _proxy_context(certificate)
    try:
        with (
            MetadataProxySimulator(
                timeout=T, ssl_context=proxy_context, credentials=CREDENTIALS
            ) as metadata_proxy,
            DataProxySimulator(
                timeout=T, ssl_context=proxy_context, credentials=CREDENTIALS
            ) as data_proxy,
        ):
            metadata_server, data_server = tls_credentials.secure_servers(
                adapter,
                MetadataProvider(),
                metadata_address=metadata_proxy.address,
                data_address=data_proxy.address,
                ssl_context=tls_credentials.client_ssl_context(str(certificate[0])),
                user=CREDENTIALS[0],
                password=CREDENTIALS[1],
            )
            metadata_proxy.attach(metadata_server)
            data_proxy.attach(data_server)
            for proxy in (metadata_proxy, data_proxy):
                rac = proxy.remote_credentials
                assert rac is not None
                assert (rac.user, rac.password) == CREDENTIALS
            assert metadata_proxy.notify_user("alice", "pw").max_bandwidth == 0.0
            data_proxy.subscribe("greetings")
            assert data_proxy.next_update(item="greetings").values["message"] == "Hello"
            data_proxy.unsubscribe("greetings")
    finally:
        adapter.close()


def test_wrong_credentials_are_refused_and_reported(certificate: tuple[Path, Path]) -> None:
    with DataProxySimulator(
        timeout=T, ssl_context=_proxy_context(certificate), credentials=CREDENTIALS
    ) as proxy:
        _, data_server = tls_credentials.secure_servers(
            hello_world.HelloWorldDataAdapter(),
            MetadataProvider(),
            metadata_address=proxy.address,  # not started
            data_address=proxy.address,
            ssl_context=tls_credentials.client_ssl_context(str(certificate[0])),
            user=CREDENTIALS[0],
            password="guess",
        )
        stopped = threading.Event()
        handler = runner.StopOnConnectionEnd(stopped, "Data Adapter")
        data_server.set_exception_handler(handler)
        data_server.start()
        try:
            with pytest.raises(CredentialsRefusedError):
                proxy.accept()
            assert stopped.wait(T)
            assert handler.reason is not None and "wrong credentials" in handler.reason
        finally:
            data_server.close()


def test_tls_refuses_an_untrusted_proxy(certificate: tuple[Path, Path]) -> None:
    with DataProxySimulator(timeout=T, ssl_context=_proxy_context(certificate)) as proxy:
        _, data_server = tls_credentials.secure_servers(
            hello_world.HelloWorldDataAdapter(),
            MetadataProvider(),
            metadata_address=proxy.address,
            data_address=proxy.address,
            ssl_context=tls_credentials.client_ssl_context(None),  # system CAs only
            user=None,
            password=None,
        )
        try:
            with pytest.raises(DataProviderError) as failed:
                data_server.start()
            assert isinstance(failed.value.__cause__, ssl.SSLCertVerificationError)
        finally:
            data_server.close()


# --------------------------------------------------------------------------------------
# main() of the examples built on runner.py


def _run_main(
    main: Callable[[list[str]], int], argv: list[str]
) -> tuple[threading.Thread, list[int]]:
    status: list[int] = []
    thread = threading.Thread(target=lambda: status.append(main(argv)), daemon=True)
    thread.start()
    return thread, status


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("stock_list", []),
        ("portfolio", []),
        ("chat", []),
        ("tls_credentials", ["--no-tls", "--user", "python-adapter"]),
    ],
)
def test_example_main_serves_until_the_proxy_closes(
    name: str,
    extra: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(tls_credentials.PASSWORD_VARIABLE, "change-me")
    with (
        MetadataProxySimulator(timeout=T) as metadata_proxy,
        DataProxySimulator(timeout=T) as data_proxy,
    ):
        argv = [
            "--host",
            "127.0.0.1",
            "--metadata-port",
            str(metadata_proxy.address[1]),
            "--data-port",
            str(data_proxy.address[1]),
            *extra,
        ]
        thread, status = _run_main(_EXAMPLES[name].main, argv)
        metadata_proxy.accept()
        metadata_proxy.init()
        data_proxy.accept()
        data_proxy.init()
        if name == "tls_credentials":
            rac = data_proxy.remote_credentials
            assert rac is not None and rac.password == "change-me"
        # The Server goes away: main() closes everything and reports it.
        data_proxy.close_connection("test over")
        thread.join(T)
        assert not thread.is_alive()
        metadata_proxy.wait_closed()
    assert status == [1]
    err = capsys.readouterr().err
    assert "test over" in err


def test_runner_reports_a_missing_proxy(capsys: pytest.CaptureFixture[str]) -> None:
    port = _free_port()
    server = DataProviderServer(hello_world.HelloWorldDataAdapter(), ("127.0.0.1", port))
    assert runner.serve([("Data Adapter", server)], where=f"127.0.0.1:{port}") == 1
    err = capsys.readouterr().err
    assert "Cannot connect the Data Adapter" in err
    assert "adapters.xml.example" in err
