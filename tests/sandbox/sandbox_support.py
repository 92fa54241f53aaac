"""Helpers of the sandbox server tests: plain httpx over real HTTP (loopback uvicorn)."""

from __future__ import annotations

from typing import Any

import httpx

# A small farm near Sydney (about 25.6 km2: just over the Owl sensor's 25 km2 minimum).
FARM = [[150.0, -34.0], [150.05, -34.0], [150.05, -33.95], [150.0, -33.95], [150.0, -34.0]]


def feature(coords: list[list[float]] | None = None, name: str | None = "Farm",
            **geometry: Any) -> dict[str, Any]:
    """A GeoJSON Feature with a Polygon (or the given geometry)."""
    geom = geometry or {"type": "Polygon", "coordinates": [coords or FARM]}
    return {"type": "Feature", "properties": {"name": name} if name else {}, "geometry": geom}


def fc(*features: dict[str, Any]) -> dict[str, Any]:
    """A FeatureCollection (default: the farm)."""
    return {"type": "FeatureCollection", "features": list(features) or [feature()]}


def square(lon: float, lat: float, size: float = 0.05) -> list[list[float]]:
    """A closed square ring with its south-west corner at (lon, lat)."""
    return [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]


class Api:
    """A thin httpx wrapper: ``api.op("orders.get", {...})`` -> httpx.Response."""

    def __init__(self, url: str, key: str | None) -> None:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.http = httpx.Client(base_url=url, headers=headers, timeout=120.0)

    def op(self, op_id: str, body: Any = None, *, form: str = "op",
           headers: dict[str, str] | None = None) -> httpx.Response:
        """POST an operation in the ``op`` (``/v1/op/{id}``) or ``resource`` URL form."""
        path = f"/v1/op/{op_id}" if form == "op" else "/v1/" + op_id.replace(".", "/")
        return self.http.post(path, json={} if body is None else body, headers=headers)

    def ok(self, op_id: str, body: Any = None, **kw: Any) -> Any:
        """POST and assert a 2xx answer; return its JSON."""
        r = self.op(op_id, body, **kw)
        assert r.status_code < 300, (r.status_code, r.text[:2000])
        return r.json()

    def close(self) -> None:
        self.http.close()


def owl_product(api: Api) -> str:
    """The Owl tasking sensor's data product id."""
    sensors = api.ok("orders.tasking.sensors")["sensors"]
    return str(next(s for s in sensors if s["id"] == "geo-owl-30")["dataProductId"])


def window(sandbox: Any, start_days: float = 1.0, days: float = 18.0) -> dict[str, str]:
    """An acquisition window relative to the sandbox clock (other tests move it)."""
    from geopera_nb.contract.timestamps import format_instant as to_iso
    from geopera_nb.contract.timestamps import parse_ms as parse_iso

    now = parse_iso(sandbox.now())
    day = 86_400_000
    return {"start": to_iso(now + int(start_days * day)),
            "end": to_iso(now + int((start_days + days) * day))}


def tasking_group(sandbox: Any, **extra: Any) -> dict[str, Any]:
    """A TaskingGroup for the farm on the Owl sensor (auto feasibility, no study)."""
    return {"sensor": "geo-owl-30", "featureCollection": fc(), **window(sandbox), **extra}


def problem_ok(r: httpx.Response, status: int) -> dict[str, Any]:
    """Assert ``r`` is an RFC 7807 problem with ``status``; return it."""
    assert r.status_code == status, (r.status_code, r.text[:1000])
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    return body


def balanced(ledger: dict[str, int]) -> bool:
    """granted = balance + reserved + charged, nothing negative."""
    return (ledger["granted"] == ledger["balance"] + ledger["reserved"] + ledger["charged"]
            and min(ledger.values()) >= 0)
