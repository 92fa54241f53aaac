"""When to try again, and how long to wait: the client's retry rules.

- Retried: 429 (waiting what ``Retry-After`` says, in seconds or as an HTTP date),
  502/503/504, and connection failures, resets and timeouts.
- Never retried: any other 4xx, any other 5xx (500 is the server's bug, not a blip).
- A spending POST is retried only when it carries its ``Idempotency-Key`` (the key is
  what makes the server replay instead of ordering twice).
- Waits grow exponentially (``base * 2**(n-1)``), capped at ``cap``, jittered, and the
  whole call gives up after ``max_attempts`` tries or ``max_elapsed`` seconds (a
  ``Retry-After`` that would overrun the budget ends the call at once).
- Nor is a wait started that would end past the call's deadline
  (:class:`~geopera_nb.client.deadline.Deadline`): the call ends at once with the
  last failure.

Examples
--------
>>> policy = RetryPolicy(max_attempts=4, base=0.5, cap=4.0, jitter=0.0)
>>> [policy.backoff(n) for n in (1, 2, 3, 4, 5)]
[0.5, 1.0, 2.0, 4.0, 4.0]
>>> RetryPolicy.disabled().max_attempts
1
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from ..errors import parse_retry_after
from .deadline import Deadline

__all__ = ["RETRYABLE_EXCEPTIONS", "Attempts", "RetryPolicy"]

#: httpx failures worth another attempt (the request may not have reached the server,
#: or its answer was lost).
RETRYABLE_EXCEPTIONS: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.ReadError,
    httpx.ReadTimeout,
    httpx.WriteError,
    httpx.WriteTimeout,
    httpx.PoolTimeout,
    httpx.RemoteProtocolError,
)


@dataclass(frozen=True)
class RetryPolicy:
    """How a call is retried.

    Parameters
    ----------
    max_attempts
        Tries in all, the first included (1 disables retries).
    base
        First backoff in seconds.
    cap
        Largest backoff in seconds (``Retry-After`` is honoured even above it).
    jitter
        Fraction of each backoff that is random: 0 = none, 1 = "full jitter".
    max_elapsed
        Give up once this many seconds have passed since the first try.
    retry_statuses
        HTTP statuses retried.
    """

    max_attempts: int = 5
    base: float = 0.5
    cap: float = 20.0
    jitter: float = 0.5
    max_elapsed: float = 120.0
    retry_statuses: frozenset[int] = field(default_factory=lambda: frozenset({429, 502, 503, 504}))

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError("jitter must be within [0, 1]")
        if self.base < 0 or self.cap < 0 or self.max_elapsed < 0:
            raise ValueError("base, cap and max_elapsed must not be negative")

    @classmethod
    def disabled(cls) -> RetryPolicy:
        """A policy that never retries."""
        return cls(max_attempts=1)

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """The wait after failed attempt number ``attempt`` (1-based)."""
        delay = min(self.cap, self.base * (2 ** (attempt - 1)))
        if self.jitter:
            r = (rng or random).random()
            delay = delay * (1.0 - self.jitter) + delay * self.jitter * r
        return delay


class Attempts:
    """The retry state of one logical call (sans-I/O: the transports drive it).

    Parameters
    ----------
    policy
        The :class:`RetryPolicy`.
    retry_allowed
        False for a spending call without an idempotency key: it is tried once.
    clock
        Monotonic clock (injectable).
    rng
        Jitter source (injectable).
    deadline
        The call's deadline: no wait that would end past it.
    """

    def __init__(
        self,
        policy: RetryPolicy,
        *,
        retry_allowed: bool = True,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        deadline: Deadline | None = None,
    ) -> None:
        self.policy = policy
        self.retry_allowed = retry_allowed
        self._clock = clock
        self._rng = rng
        self._deadline = deadline
        self._start = clock()
        self.number = 0

    def start(self) -> int:
        """Count a new attempt; returns its number (1-based)."""
        self.number += 1
        return self.number

    def _within_budget(self, delay: float) -> float | None:
        if not self.retry_allowed or self.number >= self.policy.max_attempts:
            return None
        if self._clock() - self._start + delay > self.policy.max_elapsed:
            return None
        if self._deadline is not None and delay >= self._deadline.remaining():
            return None
        return delay

    def after_status(self, response: httpx.Response) -> float | None:
        """Seconds to wait before retrying this answer, or ``None``: do not retry."""
        status = response.status_code
        if status not in self.policy.retry_statuses:
            return None
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        delay = retry_after if retry_after is not None else self.policy.backoff(
            self.number, self._rng)
        return self._within_budget(delay)

    def after_exception(self, exc: BaseException) -> float | None:
        """Seconds to wait before retrying after a transport failure, or ``None``."""
        if not isinstance(exc, RETRYABLE_EXCEPTIONS):
            return None
        return self._within_budget(self.policy.backoff(self.number, self._rng))
