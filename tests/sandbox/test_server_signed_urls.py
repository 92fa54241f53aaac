"""Signed asset hrefs (issue 13 item 4): short-lived on the wall clock, bound to the org
and to the key that listed them, built from the configured public URL (never the
request's ``Host`` header)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from assets_support import delivered_archive_items
from sandbox_support import Api, problem_ok

import geopera_nb.sandbox as gs
from geopera_nb.contract.limits import SIGNED_URL_STEP_S, SIGNED_URL_TTL_MAX_S, SIGNED_URL_TTL_S
from geopera_nb.server.config import SandboxConfig
from geopera_nb.server.state import signing

HIGH = {"general": 1_000_000, "placement": 1_000_000, "spend": 1_000_000}


class WallClock:
    """A wall clock the test moves (the server reads it as ``auth.wall``)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def sb() -> Iterator[Any]:
    sandbox = gs.start(seed=0, rate_limits=HIGH)
    try:
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture
def wall(sb: Any) -> Iterator[WallClock]:
    clock = WallClock()
    real = sb.backend.auth.wall
    sb.backend.auth.wall = clock
    try:
        yield clock
    finally:
        sb.backend.auth.wall = real


def query(href: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(href).query).items()}


def listed(sb: Any, key: str, order_id: str, **headers: str) -> list[dict[str, Any]]:
    r = httpx.post(f"{sb.url}/v1/op/orders.list_assets", json={"order_id": order_id},
                   headers={"Authorization": f"Bearer {key}", **headers})
    assert r.status_code == 200, r.text
    features: list[dict[str, Any]] = r.json()["features"]
    return features


@pytest.fixture
def delivered(sb: Any, wall: WallClock) -> tuple[Any, str, list[dict[str, Any]]]:
    org = sb.create_org(name="Signed", credits=10_000_000)
    api = Api(sb.url, org.api_key)
    try:
        items = delivered_archive_items(api, sb, n=1)
    finally:
        api.close()
    return org, items[0]["properties"]["geopera:order_id"], items


def test_hrefs_expire_after_the_ttl_of_wall_time(
        sb: Any, wall: WallClock, delivered: tuple[Any, str, list[dict[str, Any]]]) -> None:
    _, _, items = delivered
    href = items[0]["assets"]["visual"]["href"]
    exp = int(query(href)["exp"])
    assert wall.now + SIGNED_URL_TTL_S <= exp < wall.now + SIGNED_URL_TTL_S + SIGNED_URL_STEP_S
    assert exp % SIGNED_URL_STEP_S == 0
    sb.advance(days=3650)  # the sandbox clock is not what URLs expire on
    assert httpx.get(href).status_code == 200
    wall.now = exp - 1
    assert httpx.get(href).status_code == 200
    wall.now = exp
    body = problem_ok(httpx.get(href), 403)
    assert "expired" in body["detail"] and "list the order's assets again" in body["detail"]


def test_two_listings_close_together_give_the_same_hrefs(
        sb: Any, wall: WallClock, delivered: tuple[Any, str, list[dict[str, Any]]]) -> None:
    org, order_id, items = delivered
    wall.now += 1.0
    again = listed(sb, org.api_key, order_id)
    assert again[0]["assets"] == items[0]["assets"]


def test_revoking_the_key_kills_its_hrefs(
        sb: Any, delivered: tuple[Any, str, list[dict[str, Any]]]) -> None:
    org, order_id, items = delivered
    second = sb.create_key(org)
    mine = listed(sb, second, order_id)[0]["assets"]["visual"]["href"]
    theirs = items[0]["assets"]["visual"]["href"]  # listed with the org's first key
    assert query(mine)["kid"] != query(theirs)["kid"]
    assert httpx.get(mine).status_code == 200
    sb.revoke_key(second)
    body = problem_ok(httpx.get(mine), 403)
    assert "revoked or expired" in body["detail"]
    assert httpx.get(theirs).status_code == 200  # the other key's hrefs live on
    sb.revoke_key(org.api_key)  # the org's only key left: everything it was given dies
    problem_ok(httpx.get(theirs), 403)


def test_hrefs_are_bound_to_the_org_and_the_key(
        sb: Any, delivered: tuple[Any, str, list[dict[str, Any]]]) -> None:
    items = delivered[2]
    other = sb.create_org(name="Other", credits=10_000_000)
    other_api = Api(sb.url, other.api_key)
    try:
        their_items = delivered_archive_items(other_api, sb, n=1, cloud={"gte": 63})
    finally:
        other_api.close()
    mine = items[0]["assets"]["visual"]["href"]
    theirs = their_items[0]["assets"]["visual"]["href"]
    assert their_items[0]["id"] != items[0]["id"]
    # another org's key id under my signature, or my signature on their capture: forged
    swapped_kid = mine.replace(query(mine)["kid"], query(theirs)["kid"])
    problem_ok(httpx.get(swapped_kid), 403)
    swapped_sig = theirs.replace(query(theirs)["sig"], query(mine)["sig"])
    problem_ok(httpx.get(swapped_sig), 403)
    # a good signature of the other org's key for my capture grants nothing either
    backend = sb.backend
    path = urlsplit(mine).path
    asset = path.removeprefix("/v1/assets/")
    q = signing.sign_query(backend.auth, asset, other.org_id, query(theirs)["kid"],
                           int(query(theirs)["exp"]))
    body = problem_ok(httpx.get(f"{sb.url}{path}?{q}"), 404)
    assert body["detail"] == "asset not found"
    # and the other org's own capture works with its own href
    assert httpx.get(theirs).status_code == 200


@pytest.mark.parametrize("mangle", [
    lambda h: h.split("?")[0],
    lambda h: h.replace("sig=", "sig=x"),
    lambda h: h.replace("exp=", "exp=1"),
    lambda h: h.replace("kid=", "kid=x"),
    lambda h: h.replace("exp=", "exp=-"),
    lambda h: h + "&sig=" + "a" * 5000,
], ids=["unsigned", "sig", "exp", "kid", "exp-not-a-number", "huge-sig"])
def test_tampered_hrefs_are_403(sb: Any, mangle: Any,
                                delivered: tuple[Any, str, list[dict[str, Any]]]) -> None:
    _, _, items = delivered
    body = problem_ok(httpx.get(mangle(items[0]["assets"]["visual"]["href"])), 403)
    assert "signature" in body["detail"] or "signed" in body["detail"]


def test_base_url_ignores_the_host_header(
        sb: Any, delivered: tuple[Any, str, list[dict[str, Any]]]) -> None:
    org, order_id, _ = delivered
    items = listed(sb, org.api_key, order_id, Host="evil.example:666",
                   **{"X-Forwarded-Host": "evil.example"})
    for asset in items[0]["assets"].values():
        assert asset["href"].startswith(sb.url + "/v1/assets/"), asset["href"]
        assert "evil" not in asset["href"]


def test_configured_public_url_is_the_base(tmp_path: Path) -> None:
    with gs.start(data_dir=tmp_path, rate_limits=HIGH,
                  public_url="https://imagery.example/sandbox/",
                  signed_url_ttl_s=60) as box:
        org = box.create_org()
        api = Api(box.url, org.api_key)
        try:
            items = delivered_archive_items(api, box, n=1)
        finally:
            api.close()
        href = items[0]["assets"]["visual"]["href"]
        assert href.startswith("https://imagery.example/sandbox/v1/assets/")
        exp = int(query(href)["exp"])
        assert 60 <= exp - time.time() <= 60 + 6 + 5  # step = a tenth of a short lifetime
        # behind a proxy that strips /sandbox: the signature does not name the host
        parts = urlsplit(href)
        local = box.url + parts.path.removeprefix("/sandbox") + "?" + parts.query
        assert httpx.get(local).status_code == 200


@pytest.mark.parametrize("bad", [
    {"public_url": "ftp://x"}, {"public_url": "http://"}, {"public_url": "http://h/?a=1"},
    {"public_url": "http://h:99999"}, {"signed_url_ttl_s": 0},
    {"signed_url_ttl_s": SIGNED_URL_TTL_MAX_S + 1}, {"signed_url_ttl_s": True},
    {"signed_url_ttl_s": 1.5},
])
def test_bad_settings_are_refused(tmp_path: Path, bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"public_url|signed_url_ttl_s"):
        SandboxConfig(data_dir=tmp_path, **bad)
