"""What every operation handler gets (:class:`Call`) and the helpers they share.

Handlers take a :class:`Call` (backend, principal, validated body, clock, the open write
transaction of an operation that changes state) and return the answer object. They never
see HTTP: the ``http`` layer authenticates, checks scopes, validates, applies
idempotency and serialises.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from geopera_nb.contract.limits import PAGE_MAX, PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX
from geopera_nb.geo import GeometryRejected

from ..domain.rejections import DomainError, from_geometry
from ..problems import Invalid, Problem
from ..state.auth import Principal
from ..state.backend import Backend
from ..state.store import Tx

__all__ = ["Call", "check_paging", "domain_call", "page_shape"]


@dataclass
class Call:
    """One operation call, as the handler sees it."""

    backend: Backend
    principal: Principal
    body: dict[str, Any]
    now_ms: int
    tx: Tx | None = None
    stream_all: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def org_id(self) -> str:
        """The caller's org."""
        return self.principal.org_id

    @property
    def db(self) -> Any:
        """The transaction when there is one, else the store (reads)."""
        return self.tx if self.tx is not None else self.backend.store

    def write_tx(self) -> Tx:
        """The open write transaction (operations that change state)."""
        assert self.tx is not None, "this operation needs a write transaction"
        return self.tx

    def paging(self) -> tuple[int, int | None]:
        """``(page, size)`` of a paged call; size ``None`` when streaming everything."""
        page = int(self.body.get("page", 0))
        size = int(self.body.get("size", PAGE_SIZE_DEFAULT))
        check_paging(page, size)
        return (0, None) if self.stream_all else (page, size)

    def page(self, items: list[Any], total: int) -> dict[str, Any]:
        """The Spring page of ``items`` (one page, or everything when streaming)."""
        page, size = self.paging()
        return page_shape(items, total, page, size if size is not None else max(total, 1))


def check_paging(page: int, size: int) -> None:
    """422 unless ``0 <= page <= PAGE_MAX`` and ``1 <= size <= PAGE_SIZE_MAX``."""
    if not 0 <= page <= PAGE_MAX:
        raise Invalid.at(["body", "page"], f"page must be between 0 and {PAGE_MAX}")
    if not 1 <= size <= PAGE_SIZE_MAX:
        raise Invalid.at(["body", "size"], f"size must be between 1 and {PAGE_SIZE_MAX}")


def page_shape(content: list[Any], total: int, page: int, size: int) -> dict[str, Any]:
    """The Spring page ``{content, totalElements, totalPages, size, number}``.

    Examples
    --------
    >>> page_shape([1, 2], 5, 0, 2)["totalPages"]
    3
    """
    return {"content": content, "totalElements": total,
            "totalPages": (total + size - 1) // size if size else 0,
            "size": size, "number": page}


def domain_call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a domain function, turning its rejections into answers (422 with ``loc``s)."""
    try:
        return fn(*args, **kwargs)
    except GeometryRejected as exc:
        err = from_geometry(exc)
        raise Invalid([dict(p, loc=["body", *p["loc"]]) for p in err.detail()]) from exc
    except DomainError as exc:
        if exc.status == 422:
            raise Invalid([dict(p, loc=["body", *p["loc"]]) for p in exc.detail()]) from exc
        raise Problem(exc.status, exc.msg) from exc
    except RecursionError as exc:
        raise Invalid.at(["body"], "request body is nested too deeply") from exc
