"""The request core, sync and async: auth, idempotency, retries, error mapping.

Both transports do the same thing with and without ``await``:

1. run the auth flow (token exchange / refresh) if needed, then set the header;
2. ``POST /v1/op/{operation_id}`` with the JSON body, ``Accept`` and, for a spending
   call, its ``Idempotency-Key`` (the caller's or one UUID v4 made *before* the loop,
   so every retry carries the same key);
3. on a retryable failure wait (:class:`~geopera_nb.client.retry.Attempts`) and try
   again; a 401 with a refreshable credential forces one refresh;
4. map the final error to the exception tree; the httpx exception and its request
   (with the credential in its headers) are never attached: errors are raised outside
   the ``except`` block, so no ``__context__`` holds them.

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
from ..errors import (
    ConnectError,
    GeoperaError,
    RequestTimeoutError,
    ResponseError,
    TransportError,
    from_response,
)
from . import fastjson
from .auth import Auth
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

JSON = "application/json"
NDJSON = "application/x-ndjson"
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


def wrap_transport_error(exc: httpx.HTTPError, op_id: str, attempts: int) -> GeoperaError:
    """Our exception for an httpx failure, with a message that holds no request data."""
    tries = f" after {attempts} attempt{'s' if attempts != 1 else ''}"
    reason = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return RequestTimeoutError(f"{op_id}: {type(exc).__name__} ({reason}){tries}",
                            operation=op_id, attempts=attempts)
    if isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError):
        return ConnectError(f"{op_id}: {type(exc).__name__} ({reason}){tries}",
                            operation=op_id, attempts=attempts)
    return TransportError(f"{op_id}: {type(exc).__name__} ({reason}){tries}",
                          operation=op_id, attempts=attempts)


def media_type(response: httpx.Response) -> str:
    """The response's media type, lower case, parameters dropped."""
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def parse_json(response: httpx.Response, op_id: str) -> dict[str, Any]:
    """The JSON object of a success answer; anything else raises ``ResponseError``."""
    kind = media_type(response)
    if kind != JSON and not kind.endswith("+json"):
        raise ResponseError(
            f"{op_id}: expected application/json, the server answered "
            f"{kind or 'no content type'} (HTTP {response.status_code})",
            operation=op_id, status=response.status_code, content_type=kind)
    try:
        data = fastjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        raise ResponseError(f"{op_id}: the answer is not valid JSON ({exc})", operation=op_id,
                            status=response.status_code, content_type=kind) from None
    if not isinstance(data, dict):
        raise ResponseError(f"{op_id}: expected a JSON object, got {type(data).__name__}",
                            operation=op_id, status=response.status_code, content_type=kind)
    return data


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
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.retry = retry or RetryPolicy()
        self._clock = clock or time.monotonic
        self._rng = rng

    def _attempts(self, op: Operation, idempotency_key: str | None) -> Attempts:
        # the rule: a spending POST is retried only when it carries its key
        allowed = not op.spends or bool(idempotency_key)
        return Attempts(self.retry, retry_allowed=allowed, clock=self._clock, rng=self._rng)

    @staticmethod
    def _headers(op: Operation, idempotency_key: str | None, accept: str) -> dict[str, str]:
        headers = {"Content-Type": JSON, "Accept": accept}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return headers

    def _log_retry(self, op: Operation, what: str, delay: float, attempts: Attempts) -> None:
        log.info("geopera: %s %s; retrying in %.2fs (attempt %d of %d)", op.id, what, delay,
                 attempts.number + 1, attempts.policy.max_attempts)


class SyncTransport(_Base):
    """The blocking request core over ``httpx.Client``.

    Parameters
    ----------
    base_url, auth, retry
        Where, who, and how persistent.
    timeout
        httpx timeout (seconds or ``httpx.Timeout``).
    transport
        An ``httpx.BaseTransport`` (``httpx.MockTransport`` in tests).
    sleep
        Called with the seconds to wait between attempts (``time.sleep``).
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
    ) -> None:
        super().__init__(base_url=base_url, auth=auth, retry=retry, clock=clock, rng=rng)
        self.sleep = sleep or time.sleep
        self.http = httpx.Client(base_url=self.base_url, transport=transport, timeout=timeout,
                                 verify=shared_ssl_context(),
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

    def send(
        self,
        op: Operation,
        body: dict[str, Any],
        *,
        idempotency_key: str | None = None,
        accept: str = JSON,
        stream: bool = False,
    ) -> httpx.Response:
        """POST ``body`` to ``op`` with retries; returns a 2xx response or raises.

        With ``stream=True`` the body is not read: the caller iterates and closes it.
        A spending ``op`` without ``idempotency_key`` is tried once.
        """
        content = orjson.dumps(body)
        headers = self._headers(op, idempotency_key, accept)
        attempts = self._attempts(op, idempotency_key)
        refreshed = False
        while True:
            number = attempts.start()
            self._authenticate(op.id)
            request = self.http.build_request("POST", op.op_path, content=content,
                                              headers=headers)
            self.auth.apply(request)
            failure: GeoperaError | None = None
            delay: float | None = None
            response: httpx.Response | None = None
            try:
                response = self.http.send(request, stream=stream)
            except httpx.HTTPError as exc:
                delay = attempts.after_exception(exc)
                if delay is None:
                    failure = wrap_transport_error(exc, op.id, number)
                else:
                    self._log_retry(op, type(exc).__name__, delay, attempts)
            if failure is not None:
                raise failure
            if response is None:
                self.sleep(delay or 0.0)
                continue
            log.debug("geopera: POST %s -> %d (attempt %d)", op.op_path, response.status_code,
                      number)
            if 200 <= response.status_code < 300:
                return response
            if stream:
                self._drain(response)
            if response.status_code == 401 and self.auth.refreshable and not refreshed:
                refreshed = True
                attempts.number -= 1  # an auth refresh is not a retry
                self.auth.invalidate()
                continue
            delay = attempts.after_status(response)
            if delay is None:
                raise from_response(response, op.id)
            self._log_retry(op, f"answered {response.status_code}", delay, attempts)
            self.sleep(delay)

    @staticmethod
    def _drain(response: httpx.Response) -> None:
        try:
            response.read()
        except httpx.HTTPError:
            pass
        finally:
            response.close()

    def call(self, op: Operation, body: dict[str, Any], *,
             idempotency_key: str | None = None) -> dict[str, Any]:
        """:meth:`send` and parse the JSON object."""
        response = self.send(op, body, idempotency_key=idempotency_key)
        return parse_json(response, op.id)


class AsyncTransport(_Base):
    """The ``await``-able request core over ``httpx.AsyncClient`` (see :class:`SyncTransport`)."""

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
    ) -> None:
        super().__init__(base_url=base_url, auth=auth, retry=retry, clock=clock, rng=rng)
        self.sleep = sleep or asyncio.sleep
        limits = httpx.Limits(max_connections=max_connections,
                              max_keepalive_connections=max_connections)
        self.http = httpx.AsyncClient(base_url=self.base_url, transport=transport,
                                      timeout=timeout, limits=limits,
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

    async def send(
        self,
        op: Operation,
        body: dict[str, Any],
        *,
        idempotency_key: str | None = None,
        accept: str = JSON,
        stream: bool = False,
    ) -> httpx.Response:
        """Async :meth:`SyncTransport.send`."""
        content = orjson.dumps(body)
        headers = self._headers(op, idempotency_key, accept)
        attempts = self._attempts(op, idempotency_key)
        refreshed = False
        while True:
            number = attempts.start()
            await self._authenticate(op.id)
            request = self.http.build_request("POST", op.op_path, content=content,
                                              headers=headers)
            self.auth.apply(request)
            failure: GeoperaError | None = None
            delay: float | None = None
            response: httpx.Response | None = None
            try:
                response = await self.http.send(request, stream=stream)
            except httpx.HTTPError as exc:
                delay = attempts.after_exception(exc)
                if delay is None:
                    failure = wrap_transport_error(exc, op.id, number)
                else:
                    self._log_retry(op, type(exc).__name__, delay, attempts)
            if failure is not None:
                raise failure
            if response is None:
                await self.sleep(delay or 0.0)
                continue
            log.debug("geopera: POST %s -> %d (attempt %d)", op.op_path, response.status_code,
                      number)
            if 200 <= response.status_code < 300:
                return response
            if stream:
                await self._drain(response)
            if response.status_code == 401 and self.auth.refreshable and not refreshed:
                refreshed = True
                attempts.number -= 1
                self.auth.invalidate()
                continue
            delay = attempts.after_status(response)
            if delay is None:
                raise from_response(response, op.id)
            self._log_retry(op, f"answered {response.status_code}", delay, attempts)
            await self.sleep(delay)

    @staticmethod
    async def _drain(response: httpx.Response) -> None:
        try:
            await response.aread()
        except httpx.HTTPError:
            pass
        finally:
            await response.aclose()

    async def call(self, op: Operation, body: dict[str, Any], *,
                   idempotency_key: str | None = None) -> dict[str, Any]:
        """Async :meth:`SyncTransport.call`."""
        response = await self.send(op, body, idempotency_key=idempotency_key)
        return parse_json(response, op.id)
