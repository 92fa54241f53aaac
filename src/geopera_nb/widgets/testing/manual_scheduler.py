"""A scheduler whose clock and job order the test controls.

Examples
--------
>>> from geopera_nb.widgets.testing import ManualScheduler
>>> s = ManualScheduler()
>>> out = []
>>> _ = s.call_later(0.15, lambda: out.append("estimate"))
>>> s.advance(0.1); out
[]
>>> s.advance(0.05); out
['estimate']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["ManualScheduler"]


@dataclass(order=True)
class _Timer:
    due: float
    seq: int
    fn: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class ManualScheduler:
    """Timers fire on :meth:`advance`; jobs run inline, or queue when ``defer_jobs``.

    Parameters
    ----------
    defer_jobs
        Queue submitted jobs until :meth:`run_jobs` (to finish them out of order and
        test that stale answers are dropped).
    """

    def __init__(self, defer_jobs: bool = False) -> None:
        self.now = 0.0
        self.defer_jobs = defer_jobs
        self.timers: list[_Timer] = []
        self.jobs: list[Callable[[], None]] = []
        self._seq = 0

    def call_later(self, delay: float, fn: Callable[[], None]) -> _Timer:
        """Schedule ``fn`` at ``now + delay``."""
        self._seq += 1
        timer = _Timer(self.now + delay, self._seq, fn)
        self.timers.append(timer)
        return timer

    def submit(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` now, or queue it when ``defer_jobs``."""
        if self.defer_jobs:
            self.jobs.append(fn)
        else:
            fn()

    @property
    def pending_timers(self) -> int:
        """Timers neither fired nor cancelled."""
        return sum(not timer.cancelled for timer in self.timers)

    def advance(self, seconds: float) -> None:
        """Move the clock and fire the timers that fall due, in time order."""
        self.now += seconds
        while True:
            due = sorted(x for x in self.timers if not x.cancelled and x.due <= self.now + 1e-12)
            if not due:
                break
            timer = due[0]
            self.timers.remove(timer)
            timer.fn()
        self.timers = [x for x in self.timers if not x.cancelled]

    def flush(self) -> None:
        """Fire every pending timer now."""
        self.advance(max((x.due for x in self.timers), default=self.now) - self.now)

    def run_jobs(self, order: list[int] | None = None) -> None:
        """Run queued jobs (all, in ``order`` of their queue positions if given)."""
        jobs, self.jobs = self.jobs, []
        picked = [jobs[i] for i in order] if order is not None else jobs
        for i, job in enumerate(jobs):
            if order is not None and i not in order:
                self.jobs.append(job)
        for job in picked:
            job()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Fire due timers and run queued jobs; ``True`` when nothing is left."""
        self.flush()
        while self.jobs:
            self.run_jobs()
            self.flush()
        return True
