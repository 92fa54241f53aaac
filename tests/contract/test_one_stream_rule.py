"""One set of NDJSON trailer rules: the client's reader and the frames' fast path agree.

The issue that made this file: an error trailer carrying a 410 raised ``GoneError`` from
the client but a plain ``StreamError`` from the frames, and a complete trailer without a
count was refused by one and accepted by the other.
"""

from __future__ import annotations

import httpx
import orjson
import pytest

from geopera_nb import errors
from geopera_nb.client import Client
from geopera_nb.frames import assets_frame, assets_frame_from_ndjson

ITEM = {"type": "Feature", "stac_version": "1.0.0", "id": "cap-1", "properties": {
    "datetime": "2026-12-01T00:00:00Z"}, "geometry": None, "assets": {}, "links": []}

TRAILERS = {
    "gone": ({"status": "error", "problem": {"status": 410, "title": "Gone",
                                              "detail": "quotation expired"}},
             errors.GoneError),
    "server": ({"status": "error", "problem": {"status": 500, "detail": "disk on fire"}},
               errors.ServerError),
    "no count": ({"status": "complete"}, errors.StreamError),
    "bool count": ({"status": "complete", "count": True}, errors.StreamError),
    "wrong count": ({"status": "complete", "count": 5}, errors.TruncatedStreamError),
    "unknown status": ({"status": "paused", "count": 1}, errors.StreamError),
    "missing": (None, errors.TruncatedStreamError),
}


def _body(trailer: dict | None) -> bytes:
    body = orjson.dumps(ITEM) + b"\n"
    if trailer is not None:
        body += orjson.dumps({"stream": trailer}) + b"\n"
    return body


def _client(body: bytes) -> Client:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body,
                              headers={"content-type": "application/x-ndjson"})

    return Client(api_key="gpra_0123456789abcdef", base_url="http://sandbox",
                  transport=httpx.MockTransport(answer))


@pytest.mark.parametrize("case", sorted(TRAILERS))
def test_client_stream_and_frames_raise_the_same_typed_error(case: str) -> None:
    trailer, expected = TRAILERS[case]
    body = _body(trailer)
    with pytest.raises(expected) as from_client:
        list(_client(body).stream("orders.list_assets", {"order_id": "o-1"}))
    with pytest.raises(expected) as from_bytes:
        assets_frame_from_ndjson(body)
    with pytest.raises(expected) as from_frame:
        assets_frame(_client(body), "o-1")
    kinds = {type(from_client.value), type(from_bytes.value), type(from_frame.value)}
    assert kinds == {expected}, kinds
