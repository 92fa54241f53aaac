"""Running the sandbox with uvicorn: in the foreground or in a background thread.

uvicorn bounds idle kept-alive connections (``timeout_keep_alive``) but not a client
that sends its request slowly. :class:`GuardedH11Protocol` adds the two missing
deadlines: a request's headers must be complete :data:`HEADERS_TIMEOUT_S` after the
connection opened (or after the first byte of the next request on a kept-alive
connection), and a body the app answered without reading (a 401 before the body, a 413
by ``Content-Length``) is drained at most :data:`BODY_TIMEOUT_S` before the connection
is closed. The app itself stops waiting for a body after the same time (408, see
:mod:`.http.bodies`). Without these, a never-ending chunked body or a header sent one
byte every few seconds holds a connection open for ever.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import socket
import sys
import threading
import time
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from geopera_nb.contract.limits import REQUEST_BODY_TIMEOUT_S, REQUEST_HEADERS_TIMEOUT_S

from .config import SandboxConfig
from .http.app import create_app
from .state.backend import Backend

READY_PREFIX = "geopera-nb sandbox listening on "
#: The deadlines :class:`GuardedH11Protocol` keeps (module-level so tests can shorten them).
HEADERS_TIMEOUT_S = REQUEST_HEADERS_TIMEOUT_S
BODY_TIMEOUT_S = REQUEST_BODY_TIMEOUT_S
log = logging.getLogger("geopera_nb.sandbox")


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with deadlines for slow headers and unread bodies.

    After every event (connection made, bytes received, answer sent) :meth:`_update`
    looks at the client's h11 state: waiting for a request whose bytes have begun (or a
    fresh connection) -> the header deadline; answered while the body is still arriving
    -> the drain deadline; anything else -> no deadline of ours (the app's body deadline
    or uvicorn's keep-alive timeout applies).
    """

    _deadline: asyncio.TimerHandle | None = None
    _phase = ""

    def _arm(self, phase: str, seconds: float, why: str) -> None:
        if self._phase == phase:
            return  # already counting from the start of this phase
        self._disarm()
        self._phase = phase
        self._deadline = self.loop.call_later(seconds, self._expire, why)

    def _disarm(self) -> None:
        self._phase = ""
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self, why: str) -> None:
        self._deadline = None
        self._phase = ""
        if not self.transport.is_closing():
            peer = f"{self.client[0]}:{self.client[1]}" if self.client else "unknown"
            log.info("closing a connection from %s: %s", peer, why)
            with contextlib.suppress(h11.LocalProtocolError):
                self.conn.send(h11.ConnectionClosed())
            self.transport.close()

    def _update(self) -> None:
        if self.transport is None or self.transport.is_closing():
            self._disarm()
            return
        theirs = self.conn.their_state
        if theirs is h11.IDLE:
            if self.cycle is None or self.conn.trailing_data[0]:
                self._arm("headers", HEADERS_TIMEOUT_S,
                          f"request headers not complete within {HEADERS_TIMEOUT_S:g} s")
                return
            self._disarm()
            if self.timeout_keep_alive_task is None:  # idle between requests
                self.timeout_keep_alive_task = self.loop.call_later(
                    self.timeout_keep_alive, self.timeout_keep_alive_handler)
        elif theirs is h11.SEND_BODY and self.conn.our_state is h11.DONE:
            self._arm("drain", BODY_TIMEOUT_S,
                      f"request body still arriving {BODY_TIMEOUT_S:g} s after the answer")
        else:
            self._disarm()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._update()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._update()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._update()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket (``port=0``: a free port chosen by the OS)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # TCP_NODELAY
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    """``http://host:port`` of a bound socket."""
    host, port = sock.getsockname()[:2]
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _uvicorn_config(app: Any, log_level: str, access_log: bool) -> uvicorn.Config:
    return uvicorn.Config(app, log_level=log_level, access_log=access_log, lifespan="off",
                          server_header=False, date_header=False, timeout_keep_alive=30,
                          ws="none", http=GuardedH11Protocol)


def with_public_url(config: SandboxConfig, bound_url: str) -> SandboxConfig:
    """``config`` with its ``public_url`` (signed hrefs' base) defaulting to the bound URL.

    An unspecified bind address (``0.0.0.0``, ``::``) becomes loopback; a server reached
    through another name or a proxy is given ``public_url`` explicitly.
    """
    if config.public_url is not None:
        return config
    url = bound_url.replace("//0.0.0.0:", "//127.0.0.1:").replace("//[::]:", "//[::1]:")
    return dataclasses.replace(config, public_url=url)


class ThreadServer:
    """A uvicorn server on its own thread (for ``geopera_nb.sandbox.start``).

    Parameters
    ----------
    config
        The sandbox settings.
    host, port
        Where to listen (``port=0``: a free port).
    """

    def __init__(self, config: SandboxConfig, host: str = "127.0.0.1", port: int = 0,
                 log_level: str = "warning") -> None:
        self._sock = bind(host, port)
        self.url = url_of(self._sock)
        self.backend = Backend(with_public_url(config, self.url))
        self.app = create_app(backend=self.backend)
        self._server = uvicorn.Server(_uvicorn_config(self.app, log_level, access_log=False))
        self._thread = threading.Thread(target=self._run, name="geopera-sandbox", daemon=True)
        self._error: BaseException | None = None

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self._sock])
        except BaseException as exc:  # pragma: no cover - reported by start()
            self._error = exc

    def start(self, timeout: float = 30.0) -> None:
        """Start serving; return once the server accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                raise RuntimeError(f"sandbox server failed to start: {self._error!r}")
            if time.monotonic() > deadline:
                raise TimeoutError("sandbox server did not start in time")
            time.sleep(0.01)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and close the database."""
        self._server.should_exit = True
        self._thread.join(timeout)
        with contextlib.suppress(OSError):
            self._sock.close()
        self.backend.close()


def serve(config: SandboxConfig, host: str = "127.0.0.1", port: int = 8765,
          log_level: str = "info", access_log: bool = False) -> None:
    """Serve in the foreground until interrupted (``geopera-nb sandbox serve``).

    Prints ``geopera-nb sandbox listening on <url>`` once ready (``spawn`` waits for it).
    """
    sock = bind(host, port)
    backend = Backend(with_public_url(config, url_of(sock)))
    app = create_app(backend=backend)
    server = uvicorn.Server(_uvicorn_config(app, log_level, access_log))

    ready = threading.Event()

    def announce() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.01)
        if server.started:
            print(READY_PREFIX + url_of(sock), flush=True)
            ready.set()

    threading.Thread(target=announce, daemon=True).start()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        backend.close()
        sys.stdout.flush()
