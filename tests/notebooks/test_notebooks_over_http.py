"""Every ``notebooks/*.ipynb`` runs against a sandbox *process* over HTTP.

This is the path a real account takes: the kernel gets ``GEOPERA_API_URL`` and
``GEOPERA_API_TOKEN`` and ``gn.connect()`` talks HTTP to a server in another process
(``geopera_nb.sandbox.spawn`` on 127.0.0.1). ``GEOPERA_SANDBOX_ADMIN_TOKEN`` goes along so
the notebook can move that sandbox's clock (where a real account would just wait). Outputs are not compared here (nbval does
that against the embedded sandbox); the notebooks must run top to bottom without error.
Each notebook acts as its own fresh org, so none sees another's orders.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from geopera_nb.cli.lab import API_ENV_VARS, api_env

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
HIGH_RATE_LIMITS = {"general": 1_000_000, "placement": 1_000_000, "spend": 1_000_000}


@pytest.fixture(scope="module")
def sandbox_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One sandbox server process (seed 0) for all notebooks of this module."""
    from geopera_nb import sandbox as sandbox_module

    data = tmp_path_factory.mktemp("http-sandbox")
    sandbox = sandbox_module.spawn(data_dir=data, seed=0, rate_limits=HIGH_RATE_LIMITS)
    try:
        yield sandbox
    finally:
        sandbox.stop()


@pytest.mark.timeout(600)
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[nb.stem for nb in NOTEBOOKS])
def test_notebook_runs_over_http(notebook: Path, sandbox_process: Any,
                                 tmp_path: Path) -> None:
    org = sandbox_process.create_org(name=f"nb {notebook.stem}", credits=10_000_000)
    env = {k: v for k, v in os.environ.items() if k not in API_ENV_VARS}
    env.update(api_env(sandbox_process.url, org.api_key, sandbox_process.admin_token))
    env["GEOPERA_NB_OUT"] = str(tmp_path)
    env["MPLBACKEND"] = "Agg"
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")

    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(notebook.parent)}})
    try:
        client.execute(env=env)
    except CellExecutionError as exc:
        pytest.fail(f"{notebook.name} failed against {sandbox_process.url}:\n{exc}")
    finally:
        nbformat.write(nb, tmp_path / notebook.name)  # the executed copy, for inspection

    errors = [out for cell in nb.cells if cell.cell_type == "code"
              for out in cell.get("outputs", []) if out.get("output_type") == "error"]
    assert not errors, f"{notebook.name} has error outputs: {errors}"
