"""NDJSON streams: read incrementally, trust nothing until the trailer says so.

A stream is one JSON record per line, then a trailer line
``{"stream": {"status": "complete", "count": N}}``; on failure mid-stream the trailer is
``{"stream": {"status": "error", "problem": {...}}}``. :class:`NDJSONReader` is the
sans-I/O parser both clients feed with network chunks:

- a line that is not a JSON object raises :class:`~geopera_nb.errors.MalformedStreamError`
  with its 1-based line number; so does a line longer than
  ``contract.limits.NDJSON_LINE_MAX_BYTES`` (16 MiB; ``SizeCaps.ndjson_line_bytes``): a
  line that never ends is not buffered without bound;
- an error trailer raises the problem as its typed :class:`~geopera_nb.errors.APIError`;
- no trailer, a count that differs from the records seen, or a connection lost
  mid-stream raise :class:`~geopera_nb.errors.TruncatedStreamError`;
- anything but ``application/x-ndjson`` raises :class:`~geopera_nb.errors.StreamError`
  before reading.

Records already yielded before an error are *not* the whole answer: the error comes
after them, so ``list(client.stream(...))`` never returns partial data as complete.

Examples
--------
>>> reader = NDJSONReader("orders.list")
>>> reader.records(b'{"id": 1}\\n{"id": 2}\\n{"stream": {"status": "complete", "co')
[{'id': 1}, {'id': 2}]
>>> reader.records(b'unt": 2}}\\n')
[]
>>> reader.finish_records()
[]
>>> NDJSONReader("orders.list").finish_records()
Traceback (most recent call last):
...
geopera_nb.errors.TruncatedStreamError: orders.list: the stream ended without its trailer after 0 records (truncated)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import orjson

from ..contract.limits import ERROR_TEXT_MAX_CHARS, NDJSON_LINE_MAX_BYTES
from ..errors import (
    GeoperaError,
    MalformedStreamError,
    StreamError,
    TruncatedStreamError,
    from_problem,
)
from .fastjson import paused_gc

__all__ = ["NDJSON_TYPES", "NDJSONReader", "check_trailer", "split_trailer"]

NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl")
_TRAILER_MARK = b'"stream"'
_SPACE = b" \t\r\n"


def check_trailer(trailer: dict[str, Any] | None, records: int, operation: str, *,
                  max_text: int = ERROR_TEXT_MAX_CHARS) -> None:
    """Raise unless ``trailer`` says the stream completed with exactly ``records`` records.

    The one set of trailer rules: :class:`NDJSONReader` and the frames' columnar fast
    path (which splits raw bytes itself) both end here, so the same stream gives the
    same typed error wherever it is read.

    Raises
    ------
    TruncatedStreamError
        No trailer, or a count that differs from the records received.
    APIError
        An error trailer: its problem as the typed error of its status (a 410 problem
        raises :class:`~geopera_nb.errors.GoneError`, ...).
    StreamError
        A trailer whose status is unknown, or a complete trailer without an integer count.

    Examples
    --------
    >>> check_trailer({"status": "complete", "count": 2}, 2, "orders.list")
    >>> check_trailer({"status": "error", "problem": {"status": 410, "detail": "gone"}}, 0, "x")
    Traceback (most recent call last):
    ...
    geopera_nb.errors.GoneError: x: 410 Gone: gone
    """
    if trailer is None:
        raise TruncatedStreamError(
            f"{operation}: the stream ended without its trailer after {records} records "
            "(truncated)", operation=operation, records=records)
    status = trailer.get("status")
    if status == "error":
        problem = trailer.get("problem")
        if not isinstance(problem, dict):
            problem = {"status": 500, "title": "Stream error",
                       "detail": "the stream ended with an error trailer"}
        raise from_problem(problem, operation, max_text=max_text)
    if status != "complete":
        raise StreamError(f"{operation}: unknown stream trailer status {status!r}",
                          operation=operation, records=records)
    count = trailer.get("count")
    if not isinstance(count, int) or isinstance(count, bool):
        raise StreamError(f"{operation}: the complete trailer has no record count "
                          f"({count!r}); the records cannot be checked",
                          operation=operation, records=records)
    if count != records:
        raise TruncatedStreamError(
            f"{operation}: the trailer announced {count} records, {records} arrived",
            operation=operation, records=records)


def split_trailer(data: bytes) -> tuple[int, dict[str, Any] | None]:
    """Where the records of raw NDJSON end, and its trailer (``None``: no trailer line).

    The records are ``data[:end]``; nothing is copied. For readers that split the bytes
    themselves (the frames' columnar path); check the result with :func:`check_trailer`.

    Examples
    --------
    >>> split_trailer(b'{"a":1}\\n{"stream":{"status":"complete","count":1}}\\n')
    (8, {'status': 'complete', 'count': 1})
    >>> split_trailer(b'{"a":1}\\n')
    (8, None)
    """
    stop = len(data)
    while stop and data[stop - 1] in _SPACE:
        stop -= 1
    if not stop:
        return 0, None
    cut = data.rfind(b"\n", 0, stop)
    last = data[cut + 1 : stop]
    if _TRAILER_MARK in last[:32]:
        try:
            obj = orjson.loads(last)
        except orjson.JSONDecodeError:
            obj = None
        if isinstance(obj, dict) and set(obj) == {"stream"} and isinstance(obj["stream"], dict):
            return cut + 1, obj["stream"]
    return len(data), None


class NDJSONReader:
    """Sans-I/O NDJSON parser with trailer checking.

    Feed chunks with :meth:`records` (parsed dicts) or :meth:`lines` (raw record lines,
    for a columnar fast path that parses itself), then call :meth:`finish_records` /
    :meth:`finish_lines` once the body ended.

    Parameters
    ----------
    operation
        The operation id (named in errors).
    max_line_bytes
        Longest line buffered (a longer one raises ``MalformedStreamError``).
    max_text
        Longest text kept of an error trailer's problem.

    Examples
    --------
    >>> reader = NDJSONReader("orders.list", max_line_bytes=8)
    >>> reader.records(b'{"a":1}\\n{"never": "ends')
    Traceback (most recent call last):
    ...
    geopera_nb.errors.MalformedStreamError: orders.list: line 2 of the stream is longer than 8 bytes (the client's NDJSON line cap, SizeCaps.ndjson_line_bytes)
    """

    __slots__ = ("_buf", "_count", "_lineno", "_pending", "_pending_len", "_trailer",
                 "max_line_bytes", "max_text", "operation")

    def __init__(self, operation: str, *, max_line_bytes: int = NDJSON_LINE_MAX_BYTES,
                 max_text: int = ERROR_TEXT_MAX_CHARS) -> None:
        self.operation = operation
        self.max_line_bytes = max_line_bytes
        self.max_text = max_text
        self._buf = b""
        self._pending: list[bytes] = []  # chunks of an unfinished line (joined once, O(n))
        self._pending_len = 0
        self._lineno = 0
        self._count = 0
        self._trailer: dict[str, Any] | None = None

    @property
    def count(self) -> int:
        """Records seen so far."""
        return self._count

    def check_content_type(self, response: httpx.Response) -> None:
        """Raise :class:`StreamError` unless the response is NDJSON."""
        kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind not in NDJSON_TYPES:
            raise StreamError(
                f"{self.operation}: expected application/x-ndjson, the server answered "
                f"{kind or 'no content type'} (does this operation stream?)",
                operation=self.operation, content_type=kind)

    def _too_long(self, lineno: int) -> MalformedStreamError:
        return self._malformed(f"is longer than {self.max_line_bytes:,} bytes (the client's "
                               "NDJSON line cap, SizeCaps.ndjson_line_bytes)", lineno)

    def _split(self, chunk: bytes) -> list[bytes]:
        if b"\n" not in chunk:
            if chunk:
                self._pending.append(chunk)
                self._pending_len += len(chunk)
                if len(self._buf) + self._pending_len > self.max_line_bytes:
                    raise self._too_long(self._lineno + 1)
            return []
        if self._pending:
            data = b"".join([self._buf, *self._pending, chunk])
            self._pending.clear()
            self._pending_len = 0
        else:
            data = self._buf + chunk if self._buf else chunk
        lines = data.split(b"\n")
        self._buf = lines.pop()
        cap = self.max_line_bytes
        if len(self._buf) > cap:
            raise self._too_long(self._lineno + len(lines) + 1)
        if lines and max(map(len, lines)) > cap:
            longest = next(i for i, line in enumerate(lines) if len(line) > cap)
            raise self._too_long(self._lineno + longest + 1)
        return lines

    def _rest(self) -> bool:
        """Join what an unfinished last line holds; True if there is any."""
        if self._pending:
            self._buf = b"".join([self._buf, *self._pending])
            self._pending.clear()
            self._pending_len = 0
        return bool(self._buf)

    def _malformed(self, why: str, lineno: int) -> MalformedStreamError:
        return MalformedStreamError(f"{self.operation}: line {lineno} of the stream {why}",
                                    operation=self.operation, records=self._count, line=lineno)

    def _take_trailer(self, obj: Any, lineno: int) -> bool:
        """True when ``obj`` is the trailer (stored)."""
        if type(obj) is dict and len(obj) == 1 and "stream" in obj:
            inner = obj["stream"]
            if not isinstance(inner, dict):
                raise self._malformed("has a trailer that is not an object", lineno)
            self._trailer = inner
            return True
        return False

    def _after_trailer(self, line: bytes, lineno: int) -> None:
        if line.strip():
            raise self._malformed("comes after the trailer", lineno)

    def iter_records(self, chunk: bytes) -> Iterator[dict[str, Any]]:
        """Yield the records of the complete lines of ``chunk`` one by one.

        One at a time (not a list per chunk): a consumer that drops records frees them
        at once, which keeps the garbage collector idle and the reader within a few
        percent of a bare ``orjson.loads`` loop. :meth:`records` parses a whole chunk
        with the collector paused instead, which is faster when every record is kept.
        """
        loads = orjson.loads
        lineno = self._lineno
        for line in self._split(chunk):
            lineno += 1
            if self._trailer is not None:
                self._lineno = lineno
                self._after_trailer(line, lineno)
                continue
            try:
                obj = loads(line)
            except orjson.JSONDecodeError:
                if not line.strip():
                    continue
                self._lineno = lineno
                raise self._malformed("is not valid JSON", lineno) from None
            if type(obj) is not dict:
                self._lineno = lineno
                raise self._malformed(f"is a JSON {type(obj).__name__}, not an object", lineno)
            if len(obj) == 1 and "stream" in obj:
                self._lineno = lineno
                if self._take_trailer(obj, lineno):
                    continue
            self._count += 1
            self._lineno = lineno
            yield obj
        self._lineno = lineno

    def _parse(self, chunk: bytes) -> tuple[list[dict[str, Any]], GeoperaError | None]:
        out: list[dict[str, Any]] = []
        append = out.append
        loads = orjson.loads
        lineno = self._lineno
        failure: GeoperaError | None = None
        for line in self._split(chunk):
            lineno += 1
            if self._trailer is not None:
                if line.strip():
                    failure = self._malformed("comes after the trailer", lineno)
                    break
                continue
            try:
                obj = loads(line)
            except orjson.JSONDecodeError:
                if not line.strip():
                    continue
                failure = self._malformed("is not valid JSON", lineno)
                break
            if type(obj) is not dict:
                failure = self._malformed(f"is a JSON {type(obj).__name__}, not an object",
                                          lineno)
                break
            if len(obj) == 1 and "stream" in obj:
                try:
                    if self._take_trailer(obj, lineno):
                        continue
                except GeoperaError as exc:
                    failure = exc
                    break
            append(obj)
        self._lineno = lineno
        self._count += len(out)
        return out, failure

    def records(self, chunk: bytes) -> list[dict[str, Any]]:
        """Parse the complete lines of ``chunk`` (GC paused); returns the records.

        An error in the chunk is raised (the records before it are counted, not returned).
        """
        with paused_gc():
            out, failure = self._parse(chunk)
        if failure is not None:
            raise failure
        return out

    def lines(self, chunk: bytes) -> list[bytes]:
        """The raw record lines of ``chunk`` (not parsed, trailer removed)."""
        out: list[bytes] = []
        lineno = self._lineno
        for line in self._split(chunk):
            lineno += 1
            if self._trailer is not None:
                self._after_trailer(line, lineno)
                continue
            if _TRAILER_MARK in line[:16]:
                try:
                    obj = orjson.loads(line)
                except orjson.JSONDecodeError:
                    obj = None
                if self._take_trailer(obj, lineno):
                    continue
            stripped = line.strip()
            if not stripped:
                continue
            if not (stripped.startswith(b"{") and stripped.endswith(b"}")):
                # The raw path parses nothing itself (the columnar reader does, later), but
                # a line that is not even shaped like an object is caught here, with its
                # line number, like the parsing path does.
                self._lineno = lineno
                raise self._malformed("is not a JSON object", lineno)
            out.append(line)
        self._lineno = lineno
        self._count += len(out)
        return out

    def _verify(self) -> None:
        check_trailer(self._trailer, self._count, self.operation, max_text=self.max_text)

    def finish_records(self) -> list[dict[str, Any]]:
        """Parse what is left after the body ended and check the trailer."""
        rest: list[dict[str, Any]] = []
        if self._rest():
            failure: GeoperaError | None = None
            try:
                rest = self.records(b"\n")
            except MalformedStreamError:
                # an unterminated last line that does not parse: the body was cut
                failure = self.truncated(f"the stream ended in the middle of line {self._lineno}")
            if failure is not None:
                raise failure
        self._verify()
        return rest

    def finish_lines(self) -> list[bytes]:
        """Like :meth:`finish_records` for the raw-lines path."""
        rest = self.lines(b"\n") if self._rest() else []
        self._verify()
        return rest

    def truncated(self, why: str) -> GeoperaError:
        """The error for a stream cut short (no trailer, lost connection)."""
        return TruncatedStreamError(
            f"{self.operation}: {why} after {self._count} records (truncated)",
            operation=self.operation, records=self._count)
