"""Notice when the sandbox clock moves (a notebook cell ran ``sb.advance(...)``).

On a sandbox, decisions appear and expire when the clock is advanced, not as wall time
passes. :class:`ClockWatch` reads the clock (``sandbox.now()``: one small admin GET,
not counted against the org's rate limits) every ``interval`` seconds on a daemon
timer of its own (so ``wait_idle`` never waits for it), calls ``on_change`` when it
moved, and stops by itself after ``duration`` seconds or ``give_up_after`` failed
reads in a row: it is
bounded however long the notebook stays open.

Examples
--------
>>> from geopera_nb.widgets._clock import ClockWatch
>>> class Clock:
...     t = "2026-12-01T00:00:00.000Z"
...     def now(self): return self.t
>>> clock, seen = Clock(), []
>>> watch = ClockWatch(clock, seen.append)
>>> watch.check()
False
>>> clock.t = "2026-12-01T01:00:00.000Z"
>>> watch.check(), seen
(True, ['2026-12-01T01:00:00.000Z'])
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["ClockWatch"]


class ClockWatch:
    """Poll ``sandbox.now()``; call ``on_change(now)`` when it differs from the last read.

    Parameters
    ----------
    sandbox
        Anything with ``now() -> str`` (``client.sandbox``).
    on_change
        Called (on the timer thread) with the new clock value.
    interval
        Seconds between reads while running.
    duration
        Seconds after :meth:`start` when the watch stops by itself.
    give_up_after
        Consecutive failed reads after which it stops (the server is gone).
    """

    def __init__(self, sandbox: Any, on_change: Callable[[str], None], interval: float = 5.0,
                 duration: float = 3600.0, give_up_after: int = 3) -> None:
        self.sandbox = sandbox
        self.on_change = on_change
        self.interval = interval
        self.duration = duration
        self.give_up_after = give_up_after
        self.reads = 0
        self._last: str | None = self._read()
        self._failures = 0
        self._timer: threading.Timer | None = None
        self._until = 0.0
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        """Whether a timer is armed."""
        return self._timer is not None

    def _read(self) -> str | None:
        self.reads += 1
        try:
            return str(self.sandbox.now())
        except Exception:
            return None

    def check(self) -> bool:
        """Read the clock once; ``True`` (and ``on_change``) when it moved."""
        now = self._read()
        if now is None:
            self._failures += 1
            return False
        self._failures = 0
        moved, self._last = self._last is not None and now != self._last, now
        if moved:
            self.on_change(now)
        return moved

    def start(self) -> None:
        """Read every ``interval`` seconds for the next ``duration`` seconds."""
        with self._lock:
            self._until = time.monotonic() + self.duration
            self._failures = 0
        self._arm()

    def stop(self) -> None:
        """Stop reading (idempotent)."""
        with self._lock:
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()

    def _arm(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            timer = threading.Timer(self.interval, self._tick)
            timer.daemon = True
            self._timer = timer
        timer.start()

    def _tick(self) -> None:
        self.check()
        with self._lock:
            if self._timer is None:  # stopped meanwhile
                return
            done = time.monotonic() >= self._until or self._failures >= self.give_up_after
            if done:
                self._timer = None
        if not done:
            self._arm()
