"""Money invariants under random sequences of operations (hypothesis stateful testing).

A ``RuleBasedStateMachine`` drives estimate / place (archive and tasking) / cancel /
feasibility decide / quotation decide / advance clock across two orgs, and after every
step checks, through the admin API and the org APIs:

- each ledger balances: granted = balance + reserved + charged, granted never moves;
- balances never go negative (nor do reserved and charged);
- the orders' own ``credits`` add up to the ledger (sum reserved, sum charged);
- an archive placement reserves exactly what its estimate said, a tasking placement
  reserves nothing and answers the estimate's credits;
- no order of one org is visible to the other (get -> 404, absent from list);
- no decision is applied twice (second decide -> 409, ledger unchanged);
- a 402 or 409 moves no money.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import datetime, timedelta
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from reliability_support import (
    Admin,
    Ledger,
    OrgApi,
    OrgCreds,
    SandboxHandle,
    centroid_of,
    feature_collection,
    new_key,
    square,
)

#: Steps checked by the runs of this module (reported in docs/reliability.md).
STEPS_CHECKED: dict[str, int] = {"steps": 0, "examples": 0}
#: How often each rule reached each outcome (printed; shows the run was not vacuous).
OUTCOMES: Counter[str] = Counter()

ORG_NAMES = ("A", "B")
#: Org B is poor on purpose so 402s happen and must move nothing.
CREDITS = {"A": 20_000_000, "B": 400_000}
FMT = "%Y-%m-%dT%H:%M:%S.000Z"


class MoneyMachine(RuleBasedStateMachine):
    """Random operations across two orgs with the money invariants checked after each."""

    base_url: ClassVar[str] = ""
    admin_token: ClassVar[str] = ""
    catalog: ClassVar[dict[str, Any]] = {}

    def __init__(self) -> None:
        super().__init__()
        self.admin = Admin(self.base_url, self.admin_token)
        self.orgs: dict[str, OrgCreds] = {}
        self.apis: dict[str, OrgApi] = {}
        self.orders: dict[str, list[str]] = {n: [] for n in ORG_NAMES}

    # --- setup ------------------------------------------------------------------------

    @initialize()
    def make_orgs(self) -> None:
        STEPS_CHECKED["examples"] += 1
        for name in ORG_NAMES:
            creds = self.admin.create_org(f"money-{name}", credits=CREDITS[name])
            self.orgs[name] = creds
            self.apis[name] = OrgApi(self.base_url, creds)

    def teardown(self) -> None:
        for api in self.apis.values():
            api.http.close()
        self.admin.close()

    # --- helpers ----------------------------------------------------------------------

    def ledger(self, name: str) -> Ledger:
        return self.admin.ledger(self.orgs[name].org_id)

    def window(self) -> tuple[str, str]:
        now = datetime.fromisoformat(
            self.admin.http.get("/sandbox/clock").json()["now"].replace("Z", "+00:00"))
        return (now + timedelta(hours=6)).strftime(FMT), (now + timedelta(days=12)).strftime(FMT)

    def pending(self, org: str, kind: str) -> tuple[str, list[dict[str, Any]]]:
        """Pending decisions of ``kind`` for ``org``, else for the other org."""
        for name in (org, *[n for n in ORG_NAMES if n != org]):
            items = self.apis[name].ok("orders.tasking.decisions.pending",
                                       {"kinds": kind, "size": 50})["content"]
            if items:
                return name, items
        return org, []

    def assert_no_money_moved(self, name: str, before: Ledger, what: str) -> None:
        after = self.ledger(name)
        assert after == before, f"{what} moved money: {before} -> {after}"

    # --- rules ------------------------------------------------------------------------

    @rule(org=st.sampled_from(ORG_NAMES), idx=st.integers(0, 19),
          shrink=st.sampled_from([None, 0.5, 0.2]), split=st.booleans())
    def archive_estimate_then_place(self, org: str, idx: int, shrink: float | None,
                                    split: bool) -> None:
        capture = self.catalog["captures"][idx % len(self.catalog["captures"])]
        line: dict[str, Any] = {"id": capture["id"]}
        if shrink is not None:
            lon, lat = centroid_of(capture["geometry"])
            line["featureCollection"] = feature_collection(square(lon, lat, 0.05 * shrink))
        body = {"captures": [line], "splitByDate": split}
        api = self.apis[org]
        estimate = api.ok("orders.archive.estimate", body)
        before = self.ledger(org)
        response = api.post("orders.archive.place", body, idempotency_key=new_key())
        if estimate["errors"]:
            assert response.status_code == 422, response.text
            self.assert_no_money_moved(org, before, "422 archive placement")
            OUTCOMES["archive 422"] += 1
            return
        total = int(estimate["total_credits"])
        if response.status_code == 402:
            assert total > before.balance, (total, before)
            self.assert_no_money_moved(org, before, "402 archive placement")
            OUTCOMES["archive 402"] += 1
            return
        assert response.status_code == 202, response.text
        placed = response.json()
        after = self.ledger(org)
        assert after.reserved - before.reserved == total, "reservation != estimate"
        assert before.balance - after.balance == total
        assert placed["total_credits"] == total
        reserved = 0
        for result in placed["results"]:
            order = api.ok("orders.get", {"order_id": result["id"]})
            assert order["type"] == "ARCHIVE"
            assert order["credits"]["reserved"] == order["credits"]["estimated"]
            reserved += order["credits"]["reserved"]
            self.orders[org].append(result["id"])
        assert reserved == total
        assert len(placed["results"]) == len(estimate["groups"])
        OUTCOMES["archive placed"] += 1

    @rule(org=st.sampled_from(ORG_NAMES), sensor=st.integers(0, 20),
          half=st.sampled_from([0.02, 0.04, 0.08]),
          priority=st.sampled_from(["standard", "priority", "rush"]))
    def tasking_estimate_then_place(self, org: str, sensor: int, half: float,
                                    priority: str) -> None:
        sensors = self.catalog["sensors"]
        s = sensors[sensor % len(sensors)]
        start, end = self.window()
        group = {"sensor": s["id"], "featureCollection": feature_collection(square(
            10.0 + sensor, 45.0, half)), "start": start, "end": end, "priority": priority,
            "maxCloudCoverage": 40}
        api = self.apis[org]
        estimate = api.ok("orders.tasking.estimate", {"groups": [group]})
        before = self.ledger(org)
        response = api.post("orders.tasking.place", {"groups": [group]},
                            idempotency_key=new_key())
        if estimate["errors"]:
            assert response.status_code == 422, response.text
            self.assert_no_money_moved(org, before, "422 tasking placement")
            OUTCOMES["tasking 422"] += 1
            return
        assert response.status_code == 202, response.text
        result = response.json()["results"][0]
        assert result["estimatedCredits"] == estimate["groups"][0]["credits"]
        self.assert_no_money_moved(org, before, "tasking placement")  # nothing reserved yet
        order = api.ok("orders.get", {"order_id": result["id"]})
        assert order["credits"]["estimated"] == estimate["groups"][0]["credits"]
        self.orders[org].append(result["id"])
        OUTCOMES["tasking placed"] += 1

    @precondition(lambda self: any(self.orders.values()))
    @rule(org=st.sampled_from(ORG_NAMES), pick=st.integers(0, 10_000))
    def cancel(self, org: str, pick: int) -> None:
        if not self.orders[org]:
            return
        order_id = self.orders[org][pick % len(self.orders[org])]
        api = self.apis[org]
        order = api.ok("orders.get", {"order_id": order_id})
        before = self.ledger(org)
        response = api.post("orders.cancel", {"order_id": order_id}, idempotency_key=new_key())
        if response.status_code == 409:
            self.assert_no_money_moved(org, before, "409 cancel")
            OUTCOMES["cancel 409"] += 1
            return
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["status"] == "CANCELED"
        held = order["credits"]["reserved"]
        assert answer["refundedCredits"] == held, (answer, order["credits"])
        after = self.ledger(org)
        assert before.reserved - after.reserved == held
        assert after.balance - before.balance == held
        again = api.post("orders.cancel", {"order_id": order_id}, idempotency_key=new_key())
        assert again.status_code == 409, again.text
        self.assert_no_money_moved(org, after, "second cancel")
        OUTCOMES["cancel refunded"] += 1

    @rule(org=st.sampled_from(ORG_NAMES), pick=st.integers(0, 10_000))
    def feasibility_decide(self, org: str, pick: int) -> None:
        org, pending = self.pending(org, "feasibility")
        if not pending:
            return
        api = self.apis[org]
        study = pending[pick % len(pending)]
        order = api.ok("orders.get", {"order_id": study["orderId"]})
        option = study["options"][pick % len(study["options"])]
        before = self.ledger(org)
        body = {"study_id": study["id"], "acceptedOptionId": option["id"]}
        response = api.post("orders.tasking.feasibility_decide", body, idempotency_key=new_key())
        if response.status_code == 402:
            assert option["credits"] > before.balance
            self.assert_no_money_moved(org, before, "402 feasibility decide")
            OUTCOMES["study 402"] += 1
            return
        if response.status_code == 409:  # e.g. the order was cancelled meanwhile
            self.assert_no_money_moved(org, before, "409 feasibility decide")
            OUTCOMES["study 409"] += 1
            return
        assert response.status_code == 200, response.text
        assert response.json()["decision"] == "ACCEPTED"
        after = self.ledger(org)
        assert after.reserved - before.reserved == option["credits"], "option != reservation"
        if option["priority"] == (order["orderDetails"].get("params") or {}).get(
                "priority", "standard"):
            assert option["credits"] == order["credits"]["estimated"], "option != estimate"
        again = api.post("orders.tasking.feasibility_decide", body, idempotency_key=new_key())
        assert again.status_code == 409, again.text
        self.assert_no_money_moved(org, after, "second feasibility decide")
        OUTCOMES["study accepted"] += 1

    @rule(org=st.sampled_from(ORG_NAMES), pick=st.integers(0, 10_000),
          decision=st.sampled_from(["ACCEPTED", "ACCEPTED", "REJECTED"]))
    def quotation_decide(self, org: str, pick: int, decision: str) -> None:
        org, pending = self.pending(org, "quotation")
        if not pending:
            return
        api = self.apis[org]
        quotation = pending[pick % len(pending)]
        order = api.ok("orders.get", {"order_id": quotation["orderId"]})
        held = order["credits"]["reserved"]
        before = self.ledger(org)
        body = {"quotation_id": quotation["id"], "decision": decision}
        response = api.post("orders.tasking.quotation_decide", body, idempotency_key=new_key())
        if response.status_code in (402, 409, 410):
            self.assert_no_money_moved(org, before, f"{response.status_code} quotation decide")
            OUTCOMES[f"quotation {response.status_code}"] += 1
            return
        assert response.status_code == 200, response.text
        assert response.json()["decision"] == decision
        after = self.ledger(org)
        order_after = api.ok("orders.get", {"order_id": quotation["orderId"]})
        if decision == "REJECTED":
            assert order_after["status"] == "CANCELED"
            assert before.reserved - after.reserved == held, "rejection did not refund"
        elif held == 0:  # no study reserved before: accepting the quotation reserves it
            assert quotation["credits"] == order["credits"]["estimated"], "quotation != estimate"
            assert after.reserved - before.reserved == quotation["credits"]
            assert order_after["credits"]["reserved"] == quotation["credits"]
        else:  # the accepted study option already reserved: nothing moves again
            self.assert_no_money_moved(org, before, "quotation accept after a study")
        again = api.post("orders.tasking.quotation_decide", body, idempotency_key=new_key())
        assert again.status_code == 409, again.text
        self.assert_no_money_moved(org, after, "second quotation decide")
        OUTCOMES[f"quotation {decision.lower()}"] += 1

    @rule(hours=st.sampled_from([1, 1, 2, 2, 6, 24]))
    def advance_clock(self, hours: int) -> None:
        self.admin.advance(hours=hours)

    @precondition(lambda self: any(self.orders.values()))
    @rule(pick=st.integers(0, 10_000))
    def probe_across_orgs(self, pick: int) -> None:
        for owner, other in (("A", "B"), ("B", "A")):
            if not self.orders[owner]:
                continue
            order_id = self.orders[owner][pick % len(self.orders[owner])]
            before = self.ledger(owner)
            for op_id in ("orders.get", "orders.cancel", "orders.coverage.groups.list"):
                response = self.apis[other].post(op_id, {"order_id": order_id},
                                                 idempotency_key=new_key())
                assert response.status_code == 404, (op_id, response.status_code, response.text)
            self.assert_no_money_moved(owner, before, "foreign probe")
            OUTCOMES["foreign probe 404"] += 1

    # --- invariants -------------------------------------------------------------------

    @invariant()
    def ledgers_balance_and_match_orders(self) -> None:
        if not self.orgs:
            return
        STEPS_CHECKED["steps"] += 1
        for name in ORG_NAMES:
            ledger = self.ledger(name)
            assert ledger.granted == CREDITS[name], ledger
            assert ledger.balanced, f"unbalanced ledger {ledger}"
            assert ledger.balance >= 0 and ledger.reserved >= 0 and ledger.charged >= 0, ledger
            orders = self.apis[name].all_orders()
            assert {o["id"] for o in orders} == set(self.orders[name]), "order set differs"
            assert all(o["organizationId"] == self.orgs[name].org_id for o in orders)
            assert sum(o["credits"]["reserved"] for o in orders) == ledger.reserved
            assert sum(o["credits"]["charged"] for o in orders) == ledger.charged
            for o in orders:
                c = o["credits"]
                assert min(c["reserved"], c["charged"], c["refunded"]) >= 0, c
                OUTCOMES[f"seen {o['type']} {o['status']}"] = 1


def _run(rel_sandbox: SandboxHandle, admin: Admin, max_examples: int, steps: int) -> None:
    seed_org = admin.create_org("money-catalog", credits=1)
    with OrgApi(rel_sandbox.url, seed_org) as api:
        sensors = api.ok("orders.tasking.sensors", {})["sensors"]
        captures = api.ok("catalog.search", {"host_name": "geopera", "limit": 40})["features"]
    MoneyMachine.base_url = rel_sandbox.url
    MoneyMachine.admin_token = rel_sandbox.admin_token
    MoneyMachine.catalog = {"sensors": sensors, "captures": captures}
    run_state_machine_as_test(
        MoneyMachine,
        settings=settings(
            max_examples=max_examples,
            stateful_step_count=steps,
            deadline=None,
            derandomize=os.environ.get("GEOPERA_HYPOTHESIS_RANDOM", "") == "",
            database=None,
            suppress_health_check=list(HealthCheck),
            print_blob=True,
        ),
    )
    print(f"money invariants: {STEPS_CHECKED}; outcomes: {dict(sorted(OUTCOMES.items()))}")


def test_money_invariants_hold_over_random_operations(
    rel_sandbox: SandboxHandle, admin: Admin
) -> None:
    _run(rel_sandbox, admin, max_examples=10, steps=20)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_money_invariants_hold_over_long_random_runs(
    rel_sandbox: SandboxHandle, admin: Admin
) -> None:
    _run(rel_sandbox, admin, max_examples=60, steps=40)
