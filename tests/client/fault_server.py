"""A tiny fault-injecting HTTP server on 127.0.0.1 for the client's fault tests.

Each operation id gets a script: a list of actions, consumed one per request (the last
one repeats). Actions:

- ``("json", status, body, headers)``: a normal answer;
- ``("reset",)``: read the request, then close with a TCP RST;
- ``("close",)``: read the request, close without answering;
- ``("slow", seconds, status, body)``: headers, half the body, sleep, the rest;
- ``("raw", bytes)``: send bytes as they are (broken bodies, wrong content types);
- ``("place", after)``: an idempotent placement (same key -> same answer, one order),
  then ``after`` = ``"answer"`` | ``"reset"`` (the order is made, the answer lost);
- ``("drip", interval, status, body)``: headers, then the body one byte per ``interval``;
- ``("drip_headers", interval)``: the status line, then header bytes one per ``interval``;
- ``("endless", content_type, head, piece, interval)``: chunked: ``head``, then ``piece``
  every ``interval`` seconds until the client goes away (a line that never ends).
"""

from __future__ import annotations

import http.server
import socket
import struct
import threading
import time
import uuid
from typing import Any

import orjson


class FaultServer:
    def __init__(self) -> None:
        self.scripts: dict[str, list[tuple[Any, ...]]] = {}
        self.requests: list[dict[str, Any]] = []
        self.orders: dict[str, dict[str, Any]] = {}  # idempotency key -> stored answer
        self.orders_made = 0
        self.sent = 0  # bytes an "endless" answer wrote before the client went away
        self.lock = threading.Lock()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = self.rfile.read(length) if length else b""
                op_id = self.path.rsplit("/", 1)[-1]
                with server.lock:
                    server.requests.append({"op": op_id, "headers": dict(self.headers),
                                            "body": body})
                    script = server.scripts.get(op_id, [("json", 404, {"detail": "no"}, {})])
                    action = script.pop(0) if len(script) > 1 else script[0]
                server.act(self, action)

        class Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # resets and aborted writes are the point here

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    def __enter__(self) -> FaultServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def count(self, op_id: str) -> int:
        return sum(1 for r in self.requests if r["op"] == op_id)

    # -- actions ---------------------------------------------------------------------

    @staticmethod
    def _send(handler: http.server.BaseHTTPRequestHandler, status: int, body: bytes,
              content_type: str = "application/json", headers: dict[str, str] | None = None
              ) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(body)
        handler.wfile.flush()

    @staticmethod
    def _reset(handler: http.server.BaseHTTPRequestHandler) -> None:
        sock = handler.connection
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.close_connection = True
        sock.close()

    def act(self, handler: http.server.BaseHTTPRequestHandler, action: tuple[Any, ...]) -> None:
        kind = action[0]
        if kind == "json":
            _, status, body, headers = action
            ctype = "application/problem+json" if status >= 400 and "detail" in body and not \
                isinstance(body.get("detail"), list) else "application/json"
            self._send(handler, status, orjson.dumps(body), ctype, headers)
        elif kind == "reset":
            self._reset(handler)
        elif kind == "close":
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
        elif kind == "slow":
            _, seconds, status, body = action
            data = orjson.dumps(body)
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data[: len(data) // 2])
            handler.wfile.flush()
            time.sleep(seconds)
            try:
                handler.wfile.write(data[len(data) // 2:])
                handler.wfile.flush()
            except OSError:
                pass
        elif kind == "raw":
            handler.close_connection = True
            handler.wfile.write(action[1])
            handler.wfile.flush()
        elif kind == "place":
            key = handler.headers.get("Idempotency-Key")
            with self.lock:
                if key and key in self.orders:
                    answer = self.orders[key]
                    replay = True
                else:
                    self.orders_made += 1
                    answer = {"results": [{"index": 0, "id": str(uuid.uuid4())}], "errors": [],
                              "total_credits": 100, "total_aud": 1.0}
                    if key:
                        self.orders[key] = answer
                    replay = False
            if action[1] == "reset":
                self._reset(handler)
            else:
                self._send(handler, 202, orjson.dumps(answer),
                           headers={"Idempotent-Replayed": "true"} if replay else None)
        elif kind == "drip":
            _, interval, status, body = action
            data = body if isinstance(body, bytes) else orjson.dumps(body)
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            self._drip(handler, data, interval)
        elif kind == "drip_headers":
            _, interval = action
            handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
            self._drip(handler, b"X-Slow: " + b"a" * 100_000, interval)
        elif kind == "endless":
            _, ctype, head, piece, interval = action
            handler.close_connection = True
            handler.send_response(200)
            handler.send_header("Content-Type", ctype)
            handler.send_header("Transfer-Encoding", "chunked")
            handler.end_headers()
            self.sent = 0
            try:
                for part in [head] + [piece] * 10_000_000:
                    handler.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                    handler.wfile.flush()
                    self.sent += len(part)
                    if interval:
                        time.sleep(interval)
            except OSError:
                pass  # the client stopped reading: the point
        else:  # pragma: no cover
            raise ValueError(kind)

    @staticmethod
    def _drip(handler: http.server.BaseHTTPRequestHandler, data: bytes, interval: float) -> None:
        handler.close_connection = True
        try:
            for i in range(len(data)):
                handler.wfile.write(data[i:i + 1])
                handler.wfile.flush()
                time.sleep(interval)
        except OSError:
            pass


def http_response(status: int, content_type: str, body: bytes, *,
                  length: int | None = None, chunked: bool = False) -> bytes:
    """Raw HTTP/1.1 response bytes (for bodies that lie about their length, etc.)."""
    head = f"HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nConnection: close\r\n"
    if chunked:
        head += "Transfer-Encoding: chunked\r\n\r\n"
        return head.encode() + f"{len(body):x}\r\n".encode() + body + b"\r\n"  # no last chunk
    head += f"Content-Length: {len(body) if length is None else length}\r\n\r\n"
    return head.encode() + body
