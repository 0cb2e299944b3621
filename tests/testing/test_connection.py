"""Accepting connections: RAC first, remote credentials, TLS, the pytest fixtures."""

from __future__ import annotations

import os
import ssl

import pytest

from lightstreamer_adapter.testing import (
    CredentialsRefusedError,
    DataProxySimulator,
    MetadataProxySimulator,
    SimulatorError,
)

T = 5.0 * float(os.environ.get("LS_TEST_TIMEOUT_SCALE", "1"))

RAC = "1|RAC|S|enableClosePacket|S|true|S|SDK|S|Python+Adapter+SDK"
RAC_USER = (
    "1|RAC|S|user|S|remote1|S|password|S|s3cr%26t|S|enableClosePacket|S|true"
    "|S|SDK|S|Python+Adapter+SDK"
)
DPI_OK = {"DPI": ["{id}|DPI|S|ARI.version|S|1.9.1"]}


# -- RAC first ---------------------------------------------------------------------------


def test_accept_returns_the_decoded_rac(remote):
    with DataProxySimulator(timeout=T) as proxy:
        host, port = proxy.address
        assert host == "127.0.0.1"
        assert port > 0
        remote(proxy.address, first=[RAC_USER])
        rac = proxy.accept()
        assert (rac.user, rac.password) == ("remote1", "s3cr&t")
        assert rac.params["SDK"] == "Python Adapter SDK"
        assert proxy.remote_credentials == rac
        assert proxy.connected


def test_a_line_before_rac_is_a_violation(remote):
    with DataProxySimulator(timeout=T) as proxy:
        remote(proxy.address, first=["KEEPALIVE", RAC])
        with pytest.raises(SimulatorError, match="must be RAC") as error:
            proxy.accept()
        assert error.value.line == "KEEPALIVE"


def test_a_malformed_first_line_is_a_violation(remote):
    with DataProxySimulator(timeout=T) as proxy:
        remote(proxy.address, first=["1|RAC|S|user"])
        with pytest.raises(SimulatorError, match="must be RAC, got a malformed line"):
            proxy.accept()


def test_rac_twice_and_invalid_utf8(remote):
    with MetadataProxySimulator(timeout=T) as proxy:
        fake = remote(proxy.address)
        proxy.accept()
        fake.send(RAC)
        assert "RAC twice" in str(proxy.expect_violation())
        fake.send_bytes(b"1700000000000|FAL|E|caf\xe9\r\n")
        violation = proxy.expect_violation()
        assert "not valid UTF-8" in str(violation)
        assert violation.line == "1700000000000|FAL|E|caf\\xe9"


def test_accept_closes_the_previous_connection(remote):
    with DataProxySimulator(timeout=T) as proxy:
        first = remote(proxy.address)
        proxy.accept()
        remote(proxy.address, first=[RAC_USER])
        assert proxy.accept().user == "remote1"
        assert first.eof.wait(T)


# -- credentials ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "credentials", [("remote1", "s3cr&t"), [("other", "x"), ("remote1", "s3cr&t")]]
)
def test_right_credentials_are_accepted(remote, credentials):
    with DataProxySimulator(timeout=T, credentials=credentials) as proxy:
        remote(proxy.address, DPI_OK, first=[RAC_USER])
        assert proxy.accept().user == "remote1"
        proxy.init()


@pytest.mark.parametrize("rac", [RAC, RAC_USER.replace("s3cr%26t", "wrong")])
def test_wrong_credentials_close_with_the_proxy_bytes(remote, rac):
    with DataProxySimulator(timeout=T, credentials=("remote1", "s3cr&t")) as proxy:
        fake = remote(proxy.address, first=[rac])
        with pytest.raises(CredentialsRefusedError, match="wrong remote credentials") as refused:
            proxy.accept()
        assert fake.eof.wait(T)
        assert bytes(fake.raw) == b"0|CLOSE|S|reason|S|wrong+credentials\r\n"
        assert refused.value.user == ("remote1" if "user" in rac else None)
        proxy.wait_closed()
        with pytest.raises(ConnectionError):
            proxy.init()


def test_no_close_packet_unless_the_adapter_asked_for_it(remote):
    with DataProxySimulator(timeout=T, credentials=[("u", "p")]) as proxy:
        fake = remote(proxy.address, first=["1|RAC|S|user|S|u|S|password|S|x"])
        with pytest.raises(CredentialsRefusedError):
            proxy.accept()
        assert fake.eof.wait(T)
        assert bytes(fake.raw) == b""


def test_bad_credentials_option():
    with pytest.raises(ValueError, match="pairs"):
        DataProxySimulator(credentials=[("a", "b", "c")])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="timeout"):
        DataProxySimulator(timeout=0)


# -- TLS -----------------------------------------------------------------------------------


def contexts(certificate):
    cert, key = certificate
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(cert))
    return server, client


def test_tls(remote, certificate):
    server_context, client_context = contexts(certificate)
    with DataProxySimulator(timeout=T, ssl_context=server_context) as proxy:
        fake = remote(proxy.address, DPI_OK, ssl_context=client_context)
        proxy.accept()
        proxy.init()
        assert fake.next_line().split("|")[1] == "DPI"
        assert proxy.received[0] == RAC


def test_tls_handshake_failure(remote, certificate):
    server_context, _ = contexts(certificate)
    with DataProxySimulator(timeout=T, ssl_context=server_context) as proxy:
        remote(proxy.address)  # plain TCP: its RAC is not a TLS ClientHello
        with pytest.raises(SimulatorError, match="TLS handshake with the adapter"):
            proxy.accept()


# -- pytest fixtures -------------------------------------------------------------------------


def test_data_proxy_fixture(data_proxy, remote):
    assert isinstance(data_proxy, DataProxySimulator)
    assert data_proxy.timeout == 5.0 * float(os.environ.get("LS_SIMULATOR_TIMEOUT_SCALE", "1"))
    remote(data_proxy.address, DPI_OK)
    data_proxy.accept()
    data_proxy.init()


def test_metadata_proxy_fixture(metadata_proxy):
    assert isinstance(metadata_proxy, MetadataProxySimulator)
    assert metadata_proxy.address[1] > 0


def test_a_fixed_port_is_reusable_right_after_a_run(remote):
    with DataProxySimulator(timeout=T) as first:
        port = first.address[1]
        fake = remote(first.address, DPI_OK)
        first.accept()
        first.init()
    assert fake.eof.wait(T)
    # The connection of the first run is in TIME_WAIT on the simulator's side.
    with DataProxySimulator(port=port, timeout=T) as second:
        assert second.address[1] == port
