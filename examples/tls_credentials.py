"""TLS and credentials: connect to Proxy Adapters configured with ``tls=Y`` and ``auth=Y``.

The adapters are those of ``hello_world.py``; what changes is how they connect:

* TLS: both servers get ``ssl_context=ssl.create_default_context(cafile=...)``, a
  client-side context that verifies the Proxy's certificate and host name like a
  browser does. ``--cafile`` names the certificate of the CA that signed the Proxy's
  certificate (or the Proxy's own certificate, if self-signed); without it the system's
  trusted CAs are used.
* Remote credentials: ``remote_user`` and ``remote_password``, set before ``start()``,
  go to the Proxy in the first packet of each connection; they must match one of the
  ``auth.credentials.<n>`` pairs of ``adapters.xml``. The password is read from the
  ``LS_REMOTE_PASSWORD`` environment variable (or asked for), never from the command
  line, where other users of the machine could read it.
* Refused credentials: the Proxy closes the connection (with ``CLOSE``); the process
  then ends with a message saying so (see ``runner.py``).

Try it with the simulator, which can play a Proxy with TLS and credentials. Make a
self-signed certificate for ``localhost`` first, then use two terminals::

    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=localhost \\
        -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout proxy.key -out proxy.pem
    python -m lightstreamer_adapter simulate --tls-cert proxy.pem --tls-key proxy.key \\
        --require-credentials python-adapter:change-me --subscribe greetings
    LS_REMOTE_PASSWORD=change-me python examples/tls_credentials.py --cafile proxy.pem \\
        --user python-adapter
"""

from __future__ import annotations

import getpass
import os
import ssl
import sys

from hello_world import HelloWorldDataAdapter
from runner import argument_parser, serve

from lightstreamer_adapter.interfaces.data import DataProvider
from lightstreamer_adapter.interfaces.metadata import MetadataProvider
from lightstreamer_adapter.server import DataProviderServer, MetadataProviderServer

#: The environment variable holding the remote password.
PASSWORD_VARIABLE = "LS_REMOTE_PASSWORD"


def client_ssl_context(cafile: str | None) -> ssl.SSLContext:
    """A TLS context that verifies the Proxy's certificate and host name.

    Args:
        cafile: PEM file with the certificate of the CA that signed the Proxy's
            certificate (or the self-signed certificate itself); ``None``: the system's
            trusted CAs.
    """
    return ssl.create_default_context(cafile=cafile)


def secure_servers(
    data_adapter: DataProvider,
    metadata_adapter: MetadataProvider,
    *,
    metadata_address: tuple[str, int],
    data_address: tuple[str, int],
    ssl_context: ssl.SSLContext | None,
    user: str | None,
    password: str | None,
) -> tuple[MetadataProviderServer, DataProviderServer]:
    """Create both servers with TLS and remote credentials (not started yet)."""
    metadata_server = MetadataProviderServer(
        metadata_adapter, metadata_address, ssl_context=ssl_context
    )
    data_server = DataProviderServer(data_adapter, data_address, ssl_context=ssl_context)
    for server in (metadata_server, data_server):
        # Sent in RAC, the first packet of the connection (ARI-PROTOCOL.md §1.7).
        server.remote_user = user
        server.remote_password = password
    return metadata_server, data_server


def main(argv: list[str] | None = None) -> int:
    """Connect both adapters with TLS and credentials, serve until Ctrl-C or SIGTERM."""
    parser = argument_parser(__doc__.splitlines()[0])
    parser.add_argument(
        "--cafile", help="PEM certificate(s) to trust for the Proxy (default: the system's)"
    )
    parser.add_argument("--no-tls", action="store_true", help="plain TCP (a Proxy without tls)")
    parser.add_argument(
        "--user", help=f"remote user; the password comes from ${PASSWORD_VARIABLE} or a prompt"
    )
    args = parser.parse_args(argv)

    password = os.environ.get(PASSWORD_VARIABLE)
    if args.user is not None and password is None and sys.stdin.isatty():
        password = getpass.getpass(f"Remote password for {args.user}: ")
    ssl_context = None if args.no_tls else client_ssl_context(args.cafile)
    data_adapter = HelloWorldDataAdapter()
    metadata_server, data_server = secure_servers(
        data_adapter,
        MetadataProvider(),
        metadata_address=(args.host, args.metadata_port),
        data_address=(args.host, args.data_port),
        ssl_context=ssl_context,
        user=args.user,
        password=password,
    )
    return serve(
        [("Metadata Adapter", metadata_server), ("Data Adapter", data_server)],
        where=f"{args.host} ({'plain TCP' if args.no_tls else 'TLS'})",
        cleanup=data_adapter.close,
    )


if __name__ == "__main__":
    sys.exit(main())
