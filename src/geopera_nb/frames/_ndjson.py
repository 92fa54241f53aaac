"""NDJSON framing: split off and check the ``{"stream": ...}`` trailer of a raw answer."""

from __future__ import annotations

from typing import Any

import orjson

from geopera_nb.errors import StreamError, TruncatedStreamError

_SPACE = b" \t\r\n"


def find_trailer(data: bytes) -> tuple[int, dict[str, Any] | None]:
    """Where the records end in raw NDJSON, and the trailer, without copying ``data``.

    Returns ``(end, trailer)``: the records are ``data[:end]`` (ending with a newline
    unless empty or unterminated); ``trailer`` is the ``{"stream": ...}`` object or
    ``None``.

    Examples
    --------
    >>> find_trailer(b'{"a":1}\\n{"stream":{"status":"complete","count":1}}\\n')
    (8, {'status': 'complete', 'count': 1})
    >>> find_trailer(b'{"a":1}\\n')
    (8, None)
    """
    stop = len(data)
    while stop and data[stop - 1] in _SPACE:
        stop -= 1
    if not stop:
        return 0, None
    cut = data.rfind(b"\n", 0, stop)
    last = data[cut + 1 : stop]
    if b'"stream"' in last[:32]:
        try:
            obj = orjson.loads(last)
        except orjson.JSONDecodeError:
            obj = None
        if isinstance(obj, dict) and set(obj) == {"stream"} and isinstance(obj["stream"], dict):
            return cut + 1, obj["stream"]
    return len(data), None


def split_trailer(data: bytes) -> tuple[bytes, dict[str, Any] | None]:
    """Split raw NDJSON into (record lines, trailer dict or ``None``).

    The record part always ends with a newline (or is empty).

    Examples
    --------
    >>> split_trailer(b'{"a":1}\\n{"stream":{"status":"complete","count":1}}\\n')
    (b'{"a":1}\\n', {'status': 'complete', 'count': 1})
    >>> split_trailer(b'{"a":1}')
    (b'{"a":1}\\n', None)
    """
    data = data.rstrip(b"\r\n\t ")
    if not data:
        return b"", None
    cut = data.rfind(b"\n")
    last = data[cut + 1 :]
    if last.startswith(b'{"stream"') or b'"stream"' in last[:32]:
        try:
            obj = orjson.loads(last)
        except orjson.JSONDecodeError:
            obj = None
        if isinstance(obj, dict) and set(obj) == {"stream"} and isinstance(obj["stream"], dict):
            body = data[: cut + 1] if cut >= 0 else b""
            return body, obj["stream"]
    return data + b"\n", None


def check_trailer(
    trailer: dict[str, Any] | None, records: int, operation: str | None = None
) -> None:
    """Raise unless ``trailer`` says the stream completed with ``records`` records.

    Raises
    ------
    TruncatedStreamError
        No trailer, or a count that differs from the records received.
    StreamError
        The server ended the stream with an error (its problem detail in the message).
    """
    if trailer is None:
        raise TruncatedStreamError(
            f"NDJSON stream ended without its trailer after {records} records",
            operation=operation,
            records=records,
        )
    status = trailer.get("status")
    if status == "error":
        problem = trailer.get("problem") or {}
        detail = problem.get("detail") or problem.get("title") or "unknown error"
        raise StreamError(
            f"the server ended the stream with an error after {records} records: {detail}",
            operation=operation,
            records=records,
        )
    count = trailer.get("count")
    if status != "complete" or (count is not None and int(count) != records):
        raise TruncatedStreamError(
            f"NDJSON stream announced {count} records but {records} arrived",
            operation=operation,
            records=records,
        )
