"""Authentication, the OIDC token endpoint, scopes, org isolation and the admin API."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sandbox_support import Api, problem_ok, tasking_group

REALM = "/realms/public/protocol/openid-connect"


def token(sandbox: Any, **form: str) -> httpx.Response:
    return httpx.post(sandbox.url + REALM + "/token", data=form)


def client_credentials(sandbox: Any, key: str) -> dict[str, Any]:
    r = token(sandbox, grant_type="client_credentials", client_id="geopera", client_secret=key)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def call(sandbox: Any, headers: dict[str, str], op: str = "orders.list") -> httpx.Response:
    return httpx.post(f"{sandbox.url}/v1/op/{op}", json={}, headers=headers)


def test_api_key_as_bearer_or_x_api_key(sandbox: Any, org: Any) -> None:
    assert call(sandbox, {"Authorization": f"Bearer {org.api_key}"}).status_code == 200
    assert call(sandbox, {"X-API-Key": org.api_key}).status_code == 200
    assert call(sandbox, {"authorization": f"bearer {org.api_key}"}).status_code == 200


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer"}, {"Authorization": "Basic Zm9vOmJhcg=="},
    {"Authorization": "Bearer gpra_nope"}, {"X-API-Key": "gpra_nope"},
    {"Authorization": "Bearer not.a.jwt"}, {"Authorization": "Bearer " + "a" * 10_000},
])
def test_missing_or_bad_credentials_are_401(sandbox: Any, headers: dict[str, str]) -> None:
    problem_ok(call(sandbox, headers), 401)


def test_token_endpoint_and_userinfo(sandbox: Any, org: Any) -> None:
    tok = client_credentials(sandbox, org.api_key)
    assert tok["token_type"] == "Bearer"
    assert tok["expires_in"] == 300 and tok["refresh_expires_in"] == 1800
    assert set(tok) >= {"access_token", "refresh_token", "scope"}
    bearer = {"Authorization": f"Bearer {tok['access_token']}"}
    assert call(sandbox, bearer).status_code == 200
    info = httpx.get(sandbox.url + REALM + "/userinfo", headers=bearer).json()
    assert info["geopera_org_id"] == org.org_id
    assert info["geopera_principal_type"] == "api_key"
    assert "orders:write" in info["scope"].split()
    info_key = httpx.get(sandbox.url + REALM + "/userinfo", headers={"X-API-Key": org.api_key})
    assert info_key.json()["sub"] == info["sub"]


def test_refresh_rotates_and_burns_the_old_token(sandbox: Any, org: Any) -> None:
    first = client_credentials(sandbox, org.api_key)
    r = token(sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"],
              client_id="geopera")
    assert r.status_code == 200
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    third = token(sandbox, grant_type="refresh_token", refresh_token=second["refresh_token"],
                  client_id="geopera")
    assert third.status_code == 200
    again = token(sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"],
                  client_id="geopera")
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


@pytest.mark.parametrize("form", [
    {"grant_type": "client_credentials", "client_id": "geopera", "client_secret": "gpra_bad"},
    {"grant_type": "client_credentials", "client_id": "someone", "client_secret": "gpra_bad"},
    {"grant_type": "password", "username": "u", "password": "p"},
    {"grant_type": "refresh_token", "refresh_token": "gprt_nope", "client_id": "geopera"},
    {"grant_type": "refresh_token", "refresh_token": "gprt_nope"},
    {},
])
def test_token_endpoint_rejections(sandbox: Any, form: dict[str, str]) -> None:
    r = token(sandbox, **form)
    assert r.status_code in (400, 401)
    assert r.json()["error"] in ("invalid_client", "invalid_grant", "unsupported_grant_type",
                                 "invalid_request")


def test_revoked_key_and_its_tokens_are_401(sandbox: Any) -> None:
    org = sandbox.create_org(name="revoker", credits=0)
    tok = client_credentials(sandbox, org.api_key)
    sandbox.revoke_key(org.api_key)
    problem_ok(call(sandbox, {"Authorization": f"Bearer {org.api_key}"}), 401)
    problem_ok(call(sandbox, {"Authorization": f"Bearer {tok['access_token']}"}), 401)
    r = token(sandbox, grant_type="refresh_token", refresh_token=tok["refresh_token"],
              client_id="geopera")
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def test_key_expiry(sandbox: Any, org: Any) -> None:
    key = sandbox.create_key(org, expires_in_hours=1)
    assert call(sandbox, {"X-API-Key": key}).status_code == 200
    sandbox.advance(hours=1)
    problem_ok(call(sandbox, {"X-API-Key": key}), 401)


def test_missing_scope_is_403_with_the_documented_detail(sandbox: Any, org: Any) -> None:
    key = sandbox.create_key(org, scopes=["orders:read"])
    h = {"Authorization": f"Bearer {key}"}
    assert call(sandbox, h).status_code == 200
    r = httpx.post(sandbox.url + "/v1/op/orders.archive.place", json={"captures": []}, headers=h)
    body = problem_ok(r, 403)
    assert body["detail"] == "missing scope 'orders:write' for 'orders.archive.place'"
    # 403 beats 422: the body is invalid too
    r = httpx.post(sandbox.url + "/v1/orders/archive/place", content=b"{bad", headers=h)
    problem_ok(r, 403)
    problem_ok(call(sandbox, h, "catalog.search"), 403)


def test_scope_wildcards(sandbox: Any, org: Any) -> None:
    items = {"X-API-Key": sandbox.create_key(org, scopes=["items:*"])}
    assert httpx.post(sandbox.url + "/v1/op/orders.get_schema", json={"data_product_id": "x"},
                      headers=items).status_code == 404  # allowed, then not found
    problem_ok(call(sandbox, items), 403)
    reads = {"X-API-Key": sandbox.create_key(org, scopes=["*:read"])}
    assert call(sandbox, reads).status_code == 200
    assert httpx.post(sandbox.url + "/v1/op/catalog.search", json={"host_name": "geopera",
                      "limit": 1}, headers=reads).status_code == 200
    r = httpx.post(sandbox.url + "/v1/op/orders.cancel", json={"order_id": "x"}, headers=reads)
    assert problem_ok(r, 403)["detail"] == "missing scope 'orders:write' for 'orders.cancel'"


def test_other_orgs_resources_answer_404_like_missing_ones(sandbox: Any, api: Api) -> None:
    placed = api.ok("orders.tasking.place", {"groups": [tasking_group(sandbox)]})
    order_id = placed["results"][0]["id"]
    other = Api(sandbox.url, sandbox.create_org(name="other", credits=10).api_key)
    try:
        for op in ("orders.get", "orders.cancel", "orders.coverage.groups.list",
                   "orders.list_assets"):
            r = other.op(op, {"order_id": order_id})
            missing = other.op(op, {"order_id": "00000000-0000-4000-8000-000000000000"})
            assert r.status_code == missing.status_code == 404
            assert set(r.json()) == set(missing.json())
        assert other.ok("orders.list")["totalElements"] == 0
        assert other.ok("orders.list", {"orderIds": order_id})["content"] == []
        r = other.op("orders.tasking.place", {"workspaceId": api_workspace(api),
                                              "groups": [tasking_group(sandbox)]})
        problem_ok(r, 404)
    finally:
        other.close()
    assert api.ok("orders.get", {"order_id": order_id})["status"] == "PLACED"


def api_workspace(api: Api) -> str:
    info = api.http.get(REALM + "/userinfo").json()
    return str(info["geopera_workspace_id"])


def test_admin_api_needs_the_admin_token(sandbox: Any, org: Any) -> None:
    for headers in ({}, {"Authorization": f"Bearer {org.api_key}"}, {"X-API-Key": org.api_key},
                    {"Authorization": "Bearer wrong"}):
        r = httpx.post(sandbox.url + "/sandbox/orgs", json={"name": "x", "credits": 1},
                       headers=headers)
        problem_ok(r, 401)
        problem_ok(httpx.get(f"{sandbox.url}/sandbox/orgs/{org.org_id}", headers=headers), 401)
        problem_ok(httpx.post(sandbox.url + "/sandbox/clock/advance", json={"hours": 1},
                              headers=headers), 401)
    admin = {"Authorization": f"Bearer {sandbox.admin_token}"}
    r = httpx.post(sandbox.url + "/sandbox/orgs", json={"name": "x", "credits": 5}, headers=admin)
    assert r.status_code == 201 and r.json()["api_key"].startswith("gpra_")
    ledger = httpx.get(f"{sandbox.url}/sandbox/orgs/{r.json()['org_id']}", headers=admin).json()
    assert ledger == {"granted": 5, "balance": 5, "reserved": 0, "charged": 0}
    r = httpx.post(sandbox.url + "/sandbox/orgs", json={"name": "", "credits": -1}, headers=admin)
    assert r.status_code == 422


def test_keys_are_hashed_at_rest(sandbox: Any, org: Any) -> None:
    data = b"".join(p.read_bytes() for p in sandbox.data_dir.glob("sandbox.db*"))
    assert org.api_key.encode() not in data
    assert org.api_key[5:].encode() not in data
    assert sandbox.admin_token.encode() not in data


def test_handles_never_show_secrets(sandbox: Any, org: Any) -> None:
    assert org.api_key not in repr(org)
    assert sandbox.admin_token not in repr(sandbox)
    assert sandbox.admin_token not in repr(sandbox.backend)
