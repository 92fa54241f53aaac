"""Issue 13, items 5, 6 and 13: refresh-token families, client ids, one JWT spelling, the
``oidc`` rate limit, logout, and token lifetimes on the wall clock (not the sandbox's)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sandbox_support import problem_ok

from geopera_nb import sandbox as sandbox_module

REALM = "/realms/public/protocol/openid-connect"


def token(url: str, **form: str) -> httpx.Response:
    return httpx.post(url + REALM + "/token", data=form)


def client_credentials(url: str, key: str, client_id: str = "geopera") -> dict[str, Any]:
    r = token(url, grant_type="client_credentials", client_id=client_id, client_secret=key)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def refresh(url: str, refresh_token: str, client_id: str = "geopera") -> httpx.Response:
    return token(url, grant_type="refresh_token", refresh_token=refresh_token,
                 client_id=client_id)


def works(url: str, access: str) -> bool:
    r = httpx.post(url + "/v1/op/orders.list", json={},
                   headers={"Authorization": f"Bearer {access}"})
    assert r.status_code in (200, 401), r.text
    return r.status_code == 200


# --- item 5: refresh-token reuse revokes the family -------------------------------------------


def test_reusing_a_rotated_refresh_token_revokes_the_family(sandbox: Any, org: Any) -> None:
    first = client_credentials(sandbox.url, org.api_key)
    second = refresh(sandbox.url, first["refresh_token"]).json()
    assert works(sandbox.url, second["access_token"])
    stolen = refresh(sandbox.url, first["refresh_token"])  # the rotated token, again
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"
    assert "revoked" in stolen.json()["error_description"]
    assert not works(sandbox.url, second["access_token"])
    assert not works(sandbox.url, first["access_token"])
    late = refresh(sandbox.url, second["refresh_token"])
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"
    # another sign-in of the same key is a family of its own and unaffected
    other = client_credentials(sandbox.url, org.api_key)
    assert works(sandbox.url, other["access_token"])
    assert refresh(sandbox.url, other["refresh_token"]).status_code == 200


def test_the_refresh_grant_checks_the_client_id(sandbox: Any, org: Any) -> None:
    tok = client_credentials(sandbox.url, org.api_key, client_id="geopera")
    wrong = refresh(sandbox.url, tok["refresh_token"], client_id="geopera-cli")
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    missing = token(sandbox.url, grant_type="refresh_token", refresh_token=tok["refresh_token"])
    assert missing.status_code == 401 and missing.json()["error"] == "invalid_client"
    unknown = refresh(sandbox.url, tok["refresh_token"], client_id="someone-else")
    assert unknown.status_code == 401 and unknown.json()["error"] == "invalid_client"
    # none of those burnt the token: its own client still refreshes it
    assert refresh(sandbox.url, tok["refresh_token"], client_id="geopera").status_code == 200


def _respellings(jwt: str) -> list[str]:
    """Other spellings of the same bytes: padded, standard alphabet, other trailing bits."""
    head, payload, sig = jwt.split(".")
    out = [f"{head}.{payload}.{sig}=", f"{head}.{payload}.{sig}==",
           f"{head}=.{payload}.{sig}", f"{head}.{payload}==.{sig}"]
    std = sig.replace("-", "+").replace("_", "/")
    if std != sig:
        out.append(f"{head}.{payload}.{std}")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(sig[-1])  # 32 bytes in 43 characters: the last 2 bits are unused
    for flip in (1, 2, 3):
        out.append(f"{head}.{payload}.{sig[:-1]}{alphabet[last ^ flip]}")
    return out


def test_a_jwt_has_exactly_one_spelling(sandbox: Any, org: Any) -> None:
    import base64

    for _ in range(30):  # find a signature with a character the two alphabets spell apart
        access = client_credentials(sandbox.url, org.api_key)["access_token"]
        if set(access.split(".")[2]) & set("-_"):
            break
    assert works(sandbox.url, access)
    sig_bytes = base64.urlsafe_b64decode(access.split(".")[2] + "=")
    variants = _respellings(access)
    assert len(variants) >= 7
    for variant in variants:
        sig = variant.split(".")[2].rstrip("=").replace("+", "-").replace("/", "_")
        assert base64.urlsafe_b64decode(sig + "=") == sig_bytes  # the same token, respelt
        assert not works(sandbox.url, variant), variant
    assert works(sandbox.url, access)


def test_logout_ends_the_sign_in(sandbox: Any, org: Any) -> None:
    tok = client_credentials(sandbox.url, org.api_key, client_id="geopera-cli")
    r = httpx.post(sandbox.url + REALM + "/logout",
                   data={"client_id": "geopera-cli", "refresh_token": tok["refresh_token"]})
    assert r.status_code == 204
    assert not works(sandbox.url, tok["access_token"])
    assert refresh(sandbox.url, tok["refresh_token"], "geopera-cli").status_code == 400


# --- item 13: lifetimes on the wall clock ----------------------------------------------------


def test_advancing_the_sandbox_clock_never_expires_a_session(sandbox: Any, org: Any,
                                                             wall: list[float]) -> None:
    tok = client_credentials(sandbox.url, org.api_key)
    sandbox.advance(hours=24 * 30)  # a simulated month
    assert works(sandbox.url, tok["access_token"])
    again = refresh(sandbox.url, tok["refresh_token"])
    assert again.status_code == 200


def test_tokens_expire_on_the_wall_clock(sandbox: Any, org: Any, wall: list[float]) -> None:
    tok = client_credentials(sandbox.url, org.api_key)
    assert tok["expires_in"] == 300 and tok["refresh_expires_in"] == 1800
    wall[0] = 295
    assert works(sandbox.url, tok["access_token"])
    wall[0] = 301
    problem_ok(httpx.post(sandbox.url + "/v1/op/orders.list", json={},
                          headers={"Authorization": f"Bearer {tok['access_token']}"}), 401)
    refreshed = refresh(sandbox.url, tok["refresh_token"])
    assert refreshed.status_code == 200
    assert works(sandbox.url, refreshed.json()["access_token"])
    wall[0] = 301 + 1801
    late = refresh(sandbox.url, refreshed.json()["refresh_token"])
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"


# --- item 6: the oidc rate limit ---------------------------------------------------------------


@pytest.fixture
def tight_oidc() -> Iterator[Any]:
    sb = sandbox_module.start(seed=0, rate_limits={"oidc": 5})
    try:
        yield sb
    finally:
        sb.stop()


def test_oidc_endpoints_are_rate_limited_per_client_address(tight_oidc: Any) -> None:
    sb = tight_oidc
    if 60 - time.time() % 60 < 8:  # stay inside one rate-limit window
        time.sleep(60 - time.time() % 60 + 0.1)
    org = sb.create_org(name="limited", credits=0)
    answers = [token(sb.url, grant_type="client_credentials", client_id="geopera",
                     client_secret=org.api_key) for _ in range(8)]
    assert [r.status_code for r in answers] == [200] * 5 + [429] * 3
    limited = answers[-1]
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.json()["status"] == 429
    # every realm endpoint shares the bucket, whatever the credential
    assert httpx.get(sb.url + REALM + "/userinfo",
                     headers={"X-API-Key": org.api_key}).status_code == 429
    assert httpx.post(sb.url + REALM + "/auth/device",
                      data={"client_id": "geopera-cli"}).status_code == 429
    rows = sb.backend.store.one("SELECT COUNT(*) FROM refresh_tokens")[0]
    assert rows == 5  # one stored row per answered call, none for the refused ones
    # operations are not counted against it
    assert httpx.post(sb.url + "/v1/op/orders.list", json={},
                      headers={"X-API-Key": org.api_key}).status_code == 200
