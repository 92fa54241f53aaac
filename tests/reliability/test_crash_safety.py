"""Crash safety: SIGKILL the sandbox process at random points of placement and decision.

The sandbox runs as a separate process (``geopera-nb sandbox serve``) on one data dir.
Worker threads fire placements, cancels and decisions with Idempotency-Keys; after a
random delay the process is SIGKILLed, then restarted on the same data. After every
restart:

- no half-made order: every order's ledger rows add up to its ``credits`` (reserved,
  charged), every non-cancelled archive order has its reservation rows, and no ledger
  row names an order that does not exist (read straight from ``DIR/sandbox.db``);
- every ledger balances, in the ``orgs`` table, through the admin API, and against the
  sum of its ledger rows;
- a replay of every key answered before the kill gives the first answer byte for byte
  (``Idempotent-Replayed: true``); a key whose call was cut off by the kill runs at most
  once: after its retry, every placement key owns exactly one order.
"""

from __future__ import annotations

import contextlib
import random
import sqlite3
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from reliability_support import (
    Admin,
    OrgApi,
    OrgCreds,
    ServerProcess,
    centroid_of,
    feature_collection,
    new_key,
    square,
)

#: Kills survived by the runs of this module (reported in docs/reliability.md).
FIGURES: dict[str, int] = {"kills": 0, "cut_off_calls": 0, "replays_checked": 0}

SPEND_OPS = ("orders.archive.place", "orders.tasking.place", "orders.cancel",
             "orders.tasking.feasibility_decide", "orders.tasking.quotation_decide")


@dataclass
class Attempt:
    org: str
    op_id: str
    body: dict[str, Any]
    key: str
    status: int | None = None  # None: cut off by the kill
    content: bytes | None = None


class Workload:
    """Worker threads firing spending calls until the server dies."""

    def __init__(self, url: str, orgs: dict[str, OrgCreds], catalog: dict[str, Any],
                 rng: random.Random) -> None:
        self.url = url
        self.orgs = orgs
        self.catalog = catalog
        self.seeds = [rng.randrange(1 << 30) for _ in orgs]
        self.attempts: list[Attempt] = []
        self.lock = threading.Lock()
        self.threads: list[threading.Thread] = []
        self.errors: list[str] = []  # failures seen by workers (asserted by the main thread)

    def start(self) -> None:
        for (name, creds), seed in zip(self.orgs.items(), self.seeds, strict=True):
            t = threading.Thread(target=self._work, args=(name, creds, random.Random(seed)),
                                 daemon=True)
            t.start()
            self.threads.append(t)

    def join(self) -> None:
        for t in self.threads:
            t.join(timeout=120)
            assert not t.is_alive(), "a worker did not stop after the kill"
        assert not self.errors, self.errors[:5]

    def _body(self, api: OrgApi, rng: random.Random, known: list[str]) -> tuple[str, dict[str, Any]]:
        roll = rng.random()
        if roll < 0.4:
            capture = rng.choice(self.catalog["captures"])
            lon, lat = centroid_of(capture["geometry"])
            return "orders.archive.place", {"captures": [{
                "id": capture["id"],
                "featureCollection": feature_collection(square(lon, lat, 0.01))}]}
        if roll < 0.7:
            sensor = rng.choice(self.catalog["sensors"])
            return "orders.tasking.place", {"groups": [{
                "sensor": sensor["id"], "priority": "standard", "maxCloudCoverage": 40,
                "featureCollection": feature_collection(square(rng.uniform(-60, 60),
                                                               rng.uniform(-50, 50), 0.03))}]}
        if roll < 0.8 and known:
            return "orders.cancel", {"order_id": rng.choice(known)}
        pending = api.ok("orders.tasking.decisions.pending", {"size": 20})["content"]
        if not pending:
            return self._body(api, rng, [])
        item = rng.choice(pending)
        if item["kind"] == "feasibility":
            return "orders.tasking.feasibility_decide", {
                "study_id": item["id"], "acceptedOptionId": item["options"][0]["id"]}
        return "orders.tasking.quotation_decide", {
            "quotation_id": item["id"], "decision": rng.choice(["ACCEPTED", "REJECTED"])}

    def _work(self, name: str, creds: OrgCreds, rng: random.Random) -> None:
        known: list[str] = []
        with OrgApi(self.url, creds, timeout=httpx.Timeout(30.0, connect=5.0)) as api:
            for _ in range(10_000):  # bounded; ends at the kill
                attempt: Attempt | None = None
                try:
                    op_id, body = self._body(api, rng, known)
                    attempt = Attempt(name, op_id, body, new_key())
                    response = api.post(op_id, body, idempotency_key=attempt.key)
                except httpx.HTTPError:
                    if attempt is not None:
                        with self.lock:
                            self.attempts.append(attempt)
                    return
                attempt.status, attempt.content = response.status_code, response.content
                with self.lock:
                    self.attempts.append(attempt)
                    if response.status_code >= 500 or "database is locked" in response.text:
                        self.errors.append(f"{op_id}: {response.status_code} {response.text[:300]}")
                if response.status_code == 202:
                    known.extend(r["id"] for r in response.json()["results"])


def check_database(db_path: Path) -> dict[str, int]:
    """Read the killed server's database: no half-made order, every ledger adds up."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=60)
    conn.row_factory = sqlite3.Row
    try:
        import json

        orders = {r["id"]: (r["org_id"], r["type"], r["status"], json.loads(r["doc"]))
                  for r in conn.execute("SELECT id, org_id, type, status, doc FROM orders")}
        per_order: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        per_org: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for row in conn.execute("SELECT org_id, order_id, kind, credits FROM ledger"):
            per_org[row["org_id"]][row["kind"]] += row["credits"]
            if row["order_id"] is not None:
                assert row["order_id"] in orders, f"ledger row for a missing order {dict(row)}"
                assert orders[row["order_id"]][0] == row["org_id"], "ledger row of another org"
                per_order[row["order_id"]][row["kind"]] += row["credits"]
        for order_id, (_org, kind, status, doc) in orders.items():
            rows = per_order[order_id]
            credits = doc["credits"]
            held = rows["reserve"] - rows["refund"] - rows["charge"]
            assert held == credits["reserved"], f"order {order_id}: rows {dict(rows)} vs {credits}"
            assert rows["charge"] == credits["charged"], (order_id, dict(rows), credits)
            assert rows["refund"] == credits["refunded"], (order_id, dict(rows), credits)
            if kind == "ARCHIVE":
                assert rows["reserve"] == credits["estimated"] > 0, (
                    f"archive order {order_id} ({status}) without its reservation: {dict(rows)}")
        for org in conn.execute("SELECT id, granted, balance, reserved, charged FROM orgs"):
            sums = per_org[org["id"]]
            assert org["granted"] == org["balance"] + org["reserved"] + org["charged"], dict(org)
            assert org["balance"] >= 0, dict(org)
            assert org["granted"] == sums["grant"], (dict(org), dict(sums))
            assert org["reserved"] == sums["reserve"] - sums["refund"] - sums["charge"], dict(org)
            assert org["charged"] == sums["charge"], (dict(org), dict(sums))
        return {"orders": len(orders)}
    finally:
        conn.close()


def _catalog(url: str, admin: Admin) -> dict[str, Any]:
    probe = admin.create_org("crash-catalog", credits=1)
    with OrgApi(url, probe) as api:
        return {"sensors": api.ok("orders.tasking.sensors", {})["sensors"],
                "captures": api.ok("catalog.search", {"host_name": "geopera",
                                                      "limit": 30})["features"]}


def _verify_after_restart(server: ServerProcess, attempts: list[Attempt],
                          orgs: dict[str, OrgCreds]) -> None:
    with Admin(server.url, server.admin_token) as admin:
        for creds in orgs.values():
            ledger = admin.ledger(creds.org_id)
            assert ledger.balanced and ledger.balance >= 0, ledger
        apis = {name: OrgApi(server.url, creds) for name, creds in orgs.items()}
        try:
            placement_keys: dict[str, set[str]] = defaultdict(set)
            for a in attempts:
                api = apis[a.org]
                replay = api.post(a.op_id, a.body, idempotency_key=a.key)
                assert replay.status_code < 500, (a.op_id, replay.status_code, replay.text)
                assert replay.status_code != 409 or a.status == 409 or "in progress" not in \
                    replay.text, f"key stuck in progress after restart: {a.op_id}"
                if a.status is not None and 200 <= a.status < 300:
                    FIGURES["replays_checked"] += 1
                    assert replay.status_code == a.status, (a.op_id, replay.text)
                    assert replay.content == a.content, f"{a.op_id}: replay differs from first"
                    assert replay.headers.get("Idempotent-Replayed") == "true"
                if a.status is None:
                    FIGURES["cut_off_calls"] += 1
                if a.op_id.endswith(".place") and replay.status_code == 202:
                    again = api.post(a.op_id, a.body, idempotency_key=a.key)
                    assert again.content == replay.content, "second replay differs"
                    placement_keys[a.org].update(r["id"] for r in replay.json()["results"])
            for name, api in apis.items():
                orders = api.all_orders()
                assert {o["id"] for o in orders} == placement_keys[name], (
                    f"org {name}: orders without a key or keys without an order")
                ledger = admin.ledger(orgs[name].org_id)
                assert sum(o["credits"]["reserved"] for o in orders) == ledger.reserved
                assert sum(o["credits"]["charged"] for o in orders) == ledger.charged
        finally:
            for api in apis.values():
                api.http.close()


def _run_kills(tmp_path: Path, kills: int, seed: int) -> None:
    rng = random.Random(seed)
    server = ServerProcess(tmp_path / "data")
    server.start()
    try:
        for cycle in range(kills):
            with Admin(server.url, server.admin_token) as admin:
                catalog = _catalog(server.url, admin)
                orgs = {f"w{cycle}-{i}": admin.create_org(f"crash-{cycle}-{i}", 5_000_000)
                        for i in range(3)}
                admin.advance(hours=2)
            workload = Workload(server.url, orgs, catalog, rng)
            workload.start()
            time.sleep(rng.uniform(0.5, 2.5))
            with (Admin(server.url, server.admin_token) as admin,
                  contextlib.suppress(httpx.HTTPError, AssertionError)):
                admin.advance(hours=rng.choice([1, 2, 3]))  # lifecycle on; keys live 24 h
            time.sleep(rng.uniform(0.05, 1.0))
            server.kill()
            FIGURES["kills"] += 1
            workload.join()
            check_database(server.data_dir / "sandbox.db")
            server.start()
            _verify_after_restart(server, workload.attempts, orgs)
        check_database(server.data_dir / "sandbox.db")
        log = server.log()
        assert "database is locked" not in log
        assert "Traceback" not in log, log[-3000:]
    finally:
        server.kill()


def test_sigkill_at_random_points_loses_nothing(tmp_path: Path) -> None:
    _run_kills(tmp_path, kills=3, seed=7)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_sigkill_many_times_loses_nothing(tmp_path: Path) -> None:
    _run_kills(tmp_path, kills=20, seed=11)
