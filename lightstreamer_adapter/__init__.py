"""Lightstreamer Remote Adapter SDK for Python.

Write Data and Metadata Adapters in Python and connect them to the Proxy Adapters of a
Lightstreamer Server (ARI protocol 1.9.1, Server 7.4 and later).

The public entry points are :mod:`lightstreamer_adapter.server` (the servers that run
your adapters), :mod:`lightstreamer_adapter.interfaces.data` and
:mod:`lightstreamer_adapter.interfaces.metadata` (the classes you subclass), and
:mod:`lightstreamer_adapter.testing` (a Proxy Adapter simulator for tests and demos).
"""

from __future__ import annotations

import logging

__all__ = ["server"]

__version__ = "2.0.0.dev0"

#: Logger of the Metadata side (name kept from 1.3.1, including its capital "D").
METADATA_PROVIDER_LOGGER = logging.getLogger("lightstreamer-adapter.server.MetaDataProviderServer")
#: Logger of the Data side (name kept from 1.3.1).
DATA_PROVIDER_LOGGER = logging.getLogger("lightstreamer-adapter.server.DataProviderServer")
