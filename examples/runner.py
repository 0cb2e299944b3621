"""The command line and the serving loop shared by the examples.

Copy this file along with an example. It does what every ``adapters.py`` process does
around its adapters: read where the Proxy Adapters listen, start the servers, serve
until told to stop, close everything. ``hello_world.py`` does the same inline, in the
style of version 1.3.1.

The loop stops on Ctrl-C, on SIGTERM, and when a connection with the Proxy ends: an
:class:`ExceptionHandler` is installed on every server so that the end of a connection
(the Server went away, or sent ``CLOSE``, e.g. for wrong credentials) ends the process
with a message and exit status 1, after closing the other server too, instead of the
library's default (log and end the process at once).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Sequence

from lightstreamer_adapter.interfaces.data import DataProviderError
from lightstreamer_adapter.interfaces.metadata import MetadataProviderError
from lightstreamer_adapter.protocol.errors import CloseRequestedError
from lightstreamer_adapter.server import ExceptionHandler, Server

#: The ports of the Proxy Adapters in ``adapters.xml.example``.
METADATA_PORT = 6663
DATA_PORT = 6661


def argument_parser(description: str) -> argparse.ArgumentParser:
    """A parser with ``--host``, ``--metadata-port`` and ``--data-port``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--host", default="localhost", help="the Lightstreamer Server host (default: localhost)"
    )
    parser.add_argument(
        "--metadata-port",
        type=int,
        default=METADATA_PORT,
        help=f"request_reply_port of the Proxy Metadata Adapter (default: {METADATA_PORT})",
    )
    parser.add_argument(
        "--data-port",
        type=int,
        default=DATA_PORT,
        help=f"request_reply_port of the Proxy Data Adapter (default: {DATA_PORT})",
    )
    return parser


class StopOnConnectionEnd(ExceptionHandler):
    """Ends the serving loop when the connection of a server ends.

    Args:
        stop: Set when the connection ends.
        name: What the server serves, for the message.
    """

    def __init__(self, stop: threading.Event, name: str) -> None:
        super().__init__()
        self.stop = stop
        self.name = name
        self.reason: str | None = None

    def handle_ioexception(self, exception: Exception) -> bool:
        """The Proxy went away: stop the loop instead of ending the process at once."""
        self.reason = f"the connection of the {self.name} ended: {exception!r}"
        self.stop.set()
        return False

    def handle_exception(self, exception: Exception) -> bool:
        """Stop the loop on ``CLOSE``; leave other errors to the default handling."""
        if isinstance(exception, CloseRequestedError):
            self.reason = f"the Proxy closed the connection of the {self.name}: {exception.reason}"
            self.stop.set()
        return True


def serve(
    servers: Sequence[tuple[str, Server]],
    *,
    where: str,
    cleanup: Callable[[], None] | None = None,
) -> int:
    """Start the servers, serve until stopped, close them; return the exit status.

    Args:
        servers: (what it serves, server) pairs, started in this order.
        where: The Proxy address, for the messages.
        cleanup: Called at the end, e.g. to stop the adapters' feed threads.
    """
    stop = threading.Event()
    handlers = []
    for name, server in servers:
        handler = StopOnConnectionEnd(stop, name)
        server.set_exception_handler(handler)
        handlers.append(handler)
    # Signal handlers can only be installed from the main thread (tests run main() in
    # other threads too).
    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:
        previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    try:
        for name, server in servers:
            try:
                server.start()
            except (MetadataProviderError, DataProviderError) as exc:
                print(
                    f"Cannot connect the {name} to the Proxy Adapter at {where}: {exc}: "
                    f"{exc.__cause__}.\nIs the Lightstreamer Server (configured with "
                    "adapters.xml.example) or `python -m lightstreamer_adapter simulate` "
                    "running there?",
                    file=sys.stderr,
                )
                return 1
        print(f"Connected to {where}; press Ctrl-C to stop.", flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        reasons = [h.reason for h in handlers if h.reason is not None]
        if reasons:
            print(f"Stopping: {reasons[0]}.", file=sys.stderr)
            return 1
        return 0
    finally:
        for _, server in reversed(servers):
            server.close()
        if cleanup is not None:
            cleanup()
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
