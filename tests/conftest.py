"""Shared test settings: the timeout unit.

Test modules are imported with ``--import-mode=importlib`` (see pyproject.toml), so two
test files may share a basename in different folders; share helpers through fixtures.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

#: Multiply every wait in the tests by this factor on slow machines.
TIMEOUT_SCALE = float(os.environ.get("LS_TEST_TIMEOUT_SCALE", "1"))


def scaled(seconds: float = 5.0) -> float:
    """A test timeout, scaled by ``LS_TEST_TIMEOUT_SCALE``."""
    return seconds * TIMEOUT_SCALE


@pytest.fixture
def timeout() -> Callable[[float], float]:
    """Return :func:`scaled`: ``timeout(5)`` is five seconds times the scale."""
    return scaled


def poll_until(predicate: Callable[[], object], timeout: float, what: str) -> None:
    """Poll ``predicate`` until it is true; AssertionError after ``timeout`` seconds.

    For states no event announces (e.g. a thread that has parked a request); the
    polling interval is 1 ms, with a deadline, never a bare sleep.
    """
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not predicate():
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        pause.wait(0.001)


@pytest.fixture
def wait_until() -> Callable[[Callable[[], object], float, str], None]:
    """Return :func:`poll_until`: ``wait_until(predicate, timeout, what)``."""
    return poll_until


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for ``localhost`` and ``127.0.0.1``: (cert, key) paths.

    Made once per run with the ``openssl`` command; tests that need it are skipped
    where that command is missing.
    """
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not available to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    made = subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        capture_output=True,
        timeout=scaled(30),
        check=False,
    )  # fmt: skip
    if made.returncode != 0:
        pytest.skip(f"openssl could not make a certificate: {made.stderr.decode()[:200]}")
    return cert, key


_PROCESS_EXITS: list[str] = []


@pytest.fixture(autouse=True)
def _no_process_exit(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """Keep the default I/O-error handling (which ends the process) from ending pytest.

    Tests of that handling run it in a subprocess. Anywhere else, a server whose
    connection fails is closed instead, and the event is listed at the end of the run.
    Folders whose conftest patches the same method (to assert on it) take precedence.
    """
    from lightstreamer_adapter._threading.base import Server

    def record(self: Server, exception: BaseException) -> None:
        _PROCESS_EXITS.append(f"{request.node.nodeid}: {exception!r}")
        self.close()

    monkeypatch.setattr(Server, "_terminate_process", record)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """List the servers whose default handling would have ended the process."""
    if _PROCESS_EXITS:
        terminalreporter.section("default I/O-error handling triggered (process kept)")
        for line in _PROCESS_EXITS:
            terminalreporter.write_line(line)
