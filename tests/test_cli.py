"""The command line: ``python -m lightstreamer_adapter demo`` and ``simulate``.

``demo`` and the end-to-end ``simulate`` runs are real subprocesses (what a user types);
the error paths (busy port, adapter never connecting, option errors) run ``main()`` in
this process. ``simulate`` always listens on ports chosen by the system (``0``) and the
tests read the actual ports from its output.
"""

from __future__ import annotations

import errno
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from lightstreamer_adapter import __version__
from lightstreamer_adapter.__main__ import main
from lightstreamer_adapter._cli import _stocks as stocks
from lightstreamer_adapter._cli import simulate as simulate_command
from lightstreamer_adapter.interfaces.data import DataProvider, ItemEventListener, SubscribeError
from lightstreamer_adapter.server import (
    DataProviderServer,
    ExceptionHandler,
    MetadataProviderServer,
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
TIMEOUT_SCALE = float(os.environ.get("LS_TEST_TIMEOUT_SCALE", "1"))
#: The timeout of every wait in these tests.
T = 5.0 * TIMEOUT_SCALE
#: Interpreter start-up plus imports, on top of the waits of a subprocess.
STARTUP = 10.0 * TIMEOUT_SCALE

_LISTENING = re.compile(r"Proxy (Metadata|Data) Adapter listening on (\S+):(\d+)")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("NO_COLOR", None)
    return env


class Process:
    """A subprocess whose stdout lines can be awaited, with a timeout."""

    def __init__(self, args: list[str]) -> None:
        self.popen = subprocess.Popen(
            [sys.executable, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        self.errors: list[str] = []
        # Both pipes are drained all the time, so that the process never blocks on them.
        self._readers = [
            threading.Thread(target=self._read_out, daemon=True),
            threading.Thread(target=self._read_err, daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read_out(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def _read_err(self) -> None:
        assert self.popen.stderr is not None
        for line in self.popen.stderr:
            self.errors.append(line)

    def wait_for(self, pattern: re.Pattern[str] | str) -> re.Match[str]:
        """The first next line matching ``pattern`` (lines before it are skipped)."""
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        while True:
            try:
                line = self.lines.get(timeout=STARTUP)
            except queue.Empty:
                raise AssertionError(
                    f"no line matching {regex.pattern!r}; output so far: {self.output}"
                ) from None
            if line is None:
                raise AssertionError(
                    f"the process ended before a line matching {regex.pattern!r}; "
                    f"output: {self.output}; errors: {''.join(self.errors)}"
                )
            self.output.append(line)
            match = regex.search(line)
            if match:
                return match

    def finish(self) -> tuple[int, str, str]:
        """Wait for the end (killing after the timeout); return status, stdout, stderr."""
        try:
            self.popen.wait(timeout=STARTUP)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
        for reader in self._readers:
            reader.join(T)
        while not self.lines.empty():
            line = self.lines.get_nowait()
            if line is not None:
                self.output.append(line)
        return self.popen.returncode, "\n".join(self.output), "".join(self.errors)

    def close(self) -> None:
        """Kill the process if still running, and release its pipes."""
        if self.popen.poll() is None:
            self.popen.kill()
        self.finish()
        for stream in (self.popen.stdout, self.popen.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for process in started:
        process.close()


def _simulate(processes: list[Process], *args: str) -> tuple[Process, dict[str, int]]:
    """Start ``simulate`` on free ports; return it and its ports by side."""
    process = Process(
        [
            "-m",
            "lightstreamer_adapter",
            "simulate",
            "--metadata-port",
            "0",
            "--data-port",
            "0",
            *args,
        ]
    )
    processes.append(process)
    ports = {}
    sides = 1 if "--data-only" in args or "--metadata-only" in args else 2
    while len(ports) < sides:
        match = process.wait_for(_LISTENING)
        ports[match.group(1)] = int(match.group(3))
    return process, ports


# --------------------------------------------------------------------------------------
# main, --help, --version


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "demo" in out and "simulate" in out


def test_no_command_prints_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "simulate" in capsys.readouterr().out


def test_simulate_help_names_the_example_ports(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["simulate", "--help"])
    out = capsys.readouterr().out
    assert "6661" in out and "6663" in out


def test_module_entry_point_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lightstreamer_adapter", "--version"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=STARTUP,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("lightstreamer-adapter ")


# --------------------------------------------------------------------------------------
# demo


def test_demo_shows_updates_and_exits_0() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lightstreamer_adapter", "demo", "--seconds", "1"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=STARTUP + 2 * T,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # Not a terminal: plain snapshots of the table, no ANSI sequences.
    assert "\x1b[" not in out
    for step in ("MPI", "DPI", "NUS", "NNS", "GIS", "GSC", "SUB"):
        assert re.search(rf"^{step} ", out, re.MULTILINE), step
    assert re.search(r"^item1 +Alder Widgets +\d+\.\d\d", out, re.MULTILINE)
    summary = re.search(r"Received (\d+) updates .*\((\d+) snapshots", out)
    assert summary is not None
    assert int(summary.group(2)) == 5  # one snapshot per subscribed item
    assert int(summary.group(1)) > 5  # and real-time updates after them


@pytest.mark.skipif(sys.platform == "win32", reason="uses SIGTERM")
def test_demo_stops_early_on_a_signal(processes: list[Process]) -> None:
    demo = Process(["-m", "lightstreamer_adapter", "demo", "--seconds", "60"])
    processes.append(demo)
    demo.wait_for(r"^Stock list, MERGE mode")
    demo.popen.send_signal(signal.SIGTERM)  # handled as Ctrl-C: stop early, clean up
    status, out, err = demo.finish()
    assert status == 0, err
    assert "Interrupted." in out
    assert "Adapters and simulator closed" in out


def test_demo_adapter_matches_the_stock_list_example() -> None:
    sys.path.insert(0, str(EXAMPLES))
    try:
        import stock_list
    finally:
        sys.path.remove(str(EXAMPLES))
    # The demo carries its own copy (examples/ is not installed with the package).
    assert stocks.FIELDS == stock_list.FIELDS
    assert stocks.StockListDataAdapter().items == stock_list.StockListDataAdapter().items
    assert stocks._COMPANIES == stock_list._COMPANIES


def test_demo_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--seconds", "0.3", "--items", "2"]) == 0
    out = capsys.readouterr().out
    assert "item2" in out and "item3 " not in out
    assert "Adapters and simulator closed" in out


# --------------------------------------------------------------------------------------
# simulate


def test_simulate_with_the_hello_world_script(processes: list[Process]) -> None:
    simulate, ports = _simulate(
        processes,
        "--subscribe",
        "greetings",
        "--fields",
        "message",
        "--user",
        "alice",
        "--duration",
        "0.5",
        "--wait",
        str(STARTUP),
    )
    adapter = Process(
        [
            str(EXAMPLES / "hello_world.py"),
            "--host",
            "127.0.0.1",
            "--metadata-port",
            str(ports["Metadata"]),
            "--data-port",
            str(ports["Data"]),
        ]
    )
    processes.append(adapter)
    status, out, err = simulate.finish()
    assert status == 0, err
    assert "NUS  user 'alice': allowed" in out
    assert "GIS  item group 'greetings' -> greetings." in out
    assert "SUB  greetings: subscribed." in out
    assert re.search(r"update +greetings +message=Hello$", out, re.MULTILINE)
    assert "timestamp=" not in out  # only the --fields are printed
    assert "NSC  session" in out
    assert re.search(r"^Received (\d+) updates?: greetings \1\.$", out, re.MULTILINE)
    # The simulated Server shut down (CLOSE): the example ends with status 1.
    adapter_status, _, adapter_err = adapter.finish()
    assert adapter_status == 1
    assert "The Server closed the connection: simulator closed" in adapter_err


def test_simulate_forwards_client_messages_to_the_chat(processes: list[Process]) -> None:
    sys.path.insert(0, str(EXAMPLES))
    try:
        import chat
    finally:
        sys.path.remove(str(EXAMPLES))
    simulate, ports = _simulate(
        processes,
        "--subscribe",
        "chat_room",
        "--fields",
        "user",
        "message",
        "--user",
        "alice",
        "--message",
        "hello everybody",
        "--message",
        " ",
        "--duration",
        "0.5",
        "--wait",
        str(STARTUP),
    )
    room = chat.ChatDataAdapter()
    metadata_server = MetadataProviderServer(
        chat.ChatMetadataAdapter(room), ("127.0.0.1", ports["Metadata"])
    )
    data_server = DataProviderServer(room, ("127.0.0.1", ports["Data"]))
    stop = threading.Event()
    for server in (metadata_server, data_server):
        # The end of the simulation ends the connections: no process exit here.
        server.set_exception_handler(_Quiet(stop))
        server.start()
    try:
        status, out, err = simulate.finish()
    finally:
        data_server.close()
        metadata_server.close()
    assert status == 0, err
    assert "NUM  message 'hello everybody': accepted." in out
    assert "NUM  message ' ': refused" in out and "notification error" in out
    assert re.search(r"update +chat_room +user=alice +message='?hello everybody", out)


def test_simulate_refuses_wrong_remote_credentials(processes: list[Process]) -> None:
    simulate, ports = _simulate(
        processes, "--data-only", "--require-credentials", "adapter:secret", "--wait", "5"
    )
    server = DataProviderServer(_NoData(), ("127.0.0.1", ports["Data"]))
    server.remote_user, server.remote_password = "adapter", "guess"
    server.set_exception_handler(_Quiet(threading.Event()))
    server.start()
    try:
        status, _, err = simulate.finish()
    finally:
        server.close()
    assert status == 1
    assert "wrong remote credentials" in err and "remote_password" in err


def test_simulate_reports_a_busy_port(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        status = main(
            ["simulate", "--data-port", str(port), "--metadata-port", "0", "--wait", "0.1"]
        )
    assert status == 1
    err = capsys.readouterr().err
    assert f"port {port} of 127.0.0.1 is already in use" in err
    assert "--data-port" in err


def test_simulate_explains_a_port_held_by_a_finished_simulation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # TIME_WAIT connections after a run keep the port from being bound for a while.
    monkeypatch.setattr(simulate_command, "_only_lingering", lambda host, port: True)
    busy = OSError(errno.EADDRINUSE, "Address already in use")
    message = simulate_command._cannot_listen("127.0.0.1", 6661, "Data", busy)
    assert "just ended" in message and "within a minute" in message
    assert "--data-port" in message


def test_simulate_port_messages_name_the_fix() -> None:
    denied = OSError(errno.EACCES, "Permission denied")
    message = simulate_command._cannot_listen("127.0.0.1", 80, "Metadata", denied)
    assert "cannot be opened by this user" in message and "--metadata-port" in message
    other = OSError(errno.EADDRNOTAVAIL, "Cannot assign requested address")
    message = simulate_command._cannot_listen("10.9.9.9", 6661, "Data", other)
    assert "cannot listen on 10.9.9.9:6661" in message and "--data-port" in message


def test_simulate_reports_adapters_that_never_connect(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["simulate", "--data-port", "0", "--metadata-port", "0", "--wait", "0.2"])
    assert status == 1
    captured = capsys.readouterr()
    assert "Proxy Metadata Adapter listening on 127.0.0.1:" in captured.out
    err = captured.err
    assert "no Metadata Adapter connected to 127.0.0.1:" in err
    assert "MetadataProviderServer(adapter, ('127.0.0.1'," in err
    assert '<param name="request_reply_port">' in err
    assert "--data-only or --metadata-only" in err


def test_simulate_tls_options_go_together(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--tls-cert", "cert.pem", "--wait", "0.1"]) == 2
    assert "--tls-key" in capsys.readouterr().err


def test_simulate_reports_an_unreadable_certificate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.pem"
    status = main(
        ["simulate", "--tls-cert", str(missing), "--tls-key", str(missing), "--wait", "0.1"]
    )
    assert status == 1
    assert "cannot load the TLS certificate" in capsys.readouterr().err


# --------------------------------------------------------------------------------------
# helpers


class _Quiet(ExceptionHandler):
    """Keeps the test process alive at the end of a connection (no default exit)."""

    def __init__(self, ended: threading.Event) -> None:
        super().__init__()
        self.ended = ended

    def handle_ioexception(self, exception: Exception) -> bool:
        self.ended.set()
        return False

    def handle_exception(self, exception: Exception) -> bool:
        self.ended.set()
        return False


class _NoData(DataProvider):
    """A Data Adapter with no items (enough to connect)."""

    def initialize(self, parameters: dict[str, str], config_file: str | None = None) -> None:
        pass

    def set_listener(self, event_listener: ItemEventListener) -> None:
        pass

    def issnapshot_available(self, item_name: str) -> bool:
        return False

    def subscribe(self, item_name: str) -> None:
        raise SubscribeError(f"no items here, not even {item_name!r}")

    def unsubscribe(self, item_name: str) -> None:
        pass
