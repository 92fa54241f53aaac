"""The client-side rate limiter: pace calls within the per-org limits, never meet a 429 storm.

Geopera limits each organisation per minute (``contract.limits.RATE_LIMITS``): 600 calls
in all (``general``), 60 placements (``orders.place``, ``orders.archive.place``,
``orders.tasking.place``) and 30 other spending calls (``spend``). The sandbox counts in
fixed 60 s windows of its own wall clock, whose alignment the client cannot see, so the
limiter guarantees the stronger property: **in any 60 s interval at most
``fraction`` x limit calls of each bucket start** (default 90%: the other 10% is room for
the org's other clients and notebooks, and for clock drift). Within that:

- light use goes at once: up to ``burst`` (default half) of a bucket's budget may start
  together, so a cell that places a few orders never waits;
- beyond it, calls of the bucket are spaced evenly (60 s / budget apart), so a batch of
  thousands runs at a steady pace and a call from another cell of the same client waits
  behind at most the calls already queued, not a whole window (a batch that starts
  from idle spends its burst, then the budget's other half over the first half-window,
  and waits once for that window to turn over);
- starts are handed out in turn (first come, first served): a read waits behind the
  placements or spending calls queued before it.

A call reserves its start time under a lock (a few microseconds, never across a wait)
and then sleeps outside it (``time.sleep`` or ``await asyncio.sleep``), so one limiter
serves threads (the frames' thread pools) and asyncio tasks alike, and a sync
:class:`~geopera_nb.client.Client` and an :class:`~geopera_nb.client.AsyncClient` can
share one. Clients of the same account (base URL and credential) in one process share
their limiter by default (:func:`shared_limiter`). Every attempt of a call reserves
(the server counts retries too); a 429 that still comes (another process of the org) is
retried as before, honouring ``Retry-After``.

Examples
--------
>>> now = [0.0]
>>> limiter = RateLimiter({"general": 10, "placement": 4, "spend": 2}, clock=lambda: now[0])
>>> limiter.budget
{'general': 9, 'placement': 3, 'spend': 1}
>>> [limiter.reserve("orders.get") for _ in range(6)]   # half the budget at once, then paced
[0.0, 0.0, 0.0, 0.0, 0.0, 6.666...]
>>> spender = RateLimiter({"spend": 2}, clock=lambda: now[0])   # a budget of 1 a minute
>>> spender.reserve("orders.cancel", spends=True), spender.reserve("orders.cancel", spends=True)
(0.0, 60.0)
>>> spender.reserve("orders.cancel", spends=True, max_wait=30.0) is None   # past a deadline
True
"""

from __future__ import annotations

import bisect
import math
import threading
import time
import weakref
from collections.abc import Callable, Hashable, Mapping

from ..contract.limits import (
    PLACEMENT_OPERATIONS,
    RATE_BURST_FRACTION,
    RATE_LIMITS,
    RATE_PACE_FRACTION,
    RATE_WINDOW_S,
)
from ..errors import RequestValidationError

__all__ = ["BUCKETS", "RateLimiter", "buckets_for", "shared_limiter"]

#: The per-org buckets the client paces (``oidc`` counts per address, at the token
#: endpoint, which the client calls rarely: it is not paced).
BUCKETS = ("general", "placement", "spend")


def buckets_for(operation_id: str, spends: bool) -> tuple[str, ...]:
    """The buckets one call counts against, as the server counts them.

    Examples
    --------
    >>> buckets_for("orders.tasking.place", True), buckets_for("orders.cancel", True)
    (('general', 'placement'), ('general', 'spend'))
    >>> buckets_for("orders.get", False)
    ('general',)
    """
    if operation_id in PLACEMENT_OPERATIONS:
        return ("general", "placement")
    return ("general", "spend") if spends else ("general",)


class _Bucket:
    """The start times reserved in one bucket, in order (older than a window: pruned)."""

    __slots__ = ("budget", "burst", "spacing", "starts")

    def __init__(self, budget: int, burst: int, window: float) -> None:
        self.budget = budget
        self.burst = burst
        self.spacing = window / budget
        self.starts: list[float] = []

    def prune(self, before: float) -> None:
        cut = bisect.bisect_right(self.starts, before)
        if cut:
            del self.starts[:cut]

    def earliest(self, at: float, window: float) -> float:
        """The first start at or after ``at`` this bucket allows.

        Starts are handed out in turn (never before the bucket's last one), so the
        window rule is one comparison: the start ``budget`` places back must be a whole
        window earlier.
        """
        starts = self.starts
        if not starts:
            return at
        at = max(at, starts[-1])
        n = len(starts)
        if n >= self.burst and n - bisect.bisect_right(starts, at - window) >= self.burst:
            at = max(at, starts[-1] + self.spacing)  # past the burst: evenly spaced
        if n >= self.budget:
            at = max(at, starts[-self.budget] + window)
        return at


class RateLimiter:
    """Paces calls so each bucket stays under ``fraction`` of its per-window limit.

    Parameters
    ----------
    limits
        Calls per window of each bucket (``general``, ``placement``, ``spend``; missing
        ones take ``contract.limits.RATE_LIMITS``). Use the limits of the server you talk
        to: ``gn.sandbox.start(rate_limits=...)`` handles pass theirs to their clients.
    fraction
        Share of each limit the limiter uses in any window (default 0.9).
    burst
        Share of that budget that may start at once before calls are spaced (default 0.5).
    window
        The limits' window in seconds (``RATE_WINDOW_S``, 60).
    clock
        Monotonic seconds (injectable; the client passes its own).

    Examples
    --------
    >>> RateLimiter({"spend": 10}).budget
    {'general': 540, 'placement': 54, 'spend': 9}
    >>> RateLimiter({"speed": 10})
    Traceback (most recent call last):
    ...
    geopera_nb.errors.RequestValidationError: unknown rate-limit bucket(s) ['speed']; known: general, placement, spend, oidc
    """

    def __init__(
        self,
        limits: Mapping[str, int] | None = None,
        *,
        fraction: float = RATE_PACE_FRACTION,
        burst: float = RATE_BURST_FRACTION,
        window: float = RATE_WINDOW_S,
        clock: Callable[[], float] | None = None,
    ) -> None:
        merged = {**RATE_LIMITS, **(limits or {})}
        unknown = sorted(set(merged) - set(RATE_LIMITS))
        if unknown:
            raise RequestValidationError(
                f"unknown rate-limit bucket(s) {unknown}; known: {', '.join(RATE_LIMITS)}",
                fields=["rate_limit"])
        for name, value in merged.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise RequestValidationError(
                    f"rate limit {name!r} must be a positive integer, not {value!r}",
                    fields=["rate_limit"])
        for name, share in (("fraction", fraction), ("burst", burst)):
            if not 0.0 < share <= 1.0:
                raise RequestValidationError(f"{name} must be within (0, 1], not {share!r}",
                                             fields=[name])
        if not 0.0 < window < math.inf:
            raise RequestValidationError("window must be a positive number of seconds",
                                         fields=["window"])
        self.limits = {name: merged[name] for name in BUCKETS}
        self.fraction = fraction
        self.window = float(window)
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}
        for name, limit in self.limits.items():
            budget = max(1, math.floor(limit * fraction))
            self._buckets[name] = _Bucket(budget, max(1, math.ceil(budget * burst)), self.window)

    @property
    def budget(self) -> dict[str, int]:
        """Calls each bucket may start in any window."""
        return {name: b.budget for name, b in self._buckets.items()}

    def __repr__(self) -> str:
        return f"RateLimiter({self.limits}, fraction={self.fraction:g})"

    def reserve(self, operation_id: str, spends: bool = False, *,
                max_wait: float = math.inf) -> float | None:
        """Reserve a start for one call; answers the seconds to wait before sending it.

        ``None`` (and nothing reserved) when the wait would exceed ``max_wait`` (the
        call's deadline). Never blocks: the caller sleeps.
        """
        reserved = self.reserve_start(operation_id, spends, max_wait=max_wait)
        return None if reserved is None else reserved[1]

    def reserve_start(self, operation_id: str, spends: bool = False, *,
                      max_wait: float = math.inf) -> tuple[float, float] | None:
        """Like :meth:`reserve`, answering ``(start, wait)``: ``start`` is what
        :meth:`release` takes back if the call is abandoned while it waits."""
        names = buckets_for(operation_id, spends)
        with self._lock:
            now = self._clock()
            buckets = [self._buckets[name] for name in names]
            for bucket in buckets:
                bucket.prune(now - self.window)
            at = now
            for _ in range(1000):  # a common start every bucket allows (a fixed point)
                moved = max(bucket.earliest(at, self.window) for bucket in buckets)
                if moved == at:
                    break
                at = moved
            wait = at - now
            if wait > max_wait:
                return None
            for bucket in buckets:
                bisect.insort(bucket.starts, at)
            return at, wait

    def release(self, operation_id: str, spends: bool, start: float) -> None:
        """Give back a reserved start that was not used (a call cancelled while waiting)."""
        with self._lock:
            for name in buckets_for(operation_id, spends):
                starts = self._buckets[name].starts
                i = bisect.bisect_left(starts, start)
                if i < len(starts) and starts[i] == start:
                    del starts[i]

    def now(self) -> float:
        """The limiter's clock."""
        return self._clock()


_SHARED: weakref.WeakValueDictionary[Hashable, RateLimiter] = weakref.WeakValueDictionary()
_SHARED_LOCK = threading.Lock()


def shared_limiter(key: Hashable, factory: Callable[[], RateLimiter]) -> RateLimiter:
    """The limiter of ``key`` (an account) in this process, made by ``factory`` if none
    lives: two clients of one account (two cells, a Client and an AsyncClient) pace
    together. A limiter no client holds is dropped."""
    with _SHARED_LOCK:
        limiter = _SHARED.get(key)
        if limiter is None:
            limiter = factory()
            _SHARED[key] = limiter
        return limiter
