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
import struct
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "FIELD_NAMES",
    "InFlight",
    "ProxySink",
    "ScenarioError",
    "UpdateStats",
    "percentile",
]

#: The 8 fields of every benchmark update; ``seq`` and ``p`` carry the producer's
#: sequence number and index, used to check per-item order.
FIELD_NAMES = ("seq", "p", "last", "bid", "ask", "pct", "time", "name")

# Below glibc's mmap threshold (128 KiB): recv() allocates a bytes object of this size and
# shrinks it to what arrived; at 256 KiB or more every call maps and unmaps fresh pages,
# measured here at +13 us of CPU per recv (16 vs 2.8 us for a 600-byte read), more than
# the sink's whole Python work for a round of 32 replies.
_RECV_SIZE = 1 << 16

#: What a receive or a send raises once the socket's deadline (``SO_RCVTIMEO`` /
#: ``SO_SNDTIMEO``, see :meth:`ProxySink.accept`) has passed.
_TIMEOUTS = (TimeoutError, BlockingIOError)

# One UD3 line, as both encodings write it for the benchmark's tokens: the item, the
# sequence number and the producer index (ARI-PROTOCOL.md §5.9).
_UPDATE_RE = re.compile(
    rb"\|UD3\|S\|([^|]*)\|S\|[^|]*\|B\|[01]\|S\|seq\|S\|(\d+)\|S\|p\|S\|(\d+)\|"
)


def _read_lines(
    recv: Callable[[int], bytes], tail: bytes, replies: int
) -> tuple[list[bytes], bytes, float]:
    """One ``recv`` of an in-flight loop: its complete lines, the partial rest, the time.

    Raises:
        ScenarioError: The adapter closed the connection (``replies`` so far).
    """
    data = recv(_RECV_SIZE)
    now = time.perf_counter()
    if not data:
        raise ScenarioError(f"the adapter closed the connection after {replies} replies")
    lines = (tail + data).split(b"\n")
    return lines, lines.pop(), now


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


@dataclass
class InFlight:
    """The outcome of a closed loop with many requests in flight."""

    #: Seconds from the first request sent to the last reply received.
    elapsed: float
    #: Every request's latency (seconds), from the ``sendall`` that carried it to the
    #: ``recv`` that returned its reply.
    latencies: list[float]
    #: CPU time of the sink's thread (:func:`time.thread_time`, user + system) over the
    #: same span: the sink's own cost, to compare with the adapter's.
    sink_cpu: float
    #: ``recv`` and ``sendall`` calls over the loop (replies per ``recv`` show how much
    #: the adapter batches its writes).
    recvs: int
    sends: int


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
        # A blocking socket with kernel deadlines rather than settimeout(): a socket with
        # a Python timeout polls before every recv and send, which doubles the sink's
        # system calls per round trip. With SO_RCVTIMEO/SO_SNDTIMEO a stalled recv or send
        # fails with EAGAIN (BlockingIOError, see _TIMEOUTS) after the same delay.
        sock.setblocking(True)
        seconds = int(self.timeout)
        timeval = struct.pack("ll", seconds, int((self.timeout - seconds) * 1e6))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)
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
        self._send(b"".join(line.encode() + b"\r\n" for line in lines))

    def _send(self, data: bytes) -> None:
        assert self._sock is not None
        try:
            self._sock.sendall(data)
        except _TIMEOUTS:
            raise ScenarioError(f"the adapter stopped reading for {self.timeout} s") from None

    def _fill(self) -> None:
        assert self._sock is not None
        try:
            data = self._sock.recv(_RECV_SIZE)
        except _TIMEOUTS:
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
        pending = self._take_buffered()  # lines already split by read_line() come first
        tail = b""
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
                except _TIMEOUTS:
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

    # The two loops below keep many requests in flight, like a busy Proxy: they are closed
    # loops, so whatever the sink spends per round trip delays the next requests and would
    # be counted against the adapter. They are written for speed (a Java Proxy is much
    # faster than Python): every request line and expected reply is prepared before the
    # clock starts, the lines stay bytes, one dict lookup both matches a reply to its
    # request and checks its method, the next requests go out in one sendall before the
    # latencies are recorded, and the per-line work is a handful of bytecodes.

    def _fixed_ids(self, count: int) -> list[bytes]:
        """``count`` fresh request ids, all of the same length (``r`` + 8 hex digits)."""
        first = self._next_id + 1
        self._next_id += count
        return [b"r%08x" % n for n in range(first, first + count)]

    def _take_buffered(self) -> bytes:
        """The bytes received but not consumed yet (``read_line()``'s buffer), as a stream."""
        pending = b"".join(line + b"\r\n" for line in self._lines) + self._tail
        self._lines = []
        self._tail = b""
        return pending

    @staticmethod
    def _stray(line: bytes, expected: dict[bytes, int], prefix_length: int = 0) -> int | None:
        """A line that is not the expected reply to a request in flight (the slow path).

        ``expected`` maps the expected reply lines, or with ``prefix_length`` their first
        ``prefix_length`` bytes, to requests in flight. A line that answers no request in
        flight (``KEEPALIVE``, a notification) is skipped: ``None``. A reply to a
        request in flight that is not the expected one (an error, the wrong method)
        raises :class:`ScenarioError`. An expected reply ended by LF alone (the
        fast path expects CR LF) is popped and returned.
        """
        text = line.rstrip(b"\r")
        if not prefix_length and text + b"\r" in expected:
            return expected.pop(text + b"\r")
        request_id = text.split(b"|", 1)[0] + b"|"
        for reply in expected:
            if reply.startswith(request_id):
                wanted = reply.rstrip(b"\r") + (b"..." if prefix_length else b"")
                raise ScenarioError(f"unexpected reply {text!r}, expected {wanted!r}")
        return None

    def sub_usb_in_flight(self, total: int, in_flight: int) -> InFlight:
        """Keep ``in_flight`` SUB/USB requests outstanding (one item each, alternating
        SUB and USB per item) until ``total`` replies arrived.

        Every reply must be exactly ``<id>|SUB|V`` or ``<id>|USB|V`` for a request in
        flight. Returns the elapsed seconds, every request's latency and the sink's CPU.
        """
        # Request kind c = 2 * item + (0 for SUB, 1 for USB); the next request for the
        # item of kind c is c ^ 1. Its line is <id> + requests[c], its reply <id> +
        # replies[c] (with the CR: lines are split on LF).
        requests: list[bytes] = []
        replies: list[bytes] = []
        for item in range(in_flight):
            for method in (b"SUB", b"USB"):
                requests.append(b"|%s|S|inf%d\r\n" % (method, item))
                replies.append(b"|%s|V\r" % method)
        next_id = iter(self._fixed_ids(total)).__next__
        expected: dict[bytes, int] = {}  # expected reply line -> request kind
        sent_at = [0.0] * len(requests)  # per request kind, when its request went out
        latencies: list[float] = []
        tail = self._take_buffered()
        remaining = total
        recvs = sends = 0
        assert self._sock is not None
        recv, sendall, clock = self._sock.recv, self._sock.sendall, time.perf_counter
        pop, record = expected.pop, latencies.append

        first = range(0, len(requests), 2)[:total]  # a SUB for every item
        chunks = []
        for c in first:
            request_id = next_id()
            chunks += (request_id, requests[c])
            expected[request_id + replies[c]] = c
        remaining -= len(first)
        cpu = time.thread_time()
        start = now = clock()
        try:
            sendall(b"".join(chunks))
            sends += 1
            for c in first:
                sent_at[c] = now
            while expected:
                lines, tail, now = _read_lines(recv, tail, len(latencies))
                recvs += 1
                answered = []
                for line in lines:
                    c = pop(line, None)
                    if c is None:
                        c = self._stray(line, expected)
                        if c is None:
                            continue
                    answered.append(c)
                if remaining and answered:
                    chunks = []
                    new = answered[:remaining]
                    for c in new:
                        c ^= 1
                        request_id = next_id()
                        chunks += (request_id, requests[c])
                        expected[request_id + replies[c]] = c
                    remaining -= len(new)
                    sent = clock()
                    sendall(b"".join(chunks))
                    sends += 1
                    for c in new:
                        sent_at[c ^ 1] = sent
                for c in answered:
                    record(now - sent_at[c])
        except _TIMEOUTS:
            raise ScenarioError(
                f"no progress for {self.timeout} s: {len(latencies)} of {total} replies"
            ) from None
        elapsed = now - start
        cpu = time.thread_time() - cpu
        self._tail = tail
        return InFlight(elapsed, latencies, cpu, recvs, sends)

    # ------------------------------------------------------------------ metadata scenario

    def metadata_requests(self) -> list[tuple[str, str]]:
        """The four request kinds of the metadata scenario: ``(method, arguments)``, the
        request line being ``<id>|<method>|<arguments>``."""
        group = self.encode("item1 item2 item3")
        schema = self.encode("last bid ask time")
        return [
            ("NUS", "S|user1|S|secret|S|host|S|localhost"),
            ("GIS", f"S|user1|S|{group}|S|S1234"),
            ("GSC", f"S|user1|S|{group}|S|{schema}|S|S1234"),
            ("GIT", "S|item1|S|item2"),
        ]

    def metadata_in_flight(self, total: int, in_flight: int) -> InFlight:
        """NUS, GIS, GSC, GIT in turn, ``in_flight`` outstanding, until ``total`` replies.

        Every reply must start with ``<id>|<method>|`` of a request in flight, followed by
        anything but an error (``E...``). Returns the elapsed seconds, every request's
        latency and the sink's CPU.
        """
        kinds = [
            (f"|{method}|".encode(), f"|{method}|{arguments}\r\n".encode())
            for method, arguments in self.metadata_requests()
        ]
        # Request n is lines_out[n]; its reply starts with prefixes[n] = <id>|<method>|, and
        # all ids have the same length, so a reply's prefix is line[:width].
        lines_out: list[bytes] = []
        prefixes: list[bytes] = []
        for n, request_id in enumerate(self._fixed_ids(total)):
            prefix, line = kinds[n % len(kinds)]
            prefixes.append(request_id + prefix)
            lines_out.append(request_id + line)
        width = len(prefixes[0]) if prefixes else 0
        expected: dict[bytes, int] = {}  # reply prefix -> index in sent_at
        sent_at: list[float] = []  # per sendall, when it went out
        latencies: list[float] = []
        tail = self._take_buffered()
        sent = recvs = sends = 0
        assert self._sock is not None
        recv, sendall, clock = self._sock.recv, self._sock.sendall, time.perf_counter
        pop, record = expected.pop, latencies.append

        cpu = time.thread_time()
        start = now = clock()
        try:
            count = min(in_flight, total)
            sent_at.append(now)
            sendall(b"".join(lines_out[:count]))
            sends += 1
            expected.update(dict.fromkeys(prefixes[:count], 0))
            sent = count
            while expected:
                lines, tail, now = _read_lines(recv, tail, len(latencies))
                recvs += 1
                answered = []
                for line in lines:
                    batch = pop(line[:width], None)
                    if batch is None:
                        self._stray(line, expected, width)
                    elif line.startswith(b"E", width):  # ARI's error replies: E, EC, EU...
                        raise ScenarioError(f"unexpected reply {line.rstrip()!r}")
                    else:
                        answered.append(batch)
                count = min(len(answered), total - sent)
                if count:
                    sent_at.append(clock())
                    sendall(b"".join(lines_out[sent : sent + count]))
                    sends += 1
                    expected.update(dict.fromkeys(prefixes[sent : sent + count], len(sent_at) - 1))
                    sent += count
                for batch in answered:
                    record(now - sent_at[batch])
        except _TIMEOUTS:
            raise ScenarioError(
                f"no progress for {self.timeout} s: {len(latencies)} of {total} replies"
            ) from None
        elapsed = now - start
        cpu = time.thread_time() - cpu
        self._tail = tail
        return InFlight(elapsed, latencies, cpu, recvs, sends)
