"""An httpx transport that records every request the client sends (path, status)."""

from __future__ import annotations

import threading

import httpx


class RecordingTransport(httpx.HTTPTransport):
    """``sb.client(org, transport=RecordingTransport())``: ``.log`` holds
    ``(method, path, status)`` of every request, retries included."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[str, str, int]] = []
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        with self._lock:
            self.log.append((request.method, request.url.path, response.status_code))
        return response

    def paths(self, op_id: str) -> list[str]:
        """Paths of the requests made for operation ``op_id`` (either URL form)."""
        from geopera_nb.contract import OPERATIONS_BY_ID

        op = OPERATIONS_BY_ID[op_id]
        forms = {op.op_path, op.resource_path}
        return [path for _method, path, _status in self.log if path in forms]

    def failed(self) -> list[tuple[str, str, int]]:
        """Requests answered 4xx or 5xx."""
        return [entry for entry in self.log if entry[2] >= 400]
