"""Portfolio: a table of positions in COMMAND mode, with ADD, UPDATE and DELETE rows.

The Data Adapter serves the items ``portfolio1`` and ``portfolio2``. Each is a table
with one row per stock held: the row key is the stock (``item1`` ... ``item10``, as in
``stock_list.py``) and the ``qty`` field the number of shares. A simulated trader buys
and sells at random; anybody can also call :meth:`PortfolioDataAdapter.buy` and
:meth:`~PortfolioDataAdapter.sell`.

What it shows:

* COMMAND mode: every event carries the ``key`` field (the row) and the ``command``
  field (``ADD``, ``UPDATE`` or ``DELETE``), using the constants of
  :mod:`lightstreamer_adapter.interfaces.data`. A new stock is an ``ADD``, a changed
  quantity an ``UPDATE``, a position sold out a ``DELETE``.
* The snapshot of a COMMAND item: one ``ADD`` per row with ``issnapshot=True``, then
  ``end_of_snapshot`` (without it, clients could wait for the first real-time event).
* A Metadata Adapter that only lets clients subscribe the portfolios in COMMAND mode
  (``mode_may_be_allowed``).

Run it against a Server configured with ``adapters.xml.example``, or against the
simulator, in two terminals::

    python -m lightstreamer_adapter simulate --subscribe portfolio1 --fields key command qty
    python examples/portfolio.py
"""

from __future__ import annotations

import random
import sys
import threading

from runner import argument_parser, serve

from lightstreamer_adapter.interfaces.data import (
    ADD_COMMAND,
    COMMAND_FIELD,
    DELETE_COMMAND,
    KEY_FIELD,
    UPDATE_COMMAND,
    DataProvider,
    ItemEventListener,
    SubscribeError,
)
from lightstreamer_adapter.interfaces.metadata import MetadataProvider, Mode
from lightstreamer_adapter.server import DataProviderServer, MetadataProviderServer

#: The portfolios served and their initial positions (stock -> shares).
INITIAL_POSITIONS = {
    "portfolio1": {"item2": 1200, "item5": 300, "item7": 5000},
    "portfolio2": {"item1": 100, "item9": 2500},
}
#: The stocks the trader deals in.
STOCKS = tuple(f"item{n}" for n in range(1, 11))


class PortfolioDataAdapter(DataProvider):
    """Serves the portfolios as COMMAND-mode items.

    Args:
        interval: Seconds between two random trades; ``None`` disables the simulated
            trader (positions then change only through :meth:`buy` and :meth:`sell`).
        seed: Seed of the trader's random generator, for repeatable runs.
    """

    def __init__(self, interval: float | None = 1.0, seed: int | None = None) -> None:
        self.interval = interval
        self._rng = random.Random(seed)
        self._positions = {name: dict(rows) for name, rows in INITIAL_POSITIONS.items()}
        # One lock orders snapshots and real-time events: a trade cannot slip between
        # the rows of a snapshot, nor be sent before it.
        self._lock = threading.Lock()
        self._subscribed: set[str] = set()
        self._listener: ItemEventListener | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def initialize(self, parameters: dict[str, str], config_file: str | None = None) -> None:
        """Start the simulated trader, if enabled."""
        if self.interval is not None:
            self._thread = threading.Thread(target=self._trade, name="trader", daemon=True)
            self._thread.start()

    def set_listener(self, event_listener: ItemEventListener) -> None:
        """Keep the listener that sends our events to the Proxy."""
        self._listener = event_listener

    def issnapshot_available(self, item_name: str) -> bool:
        """The current rows of a portfolio are its snapshot."""
        return True

    def subscribe(self, item_name: str) -> None:
        """Send every current row as an ``ADD`` snapshot event, then the end of snapshot."""
        if item_name not in self._positions:
            raise SubscribeError(
                f"No such portfolio: {item_name!r} (try one of {sorted(self._positions)})"
            )
        assert self._listener is not None
        with self._lock:
            self._subscribed.add(item_name)
            for stock, qty in self._positions[item_name].items():
                self._listener.update(item_name, _row(ADD_COMMAND, stock, qty), True)
            self._listener.end_of_snapshot(item_name)

    def unsubscribe(self, item_name: str) -> None:
        """Stop sending the portfolio's events (trades go on)."""
        with self._lock:
            self._subscribed.discard(item_name)

    def buy(self, portfolio: str, stock: str, qty: int) -> None:
        """Add shares to a position: an ``ADD`` for a new stock, an ``UPDATE`` otherwise."""
        if qty <= 0:
            raise ValueError(f"qty must be positive, not {qty}")
        with self._lock:
            rows = self._positions[portfolio]
            command = UPDATE_COMMAND if stock in rows else ADD_COMMAND
            rows[stock] = rows.get(stock, 0) + qty
            self._publish(portfolio, _row(command, stock, rows[stock]))

    def sell(self, portfolio: str, stock: str, qty: int) -> None:
        """Remove shares: an ``UPDATE``, or a ``DELETE`` when none are left.

        Raises:
            ValueError: The portfolio holds fewer shares of the stock.
        """
        with self._lock:
            rows = self._positions[portfolio]
            held = rows.get(stock, 0)
            if qty <= 0 or qty > held:
                raise ValueError(f"cannot sell {qty} {stock} from {portfolio}: {held} held")
            if qty == held:
                del rows[stock]
                self._publish(portfolio, {KEY_FIELD: stock, COMMAND_FIELD: DELETE_COMMAND})
            else:
                rows[stock] = held - qty
                self._publish(portfolio, _row(UPDATE_COMMAND, stock, rows[stock]))

    def positions(self, portfolio: str) -> dict[str, int]:
        """A copy of the positions of a portfolio."""
        with self._lock:
            return dict(self._positions[portfolio])

    def close(self) -> None:
        """Stop the trader and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _publish(self, portfolio: str, event: dict[str, str]) -> None:
        # Called with the lock held.
        if portfolio in self._subscribed and self._listener is not None:
            self._listener.update(portfolio, event, False)

    def _trade(self) -> None:
        assert self.interval is not None
        portfolios = sorted(self._positions)
        # The wait paces the trades and ends the trader as soon as close() is called.
        while not self._stop.wait(self.interval):
            portfolio = self._rng.choice(portfolios)
            held = self.positions(portfolio)
            if held and self._rng.random() < 0.5:
                stock = self._rng.choice(sorted(held))
                # Sell everything now and then, to show DELETE.
                qty = held[stock] if self._rng.random() < 0.3 else max(1, held[stock] // 2)
                self.sell(portfolio, stock, qty)
            else:
                self.buy(portfolio, self._rng.choice(STOCKS), self._rng.randrange(1, 20) * 100)


def _row(command: str, stock: str, qty: int) -> dict[str, str]:
    return {KEY_FIELD: stock, COMMAND_FIELD: command, "qty": str(qty)}


class PortfolioMetadataAdapter(MetadataProvider):
    """Everything allowed, except subscribing a portfolio in a mode other than COMMAND."""

    def mode_may_be_allowed(self, item: str, mode: Mode) -> bool:
        """Portfolios are tables: COMMAND mode only."""
        if item in INITIAL_POSITIONS:
            return mode is Mode.COMMAND
        return True


def main(argv: list[str] | None = None) -> int:
    """Connect both adapters to the Proxy Adapters and serve until Ctrl-C or SIGTERM."""
    args = argument_parser(__doc__.splitlines()[0]).parse_args(argv)
    data_adapter = PortfolioDataAdapter()
    metadata_server = MetadataProviderServer(
        PortfolioMetadataAdapter(), (args.host, args.metadata_port)
    )
    data_server = DataProviderServer(data_adapter, (args.host, args.data_port))
    return serve(
        [("Metadata Adapter", metadata_server), ("portfolio Data Adapter", data_server)],
        where=args.host,
        cleanup=data_adapter.close,
    )


if __name__ == "__main__":
    sys.exit(main())
