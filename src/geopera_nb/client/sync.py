"""The blocking client: every operation as a method, pages and streams as iterators.

It uses ``httpx.Client`` only (no event loop), so it works unchanged inside a running
Jupyter kernel.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx

from ..contract.limits import CALL_DEADLINE_S, STREAM_DEADLINE_S
from ..contract.states import OrderStatus
from ..errors import GeoperaError
from .base import ClientBase, RateLimitLike
from .deadline import Deadline
from .namespaces import with_operations
from .paging import make_pager
from .reading import SizeCaps, decoded_chunks
from .retry import RetryPolicy
from .sandbox_clock import probe_sandbox
from .secret import Secret
from .streams import NDJSONReader
from .transport import DEFAULT_TIMEOUT, NDJSON, SyncTransport, TimeoutLike
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

__all__ = ["Client"]


@with_operations(is_async=False)
class Client(ClientBase):
    """A Geopera client: ``client.orders.get(order_id=...)`` and the 24 others.

    Parameters
    ----------
    api_key
        A ``gpra_`` API key (sent as ``Authorization: Bearer``).
    base_url
        The API base URL.
    token
        A bearer token to send as is (instead of ``api_key``).
    oidc
        Exchange ``api_key`` for short-lived JWTs (``client_credentials``), refreshed
        before expiry.
    profile
        The profile of ``~/.config/geopera/credentials.json``.
    retry
        The :class:`~geopera_nb.client.RetryPolicy` (default: 5 attempts, 120 s budget).
    timeout
        Seconds (or an ``httpx.Timeout``) per request.
    transport
        An ``httpx.BaseTransport``, e.g. ``httpx.MockTransport`` in tests.
    sleep
        Called with seconds to wait between retries and polls (``time.sleep``).
    clock
        Monotonic clock for retry budgets and ``wait_for`` (``time.monotonic``).
    headers
        Extra headers sent with every request.
    rng
        Jitter source of the retry backoff.
    deadline
        Total seconds of one call: rate-limiter waits, every attempt and every backoff
        sleep included (default ``contract.limits.CALL_DEADLINE_S``, 120 s; ``math.inf``:
        none). Past it: :class:`~geopera_nb.errors.DeadlineExceededError`. Override per
        call with ``deadline=`` on any operation, ``call`` or ``stream``.
    stream_deadline
        Total seconds a stream may keep the client waiting on the server (opening it
        and every chunk; the time your loop holds a record is not counted; default
        ``STREAM_DEADLINE_S``, 30 min).
    rate_limit
        The client-side pacing (:class:`~geopera_nb.client.RateLimiter`): ``True`` (the
        documented per-org limits, 600/60/30 a minute, paced at 90%), the server's own
        limits as a mapping, a limiter to share, or ``False`` (no pacing: tests).
        Clients of one account in one process share one limiter.
    caps
        :class:`~geopera_nb.client.SizeCaps`: how much of an answer is read (128 MiB of
        JSON, 1 MiB of an error, 16 MiB per NDJSON line, 2,000 characters of error text).
    sandbox
        A sandbox handle (``now()``, ``advance(hours=...)``) that ``wait_for`` moves;
        default: a :class:`~geopera_nb.client.sandbox_clock.SandboxClock` when
        ``GEOPERA_SANDBOX_ADMIN_TOKEN`` is set, else none.

    Without ``api_key``/``token``, credentials are found as the official ``geopera``
    CLI finds them: ``GEOPERA_API_TOKEN`` (or ``GEOPERA_API_KEY``), ``GEOPERA_API_URL``
    (or ``GEOPERA_BASE_URL``), ``GEOPERA_PROFILE``, then the profile file.

    Examples
    --------
    >>> import httpx
    >>> def server(request):
    ...     return httpx.Response(200, json={"id": "o-1", "status": "PLACED"})
    >>> client = Client(api_key="gpra_0123456789abcdef", base_url="http://sandbox",
    ...                 transport=httpx.MockTransport(server))
    >>> client
    Client(base_url='http://sandbox', auth=api_key gpra_…cdef, source='arguments')
    >>> client.orders.get(order_id="o-1")["status"]
    'PLACED'
    >>> client.close()
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
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] | None = None,
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
        self._transport = SyncTransport(
            base_url=self.base_url, auth=self._auth, retry=retry, timeout=timeout,
            transport=transport, sleep=sleep, clock=self._clock, rng=rng, headers=headers,
            limiter=self._rate_limiter, caps=caps, deadline=deadline,
            stream_deadline=stream_deadline)
        self._on_close: list[Callable[[], Any]] = []

    # -- lifecycle ---------------------------------------------------------------------

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

    def close(self) -> None:
        """Close the connection pool (and an embedded sandbox started by ``connect``)."""
        self._transport.close()
        self._close_sandbox()
        while self._on_close:
            self._on_close.pop()()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- calls -------------------------------------------------------------------------

    def call(self, op_id: str, body: Mapping[str, Any] | None = None, *,
             idempotency_key: str | None = None,
             deadline: float | None = None) -> dict[str, Any]:
        """Call an operation by id with a body dict: the generic form of every method.

        Parameters
        ----------
        op_id
            The operation id, e.g. ``"orders.get"``.
        body
            The body fields (validated like keyword arguments; AOIs coerced).
        idempotency_key
            For spending operations: pin the key (default: a new UUID v4, reused by
            every retry of this call).
        deadline
            Total seconds of this call, retries and waits included (default: the
            client's ``deadline``).

        Returns
        -------
        dict
            The parsed JSON answer.

        Examples
        --------
        >>> client.call("orders.get", {"order_id": "o-1"})  # doctest: +SKIP
        """
        op, payload = self._prepare(op_id, body)
        key = self._key_for(op, idempotency_key)
        limit = self._transport.new_deadline(op, deadline)
        return self._transport.call(op, payload, idempotency_key=key, deadline=limit)

    def stream(self, op_id: str, body: Mapping[str, Any] | None = None, *,
               deadline: float | None = None) -> Iterator[dict[str, Any]]:
        """The NDJSON form of a list-like operation: records as they arrive.

        The trailer is checked at the end: a stream cut short raises
        :class:`~geopera_nb.errors.TruncatedStreamError`, a bad line
        :class:`~geopera_nb.errors.MalformedStreamError` (with ``.line``), an error
        trailer its typed :class:`~geopera_nb.errors.APIError`. Paged operations stream
        every matching record. ``deadline`` bounds the time the stream keeps you
        waiting on the server (default: the client's ``stream_deadline``), not the time
        your loop spends on each record; a line longer than ``caps.ndjson_line_bytes``
        raises ``MalformedStreamError``.

        Examples
        --------
        >>> for order in client.stream("orders.list", {"status": "PLACED"}):  # doctest: +SKIP
        ...     print(order["id"])
        """
        op, payload = self._streaming(op_id, body)
        limit = self._transport.new_deadline(op, deadline, stream=True)

        def records() -> Iterator[dict[str, Any]]:
            reader = self._reader(op.id)
            for chunk in self._chunks(op, payload, reader, limit):
                yield from reader.iter_records(chunk)
            yield from reader.finish_records()

        return records()

    def stream_bytes(self, op_id: str, body: Mapping[str, Any] | None = None, *,
                     deadline: float | None = None) -> Iterator[bytes]:
        """Like :meth:`stream`, yielding each record's raw JSON line (bytes), unparsed.

        For columnar fast paths that parse in bulk; the trailer is still checked at the
        end (lines are not validated individually).
        """
        op, payload = self._streaming(op_id, body)
        limit = self._transport.new_deadline(op, deadline, stream=True)

        def lines() -> Iterator[bytes]:
            reader = self._reader(op.id)
            for chunk in self._chunks(op, payload, reader, limit):
                yield from reader.lines(chunk)
            yield from reader.finish_lines()

        return lines()

    def _reader(self, op_id: str) -> NDJSONReader:
        caps = self._transport.caps
        return NDJSONReader(op_id, max_line_bytes=caps.ndjson_line_bytes,
                            max_text=caps.error_text_chars)

    def _chunks(self, op: Any, payload: dict[str, Any], reader: NDJSONReader,
                deadline: Deadline) -> Iterator[bytes]:
        """The decoded body of the stream; ``deadline`` runs only while waiting for it."""
        response = self._transport.send(op, payload, accept=NDJSON, stream=True,
                                        deadline=deadline)
        try:
            reader.check_content_type(response)
            chunks = decoded_chunks(response, op.id)
            while True:
                failure: GeoperaError | None = None
                deadline.resume()
                try:
                    if deadline.expired:
                        raise httpx.ReadTimeout("the stream's deadline passed")
                    with deadline.active():
                        chunk = next(chunks)
                except StopIteration:
                    return
                except httpx.HTTPError as exc:
                    failure = (deadline.exceeded(last=type(exc).__name__, why=(
                        f"the stream did not end within its {deadline.seconds:g} s deadline "
                        f"({reader.count} records arrived)")) if deadline.expired
                        else reader.truncated(f"the connection failed ({type(exc).__name__})"))
                finally:
                    deadline.pause()
                if failure is not None:
                    raise failure
                yield chunk
        finally:
            response.close()

    # -- pages -------------------------------------------------------------------------

    def iter_records(self, op_id: str, body: Mapping[str, Any] | None = None, *,
                     page_size: int | None = None,
                     max_items: int | None = None) -> Iterator[dict[str, Any]]:
        """Every record of a list-like operation, fetched page by page as you iterate.

        Spring-paged operations advance ``page``; ``catalog.search`` follows ``next``;
        single-answer lists (``orders.tasking.sensors``...) are one call. A page that
        repeats an earlier one raises :class:`~geopera_nb.errors.PageCycleError`.

        Parameters
        ----------
        op_id
            The operation id.
        body
            Filters (validated like keyword arguments).
        page_size
            Records per request (default: the body's ``size``/``limit`` or 100; max 500).
        max_items
            Stop after this many records.

        Examples
        --------
        >>> for order in client.iter_records("orders.list", {"status": "PLACED"},
        ...                                  max_items=50):  # doctest: +SKIP
        ...     ...
        """
        op = self._operation(op_id)
        self._prepare(op_id, body)  # validate now, not at the first next()
        pager = make_pager(op, dict(body or {}), page_size, max_items)

        def records() -> Iterator[dict[str, Any]]:
            while (request := pager.next_body()) is not None:
                yield from pager.take(self.call(op.id, request))

        return records()

    def iter_orders(self, *, page_size: int | None = None, max_items: int | None = None,
                    **filters: Any) -> Iterator[dict[str, Any]]:
        """Every order matching ``filters`` (``orders.list`` fields), lazily.

        Examples
        --------
        >>> placed = list(client.iter_orders(status="PLACED", max_items=10))  # doctest: +SKIP
        """
        return self.iter_records("orders.list", filters, page_size=page_size,
                                 max_items=max_items)

    def iter_catalog(self, host_name: str = "geopera", *, page_size: int | None = None,
                     max_items: int | None = None, **filters: Any) -> Iterator[dict[str, Any]]:
        """Every archive capture matching ``filters`` (``catalog.search`` fields), lazily.

        Examples
        --------
        >>> captures = list(client.iter_catalog(bbox=[150, -34, 151, -33],
        ...                                     max_items=100))  # doctest: +SKIP
        """
        return self.iter_records("catalog.search", {"host_name": host_name, **filters},
                                 page_size=page_size, max_items=max_items)

    # -- waiting -----------------------------------------------------------------------

    def wait_for(
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
        """Poll an order until it reaches ``until``; bounded, shown, interruptible.

        Parameters
        ----------
        order_id
            The order.
        until
            Statuses or sub-statuses to wait for, or a predicate ``order -> bool``.
        timeout
            Seconds before :class:`~geopera_nb.errors.WaitTimeoutError`; default 600 s of
            wall time, or 30 days of sandbox time on a sandbox.
        poll
            Wall seconds between polls (on a sandbox, ``sandbox_step`` applies instead).
        on_progress
            Called with the order after every poll.
        progress
            Show a tqdm progress display.
        sandbox_step
            On a sandbox (``self.sandbox`` set): sandbox seconds the clock moves between
            polls (``timeout`` then counts sandbox seconds too).

        Returns
        -------
        dict
            The order that satisfied ``until``.

        Raises
        ------
        geopera_nb.errors.OrderFailedError
            The order ended (``FAILED``, ``CANCELED``, ...) otherwise than awaited.
        geopera_nb.errors.WaitTimeoutError
            Time ran out (also a builtin ``TimeoutError``).

        Warns
        -----
        geopera_nb.client.waiting.SandboxWarning
            ``GEOPERA_SANDBOX_ADMIN_TOKEN`` is set but the sandbox clock cannot be read
            with it, or (once per client) a local base URL is a sandbox this client cannot
            move: the wait polls in wall time while the sandbox's clock stands still.

        Examples
        --------
        >>> order = client.wait_for(order_id, until=("FULFILLED",), timeout=60)  # doctest: +SKIP
        """
        sleep: Callable[[float], Any] = self._transport.sleep
        clock = self._clock
        moving: SandboxTime | None = None
        if self.sandbox is not None:
            moving = sandbox_time(self.sandbox, from_env=self.sandbox is self._own_sandbox,
                                  base_url=self.base_url)
        elif not self._sandbox_probed and may_be_sandbox(self.base_url):
            self._sandbox_probed = True
            if probe_sandbox(self._transport.http):
                warn_unmovable(self.base_url)
        if moving is not None:
            sleep, clock, poll = moving.sleep, moving.clock, sandbox_step
        if timeout is None:
            timeout = SANDBOX_WAIT_TIMEOUT if moving is not None else WAIT_TIMEOUT
        waiter = Waiter(order_id, until=until, timeout=timeout, poll=poll, clock=clock)
        bar = waiter.progress_bar(progress)
        try:
            while True:
                order = self.call("orders.get", {"order_id": order_id})
                waiter.report(bar, order, on_progress)
                if waiter.done(order):
                    return order
                sleep(waiter.next_sleep())
        finally:
            if bar is not None:
                bar.close()
