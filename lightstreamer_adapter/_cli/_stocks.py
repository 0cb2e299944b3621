"""The stock-list Data Adapter run by the ``demo`` command.

The same adapter as ``examples/stock_list.py`` (which is not installed with the
package): ten simulated stocks, ``item1`` ... ``item10``, a snapshot at subscription and
MERGE-mode updates carrying only the fields that changed.
"""

from __future__ import annotations

import random
import threading
import time

from ..interfaces.data import DataProvider, ItemEventListener, SubscribeError

__all__ = ["FIELDS", "StockListDataAdapter"]

#: Every field of a stock item, in the order a client typically displays them.
FIELDS = (
    "stock_name",
    "last_price",
    "time",
    "pct_change",
    "bid_quantity",
    "bid",
    "ask",
    "ask_quantity",
    "min",
    "max",
    "ref_price",
    "open_price",
)

# Invented companies and their reference prices.
_COMPANIES = (
    ("Alder Widgets", 12.40),
    ("Bluefin Shipping", 31.75),
    ("Cobalt Mining", 4.62),
    ("Delta Orchards", 18.05),
    ("Ember Energy", 57.30),
    ("Fjord Telecom", 9.88),
    ("Granite Bank", 23.10),
    ("Helix Pharma", 76.45),
    ("Indigo Media", 2.96),
    ("Juniper Motors", 41.20),
)


class Stock:
    """The simulated state of one stock."""

    def __init__(self, name: str, ref_price: float, rng: random.Random) -> None:
        self.name = name
        self.ref_price = ref_price
        self.open_price = round(ref_price * rng.uniform(0.98, 1.02), 2)
        self.last_price = self.open_price
        self.min = self.max = self.open_price
        self.time = time.strftime("%H:%M:%S")
        self._rng = rng
        self._quote()

    def _quote(self) -> None:
        spread = max(0.01, round(self.last_price * 0.002, 2))
        self.bid = round(self.last_price - spread, 2)
        self.ask = round(self.last_price + spread, 2)
        self.bid_quantity = self._rng.randrange(1, 50) * 100
        self.ask_quantity = self._rng.randrange(1, 50) * 100

    def move(self) -> dict[str, str]:
        """Move the price at random; return the fields that changed (MERGE mode)."""
        step = self.last_price * self._rng.uniform(-0.01, 0.01)
        self.last_price = max(0.01, round(self.last_price + step, 2))
        self.time = time.strftime("%H:%M:%S")
        self._quote()
        changed = {
            "last_price": f"{self.last_price:.2f}",
            "time": self.time,
            "pct_change": self.pct_change(),
            "bid_quantity": str(self.bid_quantity),
            "bid": f"{self.bid:.2f}",
            "ask": f"{self.ask:.2f}",
            "ask_quantity": str(self.ask_quantity),
        }
        if self.last_price < self.min:
            self.min = self.last_price
            changed["min"] = f"{self.min:.2f}"
        if self.last_price > self.max:
            self.max = self.last_price
            changed["max"] = f"{self.max:.2f}"
        return changed

    def pct_change(self) -> str:
        """Change since the reference price, in percent, with two decimals."""
        return f"{(self.last_price - self.ref_price) / self.ref_price * 100:.2f}"

    def snapshot(self) -> dict[str, str]:
        """Every field: the snapshot of the item."""
        return {
            "stock_name": self.name,
            "last_price": f"{self.last_price:.2f}",
            "time": self.time,
            "pct_change": self.pct_change(),
            "bid_quantity": str(self.bid_quantity),
            "bid": f"{self.bid:.2f}",
            "ask": f"{self.ask:.2f}",
            "ask_quantity": str(self.ask_quantity),
            "min": f"{self.min:.2f}",
            "max": f"{self.max:.2f}",
            "ref_price": f"{self.ref_price:.2f}",
            "open_price": f"{self.open_price:.2f}",
        }


class StockListDataAdapter(DataProvider):
    """Serves ``item1`` ... ``item10`` with simulated quotes and snapshots.

    Args:
        interval: Seconds between two price moves (each moves ``moves_per_tick``
            random stocks). The feed thread starts in :meth:`initialize`.
        moves_per_tick: How many stocks move at each tick.
        seed: Seed of the random generator, for repeatable runs.
    """

    def __init__(
        self, interval: float = 0.1, moves_per_tick: int = 3, seed: int | None = None
    ) -> None:
        self.interval = interval
        self.moves_per_tick = moves_per_tick
        self._rng = random.Random(seed)
        self._stocks = {
            f"item{n}": Stock(name, price, self._rng)
            for n, (name, price) in enumerate(_COMPANIES, start=1)
        }
        self._lock = threading.Lock()
        self._subscribed: set[str] = set()
        self._listener: ItemEventListener | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def items(self) -> list[str]:
        """The names of the items served."""
        return list(self._stocks)

    def initialize(self, parameters: dict[str, str], config_file: str | None = None) -> None:
        """Start the market: prices move from now on, subscribed or not."""
        self._thread = threading.Thread(target=self._run, name="stock-feed", daemon=True)
        self._thread.start()

    def set_listener(self, event_listener: ItemEventListener) -> None:
        """Keep the listener that sends our events to the Proxy."""
        self._listener = event_listener

    def issnapshot_available(self, item_name: str) -> bool:
        """We always know the current state of a stock: we send it as the snapshot."""
        return True

    def subscribe(self, item_name: str) -> None:
        """Send the snapshot of the stock, then let the feed send its changes."""
        stock = self._stocks.get(item_name)
        if stock is None:
            raise SubscribeError(f"No such stock: {item_name!r} (items are item1 ... item10)")
        assert self._listener is not None
        with self._lock:
            self._subscribed.add(item_name)
            self._listener.update(item_name, stock.snapshot(), True)
            # In MERGE mode the one snapshot event is the whole snapshot already; saying
            # so explicitly also serves clients that subscribe in DISTINCT mode.
            self._listener.end_of_snapshot(item_name)

    def unsubscribe(self, item_name: str) -> None:
        """Stop sending events for the stock (its price keeps moving)."""
        with self._lock:
            self._subscribed.discard(item_name)

    def close(self) -> None:
        """Stop the feed thread and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        names = list(self._stocks)
        # The wait paces the market and ends it as soon as close() sets the event.
        while not self._stop.wait(self.interval):
            for name in self._rng.sample(names, self.moves_per_tick):
                with self._lock:
                    changed = self._stocks[name].move()
                    if name in self._subscribed and self._listener is not None:
                        self._listener.update(name, changed, False)
