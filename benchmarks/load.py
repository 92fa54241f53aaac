"""Load: N concurrent clients mixing reads and placements against the SQLite sandbox.

The sandbox runs as a separate process (``geopera-nb sandbox serve`` on a fresh data
dir, rate limits raised) unless ``--url`` points at a running one. Each client is its
own org and loops until the time is up over a fixed mix of operations. At the end:

- no 5xx, no ``database is locked`` (in answers or in the server's output);
- counts match: the orders each org lists are exactly the distinct order ids its 202
  placements answered;
- per kind: count, throughput (req/s), p50 and p99 latency (ms); overall req/s.

Usage::

    python benchmarks/load.py                       # 8 clients, 60 s
    python benchmarks/load.py --seconds 10 --json out.json

Exit status 0 when every check holds, 1 otherwise. Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
ADMIN_TOKEN = "load-benchmark-admin"
#: kind -> weight of the mix
MIX: dict[str, int] = {
    "orders.list": 25,
    "orders.get": 15,
    "catalog.search": 15,
    "orders.tasking.estimate": 15,
    "orders.archive.place": 15,
    "orders.tasking.place": 10,
    "orders.tasking.sensors": 5,
}
PLACEMENTS = ("orders.archive.place", "orders.tasking.place")
HIGH_LIMITS = {"general": 1_000_000, "placement": 1_000_000, "spend": 1_000_000}


@dataclass
class ClientStats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    order_ids: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class SpawnedSandbox:
    """``geopera-nb sandbox serve`` on a temporary data dir, output to a log file."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = _free_port()
        self.log_path = data_dir.parent / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "geopera_nb.cli.main", "sandbox", "serve",
               "--host", "127.0.0.1", "--port", str(self.port), "--data", str(self.data_dir),
               "--seed", "0", "--admin-token", ADMIN_TOKEN,
               *[arg for bucket, n in HIGH_LIMITS.items()
                 for arg in (f"--rate-limit-{bucket}", str(n))]]
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd=REPO,
                                         env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sandbox exited early:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/openapi.json", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"sandbox did not start:\n{self.log()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def _square(lon: float, lat: float, half: float) -> dict[str, Any]:
    ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half],
            [lon - half, lat + half], [lon - half, lat - half]]
    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": {},
                          "geometry": {"type": "Polygon", "coordinates": [ring]}}]}


def _centroid(geometry: dict[str, Any]) -> tuple[float, float]:
    from shapely.geometry import shape

    c = shape(geometry).centroid
    return float(c.x), float(c.y)


def _request(kind: str, rng: random.Random, catalog: dict[str, Any],
             stats: ClientStats) -> tuple[dict[str, Any], dict[str, str]]:
    """The body and headers of one call of ``kind``."""
    if kind == "orders.list":
        return {"page": 0, "size": 20}, {}
    if kind == "orders.get":
        ids = sorted(stats.order_ids)
        return {"order_id": rng.choice(ids) if ids else str(uuid.UUID(int=0))}, {}
    if kind == "catalog.search":
        lon, lat = rng.uniform(-170, 170), rng.uniform(-60, 60)
        return {"host_name": "geopera", "limit": 20,
                "bbox": [lon - 5, lat - 5, lon + 5, lat + 5]}, {}
    if kind == "orders.tasking.sensors":
        return {}, {}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    if kind in ("orders.tasking.estimate", "orders.tasking.place"):
        sensor = rng.choice(catalog["sensors"])
        group = {"sensor": sensor["id"], "priority": "standard",
                 "featureCollection": _square(rng.uniform(-60, 60), rng.uniform(-50, 50), 0.03)}
        return {"groups": [group]}, (key if kind.endswith("place") else {})
    capture = rng.choice(catalog["captures"])
    lon, lat = _centroid(capture["geometry"])
    return {"captures": [{"id": capture["id"], "featureCollection": _square(lon, lat, 0.01)}]}, key


def _client_loop(url: str, api_key: str, catalog: dict[str, Any], deadline: float, seed: int,
                 stats: ClientStats) -> None:
    rng = random.Random(seed)
    kinds, weights = zip(*MIX.items(), strict=True)
    with httpx.Client(base_url=url, timeout=httpx.Timeout(60.0, connect=10.0),
                      headers={"Authorization": f"Bearer {api_key}"}) as http:
        while time.monotonic() < deadline:
            kind = rng.choices(kinds, weights)[0]
            body, headers = _request(kind, rng, catalog, stats)
            t0 = time.perf_counter()
            try:
                response = http.post(f"/v1/op/{kind}", json=body, headers=headers)
            except httpx.HTTPError as exc:
                stats.failures.append(f"{kind}: transport error {type(exc).__name__}")
                continue
            elapsed = time.perf_counter() - t0
            stats.latencies[kind].append(elapsed)
            stats.statuses[kind][response.status_code] += 1
            if response.status_code >= 500:
                stats.failures.append(f"{kind}: {response.status_code} {response.text[:200]}")
            if "database is locked" in response.text:
                stats.failures.append(f"{kind}: database is locked")
            if kind in PLACEMENTS:
                if response.status_code == 202:
                    stats.order_ids.update(r["id"] for r in response.json()["results"])
                else:
                    stats.failures.append(f"{kind}: {response.status_code} {response.text[:200]}")
            elif kind != "orders.get" and response.status_code != 200:
                stats.failures.append(f"{kind}: {response.status_code} {response.text[:200]}")


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def run(url: str, seconds: float, clients: int, seed: int) -> dict[str, Any]:
    """Run the load against ``url``; answer the summary (``ok`` and the figures)."""
    admin = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                         timeout=60)
    orgs = []
    for i in range(clients):
        r = admin.post("/sandbox/orgs", json={"name": f"load-{i}", "credits": 10**12})
        r.raise_for_status()
        orgs.append(r.json())
    with httpx.Client(base_url=url, timeout=60,
                      headers={"Authorization": f"Bearer {orgs[0]['api_key']}"}) as http:
        catalog = {
            "sensors": http.post("/v1/op/orders.tasking.sensors", json={}).json()["sensors"],
            "captures": http.post("/v1/op/catalog.search",
                                  json={"host_name": "geopera", "limit": 100}).json()["features"],
        }
    all_stats = [ClientStats() for _ in range(clients)]
    start = time.monotonic()
    deadline = start + seconds
    threads = [threading.Thread(target=_client_loop,
                                args=(url, orgs[i]["api_key"], catalog, deadline, seed + i,
                                      all_stats[i]), daemon=True)
               for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 300)
    wall = time.monotonic() - start

    failures = [f for s in all_stats for f in s.failures]
    mismatches = []
    for org, stats in zip(orgs, all_stats, strict=True):
        listed: set[str] = set()
        with httpx.Client(base_url=url, timeout=60,
                          headers={"Authorization": f"Bearer {org['api_key']}"}) as http:
            for page in range(10_000):
                data = http.post("/v1/op/orders.list", json={"page": page, "size": 500}).json()
                listed.update(o["id"] for o in data["content"])
                if page + 1 >= data["totalPages"]:
                    break
        if listed != stats.order_ids:
            mismatches.append(f"{org['org_id']}: listed {len(listed)} != placed "
                              f"{len(stats.order_ids)}")
        ledger = admin.get(f"/sandbox/orgs/{org['org_id']}").json()
        if ledger["granted"] != ledger["balance"] + ledger["reserved"] + ledger["charged"]:
            mismatches.append(f"{org['org_id']}: unbalanced ledger {ledger}")
    admin.close()

    kinds: dict[str, Any] = {}
    total = 0
    for kind in MIX:
        lat = [x for s in all_stats for x in s.latencies.get(kind, [])]
        statuses: dict[int, int] = defaultdict(int)
        for s in all_stats:
            for code, n in s.statuses.get(kind, {}).items():
                statuses[code] += n
        total += len(lat)
        kinds[kind] = {"count": len(lat), "rps": round(len(lat) / wall, 1),
                       "p50_ms": round(_percentile(lat, 50) * 1000, 1),
                       "p99_ms": round(_percentile(lat, 99) * 1000, 1),
                       "statuses": dict(sorted(statuses.items()))}
    all_lat = [x for s in all_stats for v in s.latencies.values() for x in v]
    return {
        "ok": not failures and not mismatches,
        "seconds": round(wall, 1), "clients": clients, "requests": total,
        "rps": round(total / wall, 1),
        "p50_ms": round(_percentile(all_lat, 50) * 1000, 1),
        "p99_ms": round(_percentile(all_lat, 99) * 1000, 1),
        "orders_created": sum(len(s.order_ids) for s in all_stats),
        "server_errors": sum(n for k in kinds.values() for c, n in k["statuses"].items()
                             if c >= 500),
        "failures": failures[:50], "count_mismatches": mismatches, "kinds": kinds,
    }


def print_summary(summary: dict[str, Any]) -> None:
    print(f"{summary['clients']} clients, {summary['seconds']} s, {summary['requests']} requests, "
          f"{summary['rps']} req/s, p50 {summary['p50_ms']} ms, p99 {summary['p99_ms']} ms, "
          f"{summary['orders_created']} orders created")
    print(f"{'kind':34} {'count':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}  statuses")
    for kind, k in summary["kinds"].items():
        print(f"{kind:34} {k['count']:>7} {k['rps']:>8} {k['p50_ms']:>8} {k['p99_ms']:>8}  "
              f"{k['statuses']}")
    for line in summary["failures"] + summary["count_mismatches"]:
        print("FAIL", line)
    print("OK" if summary["ok"] else "FAILED")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--url", help="a running sandbox (admin token " + ADMIN_TOKEN + ")")
    parser.add_argument("--json", type=Path, help="also write the summary here")
    args = parser.parse_args(argv)
    server: SpawnedSandbox | None = None
    tmp = tempfile.TemporaryDirectory(prefix="geopera-load-")
    try:
        if args.url:
            url = args.url
        else:
            server = SpawnedSandbox(Path(tmp.name) / "data")
            server.start()
            url = server.url
        summary = run(url, args.seconds, args.clients, args.seed)
        if server is not None:
            log = server.log()
            summary["server_log_locked"] = "database is locked" in log
            summary["server_log_tracebacks"] = log.count("Traceback")
            if summary["server_log_locked"] or summary["server_log_tracebacks"]:
                summary["ok"] = False
                summary["failures"].append("server log: " + log[-2000:])
    finally:
        if server is not None:
            server.stop()
        tmp.cleanup()
    print_summary(summary)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
