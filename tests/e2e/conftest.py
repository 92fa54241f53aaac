"""Real-browser fixtures: a sandbox process, JupyterLab, headless Chromium.

One of each for the whole ``tests/e2e`` directory (JupyterLab and Chromium take seconds to
start; package scope stops them once the e2e tests are done, not at the end of the run):

- ``e2e_sandbox``: a sandbox server as its own process (``geopera_nb.sandbox.spawn``) on
  127.0.0.1, with an org (``e2e_org``) whose API key reaches the notebook kernels as
  ``GEOPERA_API_URL`` / ``GEOPERA_API_TOKEN`` (set in JupyterLab's environment): the path
  a real account takes;
- ``jupyter_lab``: JupyterLab on a temporary root holding a copy of
  ``tests/e2e/notebooks/*.ipynb``, ``window.jupyterapp`` exposed, news and update checks off;
- ``browser``: Debian's ``/usr/bin/chromium`` through the ``playwright`` package
  (never ``playwright install``);
- ``lab_page``: a fresh browser context per test, wrapped in :class:`LabPage`; a
  screenshot is saved when the test fails.

Screenshots, timings and server logs go to ``test-artifacts/`` (gitignored). Without
``/usr/bin/chromium`` the e2e tests are skipped, except in CI (``CI=true``) where they fail.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from geopera_nb.cli.lab import JupyterLabProcess, api_env

from .e2e_harness import CHROMIUM, CHROMIUM_ARGS, LabPage

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# The test notebooks are opened in JupyterLab, not run by nbval.
collect_ignore_glob = ["notebooks/*"]

#: per-minute limits high enough that the planner's live requests never meet a 429
HIGH_RATE_LIMITS = {"general": 1_000_000, "placement": 1_000_000, "spend": 1_000_000}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip e2e tests when Chromium is missing, with the reason; never in CI."""
    if CHROMIUM.exists() or IN_CI:
        return
    skip = pytest.mark.skip(
        reason=f"{CHROMIUM} is missing: `apt-get install -y chromium` (./dev test does it as root)")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item, so ``lab_page`` can screenshot failures."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """``test-artifacts/`` at the repository root."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="package")
def e2e_sandbox(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[Any]:
    """A sandbox server process (seed 0, rate limits out of the way) for the browser tests."""
    from geopera_nb import sandbox as sandbox_module

    data = tmp_path_factory.mktemp("e2e-sandbox")
    sandbox = sandbox_module.spawn(data_dir=data, seed=0, rate_limits=HIGH_RATE_LIMITS)
    try:
        yield sandbox
    finally:
        sandbox.stop()
        if (data / "sandbox.log").exists():
            shutil.copy2(data / "sandbox.log", artifacts / "e2e-sandbox.log")


@pytest.fixture(scope="package")
def e2e_org(e2e_sandbox: Any) -> Any:
    """The org the notebook kernels act as (``org_id``, ``workspace_id``, ``api_key``)."""
    return e2e_sandbox.create_org(name="E2E", credits=50_000_000)


@pytest.fixture(scope="package")
def api_client(e2e_sandbox: Any, e2e_org: Any) -> Iterator[Any]:
    """The project's client, as the same org as the notebook kernels (to set up orders)."""
    with e2e_sandbox.client(e2e_org) as client:
        yield client


@pytest.fixture(scope="package")
def jupyter_lab(tmp_path_factory: pytest.TempPathFactory, artifacts: Path,
                e2e_sandbox: Any, e2e_org: Any) -> Iterator[JupyterLabProcess]:
    """JupyterLab on a copy of ``tests/e2e/notebooks``, kernels pointed at ``e2e_sandbox``."""
    root = tmp_path_factory.mktemp("lab-root")
    for notebook in NOTEBOOKS.glob("*.ipynb"):
        shutil.copy2(notebook, root / notebook.name)
    settings = root / ".lab-settings"
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    # no "Would you like to get notified about official Jupyter news?" toast
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
     ).write_text('{"fetchNews": "false", "checkForUpdates": false}\n')
    venv_bin = str(Path(sys.executable).parent)
    env = {
        **api_env(e2e_sandbox.url, e2e_org.api_key, e2e_sandbox.admin_token),
        "GEOPERA_NB_OUT": str(root / "out"),
        "PATH": venv_bin + os.pathsep + os.environ.get("PATH", ""),
        # keep JupyterLab's own state (workspaces, settings) out of the user's home
        "JUPYTER_CONFIG_DIR": str(root / ".jupyter"),
        "JUPYTERLAB_WORKSPACES_DIR": str(root / ".workspaces"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
    }
    with JupyterLabProcess.start(root, env=env, expose_app=True,
                                 log_path=artifacts / "e2e-jupyterlab.log") as lab:
        yield lab


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by playwright (one for all e2e tests)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `apt-get install -y chromium` (CI must have it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                      headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def lab_page(request: pytest.FixtureRequest, browser: Any, jupyter_lab: JupyterLabProcess,
             artifacts: Path) -> Iterator[LabPage]:
    """A fresh browser context on ``jupyter_lab``; a screenshot is saved if the test fails."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(60_000)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    prefix = request.node.name.removeprefix("test_").replace("_", "-")
    lab = LabPage(page=page, lab_url=jupyter_lab.url, token=jupyter_lab.token,
                  artifacts=artifacts, prefix=prefix)
    try:
        yield lab
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            lab.screenshot("failure")
            try:
                console.append("--- notebook outputs and widget errors ---")
                console.append(lab.diagnostics())
            except Exception as exc:  # the page may be gone; the screenshot stays
                console.append(f"(no diagnostics: {exc})")
            (artifacts / f"{prefix}-console.log").write_text("\n".join(console) + "\n")
        context.close()
