"""``GET /v1/assets/{item_id}/{name}``: a delivered file, as a COG reader expects it.

Byte ranges come from Starlette's :class:`~starlette.responses.FileResponse`
(``Accept-Ranges: bytes``; ``Range: bytes=a-b``, ``bytes=a-`` and suffix ``bytes=-n``
answer 206 with ``Content-Range``; several ranges answer one ``multipart/byteranges``
206; a range past the end answers 416 with ``Content-Range: bytes */size``;
``If-Range`` is honoured), which is what GDAL's ``/vsicurl/``, rasterio and odc-stac
send. The ``ETag`` is the file's sha256 (the files are content-addressed and never
change), so ``If-None-Match`` answers 304; ``Last-Modified`` is when the file was made.
``HEAD`` answers the headers only. The signature in the query is the capability (see
:mod:`..state.signing`): 403 when it is missing, wrong or expired, 404 when it is good
but names nothing delivered to its org.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from ..service.assets import ASSET_PATH, asset_file
from ..state.backend import Backend

__all__ = ["asset_routes"]


def _etag_matches(if_none_match: str, etag: str) -> bool:
    """Whether an ``If-None-Match`` list names ``etag`` (weak comparison, or ``*``)."""
    tags = [t.strip() for t in if_none_match.split(",")]
    return any(t == "*" or t.removeprefix("W/") == etag for t in tags)


def asset_routes(backend: Backend) -> list[Route]:
    """The route serving delivered assets."""

    async def asset(request: Request) -> Response:
        served = await run_in_threadpool(
            asset_file, backend, str(request.path_params.get("item_id", "")),
            str(request.path_params.get("name", "")), dict(request.query_params))
        etag = f'"{served.file.digest}"'
        headers = {"ETag": etag, "Cache-Control": f"private, max-age={served.max_age_s}"}
        if_none_match = request.headers.get("if-none-match")
        if if_none_match is not None and _etag_matches(if_none_match, etag):
            return Response(status_code=304, headers=headers)
        return FileResponse(served.file.path, media_type=served.file.media_type,
                            headers=headers)

    return [Route(ASSET_PATH, asset, methods=["GET", "HEAD"])]
