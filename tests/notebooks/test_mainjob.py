"""The main job (``geopera-nb demo``): notebooks run headless against a fresh sandbox.

A small notebook written here checks the plumbing (account variables reach the kernel,
``GEOPERA_NB_OUT``, executed HTML, the summary read back from the API) independently of
the analyst notebooks; the last test runs the README's first command on the real
``notebooks/02-tasking.ipynb``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from geopera_nb.cli.lab import API_ENV_VARS
from geopera_nb.mainjob import DEFAULT_NOTEBOOK, run_main_job

REPO = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

#: places one tasking order, drives it to FULFILLED on the sandbox clock, exports coverage
_WORKFLOW = '''\
import os
from pathlib import Path

import httpx

import geopera_nb as gn
from geopera_nb.export import export_coverage

client = gn.connect()
admin = httpx.Client(base_url=os.environ["GEOPERA_API_URL"], headers={
    "Authorization": "Bearer " + os.environ["GEOPERA_SANDBOX_ADMIN_TOKEN"]})
ring = [[150.8, -33.8], [150.9, -33.8], [150.9, -33.7], [150.8, -33.7], [150.8, -33.8]]
aoi = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "Farm"},
       "geometry": {"type": "Polygon", "coordinates": [ring]}}]}
placed = client.orders.tasking.place(groups=[{
    "sensor": "geo-owl-30", "featureCollection": aoi, "maxCloudCoverage": 30,
    "start": "2026-12-01T06:00:00.000Z", "end": "2026-12-05T06:00:00.000Z"}])
order_id = placed["results"][0]["id"]
for _ in range(60):
    order = client.orders.get(order_id=order_id)
    if order["status"] == "FULFILLED":
        break
    for item in client.orders.tasking.decisions.pending()["content"]:
        if item["kind"] == "feasibility":
            client.orders.tasking.feasibility_decide(
                study_id=item["id"], acceptedOptionId=item["options"][0]["id"])
        else:
            client.orders.tasking.quotation_decide(quotation_id=item["id"], decision="ACCEPTED")
    admin.post("/sandbox/clock/advance", json={"hours": 6}).raise_for_status()
export_coverage(client, [order_id], Path(os.environ["GEOPERA_NB_OUT"]) / "coverage.gpkg")
print("status", order["status"])
'''


def _notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(nb, path)
    return path


@pytest.fixture
def no_account(monkeypatch: pytest.MonkeyPatch) -> None:
    """No account in the environment: the main job starts its own sandbox."""
    for name in API_ENV_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.timeout(600)
@pytest.mark.usefixtures("no_account")
def test_main_job_runs_a_notebook_and_reads_back_a_summary(tmp_path: Path) -> None:
    source = _notebook(tmp_path / "workflow.ipynb", _WORKFLOW)
    out = tmp_path / "out"

    summary = run_main_job(out, [source], seed=0, echo=lambda _line: None)

    assert (out / "coverage.gpkg").stat().st_size > 0
    html = (out / "workflow.html").read_text()
    assert "status FULFILLED" in html
    assert (out / "workflow.ipynb").exists()
    assert summary.orders_by_status == {"FULFILLED": 1}
    assert summary.orders_by_type == {"TASKING": 1}
    assert summary.credits_charged > 0 and summary.credits_reserved == 0
    assert summary.ledger is not None
    assert summary.ledger["balance"] == summary.ledger["granted"] - summary.credits_charged
    assert summary.covered_km2 == pytest.approx(summary.requested_km2)
    assert summary.covered_km2 > 50
    text = summary.render()
    assert "orders:   1 (1 tasking; 1 FULFILLED)" in text
    assert "coverage.gpkg" in text


@pytest.mark.usefixtures("no_account")
def test_a_failing_cell_fails_the_job_and_keeps_the_executed_html(tmp_path: Path) -> None:
    from geopera_nb.cli.demo import command

    source = _notebook(tmp_path / "broken.ipynb", "x = 1", "1 / 0")
    out = tmp_path / "out"
    result = CliRunner().invoke(command, ["--out", str(out), "--notebook", str(source)])
    assert result.exit_code == 1, result.output
    assert "ZeroDivisionError" in result.output
    assert "ZeroDivisionError" in (out / "broken.html").read_text()


@pytest.mark.timeout(600)
@pytest.mark.usefixtures("no_account")
def test_the_readme_main_job_on_the_tasking_notebook(tmp_path: Path) -> None:
    if not (REPO / "notebooks" / DEFAULT_NOTEBOOK).exists():
        pytest.skip(f"notebooks/{DEFAULT_NOTEBOOK} is not written yet")
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "geopera_nb.cli.main", "demo", "--out", str(out),
                          "--cell-timeout", "120"],
                         cwd=REPO, capture_output=True, text=True, timeout=540)
    assert run.returncode == 0, run.stderr[-3000:]
    assert (out / "coverage.gpkg").stat().st_size > 0
    assert (out / "02-tasking.html").exists()
    assert "orders:" in run.stdout and "coverage:" in run.stdout
    _the_report_shows_its_maps_offline(out / "02-tasking.html", tmp_path)


def _the_report_shows_its_maps_offline(report: Path, tmp_path: Path) -> None:
    """The HTML report in Chromium with every network request blocked: the planner, the
    inbox and the coverage map render and draw their features; the plot is there."""
    from geopera_nb.report.browser import CHROMIUM, open_offline, screenshots

    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail(f"{CHROMIUM} is missing (CI must have it)")
        pytest.skip(f"{CHROMIUM} is missing: `apt-get install -y chromium`")
    text = report.read_text(encoding="utf-8")
    assert "application/vnd.jupyter.widget-state+json" in text
    assert "cdn.jsdelivr.net/npm/@jupyter-widgets" not in text
    with open_offline(report) as offline:
        offline.wait_for_maps(3)
        maps = offline.maps()
        assert len(maps) == 3, maps  # planner, inbox, coverage map
        assert all(m["height"] > 100 and m["features"] > 0 for m in maps), maps
        coverage = [m for m in maps if m["coverage"]]
        assert len(coverage) == 1 and "#1a9641" in coverage[0]["fills"]  # "Covered" drawn
        plot = offline.page.locator("img.gn-report-plot")
        assert plot.evaluate("img => img.naturalWidth") > 0
        assert "Coverage and money over time" in offline.page.inner_text("body")
        assert offline.blocked == [], offline.blocked  # nothing asked of the network
    pictures = screenshots(report, tmp_path / "img")
    assert all(p.stat().st_size > 10_000 for p in pictures)
