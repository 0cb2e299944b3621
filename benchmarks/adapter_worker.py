"""The adapter side of a benchmark: one Remote Adapter process, driven by ``run.py``.

The same code runs under this repository's package and under ``lightstreamer-adapter``
1.3.1 (in its own virtual environment): it only uses the API the two share
(API-CONTRACT.md §1). ``run.py`` starts one process per SDK and scenario:

    python adapter_worker.py --role data --port PORT
    python adapter_worker.py --role metadata --port PORT
    python adapter_worker.py --role plain --port PORT     # the reference, plain_server.py

The process connects to the sink on ``127.0.0.1:PORT``, prints ``{"event": "ready"}`` on
stdout, then obeys JSON commands read from stdin, one per line:

``{"cmd": "go", "producers": P, "updates": N, "rate": R, "sample_rss": bool}``
    Takes the CPU clock and, for the data role with ``N > 0``, starts ``P`` producer
    threads that together call ``listener.update()`` ``N`` times over 10 items with 8 short
    string fields (``R`` > 0 paces them at ``R`` updates/s in total). With
    ``sample_rss`` a thread samples the resident set size every 20 ms.
``{"cmd": "done"}``
    Prints ``{"event": "result", ...}``: CPU seconds of the whole process since ``go``,
    peak RSS, the producers' wall time, the RSS samples and any error reported to the
    exception handler.
``{"cmd": "exit"}``
    Closes the server and exits.

The main thread stays in the command loop for the life of the process, which 1.3.1
requires (its pool refuses work once the main thread has ended).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import threading
import time
from typing import Any

from lightstreamer_adapter.interfaces.data import DataProvider
from lightstreamer_adapter.interfaces.metadata import MetadataProvider

#: The items of the update scenario.
ITEMS = [f"item{n}" for n in range(10)]


class BenchDataAdapter(DataProvider):
    """Accepts every subscription; items named ``eos*`` have no snapshot."""

    def __init__(self) -> None:
        self.listener: Any = None
        self.subscribed: set[str] = set()
        self._lock = threading.Lock()

    def initialize(self, parameters: dict[str, str], config_file: str | None = None) -> None:
        pass

    def set_listener(self, event_listener: Any) -> None:
        self.listener = event_listener

    def subscribe(self, item_name: str) -> None:
        with self._lock:
            self.subscribed.add(item_name)

    def unsubscribe(self, item_name: str) -> None:
        with self._lock:
            self.subscribed.discard(item_name)

    def issnapshot_available(self, item_name: str) -> bool:
        return not item_name.startswith("eos")


class BenchMetadataAdapter(MetadataProvider):
    """Answers NUS, GIS, GSC and GIT with fixed, cheap results."""

    def notify_user(self, user: str, password: str, http_headers: dict[str, str]) -> None:
        pass

    def get_allowed_max_bandwidth(self, user: str) -> float:
        return 0.0

    def wants_tables_notification(self, user: str) -> bool:
        return False

    def get_items(self, user: str, session_id: str, group: str) -> list[str]:
        return group.split(" ")

    def get_schema(self, user: str, session_id: str, group: str, schema: str) -> list[str]:
        return schema.split(" ")

    def mode_may_be_allowed(self, item: str, mode: Any) -> bool:
        return True

    def get_min_source_frequency(self, item: str) -> float:
        return 0.0

    def get_distinct_snapshot_length(self, item: str) -> int:
        return 0


class RecordingHandler:
    """Records errors; returning False suppresses 1.3.1's ``os._exit`` on I/O errors.

    Duck-typed rather than an ``ExceptionHandler`` subclass so that the ``plain`` role
    never imports an SDK server module.
    """

    def __init__(self) -> None:
        self.errors: list[str] = []

    def handle_ioexception(self, exception: Exception) -> bool:
        self.errors.append(f"io: {exception!r}")
        return False

    def handle_exception(self, exception: Exception) -> bool:
        self.errors.append(f"exception: {exception!r}")
        return False


def produce(
    listener: Any,
    producer: int,
    count: int,
    rate: float,
    start: threading.Event,
    ends: list[float],
) -> None:
    """Call ``listener.update()`` ``count`` times, cycling over :data:`ITEMS`."""
    update = listener.update
    items = ITEMS
    n_items = len(items)
    p = str(producer)
    start.wait()
    began = time.monotonic()
    for n in range(count):
        if rate and n % 50 == 0:
            ahead = began + n / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
        update(
            items[n % n_items],
            {
                "seq": str(n),
                "p": p,
                "last": "12.34",
                "bid": "12.33",
                "ask": "12.35",
                "pct": "0.56",
                "time": "101112",
                "name": "Anduct",
            },
            False,
        )
    ends.append(time.monotonic())


def rss_bytes() -> int:
    """The current resident set size (Linux /proc), or the peak where unavailable."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def peak_rss_kb() -> int:
    """This process's peak resident set size in KiB.

    ``VmHWM`` rather than ``ru_maxrss``: Linux carries ``ru_maxrss`` over ``execve``, so
    a child would report the peak of the (forked) runner process if that was larger.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def sdk_version() -> str:
    try:
        from importlib.metadata import version

        return version("lightstreamer-adapter")
    except Exception:
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", choices=["data", "metadata", "plain"], required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()

    handler = RecordingHandler()
    address = ("127.0.0.1", args.port)
    adapter: Any
    server: Any
    # Imported per role, so that one server class missing (while it is being written)
    # does not stop the scenarios of the other.
    if args.role == "data":
        from lightstreamer_adapter.server import DataProviderServer

        adapter = BenchDataAdapter()
        server = DataProviderServer(adapter, address)
    elif args.role == "plain":
        from plain_server import PlainDataServer

        adapter = BenchDataAdapter()
        server = PlainDataServer(adapter, address)
    else:
        from lightstreamer_adapter.server import MetadataProviderServer

        adapter = BenchMetadataAdapter()
        server = MetadataProviderServer(adapter, address)
    server.set_exception_handler(handler)
    server.start()

    import lightstreamer_adapter

    emit(
        {
            "event": "ready",
            "module": os.path.dirname(lightstreamer_adapter.__file__),
            "version": sdk_version(),
            "python": sys.version.split()[0],
            "rss_ready_kb": rss_bytes() // 1024,
            "modules": sorted(sys.modules),
        }
    )

    threads: list[threading.Thread] = []
    ends: list[float] = []
    samples: list[tuple[float, int]] = []
    sampling = threading.Event()
    cpu0 = 0.0
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    go_wall = 0.0
    for line in sys.stdin:
        command = json.loads(line)
        if command["cmd"] == "go":
            start = threading.Event()
            producers = command.get("producers", 0)
            total = command.get("updates", 0)
            rate = command.get("rate", 0) / max(1, producers)
            if command.get("sample_rss"):
                sampling.set()
                threading.Thread(target=sample, args=(samples, sampling), daemon=True).start()
            if total and producers:
                missing = set(ITEMS) - adapter.subscribed
                if missing:
                    emit({"event": "error", "error": f"not subscribed: {sorted(missing)}"})
                threads = [
                    threading.Thread(
                        target=produce,
                        args=(adapter.listener, p, total // producers, rate, start, ends),
                        name=f"producer-{p}",
                    )
                    for p in range(producers)
                ]
                for thread in threads:
                    thread.start()
            usage0 = resource.getrusage(resource.RUSAGE_SELF)
            cpu0 = time.process_time()
            go_wall = time.monotonic()
            start.set()
        elif command["cmd"] == "done":
            cpu1 = time.process_time()
            usage1 = resource.getrusage(resource.RUSAGE_SELF)
            for thread in threads:
                thread.join()
            produce_wall = max(ends, default=go_wall) - go_wall
            sampling.clear()
            emit(
                {
                    "event": "result",
                    "cpu": cpu1 - cpu0,
                    "user": usage1.ru_utime - usage0.ru_utime,
                    "system": usage1.ru_stime - usage0.ru_stime,
                    # Context switches of all threads: a measure of lock and GIL hand-offs.
                    "switches": (usage1.ru_nvcsw - usage0.ru_nvcsw)
                    + (usage1.ru_nivcsw - usage0.ru_nivcsw),
                    "produce_wall": produce_wall,
                    "maxrss_kb": peak_rss_kb(),
                    "rss_samples": samples,
                    "errors": handler.errors,
                }
            )
        elif command["cmd"] == "exit":
            break
    # 1.3.1's close() can wait forever on its reader thread: bound it, then leave.
    closer = threading.Thread(target=server.close, daemon=True)
    closer.start()
    closer.join(5.0)
    sys.stdout.flush()
    os._exit(0)


def sample(samples: list[tuple[float, int]], sampling: threading.Event) -> None:
    while sampling.is_set():
        samples.append((time.monotonic(), rss_bytes()))
        time.sleep(0.02)


def emit(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
