"""NDJSON framing: split off and check the ``{"stream": ...}`` trailer of a raw answer."""

from __future__ import annotations

from typing import Any

import orjson

from geopera_nb.errors import StreamError, TruncatedStreamError


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
