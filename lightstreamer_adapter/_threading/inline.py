"""Running requests on the reader thread, with a watchdog for the slow ones.

Handing every request from the reader to a worker thread and every reply back to the
writer costs two thread wake-ups per request, about half of the CPU a request costs in
CPython (benchmarks/NOTES.md, P5). Most adapter methods return in microseconds, so the
reader runs each request itself ("inline") as long as the request's key is idle (per
item on the Data side, per session on the Metadata side: the order of ARI-PROTOCOL.md
§6.3 is kept by :class:`~lightstreamer_adapter._threading.pool.SerialQueue`).

Adapter methods may block, though (a database query in ``subscribe``, an HTTP call in
``notify_user``). :class:`InlineRunner` therefore has a watchdog thread: when one
inline call has lasted :data:`STALL_AFTER` seconds, the watchdog makes another thread
the reader (``on_stall``), so that the requests behind it, ``CLOSE`` and the end of the
stream are still handled; the stalled thread finishes its call, sends its reply and
ends. The kind of request that stalled is then run on the worker pool for
:data:`COOLDOWN` seconds, so that an adapter whose ``notify_user`` is always slow costs
one takeover per cooldown, not one per request.

The watchdog sleeps without a timeout while no request runs inline, and ticks every
:data:`STALL_AFTER` seconds only during bursts of requests.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, Final

__all__ = ["COOLDOWN", "STALL_AFTER", "InlineJob", "InlineRunner"]

#: A request to run inline: ``(kind, fn, args)``, run as ``fn(*args)`` between
#: :meth:`InlineRunner.begin` and :meth:`InlineRunner.end`; ``kind`` is the request's method.
InlineJob = tuple[Hashable, Callable[..., object], tuple[Any, ...]]

#: Seconds an inline call may last before another thread takes over reading. Twice
#: CPython's default switch interval (5 ms), so that a quick call whose thread merely
#: waited for the GIL behind busy update producers is not taken for a stuck one.
STALL_AFTER: Final = 0.010
#: Seconds the requests of a kind that stalled the reader are run on the pool instead.
COOLDOWN: Final = 30.0
#: Watchdog ticks without any inline call after which it sleeps until the next one.
_IDLE_TICKS: Final = 20

_LOG = logging.getLogger("lightstreamer-adapter.server")


class InlineRunner:
    """Watches the calls the reader makes itself, and rescues it when one is slow.

    The reader calls :meth:`begin` before a call and :meth:`end`, holding ``lock``,
    after it: the connection lock the reader holds anyway to parse the next message, so
    watching costs no lock of its own. The watchdog takes the same lock to decide a
    takeover, so that the decision cannot race with the end of the call; it sleeps on a
    lock of its own, so that :meth:`stop` may be called holding ``lock``.

    Args:
        name: The watchdog thread's name.
        lock: The lock the reader holds when it calls :meth:`end`.
        on_stall: Called on the watchdog thread, holding ``lock``, when an inline call
            has lasted ``stall_after`` seconds, with the ``kind`` of that call. It must
            not block (it designates and starts another reader).
        stall_after: See :data:`STALL_AFTER`.
        cooldown: See :data:`COOLDOWN`.
    """

    def __init__(
        self,
        name: str,
        lock: threading.Lock,
        on_stall: Callable[[Hashable], None],
        *,
        stall_after: float = STALL_AFTER,
        cooldown: float = COOLDOWN,
    ) -> None:
        self._lock = lock
        self._on_stall = on_stall
        self._stall_after = stall_after
        self._cooldown = cooldown
        self._wake = threading.Condition(threading.Lock())
        # The running call: its start (None when none runs), serial number and kind.
        # Written by the one reader thread; the GIL makes each write atomic, and the
        # watchdog reads them holding the lock under which end() clears _since.
        self._since: float | None = None
        self._serial = 0
        self._kind: Hashable = None
        self._armed = False
        self._stopping = False
        #: Kinds that stalled the reader -> until when they run on the pool.
        self._slow: dict[Hashable, float] = {}
        self._thread = threading.Thread(target=self._watch, name=name, daemon=False)

    @property
    def thread(self) -> threading.Thread:
        """The watchdog thread."""
        return self._thread

    def start(self) -> None:
        """Start the watchdog thread."""
        self._thread.start()

    def stop(self) -> None:
        """Let the watchdog end; does not wait (join :attr:`thread` for that)."""
        with self._wake:
            self._stopping = True
            self._wake.notify()

    def accepts(self, kind: Hashable) -> bool:
        """Whether a call of ``kind`` may run inline (it has not stalled recently)."""
        slow = self._slow
        if not slow:
            return True
        until = slow.get(kind)
        if until is None:
            return True
        if time.monotonic() < until:
            return False
        del slow[kind]
        return True

    def begin(self, kind: Hashable) -> None:
        """An inline call of ``kind`` starts (call without holding the lock)."""
        self._kind = kind
        self._serial += 1
        self._since = time.monotonic()
        if not self._armed:
            with self._wake:
                self._armed = True
                self._wake.notify()

    def end(self) -> None:
        """The inline call has ended (call holding the lock)."""
        self._since = None

    def _is_running(self) -> bool:
        return self._since is not None

    def _is_stopping(self) -> bool:
        return self._stopping

    def _watch(self) -> None:
        wake = self._wake
        tick = self._stall_after
        last_serial = -1
        rescued = -1
        idle = 0
        while True:
            with wake:
                if self._stopping:
                    return
                if not self._armed:
                    wake.wait()
                    continue
                wake.wait(tick)
                # Attributes other threads change are read through methods: mypy would
                # keep its narrowing from before the wait.
                if self._is_stopping():
                    return
                if not self._is_running():
                    serial = self._serial
                    idle = idle + 1 if serial == last_serial else 0
                    last_serial = serial
                    if idle >= _IDLE_TICKS:
                        self._armed = False
                        idle = 0
                        # begin() sets _since, then re-arms if it finds _armed false.
                        # A call that began before _armed was cleared is seen here.
                        if self._is_running():
                            self._armed = True
                    continue
            idle = 0
            with self._lock:
                since = self._since
                serial = last_serial = self._serial
                if since is None or serial == rescued or time.monotonic() - since < tick:
                    continue
                rescued = serial
                kind = self._kind
                self._slow[kind] = time.monotonic() + self._cooldown
                try:
                    self._on_stall(kind)
                except Exception:
                    _LOG.exception("Unexpected error while replacing a busy reader")
