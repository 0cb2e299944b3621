"""A minimal, fast Proxy Adapter for the benchmarks: raw sockets on loopback.

It plays just enough of the Lightstreamer Server's Proxy Adapter (ARI-PROTOCOL.md §1.10)
to drive one Remote Adapter connection: it reads ``RAC``, sends ``DPI``/``MPI`` offering
ARI 1.9.1, learns the version the adapter answered (``lightstreamer-adapter`` 1.3.1
answers 1.8.3 and writes every string with the URL-style BC encoding, this package
answers 1.9.1 and uses Smart encoding, §3.3), and then runs one scenario.

It parses only what it must. The benchmark chooses item names, field names and values
that both encodings write identically (letters, digits, ``.``), so the sink can compare
raw tokens; the only request argument that needs encoding is a space in GIS/GSC, written
``+`` in BC and raw in Smart. ``KEEPALIVE`` lines are skipped.

Every wait has a deadline: a scenario that stalls raises :class:`ScenarioError` instead of
hanging the run.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "FIELD_NAMES",
    "ProxySink",
    "ScenarioError",
    "UpdateStats",
    "percentile",
]

#: The 8 fields of every benchmark update; ``seq`` and ``p`` carry the producer's
#: sequence number and index, used to check per-item order.
FIELD_NAMES = ("seq", "p", "last", "bid", "ask", "pct", "time", "name")

_RECV_SIZE = 1 << 20

# One UD3 line, as both encodings write it for the benchmark's tokens: the item, the
# sequence number and the producer index (ARI-PROTOCOL.md §5.9).
_UPDATE_RE = re.compile(
    rb"\|UD3\|S\|([^|]*)\|S\|[^|]*\|B\|[01]\|S\|seq\|S\|(\d+)\|S\|p\|S\|(\d+)\|"
)


class ScenarioError(Exception):
    """The adapter misbehaved, or did not answer in time."""


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` quantile of ``values`` (nearest rank), ``nan`` if empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class UpdateStats:
    """What the sink saw of the update stream."""

    updates: int = 0
    other_lines: int = 0
    first_update: float = 0.0
    last_update: float = 0.0
    last_seq: dict[tuple[bytes, bytes], int] = field(default_factory=dict)
    counts: dict[tuple[bytes, bytes], int] = field(default_factory=dict)
    order_errors: int = 0


class ProxySink:
    """One listening socket and, once accepted, one connection from a Remote Adapter."""

    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(1)
        self._sock: socket.socket | None = None
        self._tail = b""
        self._lines: list[bytes] = []
        self.version = ""
        self.bc = False
        self._next_id = 0

    @property
    def port(self) -> int:
        """The loopback port to give to the adapter."""
        port: int = self._listener.getsockname()[1]
        return port

    def close(self) -> None:
        """Close the connection and the listening socket."""
        for sock in (self._sock, self._listener):
            if sock is not None:
                try:
                    sock.close()
                except OSError:
                    pass

    # ------------------------------------------------------------------ connection

    def accept(self, alive: Callable[[], bool] | None = None) -> bytes:
        """Accept the adapter's connection and return its first line (``RAC``)."""
        deadline = time.monotonic() + self.timeout
        self._listener.settimeout(0.2)
        while True:
            try:
                sock, _ = self._listener.accept()
                break
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise ScenarioError("the adapter did not connect") from None
                if alive is not None and not alive():
                    raise ScenarioError("the adapter process ended before connecting") from None
        # The Proxy side writes small requests; without NODELAY the sink itself could add
        # delayed-ACK stalls that belong to neither SDK.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(self.timeout)
        self._sock = sock
        first = self.read_line()
        if b"|RAC|" not in first:
            raise ScenarioError(f"expected RAC first, got {first!r}")
        return first

    def init(self, method: str, version: str = "1.9.1") -> str:
        """Send the init request (``DPI``/``MPI``) and return the negotiated version."""
        request_id = self.new_id()
        self.send_lines(
            [f"{request_id}|{method}|S|ARI.version|S|{version}|S|adapters_conf.id|S|BENCH"]
        )
        reply = self.read_line().decode()
        tokens = reply.split("|")
        if tokens[:2] != [request_id, method] or "ARI.version" not in tokens:
            raise ScenarioError(f"init refused or malformed: {reply!r}")
        self.version = tokens[tokens.index("ARI.version") + 2]
        # §3.4: 1.8.x writes every string in BC encoding.
        self.bc = self.version.startswith("1.8")
        return self.version

    def new_id(self) -> str:
        """A fresh request id (opaque to the adapter, echoed in its reply)."""
        self._next_id += 1
        return f"r{self._next_id:x}"

    def encode(self, text: str) -> str:
        """Encode a benchmark string argument: only spaces differ between BC and Smart."""
        return text.replace(" ", "+") if self.bc else text

    def send_lines(self, lines: Iterable[str]) -> None:
        """Write the lines (CR LF added) with one ``sendall``."""
        assert self._sock is not None
        self._sock.sendall("".join(line + "\r\n" for line in lines).encode())

    def _fill(self) -> None:
        assert self._sock is not None
        try:
            data = self._sock.recv(_RECV_SIZE)
        except TimeoutError:
            raise ScenarioError(f"no data from the adapter for {self.timeout} s") from None
        if not data:
            raise ScenarioError("the adapter closed the connection")
        *lines, self._tail = (self._tail + data).split(b"\n")
        self._lines.extend(line.rstrip(b"\r") for line in lines if line not in (b"", b"\r"))

    def read_lines(self) -> list[bytes]:
        """Return every complete line received so far, waiting for at least one."""
        while True:
            if self._lines:
                lines = [line for line in self._lines if line != b"KEEPALIVE"]
                self._lines = []
                if lines:
                    return lines
            self._fill()

    def read_line(self) -> bytes:
        """Return the next non-keepalive line."""
        while True:
            while not self._lines:
                self._fill()
            line = self._lines.pop(0)
            if line != b"KEEPALIVE":
                return line

    # ------------------------------------------------------------------ data scenarios

    def subscribe_all(self, items: Sequence[str]) -> None:
        """Subscribe ``items`` (pipelined) and wait for every ``SUB|V`` reply."""
        ids = {self.new_id(): item for item in items}
        self.send_lines(f"{request_id}|SUB|S|{item}" for request_id, item in ids.items())
        while ids:
            for line in self.read_lines():
                tokens = line.decode().split("|")
                if tokens[1] == "SUB":
                    if tokens[2] != "V":
                        raise ScenarioError(f"subscription refused: {line!r}")
                    ids.pop(tokens[0], None)

    def receive_updates(
        self,
        expected: int,
        stats: UpdateStats,
        *,
        pause_at: float | None = None,
        pause_for: float = 0.0,
    ) -> UpdateStats:
        """Read until ``expected`` updates arrived, checking per-item, per-producer order.

        With ``pause_at`` (a :func:`time.monotonic` instant) the sink stops reading for
        ``pause_for`` seconds from then on: a Proxy that is not reading.
        """
        assert self._sock is not None
        sock = self._sock
        last_seq = stats.last_seq
        counts = stats.counts
        # Lines already split by read_line() go back in front of the stream.
        pending = b"".join(line + b"\r\n" for line in self._lines) + self._tail
        self._lines = []
        self._tail = tail = b""
        findall = _UPDATE_RE.findall
        while stats.updates < expected:
            if pause_at is not None and time.monotonic() >= pause_at:
                time.sleep(pause_for)  # the scenario itself: a Proxy that stopped reading
                pause_at = None
            if pending:
                data, pending = pending, b""
            else:
                try:
                    data = sock.recv(_RECV_SIZE)
                except TimeoutError:
                    raise ScenarioError(
                        f"stalled after {stats.updates} of {expected} updates"
                    ) from None
                if not data:
                    raise ScenarioError(f"connection closed after {stats.updates} updates")
            now = time.monotonic()
            data = tail + data
            cut = data.rfind(b"\n") + 1
            chunk, tail = data[:cut], data[cut:]
            if not chunk:
                continue
            matches = findall(chunk)
            if matches:
                if not stats.updates:
                    stats.first_update = now
                stats.last_update = now
                stats.updates += len(matches)
                stats.other_lines += chunk.count(b"\n") - len(matches)
                for item, seq_text, producer in matches:
                    key = (item, producer)
                    seq = int(seq_text)
                    if seq <= last_seq.get(key, -1):
                        stats.order_errors += 1
                    last_seq[key] = seq
                    counts[key] = counts.get(key, 0) + 1
            else:
                stats.other_lines += chunk.count(b"\n")
        self._tail = tail
        return stats

    def _request(self, line: str) -> None:
        self.send_lines([line])

    def _expect_reply(self, request_id: str, method: str) -> float:
        while True:
            line = self.read_line().decode()
            tokens = line.split("|")
            if tokens[0] == request_id:
                if tokens[1] != method or (len(tokens) > 2 and tokens[2].startswith("E")):
                    raise ScenarioError(f"unexpected reply {line!r}")
                return time.perf_counter()

    def sub_usb_closed_loop(self, pairs: int, item: str = "cl0") -> tuple[list[float], int]:
        """``pairs`` times (SUB, reply, USB, reply), one request in flight.

        Returns every request's round trip (seconds) and the number of requests.
        """
        rtts: list[float] = []
        for _ in range(pairs):
            for method in ("SUB", "USB"):
                request_id = self.new_id()
                start = time.perf_counter()
                self._request(f"{request_id}|{method}|S|{item}")
                rtts.append(self._expect_reply(request_id, method) - start)
        return rtts, len(rtts)

    def eos_pairs(self, pairs: int, max_seconds: float, item: str = "eos0") -> list[float]:
        """SUB (whose adapter answers "no snapshot", so an EOS goes out too) then USB.

        Each pair is timed from the SUB request to the USB reply; the USB is sent once
        both the SUB reply and the EOS arrived (ARI-PROTOCOL.md §5.7). Stops after
        ``pairs`` pairs or ``max_seconds`` (at least 20 pairs).
        """
        times: list[float] = []
        give_up = time.monotonic() + max_seconds
        while len(times) < pairs and (len(times) < 20 or time.monotonic() < give_up):
            start = time.perf_counter()
            request_id = self.new_id()
            self._request(f"{request_id}|SUB|S|{item}")
            got_reply = got_eos = False
            while not (got_reply and got_eos):
                tokens = self.read_line().decode().split("|")
                if tokens[0] == request_id:
                    if tokens[1:3] != ["SUB", "V"]:
                        raise ScenarioError(f"unexpected SUB reply {tokens!r}")
                    got_reply = True
                elif tokens[1] == "EOS":
                    got_eos = True
            request_id = self.new_id()
            self._request(f"{request_id}|USB|S|{item}")
            times.append(self._expect_reply(request_id, "USB") - start)
        return times

    def sub_usb_in_flight(self, total: int, in_flight: int) -> tuple[float, list[float]]:
        """Keep ``in_flight`` SUB/USB requests outstanding (one item each, alternating
        SUB and USB per item) until ``total`` replies arrived.

        Returns the elapsed seconds and every request's latency.
        """
        items = [f"inf{n}" for n in range(in_flight)]
        next_method = dict.fromkeys(items, "SUB")
        outstanding: dict[str, tuple[str, str, float]] = {}
        latencies: list[float] = []
        sent = 0

        def requests_for(ready: Iterable[str]) -> list[str]:
            nonlocal sent
            lines = []
            now = time.perf_counter()
            for item in ready:
                if sent >= total:
                    break
                method = next_method[item]
                next_method[item] = "USB" if method == "SUB" else "SUB"
                request_id = self.new_id()
                outstanding[request_id] = (item, method, now)
                lines.append(f"{request_id}|{method}|S|{item}")
                sent += 1
            return lines

        start = time.perf_counter()
        self.send_lines(requests_for(items))
        while outstanding:
            ready = []
            for line in self.read_lines():
                tokens = line.decode().split("|")
                entry = outstanding.pop(tokens[0], None)
                if entry is None:
                    continue
                item, method, sent_at = entry
                if tokens[1] != method or tokens[2] != "V":
                    raise ScenarioError(f"unexpected reply {line!r}")
                latencies.append(time.perf_counter() - sent_at)
                ready.append(item)
            lines = requests_for(ready)
            if lines:
                self.send_lines(lines)
        return time.perf_counter() - start, latencies

    # ------------------------------------------------------------------ metadata scenario

    def metadata_requests(self) -> list[tuple[str, Callable[[str], str]]]:
        """The four request kinds of the metadata scenario, as line builders."""
        group = self.encode("item1 item2 item3")
        schema = self.encode("last bid ask time")
        return [
            ("NUS", lambda rid: f"{rid}|NUS|S|user1|S|secret|S|host|S|localhost"),
            ("GIS", lambda rid: f"{rid}|GIS|S|user1|S|{group}|S|S1234"),
            ("GSC", lambda rid: f"{rid}|GSC|S|user1|S|{group}|S|{schema}|S|S1234"),
            ("GIT", lambda rid: f"{rid}|GIT|S|item1|S|item2"),
        ]

    def metadata_in_flight(self, total: int, in_flight: int) -> tuple[float, list[float]]:
        """NUS, GIS, GSC, GIT in turn, ``in_flight`` outstanding, until ``total`` replies.

        Returns the elapsed seconds and every request's latency.
        """
        kinds = self.metadata_requests()
        outstanding: dict[str, tuple[str, float]] = {}
        latencies: list[float] = []
        sent = 0

        def requests(count: int) -> list[str]:
            nonlocal sent
            lines = []
            now = time.perf_counter()
            for _ in range(min(count, total - sent)):
                method, build = kinds[sent % len(kinds)]
                request_id = self.new_id()
                outstanding[request_id] = (method, now)
                lines.append(build(request_id))
                sent += 1
            return lines

        start = time.perf_counter()
        self.send_lines(requests(in_flight))
        while outstanding:
            answered = 0
            for line in self.read_lines():
                tokens = line.decode().split("|")
                entry = outstanding.pop(tokens[0], None)
                if entry is None:
                    continue
                method, sent_at = entry
                if tokens[1] != method or (len(tokens) > 2 and tokens[2].startswith("E")):
                    raise ScenarioError(f"unexpected reply {line!r}")
                latencies.append(time.perf_counter() - sent_at)
                answered += 1
            lines = requests(answered)
            if lines:
                self.send_lines(lines)
        return time.perf_counter() - start, latencies
