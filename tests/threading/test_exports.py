"""The public names and signatures of ``lightstreamer_adapter.server`` (Data side).

API-CONTRACT.md §1.1, §1.2: 1.3.1 names, positional order and defaults are kept; new
options are keyword-only, after the 1.3.1 parameters.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

import pytest

import lightstreamer_adapter
from lightstreamer_adapter import server as server_module
from lightstreamer_adapter.interfaces.data import ItemEventListener
from lightstreamer_adapter.protocol import RemotingException
from lightstreamer_adapter.server import (
    DataProviderServer,
    ExceptionHandler,
    Server,
    create_socket_and_connect,
    notify,
)


def sig(func: Any) -> str:
    """The signature without annotations: names, kinds and defaults are the contract."""
    params = [
        p.replace(annotation=inspect.Parameter.empty)
        for p in inspect.signature(func).parameters.values()
    ]
    return str(inspect.Signature(params))


def test_module_names() -> None:
    assert set(server_module.__all__) == {
        "Server",
        "DataProviderServer",
        "MetadataProviderServer",
        "ExceptionHandler",
    }
    assert lightstreamer_adapter.__all__ == ["server"]
    assert issubclass(DataProviderServer, Server)
    assert server_module.CloseRequestedError.__name__ == "CloseRequestedError"
    assert server_module.RemotingException is RemotingException


def test_metadata_server_is_exported() -> None:
    try:
        metadata_server = server_module.MetadataProviderServer
    except (AttributeError, ImportError):
        pytest.skip("MetadataProviderServer is not published yet (metadata_server.py)")
    assert issubclass(metadata_server, Server)


SIGNATURES = {
    (DataProviderServer, "__init__"): (
        "(self, adapter, address, name=None, keep_alive=None, thread_pool_size=0, "
        "ssl_context=None, *, sock=None, connect_timeout=10.0, send_timeout=30.0, "
        "max_pending_bytes=131072, close_timeout=5.0)"
    ),
    (Server, "__init__"): (
        "(self, address, name, keep_alive, thread_pool_size, ssl_context, *, sock=None, "
        "connect_timeout=10.0, send_timeout=30.0, max_pending_bytes=131072, "
        "close_timeout=5.0)"
    ),
    (Server, "start"): "(self)",
    (Server, "close"): "(self)",
    (Server, "set_exception_handler"): "(self, handler)",
    (Server, "getSupportedVersion"): "(self, proxy_version, max_version=None)",
    (Server, "on_received_request"): "(self, request)",
    (Server, "on_ioexception"): "(self, ioexception)",
    (Server, "on_exception"): "(self, exception)",
    (ExceptionHandler, "__init__"): "(self)",
    (ExceptionHandler, "handle_ioexception"): "(self, exception)",
    (ExceptionHandler, "handle_exception"): "(self, exception)",
    (DataProviderServer, "update"): (
        "(self, item_name, item_event=None, issnapshot=None, *, events_map=None)"
    ),
    (DataProviderServer, "end_of_snapshot"): "(self, item_name)",
    (DataProviderServer, "clear_snapshot"): "(self, item_name)",
    (DataProviderServer, "failure"): "(self, exception)",
    (DataProviderServer, "declare_field_diff_order"): "(self, item_name, algorithms_map)",
}


@pytest.mark.parametrize(
    ("owner", "name"), list(SIGNATURES), ids=lambda x: getattr(x, "__name__", x)
)
def test_signatures(owner: type, name: str) -> None:
    assert sig(getattr(owner, name)) == SIGNATURES[(owner, name)]


def test_module_functions() -> None:
    assert sig(create_socket_and_connect) == "(address, ssl_context=None)"
    assert sig(notify) == "(function)"

    @notify
    def eos() -> str:
        return "EOS|S|item|S|1"

    stamp, rest = eos().split("|", 1)
    assert stamp.isdigit() and rest == "EOS|S|item|S|1"


def test_properties() -> None:
    read_write = {"remote_user", "remote_password", "adapter_config", "adapter_params"}
    read_only = {
        "name",
        "keep_alive",
        "thread_pool_size",
        "init_expected",
        "protocol_version",
    }
    for name in read_write | read_only:
        prop = getattr(Server, name)
        assert isinstance(prop, property), name
        assert (prop.fset is not None) == (name in read_write), name
    adapter = DataProviderServer.adapter
    assert isinstance(adapter, property) and adapter.fset is None


def test_the_server_is_an_item_event_listener() -> None:
    # 1.3.1's server was the listener without subclassing ItemEventListener.
    assert issubclass(DataProviderServer, ItemEventListener)


def test_positional_construction_as_in_1_3_1(kit: Any) -> None:
    server = DataProviderServer(kit.Adapter(), ("localhost", 6661), "name", 5, 2, None)
    assert (server.name, server.keep_alive, server.thread_pool_size) == ("name", 5, 2)


def test_logger_names() -> None:
    assert DataProviderServer._LOG is lightstreamer_adapter.DATA_PROVIDER_LOGGER
    assert DataProviderServer._LOG.name == "lightstreamer-adapter.server.DataProviderServer"
    for name in ("requests", "replies", "keep_alives", "notifications"):
        assert f"lightstreamer-adapter.requestreply.{name}" in logging.root.manager.loggerDict
