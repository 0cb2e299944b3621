"""The CPython floor of one update: what a loop costs before any SDK work.

``run.py`` measures the SDKs; this script measures the work no SDK can avoid, in this
interpreter on this machine, to tell what a throughput target asks for. Each level adds
one step to the loop of ``adapter_worker.produce`` (10 items, 8 short string fields):

1. the producer's own loop: pick the item, build the dict of 8 fields;
2. plus joining the ``UD3`` line with one f-string around ``"|S|".join(...)``, without
   any escaping check, subscription check, lock or method call;
3. plus queueing the line, and joining and encoding 256 lines at a time (no socket).

Run it alone on a quiet machine: ``python benchmarks/floor.py`` prints the median of 5
runs per level, in microseconds per update. Compare level 3 with the time per update a
target allows: 15x 1.3.1's updates/s with 1 producer (48,348/s in the README run) means
1.38 us per update for everything.
"""

from __future__ import annotations

import argparse
import statistics
import time
from itertools import chain

ITEMS = [f"item{i}" for i in range(10)]
UPDATES = 200_000
REPEATS = 5
LEVELS = {
    1: "loop + dict of 8 fields",
    2: "+ the UD3 line (one join, no checks)",
    3: "+ queue, join and encode 256 lines",
}


def run(level: int, count: int = UPDATES) -> float:
    """Microseconds per update of the loop up to ``level``."""
    queued: list[str] = []
    append = queued.append
    producer = "0"
    line = ""
    start = time.perf_counter()
    for n in range(count):
        values = {
            "seq": str(n),
            "p": producer,
            "last": "12.34",
            "bid": "12.33",
            "ask": "12.35",
            "pct": "0.56",
            "time": "101112",
            "name": "Anduct",
        }
        item = ITEMS[n % 10]
        if level >= 2:
            body = "|S|".join(chain.from_iterable(values.items()))
            line = f"1700000000000|UD3|S|{item}|S|1|B|0|S|{body}\r\n"
        if level >= 3:
            append(line)
            if len(queued) == 256:
                "".join(queued).encode("utf-8")
                queued.clear()
    return (time.perf_counter() - start) / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=UPDATES, help="updates per run")
    updates = parser.parse_args().updates
    print(f"{'level':<44}  us/update")
    for level, label in LEVELS.items():
        median = statistics.median(run(level, updates) for _ in range(REPEATS))
        print(f"{level}. {label:<41}  {median:9.2f}")


if __name__ == "__main__":
    main()
