"""``demo``: a stock-list adapter set against the simulator, shown as a live table.

Everything runs in this process, on the loopback interface, on ports chosen by the
system: a :class:`~lightstreamer_adapter.testing.MetadataProxySimulator` and a
:class:`~lightstreamer_adapter.testing.DataProxySimulator` play the Server's Proxy
Adapters; a :class:`~lightstreamer_adapter.metadata.LiteralBasedProvider` and the
stock-list Data Adapter connect to them through the real
:class:`~lightstreamer_adapter.server.MetadataProviderServer` and
:class:`~lightstreamer_adapter.server.DataProviderServer`. The demo then plays a client
session as the Server would (authenticate, open a session, resolve the item group and
the field schema, subscribe) and shows the updates.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Sequence
from typing import IO

from ..metadata import LiteralBasedProvider
from ..server import DataProviderServer, MetadataProviderServer
from ..testing import (
    AdapterError,
    ClearSnapshot,
    DataProxySimulator,
    EndOfSnapshot,
    Keepalive,
    MetadataProxySimulator,
    SimulatorError,
    Update,
)
from ._common import (
    add_verbose_option,
    configure_logging,
    is_terminal,
    sigterm_interrupts,
    use_color,
)
from ._stocks import StockListDataAdapter

__all__ = ["add_parser", "run"]

#: The fields shown, in order, with their column widths.
_COLUMNS = (
    ("stock_name", 17),
    ("last_price", 11),
    ("pct_change", 11),
    ("bid", 8),
    ("ask", 8),
    ("time", 9),
)
#: Widths of the first (item) and last (update count) columns: 79 characters in all.
_ITEM_WIDTH = 7
_COUNT_WIDTH = 8
_USER = "demo"
_SESSION = "S-demo-1"
#: Seconds between two redraws of the table: on a terminal, and in plain output.
_TERMINAL_REFRESH = 0.2
_PLAIN_REFRESH = 1.0
#: Default timeout of the simulators' waits (a request, a reply).
_TIMEOUT = 10.0

_GREEN, _RED, _RESET = "\x1b[32m", "\x1b[31m", "\x1b[0m"


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``demo`` command."""
    parser = commands.add_parser(
        "demo",
        help="watch a stock-list adapter set at work against the simulator",
        description=(
            "Run the bundled stock-list adapters against the Proxy Adapter simulator, in "
            "this process, and show their updates as a live table. Needs no Server and "
            "no network: everything happens on 127.0.0.1."
        ),
    )
    parser.add_argument(
        "--seconds",
        type=_positive_float,
        default=5.0,
        metavar="S",
        help="how long to show the updates (default: 5; Ctrl-C ends earlier)",
    )
    parser.add_argument(
        "--items",
        type=int,
        choices=range(1, 11),
        default=5,
        metavar="N",
        help="how many stocks to subscribe, 1 to 10 (default: 5)",
    )
    add_verbose_option(parser)
    parser.set_defaults(run=run)


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text}")
    return value


def run(args: argparse.Namespace) -> int:
    """Run the demo; return the exit status."""
    configure_logging(args.verbose)
    items = [f"item{n}" for n in range(1, args.items + 1)]
    demo = _Demo(sys.stdout, items)
    try:
        with sigterm_interrupts():
            demo.run(args.seconds)
    except KeyboardInterrupt:
        demo.say("Interrupted.")
    except (AdapterError, SimulatorError, OSError, RuntimeError) as exc:
        # OSError includes TimeoutError and ConnectionError from the simulators.
        print(f"demo: failed: {exc}", file=sys.stderr)
        return 1
    demo.summary()
    return 0


class _Demo:
    """The demo session and its table."""

    def __init__(self, out: IO[str], items: Sequence[str]) -> None:
        self.out = out
        self.items = list(items)
        self.terminal = is_terminal(out)
        self.color = use_color(out)
        self.state: dict[str, dict[str, str | bytes | None]] = {item: {} for item in items}
        self.counts = dict.fromkeys(items, 0)
        self.snapshots = 0
        self.previous_prices: dict[str, str | bytes | None] = {}
        self.drawn_lines = 0
        self.started = time.monotonic()
        self.elapsed = 0.0

    def say(self, text: str) -> None:
        """Print one line of the narration."""
        print(text, file=self.out, flush=True)

    def run(self, seconds: float) -> None:
        """Set everything up, show the updates for ``seconds``, close everything."""
        adapter = StockListDataAdapter(interval=0.05)
        try:
            with (
                MetadataProxySimulator(timeout=_TIMEOUT) as metadata_proxy,
                DataProxySimulator(timeout=_TIMEOUT) as data_proxy,
            ):
                self._connect(metadata_proxy, data_proxy, adapter)
                items = self._client_session(metadata_proxy)
                for pending in [data_proxy.send_subscribe(item) for item in items]:
                    pending.result()
                self.say(
                    f"SUB  {len(items)} items subscribed: each gets a snapshot (all its "
                    "fields), then real-time updates (only the fields that changed)."
                )
                self.say("")
                self._show(data_proxy, seconds)
                for pending in [data_proxy.send_unsubscribe(item) for item in items]:
                    pending.result()
                metadata_proxy.notify_session_close(_SESSION)
                self.say(f"USB  items unsubscribed; NSC  session {_SESSION} closed.")
        finally:
            adapter.close()

    def _connect(
        self,
        metadata_proxy: MetadataProxySimulator,
        data_proxy: DataProxySimulator,
        adapter: StockListDataAdapter,
    ) -> None:
        m_host, m_port = metadata_proxy.address
        d_host, d_port = data_proxy.address
        self.say(
            f"Simulated Proxy Adapters listening on {m_host}: Metadata port {m_port}, "
            f"Data port {d_port}."
        )
        # The parameters a Proxy would forward from adapters.xml; LiteralBasedProvider
        # is configured by them alone.
        reply = metadata_proxy.attach(
            MetadataProviderServer(LiteralBasedProvider(), metadata_proxy.address),
            params={"allowed_users": _USER, "max_bandwidth": "40"},
        )
        self.say(
            "MPI  Metadata Adapter (LiteralBasedProvider) connected and initialised, "
            f"ARI {reply.params.get('ARI.version')}."
        )
        reply = data_proxy.attach(DataProviderServer(adapter, (d_host, d_port)))
        self.say(
            "DPI  Data Adapter (stock list) connected and initialised, "
            f"ARI {reply.params.get('ARI.version')}."
        )

    def _client_session(self, metadata_proxy: MetadataProxySimulator) -> list[str]:
        """Ask the Metadata Adapter what the Server asks for a new client session."""
        login = metadata_proxy.notify_user(_USER, "secret", {"user-agent": "demo"})
        self.say(f"NUS  user {_USER!r} allowed, bandwidth limit {login.max_bandwidth:g} kbit/s.")
        try:
            metadata_proxy.notify_user("mallory", "guess")
        except AdapterError as refused:
            self.say(f"NUS  user 'mallory' refused: {refused.message}")
        metadata_proxy.notify_new_session(
            _USER, _SESSION, {"REMOTE_IP": "127.0.0.1", "USER_AGENT": "demo"}
        )
        self.say(f"NNS  session {_SESSION} accepted.")
        group = " ".join(self.items)
        items = [i for i in metadata_proxy.get_items(_USER, group, _SESSION).items if i]
        self.say(f"GIS  item group {group!r} -> {len(items)} items.")
        schema = " ".join(name for name, _ in _COLUMNS)
        fields = metadata_proxy.get_schema(_USER, group, schema, _SESSION).fields
        self.say(f"GSC  field schema -> {len(fields)} fields: {', '.join(map(str, fields))}.")
        return items

    def _show(self, data_proxy: DataProxySimulator, seconds: float) -> None:
        refresh = _TERMINAL_REFRESH if self.terminal else _PLAIN_REFRESH
        self.started = time.monotonic()
        deadline = self.started + seconds
        next_draw = self.started
        try:
            while True:
                now = time.monotonic()
                self.elapsed = min(now, deadline) - self.started
                if now >= next_draw or now >= deadline:
                    # Whatever already arrived belongs in this picture.
                    for message in data_proxy.drain():
                        self._record(message)
                    self._draw(seconds, final=now >= deadline)
                    next_draw += refresh
                if now >= deadline:
                    break
                try:
                    message = data_proxy.next_notification(
                        timeout=max(0.0, min(next_draw, deadline) - now)
                    )
                except TimeoutError:
                    continue
                self._record(message)
        except KeyboardInterrupt:
            self.elapsed = time.monotonic() - self.started
            self._draw(seconds, final=True)
            raise

    def _record(self, message: object) -> None:
        if isinstance(message, Update) and message.item in self.state:
            self.state[message.item].update(message.values)
            self.counts[message.item] += 1
            self.snapshots += message.is_snapshot
        elif isinstance(message, ClearSnapshot) and message.item in self.state:
            self.state[message.item] = {}
        elif not isinstance(message, (EndOfSnapshot, Keepalive)):
            self.say(f"(the adapter sent {message!r})")

    def _draw(self, seconds: float, *, final: bool) -> None:
        lines = self._table(seconds)
        if self.terminal:
            # A wrapped line would break the redraw, which counts lines: cut them.
            width = shutil.get_terminal_size().columns - 1
            if any(len(line) > width for line in lines):
                self.color = False
                lines = [line[:width] for line in self._table(seconds)]
            if self.drawn_lines:
                # Back to the first line of the previous table, and clear to the end.
                self.out.write(f"\x1b[{self.drawn_lines}F\x1b[J")
            self.out.write("\n".join(lines) + "\n")
            self.out.flush()
            self.drawn_lines = len(lines)
        else:
            self.out.write("\n".join(lines) + "\n\n")
            self.out.flush()
            self.drawn_lines = len(lines)

    def _table(self, seconds: float) -> list[str]:
        total = sum(self.counts.values())
        title = (
            f"Stock list, MERGE mode: {total} updates after {self.elapsed:.1f} s of {seconds:g} s"
        )
        header = (
            "item".ljust(_ITEM_WIDTH)
            + "".join(
                name.rjust(width) if i else name.ljust(width)
                for i, (name, width) in enumerate(_COLUMNS)
            )
            + "updates".rjust(_COUNT_WIDTH)
        )
        lines = [title, header]
        for item in self.items:
            values = self.state[item]
            cells = []
            for i, (name, width) in enumerate(_COLUMNS):
                text = _text(values.get(name))
                cell = text.rjust(width) if i else text[: width - 1].ljust(width)
                if name == "last_price" and self.color:
                    cell = self._colored_price(item, values.get(name), cell)
                cells.append(cell)
            count = str(self.counts[item]).rjust(_COUNT_WIDTH)
            lines.append(item.ljust(_ITEM_WIDTH) + "".join(cells) + count)
        return lines

    def _colored_price(self, item: str, price: str | bytes | None, cell: str) -> str:
        previous = self.previous_prices.get(item)
        self.previous_prices[item] = price
        try:
            change = float(_text(price)) - float(_text(previous))
        except ValueError:
            return cell
        if change > 0:
            return f"{_GREEN}{cell}{_RESET}"
        if change < 0:
            return f"{_RED}{cell}{_RESET}"
        return cell

    def summary(self) -> None:
        """Print what was received."""
        total = sum(self.counts.values())
        per_item = ", ".join(f"{item} {count}" for item, count in self.counts.items())
        self.say(
            f"Received {_count(total, 'update')} in {self.elapsed:.1f} s "
            f"({_count(self.snapshots, 'snapshot')}, {total - self.snapshots} real-time): "
            f"{per_item}."
        )
        self.say(
            "Adapters and simulator closed. Next: `python -m lightstreamer_adapter "
            "simulate --help` to run your own adapters against the simulator."
        )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _text(value: str | bytes | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value
