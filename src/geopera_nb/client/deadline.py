"""The total deadline of one call: every wait and every network read comes out of it.

``timeout=`` (httpx's) bounds each network operation: a server that sends one byte a
second never trips a 2 s read timeout. A :class:`Deadline` bounds the whole call:
rate-limiter waits, the token exchange, every attempt (connecting, sending, the
headers, the body) and every backoff sleep. Past it the call raises
:class:`~geopera_nb.errors.DeadlineExceededError` (a ``RequestTimeoutError``, so also a
builtin ``TimeoutError``) naming the deadline.

How it is enforced:

- sync: while a call runs, its deadline is the :data:`CURRENT` context variable, and the
  connection pool's network streams (:class:`DeadlineBackend`, installed by
  :func:`deadline_transport`) clamp every socket connect/read/write to the time left, so a
  dripping server is cut off at the deadline, headers or body alike;
- async: each attempt (and each chunk of a stream) runs under ``asyncio.timeout`` of the
  time left;
- both: the transports check it between attempts, before sleeping and between chunks.

A stream's deadline counts only the time the client waits for the server: it is paused
while the consumer holds a record (:meth:`Deadline.pause`), so a slow loop body does not
use it up.

Examples
--------
>>> now = [0.0]
>>> d = Deadline(2.0, operation="orders.get", clock=lambda: now[0])
>>> now[0] = 0.5; d.remaining()
1.5
>>> d.pause(); now[0] = 10.0; d.remaining()      # paused: the consumer's time
1.5
>>> d.resume(); now[0] = 12.0; d.expired
True
>>> str(d.exceeded(attempts=3, last="ReadTimeout"))
'orders.get: no complete answer within its 2 s deadline (3 attempts; last: ReadTimeout)'
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpcore
import httpx

from ..errors import DeadlineExceededError, RequestValidationError

__all__ = [
    "CURRENT",
    "Deadline",
    "DeadlineBackend",
    "check_deadline",
    "deadline_transport",
]

#: The deadline of the call running in this thread / task (read by the network streams).
CURRENT: ContextVar[Deadline | None] = ContextVar("geopera_nb_deadline", default=None)


def check_deadline(value: Any, name: str = "deadline") -> float:
    """``value`` as a positive number of seconds (``math.inf``: no deadline), or raise.

    Examples
    --------
    >>> check_deadline(2), check_deadline(float("inf"))
    (2.0, inf)
    >>> check_deadline(0)
    Traceback (most recent call last):
    ...
    geopera_nb.errors.RequestValidationError: deadline must be a positive number of seconds (math.inf: none), not 0
    """
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value) \
            or value <= 0:
        raise RequestValidationError(
            f"{name} must be a positive number of seconds (math.inf: none), not {value!r}",
            fields=[name])
    return float(value)


def _seconds(value: float) -> str:
    return f"{value:g} s" if math.isfinite(value) else "unbounded"


class Deadline:
    """The time budget of one call (or one stream), on an injectable monotonic clock.

    Parameters
    ----------
    seconds
        The budget (``math.inf``: none).
    operation
        The operation id, named in the error.
    clock
        Monotonic seconds.
    """

    __slots__ = ("_clock", "_since", "_used", "operation", "seconds")

    def __init__(self, seconds: float, *, operation: str,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.operation = operation
        self._clock = clock
        self._used = 0.0
        self._since: float | None = clock()

    def remaining(self) -> float:
        """Seconds left (negative once passed)."""
        used = self._used
        if self._since is not None:
            used += self._clock() - self._since
        return self.seconds - used

    @property
    def expired(self) -> bool:
        """True once no time is left."""
        return self.remaining() <= 0

    def pause(self) -> None:
        """Stop counting (a stream's consumer holds a record)."""
        if self._since is not None:
            self._used += self._clock() - self._since
            self._since = None

    def resume(self) -> None:
        """Count again."""
        if self._since is None:
            self._since = self._clock()

    def clamp(self, timeout: float | None) -> float | None:
        """``timeout`` cut to the time left (``None``: no timeout and no deadline)."""
        left = self.remaining()
        if math.isinf(left):
            return timeout
        left = max(0.0, left)
        return left if timeout is None else min(timeout, left)

    def exceeded(self, *, attempts: int = 1, last: str | None = None,
                 why: str | None = None) -> DeadlineExceededError:
        """The error of this deadline, saying how long it was and what was going on."""
        tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
        detail = f"{tries}; last: {last}" if last else tries
        text = why or f"no complete answer within its {_seconds(self.seconds)} deadline"
        return DeadlineExceededError(f"{self.operation}: {text} ({detail})",
                                     operation=self.operation, attempts=attempts,
                                     deadline=self.seconds)

    @contextmanager
    def active(self) -> Iterator[None]:
        """Make this the :data:`CURRENT` deadline (the network streams clamp to it)."""
        token = CURRENT.set(self)
        try:
            yield
        finally:
            CURRENT.reset(token)

    def timeouts(self, timeout: httpx.Timeout) -> dict[str, float | None]:
        """httpx's per-request ``timeout`` extension: each phase cut to the time left."""
        return {"connect": self.clamp(timeout.connect), "read": self.clamp(timeout.read),
                "write": self.clamp(timeout.write), "pool": self.clamp(timeout.pool)}


def _clamped(timeout: float | None, exc: type[Exception]) -> float | None:
    deadline = CURRENT.get()
    if deadline is None:
        return timeout
    clamped = deadline.clamp(timeout)
    if clamped is not None and clamped <= 0:
        raise exc("the call's deadline passed")
    return clamped


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every operation ends by the running call's deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _clamped(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _clamped(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._stream.start_tls(
            ssl_context, server_hostname, _clamped(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's network backend with every socket operation clamped to :data:`CURRENT`.

    httpx's timeouts are per operation; a server that trickles bytes keeps resetting
    them. No library offers a total deadline for blocking httpx calls, so the clamp sits
    where every byte passes: the connection pool's network streams.
    """

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._backend.connect_tcp(
            host, port, _clamped(timeout, httpcore.ConnectTimeout), local_address,
            socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None
                            ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._backend.connect_unix_socket(
            path, _clamped(timeout, httpcore.ConnectTimeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def deadline_transport(**kwargs: Any) -> httpx.HTTPTransport:
    """An ``httpx.HTTPTransport`` whose connections honour :data:`CURRENT`.

    httpx builds its connection pool without a way to pass a network backend, so the
    pool's backend is wrapped after construction (``tests/client`` checks it is, so an
    httpx upgrade that moves it fails loudly instead of silently losing the deadline).
    """
    transport = httpx.HTTPTransport(**kwargs)
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if pool is not None and isinstance(backend, httpcore.NetworkBackend):
        pool._network_backend = DeadlineBackend(backend)
    return transport
