"""Refuse requests whose body framing two parties could read differently.

A request carrying both ``Content-Length`` and ``Transfer-Encoding`` is how request
smuggling starts (RFC 9112 section 6.1: "a server MAY reject such a request"; a proxy in
front may frame it by the other header). h11 quietly prefers ``Transfer-Encoding``;
this middleware answers 400 instead, and closes the connection.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from ..problems import PROBLEM_MEDIA_TYPE, Problem


class RejectAmbiguousFraming:
    """ASGI middleware: 400 for ``Content-Length`` together with ``Transfer-Encoding``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            names = {name.lower() for name, _ in scope.get("headers", ())}
            if b"content-length" in names and b"transfer-encoding" in names:
                problem = Problem(400, "a request must not carry both Content-Length and "
                                       "Transfer-Encoding")
                await send({"type": "http.response.start", "status": 400,
                            "headers": [(b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                                        (b"connection", b"close")]})
                await send({"type": "http.response.body", "body": problem.body()})
                return
        await self.app(scope, receive, send)
