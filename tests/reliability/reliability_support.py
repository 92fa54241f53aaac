"""Shared helpers of the reliability suite: raw HTTP to the sandbox, admin calls,
AOI builders and a spawned sandbox process that can be SIGKILLed.

Everything talks plain HTTP (httpx) to 127.0.0.1 so the tests control bytes and headers
exactly; only the sandbox handle (start/stop) comes from ``geopera_nb.sandbox``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx

REPO = Path(__file__).resolve().parents[2]

#: Rate limits high enough that no bounded test meets a 429 unless it wants one.
HIGH_RATE_LIMITS: dict[str, int] = {"general": 1_000_000, "placement": 1_000_000, "spend": 1_000_000,
                                   "oidc": 1_000_000}

TIMEOUT = httpx.Timeout(60.0, connect=10.0)

#: ``geopera-nb sandbox serve`` flags raising every rate limit.
HIGH_RATE_LIMIT_ARGS: list[str] = [
    "--rate-limit-general", "1000000",
    "--rate-limit-placement", "1000000",
    "--rate-limit-spend", "1000000",
]
PROBLEM_JSON = "application/problem+json"


class SandboxHandle(Protocol):
    url: str
    admin_token: str

    def stop(self) -> None: ...


def start_in_process(
    *, rate_limits: Mapping[str, int] | None = None, data_dir: Path | None = None, seed: int = 0
) -> SandboxHandle:
    """Start the embedded sandbox in a thread on a free loopback port."""
    from geopera_nb import sandbox

    kwargs: dict[str, Any] = {"seed": seed}
    if data_dir is not None:
        kwargs["data_dir"] = data_dir
    if rate_limits is not None:
        kwargs["rate_limits"] = dict(rate_limits)
    handle: SandboxHandle = sandbox.start(**kwargs)
    return handle


@dataclass(frozen=True)
class OrgCreds:
    """An org created through the admin API (key with every scope)."""

    org_id: str
    workspace_id: str
    api_key: str


@dataclass(frozen=True)
class Ledger:
    granted: int
    balance: int
    reserved: int
    charged: int

    @property
    def balanced(self) -> bool:
        return self.granted == self.balance + self.reserved + self.charged


class Admin:
    """The sandbox's admin API (admin token as Bearer)."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = httpx.Client(
            base_url=self.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
        )

    def __enter__(self) -> Admin:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def _ok(self, response: httpx.Response) -> dict[str, Any]:
        assert response.status_code < 300, (response.status_code, response.text[:500])
        data: dict[str, Any] = response.json()
        return data

    def create_org(self, name: str, credits: int) -> OrgCreds:
        data = self._ok(self.http.post("/sandbox/orgs", json={"name": name, "credits": credits}))
        return OrgCreds(data["org_id"], data["workspace_id"], data["api_key"])

    def create_key(self, org_id: str, scopes: list[str]) -> str:
        data = self._ok(self.http.post("/sandbox/keys", json={"org_id": org_id, "scopes": scopes}))
        key: str = data["api_key"]
        return key

    def revoke(self, api_key: str) -> None:
        self._ok(self.http.post("/sandbox/keys/revoke", json={"api_key": api_key}))

    def advance(self, hours: float) -> str:
        now: str = self._ok(self.http.post("/sandbox/clock/advance", json={"hours": hours}))["now"]
        return now

    def ledger(self, org_id: str) -> Ledger:
        data = self._ok(self.http.get(f"/sandbox/orgs/{org_id}"))
        return Ledger(
            int(data["granted"]), int(data["balance"]), int(data["reserved"]), int(data["charged"])
        )


class OrgApi:
    """Raw calls of the Orders & Tasking operations as one org."""

    def __init__(self, base_url: str, creds: OrgCreds, *, timeout: httpx.Timeout = TIMEOUT) -> None:
        self.creds = creds
        self.http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {creds.api_key}"},
            timeout=timeout,
        )

    def __enter__(self) -> OrgApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def post(
        self,
        op_id: str,
        body: Any = None,
        *,
        idempotency_key: str | None = None,
        headers: Mapping[str, str] | None = None,
        resource_form: bool = False,
    ) -> httpx.Response:
        path = "/v1/" + op_id.replace(".", "/") if resource_form else f"/v1/op/{op_id}"
        hdrs = dict(headers or {})
        if idempotency_key is not None:
            hdrs["Idempotency-Key"] = idempotency_key
        return self.http.post(path, json={} if body is None else body, headers=hdrs)

    def ok(self, op_id: str, body: Any = None, **kw: Any) -> dict[str, Any]:
        response = self.post(op_id, body, **kw)
        assert response.status_code in (200, 202), (op_id, response.status_code, response.text[:800])
        data: dict[str, Any] = response.json()
        return data

    def raw(
        self, path: str, content: bytes, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        hdrs = {"Content-Type": "application/json", **dict(headers or {})}
        return self.http.post(path, content=content, headers=hdrs)

    def all_orders(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        page = 0
        while page < 100:  # bounded
            data = self.ok("orders.list", {"page": page, "size": 500})
            out.extend(data["content"])
            if page + 1 >= int(data.get("totalPages", 0)):
                break
            page += 1
        return out

    def order_count(self) -> int:
        return int(self.ok("orders.list", {"page": 0, "size": 1})["totalElements"])


def new_key() -> str:
    return str(uuid.uuid4())


# --- geometry ----------------------------------------------------------------------------


def square(lon: float, lat: float, half: float = 0.03) -> dict[str, Any]:
    """A closed counter-clockwise square Polygon around (lon, lat)."""
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def feature_collection(*geometries: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {}, "geometry": dict(g)} for g in geometries
        ],
    }


def polygon_fc(lon: float = 151.0, lat: float = -33.8, half: float = 0.03) -> dict[str, Any]:
    return feature_collection(square(lon, lat, half))


# --- catalogue look-ups ------------------------------------------------------------------


def sensors(api: OrgApi) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = api.ok("orders.tasking.sensors", {})["sensors"]
    return found


def archive_captures(api: OrgApi, limit: int = 50) -> list[dict[str, Any]]:
    data = api.ok("catalog.search", {"host_name": "geopera", "limit": limit})
    features: list[dict[str, Any]] = data["features"]
    return features


def centroid_of(geometry: Mapping[str, Any]) -> tuple[float, float]:
    from shapely.geometry import shape

    c = shape(geometry).centroid
    return float(c.x), float(c.y)


# --- a spawned sandbox process -----------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class ServerProcess:
    """``geopera-nb sandbox serve`` as a child process on a data dir (killable)."""

    def __init__(
        self,
        data_dir: Path,
        *,
        admin_token: str = "reliability-admin-token",
        seed: int = 0,
        extra_args: list[str] | None = None,
        env: Mapping[str, str] | None = None,
        log_path: Path | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.admin_token = admin_token
        self.seed = seed
        self.extra_args = HIGH_RATE_LIMIT_ARGS + list(extra_args or [])
        self.env = dict(env or {})
        self.log_path = log_path or (data_dir.parent / f"{data_dir.name}-server.log")
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> ServerProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        cmd = [
            sys.executable,
            "-m",
            "geopera_nb.cli.main",
            "sandbox",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--data",
            str(self.data_dir),
            "--seed",
            str(self.seed),
            "--admin-token",
            self.admin_token,
            *self.extra_args,
        ]
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **self.env}
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=REPO
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sandbox exited early ({self.proc.returncode}):\n{self.log()}")
            try:
                r = httpx.get(f"{self.url}/openapi.json", timeout=2.0)
                if r.status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"sandbox did not come up in {timeout}s:\n{self.log()}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        self.proc = None

    def stop(self) -> None:
        self.kill(signal.SIGTERM)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.kill()


def is_up(base_url: str) -> bool:
    """The server answers (``/sandbox/ping``, else ``/openapi.json``)."""
    try:
        r = httpx.get(f"{base_url}/sandbox/ping", timeout=30.0)
        if r.status_code == 200:
            return True
        return httpx.get(f"{base_url}/openapi.json", timeout=30.0).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def raw_http(base_url: str, method: str, path: str, headers: list[tuple[bytes, bytes]],
             body: bytes = b"", timeout: float = 60.0) -> RawResponse:
    """One HTTP/1.1 request over a plain socket, headers exactly as given (no checks)."""
    host, port = base_url.removeprefix("http://").split(":")
    head = [f"{method} {path} HTTP/1.1".encode(), f"Host: {host}:{port}".encode(),
            b"Connection: close", f"Content-Length: {len(body)}".encode()]
    head += [name + b": " + value for name, value in headers]
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(b"\r\n".join(head) + b"\r\n\r\n" + body)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    data = b"".join(chunks)
    header_blob, _, payload = data.partition(b"\r\n\r\n")
    lines = header_blob.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    parsed = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        parsed[name.strip().lower()] = value.strip()
    if parsed.get("transfer-encoding") == "chunked":
        out, rest = b"", payload
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line, 16)
            if size == 0:
                break
            out, rest = out + rest[:size], rest[size + 2:]
        payload = out
    return RawResponse(status, parsed, payload)


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()
