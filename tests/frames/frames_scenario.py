"""A small, realistic account on the sandbox for the frames and export tests.

One organisation with: two fulfilled tasking orders (coverage and assets), a tasking
order waiting on its quotation, a manual-sensor order waiting on its feasibility
study, an archive order, and a template.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any


def _square(lon: float, lat: float, d: float = 0.05) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[[lon, lat], [lon + d, lat], [lon + d, lat + d],
                                                [lon, lat + d], [lon, lat]]]}


def aoi(*corners: tuple[float, float], names: tuple[str | None, ...] = ()) -> dict[str, Any]:
    """A FeatureCollection of 0.05-degree squares at ``corners``."""
    features = []
    for i, (lon, lat) in enumerate(corners):
        props = {"name": names[i]} if i < len(names) and names[i] else {}
        features.append({"type": "Feature", "properties": props, "geometry": _square(lon, lat)})
    return {"type": "FeatureCollection", "features": features}


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass
class Scenario:
    """Ids of what was made, and the client to read it with."""

    client: Any
    org: Any
    fulfilled: list[str] = field(default_factory=list)
    quotation_pending: str = ""
    study_pending: str = ""
    archive: str = ""
    template_id: str = ""


def build(sandbox: Any) -> Scenario:
    """Create the scenario's org and orders; advance the sandbox clock as needed."""
    org = sandbox.create_org(name="Frames scenario", credits=50_000_000)
    client = sandbox.client(org)
    scenario = Scenario(client=client, org=org)
    now = datetime.strptime(sandbox.now()[:19], "%Y-%m-%dT%H:%M:%S")
    window = {"start": _iso(now + timedelta(hours=3)), "end": _iso(now + timedelta(days=7))}
    placed = client.orders.tasking.place(
        groups=[
            {"sensor": "geo-owl-30", **window, "displayName": "Farm A",
             "featureCollection": aoi((150.0, -34.0), (150.1, -34.0), names=("Paddock", None))},
            {"sensor": "geo-kite-50", **window, "displayName": "Farm B",
             "featureCollection": aoi((149.5, -33.5))},
        ],
        tags=["frames", "fulfilled"],
    )
    scenario.fulfilled = [r["id"] for r in placed["results"]]
    sandbox.advance(hours=2)
    for order_id in scenario.fulfilled:
        for q in client.stream("orders.tasking.quotations.list", {"orderId": order_id}):
            client.orders.tasking.quotation_decide(quotation_id=q["id"], decision="ACCEPTED")
    sandbox.advance(days=8)
    now = datetime.strptime(sandbox.now()[:19], "%Y-%m-%dT%H:%M:%S")
    later = {"start": _iso(now + timedelta(days=2)), "end": _iso(now + timedelta(days=10))}
    pending = client.orders.tasking.place(
        groups=[{"sensor": "geo-owl-30", **later, "featureCollection": aoi((151.0, -33.0))}],
        tags=["frames", "pending"],
    )
    scenario.quotation_pending = pending["results"][0]["id"]
    study = client.orders.tasking.place(
        groups=[{"sensor": "geo-condor-40", **later, "featureCollection": aoi((151.2, -33.0))}],
        tags=["frames", "study"],
    )
    scenario.study_pending = study["results"][0]["id"]
    sandbox.advance(hours=2)
    captures = list(client.iter_catalog(bbox=[140, -40, 155, -30], max_items=1))
    if captures:
        placed_archive = client.orders.archive.place(captures=[{"id": captures[0]["id"]}])
        scenario.archive = placed_archive["results"][0]["id"]
    saved = client.orders.tasking.templates.save(
        name="Weekly farm", resolution="0.3", sensor="geo-owl-30", capture_frequency="weekly",
        datum="WGS84", file_format="GeoTIFF", max_cloud_coverage=20)
    scenario.template_id = saved["id"]
    return scenario
