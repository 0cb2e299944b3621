"""What a process imports: each side loads only its own code (issue 6, resident memory).

Structural checks in a fresh interpreter (``-S``: no site hooks), no memory thresholds:
a Data Adapter process must not load the Metadata server, its request handlers and
their ``decimal``/``numbers``, nor ``concurrent.futures`` (only in the annotations of the
interfaces), nor ``ssl`` (4 MB, only needed by a caller who passes a TLS context and has
imported it already); the lazy names of
``lightstreamer_adapter.server`` still import, list and type as before.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def new_modules(code: str) -> set[str]:
    """The modules that ``code`` adds to ``sys.modules`` in a fresh interpreter."""
    script = (
        "import json, sys\n"
        "before = set(sys.modules)\n"
        f"{code}\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-S", "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    return set(json.loads(result.stdout.splitlines()[-1]))


METADATA_SIDE = {
    "lightstreamer_adapter._threading.metadata_server",
    "lightstreamer_adapter._metadata_requests",
    "decimal",
    "numbers",
}
NEVER = {"ssl", "_ssl", "concurrent.futures"}


def test_a_data_adapter_process_loads_no_metadata_code() -> None:
    loaded = new_modules(
        "from lightstreamer_adapter.interfaces.data import DataProvider\n"
        "from lightstreamer_adapter.server import DataProviderServer, ExceptionHandler\n"
    )
    assert "lightstreamer_adapter._threading.data_server" in loaded
    assert not loaded & (METADATA_SIDE | NEVER)


def test_a_metadata_adapter_process_loads_no_data_server() -> None:
    loaded = new_modules(
        "from lightstreamer_adapter.metadata import LiteralBasedProvider\n"
        "from lightstreamer_adapter.server import MetadataProviderServer\n"
    )
    assert "lightstreamer_adapter._threading.metadata_server" in loaded
    assert "lightstreamer_adapter._threading.data_server" not in loaded
    assert not loaded & {"ssl", "_ssl"}  # concurrent.futures: the Metadata side needs it


def test_the_protocol_records_load_no_dataclasses() -> None:
    # protocol/_record.py stands in for dataclasses (and the inspect, ast, dis... it
    # imports): about 1.3 MB of resident memory at the start of every adapter process.
    loaded = new_modules(
        "from lightstreamer_adapter.server import DataProviderServer, MetadataProviderServer\n"
        "import lightstreamer_adapter.protocol.parse, lightstreamer_adapter.protocol.encode\n"
        "import lightstreamer_adapter.protocol.negotiation\n"
    )
    assert "lightstreamer_adapter.protocol.messages" in loaded
    assert not loaded & {"dataclasses", "inspect"}


def test_importing_the_server_module_loads_neither_server() -> None:
    loaded = new_modules("import lightstreamer_adapter.server")
    assert "lightstreamer_adapter._threading.data_server" not in loaded
    assert not loaded & (METADATA_SIDE | NEVER)


def test_lazy_names_resolve_and_are_listed() -> None:
    from lightstreamer_adapter import server
    from lightstreamer_adapter._threading.base import Server
    from lightstreamer_adapter._threading.data_server import DataProviderServer
    from lightstreamer_adapter._threading.metadata_server import (
        ControlRequestError,
        MetadataProviderServer,
    )

    assert server.DataProviderServer is DataProviderServer
    assert server.MetadataProviderServer is MetadataProviderServer
    assert server.ControlRequestError is ControlRequestError
    assert issubclass(server.MetadataProviderServer, Server)
    names = dir(server)
    for name in (*server.__all__, "ControlRequestError", "CloseRequestedError", "notify"):
        assert name in names
        assert getattr(server, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'NoSuchServer'"):
        server.NoSuchServer  # noqa: B018
    assert not hasattr(server, "NoSuchServer")


def test_star_import_gives_the_public_names() -> None:
    namespace: dict[str, object] = {}
    exec("from lightstreamer_adapter.server import *", namespace)
    from lightstreamer_adapter import server

    assert {name for name in namespace if not name.startswith("__")} == set(server.__all__)
