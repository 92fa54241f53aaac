"""Issue 13, item 12: the device authorization grant (RFC 8628) with PKCE (RFC 7636), as the
official ``geopera login`` sends it, against the sandbox over real HTTP.

The official CLI end to end is ``tests/peers/test_peer_cli_login.py``.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from geopera_nb.cli.main import cli

REALM = "/realms/public/protocol/openid-connect"
GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def pkce() -> tuple[str, str]:
    """``(verifier, S256 challenge)`` exactly as geopera_cli.__main__._pkce_pair makes them."""
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    challenge = base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize(url: str, challenge: str | None, **extra: str) -> httpx.Response:
    form = {"client_id": "geopera-cli", "scope": "openid profile", **extra}
    if challenge is not None:
        form.update(code_challenge=challenge, code_challenge_method="S256")
    return httpx.post(url + REALM + "/auth/device", data=form)


def poll(url: str, device_code: str, verifier: str | None,
         client_id: str = "geopera-cli") -> httpx.Response:
    form = {"grant_type": GRANT, "device_code": device_code, "client_id": client_id}
    if verifier is not None:
        form["code_verifier"] = verifier
    return httpx.post(url + REALM + "/token", data=form)


def admin_approve(sandbox: Any, **body: Any) -> httpx.Response:
    return httpx.post(sandbox.url + "/sandbox/device/approve", json=body,
                      headers={"Authorization": f"Bearer {sandbox.admin_token}"})


@pytest.fixture
def started(sandbox: Any, wall: list[float]) -> tuple[dict[str, Any], str]:
    verifier, challenge = pkce()
    r = authorize(sandbox.url, challenge)
    assert r.status_code == 200, r.text
    return r.json(), verifier


def test_the_authorization_answer(sandbox: Any, started: tuple[dict[str, Any], str]) -> None:
    device, _ = started
    assert set(device) == {"device_code", "user_code", "verification_uri",
                           "verification_uri_complete", "expires_in", "interval"}
    assert re.fullmatch(r"[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}",
                        device["user_code"])
    assert device["verification_uri"] == sandbox.url + "/realms/public/device"
    assert device["verification_uri_complete"] == (device["verification_uri"]
                                                   + "?user_code=" + device["user_code"])
    assert device["expires_in"] == 600 and device["interval"] == 5
    stored = b"".join(p.read_bytes() for p in sandbox.data_dir.glob("sandbox.db*"))
    assert device["device_code"].encode() not in stored  # a bearer secret: hashed at rest


def test_pending_slow_down_approval_and_one_redemption(
        sandbox: Any, org: Any, wall: list[float], started: tuple[dict[str, Any], str]) -> None:
    device, verifier = started
    first = poll(sandbox.url, device["device_code"], verifier)
    assert first.status_code == 400 and first.json()["error"] == "authorization_pending"
    fast = poll(sandbox.url, device["device_code"], verifier)  # at once: too soon
    assert fast.status_code == 400 and fast.json()["error"] == "slow_down"
    wall[0] += 6  # the old interval is not enough any more: it grew by 5 s
    assert poll(sandbox.url, device["device_code"], verifier).json()["error"] == "slow_down"
    wall[0] += 15
    assert poll(sandbox.url, device["device_code"],
                verifier).json()["error"] == "authorization_pending"
    approved = admin_approve(sandbox, user_code=device["user_code"].lower(), org_id=org.org_id)
    assert approved.status_code == 200, approved.text
    assert approved.json() == {"user_code": device["user_code"], "status": "approved",
                               "org_id": org.org_id}
    wall[0] += 20
    tokens = poll(sandbox.url, device["device_code"], verifier)
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 300
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    info = httpx.get(sandbox.url + REALM + "/userinfo", headers=bearer).json()
    assert info["geopera_org_id"] == org.org_id
    assert httpx.post(sandbox.url + "/v1/op/orders.list", json={},
                      headers=bearer).status_code == 200
    wall[0] += 20
    again = poll(sandbox.url, device["device_code"], verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    # the session refreshes like any other, with the client it was issued to
    refreshed = httpx.post(sandbox.url + REALM + "/token", data={
        "grant_type": "refresh_token", "refresh_token": body["refresh_token"],
        "client_id": "geopera-cli"})
    assert refreshed.status_code == 200


@pytest.mark.parametrize("verifier", [None, "wrong", "x" * 43, "y" * 129])
def test_the_verifier_must_match_the_challenge(sandbox: Any, org: Any, wall: list[float],
                                               started: tuple[dict[str, Any], str],
                                               verifier: str | None) -> None:
    device, _ = started
    admin_approve(sandbox, user_code=device["user_code"], org_id=org.org_id)
    r = poll(sandbox.url, device["device_code"], verifier)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant", r.text


def test_another_client_cannot_redeem_the_code(sandbox: Any, org: Any,
                                               started: tuple[dict[str, Any], str]) -> None:
    device, verifier = started
    admin_approve(sandbox, user_code=device["user_code"], org_id=org.org_id)
    r = poll(sandbox.url, device["device_code"], verifier, client_id="geopera")
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    assert poll(sandbox.url, device["device_code"], verifier).status_code == 200


def test_denied_and_expired(sandbox: Any, wall: list[float],
                            started: tuple[dict[str, Any], str]) -> None:
    device, verifier = started
    denied = admin_approve(sandbox, user_code=device["user_code"], deny=True)
    assert denied.status_code == 200 and denied.json()["status"] == "denied"
    r = poll(sandbox.url, device["device_code"], verifier)
    assert r.status_code == 400 and r.json()["error"] == "access_denied"
    assert admin_approve(sandbox, user_code=device["user_code"], deny=True).status_code == 409
    late_verifier, challenge = pkce()
    late = authorize(sandbox.url, challenge).json()
    sandbox.advance(hours=24)  # the sandbox clock does not age a login ...
    assert poll(sandbox.url, late["device_code"],
                late_verifier).json()["error"] == "authorization_pending"
    wall[0] += 601  # ... the wall clock does
    r = poll(sandbox.url, late["device_code"], late_verifier)
    assert r.status_code == 400 and r.json()["error"] == "expired_token"
    assert admin_approve(sandbox, user_code=late["user_code"], deny=True).status_code == 404


@pytest.mark.parametrize(("form", "error"), [
    ({"code_challenge": "a" * 43, "code_challenge_method": "plain"}, "invalid_request"),
    ({"code_challenge": "a" * 43}, "invalid_request"),  # RFC 7636 default "plain": refused
    ({"code_challenge": "short", "code_challenge_method": "S256"}, "invalid_request"),
    ({"code_challenge_method": "S256"}, "invalid_request"),
    ({"scope": "s" * 1001}, "invalid_request"),
    ({"client_id": "someone"}, "invalid_client"),
])
def test_bad_authorization_requests(sandbox: Any, form: dict[str, str], error: str) -> None:
    r = httpx.post(sandbox.url + REALM + "/auth/device",
                   data={"client_id": "geopera-cli", **form})
    assert r.status_code in (400, 401) and r.json()["error"] == error, r.text


def test_a_login_without_pkce_needs_no_verifier(sandbox: Any, org: Any) -> None:
    device = authorize(sandbox.url, None).json()
    admin_approve(sandbox, user_code=device["user_code"], org_id=org.org_id)
    assert poll(sandbox.url, device["device_code"], "v" * 43).json()["error"] == "invalid_grant"
    assert poll(sandbox.url, device["device_code"], None).status_code == 200


@pytest.mark.parametrize("body", [
    {"user_code": "BCDF-GHJK"},
    {"user_code": "BCDF-GHJK", "org_id": "x", "api_key": "gpra_x"},
    {"user_code": "BCDF-GHJK", "org_id": 5},
    {"user_code": "BCDF-GHJK", "org_id": "x", "scopes": "orders:read"},
    {"user_code": "BCDF-GHJK", "deny": "yes"},
])
def test_bad_admin_approvals_are_422(sandbox: Any, body: dict[str, Any]) -> None:
    assert admin_approve(sandbox, **body).status_code == 422


def test_admin_approval_needs_the_admin_token(sandbox: Any, org: Any,
                                              started: tuple[dict[str, Any], str]) -> None:
    device, _ = started
    r = httpx.post(sandbox.url + "/sandbox/device/approve", json={
        "user_code": device["user_code"], "org_id": org.org_id},
        headers={"Authorization": f"Bearer {org.api_key}"})
    assert r.status_code == 401
    assert admin_approve(sandbox, user_code="ZZZZ-ZZZZ", org_id=org.org_id).status_code == 404
    assert admin_approve(sandbox, user_code=device["user_code"],
                         org_id="no-such-org").status_code == 404


def test_the_verification_page_approves_with_an_api_key(
        sandbox: Any, org: Any, started: tuple[dict[str, Any], str]) -> None:
    device, verifier = started
    page = httpx.get(device["verification_uri_complete"])
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert device["user_code"] in page.text and "frame-ancestors 'none'" in page.headers[
        "content-security-policy"]
    hostile = httpx.get(device["verification_uri"] + '?user_code="><script>alert(1)</script>')
    assert "<script>alert" not in hostile.text
    wrong = httpx.post(device["verification_uri"], data={
        "user_code": device["user_code"], "api_key": "gpra_wrong", "action": "approve"})
    assert wrong.status_code == 401 and "invalid" in wrong.text
    ok = httpx.post(device["verification_uri"], data={
        "user_code": device["user_code"], "api_key": org.api_key, "action": "approve"})
    assert ok.status_code == 200 and "Approved" in ok.text
    assert org.api_key not in ok.text
    tokens = poll(sandbox.url, device["device_code"], verifier).json()
    info = httpx.get(sandbox.url + REALM + "/userinfo",
                     headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
    assert info["geopera_org_id"] == org.org_id
    again = httpx.post(device["verification_uri"], data={
        "user_code": device["user_code"], "api_key": org.api_key, "action": "approve"})
    assert again.status_code == 409


def test_the_verification_page_denies(sandbox: Any, started: tuple[dict[str, Any], str]) -> None:
    device, verifier = started
    r = httpx.post(device["verification_uri"], data={"user_code": device["user_code"],
                                                     "action": "deny"})
    assert r.status_code == 200 and "Denied" in r.text
    assert poll(sandbox.url, device["device_code"], verifier).json()["error"] == "access_denied"
    unknown = httpx.post(device["verification_uri"], data={"user_code": "nonsense",
                                                           "action": "deny"})
    assert unknown.status_code == 404


def test_cli_sandbox_approve(sandbox: Any, org: Any,
                             started: tuple[dict[str, Any], str]) -> None:
    device, verifier = started
    result = CliRunner().invoke(cli, ["sandbox", "approve", device["user_code"], "--org",
                                      org.org_id, "--url", sandbox.url, "--admin-token",
                                      sandbox.admin_token])
    assert result.exit_code == 0, result.output
    assert device["user_code"] in result.output and "approved" in result.output
    tokens = poll(sandbox.url, device["device_code"], verifier)
    assert tokens.status_code == 200
    twice = CliRunner().invoke(cli, ["sandbox", "approve", device["user_code"], "--org",
                                     org.org_id, "--url", sandbox.url, "--admin-token",
                                     sandbox.admin_token])
    assert twice.exit_code == 1 and "409" in twice.output and "Traceback" not in twice.output


def test_cli_sandbox_approve_with_the_exported_key_and_deny(
        sandbox: Any, org: Any, wall: list[float]) -> None:
    for flags, expected in ((["--api-key", org.api_key], "approved"), (["--deny"], "denied")):
        _, challenge = pkce()
        device = authorize(sandbox.url, challenge).json()
        result = CliRunner().invoke(cli, ["sandbox", "approve", device["user_code"], *flags,
                                          "--url", sandbox.url, "--admin-token",
                                          sandbox.admin_token])
        assert result.exit_code == 0, result.output
        assert expected in result.output
        assert org.api_key not in result.output
    bad = CliRunner().invoke(cli, ["sandbox", "approve", "BCDF-GHJK", "--url", sandbox.url,
                                   "--admin-token", sandbox.admin_token])
    assert bad.exit_code == 2 and "--org" in bad.output


def test_waiting_logins_are_bounded(sandbox: Any, monkeypatch: pytest.MonkeyPatch,
                                    wall: list[float]) -> None:
    from geopera_nb.server.service import device
    from geopera_nb.server.state import device_codes

    live = device_codes.count_live(sandbox.backend.store, sandbox.backend.auth.wall_ms())
    monkeypatch.setattr(device, "DEVICE_CODES_PENDING_MAX", live + 2)
    assert authorize(sandbox.url, None).status_code == 200
    assert authorize(sandbox.url, None).status_code == 200
    full = authorize(sandbox.url, None)
    assert full.status_code == 503 and full.json()["error"] == "temporarily_unavailable"
    wall[0] += 601  # expired logins are purged: room again
    assert authorize(sandbox.url, None).status_code == 200
