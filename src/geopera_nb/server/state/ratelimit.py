"""Rate limits in fixed 60 s wall-clock windows (:data:`~geopera_nb.contract.limits.RATE_LIMITS`).

Per org, every operation call counts against ``general``; the three placements also
against ``placement``; the other spending operations also against ``spend`` (except
idempotent replays of a stored answer, which spend nothing). Per client address, every
call of the OIDC realm endpoints (token, device authorization, userinfo, logout, the
device verification page) counts against ``oidc``: they are reached before any org is
known, and each token answer stores a row. A call over any limit answers 429 with
``Retry-After`` (seconds to the end of the window) and does not count.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping

from geopera_nb.contract.limits import PLACEMENT_OPERATIONS, RATE_LIMITS, RATE_WINDOW_S

from ..problems import Problem

WINDOW_S = RATE_WINDOW_S
DEFAULT_LIMITS: dict[str, int] = dict(RATE_LIMITS)


class RateLimiter:
    """Fixed-window counters per (org, bucket).

    Parameters
    ----------
    limits
        Overrides of :data:`DEFAULT_LIMITS` (``general``, ``placement``, ``spend``,
        ``oidc``).
    clock
        Wall-clock source in seconds (injectable for tests).
    """

    def __init__(self, limits: Mapping[str, int] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.limits = {**DEFAULT_LIMITS, **(limits or {})}
        unknown = set(self.limits) - set(DEFAULT_LIMITS)
        if unknown:
            raise ValueError(f"unknown rate-limit buckets: {sorted(unknown)}")
        self._clock = clock
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str], tuple[int, int]] = {}

    def buckets(self, operation_id: str, spends: bool, replay: bool = False) -> tuple[str, ...]:
        """The buckets a call of ``operation_id`` counts against (a replay: general only)."""
        if replay:
            return ("general",)
        if operation_id in PLACEMENT_OPERATIONS:
            return ("general", "placement")
        if spends:
            return ("general", "spend")
        return ("general",)

    def hit(self, org_id: str, operation_id: str, spends: bool, *, replay: bool = False) -> None:
        """Count one call, or raise a 429 problem when a bucket is full.

        ``replay``: an idempotent replay of a stored answer spends nothing, so it counts
        against ``general`` only.
        """
        self._take(org_id, self.buckets(operation_id, spends, replay))

    def hit_client(self, address: str) -> None:
        """Count one call of an OIDC endpoint from ``address`` (429 when ``oidc`` is full)."""
        self._take("client:" + address, ("oidc",))

    def _take(self, who: str, buckets: tuple[str, ...]) -> None:
        now = self._clock()
        window = int(now // WINDOW_S)
        with self._lock:
            current: list[tuple[str, int]] = []
            for bucket in buckets:
                win, count = self._counts.get((who, bucket), (window, 0))
                if win != window:
                    count = 0
                if count >= self.limits[bucket]:
                    retry = max(1, math.ceil((window + 1) * WINDOW_S - now))
                    raise Problem(
                        429,
                        f"rate limit exceeded: {self.limits[bucket]} {bucket} calls per minute",
                        headers={"Retry-After": str(retry)},
                        bucket=bucket, retry_after=retry,
                    )
                current.append((bucket, count))
            for bucket, count in current:
                self._counts[(who, bucket)] = (window, count + 1)
            if len(self._counts) > 100_000:  # drop stale windows
                self._counts = {k: v for k, v in self._counts.items() if v[0] == window}
