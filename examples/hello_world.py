"""Hello world: the smallest Remote Adapter set, written as with version 1.3.1.

The Data Adapter serves one item, ``greetings``: every second its ``message`` field
alternates between "Hello" and "World", and its ``timestamp`` field tells the time. The
Metadata Adapter is the default :class:`MetadataProvider`, which lets every user in and
resolves item lists and field lists by splitting them on spaces.

This is the classic shape of an ``adapters.py`` file, unchanged since 1.3.1: subclass
``DataProvider``, wrap the adapters in a ``DataProviderServer`` and a
``MetadataProviderServer`` with the ``(host, port)`` of the Proxy Adapters, ``start()``.

Run it against a Lightstreamer Server configured with ``adapters.xml.example``, or
against the bundled simulator, in two terminals::

    python -m lightstreamer_adapter simulate --subscribe greetings --fields message timestamp
    python examples/hello_world.py
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from typing import Any

from lightstreamer_adapter.interfaces.data import DataProvider, DataProviderError, SubscribeError
from lightstreamer_adapter.interfaces.metadata import MetadataProvider, MetadataProviderError
from lightstreamer_adapter.protocol.errors import CloseRequestedError
from lightstreamer_adapter.server import (
    DataProviderServer,
    ExceptionHandler,
    MetadataProviderServer,
)

#: The only item of this Data Adapter.
ITEM = "greetings"


class HelloWorldDataAdapter(DataProvider):
    """Publishes "Hello" and "World", alternately, on the ``greetings`` item.

    Args:
        interval: Seconds between two updates (the pace of the feed).
    """

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self.listener: Any = None
        self.stop_feed = threading.Event()
        self.feed_thread: threading.Thread | None = None

    def initialize(self, parameters: dict[str, str], config_file: str | None = None) -> None:
        """Nothing to prepare: the feed starts when the item is subscribed."""

    def set_listener(self, event_listener: Any) -> None:
        """Keep the listener that sends our events to the Proxy."""
        self.listener = event_listener

    def issnapshot_available(self, item_name: str) -> bool:
        """No snapshot: clients see the greetings from the moment they subscribe."""
        return False

    def subscribe(self, item_name: str) -> None:
        """Start the feed of ``greetings``; refuse any other item."""
        if item_name != ITEM:
            raise SubscribeError(f"No such item: {item_name!r} (try {ITEM!r})")
        self.stop_feed = threading.Event()
        self.feed_thread = threading.Thread(
            target=self._feed, args=(self.stop_feed,), name="greetings-feed", daemon=True
        )
        self.feed_thread.start()

    def unsubscribe(self, item_name: str) -> None:
        """Stop the feed; no update is sent once this method returns."""
        self.close()

    def close(self) -> None:
        """Stop the feed thread, if running, and wait for it."""
        self.stop_feed.set()
        if self.feed_thread is not None:
            self.feed_thread.join()
            self.feed_thread = None

    def _feed(self, stop: threading.Event) -> None:
        words = ("Hello", "World")
        count = 0
        while True:
            self.listener.update(
                ITEM,
                {"message": words[count % 2], "timestamp": time.strftime("%H:%M:%S")},
                False,
            )
            count += 1
            # The wait paces the feed and ends it as soon as the stop event is set.
            if stop.wait(self.interval):
                return


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line: where the Proxy Adapters of ``adapters.xml`` listen."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="localhost", help="the Lightstreamer Server host")
    parser.add_argument("--metadata-port", type=int, default=6663, help="default: 6663")
    parser.add_argument("--data-port", type=int, default=6661, help="default: 6661")
    return parser.parse_args(argv)


class WakeUpOnClose(ExceptionHandler):
    """Wakes ``main()`` up when the Server closes a connection (it sends ``CLOSE``).

    The default handling still runs: the server logs a warning and closes itself.
    """

    def __init__(self, stop: threading.Event) -> None:
        super().__init__()
        self.stop = stop
        self.closed = False

    def handle_exception(self, exception: Exception) -> bool:
        """Set the stop event on ``CLOSE``; let the server handle the error as usual."""
        if isinstance(exception, CloseRequestedError):
            print(f"The Server closed the connection: {exception.reason}", file=sys.stderr)
            self.closed = True
            self.stop.set()
        return True


def main(argv: list[str] | None = None) -> int:
    """Connect both adapters to the Proxy Adapters and serve until Ctrl-C or SIGTERM.

    Also returns (with status 1) when the Server closes the connections. If instead a
    connection breaks, the server's default handling ends the process with status 1.
    """
    args = parse_args(argv)
    data_adapter = HelloWorldDataAdapter()
    metadata_server = MetadataProviderServer(MetadataProvider(), (args.host, args.metadata_port))
    data_server = DataProviderServer(data_adapter, (args.host, args.data_port))

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    closed_by_server = WakeUpOnClose(stop)
    metadata_server.set_exception_handler(closed_by_server)
    data_server.set_exception_handler(closed_by_server)
    try:
        metadata_server.start()
        data_server.start()
    except (MetadataProviderError, DataProviderError) as exc:
        print(
            f"Cannot connect to the Proxy Adapters on {args.host} (metadata port "
            f"{args.metadata_port}, data port {args.data_port}): {exc} ({exc.__cause__}).\n"
            "Start the Lightstreamer Server with adapters.xml.example, or run "
            "`python -m lightstreamer_adapter simulate`, first.",
            file=sys.stderr,
        )
        data_server.close()
        metadata_server.close()
        return 1
    print(f"Hello world adapters connected to {args.host}; press Ctrl-C to stop.", flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        data_server.close()
        metadata_server.close()
        data_adapter.close()
    return 1 if closed_by_server.closed else 0


if __name__ == "__main__":
    sys.exit(main())
