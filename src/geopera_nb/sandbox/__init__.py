"""The embedded Geopera sandbox: run a real Orders & Tasking API server, offline, and get
clients logged in to it.

This module wires two layers that never import each other: the server
(:mod:`geopera_nb.server`) and the client (:mod:`geopera_nb.client`). Start a sandbox in
a background thread on a free loopback port::

    >>> import geopera_nb as gn                                   # doctest: +SKIP
    >>> with gn.sandbox.start(seed=0) as sb:                       # doctest: +SKIP
    ...     org = sb.create_org(name="Demo", credits=1_000_000)
    ...     client = sb.client(org)
    ...     sb.advance(hours=24)

or as a separate process (``spawn``), which tests kill with SIGKILL and notebooks talk
to over real HTTP. Both handles talk to the server through its admin API only.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from geopera_nb.client import AsyncClient, Client, SandboxClock
from geopera_nb.contract.limits import RATE_LIMITS, SIGNED_URL_TTL_S
from geopera_nb.server.config import DEFAULT_MAX_BODY_BYTES, DEFAULT_START, SandboxConfig

__all__ = ["Org", "RemoteSandbox", "Sandbox", "SpawnedSandbox", "attach", "spawn", "start"]


@dataclass(frozen=True)
class Org:
    """A sandbox organisation and its full-scope API key (never shown in reprs)."""

    org_id: str
    workspace_id: str
    api_key: str = field(repr=False)
    name: str = ""


class _Handle:
    """What both handles share: the admin API, over HTTP."""

    url: str
    data_dir: Path

    def __init__(self, url: str, admin_token: str, data_dir: Path,
                 rate_limits: Mapping[str, int] | None = None) -> None:
        self.url = url
        self._admin_token = admin_token
        self.data_dir = Path(data_dir)
        self._http = httpx.Client(base_url=url, timeout=60.0,
                                  headers={"Authorization": f"Bearer {admin_token}"})
        # the clock's admin calls have one home, in the client (wait_for moves it too)
        self._clock = SandboxClock(url, admin_token)
        #: The server's per-minute limits when this handle started it (``None``: unknown);
        #: its clients' rate limiters pace by them.
        self.rate_limits: dict[str, int] | None = (
            {**RATE_LIMITS, **rate_limits} if rate_limits is not None else None)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self.url!r}, data_dir={str(self.data_dir)!r})"

    @property
    def admin_token(self) -> str:
        """The admin API's bearer token."""
        return self._admin_token

    def _admin(self, method: str, path: str, json: Any = None) -> Any:
        response = self._http.request(method, path, json=json)
        if response.status_code >= 400:
            detail = response.text[:500]
            raise RuntimeError(f"sandbox admin {method} {path} -> {response.status_code}: {detail}")
        return response.json()

    def create_org(self, name: str = "Sandbox org", credits: int = 1_000_000) -> Org:
        """A new org with ``credits`` granted and a full-scope API key."""
        data = self._admin("POST", "/sandbox/orgs", {"name": name, "credits": credits})
        return Org(org_id=data["org_id"], workspace_id=data["workspace_id"],
                   api_key=data["api_key"], name=name)

    def create_key(self, org: Org | str, scopes: list[str] | None = None,
                   expires_in_hours: float | None = None) -> str:
        """Another key for ``org`` (``scopes``: default every scope); answers the key."""
        body: dict[str, Any] = {"org_id": _org_id(org), "scopes": scopes}
        if expires_in_hours is not None:
            body["expires_in_hours"] = expires_in_hours
        key: str = self._admin("POST", "/sandbox/keys", body)["api_key"]
        return key

    def revoke_key(self, api_key: str) -> None:
        """Revoke an API key."""
        self._admin("POST", "/sandbox/keys/revoke", {"api_key": api_key})

    def grant(self, org: Org | str, credits: int) -> dict[str, int]:
        """Grant ``org`` more credits; answers its ledger."""
        result: dict[str, int] = self._admin("POST", f"/sandbox/orgs/{_org_id(org)}/credits",
                                             {"credits": credits})
        return result

    def advance(self, hours: float = 0.0, *, minutes: float = 0.0, days: float = 0.0) -> str:
        """Move the sandbox clock forward; answers the new time (ISO 8601)."""
        return self._clock.advance(hours, minutes=minutes, days=days)

    def approve_device(self, user_code: str, org: Org | str | None = None, *,
                       api_key: str | None = None, scopes: list[str] | None = None,
                       deny: bool = False) -> dict[str, Any]:
        """Decide a pending device login (``geopera login``): approve it for ``org`` (a new
        key with ``scopes``, default every scope) or for an existing ``api_key``, or deny
        it; answers ``{"user_code", "status", ...}``."""
        body: dict[str, Any] = {"user_code": user_code, "deny": deny}
        if org is not None:
            body["org_id"] = _org_id(org)
        if api_key is not None:
            body["api_key"] = api_key
        if scopes is not None:
            body["scopes"] = scopes
        result: dict[str, Any] = self._admin("POST", "/sandbox/device/approve", body)
        return result

    def now(self) -> str:
        """The sandbox clock (ISO 8601)."""
        return self._clock.now()

    def ledger(self, org: Org | str) -> dict[str, int]:
        """``{"granted", "balance", "reserved", "charged"}`` of an org."""
        result: dict[str, int] = self._admin("GET", f"/sandbox/orgs/{_org_id(org)}")
        return result

    def _client_kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        kwargs.setdefault("sandbox", self)
        if self.rate_limits is not None:  # pace by this server's limits, not the defaults
            kwargs.setdefault("rate_limit", dict(self.rate_limits))
        return kwargs

    def client(self, org: Org, **kwargs: Any) -> Client:
        """A ``geopera_nb.Client`` logged in as ``org`` (``client.sandbox`` is this handle)."""
        return Client(api_key=org.api_key, base_url=self.url, **self._client_kwargs(kwargs))

    def async_client(self, org: Org, **kwargs: Any) -> AsyncClient:
        """A ``geopera_nb.AsyncClient`` logged in as ``org``."""
        return AsyncClient(api_key=org.api_key, base_url=self.url,
                           **self._client_kwargs(kwargs))

    def stop(self) -> None:  # pragma: no cover - overridden
        """Stop the server."""
        raise NotImplementedError

    def __enter__(self) -> Any:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


class RemoteSandbox(_Handle):
    """The admin handle of a sandbox someone else runs (``stop`` leaves it running)."""

    def stop(self) -> None:
        """Close the admin connection; the server keeps running."""
        self._http.close()
        self._clock.close()


def attach(url: str, admin_token: str) -> RemoteSandbox:
    """The admin handle of a sandbox already running at ``url``.

    ``gn.connect()`` uses it when ``GEOPERA_SANDBOX_ADMIN_TOKEN`` is set beside
    ``GEOPERA_API_URL``, so notebooks run over HTTP can still move the sandbox clock.

    Examples
    --------
    >>> handle = attach("http://127.0.0.1:8765", "admin-token")  # doctest: +SKIP
    >>> handle.advance(hours=1)  # doctest: +SKIP
    '2026-12-01T01:00:00.000Z'
    """
    return RemoteSandbox(url.rstrip("/"), admin_token, Path("."))


def _org_id(org: Org | str) -> str:
    return org if isinstance(org, str) else org.org_id


def _data_dir(data_dir: str | Path | None) -> tuple[Path, bool]:
    if data_dir is None:
        return Path(tempfile.mkdtemp(prefix="geopera-sandbox-")), True
    path = Path(data_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path, False


class Sandbox(_Handle):
    """A sandbox server running in a background thread of this process."""

    def __init__(self, server: Any, data_dir: Path, owns_dir: bool,
                 rate_limits: Mapping[str, int] | None = None) -> None:
        super().__init__(server.url, server.backend.admin_token, data_dir, rate_limits)
        self._server = server
        self._owns_dir = owns_dir
        self._stopped = False

    @property
    def backend(self) -> Any:
        """The in-process backend (store, clock, catalogue), for tests and benchmarks."""
        return self._server.backend

    def stop(self) -> None:
        """Stop the server (and delete its data directory if it was a temporary one)."""
        if self._stopped:
            return
        self._stopped = True
        self._http.close()
        self._clock.close()
        self._server.stop()
        if self._owns_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def start(data_dir: str | Path | None = None, seed: int = 0, port: int = 0,
          rate_limits: Mapping[str, int] | None = None, *, admin_token: str | None = None,
          clock_start: str | None = None, host: str = "127.0.0.1",
          max_body_bytes: int | None = None, public_url: str | None = None,
          signed_url_ttl_s: int | None = None) -> Sandbox:
    """Run a sandbox in a background thread and wait until it answers.

    Parameters
    ----------
    data_dir
        Where ``sandbox.db`` lives (``None``: a temporary directory, deleted on stop).
    seed
        Catalogue and id seed (a new database only; an existing one keeps its seed).
    port
        TCP port on ``host`` (0: a free one).
    rate_limits
        Per-minute limits (``general``, ``placement``, ``spend``).
    admin_token
        Admin API token (default: generated).
    clock_start
        Initial sandbox time of a new database (default ``2026-12-01T00:00:00.000Z``).
    public_url
        Base URL of signed asset hrefs (default: the URL the server listens on).
    signed_url_ttl_s
        Lifetime of signed asset hrefs in wall-clock seconds (default 1 hour).

    Returns
    -------
    Sandbox
        The handle (``.url``, ``.create_org``, ``.advance``, ``.client``, ``.stop``).
    """
    from geopera_nb.server.runner import ThreadServer  # uvicorn: only when one is started

    path, owns = _data_dir(data_dir)
    config = SandboxConfig(data_dir=path, seed=seed,
                           admin_token=admin_token or _fresh_token(),
                           clock_start=clock_start or DEFAULT_START,
                           rate_limits=dict(rate_limits or {}),
                           max_body_bytes=max_body_bytes or DEFAULT_MAX_BODY_BYTES,
                           public_url=public_url,
                           signed_url_ttl_s=(SIGNED_URL_TTL_S if signed_url_ttl_s is None
                                             else signed_url_ttl_s))
    server = ThreadServer(config, host=host, port=port)
    server.start()
    return Sandbox(server, path, owns, config.rate_limits)


def _fresh_token() -> str:
    import secrets

    return "gpsa_" + secrets.token_urlsafe(32)


class SpawnedSandbox(_Handle):
    """A sandbox server running as a separate process (``geopera-nb sandbox serve``)."""

    def __init__(self, process: subprocess.Popen[str], url: str, admin_token: str,
                 data_dir: Path, owns_dir: bool, argv: list[str],
                 rate_limits: Mapping[str, int] | None = None) -> None:
        super().__init__(url, admin_token, data_dir, rate_limits)
        self.process = process
        self._owns_dir = owns_dir
        self.argv = argv

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL the server (no clean shutdown) and reap it."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)
        self._http.close()
        self._clock.close()

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._http.close()
        self._clock.close()
        if self._owns_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def spawn(data_dir: str | Path | None = None, seed: int = 0, port: int = 0,
          rate_limits: Mapping[str, int] | None = None, *, admin_token: str | None = None,
          clock_start: str | None = None, timeout: float = 60.0,
          python: str | None = None, public_url: str | None = None) -> SpawnedSandbox:
    """Start a sandbox server as a separate process and wait until it answers.

    Same parameters as :func:`start`; restarting on the same ``data_dir`` (with the
    same ``admin_token``) continues from the stored state.
    """
    path, owns = _data_dir(data_dir)
    token = admin_token or _fresh_token()
    argv = [python or sys.executable, "-m", "geopera_nb", "sandbox", "serve", "--host", "127.0.0.1",
            "--port", str(port), "--data", str(path), "--seed", str(seed),
            "--log-level", "warning"]
    if clock_start:
        argv += ["--clock-start", clock_start]
    if public_url:
        argv += ["--public-url", public_url]
    for bucket, limit in (rate_limits or {}).items():
        argv += [f"--rate-limit-{bucket}", str(limit)]
    env = dict(os.environ, GEOPERA_SANDBOX_ADMIN_TOKEN=token, PYTHONUNBUFFERED="1")
    log = open(path / "sandbox.log", "a", encoding="utf-8")  # noqa: SIM115
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, text=True, env=env)
    log.close()
    url = _wait_ready(process, timeout)
    return SpawnedSandbox(process, url, token, path, owns, argv, dict(rate_limits or {}))


def _wait_ready(process: subprocess.Popen[str], timeout: float) -> str:
    from geopera_nb.server.runner import READY_PREFIX

    found: list[str] = []
    done = threading.Event()

    def reader() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if not found and line.startswith(READY_PREFIX):
                found.append(line[len(READY_PREFIX):].strip())
                done.set()
        done.set()

    threading.Thread(target=reader, daemon=True).start()
    deadline = time.monotonic() + timeout
    while not done.wait(0.05):
        if time.monotonic() > deadline:
            process.kill()
            raise TimeoutError("sandbox process did not start in time")
    if not found:
        process.wait(5)
        raise RuntimeError(f"sandbox process exited early (code {process.returncode})")
    return found[0]
