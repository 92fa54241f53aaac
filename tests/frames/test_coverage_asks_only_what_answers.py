"""Batch coverage frames list the orders first and ask only those that can answer."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from frames_scenario import Scenario

from geopera_nb import frames as F
from geopera_nb.contract.states import coverage_available
from geopera_nb.errors import ConflictError
from geopera_nb.frames._batch import BatchCancelled, run_batch
from geopera_nb.frames.coverage_batch import collect_coverage, plan_calls


class Counting:
    """Counts the client methods the frames use (``call``, ``stream``...)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls: list[tuple[str, str]] = []

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.client, name)
        if name not in ("call", "stream", "stream_bytes", "iter_records"):
            return value

        def counted(op_id: str, *args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, op_id))
            return value(op_id, *args, **kwargs)

        return counted

    def ops(self, op_id: str) -> int:
        return sum(1 for _name, op in self.calls if op == op_id)


def _all_ids(scenario: Scenario) -> list[str]:
    return [o["id"] for o in scenario.client.iter_orders()]


def test_many_orders_skip_without_asking(scenario: Scenario) -> None:
    ids = _all_ids(scenario)
    spy = Counting(scenario.client)
    frame = F.coverage_frame(spy, ids, skip_unavailable=True)
    covering = [o for o in scenario.client.iter_orders()
                if coverage_available(o["type"], o["status"])]
    assert set(frame["order_id"]) == {o["id"] for o in covering}
    assert spy.ops("orders.coverage.get") == len(covering) < len(ids)
    assert spy.ops("orders.list") == 1  # one lookup for all of them
    groups = F.coverage_groups_frame(spy, ids, skip_unavailable=True)
    assert scenario.archive not in set(groups["order_id"])
    assert spy.ops("orders.coverage.groups.list") == len(ids) - 1  # all but the archive one


def test_many_orders_without_skip_raise_before_any_call(scenario: Scenario) -> None:
    spy = Counting(scenario.client)
    with pytest.raises(ConflictError, match="were not asked"):
        F.coverage_frame(spy, [scenario.fulfilled[0], scenario.archive])
    assert spy.ops("orders.coverage.get") == 0


def test_records_need_no_lookup_and_plan_is_minimal(scenario: Scenario) -> None:
    records = list(scenario.client.iter_orders())
    spy = Counting(scenario.client)
    batch = collect_coverage(spy, records)
    assert spy.ops("orders.list") == 0
    plan = plan_calls(records)
    assert batch.calls == len(plan) == len(spy.calls)
    assert {op for _oid, op in plan} <= {"orders.coverage.get", "orders.coverage.groups.list",
                                         "orders.list_assets"}
    assert {r["id"] for r in batch.without_coverage} == {
        r["id"] for r in records if not coverage_available(r["type"], r["status"])}


def test_progress_bar_and_cancel(scenario: Scenario, capsys: pytest.CaptureFixture[str]) -> None:
    F.coverage_frame(scenario.client, scenario.fulfilled, progress=True)
    err = capsys.readouterr().err
    assert "coverage" in err and "2/2" in err  # tqdm: counts (and rate / ETA)
    stop = threading.Event()
    stop.set()
    with pytest.raises(BatchCancelled):
        F.coverage_frame(scenario.client, scenario.fulfilled, cancel=stop)


def test_run_batch_drops_calls_not_started_when_one_fails() -> None:
    started: list[int] = []

    def fn(i: int) -> int:
        started.append(i)
        if i == 0:
            raise ValueError("boom")
        threading.Event().wait(0.05)
        return i

    with pytest.raises(ValueError, match="boom"):
        run_batch(fn, list(range(50)), concurrency=2)
    assert len(started) < 50
