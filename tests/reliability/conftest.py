"""Fixtures and options of the reliability suite (issue 7).

Every part of the suite has a bounded, always-on version and a long version marked
``@pytest.mark.slow``. Long runs are skipped unless ``--runslow`` is given
(``pytest tests/reliability --runslow``; tests/conftest.py registers the same option).
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from reliability_support import (
    HIGH_RATE_LIMITS,
    Admin,
    OrgCreds,
    SandboxHandle,
    start_in_process,
)


def pytest_addoption(parser: pytest.Parser) -> None:
    with contextlib.suppress(ValueError):  # already registered by tests/conftest.py
        parser.addoption(
            "--runslow",
            action="store_true",
            default=False,
            help="run the long (opt-in) reliability tests marked slow",
        )


def runslow_enabled(config: pytest.Config) -> bool:
    """Whether the long runs are enabled (``--runslow``)."""
    return bool(config.getoption("--runslow", default=False))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if runslow_enabled(config):
        return
    skip_slow = pytest.mark.skip(reason="long run: enable with --runslow")
    here = Path(__file__).parent
    for item in items:
        if "slow" in item.keywords and here in Path(str(item.fspath)).parents:
            item.add_marker(skip_slow)


@pytest.fixture(scope="module")
def rel_sandbox() -> Iterator[SandboxHandle]:
    """An in-process sandbox (seed 0) with raised rate limits, one per test module."""
    handle = start_in_process(rate_limits=HIGH_RATE_LIMITS)
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture(scope="module")
def admin(rel_sandbox: SandboxHandle) -> Iterator[Admin]:
    with Admin(rel_sandbox.url, rel_sandbox.admin_token) as adm:
        yield adm


@pytest.fixture()
def org_a(admin: Admin) -> OrgCreds:
    return admin.create_org("reliability-a", credits=50_000_000)


@pytest.fixture()
def org_b(admin: Admin) -> OrgCreds:
    return admin.create_org("reliability-b", credits=50_000_000)


#: module -> the figures it collects during a run (docs/reliability.md is filled from these)
_FIGURE_SOURCES: dict[str, tuple[str, ...]] = {
    "test_hostile_input": ("TRIED",),
    "test_money_invariants": ("STEPS_CHECKED", "OUTCOMES"),
    "test_crash_safety": ("FIGURES",),
    "test_conformance": ("FIGURES",),
    "test_load": ("LAST",),
}


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Print the reliability figures of this run (and write them to test-artifacts/)."""
    figures: dict[str, Any] = {}
    for module_name, attrs in _FIGURE_SOURCES.items():
        module = sys.modules.get(module_name)
        if module is None:
            continue
        for attr in attrs:
            value = getattr(module, attr, None)
            if value and any(value.values()):
                figures[f"{module_name}.{attr}"] = dict(value)
    if not figures:
        return
    load = figures.get("test_load.LAST")
    if load:
        figures["test_load.LAST"] = {k: load.get(k) for k in (
            "seconds", "clients", "requests", "rps", "p50_ms", "p99_ms", "orders_created",
            "server_errors", "ok")} | {"kinds": {k: {m: v[m] for m in ("count", "rps", "p99_ms")}
                                                 for k, v in load.get("kinds", {}).items()}}
    terminalreporter.section("reliability figures")
    for key, value in figures.items():
        terminalreporter.write_line(f"{key}: {json.dumps(value, sort_keys=True)}")
    out = Path(config.rootpath) / "test-artifacts" / "reliability-figures.json"
    with contextlib.suppress(OSError):
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(figures, indent=2, sort_keys=True))
