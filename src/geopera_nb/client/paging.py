"""Pages as lazy record iterators, with a guard against pages that never end.

Three kinds, chosen from the contract row (sans-I/O: the clients do the calls):

- Spring pages (``op.paged``: ``orders.list``, studies, quotations, the decisions inbox):
  ``{"content", "totalElements", "totalPages", "size", "number"}``; ``page`` advances
  from the requested start until ``totalPages``, an empty page or ``max_items``.
- ``next`` tokens (``catalog.search``): ``limit`` per page, follow ``next`` until it is
  absent or the page is empty.
- a single answer holding a record list (``op.records``, e.g. ``sensors``).

Guards (:class:`~geopera_nb.errors.PageCycleError`): a page whose ``number`` is not
the one asked for, a page identical to an earlier one, a repeated ``next`` token.

Examples
--------
>>> from geopera_nb.contract import OPERATIONS_BY_ID
>>> pager = make_pager(OPERATIONS_BY_ID["orders.list"], {"status": "PLACED"}, 2, None)
>>> pager.next_body()
{'status': 'PLACED', 'page': 0, 'size': 2}
>>> pager.take({"content": [{"id": 1}, {"id": 2}], "totalPages": 2, "number": 0})
[{'id': 1}, {'id': 2}]
>>> pager.next_body()["page"]
1
>>> pager.take({"content": [{"id": 3}], "totalPages": 2, "number": 1})
[{'id': 3}]
>>> pager.next_body() is None
True
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from ..contract import Operation
from ..contract.limits import CLIENT_PAGE_SIZE, PAGE_SIZE_MAX
from ..errors import PageCycleError, RequestValidationError, ResponseError

__all__ = ["Pager", "SinglePager", "SpringPager", "TokenPager", "make_pager"]



class Pager:
    """Base: ``next_body()`` gives the next request body (``None``: done),
    ``take(answer)`` the records of an answer."""

    def __init__(self, op: Operation, body: dict[str, Any], max_items: int | None) -> None:
        if max_items is not None and max_items < 0:
            raise RequestValidationError("max_items must not be negative", fields=["max_items"])
        self.op = op
        self.body = dict(body)
        self.max_items = max_items
        self.seen = 0
        self.done = max_items == 0

    def next_body(self) -> dict[str, Any] | None:
        raise NotImplementedError

    def take(self, answer: dict[str, Any]) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _limit(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if self.max_items is not None:
            records = records[: self.max_items - self.seen]
            if self.seen + len(records) >= self.max_items:
                self.done = True
        self.seen += len(records)
        return records

    def _records(self, answer: dict[str, Any], field: str) -> list[dict[str, Any]]:
        records = answer.get(field)
        if records is None:
            records = []
        if not isinstance(records, list):
            raise ResponseError(f"{self.op.id}: expected a list in {field!r}, got "
                                f"{type(records).__name__}", operation=self.op.id)
        return records


class SpringPager(Pager):
    """Spring pages: ``page``/``size`` in, ``content``/``number``/``totalPages`` out."""

    def __init__(self, op: Operation, body: dict[str, Any], page_size: int,
                 max_items: int | None) -> None:
        super().__init__(op, body, max_items)
        start = self.body.get("page", 0)
        self.page = start if isinstance(start, int) and start >= 0 else 0
        self.size = page_size
        self.total_pages: int | None = None
        self._digests: set[bytes] = set()

    def body_for(self, page: int) -> dict[str, Any]:
        """The request body for page ``page``."""
        return {**self.body, "page": page, "size": self.size}

    def next_body(self) -> dict[str, Any] | None:
        return None if self.done else self.body_for(self.page)

    def check(self, answer: dict[str, Any], page: int) -> list[dict[str, Any]]:
        """The ``content`` of the answer to page ``page``, after the cycle guards."""
        content = self._records(answer, "content")
        number = answer.get("number")
        if isinstance(number, int) and number != page:
            raise PageCycleError(f"{self.op.id}: asked for page {page}, the server answered "
                                 f"page {number}; stopping to avoid a cycle",
                                 operation=self.op.id)
        if content:
            digest = hashlib.blake2b(orjson.dumps(content), digest_size=16).digest()
            if digest in self._digests:
                raise PageCycleError(f"{self.op.id}: page {page} repeats an earlier page; "
                                     "stopping to avoid a cycle", operation=self.op.id)
            self._digests.add(digest)
        total = answer.get("totalPages")
        if isinstance(total, int):
            self.total_pages = total
        return content

    def take(self, answer: dict[str, Any]) -> list[dict[str, Any]]:
        content = self.check(answer, self.page)
        if not content or (self.total_pages is not None and self.page + 1 >= self.total_pages):
            self.done = True
        self.page += 1
        return self._limit(content)


class TokenPager(Pager):
    """``catalog.search``: ``limit`` per page, continue with the answer's ``next``."""

    def __init__(self, op: Operation, body: dict[str, Any], page_size: int,
                 max_items: int | None, field: str) -> None:
        super().__init__(op, body, max_items)
        self.body["limit"] = page_size
        self.field = field
        self._tokens: set[str] = set()
        token = self.body.get("next")
        if isinstance(token, str):
            self._tokens.add(token)

    def next_body(self) -> dict[str, Any] | None:
        return None if self.done else dict(self.body)

    def take(self, answer: dict[str, Any]) -> list[dict[str, Any]]:
        records = self._records(answer, self.field)
        token = answer.get("next")
        if not records or not isinstance(token, str) or not token:
            self.done = True
        else:
            if token in self._tokens:
                raise PageCycleError(f"{self.op.id}: the server repeated the next token; "
                                     "stopping to avoid a cycle", operation=self.op.id)
            self._tokens.add(token)
            self.body["next"] = token
        return self._limit(records)


class SinglePager(Pager):
    """One call whose answer holds the record list in ``op.records``."""

    def __init__(self, op: Operation, body: dict[str, Any], max_items: int | None,
                 field: str) -> None:
        super().__init__(op, body, max_items)
        self.field = field

    def next_body(self) -> dict[str, Any] | None:
        return None if self.done else dict(self.body)

    def take(self, answer: dict[str, Any]) -> list[dict[str, Any]]:
        self.done = True
        return self._limit(self._records(answer, self.field))


def make_pager(op: Operation, body: dict[str, Any] | None, page_size: int | None,
               max_items: int | None) -> Pager:
    """The pager for ``op`` (see the module docstring).

    ``page_size`` defaults to the body's ``size``/``limit`` or 100, and is capped at 500.
    """
    body = dict(body or {})
    if page_size is None:
        given = body.get("limit" if op.id == "catalog.search" else "size")
        page_size = given if isinstance(given, int) and given > 0 else CLIENT_PAGE_SIZE
    if page_size < 1:
        raise RequestValidationError("page_size must be at least 1", fields=["page_size"])
    page_size = min(page_size, PAGE_SIZE_MAX)
    if op.paged:
        return SpringPager(op, body, page_size, max_items)
    if op.id == "catalog.search":
        return TokenPager(op, body, page_size, max_items, op.records or "features")
    if op.records:
        return SinglePager(op, body, max_items, op.records)
    raise RequestValidationError(
        f"{op.id} does not answer a list of records; use call() instead", operation=op.id)
