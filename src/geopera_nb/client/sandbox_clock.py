"""The sandbox clock, over the sandbox's admin API: the one place the client moves it.

A Geopera sandbox runs on its own clock, which moves only when an administrator
advances it. ``wait_for`` on a sandbox moves that clock instead of sleeping, which needs
the admin token. :class:`SandboxClock` is that small handle:

- ``now()`` -> ``GET /sandbox/clock`` -> the ISO 8601 instant;
- ``advance(hours=...)`` -> ``POST /sandbox/clock/advance {"hours"}`` -> the new instant;

both with ``Authorization: Bearer <admin token>``. ``gn.Client()`` attaches one as
``client.sandbox`` when ``GEOPERA_SANDBOX_ADMIN_TOKEN`` is set (and no sandbox handle
was given); the sandbox facade's handles (``gn.sandbox.start``/``spawn``/``attach``)
delegate their ``advance``/``now`` to one.

:func:`probe_sandbox` answers whether a base URL is a sandbox (``GET /sandbox/ping``,
which needs no token): ``wait_for`` warns when it polls a sandbox it cannot move.

Examples
--------
>>> import httpx
>>> def admin(request):
...     assert request.headers["authorization"] == "Bearer gpsa_0123456789secret"
...     if request.url.path == "/sandbox/clock/advance":
...         return httpx.Response(200, json={"now": "2026-12-01T02:00:00.000Z"})
...     return httpx.Response(200, json={"now": "2026-12-01T00:00:00.000Z"})
>>> clock = SandboxClock("http://127.0.0.1:8765", "gpsa_0123456789secret",
...                      transport=httpx.MockTransport(admin))
>>> clock
SandboxClock(url='http://127.0.0.1:8765', admin_token=…cret)
>>> clock.now(), clock.advance(hours=2)
('2026-12-01T00:00:00.000Z', '2026-12-01T02:00:00.000Z')
>>> clock.close()
"""

from __future__ import annotations

import asyncio
import math
import threading
from typing import Any

import httpx
import orjson

from ..contract import environment
from ..contract.limits import (
    CLOCK_ADVANCE_MAX_HOURS,
    ERROR_BODY_MAX_BYTES,
    ERROR_TEXT_MAX_CHARS,
    SANDBOX_ADMIN_TIMEOUT_S,
    SANDBOX_PROBE_TIMEOUT_S,
)
from ..errors import (
    ConnectError,
    GeoperaError,
    RequestTimeoutError,
    RequestValidationError,
    ResponseError,
    from_response,
)
from .deadline import Deadline
from .reading import BodyReader
from .secret import Secret

__all__ = ["ENV_SANDBOX_ADMIN_TOKEN", "SandboxClock", "aprobe_sandbox", "probe_sandbox"]

#: The variable that names a sandbox's admin token (the same one the sandbox server
#: reads: ``geopera_nb.server.config.ADMIN_TOKEN_ENV``; the client cannot import it).
ENV_SANDBOX_ADMIN_TOKEN = environment.SANDBOX_ADMIN_TOKEN
_PING = "/sandbox/ping"
_PING_MAX_BYTES = len(b'{"ok": true}') * 4  # the answer is 11 bytes


class SandboxClock:
    """``now()`` / ``advance(hours=...)`` of a sandbox, through its admin API.

    Parameters
    ----------
    url
        The sandbox's base URL.
    admin_token
        Its admin token (kept as a :class:`~geopera_nb.client.Secret`).
    transport
        An ``httpx.BaseTransport`` (tests).
    timeout
        Seconds per admin call.
    """

    def __init__(self, url: str, admin_token: str | Secret, *,
                 transport: httpx.BaseTransport | None = None,
                 timeout: float = SANDBOX_ADMIN_TIMEOUT_S) -> None:
        self.url = url.rstrip("/")
        self._token = Secret(admin_token)
        self._transport = transport
        self._timeout = timeout
        self._http: httpx.Client | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SandboxClock(url={self.url!r}, admin_token={self._token})"

    @property
    def admin_token(self) -> Secret:
        """The admin token (masked in reprs)."""
        return self._token

    def _client(self) -> httpx.Client:
        with self._lock:  # made on first use: a client that never waits needs none
            if self._http is None:
                self._http = httpx.Client(base_url=self.url, transport=self._transport,
                                          timeout=self._timeout)
            return self._http

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> str:
        headers = {"Authorization": f"Bearer {self._token.get_secret_value()}",
                   "Accept": "application/json"}
        content = orjson.dumps(body) if body is not None else None
        if content is not None:
            headers["Content-Type"] = "application/json"
        what = f"sandbox clock ({method} {path})"
        failure: GeoperaError | None = None
        answer: tuple[httpx.Response, bytes, bool] | None = None
        deadline = Deadline(self._timeout, operation=what)
        try:
            with deadline.active(), self._client().stream(
                    method, path, content=content, headers=headers) as response:
                reader = BodyReader(response, limit=ERROR_BODY_MAX_BYTES, operation=what,
                                    allow_cut=True)
                reader.read(response)
                answer = response, bytes(reader.body()), reader.cut
        except httpx.HTTPError as exc:
            text = (f"cannot reach the server: {what}: {type(exc).__name__} ({exc}); is the "
                    f"sandbox at {self.url} running?")
            failure = (RequestTimeoutError(text, operation=what)
                       if isinstance(exc, httpx.TimeoutException)
                       else ConnectError(text, operation=what))
        if failure is not None:
            raise failure
        assert answer is not None
        response, data, cut = answer
        if response.status_code >= 400:
            raise from_response(response, what, content=data, cut_at=len(data) if cut else None,
                                max_text=ERROR_TEXT_MAX_CHARS)
        try:
            parsed = orjson.loads(data)
        except orjson.JSONDecodeError:
            parsed = None
        now = parsed.get("now") if isinstance(parsed, dict) else None
        if not isinstance(now, str):
            raise ResponseError(f"{what}: the answer holds no \"now\" instant "
                                f"(is {self.url} a Geopera sandbox?)", operation=what,
                                status=response.status_code)
        return now

    def now(self) -> str:
        """The sandbox clock (ISO 8601)."""
        return self._call("GET", "/sandbox/clock")

    def advance(self, hours: float = 0.0, *, minutes: float = 0.0, days: float = 0.0) -> str:
        """Move the sandbox clock forward; answers the new time (ISO 8601)."""
        total = hours + minutes / 60.0 + days * 24.0
        if not math.isfinite(total) or not 0 <= total <= CLOCK_ADVANCE_MAX_HOURS:
            raise RequestValidationError(
                f"advance by 0 to {CLOCK_ADVANCE_MAX_HOURS:,} hours, not {total!r}",
                fields=["hours"])
        return self._call("POST", "/sandbox/clock/advance", {"hours": total})

    def close(self) -> None:
        """Close the admin connection (the sandbox keeps running)."""
        with self._lock:
            if self._http is not None:
                self._http.close()
                self._http = None

    # the facade's handles and RemoteSandbox call it ``stop``
    stop = close


def _ping_ok(status: int, head: bytes) -> bool:
    if status != 200:
        return False
    try:
        return bool(orjson.loads(head) == {"ok": True})
    except orjson.JSONDecodeError:
        return False


def probe_sandbox(http: httpx.Client) -> bool:
    """Whether the base URL of ``http`` is a Geopera sandbox (``GET /sandbox/ping``).

    Bounded (``SANDBOX_PROBE_TIMEOUT_S``, 64 bytes read); any failure answers False:
    this only decides whether to warn.
    """
    deadline = Deadline(SANDBOX_PROBE_TIMEOUT_S, operation="sandbox probe")
    try:
        with deadline.active(), http.stream("GET", _PING,
                                            timeout=SANDBOX_PROBE_TIMEOUT_S) as response:
            reader = BodyReader(response, limit=_PING_MAX_BYTES, operation="sandbox probe",
                                allow_cut=True)
            reader.read(response)
            return not reader.cut and _ping_ok(response.status_code, bytes(reader.body()))
    except (httpx.HTTPError, GeoperaError):
        return False


async def aprobe_sandbox(http: httpx.AsyncClient) -> bool:
    """Async :func:`probe_sandbox`."""
    try:
        async with asyncio.timeout(SANDBOX_PROBE_TIMEOUT_S), http.stream(
                "GET", _PING, timeout=SANDBOX_PROBE_TIMEOUT_S) as response:
            reader = BodyReader(response, limit=_PING_MAX_BYTES, operation="sandbox probe",
                                allow_cut=True)
            await reader.aread(response)
            return not reader.cut and _ping_ok(response.status_code, bytes(reader.body()))
    except (httpx.HTTPError, GeoperaError, TimeoutError):
        return False
