"""NDJSON: incremental reading, trailer checks, truncation, malformed lines, content types."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import orjson
import pytest
from client_helpers import json_response, problem, sequence

from geopera_nb import errors
from geopera_nb.client.streams import NDJSONReader

NDJSON = {"content-type": "application/x-ndjson"}


def records(n: int) -> list[dict]:
    return [{"id": f"o-{i}", "status": "PLACED", "tags": ["a"], "n": i} for i in range(n)]


def body(recs: list[dict], trailer: dict | str | None = "complete") -> bytes:
    lines = [orjson.dumps(r) for r in recs]
    if trailer == "complete":
        lines.append(orjson.dumps({"stream": {"status": "complete", "count": len(recs)}}))
    elif isinstance(trailer, dict):
        lines.append(orjson.dumps(trailer))
    return b"\n".join(lines) + b"\n"


def chunked(data: bytes, size: int) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i:i + size]


@pytest.mark.parametrize("chunk", [1, 7, 64, 100_000])
def test_complete_stream_any_chunking(make_client, chunk) -> None:
    data = body(records(25))
    client, rec = make_client(lambda r: httpx.Response(200, headers=NDJSON,
                                                       content=chunked(data, chunk)))
    assert list(client.stream("orders.list", {"status": "PLACED"})) == records(25)
    request = rec.api_requests[0]
    assert request.headers["accept"] == "application/x-ndjson"
    assert orjson.loads(request.content) == {"status": "PLACED"}


def test_stream_is_lazy_and_incremental(make_client) -> None:
    sent: list[int] = []

    def gen() -> Iterator[bytes]:
        for i, r in enumerate(records(3)):
            sent.append(i)
            yield orjson.dumps(r) + b"\n"
        yield b'{"stream": {"status": "complete", "count": 3}}\n'

    client, rec = make_client(lambda r: httpx.Response(200, headers=NDJSON, content=gen()))
    it = client.stream("orders.list")
    assert rec.requests == []  # nothing sent before iteration
    first = next(it)
    assert first["id"] == "o-0" and len(sent) < 3
    assert [r["id"] for r in it] == ["o-1", "o-2"]


def test_missing_trailer_is_truncation_after_the_records(make_client) -> None:
    client, _ = make_client(lambda r: httpx.Response(200, headers=NDJSON,
                                                     content=body(records(5), None)))
    seen = []
    with pytest.raises(errors.TruncatedStreamError) as info:
        for record in client.stream("orders.list"):
            seen.append(record)
    assert len(seen) == 5 and info.value.records == 5
    assert "without its trailer" in str(info.value)


def test_partial_last_line_is_truncation(make_client) -> None:
    data = body(records(3), None) + b'{"id": "o-3", "sta'
    client, _ = make_client(lambda r: httpx.Response(200, headers=NDJSON, content=data))
    with pytest.raises(errors.TruncatedStreamError, match="middle of line 4") as info:
        list(client.stream("orders.list"))
    assert info.value.records == 3


def test_count_mismatch_is_truncation(make_client) -> None:
    data = body(records(3), {"stream": {"status": "complete", "count": 4}})
    client, _ = make_client(lambda r: httpx.Response(200, headers=NDJSON, content=data))
    with pytest.raises(errors.TruncatedStreamError, match="announced 4 records, 3 arrived"):
        list(client.stream("orders.list"))


def test_malformed_line_raises_with_its_line_number(make_client) -> None:
    lines = [orjson.dumps(r) for r in records(4)]
    lines.insert(2, b"{this is not json}")
    data = b"\n".join(lines) + b"\n"
    client, _ = make_client(lambda r: httpx.Response(200, headers=NDJSON,
                                                     content=chunked(data, 9)))
    with pytest.raises(errors.MalformedStreamError) as info:
        list(client.stream("orders.list"))
    assert info.value.line == 3 and "line 3" in str(info.value)


def test_non_object_line_is_malformed() -> None:
    reader = NDJSONReader("orders.list")
    with pytest.raises(errors.MalformedStreamError, match=r"line 2 .* list"):
        reader.records(b'{"a": 1}\n[1, 2]\n')


def test_data_after_the_trailer_is_malformed() -> None:
    reader = NDJSONReader("orders.list")
    with pytest.raises(errors.MalformedStreamError, match="after the trailer"):
        reader.records(b'{"stream": {"status": "complete", "count": 0}}\n{"a": 1}\n')


def test_blank_lines_and_crlf_are_tolerated() -> None:
    reader = NDJSONReader("x")
    out = reader.records(b'{"a": 1}\r\n\n{"a": 2}\r\n{"stream": {"status": "complete", "count": 2}}')
    assert out == [{"a": 1}, {"a": 2}]
    assert reader.finish_records() == []


def test_error_trailer_raises_the_typed_problem(make_client) -> None:
    trailer = {"stream": {"status": "error", "problem": {
        "type": "https://api.geopera.com/problems/internal", "title": "Internal Server Error",
        "status": 500, "detail": "database went away"}}}
    client, _ = make_client(lambda r: httpx.Response(200, headers=NDJSON,
                                                     content=body(records(2), trailer)))
    with pytest.raises(errors.ServerError, match="database went away"):
        list(client.stream("orders.list"))


def test_connection_lost_mid_stream_is_truncation(make_client) -> None:
    def gen() -> Iterator[bytes]:
        yield orjson.dumps(records(1)[0]) + b"\n"
        raise httpx.ReadError("connection reset by peer")

    client, _ = make_client(lambda r: httpx.Response(200, headers=NDJSON, content=gen()))
    with pytest.raises(errors.TruncatedStreamError, match="connection failed") as info:
        list(client.stream("orders.list"))
    assert info.value.records == 1


def test_wrong_content_type_is_a_clear_error(make_client) -> None:
    client, _ = make_client(sequence(json_response({"content": []})))
    with pytest.raises(errors.StreamError, match=r"expected application/x-ndjson.*application/json"):
        list(client.stream("orders.list"))


def test_error_status_before_the_stream_is_typed_and_retried(make_client, fake_time) -> None:
    client, rec = make_client(sequence(problem(503, "busy"), problem(404, "no such order")))
    with pytest.raises(errors.NotFoundError):
        list(client.stream("orders.list_assets", {"order_id": "o"}))
    assert len(rec.api_requests) == 2


def test_operation_without_ndjson_form_is_refused_before_sending(make_client) -> None:
    client, rec = make_client(sequence(json_response({})))
    with pytest.raises(errors.RequestValidationError, match="no NDJSON form"):
        client.stream("orders.get", {"order_id": "o"})
    assert rec.requests == []


def test_stream_validates_the_body_eagerly(make_client) -> None:
    client, _ = make_client(sequence(json_response({})))
    with pytest.raises(errors.RequestValidationError, match="statuss"):
        client.stream("orders.list", {"statuss": "PLACED"})


def test_stream_bytes_yields_raw_lines_and_checks_the_trailer(make_client) -> None:
    data = body(records(10))
    client, _ = make_client(lambda r: httpx.Response(200, headers=NDJSON,
                                                     content=chunked(data, 13)))
    lines = list(client.stream_bytes("orders.list"))
    assert [orjson.loads(line) for line in lines] == records(10)
    client2, _ = make_client(lambda r: httpx.Response(200, headers=NDJSON,
                                                      content=body(records(10), None)))
    with pytest.raises(errors.TruncatedStreamError):
        list(client2.stream_bytes("orders.list"))


async def test_async_stream(make_async_client) -> None:
    aclient, _ = make_async_client(lambda r: httpx.Response(200, headers=NDJSON,
                                                            content=body(records(7))))
    async with aclient:
        got = [r async for r in aclient.astream("orders.list")]
        assert got == records(7)
        raw = [line async for line in aclient.astream_bytes("orders.list")]
        assert len(raw) == 7


async def test_async_stream_truncated(make_async_client) -> None:
    aclient, _ = make_async_client(lambda r: httpx.Response(200, headers=NDJSON,
                                                            content=body(records(3), None)))
    async with aclient:
        with pytest.raises(errors.TruncatedStreamError):
            [r async for r in aclient.astream("orders.list")]


@pytest.mark.parametrize("trailer", [{"stream": {"status": "complete"}},
                                     {"stream": {"status": "complete", "count": True}},
                                     {"stream": {"status": "complete", "count": "1"}}])
def test_a_complete_trailer_must_carry_an_integer_count(make_client, trailer) -> None:
    data = body(records(1), trailer)
    client, _ = make_client(lambda r: httpx.Response(200, headers=NDJSON, content=data))
    with pytest.raises(errors.StreamError, match="record count"):
        list(client.stream("orders.list", {}))


def test_stream_bytes_flags_a_line_that_is_not_an_object(make_client) -> None:
    data = b'{"id": "o-1"}\n[1, 2]\n' + orjson.dumps(
        {"stream": {"status": "complete", "count": 2}}) + b"\n"
    client, _ = make_client(lambda r: httpx.Response(200, headers=NDJSON, content=data))
    with pytest.raises(errors.MalformedStreamError) as caught:
        list(client.stream_bytes("orders.list", {}))
    assert caught.value.line == 2
