"""The ASGI application: routes, error handlers and ``/openapi.json``.

Every error leaves as RFC 7807 ``application/problem+json`` (``{type, title, status,
detail}``), except 422 which is FastAPI's ``{"detail": [{loc, msg, type}]}``. Unknown
routes and methods answer 404. Unexpected exceptions answer a 500 problem that names
no internals; the traceback goes to the ``geopera_nb.sandbox`` logger, never a
request body or a credential.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..config import SandboxConfig
from ..problems import PROBLEM_MEDIA_TYPE, Invalid, Problem, pydantic_errors
from ..state.backend import Backend
from .admin import admin_routes
from .assets import asset_routes
from .body_schemas import BodySchemas
from .device import device_routes
from .framing import RejectAmbiguousFraming
from .oidc import oidc_routes
from .routes import operation_routes

log = logging.getLogger("geopera_nb.sandbox")


def problem_response(exc: Problem) -> Response:
    """A problem+json response."""
    return Response(exc.body(), status_code=exc.status, media_type=PROBLEM_MEDIA_TYPE,
                    headers=exc.headers)


def invalid_response(exc: Invalid) -> Response:
    """A 422 ``{"detail": [...]}`` response."""
    return Response(exc.body(), status_code=422, media_type="application/json")


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return problem_response(exc)


async def _on_invalid(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Invalid)
    return invalid_response(exc)


async def _on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 405:
        headers = dict(exc.headers or {})
        return problem_response(Problem(405, f"{request.method} is not allowed on "
                                             f"{request.url.path}", headers=headers))
    if exc.status_code == 404:
        return problem_response(Problem(404, f"no route {request.method} {request.url.path}"))
    return problem_response(Problem(exc.status_code, str(exc.detail)))


async def _on_request_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return invalid_response(pydantic_errors(exc.errors(), prefix=()))


class CatchAll:
    """ASGI middleware: an unexpected exception answers one 500 problem, logged once.

    Starlette's ``Exception`` handler answers and then re-raises (so the server logs the
    traceback a second time); this middleware, inside Starlette's error middleware,
    answers and swallows it. After the response has started (a stream failing midway)
    nothing can be answered any more: the exception goes on to the server.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except ClientDisconnect:
            # the client went away mid-body: nobody to answer, nothing went wrong here
            log.info("client disconnected during %s %s", scope.get("method"), scope.get("path"))
        except Exception as exc:
            if started:
                raise
            log.error("unhandled error on %s %s: %s", scope.get("method"), scope.get("path"),
                      type(exc).__name__, exc_info=exc)
            response = problem_response(Problem(500, "internal error"))
            await response(scope, receive, send)


def create_app(config: SandboxConfig | None = None, backend: Backend | None = None) -> FastAPI:
    """Build the sandbox ASGI app.

    Parameters
    ----------
    config
        Server settings (ignored when ``backend`` is given).
    backend
        An existing backend to serve.

    Returns
    -------
    FastAPI
        The app; ``app.state.backend`` is the backend.
    """
    if backend is None:
        if config is None:
            raise ValueError("create_app needs a config or a backend")
        backend = Backend(config)
    app = FastAPI(title="Geopera sandbox", openapi_url=None, docs_url=None, redoc_url=None)
    app.state.backend = backend
    schemas = BodySchemas(lambda: backend.catalogue)  # built on first use: the catalogue takes seconds
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(Invalid, _on_invalid)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(RequestValidationError, _on_request_validation)
    app.add_middleware(CatchAll)
    app.add_middleware(RejectAmbiguousFraming)

    openapi_cache: dict[str, bytes] = {}

    async def openapi(request: Request) -> Response:
        if "doc" not in openapi_cache:
            schemas.validators()
            openapi_cache["doc"] = orjson.dumps(schemas.document)
        return Response(openapi_cache["doc"], media_type="application/json")

    routes: list[Any] = [
        Route("/openapi.json", openapi, methods=["GET"]),
        *asset_routes(backend),
        *operation_routes(backend, schemas),
        *oidc_routes(backend),
        *device_routes(backend),
        *admin_routes(backend),
    ]
    app.router.routes.extend(routes)
    return app
