"""Answers are read within bounds (issue 13, item 10, the client's part).

Before: a gzip answer expanding to 300 MB reached 661 MB of peak memory; an NDJSON line
that never ends grew without bound; a 10 MB ``detail`` became a 10-million-character
``str()``; a 200 carrying ``application/problem+json`` with ``status: 500`` was returned
as a success.
"""

from __future__ import annotations

import functools
import time
import tracemalloc
import zlib
from collections.abc import Iterator

import httpx
import orjson
import pytest
from client_helpers import BASE, KEY, json_response, problem
from fault_server import FaultServer, http_response

from geopera_nb import errors
from geopera_nb.client import AsyncClient, Client, SizeCaps
from geopera_nb.client.streams import NDJSONReader
from geopera_nb.contract.limits import (
    DECODE_STEP_BYTES,
    ERROR_TEXT_MAX_CHARS,
    NDJSON_LINE_MAX_BYTES,
    RESPONSE_MAX_BYTES,
)

MiB = 1024 * 1024


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as srv:
        yield srv


@functools.cache
def gzip_bomb(size: int) -> bytes:
    """A gzip JSON answer that expands to ``size`` bytes (about size/1000 on the wire)."""
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [z.compress(b'{"padding": "')]
    block = b"0" * MiB
    for _ in range(size // MiB):
        parts.append(z.compress(block))
    parts.append(z.compress(b'"}') + z.flush())
    return b"".join(parts)


def gzip_answer(size: int) -> bytes:
    body = gzip_bomb(size)
    head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    return head + body


def _peak_while(fn) -> int:  # type: ignore[no-untyped-def]
    tracemalloc.start()
    try:
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_a_gzip_bomb_stops_at_the_cap(server: FaultServer) -> None:
    """300 MB decoded, capped at 8 MiB: reading stops there, memory stays near the cap."""
    server.scripts["orders.get"] = [("raw", gzip_answer(300 * MiB))]
    caps = SizeCaps(response_bytes=8 * MiB)
    with Client(api_key=KEY, base_url=server.url, caps=caps) as client:
        def call() -> None:
            with pytest.raises(errors.ResponseTooLargeError, match="8,388,608 bytes") as caught:
                client.orders.get(order_id="o-1")
            assert caught.value.limit == 8 * MiB and caught.value.operation == "orders.get"

        peak = _peak_while(call)
    assert peak < 8 * MiB + 4 * DECODE_STEP_BYTES, f"peak {peak / MiB:.1f} MiB"


def test_a_gzip_bomb_at_the_default_cap(server: FaultServer) -> None:
    """The issue's 300 MB answer against the default cap (128 MiB): 661 MB peak before."""
    server.scripts["orders.get"] = [("raw", gzip_answer(300 * MiB))]
    with Client(api_key=KEY, base_url=server.url) as client:
        assert client.caps.response_bytes == RESPONSE_MAX_BYTES

        def call() -> None:
            with pytest.raises(errors.ResponseTooLargeError):
                client.orders.get(order_id="o-1")

        peak = _peak_while(call)
    # the body buffer's own growth margin (a bytearray over-allocates by about 1/8)
    assert peak < RESPONSE_MAX_BYTES * 1.2, f"peak {peak / MiB:.1f} MiB"


async def test_async_gzip_bomb_stops_at_the_cap(server: FaultServer) -> None:
    server.scripts["orders.get"] = [("raw", gzip_answer(64 * MiB))]
    async with AsyncClient(api_key=KEY, base_url=server.url,
                           caps=SizeCaps(response_bytes=MiB)) as client:
        with pytest.raises(errors.ResponseTooLargeError):
            await client.orders.get(order_id="o-1")


def test_gzip_answers_within_the_cap_decode(server: FaultServer) -> None:
    body = zlib.compress(orjson.dumps({"id": "o-1", "tags": ["x"] * 1000}), wbits=31)
    deflated = zlib.compress(orjson.dumps({"id": "o-2"}))
    raw_deflate = zlib.compressobj(wbits=-15)
    raw = raw_deflate.compress(orjson.dumps({"id": "o-3"})) + raw_deflate.flush()
    server.scripts["orders.get"] = [("raw", head + data) for head, data in (
        (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: {enc}\r\n"
         f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode(), data)
        for enc, data in (("gzip", body), ("deflate", deflated), ("deflate", raw)))]
    with Client(api_key=KEY, base_url=server.url) as client:
        assert client.orders.get(order_id="o-1")["tags"] == ["x"] * 1000
        assert client.orders.get(order_id="o-2") == {"id": "o-2"}
        assert client.orders.get(order_id="o-3") == {"id": "o-3"}


def test_a_declared_length_over_the_cap_fails_before_reading(server: FaultServer) -> None:
    server.scripts["orders.get"] = [("raw", http_response(200, "application/json", b"{}",
                                                          length=10**12))]
    started = time.monotonic()
    with Client(api_key=KEY, base_url=server.url, deadline=5) as client, pytest.raises(
            errors.ResponseTooLargeError):
        client.orders.get(order_id="o-1")
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("raw_lines", [False, True])
def test_an_ndjson_line_that_never_ends(server: FaultServer, raw_lines: bool) -> None:
    """Two records, then a line that never ends: stopped at the cap, with its number."""
    head = b'{"id": 1}\n{"id": 2}\n{"id": "'
    server.scripts["orders.list"] = [("endless", "application/x-ndjson", head,
                                      b"x" * 65536, 0.0)]
    caps = SizeCaps(ndjson_line_bytes=2 * MiB)
    with Client(api_key=KEY, base_url=server.url, caps=caps) as client:
        got: list[object] = []
        reader = client.stream_bytes if raw_lines else client.stream
        with pytest.raises(errors.MalformedStreamError, match=r"line 3 .* longer than 2,097,152"
                           ) as caught:
            got.extend(reader("orders.list"))
    assert caught.value.line == 3 and len(got) == 2
    time.sleep(0.2)
    assert server.sent < 64 * MiB  # the client stopped reading (it did not drain it)


async def test_async_ndjson_line_that_never_ends(server: FaultServer) -> None:
    server.scripts["orders.list"] = [("endless", "application/x-ndjson", b'{"id": "',
                                      b"x" * 65536, 0.0)]
    async with AsyncClient(api_key=KEY, base_url=server.url,
                           caps=SizeCaps(ndjson_line_bytes=MiB)) as client:
        with pytest.raises(errors.MalformedStreamError) as caught:
            [r async for r in client.astream("orders.list")]
    assert caught.value.line == 1


def test_the_reader_caps_lines_in_every_form() -> None:
    assert NDJSONReader("x").max_line_bytes == NDJSON_LINE_MAX_BYTES
    reader = NDJSONReader("orders.list", max_line_bytes=10)
    assert reader.records(b'{"a": 1}\n') == [{"a": 1}]
    with pytest.raises(errors.MalformedStreamError) as caught:
        reader.records(b'{"a": 1}\n{"long": 12345}\n')  # a complete line over the cap
    assert caught.value.line == 3
    reader = NDJSONReader("orders.list", max_line_bytes=100)
    for _ in range(9):  # a line arriving in pieces is buffered without quadratic copying
        reader.records(b"x" * 10)
    with pytest.raises(errors.MalformedStreamError, match="line 1 "):
        reader.records(b"x" * 20)
    reader = NDJSONReader("orders.list", max_line_bytes=100)
    assert reader.records(b'{"a": ') == [] and reader.records(b'1}\n{"s') == [{"a": 1}]
    reader.records(b'tream": {"status": "complete", "count": 1}}')
    assert reader.finish_records() == []


def test_huge_error_text_is_cut_and_says_so(make_client) -> None:
    client, _ = make_client(lambda r: problem(409, "x" * 10_000_000, slug="conflict"))
    with pytest.raises(errors.ConflictError) as caught:
        client.orders.get(order_id="o-1")
    err = caught.value
    # the 10 MB answer is over the 1 MiB error cap: what is kept is cut and says so
    assert len(str(err)) < ERROR_TEXT_MAX_CHARS + 200
    assert "cut" in str(err) and err.status == 409


def test_error_detail_within_the_body_cap_is_cut_too(make_client) -> None:
    client, _ = make_client(lambda r: problem(500, "y" * 500_000, slug="boom"))
    with pytest.raises(errors.ServerError) as caught:
        client.orders.get(order_id="o-1")
    err = caught.value
    assert len(err.detail) < ERROR_TEXT_MAX_CHARS + 60 and "500,000 characters" in err.detail
    assert len(err.problem["detail"]) < ERROR_TEXT_MAX_CHARS + 60  # the kept problem too
    assert len(str(err)) < ERROR_TEXT_MAX_CHARS + 200


def test_error_text_cap_is_the_clients(make_client) -> None:
    client, _ = make_client(lambda r: problem(404, "z" * 500, slug="not-found"),
                            caps=SizeCaps(error_text_chars=50))
    with pytest.raises(errors.NotFoundError) as caught:
        client.orders.get(order_id="o-1")
    assert caught.value.detail.startswith("z" * 50 + "…") and "500 characters" in str(
        caught.value)


def test_an_error_trailer_is_cut_too(make_client) -> None:
    trailer = orjson.dumps({"stream": {"status": "error", "problem": {
        "status": 500, "title": "Stream error", "detail": "q" * 100_000}}})
    client, _ = make_client(lambda r: httpx.Response(
        200, content=b'{"id": 1}\n' + trailer + b"\n",
        headers={"content-type": "application/x-ndjson"}))
    with pytest.raises(errors.ServerError) as caught:
        list(client.stream("orders.list"))
    assert len(str(caught.value)) < ERROR_TEXT_MAX_CHARS + 200


def _problem_200(status: object) -> httpx.Response:
    body = {"type": "about:blank", "title": "Internal Server Error", "status": status,
            "detail": "the database is on fire"}
    return httpx.Response(200, content=orjson.dumps(body),
                          headers={"content-type": "application/problem+json"})


@pytest.mark.parametrize(("status", "kind"), [(500, errors.ServerError),
                                              (404, errors.NotFoundError),
                                              (422, errors.ValidationError)])
def test_a_200_problem_is_the_error_it_says(make_client, status: int,
                                            kind: type[errors.APIError]) -> None:
    client, rec = make_client(lambda r: _problem_200(status))
    with pytest.raises(kind, match="database is on fire") as caught:
        client.orders.get(order_id="o-1")
    assert caught.value.status == status and len(rec.api_requests) == 1
    with pytest.raises(kind):
        list(client.stream("orders.list"))


@pytest.mark.parametrize("status", [None, 200, "500", True])
def test_a_200_problem_without_an_error_status(make_client, status: object) -> None:
    client, _ = make_client(lambda r: _problem_200(status))
    with pytest.raises(errors.ResponseError, match="problem document") as caught:
        client.orders.get(order_id="o-1")
    assert not isinstance(caught.value, errors.APIError)


async def test_async_200_problem(make_async_client) -> None:
    client, _ = make_async_client(lambda r: _problem_200(503))
    async with client:
        with pytest.raises(errors.ServerError) as caught:
            await client.orders.get(order_id="o-1")
    assert caught.value.status == 503


def test_a_plain_answer_within_the_cap(make_client) -> None:
    client, _ = make_client(lambda r: json_response({"id": "o-1", "x": "y" * 1000}),
                            caps=SizeCaps(response_bytes=2000))
    assert client.orders.get(order_id="o-1")["id"] == "o-1"
    client, _ = make_client(lambda r: json_response({"id": "o-1", "x": "y" * 3000}),
                            caps=SizeCaps(response_bytes=2000))
    with pytest.raises(errors.ResponseTooLargeError):
        client.orders.get(order_id="o-1")


@pytest.mark.parametrize("bad", [0, -5, 1.5, True, "1"])
def test_bad_caps_are_refused(bad: object) -> None:
    with pytest.raises(errors.RequestValidationError, match="SizeCaps"):
        SizeCaps(response_bytes=bad)  # type: ignore[arg-type]


def test_the_caps_are_the_limits_module() -> None:
    caps = SizeCaps()
    assert (caps.response_bytes, caps.ndjson_line_bytes, caps.error_text_chars) == (
        RESPONSE_MAX_BYTES, NDJSON_LINE_MAX_BYTES, ERROR_TEXT_MAX_CHARS)
    with Client(api_key=KEY, base_url=BASE) as client:
        assert client.caps == caps
