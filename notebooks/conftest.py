"""Run ``notebooks/*.ipynb`` under nbval deterministically.

nbval starts one kernel per notebook, with this process's environment and the
notebook's directory as working directory. So that every notebook meets a *fresh*
embedded sandbox (seed 0: same calls, same ids, same outputs), the account variables
that would point ``gn.connect()`` at a server are removed here, before any kernel starts;
``gn.connect()`` then starts an embedded sandbox inside each kernel.

Files a notebook writes (``coverage.gpkg`` and the like) go to ``GEOPERA_NB_OUT``, a
temporary directory for the session, never into the source tree. Its path is volatile,
so ``nbval_sanitize.cfg`` masks it.

The same notebooks also run against a sandbox *process* over HTTP in
``tests/notebooks/test_notebooks_over_http.py``.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

#: variables that would make gn.connect() use a server instead of an embedded sandbox
ACCOUNT_ENV_VARS = ("GEOPERA_API_URL", "GEOPERA_API_TOKEN", "GEOPERA_API_KEY",
                    "GEOPERA_BASE_URL", "GEOPERA_PROFILE", "GEOPERA_SANDBOX_ADMIN_TOKEN")

for _name in ACCOUNT_ENV_VARS:
    os.environ.pop(_name, None)

_OUT_DIR = tempfile.mkdtemp(prefix="geopera-nb-out-")
os.environ["GEOPERA_NB_OUT"] = _OUT_DIR
# Plots render without a display; tqdm draws plain text, not timing-dependent widgets.
os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the session's output directory."""
    shutil.rmtree(_OUT_DIR, ignore_errors=True)
