"""Habits of a library people depend on: one version, typed, a light CLI, a lock that holds."""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

import geopera_nb

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _imported_by(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sys.modules))"],
                         check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return set(out.split())


@pytest.mark.parametrize("code", [
    "import geopera_nb.cli.main",
    "import geopera_nb",
    "from geopera_nb.cli.main import cli; cli.list_commands(None)",
])
def test_the_cli_entry_point_and_the_package_import_light(code: str) -> None:
    heavy = {"httpx", "geopandas", "ipyleaflet", "ipywidgets", "fastapi", "shapely", "rasterio",
             "pandas", "xarray"}
    assert not heavy & _imported_by(code)


def test_help_runs_without_the_heavy_parts() -> None:
    out = subprocess.run([sys.executable, "-m", "geopera_nb", "--help"], check=True,
                         capture_output=True, text=True).stdout
    assert "sandbox" in out and "demo" in out


def test_the_version_lives_in_one_place() -> None:
    assert PYPROJECT["project"]["dynamic"] == ["version"]
    assert "version" not in PYPROJECT["project"]
    assert PYPROJECT["tool"]["hatch"]["version"]["path"] == "src/geopera_nb/__init__.py"
    assert importlib.metadata.version("geopera-nb") == geopera_nb.__version__


def test_the_package_says_it_is_typed() -> None:
    assert (Path(geopera_nb.__file__).parent / "py.typed").is_file()


def _locked() -> dict[str, str]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    return {p["name"]: p.get("version", "") for p in lock["package"]}


def test_every_declared_dependency_is_locked_at_a_version_it_allows() -> None:
    locked = _locked()
    project = PYPROJECT["project"]
    wanted = [*project["dependencies"], *(r for extra in project["optional-dependencies"].values()
                                          for r in extra)]
    for text in wanted:
        req = Requirement(text)
        name = req.name.lower().replace("_", "-")
        assert name in locked, f"{name} is declared but not in uv.lock: run `uv lock`"
        assert req.specifier.contains(locked[name], prereleases=True), (
            f"uv.lock has {name} {locked[name]}, pyproject.toml asks {req.specifier}")


@pytest.mark.skipif(shutil.which("uv", path=str(Path(sys.executable).parent)) is None,
                    reason="uv is not installed in this environment")
def test_the_lock_matches_pyproject() -> None:
    """What ``./dev`` relies on (``uv sync --locked``), checked without the network."""
    uv = shutil.which("uv", path=str(Path(sys.executable).parent))
    done = subprocess.run([str(uv), "lock", "--check", "--offline"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
