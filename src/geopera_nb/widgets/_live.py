"""Debounced, latest-answer-wins queries (the live price of the planner and the cart).

Debounce with a leading edge: the first change after a quiet period is sent at once
(a finished polygon is priced without waiting), changes that follow within
``debounce`` seconds are coalesced into one trailing request sent once they stop (a
slider drag sends two requests, not fifty). Every :meth:`LiveQuery.trigger` bumps a
sequence number; an answer (or error) is applied only if no newer trigger happened
since its request, otherwise it is counted in ``stale_dropped`` and dropped.

Examples
--------
>>> from geopera_nb.widgets._live import LiveQuery
>>> from geopera_nb.widgets.testing import ManualScheduler
>>> clock = ManualScheduler(defer_jobs=True)
>>> live, shown = LiveQuery(clock, debounce=0.15), []
>>> start = lambda seq: live.job(seq, lambda: seq, shown.append, print)
>>> _ = live.trigger(start)                      # quiet: request 1 sent at once
>>> _ = live.trigger(start); clock.advance(0.15)  # request 2 after the quiet period
>>> clock.run_jobs(order=[1, 0])                 # answer 2 arrives first, then 1
>>> shown, live.stale_dropped
([2], 1)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from ._scheduler import Cancellable, Scheduler

__all__ = ["LiveQuery"]

T = TypeVar("T")


class LiveQuery:
    """Debounce triggers and drop answers that a newer trigger made stale.

    Parameters
    ----------
    scheduler
        Runs the timer and the jobs.
    debounce
        Seconds of quiet before the start function runs.
    on_busy
        Called with ``+1`` / ``-1`` around each job (busy indicator).
    """

    def __init__(
        self,
        scheduler: Scheduler,
        debounce: float = 0.15,
        on_busy: Callable[[int], None] | None = None,
        leading: bool = True,
    ) -> None:
        self.scheduler = scheduler
        self.debounce = debounce
        self.on_busy = on_busy
        self.leading = leading
        self.seq = 0
        self.stale_dropped = 0
        self._lock = threading.RLock()
        self._cooling = False  # within ``debounce`` of the last trigger or send
        self._generation = 0  # identifies the live cooldown timer
        self._timer: Cancellable | None = None
        self._pending: Callable[[int], None] | None = None

    def trigger(self, start: Callable[[int], None]) -> int:
        """Note a change; ``start(seq)`` runs now (after quiet) or when changes stop."""
        with self._lock:
            self.seq += 1
            seq = self.seq
            send_now = self.leading and not self._cooling
            self._pending = None if send_now else start
        if send_now:
            self._fire(start, seq)
        self._restart_cooldown()
        return seq

    def _restart_cooldown(self) -> None:
        with self._lock:
            self._generation += 1
            generation = self._generation
            self._cooling = True
            previous, self._timer = self._timer, None
        if previous is not None:
            previous.cancel()
        # outside the lock: a synchronous scheduler ends the cooldown right here
        timer = self.scheduler.call_later(self.debounce, lambda: self._end_cooldown(generation))
        with self._lock:
            if self._generation == generation and self._cooling:
                self._timer = timer

    def _end_cooldown(self, generation: int) -> None:
        with self._lock:
            if generation != self._generation:
                return  # a newer trigger restarted the cooldown
            start, self._pending = self._pending, None
            self._cooling, self._timer = False, None
            seq = self.seq
        if start is not None:  # the trailing request, then a fresh cooldown
            self._fire(start, seq)
            self._restart_cooldown()

    def _fire(self, start: Callable[[int], None], seq: int) -> None:
        if seq == self.seq:
            start(seq)

    def is_current(self, seq: int) -> bool:
        """Whether ``seq`` is still the latest trigger."""
        return seq == self.seq

    def job(
        self,
        seq: int,
        call: Callable[[], T],
        apply: Callable[[T], Any],
        on_error: Callable[[BaseException], Any],
    ) -> None:
        """Run ``call`` in the background; ``apply`` / ``on_error`` only if ``seq`` is current."""

        def task() -> None:
            if self.on_busy:
                self.on_busy(+1)
            try:
                try:
                    answer = call()
                except Exception as exc:
                    if self._keep(seq):
                        on_error(exc)
                    return
                if self._keep(seq):
                    try:
                        apply(answer)
                    except Exception as exc:  # a rendering bug must show, not vanish
                        on_error(exc)
            finally:
                if self.on_busy:
                    self.on_busy(-1)

        self.scheduler.submit(task)

    def _keep(self, seq: int) -> bool:
        if seq != self.seq:
            with self._lock:
                self.stale_dropped += 1
            return False
        return True
