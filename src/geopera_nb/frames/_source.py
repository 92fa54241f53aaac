"""How frames read from a client: records, raw NDJSON bytes, many orders at once.

Frames only ever talk to a client (``gn.Client`` or anything duck-typed like it:
``stream``, ``stream_bytes``, ``iter_records``, ``call``), never to HTTP.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

import orjson

from geopera_nb.client.streams import check_trailer, split_trailer
from geopera_nb.contract.limits import FILTER_VALUES_MAX
from geopera_nb.frames._batch import ProgressCallback, run_batch

T = TypeVar("T")

#: default number of orders fetched at once by the many-order frames
DEFAULT_CONCURRENCY = 8


def order_ids(order_id_or_ids: str | Iterable[str]) -> list[str]:
    """Normalise one id or many ids (any iterable, a Series...) to a list of str.

    Examples
    --------
    >>> order_ids("a"), order_ids(["a", "b", "a"])
    (['a'], ['a', 'b'])
    """
    if isinstance(order_id_or_ids, str):
        return [order_id_or_ids]
    seen: dict[str, None] = {}
    for value in order_id_or_ids:
        seen.setdefault(str(value), None)
    return list(seen)


def iter_records(client: Any, op_id: str, body: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
    """All records of a list-like operation.

    Uses ``client.stream`` (one NDJSON request, trailer checked by the client) when the
    client has it, else ``client.iter_records`` (pages or ``next`` tokens).
    """
    body = dict(body or {})
    stream = getattr(client, "stream", None)
    if callable(stream):
        yield from stream(op_id, body)
        return
    yield from client.iter_records(op_id, body)


def call(client: Any, op_id: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """One JSON call through ``client.call``."""
    result: dict[str, Any] = client.call(op_id, dict(body or {}))
    return result


def ndjson_lines(client: Any, op_id: str, body: dict[str, Any]) -> list[bytes]:
    """The record lines (bytes, no newline) of ``op_id``'s NDJSON answer, trailer checked.

    Uses ``client.stream_bytes`` (which checks the trailer and drops it). A duck-typed
    client that hands the trailer line through gets it checked here. Without
    ``stream_bytes`` the records of :func:`iter_records` are re-serialised with orjson.
    """
    stream_bytes = getattr(client, "stream_bytes", None)
    if not callable(stream_bytes):
        return [orjson.dumps(r) for r in iter_records(client, op_id, body)]
    lines = [line for line in stream_bytes(op_id, body) if line.strip()]
    if lines and b'"stream"' in lines[-1][:16]:
        end, trailer = split_trailer(lines[-1])
        if trailer is not None and end == 0:
            lines.pop()
            check_trailer(trailer, len(lines), op_id)
    return [line.rstrip(b"\r\n") if line.endswith(b"\n") else line for line in lines]


def map_orders(
    fn: Callable[[str], T],
    ids: Sequence[str],
    concurrency: int = DEFAULT_CONCURRENCY,
    *,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> list[T]:
    """``[fn(id) for id in ids]``, run on a thread pool, results in input order.

    The first exception raised by any call is re-raised; ``progress`` and ``cancel``
    are those of :func:`geopera_nb.frames._batch.run_batch`.
    """
    return run_batch(fn, ids, concurrency=concurrency, progress=progress, cancel=cancel)


def lookup_orders(client: Any, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The order records (type, status, displayName, geometry...) of ``ids``, by id.

    One ``orders.list`` call per :data:`~geopera_nb.contract.limits.FILTER_VALUES_MAX`
    ids (the ``orderIds`` filter). When the ids are most of the org's orders (more than
    two chunks, and at least a fifth of the org, as one ``size=1`` page tells), the
    whole org is listed in one call instead. Ids the list does not hold are absent.

    Examples
    --------
    >>> class Fake:
    ...     calls = 0
    ...     def iter_records(self, op, body):
    ...         Fake.calls += 1
    ...         return iter([{"id": i, "type": "ARCHIVE"} for i in body["orderIds"].split(",")])
    >>> sorted(lookup_orders(Fake(), ["a", "b"])), Fake.calls
    (['a', 'b'], 1)
    """
    wanted = order_ids(ids)
    if not wanted:
        return {}
    chunk = FILTER_VALUES_MAX
    found: dict[str, dict[str, Any]] = {}
    keep = set(wanted)
    if len(wanted) > 2 * chunk:
        total = int(call(client, "orders.list", {"size": 1}).get("totalElements") or 0)
        if total <= 5 * len(wanted):
            for record in iter_records(client, "orders.list", {}):
                if record.get("id") in keep:
                    found[str(record["id"])] = record
            return found
    for start in range(0, len(wanted), chunk):
        part = wanted[start:start + chunk]
        for record in iter_records(client, "orders.list", {"orderIds": ",".join(part)}):
            if record.get("id") in keep:
                found[str(record["id"])] = record
    return found
