"""Put the test org's orders into the states the browser tests look at.

The browser tests need a pending feasibility study (for the inbox) and a tasking order
part-way through its fulfilment (for the coverage map: some captures delivered, the
rest of the AOI still to cover). They are made here through the project's client and
the sandbox clock, before the notebook is opened.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

#: a land area west of Sydney (the offline world outline shows the coast nearby)
AOI_CENTER = (150.85, -33.75)  # lon, lat


def square(center: tuple[float, float], km2: float) -> dict[str, Any]:
    """A FeatureCollection with one square AOI of about ``km2`` around ``center``."""
    lon, lat = center
    half_km = math.sqrt(km2) / 2
    dlat = half_km / 110.574
    dlon = half_km / (111.320 * math.cos(math.radians(lat)))
    ring = [[lon - dlon, lat - dlat], [lon + dlon, lat - dlat], [lon + dlon, lat + dlat],
            [lon - dlon, lat + dlat], [lon - dlon, lat - dlat]]
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "e2e AOI"},
         "geometry": {"type": "Polygon", "coordinates": [ring]}}]}


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def pick_sensor(client: Any, feasibility: str) -> dict[str, Any]:
    """The first sensor with ``feasibility`` ``"auto"`` or ``"manual"``."""
    sensors = client.orders.tasking.sensors()["sensors"]
    for sensor in sensors:
        if sensor.get("feasibility") == feasibility:
            return dict(sensor)
    raise AssertionError(f"the sandbox has no {feasibility}-feasibility sensor: {sensors}")


def place_tasking(client: Any, sandbox: Any, sensor: dict[str, Any],
                  name: str, *, km2: float | None = None) -> str:
    """Place one tasking order the sensor accepts (area, window, cloud, off-nadir).

    ``km2`` is the AOI's area (a square around :data:`AOI_CENTER`), kept within the
    sensor's limits; by default a small one (1.5 x the sensor's minimum, at least 40).
    """
    now = dt.datetime.fromisoformat(sandbox.now().replace("Z", "+00:00"))
    start = now + dt.timedelta(hours=6)
    hours = max(int(sensor.get("minWindowHours") or 24), 72) + 24
    wanted = max(float(sensor.get("minKm2") or 0) * 1.5, 40.0) if km2 is None else km2
    km2 = min(max(wanted, float(sensor.get("minKm2") or 0)),
              float(sensor.get("maxKm2") or 1e9) * 0.8)
    group = {
        "sensor": sensor["id"],
        "featureCollection": square(AOI_CENTER, km2),
        "start": _iso(start),
        "end": _iso(start + dt.timedelta(hours=hours)),
        "maxCloudCoverage": max(int(sensor.get("minCloudPct") or 0), 30),
        "maxOffNadir": float(sensor.get("maxOffNadirDeg") or 30.0),
        "priority": "standard",
        "displayName": name,
    }
    answer = client.orders.tasking.place(groups=[group], displayName=name)
    assert not answer.get("errors"), answer
    order_id: str = answer["results"][0]["id"]
    return order_id


def pending_for(client: Any, order_id: str) -> list[dict[str, Any]]:
    """The order's pending decisions (feasibility studies, quotations)."""
    page = client.orders.tasking.decisions.pending(size=200)
    return [item for item in page.get("content", []) if item.get("orderId") == order_id]


def wait_for_study(client: Any, sandbox: Any, order_id: str) -> dict[str, Any]:
    """Advance the clock until the order's feasibility study waits for an answer."""
    for _ in range(12):
        studies = [d for d in pending_for(client, order_id) if d.get("kind") == "feasibility"]
        if studies:
            return studies[0]
        sandbox.advance(hours=1)
    raise AssertionError(f"no feasibility study for {order_id}: {client.orders.get(order_id=order_id)}")


def accept_decisions(client: Any, order_id: str) -> None:
    """Accept the order's pending study (its standard option) and quotation, if any."""
    for decision in pending_for(client, order_id):
        if decision["kind"] == "feasibility":
            option = next((o for o in decision["options"] if o.get("priority") == "standard"),
                          decision["options"][0])
            client.orders.tasking.feasibility_decide(study_id=decision["id"],
                                                     acceptedOptionId=option["id"])
        else:
            client.orders.tasking.quotation_decide(quotation_id=decision["id"],
                                                   decision="ACCEPTED")


def drive_to_fulfilment(client: Any, sandbox: Any, order_id: str) -> dict[str, Any]:
    """Accept every decision of the order and advance the clock until it is FULFILLED."""
    for _ in range(80):
        order: dict[str, Any] = client.orders.get(order_id=order_id)
        if order["status"] == "FULFILLED":
            return order
        if order["status"] in ("FAILED", "CANCELED"):
            raise AssertionError(f"order {order_id} ended {order['status']}: {order}")
        accept_decisions(client, order_id)
        sandbox.advance(hours=6)
    raise AssertionError(f"order {order_id} not fulfilled: {client.orders.get(order_id=order_id)}")


#: Clock step while waiting for the first capture. The sandbox plans n = 2..5 captures
#: and puts capture k at a random instant of the k-th n-th of the acquisition window
#: (``domain/deliveries.py``), so consecutive captures are at least ~0.98 x window / 5
#: apart (~19 h for the 96 h window of :func:`place_tasking`). A 2 h step therefore
#: always stops after the first capture and before the second one.
PARTIAL_STEP_HOURS = 2


def drive_to_partial_coverage(client: Any, sandbox: Any,
                              order_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Accept the order's decisions and move the clock until its first capture is in.

    Answers ``(order, coverage)`` with the order ``BEING_FULFILLED`` and its coverage
    (``orders.coverage.get``) partial: at least one capture delivered, not all of them
    (a plan has at least two strips and the AOI is only covered by all of them).
    Stepping the clock (rather than one fixed advance) keeps this independent of the
    order id, which seeds the plan and depends on what the tests placed before.
    """
    for _ in range(200):
        order: dict[str, Any] = client.orders.get(order_id=order_id)
        if order["status"] in ("FULFILLED", "FAILED", "CANCELED"):
            raise AssertionError(f"order {order_id} ended {order['status']} before a "
                                 f"partial state was seen: {order}")
        if order["status"] == "BEING_FULFILLED":
            coverage: dict[str, Any] = client.orders.coverage.get(order_id=order_id)
            if int(coverage.get("captureCount") or 0) >= 1:
                return order, coverage
        else:
            accept_decisions(client, order_id)
        sandbox.advance(hours=PARTIAL_STEP_HOURS)
    raise AssertionError(f"order {order_id} got no capture: {client.orders.get(order_id=order_id)}")
