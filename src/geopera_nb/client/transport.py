"""The request core, sync and async: pacing, auth, idempotency, retries, bounds, errors.

Both transports do the same thing with and without ``await``, all of it within the
call's :class:`~geopera_nb.client.deadline.Deadline`:

1. wait for the client's :class:`~geopera_nb.client.ratelimit.RateLimiter` (every
   attempt: the server counts retries too);
2. run the auth flow (token exchange / refresh) if needed, then set the header;
3. ``POST /v1/op/{operation_id}`` with the JSON body, ``Accept`` and, for a spending
   call, its ``Idempotency-Key`` (the caller's or one UUID v4 made *before* the loop,
   so every retry carries the same key);
4. read the answer within its size cap (:mod:`~geopera_nb.client.reading`): a JSON
   answer up to ``SizeCaps.response_bytes`` (more raises ``ResponseTooLargeError``),
   an error answer up to ``SizeCaps.error_body_bytes``; a 2xx that carries
   ``application/problem+json`` is the error its problem says;
5. on a retryable failure wait (:class:`~geopera_nb.client.retry.Attempts`) and try
   again; a 401 with a refreshable credential forces one refresh;
6. map the final error to the exception tree (past the deadline:
   ``DeadlineExceededError``); the httpx exception and its request (with the
   credential in its headers) are never attached: errors are raised outside the
   ``except`` block, so no ``__context__`` holds them.

Nothing here uses ``asyncio.run``: the sync transport is plain ``httpx.Client``, so it
works inside a running Jupyter event loop.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import ssl
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import orjson

from .. import __version__
from ..contract import Operation
from ..contract.limits import CALL_DEADLINE_S, STREAM_DEADLINE_S
from ..errors import APIError, GeoperaError, from_response
from .auth import Auth
from .deadline import Deadline, check_deadline, deadline_transport
from .outcomes import (
    JSON,
    NDJSON,
    PROBLEM,
    media_type,
    parse_json,
    problem_on_success,
    wrap_transport_error,
)
from .ratelimit import RateLimiter
from .reading import BodyReader, SizeCaps
from .retry import Attempts, RetryPolicy

__all__ = [
    "JSON",
    "NDJSON",
    "AsyncTransport",
    "SyncTransport",
    "new_idempotency_key",
    "parse_json",
]

log = logging.getLogger("geopera_nb.client")

USER_AGENT = f"geopera-nb/{__version__} (+httpx/{httpx.__version__})"
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)

TimeoutLike = float | httpx.Timeout | None


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """One verified TLS context for every client (building one costs ~0.1 s)."""
    return httpx.create_ssl_context()


def new_idempotency_key() -> str:
    """A fresh UUID v4 string, one per logical spending call."""
    return str(uuid.uuid4())


class _Base:
    """Configuration shared by both transports."""

    def __init__(
        self,
        *,
        base_url: str,
        auth: Auth,
        retry: RetryPolicy | None,
        clock: Callable[[], float] | None,
        rng: random.Random | None,
        timeout: TimeoutLike,
        limiter: RateLimiter | None,
        caps: SizeCaps | None,
        deadline: float,
        stream_deadline: float,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.retry = retry or RetryPolicy()
        self._clock = clock or time.monotonic
        self._rng = rng
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.limiter = limiter
        self.caps = caps or SizeCaps()
        self.deadline = check_deadline(deadline)
        self.stream_deadline = check_deadline(stream_deadline, "stream_deadline")

    def new_deadline(self, op: Operation, seconds: float | None = None, *,
                     stream: bool = False) -> Deadline:
        """The deadline of one call of ``op`` (``seconds``: this call's own)."""
        if seconds is None:
            seconds = self.stream_deadline if stream else self.deadline
        else:
            seconds = check_deadline(seconds)
        return Deadline(seconds, operation=op.id, clock=self._clock)

    def _attempts(self, op: Operation, idempotency_key: str | None,
                  deadline: Deadline) -> Attempts:
        # the rule: a spending POST is retried only when it carries its key
        allowed = not op.spends or bool(idempotency_key)
        return Attempts(self.retry, retry_allowed=allowed, clock=self._clock, rng=self._rng,
                        deadline=deadline)

    @staticmethod
    def _headers(op: Operation, idempotency_key: str | None, accept: str) -> dict[str, str]:
        headers = {"Content-Type": JSON, "Accept": accept}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return headers

    def _log_retry(self, op: Operation, what: str, delay: float, attempts: Attempts) -> None:
        log.info("geopera: %s %s; retrying in %.2fs (attempt %d of %d)", op.id, what, delay,
                 attempts.number + 1, attempts.policy.max_attempts)

    def _reserve(self, op: Operation, deadline: Deadline,
                 attempts: Attempts) -> tuple[float, float]:
        """``(start, wait)`` of the rate limiter for one attempt (raises past the deadline)."""
        if self.limiter is None:
            return 0.0, 0.0
        reserved = self.limiter.reserve_start(op.id, op.spends, max_wait=deadline.remaining())
        if reserved is None:
            raise deadline.exceeded(
                attempts=attempts.number,
                why=f"the client's rate limiter would hold it past its {deadline.seconds:g} s "
                    "deadline (the org's calls per minute are used up)")
        if reserved[1] > 0:
            log.debug("geopera: %s paced %.2fs by the client's rate limiter", op.id,
                      reserved[1])
        return reserved

    def _release(self, op: Operation, start: float) -> None:
        """Give back a start not used (interrupted or cancelled while waiting for it)."""
        if self.limiter is not None:
            self.limiter.release(op.id, op.spends, start)

    def _failure(self, op: Operation, exc: httpx.HTTPError, attempts: Attempts,
                 deadline: Deadline) -> tuple[GeoperaError | None, float | None]:
        """``(error, None)`` to give up, ``(None, delay)`` to retry after an httpx failure."""
        if deadline.expired:
            return deadline.exceeded(attempts=attempts.number, last=type(exc).__name__), None
        delay = attempts.after_exception(exc)
        if delay is None:
            return wrap_transport_error(exc, op.id, attempts.number), None
        self._log_retry(op, type(exc).__name__, delay, attempts)
        return None, delay

    def _status_error(self, op: Operation, response: httpx.Response,
                      content: bytes | bytearray, cut: bool) -> APIError:
        return from_response(response, op.id, content=bytes(content),
                             cut_at=self.caps.error_body_bytes if cut else None,
                             max_text=self.caps.error_text_chars)

    def _readers(self, op: Operation, response: httpx.Response,
                 stream: bool) -> tuple[BodyReader | None, bool]:
        """``(reader, ok)``: how to read this answer; ``reader`` None = a stream to hand on."""
        ok = 200 <= response.status_code < 300 and media_type(response) != PROBLEM
        if ok and stream:
            return None, True
        if ok:
            return BodyReader(response, limit=self.caps.response_bytes, operation=op.id), True
        return BodyReader(response, limit=self.caps.error_body_bytes, operation=op.id,
                          allow_cut=True), False

    def _outcome(self, op: Operation, response: httpx.Response, reader: BodyReader,
                 ok: bool) -> _Outcome:
        """``(response, body, cut)`` of a fully read answer; a problem document sent with
        a 2xx status raises (the one place both transports decide it)."""
        if ok:
            return response, reader.body(), False
        if 200 <= response.status_code < 300:
            raise problem_on_success(response, op.id, reader.body(), reader.cut,
                                     self.caps.error_text_chars)
        return response, reader.body(), reader.cut


_Outcome = tuple[httpx.Response, bytearray | None, bool]


def _expiry_check(deadline: Deadline) -> Callable[[], None]:
    def check() -> None:
        if deadline.expired:
            raise httpx.ReadTimeout("the call's deadline passed while reading the answer")
    return check


class SyncTransport(_Base):
    """The blocking request core over ``httpx.Client``.

    Parameters
    ----------
    base_url, auth, retry
        Where, who, and how persistent.
    timeout
        httpx timeout (seconds or ``httpx.Timeout``) of each network operation.
    transport
        An ``httpx.BaseTransport`` (``httpx.MockTransport`` in tests); default: httpx's,
        with every socket operation clamped to the running call's deadline.
    sleep
        Called with the seconds to wait between attempts (``time.sleep``).
    limiter
        The client's rate limiter (``None``: no pacing).
    caps
        :class:`~geopera_nb.client.reading.SizeCaps`.
    deadline, stream_deadline
        Default total seconds of a call and of a stream.
    """

    def __init__(
        self,
        *,
        base_url: str,
        auth: Auth,
        retry: RetryPolicy | None = None,
        timeout: TimeoutLike = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
        rng: random.Random | None = None,
        headers: dict[str, str] | None = None,
        limiter: RateLimiter | None = None,
        caps: SizeCaps | None = None,
        deadline: float = CALL_DEADLINE_S,
        stream_deadline: float = STREAM_DEADLINE_S,
    ) -> None:
        super().__init__(base_url=base_url, auth=auth, retry=retry, clock=clock, rng=rng,
                         timeout=timeout, limiter=limiter, caps=caps, deadline=deadline,
                         stream_deadline=stream_deadline)
        self.sleep = sleep or time.sleep
        if transport is None:
            transport = deadline_transport(verify=shared_ssl_context())
        self.http = httpx.Client(base_url=self.base_url, transport=transport,
                                 timeout=self.timeout,
                                 headers={"User-Agent": USER_AGENT, **(headers or {})})
        self._auth_lock = threading.Lock()

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def _authenticate(self, op_id: str) -> None:
        with self._auth_lock:
            flow = self.auth.flow()
            try:
                request = next(flow)
            except StopIteration:
                return
            while True:
                failure: GeoperaError | None = None
                try:
                    response = self.http.send(request)
                except httpx.HTTPError as exc:
                    failure = wrap_transport_error(exc, f"{op_id} (token endpoint)", 1)
                if failure is not None:
                    raise failure
                try:
                    request = flow.send(response)
                except StopIteration:
                    return

    def _attempt(self, op: Operation, request: httpx.Request, stream: bool,
                 deadline: Deadline) -> _Outcome:
        response = self.http.send(request, stream=True)
        handed_on = False
        try:
            reader, ok = self._readers(op, response, stream)
            if reader is None:
                handed_on = True
                return response, None, False
            reader.read(response, _expiry_check(deadline))
            return self._outcome(op, response, reader, ok)
        finally:
            if not handed_on:
                response.close()

    def exchange(
        self,
        op: Operation,
        body: dict[str, Any],
        *,
        idempotency_key: str | None = None,
        accept: str = JSON,
        stream: bool = False,
        deadline: Deadline | None = None,
    ) -> tuple[httpx.Response, bytearray | None]:
        """POST ``body`` to ``op`` with pacing and retries, within ``deadline``.

        Returns a 2xx response and its body (read within the cap), or with
        ``stream=True`` the response unread (the caller iterates and closes it).
        A spending ``op`` without ``idempotency_key`` is tried once.
        """
        deadline = deadline or self.new_deadline(op, stream=stream)
        content = orjson.dumps(body)
        headers = self._headers(op, idempotency_key, accept)
        attempts = self._attempts(op, idempotency_key, deadline)
        refreshed = False
        with deadline.active():
            while True:
                start, wait = self._reserve(op, deadline, attempts)
                if wait > 0:
                    try:
                        self.sleep(wait)
                    except BaseException:  # KeyboardInterrupt: the slot is not used
                        self._release(op, start)
                        raise
                number = attempts.start()
                failure: GeoperaError | None = None
                delay: float | None = None
                outcome: _Outcome | None = None
                try:
                    self._authenticate(op.id)
                    request = self.http.build_request(
                        "POST", op.op_path, content=content, headers=headers,
                        extensions={"timeout": deadline.timeouts(self.timeout)})
                    self.auth.apply(request)
                    outcome = self._attempt(op, request, stream, deadline)
                except httpx.HTTPError as exc:
                    failure, delay = self._failure(op, exc, attempts, deadline)
                if failure is not None:
                    raise failure
                if outcome is None:
                    self.sleep(delay or 0.0)
                    continue
                response, data, cut = outcome
                log.debug("geopera: POST %s -> %d (attempt %d)", op.op_path,
                          response.status_code, number)
                if 200 <= response.status_code < 300:
                    return response, data
                if response.status_code == 401 and self.auth.refreshable and not refreshed:
                    refreshed = True
                    attempts.number -= 1  # an auth refresh is not a retry
                    self.auth.invalidate()
                    continue
                delay = attempts.after_status(response)
                if delay is None:
                    raise self._status_error(op, response, data or b"", cut)
                self._log_retry(op, f"answered {response.status_code}", delay, attempts)
                self.sleep(delay)

    def send(self, op: Operation, body: dict[str, Any], *, idempotency_key: str | None = None,
             accept: str = JSON, stream: bool = False,
             deadline: Deadline | None = None) -> httpx.Response:
        """:meth:`exchange`, answering the response only (read unless ``stream``)."""
        response, _ = self.exchange(op, body, idempotency_key=idempotency_key, accept=accept,
                                    stream=stream, deadline=deadline)
        return response

    def call(self, op: Operation, body: dict[str, Any], *,
             idempotency_key: str | None = None,
             deadline: Deadline | None = None) -> dict[str, Any]:
        """:meth:`exchange` and parse the JSON object."""
        response, data = self.exchange(op, body, idempotency_key=idempotency_key,
                                       deadline=deadline)
        return parse_json(response, op.id, data)


class AsyncTransport(_Base):
    """The ``await``-able request core over ``httpx.AsyncClient`` (see :class:`SyncTransport`).

    The deadline is enforced with ``asyncio.timeout`` around every attempt.
    """

    def __init__(
        self,
        *,
        base_url: str,
        auth: Auth,
        retry: RetryPolicy | None = None,
        timeout: TimeoutLike = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        clock: Callable[[], float] | None = None,
        rng: random.Random | None = None,
        headers: dict[str, str] | None = None,
        max_connections: int = 100,
        limiter: RateLimiter | None = None,
        caps: SizeCaps | None = None,
        deadline: float = CALL_DEADLINE_S,
        stream_deadline: float = STREAM_DEADLINE_S,
    ) -> None:
        super().__init__(base_url=base_url, auth=auth, retry=retry, clock=clock, rng=rng,
                         timeout=timeout, limiter=limiter, caps=caps, deadline=deadline,
                         stream_deadline=stream_deadline)
        self.sleep = sleep or asyncio.sleep
        limits = httpx.Limits(max_connections=max_connections,
                              max_keepalive_connections=max_connections)
        self.http = httpx.AsyncClient(base_url=self.base_url, transport=transport,
                                      timeout=self.timeout, limits=limits,
                                      verify=shared_ssl_context(),
                                      headers={"User-Agent": USER_AGENT, **(headers or {})})
        self._auth_lock: asyncio.Lock | None = None

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.http.aclose()

    async def _authenticate(self, op_id: str) -> None:
        if self._auth_lock is None:
            self._auth_lock = asyncio.Lock()
        async with self._auth_lock:
            flow = self.auth.flow()
            try:
                request = next(flow)
            except StopIteration:
                return
            while True:
                failure: GeoperaError | None = None
                try:
                    response = await self.http.send(request)
                except httpx.HTTPError as exc:
                    failure = wrap_transport_error(exc, f"{op_id} (token endpoint)", 1)
                if failure is not None:
                    raise failure
                try:
                    request = flow.send(response)
                except StopIteration:
                    return

    async def _attempt(self, op: Operation, request: httpx.Request, stream: bool,
                       deadline: Deadline) -> _Outcome:
        response = await self.http.send(request, stream=True)
        handed_on = False
        try:
            reader, ok = self._readers(op, response, stream)
            if reader is None:
                handed_on = True
                return response, None, False
            await reader.aread(response, _expiry_check(deadline))
            return self._outcome(op, response, reader, ok)
        finally:
            if not handed_on:
                await response.aclose()

    async def _paced(self, op: Operation, deadline: Deadline, attempts: Attempts) -> None:
        start, wait = self._reserve(op, deadline, attempts)
        if wait > 0:
            try:
                await self.sleep(wait)
            except BaseException:  # cancelled while waiting: the slot is not used
                self._release(op, start)
                raise

    async def exchange(
        self,
        op: Operation,
        body: dict[str, Any],
        *,
        idempotency_key: str | None = None,
        accept: str = JSON,
        stream: bool = False,
        deadline: Deadline | None = None,
    ) -> tuple[httpx.Response, bytearray | None]:
        """Async :meth:`SyncTransport.exchange`."""
        deadline = deadline or self.new_deadline(op, stream=stream)
        content = orjson.dumps(body)
        headers = self._headers(op, idempotency_key, accept)
        attempts = self._attempts(op, idempotency_key, deadline)
        refreshed = False
        while True:
            await self._paced(op, deadline, attempts)
            number = attempts.start()
            failure: GeoperaError | None = None
            delay: float | None = None
            outcome: _Outcome | None = None
            timed_out = False
            try:
                async with asyncio.timeout(deadline.clamp(None)):
                    await self._authenticate(op.id)
                    request = self.http.build_request(
                        "POST", op.op_path, content=content, headers=headers,
                        extensions={"timeout": deadline.timeouts(self.timeout)})
                    self.auth.apply(request)
                    outcome = await self._attempt(op, request, stream, deadline)
            except httpx.HTTPError as exc:
                failure, delay = self._failure(op, exc, attempts, deadline)
            except TimeoutError as exc:
                if isinstance(exc, GeoperaError):
                    raise
                timed_out = True  # asyncio.timeout: the deadline passed mid-attempt
            if timed_out:
                raise deadline.exceeded(attempts=number)
            if failure is not None:
                raise failure
            if outcome is None:
                await self.sleep(delay or 0.0)
                continue
            response, data, cut = outcome
            log.debug("geopera: POST %s -> %d (attempt %d)", op.op_path, response.status_code,
                      number)
            if 200 <= response.status_code < 300:
                return response, data
            if response.status_code == 401 and self.auth.refreshable and not refreshed:
                refreshed = True
                attempts.number -= 1
                self.auth.invalidate()
                continue
            delay = attempts.after_status(response)
            if delay is None:
                raise self._status_error(op, response, data or b"", cut)
            self._log_retry(op, f"answered {response.status_code}", delay, attempts)
            await self.sleep(delay)

    async def send(self, op: Operation, body: dict[str, Any], *,
                   idempotency_key: str | None = None, accept: str = JSON,
                   stream: bool = False, deadline: Deadline | None = None) -> httpx.Response:
        """Async :meth:`SyncTransport.send`."""
        response, _ = await self.exchange(op, body, idempotency_key=idempotency_key,
                                          accept=accept, stream=stream, deadline=deadline)
        return response

    async def call(self, op: Operation, body: dict[str, Any], *,
                   idempotency_key: str | None = None,
                   deadline: Deadline | None = None) -> dict[str, Any]:
        """Async :meth:`SyncTransport.call`."""
        response, data = await self.exchange(op, body, idempotency_key=idempotency_key,
                                             deadline=deadline)
        return parse_json(response, op.id, data)
