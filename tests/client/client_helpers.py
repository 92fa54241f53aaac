"""Shared helpers of the client tests (imported by conftest and test modules)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

KEY = "gpra_test0123456789abcdefWXYZ"
BASE = "http://geopera.test"

Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class FakeTime:
    """A monotonic clock that only moves when someone sleeps."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


@dataclass
class Recorder:
    """A MockTransport handler that records requests and answers from ``handler``."""

    handler: Handler
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self.handler(request)

    @property
    def api_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path.startswith("/v1/")]

    def bodies(self) -> list[Any]:
        return [orjson.loads(r.content) if r.content else None for r in self.api_requests]


def sequence(*responses: httpx.Response | Exception) -> Handler:
    """A handler answering each item in turn (exceptions are raised); the last repeats."""
    items = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        item = items.pop(0) if len(items) > 1 else items[0]
        if isinstance(item, Exception):
            raise item
        return item

    return handler


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None
                  ) -> httpx.Response:
    return httpx.Response(status, content=orjson.dumps(data),
                          headers={"content-type": "application/json", **(headers or {})})


def problem(status: int, detail: str, slug: str = "error", headers: dict[str, str] | None = None,
            **extra: Any) -> httpx.Response:
    body = {"type": f"https://api.geopera.com/problems/{slug}", "title": "T", "status": status,
            "detail": detail, **extra}
    return httpx.Response(status, content=orjson.dumps(body),
                          headers={"content-type": "application/problem+json",
                                   **(headers or {})})




class VirtualClock:
    """Time for many workers (threads or asyncio tasks) that moves only when every busy
    worker sleeps, then jumps to the earliest wake-up: concurrent sleeps overlap as they
    would in real time, and a request is sent exactly when its sleep ends.

    Wrap each worker's job in ``with clock.worker():``; pass ``clock.monotonic`` and
    ``clock.sleep`` (threads) or ``clock.asleep`` (tasks) to the client.
    """

    def __init__(self, now: float = 10_000.0) -> None:
        import threading

        self.now = now
        self.cond = threading.Condition()
        self.busy = 0
        self.sleepers: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def _advance(self) -> None:
        if self.sleepers and len(self.sleepers) >= self.busy:
            earliest = min(self.sleepers)
            if earliest > self.now:
                self.now = earliest
                self.cond.notify_all()

    def worker(self) -> Any:
        import contextlib

        @contextlib.contextmanager
        def scope() -> Any:
            with self.cond:
                self.busy += 1
            try:
                yield
            finally:
                with self.cond:
                    self.busy -= 1
                    self._advance()

        return scope()

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        with self.cond:
            target = self.now + seconds
            self.sleepers.append(target)
            try:
                self._advance()
                while self.now < target:
                    if not self.cond.wait(timeout=30):  # pragma: no cover
                        raise RuntimeError("virtual clock stuck")
            finally:
                self.sleepers.remove(target)

    async def asleep(self, seconds: float) -> None:
        import asyncio

        if seconds <= 0:
            await asyncio.sleep(0)
            return
        target = self.now + seconds
        self.sleepers.append(target)
        try:
            while self.now < target:
                with self.cond:
                    self._advance()
                if self.now < target:
                    await asyncio.sleep(0)
        finally:
            self.sleepers.remove(target)
