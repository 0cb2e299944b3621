"""The worker threads that run adapter code, and per-key ordering on top of them.

:class:`WorkerPool` is a fixed set of non-daemon threads fed by one FIFO. It does not use
:class:`concurrent.futures.ThreadPoolExecutor` on purpose: that executor refuses new work
once the interpreter starts shutting down, which is what happens when a script's main
thread ends right after ``start()`` (1.3.1's bug B5). Our threads keep the process alive
and keep serving until the server is closed or its connection ends.

:class:`SerialQueue` runs the items submitted under the same key one at a time, in order,
on whichever worker is free, while different keys run in parallel: the Data side keys by
item name (ARI-PROTOCOL.md §6.3), the Metadata side may key by session.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

__all__ = ["SerialQueue", "WorkerPool"]

_LOG = logging.getLogger("lightstreamer-adapter.server")

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class WorkerPool:
    """A fixed number of non-daemon worker threads running submitted callables in order.

    Args:
        size: Number of threads (at least 1).
        name: Thread name stem; threads are called ``<name>-<1..size>``.
        on_error: Called (on the worker) with any exception a task lets escape; the
            worker goes on with the next task. If ``on_error`` itself raises, the error
            is logged.
    """

    def __init__(
        self,
        size: int,
        name: str,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        if size < 1:
            raise ValueError(f"a worker pool needs at least one thread, not {size}")
        self._size = size
        self._name = name
        self._on_error = on_error
        self._tasks: deque[tuple[Callable[..., Any], tuple[Any, ...]]] = deque()
        self._cond = threading.Condition(threading.Lock())
        self._stopping = False
        self._idle = 0
        self._threads: list[threading.Thread] = []

    @property
    def size(self) -> int:
        """The number of worker threads."""
        return self._size

    @property
    def threads(self) -> tuple[threading.Thread, ...]:
        """The worker threads started so far."""
        return tuple(self._threads)

    def start(self) -> None:
        """Start the worker threads."""
        for number in range(1, self._size + 1):
            thread = threading.Thread(
                target=self._run, name=f"{self._name}-{number}", daemon=False
            )
            self._threads.append(thread)
            thread.start()

    def submit(self, fn: Callable[..., Any], *args: Any) -> bool:
        """Queue ``fn(*args)``; return ``False`` (and drop it) after :meth:`shutdown`.

        Never blocks.
        """
        with self._cond:
            if self._stopping:
                return False
            self._tasks.append((fn, args))
            if self._idle:
                self._cond.notify()
        return True

    def shutdown(self) -> None:
        """Accept no more tasks, drop the queued ones and let the workers end.

        A task already running is not interrupted; the worker ends after it. Does not
        wait: see :meth:`join`.
        """
        with self._cond:
            self._stopping = True
            self._tasks.clear()
            self._cond.notify_all()

    def join(self, deadline: float) -> bool:
        """Wait until the :func:`time.monotonic` ``deadline`` for the workers to end.

        The calling thread is skipped if it is a worker. Returns whether all the other
        workers have ended.
        """
        current = threading.current_thread()
        done = True
        for thread in self._threads:
            if thread is current or not thread.is_alive():
                continue
            thread.join(max(0.0, deadline - time.monotonic()))
            done = done and not thread.is_alive()
        return done

    def _run(self) -> None:
        cond = self._cond
        tasks = self._tasks
        while True:
            with cond:
                while not tasks:
                    if self._stopping:
                        return
                    self._idle += 1
                    cond.wait()
                    self._idle -= 1
                if self._stopping:
                    return
                fn, args = tasks.popleft()
            try:
                fn(*args)
            except BaseException as exc:
                self._report(exc)
            # Drop the references before waiting, so that finished work can be collected.
            del fn, args

    def _report(self, exc: BaseException) -> None:
        if self._on_error is None:
            _LOG.error("Unexpected error in a worker thread", exc_info=exc)
            return
        try:
            self._on_error(exc)
        except Exception:
            _LOG.exception("Unexpected error while reporting a worker error")


class SerialQueue(Generic[K, T]):
    """Runs the items of the same key one at a time, in submission order, on a pool.

    For each key at most one worker is busy at a time; different keys proceed in
    parallel. After each item the key goes back to the end of the pool's queue, so one
    busy key cannot starve the others.

    Args:
        pool: The pool that runs the work.
        handler: ``handler(key, item, more)``: process one item. ``more`` tells whether
            other items for the same key were already waiting when this one was taken
            (the Data side uses it for the "too late" rule of ARI-PROTOCOL.md §6.3).
        on_error: ``on_error(key, item, exc)``: called when ``handler`` raises; the
            queue of that key goes on with the next item regardless (it is never wedged,
            unlike 1.3.1's bug B14). If ``on_error`` raises, the error is logged.
    """

    def __init__(
        self,
        pool: WorkerPool,
        handler: Callable[[K, T, bool], None],
        on_error: Callable[[K, T, BaseException], None],
    ) -> None:
        self._pool = pool
        self._handler = handler
        self._on_error = on_error
        self._lock = threading.Lock()
        # A key is present exactly while one of its items is running or on its way to a
        # worker. The value holds the items waiting behind that one: None while there are
        # none, so that the usual request, alone for its key, costs no deque.
        self._waiting: dict[K, deque[T] | None] = {}

    def submit(self, key: K, item: T) -> bool:
        """Queue ``item`` under ``key``; return ``False`` if the pool is shut down."""
        if not self.claim(key, item):
            return True  # the thread busy with the key passes it on to the pool
        if self._pool.submit(self._start, key, item):
            return True
        with self._lock:
            self._waiting.pop(key, None)
        return False

    def claim(self, key: K, item: T) -> bool:
        """Queue ``item`` under ``key`` without running it.

        Returns ``True`` when ``key`` was idle: the caller must then call
        :meth:`run_claimed` with ``key`` and ``item`` itself (this is how the reader
        runs a request inline); ``False`` when the item waits behind others of its key,
        which the thread busy with that key will pass on to the pool.
        """
        with self._lock:
            waiting = self._waiting
            if key not in waiting:
                waiting[key] = None
                return True
            queue = waiting[key]
            if queue is None:
                waiting[key] = deque((item,))
            else:
                queue.append(item)
            return False

    def pending(self, key: K) -> int:
        """How many items of ``key`` are queued or being processed."""
        with self._lock:
            if key not in self._waiting:
                return 0
            queue = self._waiting[key]
            return 1 if queue is None else 1 + len(queue)

    def run_claimed(self, key: K, item: T, more: bool = False) -> None:
        """Process ``item``, just :meth:`claim`-ed by the caller, then pass the key on.

        ``more`` tells the handler whether other items of ``key`` were waiting; nothing
        can have been queued behind a claimed item yet as long as the caller is the one
        thread that submits (the reader), hence the default.
        """
        try:
            self._handler(key, item, more)
        except BaseException as exc:
            try:
                self._on_error(key, item, exc)
            except Exception:
                _LOG.exception("Unexpected error while reporting an error for %r", key)
        finally:
            with self._lock:
                queue = self._waiting[key]
                if queue is None:
                    del self._waiting[key]
                else:
                    # The next item goes to the end of the pool's queue (no starvation).
                    following = queue.popleft()
                    if not queue:
                        self._waiting[key] = None
            if queue is not None and not self._pool.submit(self._start, key, following):
                with self._lock:
                    self._waiting.pop(key, None)

    def _start(self, key: K, item: T) -> None:
        # A pool worker takes the item: "more" is decided now, as items may have been
        # queued behind it since it was passed on.
        with self._lock:
            more = self._waiting[key] is not None
        self.run_claimed(key, item, more)
