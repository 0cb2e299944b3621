"""Optional pytest fixtures for the Proxy Adapter simulators.

Not registered automatically: opt in from a ``conftest.py``::

    pytest_plugins = ["lightstreamer_adapter.testing.pytest_plugin"]

Then ask for the fixtures by name::

    def test_quotes(data_proxy):
        data_proxy.attach(DataProviderServer(QuoteAdapter(), data_proxy.address))
        data_proxy.subscribe("item1")
        assert data_proxy.next_update().values["last_price"] == "12.3"

Each fixture yields a fresh simulator listening on a free port of ``127.0.0.1``. At
teardown it closes the simulator (and the servers given to ``attach``) and fails the
test with :class:`~lightstreamer_adapter.testing.SimulatorError` if the adapter broke
the protocol in a way the test did not check.

The timeout of every wait is 5 seconds, multiplied by the environment variable
``LS_SIMULATOR_TIMEOUT_SCALE`` when set (for slow CI machines). Override a fixture in
your ``conftest.py`` for other options (TLS, credentials).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from . import DataProxySimulator, MetadataProxySimulator

__all__ = ["data_proxy", "metadata_proxy", "simulator_timeout"]


@pytest.fixture
def simulator_timeout() -> float:
    """The default timeout of the simulators' waits, in seconds."""
    return 5.0 * float(os.environ.get("LS_SIMULATOR_TIMEOUT_SCALE", "1"))


@pytest.fixture
def data_proxy(simulator_timeout: float) -> Iterator[DataProxySimulator]:
    """A :class:`~lightstreamer_adapter.testing.DataProxySimulator`, checked at teardown."""
    proxy = DataProxySimulator(timeout=simulator_timeout)
    try:
        yield proxy
    finally:
        proxy.close()
    proxy.check()


@pytest.fixture
def metadata_proxy(simulator_timeout: float) -> Iterator[MetadataProxySimulator]:
    """A :class:`~lightstreamer_adapter.testing.MetadataProxySimulator`, checked at teardown."""
    proxy = MetadataProxySimulator(timeout=simulator_timeout)
    try:
        yield proxy
    finally:
        proxy.close()
    proxy.check()
