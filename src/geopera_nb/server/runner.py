"""Running the sandbox with uvicorn: in the foreground or in a background thread."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from typing import Any

import uvicorn

from .config import SandboxConfig
from .http.app import create_app
from .state.backend import Backend

READY_PREFIX = "geopera-nb sandbox listening on "


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
                          ws="none", http="h11")


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
        self.backend = Backend(config)
        self.app = create_app(backend=self.backend)
        self._sock = bind(host, port)
        self.url = url_of(self._sock)
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
    backend = Backend(config)
    app = create_app(backend=backend)
    sock = bind(host, port)
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
