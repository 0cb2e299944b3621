"""Test your adapters without a Lightstreamer Server: simulated Proxy Adapters.

A Lightstreamer Server talks to a Remote Adapter through a *Proxy Adapter* that listens
on a TCP port. :class:`DataProxySimulator` and :class:`MetadataProxySimulator` play that
part: they listen on ``127.0.0.1`` (a free port by default), accept your server's
connection, check it as the real Proxy does, and let a test send requests and look at
what the adapter answers, with a timeout on every wait::

    from lightstreamer_adapter.server import DataProviderServer
    from lightstreamer_adapter.testing import DataProxySimulator

    def test_quotes():
        with DataProxySimulator() as proxy:
            proxy.attach(DataProviderServer(QuoteAdapter(), proxy.address))
            proxy.subscribe("item1")
            update = proxy.next_update()
            assert update.values["last_price"] == "12.3"

The step by step form (``server.start()``, ``proxy.accept()``, ``proxy.init()``)
allows to check the connection itself: TLS (``ssl_context``), remote credentials
(``credentials``), version negotiation (``init(version="1.8.3")``).

Replies and notifications are the decoded messages of the protocol core, re-exported
here (:class:`Update`, :class:`EndOfSnapshot`, :class:`NotifyUserReply`, ...). Error
replies raise :class:`AdapterError`; anything the adapter does against the protocol is
recorded and raised as :class:`SimulatorError`.

For pytest, opt in to the fixtures ``data_proxy`` and ``metadata_proxy`` with
``pytest_plugins = ["lightstreamer_adapter.testing.pytest_plugin"]`` in a
``conftest.py``.
"""

from __future__ import annotations

from ..protocol.messages import (
    ClearSnapshot,
    DataFailure,
    DeclareFieldDiffOrder,
    EndOfSnapshot,
    ErrorInfo,
    ErrorKind,
    ErrorReply,
    ForceSessionTermination,
    ForceUnsubscription,
    GetItemDataReply,
    GetItemsReply,
    GetSchemaReply,
    GetUserItemDataReply,
    InitReply,
    ItemData,
    Keepalive,
    MetadataFailure,
    NotifyNewSessionReply,
    NotifyNewTablesReply,
    NotifyUserReply,
    RemoteCredentials,
    Update,
    VoidReply,
)
from ._base import PendingReply, ProxySimulator
from ._errors import AdapterError, CredentialsRefusedError, SimulatorError
from .data import DataProxySimulator
from .metadata import MetadataProxySimulator

__all__ = [
    "AdapterError",
    "ClearSnapshot",
    "CredentialsRefusedError",
    "DataFailure",
    "DataProxySimulator",
    "DeclareFieldDiffOrder",
    "EndOfSnapshot",
    "ErrorInfo",
    "ErrorKind",
    "ErrorReply",
    "ForceSessionTermination",
    "ForceUnsubscription",
    "GetItemDataReply",
    "GetItemsReply",
    "GetSchemaReply",
    "GetUserItemDataReply",
    "InitReply",
    "ItemData",
    "Keepalive",
    "MetadataFailure",
    "MetadataProxySimulator",
    "NotifyNewSessionReply",
    "NotifyNewTablesReply",
    "NotifyUserReply",
    "PendingReply",
    "ProxySimulator",
    "RemoteCredentials",
    "SimulatorError",
    "Update",
    "VoidReply",
]
