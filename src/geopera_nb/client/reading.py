"""Reading answers within bounds: decoded size caps, bounded decompression steps.

httpx's ``response.read()`` keeps everything, and its gzip decoder expands each network
chunk in one go (64 KB of a gzip bomb become 64 MB at once). Here the client reads the
raw bytes itself and inflates them with ``zlib``'s ``max_length``, so no step yields more
than :data:`~geopera_nb.contract.limits.DECODE_STEP_BYTES` and a body stops being read
as soon as it passes its cap:

- a JSON answer over ``RESPONSE_MAX_BYTES`` raises
  :class:`~geopera_nb.errors.ResponseTooLargeError` (a ``Content-Length`` over the cap
  fails before reading anything);
- an error answer is read up to ``ERROR_BODY_MAX_BYTES`` and the rest dropped (the
  error message says so);
- NDJSON streams are decoded in the same bounded steps and the reader caps each line.

:class:`BodyReader` is sans-I/O: the sync and async transports feed it raw chunks.

Examples
--------
>>> import gzip, httpx
>>> bomb = gzip.compress(b"0" * 5_000_000)
>>> response = httpx.Response(200, headers={"content-encoding": "gzip"}, content=bomb)
>>> reader = BodyReader(response, limit=1_000_000, operation="orders.get")
>>> reader.feed(bomb)
Traceback (most recent call last):
...
geopera_nb.errors.ResponseTooLargeError: orders.get: the answer is larger than 1,000,000 bytes (decoded); ask for less (a smaller page size) or raise the client's SizeCaps
>>> reader = BodyReader(response, limit=1_000_000, operation="orders.get", allow_cut=True)
>>> reader.feed(bomb), len(reader.body()), reader.cut
(True, 1000000, True)
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass

import httpx

from ..contract.limits import (
    DECODE_STEP_BYTES,
    ERROR_BODY_MAX_BYTES,
    ERROR_TEXT_MAX_CHARS,
    NDJSON_LINE_MAX_BYTES,
    RESPONSE_MAX_BYTES,
)
from ..errors import RequestValidationError, ResponseError, ResponseTooLargeError

__all__ = ["BodyReader", "Decoder", "SizeCaps", "adecoded_chunks", "decoded_chunks"]


@dataclass(frozen=True)
class SizeCaps:
    """How much of an answer the client reads and keeps (``Client(caps=SizeCaps(...))``).

    Parameters
    ----------
    response_bytes
        Largest decoded JSON answer (default ``RESPONSE_MAX_BYTES``, 128 MiB).
    error_body_bytes
        Largest error answer read; the rest is dropped (default 1 MiB).
    error_text_chars
        Longest text kept of an error's ``detail``/``title`` (default 2,000).
    ndjson_line_bytes
        Longest NDJSON line (one record) of a stream (default 16 MiB).

    Examples
    --------
    >>> SizeCaps(response_bytes=1024).response_bytes
    1024
    >>> SizeCaps(ndjson_line_bytes=0)
    Traceback (most recent call last):
    ...
    geopera_nb.errors.RequestValidationError: SizeCaps.ndjson_line_bytes must be a positive integer, not 0
    """

    response_bytes: int = RESPONSE_MAX_BYTES
    error_body_bytes: int = ERROR_BODY_MAX_BYTES
    error_text_chars: int = ERROR_TEXT_MAX_CHARS
    ndjson_line_bytes: int = NDJSON_LINE_MAX_BYTES

    def __post_init__(self) -> None:
        for name in ("response_bytes", "error_body_bytes", "error_text_chars",
                     "ndjson_line_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise RequestValidationError(
                    f"SizeCaps.{name} must be a positive integer, not {value!r}",
                    fields=[name])


class Decoder:
    """``Content-Encoding`` decoding in steps of at most ``step`` bytes.

    ``gzip``/``x-gzip`` and ``deflate`` (zlib-wrapped or raw, as httpx accepts it) are
    inflated with ``max_length``; ``identity`` and encodings httpx would not decode
    either pass through.
    """

    def __init__(self, encoding: str, *, step: int = DECODE_STEP_BYTES,
                 operation: str = "") -> None:
        self.encoding = encoding
        self._step = step
        self._operation = operation
        self._started = False
        self._z: zlib._Decompress | None = None
        if encoding in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif encoding == "deflate":
            self._z = zlib.decompressobj()

    @classmethod
    def for_response(cls, response: httpx.Response, operation: str = "") -> Decoder:
        """The decoder of ``response``'s ``Content-Encoding`` (one coding; else identity)."""
        codings = [c.strip().lower() for c in response.headers.get("content-encoding", "")
                   .split(",") if c.strip() and c.strip().lower() != "identity"]
        if len(codings) > 1:
            raise ResponseError(f"{operation}: the answer is encoded {', '.join(codings)}; "
                                "one encoding (gzip or deflate) is supported",
                                operation=operation, status=response.status_code)
        return cls(codings[0] if codings else "identity", operation=operation)

    def _corrupt(self, exc: zlib.error) -> ResponseError:
        return ResponseError(f"{self._operation}: the answer's {self.encoding} encoding is "
                             f"corrupt ({exc})", operation=self._operation)

    def decode(self, data: bytes) -> Iterator[bytes]:
        """The decoded pieces of ``data`` (each at most ``step`` bytes)."""
        if self._z is None:
            if data:
                yield data
            return
        pending = data
        while pending:
            failure: ResponseError | None = None
            try:
                out = self._z.decompress(pending, self._step)
            except zlib.error as exc:
                if self.encoding == "deflate" and not self._started:
                    # raw deflate (no zlib header), as some servers send it: start over
                    self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                    self._started = True
                    continue
                failure = self._corrupt(exc)
            if failure is not None:
                raise failure
            self._started = True
            if out:
                yield out
            pending = self._z.unconsumed_tail
            if not out and not pending:
                break

    def flush(self) -> Iterator[bytes]:
        """What is left once the raw body ended."""
        if self._z is None:
            return
        failure: ResponseError | None = None
        try:
            rest = self._z.flush()
        except zlib.error as exc:
            failure = self._corrupt(exc)
        if failure is not None:
            raise failure
        if rest:
            yield rest


class BodyReader:
    """Collects a decoded body up to ``limit`` bytes (sans-I/O: feed it raw chunks).

    Parameters
    ----------
    response
        The response (headers only are read: ``Content-Encoding``, ``Content-Length``).
    limit
        Most decoded bytes kept.
    operation
        Named in errors.
    allow_cut
        Past ``limit``: stop and keep the first ``limit`` bytes (``cut`` becomes true)
        instead of raising :class:`~geopera_nb.errors.ResponseTooLargeError`.
    """

    def __init__(self, response: httpx.Response, *, limit: int, operation: str,
                 allow_cut: bool = False) -> None:
        self.limit = limit
        self.operation = operation
        self.allow_cut = allow_cut
        self.cut = False
        self._status = response.status_code
        self._kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
        self._decoder = Decoder.for_response(response, operation)
        self._body = bytearray()
        declared = response.headers.get("content-length", "")
        if (not allow_cut and self._decoder.encoding == "identity" and declared.isdigit()
                and int(declared) > limit):
            raise self._too_large()

    def _too_large(self) -> ResponseTooLargeError:
        return ResponseTooLargeError(
            f"{self.operation}: the answer is larger than {self.limit:,} bytes (decoded); "
            "ask for less (a smaller page size) or raise the client's SizeCaps",
            operation=self.operation, status=self._status, content_type=self._kind,
            limit=self.limit)

    def _take(self, pieces: Iterator[bytes]) -> bool:
        for piece in pieces:
            room = self.limit - len(self._body)
            if len(piece) > room:
                if not self.allow_cut:
                    raise self._too_large()
                self._body += piece[:room]
                self.cut = True
                return True
            self._body += piece
        return False

    def feed(self, raw: bytes) -> bool:
        """Take one raw chunk; True when reading should stop (the cap was reached)."""
        return self._take(self._decoder.decode(raw))

    def finish(self) -> None:
        """The raw body ended: decode what is left."""
        if not self.cut:
            self._take(self._decoder.flush())

    def body(self) -> bytearray:
        """The decoded body read so far (not copied; ``orjson.loads`` takes it as is)."""
        return self._body

    def read(self, response: httpx.Response, check: Callable[[], None] | None = None) -> None:
        """Read ``response``'s body (``check()`` runs between chunks: the deadline)."""
        if response.is_stream_consumed:  # a body given whole (httpx.MockTransport), decoded
            self._take(iter([response.content]))
            return
        for raw in response.iter_raw():
            if self.feed(raw):
                return
            if check is not None:
                check()
        self.finish()

    async def aread(self, response: httpx.Response,
                    check: Callable[[], None] | None = None) -> None:
        """Async :meth:`read`."""
        if response.is_stream_consumed:
            self._take(iter([response.content]))
            return
        async for raw in response.aiter_raw():
            if self.feed(raw):
                return
            if check is not None:
                check()
        self.finish()


def decoded_chunks(response: httpx.Response, operation: str) -> Iterator[bytes]:
    """The decoded body of a streamed ``response``, in bounded pieces."""
    if response.is_stream_consumed:
        yield response.content
        return
    decoder = Decoder.for_response(response, operation)
    for raw in response.iter_raw():
        yield from decoder.decode(raw)
    yield from decoder.flush()


async def adecoded_chunks(response: httpx.Response, operation: str) -> AsyncIterator[bytes]:
    """Async :func:`decoded_chunks`."""
    if response.is_stream_consumed:
        yield response.content
        return
    decoder = Decoder.for_response(response, operation)
    async for raw in response.aiter_raw():
        for piece in decoder.decode(raw):
            yield piece
    for piece in decoder.flush():
        yield piece
