"""The asyncio client: the same namespaces, awaitable; async iterators; concurrent pages.

In Jupyter use top-level ``await``: ``await aclient.orders.list()``.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import httpx

from ..contract.limits import CALL_DEADLINE_S, STREAM_DEADLINE_S
from ..contract.states import OrderStatus
from ..errors import GeoperaError, RequestValidationError
from .base import ClientBase, RateLimitLike
from .deadline import Deadline
from .namespaces import with_operations
from .paging import SpringPager, make_pager
from .reading import SizeCaps, adecoded_chunks
from .retry import RetryPolicy
from .sandbox_clock import aprobe_sandbox
from .secret import Secret
from .streams import NDJSONReader
from .transport import DEFAULT_TIMEOUT, NDJSON, AsyncTransport, TimeoutLike
from .waiting import (
    SANDBOX_WAIT_TIMEOUT,
    WAIT_TIMEOUT,
    SandboxTime,
    Until,
    Waiter,
    may_be_sandbox,
    sandbox_time,
    warn_unmovable,
)

__all__ = ["AsyncClient"]


@with_operations(is_async=True)
class AsyncClient(ClientBase):
    """The asyncio Geopera client: ``await aclient.orders.get(order_id=...)``.

    Takes the parameters of :class:`~geopera_nb.client.Client`; ``transport`` is an
    ``httpx.AsyncBaseTransport`` and ``sleep`` an async function. Its rate limiter is
    the one of a sync ``Client`` of the same account in this process (or pass
    ``rate_limit=client.rate_limiter``); the deadline runs under ``asyncio.timeout``.

    Examples
    --------
    >>> import asyncio, httpx
    >>> async def main():
    ...     transport = httpx.MockTransport(lambda r: httpx.Response(200, json={"sensors": []}))
    ...     async with AsyncClient(api_key="gpra_0123456789abcdef", base_url="http://sb",
    ...                            transport=transport) as aclient:
    ...         return await aclient.orders.tasking.sensors()
    >>> asyncio.run(main())
    {'sensors': []}
    """

    def __init__(
        self,
        api_key: str | Secret | None = None,
        *,
        base_url: str | None = None,
        token: str | Secret | None = None,
        oidc: bool = False,
        profile: str | None = None,
        retry: RetryPolicy | None = None,
        timeout: TimeoutLike = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        clock: Callable[[], float] | None = None,
        headers: dict[str, str] | None = None,
        rng: random.Random | None = None,
        deadline: float = CALL_DEADLINE_S,
        stream_deadline: float = STREAM_DEADLINE_S,
        rate_limit: RateLimitLike = True,
        caps: SizeCaps | None = None,
        sandbox: Any = None,
    ) -> None:
        super().__init__(api_key, base_url=base_url, token=token, oidc=oidc, profile=profile,
                         clock=clock, rate_limit=rate_limit, sandbox=sandbox)
        self._transport = AsyncTransport(
            base_url=self.base_url, auth=self._auth, retry=retry, timeout=timeout,
            transport=transport, sleep=sleep, clock=self._clock, rng=rng, headers=headers,
            limiter=self._rate_limiter, caps=caps, deadline=deadline,
            stream_deadline=stream_deadline)

    @property
    def retry(self) -> RetryPolicy:
        """The retry policy in force."""
        return self._transport.retry

    @property
    def deadline(self) -> float:
        """Default total seconds of one call."""
        return self._transport.deadline

    @property
    def caps(self) -> SizeCaps:
        """The size caps in force."""
        return self._transport.caps

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._transport.aclose()
        self._close_sandbox()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def call(self, op_id: str, body: Mapping[str, Any] | None = None, *,
                   idempotency_key: str | None = None,
                   deadline: float | None = None) -> dict[str, Any]:
        """Async :meth:`geopera_nb.client.Client.call`."""
        op, payload = self._prepare(op_id, body)
        key = self._key_for(op, idempotency_key)
        limit = self._transport.new_deadline(op, deadline)
        return await self._transport.call(op, payload, idempotency_key=key, deadline=limit)

    # -- streams -----------------------------------------------------------------------

    def astream(self, op_id: str, body: Mapping[str, Any] | None = None, *,
                deadline: float | None = None) -> AsyncIterator[dict[str, Any]]:
        """Async :meth:`geopera_nb.client.Client.stream` (``async for record in ...``)."""
        op, payload = self._streaming(op_id, body)
        limit = self._transport.new_deadline(op, deadline, stream=True)

        async def records() -> AsyncIterator[dict[str, Any]]:
            reader = self._reader(op.id)
            async for chunk in self._chunks(op, payload, reader, limit):
                for record in reader.iter_records(chunk):
                    yield record
            for record in reader.finish_records():
                yield record

        return records()

    def astream_bytes(self, op_id: str, body: Mapping[str, Any] | None = None, *,
                      deadline: float | None = None) -> AsyncIterator[bytes]:
        """Async :meth:`geopera_nb.client.Client.stream_bytes`."""
        op, payload = self._streaming(op_id, body)
        limit = self._transport.new_deadline(op, deadline, stream=True)

        async def lines() -> AsyncIterator[bytes]:
            reader = self._reader(op.id)
            async for chunk in self._chunks(op, payload, reader, limit):
                for line in reader.lines(chunk):
                    yield line
            for line in reader.finish_lines():
                yield line

        return lines()

    def _reader(self, op_id: str) -> NDJSONReader:
        caps = self._transport.caps
        return NDJSONReader(op_id, max_line_bytes=caps.ndjson_line_bytes,
                            max_text=caps.error_text_chars)

    async def _chunks(self, op: Any, payload: dict[str, Any], reader: NDJSONReader,
                      deadline: Deadline) -> AsyncIterator[bytes]:
        response = await self._transport.send(op, payload, accept=NDJSON, stream=True,
                                              deadline=deadline)
        try:
            reader.check_content_type(response)
            chunks = adecoded_chunks(response, op.id)
            while True:
                failure: GeoperaError | None = None
                timed_out = False
                deadline.resume()
                try:
                    async with asyncio.timeout(deadline.clamp(None)):
                        chunk = await chunks.__anext__()
                except StopAsyncIteration:
                    return
                except httpx.HTTPError as exc:
                    failure = reader.truncated(f"the connection failed ({type(exc).__name__})")
                except TimeoutError as exc:
                    if isinstance(exc, GeoperaError):
                        raise
                    timed_out = True
                finally:
                    deadline.pause()
                if timed_out:
                    failure = deadline.exceeded(why=(
                        f"the stream did not end within its {deadline.seconds:g} s deadline "
                        f"({reader.count} records arrived)"))
                if failure is not None:
                    raise failure
                yield chunk
        finally:
            await response.aclose()

    # -- pages -------------------------------------------------------------------------

    def aiter_records(self, op_id: str, body: Mapping[str, Any] | None = None, *,
                      page_size: int | None = None,
                      max_items: int | None = None) -> AsyncIterator[dict[str, Any]]:
        """Async :meth:`geopera_nb.client.Client.iter_records` (one page at a time)."""
        op = self._operation(op_id)
        self._prepare(op_id, body)
        pager = make_pager(op, dict(body or {}), page_size, max_items)

        async def records() -> AsyncIterator[dict[str, Any]]:
            while (request := pager.next_body()) is not None:
                for record in pager.take(await self.call(op.id, request)):
                    yield record

        return records()

    def aiter_orders(self, *, page_size: int | None = None, max_items: int | None = None,
                     **filters: Any) -> AsyncIterator[dict[str, Any]]:
        """Async :meth:`geopera_nb.client.Client.iter_orders`."""
        return self.aiter_records("orders.list", filters, page_size=page_size,
                                  max_items=max_items)

    def aiter_catalog(self, host_name: str = "geopera", *, page_size: int | None = None,
                      max_items: int | None = None, **filters: Any
                      ) -> AsyncIterator[dict[str, Any]]:
        """Async :meth:`geopera_nb.client.Client.iter_catalog`."""
        return self.aiter_records("catalog.search", {"host_name": host_name, **filters},
                                  page_size=page_size, max_items=max_items)

    async def all_records(self, op_id: str, body: Mapping[str, Any] | None = None, *,
                          page_size: int | None = None, concurrency: int = 8,
                          max_items: int | None = None) -> list[dict[str, Any]]:
        """Every record of a paged operation, fetching pages concurrently, in order.

        Page 0 (or the body's ``page``) first, to learn ``totalPages``; then the other
        pages at most ``concurrency`` at a time. Records come back in page order.
        ``catalog.search`` (``next`` tokens) and single answers are fetched in sequence.
        If the list changes while it is read, concurrent pages may overlap or miss a
        record; for a consistent view filter on a fixed set (``orderIds``).

        Examples
        --------
        >>> orders = await aclient.all_records("orders.list", {"status": "PLACED"},
        ...                                    concurrency=8)  # doctest: +SKIP
        """
        if concurrency < 1:
            raise RequestValidationError("concurrency must be at least 1",
                                         fields=["concurrency"])
        op = self._operation(op_id)
        self._prepare(op_id, body)
        pager = make_pager(op, dict(body or {}), page_size, max_items)
        if not isinstance(pager, SpringPager):
            return [record async for record in self.aiter_records(
                op_id, body, page_size=page_size, max_items=max_items)]
        first_page = pager.page
        first_body = pager.next_body()
        if first_body is None:
            return []
        records = pager.take(await self.call(op.id, first_body))
        if pager.done or pager.total_pages is None:
            async for record in self._rest(pager, op.id):
                records.append(record)
            return records
        last = pager.total_pages
        if max_items is not None:
            needed = -(-max_items // pager.size)  # pages holding max_items
            last = min(last, first_page + needed)
        pages = list(range(first_page + 1, last))
        semaphore = asyncio.Semaphore(concurrency)

        async def fetch(page: int) -> dict[str, Any]:
            async with semaphore:
                return await self.call(op.id, pager.body_for(page))

        tasks = [asyncio.ensure_future(fetch(page)) for page in pages]
        try:
            answers = await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        for page, answer in zip(pages, answers, strict=True):
            content = pager.check(answer, page)
            if not content:
                break
            records.extend(content)
        if max_items is not None:
            records = records[:max_items]
        return records

    async def _rest(self, pager: SpringPager, op_id: str) -> AsyncIterator[dict[str, Any]]:
        while (request := pager.next_body()) is not None:
            for record in pager.take(await self.call(op_id, request)):
                yield record

    # -- waiting -----------------------------------------------------------------------

    async def wait_for(
        self,
        order_id: str,
        until: Until = (OrderStatus.FULFILLED,),
        *,
        timeout: float | None = None,
        poll: float = 2.0,
        on_progress: Callable[[dict[str, Any]], Any] | None = None,
        progress: bool = True,
        sandbox_step: float = 3600.0,
    ) -> dict[str, Any]:
        """Async :meth:`geopera_nb.client.Client.wait_for` (cancellation propagates)."""
        moving: SandboxTime | None = None
        clock = self._clock
        if self.sandbox is not None:
            moving = await asyncio.to_thread(
                sandbox_time, self.sandbox, from_env=self.sandbox is self._own_sandbox,
                base_url=self.base_url)
        elif not self._sandbox_probed and may_be_sandbox(self.base_url):
            self._sandbox_probed = True
            if await aprobe_sandbox(self._transport.http):
                warn_unmovable(self.base_url)
        if moving is not None:
            clock, poll = moving.clock, sandbox_step
        if timeout is None:
            timeout = SANDBOX_WAIT_TIMEOUT if moving is not None else WAIT_TIMEOUT
        waiter = Waiter(order_id, until=until, timeout=timeout, poll=poll, clock=clock)
        bar = waiter.progress_bar(progress)
        try:
            while True:
                order = await self.call("orders.get", {"order_id": order_id})
                waiter.report(bar, order, on_progress)
                if waiter.done(order):
                    return order
                if moving is not None:
                    await asyncio.to_thread(moving.sleep, waiter.next_sleep())
                else:
                    await self._transport.sleep(waiter.next_sleep())
        finally:
            if bar is not None:
                bar.close()

