"""The one exception the domain layer raises: :class:`DomainError`.

The server turns it into an answer: 422 as ``{"detail": [{"loc", "msg", "type"}]}``
(``loc`` here is relative to the request body: the server prepends ``"body"``), any
other status as an RFC 7807 problem with ``msg`` as its ``detail``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from geopera_nb.geo import GeometryRejected

__all__ = ["DomainError", "from_geometry"]

Loc = tuple[str | int, ...]


class DomainError(Exception):
    """A domain rejection.

    Parameters
    ----------
    status
        404 (unknown thing), 409 (wrong state), 410 (gone) or 422 (bad input).
    loc
        Where in the body the problem is, e.g. ``("groups", 0, "featureCollection")``.
    msg
        Why, in words.
    type
        The 422 item type, e.g. ``"value_error"``.
    problems
        For 422 with several reasons: every ``{"loc", "msg", "type"}`` item.

    Examples
    --------
    >>> err = DomainError(422, ("groups", 0, "sensor"), "unknown sensor 'x'")
    >>> err.detail()
    [{'loc': ['groups', 0, 'sensor'], 'msg': "unknown sensor 'x'", 'type': 'value_error'}]
    """

    def __init__(
        self,
        status: int,
        loc: Sequence[str | int],
        msg: str,
        type: str = "value_error",
        problems: Sequence[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(msg)
        self.status = status
        self.loc: Loc = tuple(loc)
        self.msg = msg
        self.type = type
        self.problems: list[dict[str, Any]] = (
            [dict(p) for p in problems]
            if problems
            else [{"loc": list(self.loc), "msg": msg, "type": type}]
        )

    def detail(self) -> list[dict[str, Any]]:
        """The 422 ``detail`` list (``loc`` relative to the body)."""
        return [dict(p, loc=list(p["loc"])) for p in self.problems]

    def __repr__(self) -> str:
        return f"DomainError({self.status}, {self.loc!r}, {self.msg!r})"


def from_geometry(exc: GeometryRejected) -> DomainError:
    """A 422 :class:`DomainError` carrying every geometry problem (first one as loc/msg).

    Examples
    --------
    >>> from geopera_nb.geo import GeometryProblem
    >>> from_geometry(GeometryRejected([GeometryProblem(("f",), "bad")])).loc
    ('f',)
    """
    first = exc.problems[0]
    return DomainError(
        422,
        first.loc,
        "; ".join(p.msg for p in exc.problems),
        type=first.type,
        problems=[p.as_detail() for p in exc.problems],
    )
