"""Load: ``benchmarks/load.py`` bounded to 10 s (8 clients) as a test; 60 s opt-in.

The script spawns the SQLite-backed sandbox as a separate process, runs 8 concurrent
clients mixing reads and placements, and fails on any 5xx, any "database is locked"
(in answers or the server's output), or any mismatch between the orders each org lists
and the distinct order ids its 202 placements answered.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from reliability_support import REPO

#: The last summary of a run in this session (reported in docs/reliability.md).
LAST: dict[str, Any] = {}


def _run_load(tmp_path: Path, seconds: int) -> dict[str, Any]:
    out = tmp_path / "load.json"
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "load.py"), "--seconds", str(seconds),
         "--clients", "8", "--json", str(out)],
        capture_output=True, text=True, timeout=seconds + 420, cwd=REPO,
        stdin=subprocess.DEVNULL,
    )
    assert out.exists(), f"no summary written:\n{result.stdout}\n{result.stderr}"
    summary: dict[str, Any] = json.loads(out.read_text())
    LAST.update(summary)
    assert result.returncode == 0, f"load run failed:\n{result.stdout}\n{result.stderr[-3000:]}"
    return summary


def _check(summary: dict[str, Any]) -> None:
    assert summary["ok"], summary
    assert summary["server_errors"] == 0
    assert not summary["count_mismatches"]
    assert not summary.get("server_log_locked")
    assert summary["orders_created"] > 0, "no placement succeeded"
    assert summary["requests"] > 0
    placed = sum(summary["kinds"][k]["statuses"].get("202", 0)
                 for k in ("orders.archive.place", "orders.tasking.place"))
    assert placed == summary["orders_created"], (placed, summary["orders_created"])


def test_load_10s_8_clients_no_errors_counts_match(tmp_path: Path) -> None:
    _check(_run_load(tmp_path, 10))


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_load_60s_8_clients_no_errors_counts_match(tmp_path: Path) -> None:
    _check(_run_load(tmp_path, 60))
