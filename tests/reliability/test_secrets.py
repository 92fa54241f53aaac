"""Secrets: keys hashed at rest, tokens never in logs, reprs, exceptions or CLI output,
and the admin API unreachable with org credentials."""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
import traceback
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from reliability_support import (
    REPO,
    Admin,
    OrgApi,
    OrgCreds,
    SandboxHandle,
    ServerProcess,
    free_port,
    new_key,
    start_in_process,
)


def secret_fragments(secret: str) -> list[str]:
    """What must never appear: the secret, its body without the ``gpra_`` prefix, and its
    last 16 characters (a masked form may show the prefix and at most 4 characters)."""
    body = secret.removeprefix("gpra_").removeprefix("gprt_")
    return sorted({secret, body, body[-16:]})


def assert_absent(text: str, secrets_: list[str], where: str) -> None:
    for secret in secrets_:
        for fragment in secret_fragments(secret):
            assert fragment not in text, f"a secret ({fragment[:6]}...) appears in {where}"


def _token_pair(base_url: str, api_key: str) -> dict[str, Any]:
    r = httpx.post(f"{base_url}/realms/public/protocol/openid-connect/token",
                   data={"grant_type": "client_credentials", "client_id": "geopera",
                         "client_secret": api_key}, timeout=30)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def _exercise(base_url: str, admin: Admin, org: OrgCreds) -> list[str]:
    """Use every kind of credential, well and badly; answer all secrets involved."""
    narrow = admin.create_key(org.org_id, ["catalog:read"])
    revoked = admin.create_key(org.org_id, ["orders:read"])
    admin.revoke(revoked)
    tokens = _token_pair(base_url, org.api_key)
    refreshed = httpx.post(f"{base_url}/realms/public/protocol/openid-connect/token",
                           data={"grant_type": "refresh_token", "client_id": "geopera",
                                 "refresh_token": tokens["refresh_token"]}, timeout=30)
    assert refreshed.status_code == 200, refreshed.text
    secrets_ = [org.api_key, narrow, revoked, tokens["access_token"], tokens["refresh_token"],
                refreshed.json()["access_token"], refreshed.json()["refresh_token"]]
    calls: list[tuple[dict[str, str], str, bytes]] = [
        ({"Authorization": f"Bearer {org.api_key}"}, "orders.list", b"{}"),
        ({"X-API-Key": org.api_key}, "orders.list", b"{}"),
        ({"Authorization": f"Bearer {tokens['access_token']}"}, "orders.list", b"{}"),
        ({"Authorization": f"Bearer {narrow}"}, "orders.list", b"{}"),  # 403
        ({"Authorization": f"Bearer {revoked}"}, "orders.list", b"{}"),  # 401
        ({"Authorization": f"Bearer {org.api_key}x"}, "orders.list", b"{}"),  # 401
        ({"Authorization": f"Bearer {org.api_key}"}, "orders.get", b'{"order_id": 5}'),  # 422
        ({"Authorization": f"Bearer {org.api_key}"}, "orders.get", b"{bad json"),  # 422
        ({"Authorization": f"Bearer {org.api_key}", "Idempotency-Key": "k" * 300},
         "orders.cancel", b'{"order_id": "x"}'),
    ]
    for headers, op_id, body in calls:
        r = httpx.post(f"{base_url}/v1/op/{op_id}", content=body,
                       headers={**headers, "Content-Type": "application/json"}, timeout=30)
        assert r.status_code < 500, r.text
        assert_absent(r.text, secrets_, f"the answer to {op_id} ({r.status_code})")
        assert_absent(str(r.headers), secrets_, f"the headers of {op_id} ({r.status_code})")
    userinfo = httpx.get(f"{base_url}/realms/public/protocol/openid-connect/userinfo",
                         headers={"X-API-Key": org.api_key}, timeout=30)
    assert userinfo.status_code == 200, userinfo.text
    assert_absent(userinfo.text, secrets_, "userinfo")
    return secrets_


# --- at rest ------------------------------------------------------------------------------


@pytest.fixture()
def file_sandbox(tmp_path: Path) -> Iterator[tuple[SandboxHandle, Path]]:
    handle = start_in_process(data_dir=tmp_path / "data")
    try:
        yield handle, tmp_path / "data"
    finally:
        handle.stop()


def test_keys_and_refresh_tokens_are_hashed_at_rest(
    file_sandbox: tuple[SandboxHandle, Path],
) -> None:
    handle, data_dir = file_sandbox
    with Admin(handle.url, handle.admin_token) as admin:
        org = admin.create_org("secrets-at-rest", credits=1_000)
        secrets_ = _exercise(handle.url, admin, org)
    files = sorted(data_dir.glob("sandbox.db*"))
    assert files, f"no database in {data_dir}"
    for path in files:
        raw = path.read_bytes()
        for secret in secrets_:
            for fragment in secret_fragments(secret):
                assert fragment.encode() not in raw, f"a secret appears in {path.name}"
    conn = sqlite3.connect(f"file:{data_dir / 'sandbox.db'}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        assert "api_keys" in tables or any("key" in t for t in tables), tables
        cells = 0
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    cells += 1
                    text = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
                    assert_absent(text, secrets_, f"table {table}")
        assert cells > 0
    finally:
        conn.close()


# --- logs ---------------------------------------------------------------------------------


def test_tokens_never_in_in_process_server_logs(
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    handle = start_in_process()
    try:
        with Admin(handle.url, handle.admin_token) as admin:
            org = admin.create_org("secrets-logs", credits=1_000)
            secrets_ = _exercise(handle.url, admin, org)
            secrets_.append(handle.admin_token)
    finally:
        handle.stop()
    out, err = capfd.readouterr()
    assert caplog.records, "no log records captured"
    assert_absent(caplog.text, secrets_, "the server's log records")
    for record in caplog.records:
        assert_absent(repr(record.args) + str(record.msg), secrets_, f"log record {record.name}")
    assert_absent(out + err, secrets_, "the server's stdout/stderr")


def test_tokens_never_in_spawned_server_output(tmp_path: Path) -> None:
    with ServerProcess(tmp_path / "data", extra_args=["--log-level", "debug", "--access-log"]) as server:
        with Admin(server.url, server.admin_token) as admin:
            org = admin.create_org("secrets-spawned", credits=1_000)
            secrets_ = _exercise(server.url, admin, org)
        server.stop()
        log = server.log()
    assert log.strip(), "the server wrote nothing (log capture broken?)"
    assert_absent(log, [*secrets_, server.admin_token], "the spawned server's output")


# --- client reprs and exceptions ----------------------------------------------------------


def _exception_texts(exc: BaseException) -> str:
    parts = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    for name in ("problem", "detail", "errors", "request", "response", "args"):
        parts.append(repr(getattr(exc, name, None)))
    return "\n".join(parts)


def test_client_repr_hides_key(rel_sandbox: SandboxHandle, org_a: OrgCreds) -> None:
    import geopera_nb as gn

    client = gn.Client(api_key=org_a.api_key, base_url=rel_sandbox.url)
    try:
        texts = [repr(client), str(client), f"{client!r}", repr(vars(client))
                 if hasattr(client, "__dict__") else ""]
        for attr in ("orders", "catalog", "orders.tasking"):
            obj: Any = client
            for part in attr.split("."):
                obj = getattr(obj, part)
            texts.append(repr(obj))
        assert_absent("\n".join(texts), [org_a.api_key], "gn.Client reprs")
    finally:
        client.close()


def test_async_client_repr_hides_key(rel_sandbox: SandboxHandle, org_a: OrgCreds) -> None:
    import geopera_nb as gn

    client = gn.AsyncClient(api_key=org_a.api_key, base_url=rel_sandbox.url)
    assert_absent(repr(client) + str(client), [org_a.api_key], "gn.AsyncClient repr")


def test_client_errors_never_carry_the_key(
    rel_sandbox: SandboxHandle, admin: Admin, org_a: OrgCreds
) -> None:
    import geopera_nb as gn
    from geopera_nb import errors

    narrow = admin.create_key(org_a.org_id, ["catalog:read"])
    revoked = admin.create_key(org_a.org_id, ["orders:read"])
    admin.revoke(revoked)
    secrets_ = [org_a.api_key, narrow, revoked]
    cases: list[tuple[str, str, type[BaseException], Any]] = [
        (revoked, rel_sandbox.url, errors.UnauthenticatedError,
         lambda c: c.orders.list()),
        (narrow, rel_sandbox.url, errors.ForbiddenError, lambda c: c.orders.list()),
        (org_a.api_key, rel_sandbox.url, errors.NotFoundError,
         lambda c: c.orders.get(order_id=new_key())),
        (org_a.api_key, rel_sandbox.url, errors.ValidationError,  # the server's 422
         lambda c: c.orders.tasking.place(groups=[{"sensor": "no-such-sensor"}])),
        (org_a.api_key, rel_sandbox.url, errors.RequestValidationError,  # a local 422
         lambda c: c.orders.get(order_id=5)),
        (org_a.api_key, f"http://127.0.0.1:{free_port()}", errors.TransportError,
         lambda c: c.orders.list()),
    ]
    seen = 0
    for key, url, expected, call in cases:
        client = gn.Client(api_key=key, base_url=url, retry=gn.RetryPolicy.disabled())
        try:
            with pytest.raises(expected) as info:
                call(client)
        finally:
            client.close()
        seen += 1
        assert_absent(_exception_texts(info.value), secrets_, f"{expected.__name__} texts")
    assert seen == len(cases)


def test_client_logs_never_carry_the_key(
    rel_sandbox: SandboxHandle, org_a: OrgCreds, caplog: pytest.LogCaptureFixture
) -> None:
    import geopera_nb as gn

    caplog.set_level(logging.DEBUG)
    client = gn.Client(api_key=org_a.api_key, base_url=rel_sandbox.url)
    try:
        client.orders.list()
        client.orders.tasking.sensors()
    finally:
        client.close()
    assert_absent(caplog.text, [org_a.api_key], "client logs (DEBUG, incl. httpx/httpcore)")


# --- CLI ----------------------------------------------------------------------------------


def _cli(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "geopera_nb.cli.main", *args],
                          capture_output=True, text=True, timeout=timeout, cwd=REPO,
                          env={**os.environ, **env}, stdin=subprocess.DEVNULL)


def _cli_output_never_carries_the_key(
    sandbox_url: str, admin: Admin, org: OrgCreds, tmp_path: Path, transport_error: bool
) -> None:
    revoked = admin.create_key(org.org_id, ["orders:read"])
    admin.revoke(revoked)
    narrow = admin.create_key(org.org_id, ["catalog:read"])
    runs = [  # (key, url, expected exit status)
        (org.api_key, sandbox_url, 0),  # NDJSON of the orders on stdout
        (revoked, sandbox_url, 1),  # 401
        (narrow, sandbox_url, 1),  # 403
    ]
    if transport_error:  # the client retries for ~15 s before it gives up
        runs.append((org.api_key, f"http://127.0.0.1:{free_port()}", 1))
    def run(key: str, url: str) -> subprocess.CompletedProcess[str]:
        env = {"GEOPERA_API_URL": url, "GEOPERA_API_TOKEN": key, "HOME": str(tmp_path)}
        return _cli(["frames", "orders"], env)

    with ThreadPoolExecutor(max_workers=len(runs)) as pool:  # the runs are independent
        results = list(pool.map(lambda r: run(r[0], r[1]), runs))
    outputs = []
    for (key, url, expected), result in zip(runs, results, strict=True):
        text = f"{result.stdout}\n{result.stderr}"
        assert result.returncode == expected, (key[:9], url, result.returncode, text[-500:])
        outputs.append(text)
    assert_absent("\n".join(outputs), [org.api_key, revoked, narrow], "geopera-nb output")


def test_cli_output_never_carries_the_key(
    rel_sandbox: SandboxHandle, admin: Admin, org_a: OrgCreds, tmp_path: Path
) -> None:
    _cli_output_never_carries_the_key(rel_sandbox.url, admin, org_a, tmp_path, False)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_cli_output_never_carries_the_key_on_transport_errors(
    rel_sandbox: SandboxHandle, admin: Admin, org_a: OrgCreds, tmp_path: Path
) -> None:
    _cli_output_never_carries_the_key(rel_sandbox.url, admin, org_a, tmp_path, True)


# --- admin API ----------------------------------------------------------------------------

ADMIN_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/sandbox/orgs", {"name": "evil", "credits": 10**9}),
    ("POST", "/sandbox/keys", {"org_id": "ORG", "scopes": ["*:*"]}),
    ("POST", "/sandbox/keys/revoke", {"api_key": "KEY"}),
    ("POST", "/sandbox/clock/advance", {"hours": 1000}),
    ("GET", "/sandbox/orgs/ORG", None),
    ("GET", "/sandbox/clock", None),
]


def test_admin_api_unreachable_with_org_credentials(
    rel_sandbox: SandboxHandle, admin: Admin, org_a: OrgCreds, org_b: OrgCreds
) -> None:
    tokens = _token_pair(rel_sandbox.url, org_a.api_key)
    credential_headers = {
        "no credentials": {},
        "org key as Bearer": {"Authorization": f"Bearer {org_a.api_key}"},
        "org key as X-API-Key": {"X-API-Key": org_a.api_key},
        "org JWT as Bearer": {"Authorization": f"Bearer {tokens['access_token']}"},
        "admin token as X-API-Key": {"X-API-Key": rel_sandbox.admin_token},
        "wrong admin token": {"Authorization": f"Bearer {rel_sandbox.admin_token}x"},
    }
    clock_before = admin.http.get("/sandbox/clock").json()["now"]
    ledger_before = admin.ledger(org_b.org_id)
    tried = 0
    with httpx.Client(base_url=rel_sandbox.url, timeout=30) as http:
        for label, headers in credential_headers.items():
            for method, path, body in ADMIN_ROUTES:
                path = path.replace("ORG", org_b.org_id)
                payload = None if body is None else {
                    k: (org_b.org_id if v == "ORG" else org_b.api_key if v == "KEY" else v)
                    for k, v in body.items()}
                r = http.request(method, path, json=payload, headers=headers)
                tried += 1
                assert r.status_code in (401, 403), f"{label} {method} {path}: {r.status_code}"
                assert r.headers["content-type"].startswith("application/problem+json")
    assert tried == len(credential_headers) * len(ADMIN_ROUTES)
    assert admin.http.get("/sandbox/clock").json()["now"] == clock_before
    assert admin.ledger(org_b.org_id) == ledger_before
    with OrgApi(rel_sandbox.url, org_b) as api:
        assert api.post("orders.list", {}).status_code == 200, "org B's key was revoked"


def test_admin_token_is_not_an_org_credential(rel_sandbox: SandboxHandle) -> None:
    r = httpx.post(f"{rel_sandbox.url}/v1/op/orders.list", json={},
                   headers={"Authorization": f"Bearer {rel_sandbox.admin_token}"}, timeout=30)
    assert r.status_code == 401, r.text
