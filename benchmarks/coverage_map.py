"""Benchmark: a CoverageMap of 2,000 archive + 10 tasking orders under the real rate limits.

Run ``python benchmarks/coverage_map.py`` (``--archive N --tasking M`` for other sizes).

Setup (not timed): a sandbox *process* with rate limits raised gets an org with N
archive orders (delivered) and M tasking orders in every state that matters (most
fulfilled, two waiting for their quotation, one FAILED at placement). The process is
then restarted on the same data with the documented limits
(:data:`geopera_nb.contract.limits.RATE_LIMITS`: 600 calls/min per org).

The sandbox renders a delivery's files (and their checksums) the first time its assets
are listed, which a real API has done long before; the calls the map will make are
therefore made once before the measurement (then a fresh rate-limit window is awaited).

Measured: ``CoverageMap(client, ids)`` from construction until its frames are shown,
through a client whose transport counts every HTTP request and its status. Printed:
the calls (by operation), any answer >= 400 (there must be none: no call that must
fail), the wall time, and the rate-limit floor for those calls, ``calls / 600 per
minute`` (the pace the limit allows when sustained), and the ratio (target <= 1.2x).
For scale, it also prints what the old CoverageMap asked (coverage, groups and assets of
every order: 3 calls each) and that floor.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from geopera_nb import sandbox as sandbox_module
from geopera_nb.contract.limits import RATE_LIMITS, RATE_WINDOW_S
from geopera_nb.contract.states import OrderType, coverage_available
from geopera_nb.contract.timestamps import format_instant, parse_instant

HIGH = {"general": 1_000_000, "placement": 1_000_000, "spend": 1_000_000}


class CountingTransport(httpx.HTTPTransport):
    """Counts requests by path and status."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: Counter[str] = Counter()
        self.failed: list[tuple[str, int]] = []
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        with self._lock:
            self.paths[request.url.path.rsplit("/", 1)[-1]] += 1
            if response.status_code >= 400:
                self.failed.append((request.url.path, response.status_code))
        return response


def _group(lon: float, **extra: Any) -> dict[str, Any]:
    ring = [[lon, -33.0], [lon + 0.05, -33.0], [lon + 0.05, -32.95], [lon, -32.95], [lon, -33.0]]
    return {"sensor": "geo-owl-30", "maxCloudCoverage": 30, **extra,
            "featureCollection": {"type": "FeatureCollection", "features": [
                {"type": "Feature", "properties": {"name": f"block {lon:.2f}"},
                 "geometry": {"type": "Polygon", "coordinates": [ring]}}]}}


def build(sb: Any, n_archive: int, n_tasking: int) -> tuple[Any, list[str]]:
    """The org and its order ids (archive first)."""
    org = sb.create_org(name="Benchmark", credits=10**12)
    client = sb.client(org)
    fulfilled = max(0, n_tasking - 3)
    ids = [client.orders.tasking.place(groups=[_group(150 + 0.1 * i)],
                                       displayName=f"Tasking {i}")["results"][0]["id"]
           for i in range(fulfilled)]
    sb.advance(hours=1)
    for item in client.stream("orders.tasking.decisions.pending", {}):
        client.orders.tasking.quotation_decide(quotation_id=item["id"], decision="ACCEPTED")
    sb.advance(days=15)
    ids += [client.orders.tasking.place(groups=[_group(151 + 0.1 * i)],
                                        displayName=f"Waiting {i}")["results"][0]["id"]
            for i in range(min(2, n_tasking - fulfilled))]
    now = parse_instant(sb.now())
    short = {"start": format_instant(now + timedelta(days=1)),
             "end": format_instant(now + timedelta(days=3))}
    if n_tasking > fulfilled + 2:
        ids.append(client.orders.tasking.place(groups=[_group(152, **short)],
                                               displayName="Too short")["results"][0]["id"])
    captures = [{"id": c["id"]} for c in client.iter_catalog(bbox=[110, -45, 155, -10],
                                                             max_items=500)]
    archive: list[str] = []
    while len(archive) < n_archive:  # one order per acquisition date and call
        placed = client.orders.archive.place(captures=captures, splitByDate=True,
                                             displayName="Archive")
        archive += [r["id"] for r in placed["results"]]
    extra = archive[n_archive:]
    for order_id in extra:
        client.orders.cancel(order_id=order_id)
    sb.advance(hours=48)
    client.close()
    return org, archive[:n_archive] + ids


def replay(client: Any, records: list[dict[str, Any]]) -> float:
    """Seconds the planned per-order calls take one after another (server time)."""
    from geopera_nb.frames.coverage_batch import plan_calls

    plan = plan_calls(records)
    started = time.perf_counter()
    for order_id, op_id in plan:
        if op_id == "orders.coverage.get":
            client.call(op_id, {"order_id": order_id})
        else:
            list(client.stream(op_id, {"order_id": order_id}))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--archive", type=int, default=2_000)
    parser.add_argument("--tasking", type=int, default=10)
    args = parser.parse_args()
    from geopera_nb.widgets import CoverageMap, ImmediateScheduler

    token = "gpsa_" + secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        started = time.perf_counter()
        sb = sandbox_module.spawn(data_dir=data, seed=0, rate_limits=HIGH, admin_token=token)
        try:
            org, ids = build(sb, args.archive, args.tasking)
        finally:
            sb.stop()
        print(f"setup: {len(ids):,} orders in {time.perf_counter() - started:.0f} s")
        sb = sandbox_module.spawn(data_dir=data, seed=0, admin_token=token)  # documented limits
        try:
            transport = CountingTransport()
            client = sb.client(org, transport=transport)
            listed = list(client.stream("orders.list", {}))
            statuses = Counter((o["type"], o["status"]) for o in listed)
            replay(client, listed)  # the sandbox renders delivered files on first listing
            transport.paths.clear()
            time.sleep(RATE_WINDOW_S)  # start on a fresh rate-limit window
            t0 = time.perf_counter()
            cov = CoverageMap(client, ids, online=False, scheduler=ImmediateScheduler())
            seconds = time.perf_counter() - t0
            counted = dict(transport.paths)
            server_s = replay(client, list(client.stream("orders.list", {})))
        finally:
            sb.stop()
    calls = sum(counted.values())
    per_minute = RATE_LIMITS["general"]
    floor = calls * RATE_WINDOW_S / per_minute
    old_calls = 1 + 3 * len(ids)
    covering = sum(n for (t, s), n in statuses.items()
                   if coverage_available(t, s))
    archive = sum(n for (t, _s), n in statuses.items() if t == OrderType.ARCHIVE)
    old_409 = (len(ids) - covering) + archive  # coverage.get, and groups of archive orders
    print("orders:", ", ".join(f"{n:,} {t.lower()} {s.lower()}" for (t, s), n in
                               sorted(statuses.items())))
    print(f"calls: {calls} ({', '.join(f'{op} {n}' for op, n in sorted(counted.items()))})"
          f"; widget counted {cov.batch.calls if cov.batch else '?'}")
    print(f"answers >= 400: {len(transport.failed)} {transport.failed[:5]}")
    print(f"time: {seconds:.2f} s; rate-limit floor for {calls} calls at {per_minute}/min: "
          f"{floor:.2f} s; ratio {seconds / floor:.2f}x (target <= 1.2x)")
    print(f"the same per-order calls one after another, nothing else: {server_s:.2f} s "
          f"(the sandbox's own time for them; the map took {seconds / server_s:.2f}x that)")
    print(f"before (every order asked coverage, groups and assets): {old_calls:,} calls, floor "
          f"{old_calls * RATE_WINDOW_S / per_minute / 60:.1f} min, "
          f"{old_409:,} of them answered 409")
    print(f"summary: {cov.notes}")
    if transport.failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
