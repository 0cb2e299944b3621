"""Server lifecycle: validation, properties, start/close, threads, exception handling."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from lightstreamer_adapter.interfaces.data import DataProviderError
from lightstreamer_adapter.server import DataProviderServer, ExceptionHandler, Server

ROOT = Path(__file__).resolve().parents[2]


def wait_until(predicate: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not predicate():
        if time.monotonic() > deadline:
            return False
        pause.wait(0.005)
    return True


# ---------------------------------------------------------------------- construction


def test_validation_happens_before_anything_is_allocated(kit: Any) -> None:
    before = Server._number
    with pytest.raises(TypeError, match=r"not a subclass of lightstreamer_adapter\.interfaces"):
        DataProviderServer(object(), ("localhost", 6661))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Address tuple length longer than the expected 2"):
        DataProviderServer(kit.Adapter(), ("localhost", 6661, 6662))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        DataProviderServer(kit.Adapter(), "localhost:6661")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        DataProviderServer(kit.Adapter(), ("localhost", 6661), keep_alive="10")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        DataProviderServer(kit.Adapter(), ("localhost", 6661), thread_pool_size=2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        DataProviderServer(kit.Adapter(), ("localhost", 6661), send_timeout=0)
    with pytest.raises(ValueError):
        DataProviderServer(kit.Adapter(), ("localhost", 6661), max_pending_bytes=-1)
    assert Server._number == before  # bug B17: no counter bump, nothing allocated


def test_defaults_and_properties(kit: Any) -> None:
    adapter = kit.Adapter()
    server = DataProviderServer(adapter, ("localhost", 6661))
    assert server.name == f"#{Server._number}"
    assert server.keep_alive == 10.0
    assert server.thread_pool_size == (os.cpu_count() or 4)
    assert server.remote_user is None and server.remote_password is None
    assert server.adapter_config is None and server.adapter_params is None
    assert server.adapter is adapter
    assert server.init_expected is True
    assert server.protocol_version is None
    server.remote_user, server.remote_password = "u", "p"
    server.adapter_config, server.adapter_params = "cfg", {"a": "b"}
    assert (server.remote_user, server.remote_password) == ("u", "p")
    assert (server.adapter_config, server.adapter_params) == ("cfg", {"a": "b"})
    server.close()  # before start(): fine (1.3.1 raised AttributeError)
    server.close()


@pytest.mark.parametrize(
    ("given", "expected"), [(None, 10.0), (5, 5), (2.5, 2.5), (-3, 0), (0, 0)]
)
def test_keep_alive_as_reported_by_1_3_1(kit: Any, given: Any, expected: Any) -> None:
    server = DataProviderServer(kit.Adapter(), ("localhost", 1), keep_alive=given)
    assert server.keep_alive == expected


@pytest.mark.parametrize(("given", "expected"), [(0, None), (None, None), (-2, None), (3, 3)])
def test_thread_pool_size(kit: Any, given: Any, expected: Any) -> None:
    server = DataProviderServer(kit.Adapter(), ("localhost", 1), thread_pool_size=given)
    assert server.thread_pool_size == (expected or os.cpu_count() or 4)


def test_names_count_up_across_servers(kit: Any) -> None:
    first = DataProviderServer(kit.Adapter(), ("localhost", 1))
    second = DataProviderServer(kit.Adapter(), ("localhost", 1), name="mine")
    third = DataProviderServer(kit.Adapter(), ("localhost", 1))
    assert second.name == "mine"
    assert int(third.name[1:]) == int(first.name[1:]) + 2


# ---------------------------------------------------------------------- start / close


def test_start_failure_raises_data_provider_error(kit: Any) -> None:
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    server = DataProviderServer(kit.Adapter(), ("127.0.0.1", port), connect_timeout=kit.T())
    with pytest.raises(DataProviderError, match="Caught an error during the initialization") as e:
        server.start()
    assert isinstance(e.value.__cause__, OSError)
    assert server._threads() == []
    with pytest.raises(RuntimeError):
        server.start()
    server.close()


def test_start_twice_and_after_close(kit: Any, proxy: Any, closing: list[Any]) -> None:
    server = kit.start_server(proxy, kit.Adapter(), closing)
    with pytest.raises(RuntimeError, match="already started"):
        server.start()
    other = DataProviderServer(kit.Adapter(), proxy.address)
    other.close()
    with pytest.raises(RuntimeError, match="closed"):
        other.start()


def test_threads_are_named_non_daemon_and_joined_by_close(
    kit: Any, proxy: Any, closing: list[Any]
) -> None:
    server = kit.start_server(proxy, kit.Adapter(), closing, thread_pool_size=3)
    n = server._index
    names = sorted(t.name for t in server._threads())
    assert names == sorted(
        [f"ls-data-reader-{n}", f"ls-data-writer-{n}", f"ls-data-watchdog-{n}"]
        + [f"ls-data-worker-{n}-{k}" for k in (1, 2, 3)]
    )
    assert not any(t.daemon for t in server._threads())
    started = time.monotonic()
    server.close()
    assert time.monotonic() - started < kit.T()
    assert not any(t.is_alive() for t in server._threads())
    assert proxy.wait_eof()  # the socket is shut down: the Proxy sees the end (bug B4)
    server.close()  # idempotent


def test_close_waits_for_busy_adapter_code_up_to_the_deadline(
    kit: Any, proxy: Any, closing: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    adapter = kit.Adapter()
    entered = threading.Event()
    release = threading.Event()

    def blocked(item: str) -> None:
        entered.set()
        release.wait(kit.T())

    adapter.subscribe_hook = blocked
    server = kit.start_server(proxy, adapter, closing, close_timeout=0.2)
    proxy.send("S1|SUB|S|item")
    assert entered.wait(kit.T())
    with caplog.at_level(logging.WARNING):
        started = time.monotonic()
        server.close()
        elapsed = time.monotonic() - started
    assert 0.15 <= elapsed < kit.T(2)
    assert any("still running" in r.getMessage() for r in caplog.records)
    release.set()
    assert wait_until(lambda: not any(t.is_alive() for t in server._threads()), kit.T())


def test_close_from_the_exception_handler(kit: Any, proxy: Any, closing: list[Any]) -> None:
    done = threading.Event()

    class Handler(ExceptionHandler):
        def handle_ioexception(self, exception: Exception) -> bool:
            server.close()  # on the reader thread: must not deadlock
            done.set()
            return False

    server = kit.start_server(proxy, kit.Adapter(), closing, handler=Handler())
    proxy.close_connection()
    assert done.wait(kit.T())
    assert wait_until(lambda: not any(t.is_alive() for t in server._threads()), kit.T())


def test_threads_end_on_their_own_after_the_connection_ends(
    kit: Any, proxy: Any, closing: list[Any]
) -> None:
    handler = kit.RecordingHandler()
    server = kit.start_server(proxy, kit.Adapter(), closing, handler=handler)
    proxy.close_connection()
    assert handler.io_event.wait(kit.T())
    # Without close(): the workers, the writer and the reader all end.
    assert wait_until(lambda: not any(t.is_alive() for t in server._threads()), kit.T())


def test_existing_socket(kit: Any, closing: list[Any]) -> None:
    ours, theirs = socket.socketpair()
    closing.append(theirs)
    server = DataProviderServer(kit.Adapter(), None, sock=ours)
    closing.append(server)
    server.set_exception_handler(kit.RecordingHandler())
    server.start()
    theirs.settimeout(kit.T())
    data = b""
    while not data.endswith(b"\r\n"):
        data += theirs.recv(100)
    assert data.startswith(b"1|RAC|")


# ---------------------------------------------------------------------- exception handler


def test_exception_handler_base_methods_ask_for_the_default() -> None:
    handler = ExceptionHandler()
    assert handler.handle_ioexception(OSError()) is True  # bug B9: was None
    assert handler.handle_exception(Exception()) is True


def test_overriding_one_method_keeps_the_other_default(
    kit: Any, proxy: Any, closing: list[Any], no_process_exit: list[BaseException]
) -> None:
    class OnlyErrors(ExceptionHandler):
        def handle_exception(self, exception: Exception) -> bool:
            return False

    kit.start_server(proxy, kit.Adapter(), closing, handler=OnlyErrors())
    proxy.close_connection()
    assert wait_until(lambda: bool(no_process_exit), kit.T())  # default still applies


def test_a_raising_handler_falls_back_to_the_default(
    kit: Any, proxy: Any, closing: list[Any], no_process_exit: list[BaseException]
) -> None:
    class Broken(ExceptionHandler):
        def handle_ioexception(self, exception: Exception) -> bool:
            raise RuntimeError("handler bug")

    kit.start_server(proxy, kit.Adapter(), closing, handler=Broken())
    proxy.close_connection()
    assert wait_until(lambda: bool(no_process_exit), kit.T())


# ---------------------------------------------------------------------- processes


def run_script(body: str, port: int) -> subprocess.Popen[str]:
    script = textwrap.dedent(body)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-c", script, str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=str(ROOT),
    )


ADAPTER_SCRIPT = """
    import sys, threading
    from lightstreamer_adapter.interfaces.data import DataProvider
    from lightstreamer_adapter.server import DataProviderServer, ExceptionHandler

    class Adapter(DataProvider):
        def initialize(self, parameters, config_file=None):
            # Answer only once the main thread is over (the situation of bug B5).
            threading.main_thread().join(10)
        def set_listener(self, event_listener):
            self.listener = event_listener
        def subscribe(self, item_name):
            alive = threading.main_thread().is_alive()
            self.listener.update(item_name, {"main_alive": alive}, False)
        def unsubscribe(self, item_name):
            pass
        def issnapshot_available(self, item_name):
            return False
"""


def test_a_started_server_outlives_the_main_thread(kit: Any, proxy: Any) -> None:
    # Bug B5: with 1.3.1 the next request after the end of the main thread failed.
    process = run_script(
        ADAPTER_SCRIPT
        + """
    class Handler(ExceptionHandler):
        def handle_ioexception(self, exception):
            print("io:", type(exception).__name__, flush=True)
            server.close()
            return False

    server = DataProviderServer(Adapter(), ("127.0.0.1", int(sys.argv[1])))
    server.set_exception_handler(Handler())
    server.start()
    print("main thread ends", flush=True)
    """,
        proxy.port,
    )
    try:
        proxy.accept(kit.T(20))
        assert proxy.read_line(kit.T(20)).startswith("1|RAC|")
        proxy.send(kit.DPI_191)
        assert proxy.read_line(kit.T(20)) == "DPI1|DPI|S|ARI.version|S|1.9.1"
        proxy.send("S1|SUB|S|item")
        lines = proxy.read_lines(3)
        assert [line.split("|", 1)[1] for line in lines] == [
            "EOS|S|item|S|S1",
            "UD3|S|item|S|S1|B|0|S|main_alive|S|False",
            "SUB|V",
        ]
        proxy.close_connection()
        out, err = process.communicate(timeout=kit.T(20))
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert out.splitlines() == ["main thread ends", "io: EOFError"]


def test_default_io_handling_logs_and_exits_with_status_1(kit: Any, proxy: Any) -> None:
    process = run_script(
        ADAPTER_SCRIPT
        + """
    import logging
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    server = DataProviderServer(Adapter(), ("127.0.0.1", int(sys.argv[1])))
    server.start()
    """,
        proxy.port,
    )
    try:
        proxy.accept(kit.T(20))
        assert proxy.read_line(kit.T(20)).startswith("1|RAC|")
        proxy.close_connection()
        _, err = process.communicate(timeout=kit.T(20))
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 1
    critical = [line for line in err.splitlines() if line.startswith("CRITICAL")]
    assert len(critical) == 1 and "ending the process" in critical[0], err
