"""Benchmarks: this package against ``lightstreamer-adapter`` 1.3.1, in the same run.

Usage (from the repository root)::

    python benchmarks/run.py            # full run: 5 repetitions, both SDKs (~5 min)
    python benchmarks/run.py --quick    # 2 repetitions, smaller counts
    python benchmarks/run.py --smoke    # seconds, this package only, no network (CI)
    python benchmarks/run.py --sdk ours --scenario updates   # one part, one SDK

This process plays the Proxy Adapter (``sink.py``, raw sockets on 127.0.0.1); the Remote
Adapter runs in a child process (``adapter_worker.py``), one per SDK and scenario, with
the same adapter code under both SDKs: this repository's package from the source tree
(``PYTHONPATH``, in the empty venv ``benchmarks/.venv-ours``), and 1.3.1 from
``benchmarks/.venv-131``, a virtual environment this script creates with
``python -m venv`` and ``pip install lightstreamer-adapter==1.3.1``. A third column,
``plain`` (``plain_server.py``), is no SDK: the cost of formatting each line with an
f-string and writing it with ``sendall``, for reference.

Scenarios:

``updates``   200,000 ``update()`` calls (10 items x 8 short string fields) from 1, 4
              and 16 producer threads; updates/s at the sink, adapter CPU per update,
              peak RSS; every update checked to arrive, in order per item and producer.
``requests``  SUB/USB round trips in a closed loop (p50/p99); SUB+USB pairs whose SUB
              also produces an EOS (Nagle check); requests/s with 32 in flight.
``metadata``  NUS, GIS, GSC, GIT with 64 in flight: replies/s, p50/p99, CPU per reply.
``stall``     updates paced at 20,000/s while the sink stops reading for 5 s: RSS before
              and during the stall (a bounded send buffer keeps it flat).

The repetitions interleave the SDKs (alternating which goes first), because the speed of
a shared machine drifts: only ratios measured in the same run mean anything. The table
shows medians over the repetitions and the median of the per-repetition ratios
ours/1.3.1; the JSON in ``benchmarks/results/`` holds every raw number.
"""

from __future__ import annotations

import argparse
import compileall
import datetime
import json
import os
import platform
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sink import InFlight, ProxySink, ScenarioError, UpdateStats, percentile

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
VENV_131 = HERE / ".venv-131"
VENV_OURS = HERE / ".venv-ours"
RESULTS = HERE / "results"
WORKER = HERE / "adapter_worker.py"
ITEMS = [f"item{n}" for n in range(10)]


@dataclass(frozen=True)
class Sdk:
    """How to run the worker under one SDK."""

    name: str
    python: str
    env: dict[str, str]


@dataclass(frozen=True)
class Sizes:
    """The counts of one kind of run."""

    updates: int = 200_000
    producers: tuple[int, ...] = (1, 4, 16)
    closed_pairs: int = 2_000
    eos_pairs: int = 500
    eos_max_seconds: float = 4.0
    in_flight_total: int = 20_000
    metadata_total: int = 20_000
    stall_rate: float = 20_000.0
    stall_total: int = 140_000
    stall_read_first: float = 1.0
    stall_pause: float = 5.0


FULL = Sizes()
QUICK = Sizes(
    updates=100_000,
    closed_pairs=1_000,
    eos_pairs=200,
    eos_max_seconds=2.0,
    in_flight_total=10_000,
    metadata_total=10_000,
)
SMOKE = Sizes(
    updates=4_000,
    producers=(1, 4),
    closed_pairs=100,
    eos_pairs=20,
    eos_max_seconds=1.0,
    in_flight_total=1_000,
    metadata_total=1_000,
    stall_rate=10_000.0,
    stall_total=3_000,
    stall_read_first=0.1,
    stall_pause=0.2,
)


class Unavailable(Exception):
    """The SDK under test does not provide what the scenario needs (yet)."""


# ---------------------------------------------------------------------- environments


def bare_venv() -> Path:
    """``benchmarks/.venv-ours``: an empty venv (no pip, no network, a second or two).

    Our package runs from the source tree through ``PYTHONPATH`` but in an empty venv,
    so that both SDKs start from the same interpreter state: a development environment's
    site-packages (``.pth`` hooks, editable finders) adds megabytes of RSS at startup.
    """
    python = VENV_OURS / "bin" / "python"
    if not python.exists():
        subprocess.run(
            [sys.executable, "-m", "venv", "--without-pip", "--clear", str(VENV_OURS)],
            check=True,
        )
    return python


def ours() -> Sdk:
    # 1.3.1 runs from the .pyc files pip wrote when installing it; ours runs from the source
    # tree, where PYTHONDONTWRITEBYTECODE (when set) would compile every module at each
    # start: +1 MB of resident memory that no installed package pays. Compile once, as an
    # install does (compileall writes even then; up-to-date files are skipped).
    compileall.compile_dir(REPO / "lightstreamer_adapter", quiet=1)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONPATH"] = str(REPO)
    return Sdk("ours", str(bare_venv()), env)


def plain() -> Sdk:
    # The "plain" reference imports only the interfaces, from the source tree.
    return Sdk("plain", ours().python, ours().env)


def v131() -> Sdk:
    python = VENV_131 / "bin" / "python"
    if not python.exists():
        print(f"creating {VENV_131} with lightstreamer-adapter==1.3.1 ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV_131)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "lightstreamer-adapter==1.3.1"],
            check=True,
        )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return Sdk("1.3.1", str(python), env)


# ---------------------------------------------------------------------- the worker process


class Worker:
    """One ``adapter_worker.py`` process and its JSON command channel."""

    #: With a directory, every worker runs under ``py-spy record`` (``--profile``).
    profile_dir: Path | None = None
    profile_name = "worker"

    def __init__(self, sdk: Sdk, role: str, port: int, timeout: float) -> None:
        self.sdk = sdk
        self.timeout = timeout
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in finish())
        if sdk.name == "plain" and role == "data":
            role = "plain"
        command = [sdk.python, str(WORKER), "--role", role, "--port", str(port)]
        if self.profile_dir is not None:
            # Collapsed stacks (one line per stack with its sample count: the input of
            # flamegraph tools, easy to sum up per function) of the thread holding the GIL.
            output = self.profile_dir / f"{self.profile_name}-{sdk.name}.txt"
            command = ["py-spy", "record", "--threads", "--gil", "--rate", "1000",
                       "--format", "raw", "--output", str(output), "--", *command]  # fmt: skip
        self._proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=sdk.env,
            cwd=str(HERE),
            text=True,
        )
        self._events: queue.Queue[dict[str, Any] | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.info: dict[str, Any] = {}

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            try:
                self._events.put(json.loads(line))
            except ValueError:
                continue
        self._events.put(None)

    def alive(self) -> bool:
        return self._proc.poll() is None

    def stderr_tail(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")[-2000:]

    def expect(self, event: str) -> dict[str, Any]:
        try:
            message = self._events.get(timeout=self.timeout)
        except queue.Empty:
            raise ScenarioError(f"{self.sdk.name} worker: no {event!r} in time") from None
        if message is None:
            tail = self.stderr_tail()
            if "ImportError" in tail or "cannot import name" in tail:
                raise Unavailable(tail.strip().splitlines()[-1])
            raise ScenarioError(f"{self.sdk.name} worker ended:\n{tail}")
        if message.get("event") != event:
            raise ScenarioError(f"{self.sdk.name} worker: expected {event!r}, got {message}")
        return message

    def command(self, cmd: str, **args: Any) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.write(json.dumps({"cmd": cmd, **args}) + "\n")
        self._proc.stdin.flush()

    def ready(self) -> None:
        self.info = self.expect("ready")

    def result(self) -> dict[str, Any]:
        self.command("done")
        result = self.expect("result")
        if result["errors"]:
            raise ScenarioError(f"{self.sdk.name} adapter reported: {result['errors'][:3]}")
        return result

    def finish(self) -> None:
        try:
            self.command("exit")
        except OSError:
            pass
        try:
            self._proc.wait(10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(10)
        self._stderr.close()


class Session:
    """A sink and a worker connected to it, initialised (DPI or MPI)."""

    def __init__(self, sdk: Sdk, role: str, timeout: float = 60.0) -> None:
        self.sink = ProxySink(timeout=timeout)
        self.worker = Worker(sdk, role, self.sink.port, timeout)
        try:
            try:
                self.sink.accept(alive=self.worker.alive)
            except ScenarioError:
                self.worker.expect("ready")  # surfaces an import error or a crash
                raise
            self.sink.init("DPI" if role == "data" else "MPI")
            self.worker.ready()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        self.worker.finish()
        self.sink.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------- scenarios


def run_updates(sdk: Sdk, sizes: Sizes, producers: int) -> dict[str, float]:
    per_producer = sizes.updates // producers
    total = per_producer * producers
    with Session(sdk, "data") as session:
        session.sink.subscribe_all(ITEMS)
        go = time.monotonic()
        sink_cpu = time.thread_time()  # the sink runs on this thread
        session.worker.command("go", producers=producers, updates=total)
        stats = session.sink.receive_updates(total, UpdateStats())
        sink_cpu = time.thread_time() - sink_cpu
        result = session.worker.result()
    check_updates(stats, producers, per_producer)
    return {
        "updates_per_s": total / (stats.last_update - go),
        "cpu_us_per_update": result["cpu"] / total * 1e6,
        "system_us_per_update": result["system"] / total * 1e6,
        "switches_per_1k_updates": result["switches"] / total * 1000,
        "sink_cpu_us_per_update": sink_cpu / total * 1e6,
        "peak_rss_mb": result["maxrss_kb"] / 1024,
        "produce_s": result["produce_wall"],
        "negotiated": float(session.sink.version.replace(".", "", 1)),
    }


def check_updates(stats: UpdateStats, producers: int, per_producer: int) -> None:
    if stats.order_errors:
        raise ScenarioError(f"{stats.order_errors} updates out of order")
    for p in range(producers):
        for index, item in enumerate(ITEMS):
            expected = per_producer // len(ITEMS) + (index < per_producer % len(ITEMS))
            got = stats.counts.get((item.encode(), str(p).encode()), 0)
            if got != expected:
                raise ScenarioError(f"{item} from producer {p}: {got} updates, not {expected}")


def run_requests(sdk: Sdk, sizes: Sizes) -> dict[str, float]:
    with Session(sdk, "data") as session:
        sink = session.sink
        rtts, _ = sink.sub_usb_closed_loop(sizes.closed_pairs)
        pairs = sink.eos_pairs(sizes.eos_pairs, sizes.eos_max_seconds)
        session.worker.command("go")
        loop = sink.sub_usb_in_flight(sizes.in_flight_total, 32)
        result = session.worker.result()
    latencies = loop.latencies
    return {
        "closed_p50_us": percentile(rtts, 0.5) * 1e6,
        "closed_p99_us": percentile(rtts, 0.99) * 1e6,
        "eos_pair_p50_ms": percentile(pairs, 0.5) * 1e3,
        "eos_pair_p99_ms": percentile(pairs, 0.99) * 1e3,
        "eos_pairs": len(pairs),
        "inflight32_req_per_s": len(latencies) / loop.elapsed,
        "inflight32_p99_ms": percentile(latencies, 0.99) * 1e3,
        "inflight32_cpu_us_per_req": result["cpu"] / len(latencies) * 1e6,
        "inflight32_switches_per_req": result["switches"] / len(latencies),
        **sink_load("inflight32_", loop),
    }


def sink_load(prefix: str, loop: InFlight, per: str = "req") -> dict[str, float]:
    """The sink's own cost in a loop with requests in flight.

    These loops are closed: the sink's time per round trip delays the next requests.
    ``sink_busy_pct`` is the share of the loop's wall time the sink's thread spent on
    the CPU; the rest it waited in ``recv`` for the adapter.
    """
    replies = len(loop.latencies)
    return {
        f"{prefix}sink_cpu_us_per_{per}": loop.sink_cpu / replies * 1e6,
        f"{prefix}sink_busy_pct": loop.sink_cpu / loop.elapsed * 100,
        f"{prefix}replies_per_recv": replies / max(loop.recvs, 1),
    }


def run_metadata(sdk: Sdk, sizes: Sizes) -> dict[str, float]:
    with Session(sdk, "metadata") as session:
        session.worker.command("go")
        loop = session.sink.metadata_in_flight(sizes.metadata_total, 64)
        result = session.worker.result()
    latencies = loop.latencies
    return {
        "replies_per_s": len(latencies) / loop.elapsed,
        "p50_ms": percentile(latencies, 0.5) * 1e3,
        "p99_ms": percentile(latencies, 0.99) * 1e3,
        "cpu_us_per_reply": result["cpu"] / len(latencies) * 1e6,
        "system_us_per_reply": result["system"] / len(latencies) * 1e6,
        "switches_per_reply": result["switches"] / len(latencies),
        **sink_load("", loop, "reply"),
    }


def run_stall(sdk: Sdk, sizes: Sizes) -> dict[str, float]:
    total = sizes.stall_total
    with Session(sdk, "data") as session:
        session.sink.subscribe_all(ITEMS)
        go = time.monotonic()
        session.worker.command(
            "go", producers=1, updates=total, rate=sizes.stall_rate, sample_rss=True
        )
        pause_at = go + sizes.stall_read_first
        stats = session.sink.receive_updates(
            total, UpdateStats(), pause_at=pause_at, pause_for=sizes.stall_pause
        )
        result = session.worker.result()
    check_updates(stats, 1, total)
    samples = result["rss_samples"]
    before = [rss for t, rss in samples if t < pause_at] or [samples[0][1]]
    after = [rss for t, rss in samples if t >= pause_at] or [before[-1]]
    mb = 1024 * 1024
    return {
        "rss_before_mb": max(before) / mb,
        "rss_peak_mb": max(after) / mb,
        "rss_growth_mb": (max(after) - max(before)) / mb,
        "peak_rss_mb": result["maxrss_kb"] / 1024,
        "drain_s": stats.last_update - go,
    }


# ---------------------------------------------------------------------- reporting


@dataclass(frozen=True)
class Row:
    """One line of the table: a metric of a scenario and, maybe, its target."""

    scenario: str
    metric: str
    label: str
    unit: str
    better: str  # "higher" or "lower"
    target: str = ""
    #: (ours median, median ratio ours/1.3.1) -> whether the target holds
    check: Callable[[float, float], bool] | None = None
    #: Whether the ratio ours/1.3.1 means something (not for the sink's own costs).
    ratio: bool = True


def rows(sizes: Sizes) -> list[Row]:
    table: list[Row] = []
    for p in sizes.producers:
        s = f"updates_p{p}"
        table += [
            Row(s, "updates_per_s", f"updates/s, {p} producer(s)", "1/s", "higher",
                "ratio >= 15", lambda o, r: r >= 15),
            Row(s, "cpu_us_per_update", f"CPU per update, {p} producer(s)", "us", "lower",
                "ours <= 5 us", lambda o, r: o <= 5),
            Row(s, "peak_rss_mb", f"peak RSS, {p} producer(s)", "MB", "lower",
                "ratio <= 1", lambda o, r: r <= 1.0),
            Row(s, "sink_cpu_us_per_update", f"sink CPU per update, {p} producer(s)", "us",
                "lower", ratio=False),
        ]  # fmt: skip
    table += [
        Row("requests", "closed_p50_us", "SUB/USB closed loop p50", "us", "lower"),
        Row("requests", "closed_p99_us", "SUB/USB closed loop p99", "us", "lower"),
        Row("requests", "eos_pair_p50_ms", "SUB(+EOS)+USB pair p50", "ms", "lower",
            "ours < 1 ms", lambda o, r: o < 1.0),
        Row("requests", "eos_pair_p99_ms", "SUB(+EOS)+USB pair p99", "ms", "lower"),
        Row("requests", "inflight32_req_per_s", "SUB/USB req/s, 32 in flight", "1/s", "higher",
            "ratio >= 5", lambda o, r: r >= 5),
        Row("requests", "inflight32_p99_ms", "SUB/USB p99, 32 in flight", "ms", "lower"),
        Row("requests", "inflight32_cpu_us_per_req", "CPU per SUB/USB, 32 in flight", "us",
            "lower"),
        # The sink's own cost (informational): it must stay well below the adapter's, or
        # the closed loop measures the sink.
        Row("requests", "inflight32_sink_cpu_us_per_req", "sink CPU per SUB/USB", "us",
            "lower", ratio=False),
        Row("requests", "inflight32_sink_busy_pct", "sink busy, SUB/USB 32 in flight", "%",
            "lower", ratio=False),
        Row("metadata", "replies_per_s", "metadata replies/s, 64 in flight", "1/s", "higher",
            "ratio >= 4", lambda o, r: r >= 4),
        Row("metadata", "p50_ms", "metadata p50, 64 in flight", "ms", "lower"),
        Row("metadata", "p99_ms", "metadata p99, 64 in flight", "ms", "lower"),
        Row("metadata", "cpu_us_per_reply", "CPU per metadata reply", "us", "lower"),
        Row("metadata", "sink_cpu_us_per_reply", "sink CPU per metadata reply", "us", "lower",
            ratio=False),
        Row("metadata", "sink_busy_pct", "sink busy, metadata 64 in flight", "%", "lower",
            ratio=False),
        Row("stall", "rss_before_mb", "RSS before the 5 s stall", "MB", "lower"),
        Row("stall", "rss_growth_mb", "RSS growth during the stall", "MB", "lower",
            "ratio <= 1", lambda o, r: r <= 1.0),
        Row("stall", "peak_rss_mb", "peak RSS, stall run", "MB", "lower",
            "ratio <= 1", lambda o, r: r <= 1.0),
    ]  # fmt: skip
    return table


def summarise(runs: list[dict[str, Any]], sizes: Sizes, sdks: list[str]) -> list[dict[str, Any]]:
    summary = []
    for row in rows(sizes):
        scenario, metric = row.scenario, row.metric
        per_sdk: dict[str, list[float]] = {name: [] for name in sdks}
        ratios: list[float] = []
        by_rep: dict[int, dict[str, float]] = {}
        for run in runs:
            if run["scenario"] == scenario and metric in run.get("metrics", {}):
                value = run["metrics"][metric]
                per_sdk[run["sdk"]].append(value)
                by_rep.setdefault(run["rep"], {})[run["sdk"]] = value
        for values in by_rep.values() if row.ratio else ():
            if "ours" in values and "1.3.1" in values and values["1.3.1"]:
                ratios.append(values["ours"] / values["1.3.1"])
        entry: dict[str, Any] = {
            "scenario": scenario,
            "metric": metric,
            "label": row.label,
            "unit": row.unit,
            "better": row.better,
        }
        for name, values in per_sdk.items():
            entry[name] = statistics.median(values) if values else None
        entry["ratio"] = statistics.median(ratios) if ratios else None
        if row.check is not None:
            entry["target"] = row.target
            ours_value, ratio = entry.get("ours"), entry["ratio"]
            needs_ratio = "ratio" in row.target
            if ours_value is None or (needs_ratio and ratio is None):
                entry["pass"] = None
            else:
                entry["pass"] = row.check(ours_value, ratio if ratio is not None else 0.0)
        summary.append(entry)
    return summary


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "1/s":
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}" if abs(value) >= 1 else f"{value:.3f}"


def print_table(summary: list[dict[str, Any]], sdks: list[str]) -> None:
    headers = ["metric", "unit", *sdks, "ours/1.3.1", "target", "ok"]
    body = []
    for entry in summary:
        if all(entry.get(name) is None for name in sdks):
            continue
        ok = {True: "yes", False: "NO", None: ""}[entry.get("pass")]
        ratio = entry["ratio"]
        body.append(
            [
                entry["label"],
                entry["unit"],
                *(fmt(entry.get(name), entry["unit"]) for name in sdks),
                "-" if ratio is None else f"{ratio:.2f}x",
                entry.get("target", ""),
                ok,
            ]
        )
    widths = [max(len(str(row[i])) for row in [headers, *body]) for i in range(len(headers))]
    for n, row in enumerate([headers, *body]):
        cells = [
            str(cell).ljust(width) if i < 2 else str(cell).rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())
        if n == 0:
            print("  ".join("-" * width for width in widths))


# ---------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--smoke", action="store_true", help="seconds, ours only (CI)")
    mode.add_argument("--quick", action="store_true", help="2 repetitions, smaller counts")
    parser.add_argument("--reps", type=int, help="repetitions (default 5, quick 2, smoke 1)")
    parser.add_argument("--sdk", choices=["both", "ours", "1.3.1"], default="both")
    parser.add_argument(
        "--scenario",
        action="append",
        choices=["updates", "requests", "metadata", "stall"],
        help="run only these scenarios (repeatable)",
    )
    parser.add_argument("--producers", type=int, action="append", help="producer counts")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every count")
    parser.add_argument(
        "--no-plain", action="store_true", help="skip the plain format-and-send reference"
    )
    parser.add_argument("--output", type=Path, help="JSON file (default benchmarks/results/)")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="run every worker under py-spy (pip install py-spy), collapsed stacks into DIR",
    )
    args = parser.parse_args()

    sizes = SMOKE if args.smoke else QUICK if args.quick else FULL
    if args.producers:
        sizes = replace(sizes, producers=tuple(args.producers))
    if args.scale != 1.0:
        counts = ("updates", "closed_pairs", "eos_pairs", "in_flight_total", "metadata_total")
        scaled = {name: int(getattr(sizes, name) * args.scale) for name in counts}
        sizes = replace(sizes, **scaled)
    reps = args.reps or (1 if args.smoke else 2 if args.quick else 5)
    scenarios = args.scenario or ["updates", "requests", "metadata", "stall"]
    sdk_names = (
        ["ours"]
        if args.smoke or args.sdk == "ours"
        else (["1.3.1"] if args.sdk == "1.3.1" else ["1.3.1", "ours"])
    )
    makers = {"ours": ours, "1.3.1": v131, "plain": plain}
    with_plain = (
        not (args.smoke or args.no_plain) and "ours" in sdk_names and "updates" in scenarios
    )
    sdks = {name: makers[name]() for name in [*sdk_names, *(["plain"] * with_plain)]}
    table_names = [*sdk_names, *(["plain"] * with_plain)]

    jobs: list[tuple[str, Callable[[Sdk], dict[str, float]]]] = []
    if "updates" in scenarios:
        for p in sizes.producers:
            jobs.append((f"updates_p{p}", lambda sdk, p=p: run_updates(sdk, sizes, p)))
    if "requests" in scenarios:
        jobs.append(("requests", lambda sdk: run_requests(sdk, sizes)))
    if "metadata" in scenarios:
        jobs.append(("metadata", lambda sdk: run_metadata(sdk, sizes)))
    if "stall" in scenarios:
        jobs.append(("stall", lambda sdk: run_stall(sdk, sizes)))

    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
        Worker.profile_dir = args.profile

    runs: list[dict[str, Any]] = []
    failures = 0
    for rep in range(reps):
        for scenario, job in jobs:
            # The plain reference only has a Data side, for the update scenarios.
            names = table_names if scenario.startswith("updates") else sdk_names
            for name in names if rep % 2 == 0 else names[::-1]:
                started = time.monotonic()
                record: dict[str, Any] = {"rep": rep, "sdk": name, "scenario": scenario}
                Worker.profile_name = f"{scenario}-rep{rep}"
                try:
                    record["metrics"] = job(sdks[name])
                    status = "ok"
                except Unavailable as exc:
                    record["unavailable"] = str(exc)
                    status = f"unavailable ({exc})"
                except (ScenarioError, OSError) as exc:
                    record["error"] = str(exc)
                    status = f"FAILED: {exc}"
                    failures += 1
                record["seconds"] = time.monotonic() - started
                runs.append(record)
                print(
                    f"rep {rep + 1}/{reps}  {scenario:<12} {name:<6} "
                    f"{record['seconds']:6.1f} s  {status}",
                    flush=True,
                )

    summary = summarise(runs, sizes, table_names)
    print()
    print_table(summary, table_names)

    output = args.output or RESULTS / (
        "smoke.json" if args.smoke else datetime.datetime.now().strftime("%Y%m%d-%H%M%S.json")
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "argv": sys.argv,
        "time": datetime.datetime.now().isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "reps": reps,
        "sizes": sizes.__dict__,
    }
    output.write_text(json.dumps({"meta": meta, "summary": summary, "runs": runs}, indent=1))
    print(f"\nresults: {output}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
