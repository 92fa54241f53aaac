"""The exception tree of geopera-nb: every failure raises, nothing returns ``None``.

::

    GeoperaError
    ├── CredentialsError            no usable credentials, token exchange/refresh failed
    ├── RequestValidationError      (also TypeError) a bad argument, caught before sending
    │   └── AOIError                (also ValueError) an AOI that cannot be read
    ├── TransportError              the request did not complete
    │   ├── ConnectError
    │   └── RequestTimeoutError     (also builtins.TimeoutError)
    │       └── DeadlineExceededError  the call's total deadline passed (``.deadline``)
    ├── ResponseError               a 2xx answer the client cannot read
    │   ├── ResponseTooLargeError   an answer over the client's size cap (``.limit``)
    │   ├── PageCycleError          a paged answer that repeats itself
    │   └── StreamError             an NDJSON stream that is not whole
    │       ├── TruncatedStreamError
    │       └── MalformedStreamError  (``.line``: 1-based line number)
    ├── APIError                    the server answered an error (``.status``, ``.problem``)
    │   ├── UnauthenticatedError    401
    │   ├── InsufficientCreditsError 402
    │   ├── ForbiddenError          403 (``.scope``)
    │   ├── NotFoundError           404
    │   ├── ConflictError           409
    │   ├── GoneError               410
    │   ├── ValidationError         422 (``.errors``: every ``{loc, msg, type}``)
    │   ├── RateLimitedError        429 (``.retry_after`` seconds)
    │   └── ServerError             5xx
    ├── OrderFailedError            ``wait_for``: the order ended in another status
    └── WaitTimeoutError            (also builtins.TimeoutError) ``wait_for`` ran out of time

No exception here holds an ``httpx.Request`` (whose headers carry the credential) and
no message contains a secret.

Examples
--------
>>> import httpx
>>> from geopera_nb import errors
>>> response = httpx.Response(
...     403,
...     headers={"content-type": "application/problem+json"},
...     json={"type": "https://api.geopera.com/problems/forbidden", "title": "Forbidden",
...           "status": 403,
...           "detail": "missing scope 'orders:write' for 'orders.archive.place'"},
... )
>>> err = errors.from_response(response, "orders.archive.place")
>>> type(err).__name__, err.status, err.scope
('ForbiddenError', 403, 'orders:write')
>>> isinstance(err, errors.APIError)
True
"""

from __future__ import annotations

import builtins
import email.utils
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import httpx
import orjson

__all__ = [
    "AOIError",
    "APIError",
    "ConflictError",
    "ConnectError",
    "CredentialsError",
    "DeadlineExceededError",
    "DecisionRequiredError",
    "ForbiddenError",
    "GeoperaError",
    "GoneError",
    "InsufficientCreditsError",
    "MalformedStreamError",
    "NotFoundError",
    "OrderFailedError",
    "PageCycleError",
    "RateLimitedError",
    "RequestTimeoutError",
    "RequestValidationError",
    "ResponseError",
    "ResponseTooLargeError",
    "ServerError",
    "StreamError",
    "TransportError",
    "TruncatedStreamError",
    "UnauthenticatedError",
    "ValidationError",
    "WaitTimeoutError",
    "cut_text",
    "from_problem",
    "from_response",
    "parse_retry_after",
]


class GeoperaError(Exception):
    """Base of every error geopera-nb raises."""


class CredentialsError(GeoperaError):
    """No usable credentials were found, or a token exchange or refresh failed."""


class RequestValidationError(GeoperaError, builtins.TypeError):
    """A keyword argument failed local validation; nothing was sent.

    Parameters
    ----------
    message
        What is wrong, naming the field(s).
    fields
        The dotted paths of the offending fields, e.g. ``["orderId"]`` or
        ``["groups[0].featureCollection"]``.
    errors
        Pydantic-style error items ``{"loc", "msg", "type"}`` (never the input values).
    operation
        The operation id, when known.

    Examples
    --------
    >>> err = RequestValidationError("bad", fields=["size"])
    >>> isinstance(err, TypeError), err.fields
    (True, ['size'])
    """

    def __init__(
        self,
        message: str,
        *,
        fields: Sequence[str] = (),
        errors: Sequence[Mapping[str, Any]] = (),
        operation: str | None = None,
    ) -> None:
        super().__init__(message)
        self.fields: list[str] = list(fields)
        self.errors: list[dict[str, Any]] = [dict(e) for e in errors]
        self.operation = operation


class AOIError(RequestValidationError, builtins.ValueError):
    """An area of interest that cannot be turned into a GeoJSON FeatureCollection."""


class TransportError(GeoperaError):
    """The HTTP exchange did not complete (after any retries).

    ``operation`` and ``attempts`` tell what was tried; the underlying httpx
    exception is summarised in the message, never attached (it holds the request).
    """

    def __init__(self, message: str, *, operation: str | None = None, attempts: int = 1) -> None:
        super().__init__(message)
        self.operation = operation
        self.attempts = attempts


class ConnectError(TransportError):
    """The connection failed, was reset or closed before an answer arrived."""


class RequestTimeoutError(TransportError, builtins.TimeoutError):
    """Connecting, sending or reading timed out (also a builtin :class:`TimeoutError`)."""


class DeadlineExceededError(RequestTimeoutError):
    """The call's total deadline passed (rate-limiter waits, attempts and backoff included).

    ``deadline`` is the deadline in seconds; the message names it.

    Examples
    --------
    >>> err = DeadlineExceededError("orders.get: no answer within its 2 s deadline",
    ...                             operation="orders.get", deadline=2.0)
    >>> isinstance(err, TimeoutError), err.deadline
    (True, 2.0)
    """

    def __init__(self, message: str, *, operation: str | None = None, attempts: int = 1,
                 deadline: float) -> None:
        super().__init__(message, operation=operation, attempts=attempts)
        self.deadline = deadline


class ResponseError(GeoperaError):
    """A success answer the client cannot read (wrong content type, invalid JSON).

    Attributes
    ----------
    operation, status, content_type
        Where the answer came from and what it claimed to be.
    """

    def __init__(
        self,
        message: str,
        *,
        operation: str | None = None,
        status: int | None = None,
        content_type: str | None = None,
    ) -> None:
        super().__init__(message)
        self.operation = operation
        self.status = status
        self.content_type = content_type


class ResponseTooLargeError(ResponseError):
    """An answer larger than the client's cap; reading stopped there (``limit`` bytes)."""

    def __init__(self, message: str, *, operation: str | None = None, status: int | None = None,
                 content_type: str | None = None, limit: int) -> None:
        super().__init__(message, operation=operation, status=status, content_type=content_type)
        self.limit = limit


class PageCycleError(ResponseError):
    """A paged answer repeated a page or a ``next`` token: iterating would never end."""


class StreamError(ResponseError):
    """An NDJSON stream that cannot be trusted to be complete."""

    def __init__(
        self,
        message: str,
        *,
        operation: str | None = None,
        records: int = 0,
        line: int | None = None,
        content_type: str | None = None,
    ) -> None:
        super().__init__(message, operation=operation, content_type=content_type)
        self.records = records
        self.line = line


class TruncatedStreamError(StreamError):
    """The stream ended without its trailer, or with fewer records than it announced.

    ``records`` is how many records arrived; they are *not* the whole answer.
    """


class MalformedStreamError(StreamError):
    """A line of the stream is not a JSON object; ``line`` is its 1-based number."""


_STATUS_TITLES: dict[int, str] = {
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    410: "Gone",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
}


class APIError(GeoperaError):
    """The server answered an error status.

    Attributes
    ----------
    status : int
        The HTTP status.
    problem : dict
        The server's RFC 7807 problem object (``type``, ``title``, ``status``,
        ``detail`` and any extra members), or for a 422 ``{"detail": [...]}``.
    detail : str
        The human-readable explanation.
    title : str
        The problem title.
    type : str
        The problem type URI.
    operation : str or None
        The operation id that failed.
    headers : dict
        The response headers (credentials are never in response headers).
    """

    def __init__(
        self,
        problem: Mapping[str, Any],
        *,
        status: int | None = None,
        operation: str | None = None,
        headers: Mapping[str, str] | None = None,
        max_text: int | None = None,
    ) -> None:
        self.problem: dict[str, Any] = dict(problem)
        raw_status = status if status is not None else self.problem.get("status", 0)
        try:
            self.status: int = int(raw_status) if isinstance(raw_status, int | str) else 0
        except ValueError:
            self.status = 0
        self.operation = operation
        self.headers: dict[str, str] = dict(headers or {})
        self.title: str = cut_text(
            str(self.problem.get("title") or _STATUS_TITLES.get(self.status, "Error")), max_text)
        self.type: str = cut_text(str(self.problem.get("type") or "about:blank"), max_text)
        detail = self.problem.get("detail")
        text = detail if isinstance(detail, str) else self._detail_text(detail)
        self.detail: str = cut_text(text, max_text)
        for member in ("title", "type", "detail"):  # the kept problem holds no huge text either
            value = self.problem.get(member)
            if isinstance(value, str):
                self.problem[member] = cut_text(value, max_text)
        super().__init__(self._message())

    @staticmethod
    def _detail_text(detail: Any) -> str:
        if detail is None:
            return ""
        if isinstance(detail, list):
            return "; ".join(_format_item(item) for item in detail)
        return str(detail)

    def _message(self) -> str:
        where = f"{self.operation}: " if self.operation else ""
        text = self.detail or self.title
        return f"{where}{self.status} {self.title}: {text}" if text != self.title else (
            f"{where}{self.status} {self.title}"
        )

    @classmethod
    def from_response(cls, response: httpx.Response, operation: str | None = None) -> APIError:
        """Build the typed error for an error response (see :func:`from_response`)."""
        return from_response(response, operation)


class UnauthenticatedError(APIError):
    """401: the credential is missing, unknown, revoked or expired."""


class InsufficientCreditsError(APIError):
    """402: the organisation does not have the credits this would reserve.

    ``required_credits`` and ``balance_credits`` come from the problem when present.
    """

    @property
    def required_credits(self) -> int | None:
        value = self.problem.get("required_credits")
        return int(value) if isinstance(value, int | float) else None

    @property
    def balance_credits(self) -> int | None:
        value = self.problem.get("balance_credits")
        return int(value) if isinstance(value, int | float) else None


_SCOPE_RE = re.compile(r"missing scope '([^']+)'")


class ForbiddenError(APIError):
    """403: the credential lacks the scope; ``scope`` names it."""

    @property
    def scope(self) -> str | None:
        value = self.problem.get("scope")
        if isinstance(value, str) and value:
            return value
        match = _SCOPE_RE.search(self.detail)
        return match.group(1) if match else None


class NotFoundError(APIError):
    """404: no such resource (another organisation's resource answers the same)."""


class ConflictError(APIError):
    """409: an invalid state transition, a lost race, or an idempotency key reused
    with a different body."""


class GoneError(APIError):
    """410: the resource existed but is no longer usable (expired quotation,
    deleted template)."""


class ValidationError(APIError):
    """422: the server rejected the body; ``errors`` lists every ``{loc, msg, type}``.

    Examples
    --------
    >>> err = ValidationError({"detail": [{"loc": ["body", "order_id"],
    ...                                    "msg": "Field required", "type": "missing"}]},
    ...                       status=422, operation="orders.get")
    >>> err.errors[0]["loc"], str(err)
    (['body', 'order_id'], 'orders.get: 422 Unprocessable Entity: body.order_id: Field required')
    """

    @property
    def errors(self) -> list[dict[str, Any]]:
        detail = self.problem.get("detail")
        if isinstance(detail, list):
            return [dict(item) if isinstance(item, Mapping) else {"msg": str(item)}
                    for item in detail]
        return []


class RateLimitedError(APIError):
    """429: over the rate limit; ``retry_after`` is the server's wait in seconds."""

    @property
    def retry_after(self) -> float | None:
        return parse_retry_after(self.headers.get("retry-after"))


class ServerError(APIError):
    """5xx: the server failed."""


class OrderFailedError(GeoperaError):
    """``wait_for``: the order reached a final status that is not awaited.

    ``order`` holds the last order seen (``status``, ``statusReason``...).
    """

    def __init__(self, message: str, *, order: Mapping[str, Any]) -> None:
        super().__init__(message)
        self.order: dict[str, Any] = dict(order)


class DecisionRequiredError(OrderFailedError):
    """``wait_for``: the order waits for *your* decision, so waiting longer cannot help.

    Raised when the order's ``subStatus`` is ``FEASIBILITY_WAITING_RESPONSE`` or
    ``QUOTATION_WAITING_RESPONSE`` and that is not what was awaited: accept a feasibility
    option (``orders.tasking.feasibility_decide``) or decide the quotation
    (``orders.tasking.quotation_decide``), then wait again. ``order`` is the order.
    """


class WaitTimeoutError(GeoperaError, builtins.TimeoutError):
    """``wait_for`` ran out of time; ``order`` is the last order seen (or ``None``)."""

    def __init__(self, message: str, *, order: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.order: dict[str, Any] | None = dict(order) if order is not None else None


_BY_STATUS: dict[int, type[APIError]] = {
    401: UnauthenticatedError,
    402: InsufficientCreditsError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    410: GoneError,
    422: ValidationError,
    429: RateLimitedError,
}


def _format_item(item: Any) -> str:
    if isinstance(item, Mapping):
        loc = item.get("loc")
        path = ".".join(str(part) for part in loc) if isinstance(loc, Iterable) and not isinstance(
            loc, str | bytes) else str(loc or "")
        msg = str(item.get("msg", ""))
        return f"{path}: {msg}" if path else msg
    return str(item)


def error_class(status: int) -> type[APIError]:
    """The :class:`APIError` subclass for an HTTP status."""
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, APIError)


def cut_text(text: str, limit: int | None) -> str:
    """``text`` kept to ``limit`` characters, saying it was cut (``None``: as it is).

    Examples
    --------
    >>> cut_text("x" * 10, 4)
    'xxxx… [cut: 10 characters in all]'
    >>> cut_text("short", 10), cut_text("any", None)
    ('short', 'any')
    """
    if limit is None or len(text) <= limit:
        return text
    return f"{text[:limit]}… [cut: {len(text):,} characters in all]"


def from_problem(
    problem: Mapping[str, Any],
    operation: str | None = None,
    *,
    status: int | None = None,
    headers: Mapping[str, str] | None = None,
    max_text: int | None = None,
) -> APIError:
    """The typed error for a problem object (e.g. the one in an NDJSON error trailer).

    ``max_text`` bounds the text kept of each of its members (the client passes
    ``contract.limits.ERROR_TEXT_MAX_CHARS``).

    Examples
    --------
    >>> type(from_problem({"status": 409, "title": "Conflict", "detail": "twice"})).__name__
    'ConflictError'
    >>> len(str(from_problem({"status": 500, "detail": "x" * 10**7}, max_text=100))) < 200
    True
    """
    raw = status if status is not None else problem.get("status")
    code = raw if isinstance(raw, int) and not isinstance(raw, bool) else 500
    return error_class(code)(problem, status=code, operation=operation, headers=headers,
                             max_text=max_text)


def from_response(
    response: httpx.Response,
    operation: str | None = None,
    *,
    content: bytes | None = None,
    cut_at: int | None = None,
    max_text: int | None = None,
) -> APIError:
    """The typed error for an error response, carrying the server's problem.

    The body is read as problem+json or FastAPI's 422 ``{"detail": [...]}``; a body
    that is neither (an HTML error page from a proxy, say) becomes a problem whose
    ``detail`` is the start of its text. The response's request is not kept.

    Parameters
    ----------
    response
        An ``httpx.Response`` (its body read, unless ``content`` is given).
    operation
        The operation id, named in the message.
    content
        The body, when the caller read it itself (size-capped).
    cut_at
        ``content`` is only the first ``cut_at`` bytes of a longer body (the message
        says so).
    max_text
        Keep at most this many characters of each text (``detail``, ``title``).
    """
    status = response.status_code
    problem: dict[str, Any]
    if content is None:
        try:
            content = response.content
        except Exception:  # httpx.ResponseNotRead: reading the body failed
            content = b""  # the status still says what happened; never escape the error tree
    try:
        parsed = orjson.loads(content) if content and cut_at is None else None
    except orjson.JSONDecodeError:
        parsed = None
    if isinstance(parsed, dict):
        problem = parsed
    else:
        text = content[:300].decode("utf-8", "replace").strip()
        if cut_at is not None:
            text += f"… [cut: the error answer was longer than {cut_at:,} bytes]"
        problem = {
            "type": "about:blank",
            "title": response.reason_phrase or _STATUS_TITLES.get(status, "Error"),
            "status": status,
            "detail": text or f"HTTP {status} with no body",
        }
    problem.setdefault("status", status)
    return error_class(status)(problem, status=status, operation=operation,
                               headers=dict(response.headers), max_text=max_text)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date.

    Examples
    --------
    >>> parse_retry_after("3")
    3.0
    >>> parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0)
    10.0
    >>> parse_retry_after("soon") is None
    True
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN -> None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def __getattr__(name: str) -> Any:
    """Deprecated names: ``errors.TimeoutError`` shadowed the builtin; it is
    :class:`RequestTimeoutError` now (still a subclass of the builtin)."""
    if name == "TimeoutError":
        import warnings

        warnings.warn("geopera_nb.errors.TimeoutError is deprecated: use RequestTimeoutError "
                      "(or the builtin TimeoutError, which it subclasses)", DeprecationWarning,
                      stacklevel=2)
        return RequestTimeoutError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
