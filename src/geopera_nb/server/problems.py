"""Errors the sandbox answers with: RFC 7807 problems and the 422 ``detail`` list.

Backend code raises :class:`Problem` (401/402/403/404/409/410/413/429/500) or
:class:`Invalid` (422); the app turns them into responses. Nothing here ever puts a
credential into a message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from geopera_nb.contract.limits import ERROR_TEXT_MAX_CHARS

PROBLEM_BASE = "https://api.geopera.com/problems/"

#: status -> (type slug, title)
_KINDS: dict[int, tuple[str, str]] = {
    400: ("bad-request", "Bad Request"),
    401: ("unauthenticated", "Unauthorized"),
    402: ("insufficient-credits", "Payment Required"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not Found"),
    405: ("method-not-allowed", "Method Not Allowed"),
    408: ("request-timeout", "Request Timeout"),
    409: ("conflict", "Conflict"),
    410: ("gone", "Gone"),
    413: ("payload-too-large", "Payload Too Large"),
    415: ("unsupported-media-type", "Unsupported Media Type"),
    429: ("rate-limited", "Too Many Requests"),
    500: ("internal", "Internal Server Error"),
}

PROBLEM_MEDIA_TYPE = "application/problem+json"


class Problem(Exception):
    """An RFC 7807 problem answer.

    Parameters
    ----------
    status
        HTTP status code.
    detail
        Human-readable explanation (never containing a secret).
    headers
        Extra response headers (e.g. ``Retry-After``).
    **extra
        Extra members of the problem object (``scope``, ``operation``, ...).
    """

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        detail = detail[:ERROR_TEXT_MAX_CHARS]  # a hostile path or value never makes it long
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        """The problem object: ``{type, title, status, detail, ...extra}``."""
        slug, title = _KINDS.get(self.status, ("error", "Error"))
        return {
            "type": PROBLEM_BASE + slug,
            "title": title,
            "status": self.status,
            "detail": self.detail,
            **self.extra,
        }

    def body(self) -> bytes:
        """The serialised problem object."""
        return orjson.dumps(self.to_dict())


class Invalid(Exception):
    """A 422 answer in FastAPI's shape: ``{"detail": [{loc, msg, type}, ...]}``.

    Parameters
    ----------
    errors
        The error items; each has ``loc`` (a list into the request), ``msg``, ``type``.
    """

    def __init__(self, errors: Sequence[dict[str, Any]]) -> None:
        super().__init__(errors[0]["msg"] if errors else "invalid request")
        self.errors = list(errors)

    @classmethod
    def at(cls, loc: Sequence[str | int], msg: str, type_: str = "value_error") -> Invalid:
        """One error at ``loc``."""
        return cls([{"loc": list(loc), "msg": msg, "type": type_}])

    def body(self) -> bytes:
        """The serialised ``{"detail": [...]}`` object."""
        return orjson.dumps({"detail": self.errors})


def conflict(detail: str, **extra: Any) -> Problem:
    """A 409 problem (invalid state transition, lost race, idempotency mismatch)."""
    return Problem(409, detail, **extra)


def pydantic_errors(errors: Sequence[Any], prefix: Sequence[str | int] = ("body",)) -> Invalid:
    """Convert pydantic ``ValidationError.errors()`` into an :class:`Invalid`.

    Parameters
    ----------
    errors
        ``exc.errors(include_url=False)`` of a pydantic validation error.
    prefix
        What ``loc`` starts with (``("body",)`` for request bodies).
    """
    items: list[dict[str, Any]] = []
    for err in errors:
        loc = [*prefix, *[p if isinstance(p, int | str) else str(p) for p in err.get("loc", ())]]
        items.append({"loc": loc, "msg": str(err.get("msg", "invalid")),
                      "type": str(err.get("type", "value_error"))})
    return Invalid(items or [{"loc": list(prefix), "msg": "invalid", "type": "value_error"}])
