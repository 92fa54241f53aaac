"""``geopera-nb frames ...`` and ``geopera-nb export ...`` through click's CliRunner."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import geopandas as gpd
import orjson
import pyogrio
import pytest
from click.testing import CliRunner
from frames_scenario import Scenario

from geopera_nb.cli.main import cli
from geopera_nb.export import COVERAGE_LAYERS


@pytest.fixture
def env(sandbox: Any, export_scenario: Scenario, tmp_path: Path) -> dict[str, str]:
    """Credentials as the official CLI reads them, and a HOME without profiles."""
    return {"GEOPERA_API_URL": sandbox.url, "GEOPERA_API_TOKEN": export_scenario.org.api_key,
            "HOME": str(tmp_path / "home"), "GEOPERA_PROFILE": "", "XDG_CONFIG_HOME": ""}


def run(args: list[str], env: dict[str, str]) -> Any:
    return CliRunner().invoke(cli, args, env=env, catch_exceptions=False)


def test_frames_orders_to_gpkg(env: dict[str, str], export_scenario: Scenario,
                               tmp_path: Path) -> None:
    out = tmp_path / "orders.gpkg"
    result = run(["frames", "orders", "--status", "FULFILLED", "--tags", "frames",
                  "--out", str(out)], env)
    assert result.exit_code == 0, result.output
    assert [n for n, _ in pyogrio.list_layers(out)] == ["orders"]
    back = pyogrio.read_dataframe(out, layer="orders")
    assert sorted(back["id"]) == sorted(export_scenario.fulfilled)
    assert back.crs.to_epsg() == 4326


def test_frames_to_stdout_and_parquet(env: dict[str, str], export_scenario: Scenario,
                                      tmp_path: Path) -> None:
    result = run(["frames", "sensors"], env)
    assert result.exit_code == 0, result.output
    rows = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert rows and rows[0]["id"] == "geo-owl-30" and isinstance(rows[0]["bands"], list)
    out = tmp_path / "groups.parquet"
    result = run(["frames", "coverage-groups", *export_scenario.fulfilled, "--out", str(out)], env)
    assert result.exit_code == 0, result.output
    assert len(gpd.read_parquet(out)) == 3
    for name in ("studies", "quotations", "decisions", "templates", "assets", "coverage"):
        args = ["frames", name] + (export_scenario.fulfilled if name in ("assets", "coverage") else [])
        result = run([*args, "--out", str(tmp_path / f"{name}.gpkg")], env)
        assert result.exit_code == 0, (name, result.output)
    result = run(["frames", "catalog", "--bbox", "140,-40,155,-30", "--max-items", "5"], env)
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 5
    feature = orjson.loads(result.stdout.splitlines()[0])
    assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_export_coverage_gpkg(env: dict[str, str], export_scenario: Scenario,
                              tmp_path: Path) -> None:
    out = tmp_path / "coverage.gpkg"
    result = run(["export", "coverage", *export_scenario.fulfilled, "--out", str(out)], env)
    assert result.exit_code == 0, result.output
    assert [n for n, _ in pyogrio.list_layers(out)] == list(COVERAGE_LAYERS)


def test_export_download(env: dict[str, str], export_scenario: Scenario, tmp_path: Path) -> None:
    dest = tmp_path / "imagery"
    args = ["export", "download", export_scenario.fulfilled[1], "--dest", str(dest),
            "--assets", "thumbnail", "--no-progress"]
    result = run(args, env)
    assert result.exit_code == 0, result.output
    assert "downloaded:" in result.stdout
    assert "skipped:" in run(args, env).stdout


def test_errors_are_one_line_with_exit_code(env: dict[str, str], tmp_path: Path) -> None:
    result = run(["frames", "coverage", "00000000-0000-4000-8000-000000000000"], env)
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    bad = run(["frames", "catalog", "--bbox", "1,2"], env)
    assert bad.exit_code == 2
    wrong_suffix = run(["frames", "sensors", "--out", str(tmp_path / "x.shp")], env)
    assert wrong_suffix.exit_code == 1 and "format" in wrong_suffix.output
    assert run(["export", "coverage", "--out", "x.gpkg"], env).exit_code == 2


def test_no_credentials_is_a_clear_error(sandbox: Any, tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "GEOPERA_API_URL": sandbox.url, "GEOPERA_API_TOKEN": "",
           "GEOPERA_API_KEY": "", "GEOPERA_PROFILE": "", "XDG_CONFIG_HOME": ""}
    result = run(["frames", "orders"], env)
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "Traceback" not in result.output


def test_entry_point_subprocess(env: dict[str, str], tmp_path: Path) -> None:
    import os

    full_env = {**os.environ, **env}
    done = subprocess.run([sys.executable, "-m", "geopera_nb.cli.main", "frames", "coverage",
                           "00000000-0000-4000-8000-000000000000"],
                          capture_output=True, text=True, env=full_env, timeout=120)
    assert done.returncode == 1
    assert done.stderr.startswith("Error: ") and "Traceback" not in done.stderr
