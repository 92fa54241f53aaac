"""How widgets run work later (debounce timers) and off the kernel's main thread.

Widgets never call ``threading`` directly: they take a :class:`Scheduler`. The default,
:class:`ThreadScheduler`, runs timers with :class:`threading.Timer` and API calls on a
small thread pool, so the kernel stays responsive while the server answers.
:class:`ImmediateScheduler` runs everything at once on the caller's thread (tests,
scripts), and :class:`geopera_nb.widgets.testing.ManualScheduler` lets a test decide when
timers fire and in which order jobs finish.

Examples
--------
>>> from geopera_nb.widgets._scheduler import ImmediateScheduler
>>> seen = []
>>> s = ImmediateScheduler()
>>> _ = s.call_later(0.15, lambda: seen.append("timer"))
>>> s.submit(lambda: seen.append("job"))
>>> seen
['timer', 'job']
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol

__all__ = ["Cancellable", "ImmediateScheduler", "Scheduler", "ThreadScheduler"]


class Cancellable(Protocol):
    """A pending timer that can be cancelled."""

    def cancel(self) -> None:
        """Stop the timer; a no-op once it has fired."""


class Scheduler(Protocol):
    """What widgets need to defer and offload work."""

    def call_later(self, delay: float, fn: Callable[[], None]) -> Cancellable:
        """Run ``fn`` after ``delay`` seconds; return a handle to cancel it."""
        ...

    def submit(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` off the caller's thread (or inline, for synchronous schedulers)."""
        ...

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until no timer or job is pending; ``False`` on timeout."""
        ...


class _Done:
    def cancel(self) -> None:
        return None


class ImmediateScheduler:
    """Run timers and jobs at once, on the calling thread (no debounce, no threads).

    Examples
    --------
    >>> s = ImmediateScheduler()
    >>> s.wait_idle()
    True
    """

    def call_later(self, delay: float, fn: Callable[[], None]) -> Cancellable:
        """Run ``fn`` now, ignoring ``delay``."""
        fn()
        return _Done()

    def submit(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` now."""
        fn()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Nothing is ever pending: return ``True``."""
        return True


class ThreadScheduler:
    """Timers on :class:`threading.Timer`, jobs on a small daemon thread pool.

    Parameters
    ----------
    max_workers
        Threads for jobs. Widgets drop stale answers themselves, so a few suffice.

    Examples
    --------
    >>> s = ThreadScheduler()
    >>> box = []
    >>> _ = s.call_later(0.01, lambda: s.submit(lambda: box.append(1)))
    >>> s.wait_idle(5)
    True
    >>> box
    [1]
    """

    def __init__(self, max_workers: int = 4) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="gn-widget")
        self._lock = threading.Lock()
        self._pending = 0
        self._idle = threading.Condition(self._lock)

    def _enter(self) -> None:
        with self._lock:
            self._pending += 1

    def _leave(self) -> None:
        with self._lock:
            self._pending -= 1
            if self._pending == 0:
                self._idle.notify_all()

    def call_later(self, delay: float, fn: Callable[[], None]) -> Cancellable:
        """Start a daemon timer running ``fn`` after ``delay`` seconds."""
        self._enter()
        done = threading.Event()

        def fire() -> None:
            if done.is_set():
                return
            done.set()
            try:
                fn()
            finally:
                self._leave()

        timer = threading.Timer(delay, fire)
        timer.daemon = True

        class _Handle:
            def cancel(_self) -> None:
                timer.cancel()
                if not done.is_set():
                    done.set()
                    self._leave()

        timer.start()
        return _Handle()

    def submit(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the pool."""
        self._enter()
        future: Future[None] = self._pool.submit(fn)
        future.add_done_callback(lambda _f: self._leave())

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every timer has fired or been cancelled and every job has ended."""
        with self._lock:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)
