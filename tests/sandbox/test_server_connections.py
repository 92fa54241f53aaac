"""Issue 13, items 6 and 7: connections that never finish their request are closed; a
client that goes away mid-body is one INFO line; ambiguous framing is a 400.

The deadlines are shortened (1 s) on an own sandbox; the real ones
(``REQUEST_HEADERS_TIMEOUT_S`` / ``REQUEST_BODY_TIMEOUT_S``) are exercised by the slow
test, on the issue's own reproduction (24 connections, 45 s).
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from geopera_nb import sandbox as sandbox_module
from geopera_nb.contract.limits import REQUEST_BODY_TIMEOUT_S, REQUEST_HEADERS_TIMEOUT_S
from geopera_nb.server import runner
from geopera_nb.server.http import bodies

SHORT_S = 1.0


@pytest.fixture
def quick() -> Iterator[Any]:
    """An own sandbox whose header and body deadlines are 1 s."""
    mp = pytest.MonkeyPatch()
    mp.setattr(runner, "HEADERS_TIMEOUT_S", SHORT_S, raising=False)
    mp.setattr(runner, "BODY_TIMEOUT_S", SHORT_S, raising=False)
    mp.setattr(bodies, "BODY_TIMEOUT_S", SHORT_S, raising=False)
    sb = sandbox_module.start(seed=0)
    try:
        yield sb
    finally:
        sb.stop()
        mp.undo()


def _connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), 10)
    sock.settimeout(0.05)
    return sock


class Slow:
    """A client that sends its request a little at a time, for ever (unless cut off)."""

    def __init__(self, url: str, head: bytes, drip: bytes, every: float = 0.2) -> None:
        self.sock = _connect(url)
        self.sock.sendall(head)
        self.drip, self.every = drip, every
        self.received = b""
        self.closed_after: float | None = None
        self._started = time.monotonic()

    def step(self) -> None:
        """Send one more piece; notice the server closing (EOF or reset)."""
        if self.closed_after is not None:
            return
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionResetError
                self.received += chunk
        except (TimeoutError, BlockingIOError):
            pass
        except OSError:
            self.closed_after = time.monotonic() - self._started
            return
        try:
            if self.drip:
                self.sock.sendall(self.drip)
        except OSError:
            self.closed_after = time.monotonic() - self._started

    def close(self) -> None:
        self.sock.close()


def _run(clients: list[Slow], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(c.closed_after is None for c in clients):
        for c in clients:
            c.step()
        time.sleep(clients[0].every if clients else 0.1)


def _host(url: str) -> bytes:
    return (urlsplit(url).netloc or "x").encode()


def slow_headers(url: str) -> Slow:
    return Slow(url, b"POST /v1/op/orders.list HTTP/1.1\r\nHost: " + _host(url) + b"\r\nX-A: ",
                b"a")


def endless_body(url: str, key: str | None) -> Slow:
    auth = b"Authorization: Bearer " + key.encode() + b"\r\n" if key else b""
    head = (b"POST /v1/op/orders.list HTTP/1.1\r\nHost: " + _host(url) + b"\r\n" + auth
            + b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{\r\n")
    return Slow(url, head, b"1\r\n \r\n")


def test_slow_headers_and_idle_connections_are_closed(quick: Any) -> None:
    clients = [slow_headers(quick.url) for _ in range(4)]
    idle = [Slow(quick.url, b"", b"") for _ in range(2)]  # connect, then say nothing
    try:
        _run(clients + idle, 10 * SHORT_S)
        assert all(c.closed_after is not None and c.closed_after < 6 * SHORT_S
                   for c in clients + idle), [c.closed_after for c in clients + idle]
        assert httpx.get(quick.url + "/sandbox/ping").status_code == 200
    finally:
        for c in clients + idle:
            c.close()


def test_never_ending_bodies_are_cut_off(quick: Any) -> None:
    org = quick.create_org(name="endless", credits=0)
    read = [endless_body(quick.url, org.api_key) for _ in range(3)]  # the app reads: 408
    unread = [endless_body(quick.url, None) for _ in range(3)]  # answered 401 unread: drained
    try:
        _run(read + unread, 10 * SHORT_S)
        assert all(c.closed_after is not None for c in read + unread), [
            c.closed_after for c in read + unread]
        for c in read:
            assert c.received.startswith(b"HTTP/1.1 408"), c.received[:200]
            assert b"request body not received within" in c.received
        for c in unread:
            assert c.received.startswith(b"HTTP/1.1 401"), c.received[:200]
    finally:
        for c in read + unread:
            c.close()


def test_kept_alive_connections_still_work_between_requests(quick: Any) -> None:
    org = quick.create_org(name="patient", credits=0)
    with httpx.Client(base_url=quick.url, headers={"X-API-Key": org.api_key}) as http:
        assert http.post("/v1/op/orders.list", json={}).status_code == 200
        time.sleep(3 * SHORT_S)  # idle longer than the header deadline: keep-alive rules
        assert http.post("/v1/op/orders.list", json={}).status_code == 200
        big = b'{"displayName": "' + b"x" * 200_000 + b'"}'  # a body in many packets
        r = http.post("/v1/op/orders.list", content=big,
                      headers={"Content-Type": "application/json"})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "displayName"]


def test_a_client_gone_mid_body_is_one_info_line(quick: Any,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    org = quick.create_org(name="gone", credits=0)
    caplog.set_level(logging.DEBUG)
    for _ in range(3):
        sock = _connect(quick.url)
        sock.sendall(b"POST /v1/op/orders.list HTTP/1.1\r\nHost: " + _host(quick.url)
                     + b"\r\nX-API-Key: " + org.api_key.encode()
                     + b"\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
                     + b'{"size": 1')
        time.sleep(0.2)
        sock.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and sum(
            "disconnected" in r.getMessage() for r in caplog.records) < 3:
        time.sleep(0.05)
    gone = [r for r in caplog.records if "disconnected" in r.getMessage()]
    assert len(gone) == 3, [r.getMessage() for r in caplog.records]
    assert all(r.levelno == logging.INFO and r.exc_info is None for r in gone)
    assert "\n" not in gone[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], [
        (r.name, r.getMessage()) for r in caplog.records if r.levelno >= logging.WARNING]
    assert org.api_key not in caplog.text


def test_content_length_with_transfer_encoding_is_400(sandbox: Any, org: Any) -> None:
    sock = _connect(sandbox.url)
    sock.settimeout(10)
    try:
        sock.sendall(b"POST /v1/op/orders.list HTTP/1.1\r\nHost: " + _host(sandbox.url)
                     + b"\r\nX-API-Key: " + org.api_key.encode()
                     + b"\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                     + b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    finally:
        sock.close()
    assert answer.startswith(b"HTTP/1.1 400"), answer[:300]
    assert b"application/problem+json" in answer and b"Transfer-Encoding" in answer
    assert b"connection: close" in answer.lower()


@pytest.mark.slow
def test_the_issue_reproduction_24_connections_are_gone_within_45_s(sandbox: Any,
                                                                    org: Any) -> None:
    """24 slow connections (headers, unread and read bodies) with the real deadlines."""
    assert REQUEST_HEADERS_TIMEOUT_S + REQUEST_BODY_TIMEOUT_S < 45
    clients = ([slow_headers(sandbox.url) for _ in range(8)]
               + [endless_body(sandbox.url, org.api_key) for _ in range(8)]
               + [endless_body(sandbox.url, None) for _ in range(8)])
    for c in clients:
        c.every = 1.0
    try:
        _run(clients, 45)
        assert all(c.closed_after is not None for c in clients), [c.closed_after for c in clients]
    finally:
        for c in clients:
            c.close()
