"""How an exchange ends: the parsed JSON answer, or the error it stands for.

- :func:`parse_json`: a success answer's JSON object (anything else: ``ResponseError``);
- :func:`problem_on_success`: a 2xx that carries ``application/problem+json`` is the
  error its problem's ``status`` says (a 200 with ``"status": 500`` is a ``ServerError``);
- :func:`wrap_transport_error`: our exception for an httpx failure, holding no request
  (whose headers carry the credential).

Examples
--------
>>> import httpx
>>> answer = httpx.Response(200, json={"type": "about:blank", "status": 500,
...                                    "detail": "the database is on fire"},
...                         headers={"content-type": "application/problem+json"})
>>> err = problem_on_success(answer, "orders.get", answer.content, False, 2000)
>>> type(err).__name__, err.status
('ServerError', 500)
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from ..errors import (
    ConnectError,
    GeoperaError,
    RequestTimeoutError,
    ResponseError,
    TransportError,
    from_problem,
)
from . import fastjson

__all__ = ["JSON", "NDJSON", "PROBLEM", "media_type", "parse_json", "problem_on_success",
           "wrap_transport_error"]

JSON = "application/json"
NDJSON = "application/x-ndjson"
PROBLEM = "application/problem+json"


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


def parse_json(response: httpx.Response, op_id: str,
               content: bytes | bytearray | None = None) -> dict[str, Any]:
    """The JSON object of a success answer; anything else raises ``ResponseError``."""
    kind = media_type(response)
    if kind != JSON and not kind.endswith("+json"):
        raise ResponseError(
            f"{op_id}: expected application/json, the server answered "
            f"{kind or 'no content type'} (HTTP {response.status_code})",
            operation=op_id, status=response.status_code, content_type=kind)
    try:
        data = fastjson.loads(response.content if content is None else content)
    except orjson.JSONDecodeError as exc:
        raise ResponseError(f"{op_id}: the answer is not valid JSON ({exc})", operation=op_id,
                            status=response.status_code, content_type=kind) from None
    if not isinstance(data, dict):
        raise ResponseError(f"{op_id}: expected a JSON object, got {type(data).__name__}",
                            operation=op_id, status=response.status_code, content_type=kind)
    return data


def problem_on_success(response: httpx.Response, op_id: str, content: bytes | bytearray,
                       cut: bool, max_text: int) -> GeoperaError:
    """The error a 2xx answer carrying ``application/problem+json`` stands for.

    Its problem's ``status`` (400-599) says which typed :class:`APIError`; a problem
    without one is a :class:`ResponseError` (a success cannot be a problem).
    """
    try:
        problem = orjson.loads(content) if not cut else None
    except orjson.JSONDecodeError:
        problem = None
    status = problem.get("status") if isinstance(problem, dict) else None
    if isinstance(problem, dict) and isinstance(status, int) and not isinstance(status, bool) \
            and 400 <= status <= 599:
        return from_problem(problem, op_id, status=status, headers=dict(response.headers),
                            max_text=max_text)
    return ResponseError(
        f"{op_id}: the server answered HTTP {response.status_code} with a problem document "
        "(application/problem+json) whose status is not an error status",
        operation=op_id, status=response.status_code, content_type=PROBLEM)
