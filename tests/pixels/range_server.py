"""A loopback HTTP file server with ``Range`` and signed URLs, as a COG reader expects.

Files are served from memory at ``/assets/<item id>/<name>?sig=<signature>``; a request
without the right signature answers 403 (like an expired or forged cloud-storage
signature). ``Range: bytes=a-b`` / ``bytes=a-`` answer 206 with ``Content-Range``.
Every request is recorded (path, query, Range header).
"""

from __future__ import annotations

import hashlib
import http.server
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class RangeServer:
    files: dict[str, bytes] = field(default_factory=dict)
    secret: str = "s3cret"
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)
    url: str = ""

    def signature(self, path: str) -> str:
        return hashlib.sha256(f"{self.secret}:{path}".encode()).hexdigest()[:32]

    def href(self, item_id: str, name: str) -> str:
        path = f"/assets/{item_id}/{name}"
        return f"{self.url}{path}?sig={self.signature(path)}"

    def publish(self, item_id: str, name: str, path: Path) -> None:
        self.files[f"/assets/{item_id}/{name}"] = path.read_bytes()

    def __enter__(self) -> RangeServer:
        state = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, body: bool) -> None:
                parts = urlsplit(self.path)
                rng = self.headers.get("Range")
                state.requests.append((parts.path, parts.query, rng))
                data = state.files.get(parts.path)
                sig = parse_qs(parts.query).get("sig", [""])[0]
                if data is None or sig != state.signature(parts.path):
                    self.send_response(404 if data is None else 403)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                start, end = 0, len(data) - 1
                if rng:
                    first, _, last = rng.removeprefix("bytes=").partition("-")
                    start = int(first)
                    end = min(int(last), len(data) - 1) if last else len(data) - 1
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(data)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
                else:
                    self.send_response(200)
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(end - start + 1))
                self.end_headers()
                if body:
                    self.wfile.write(data[start:end + 1])

            def do_GET(self) -> None:
                self._answer(True)

            def do_HEAD(self) -> None:
                self._answer(False)

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()
