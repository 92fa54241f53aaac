"""The public API (``__all__``) is exactly what docs/client.md lists."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "client.md"
MODULES = ["geopera_nb", "geopera_nb.client", "geopera_nb.errors", "geopera_nb.geo"]


def documented(module: str) -> set[str]:
    text = DOC.read_text(encoding="utf-8")
    marker = f"<!-- public-api: {module} -->"
    assert marker in text, f"docs/client.md has no public API list for {module}"
    block = text.split(marker, 1)[1].split("\n\n", 1)[0]
    return {re.match(r"- `([A-Za-z_][A-Za-z0-9_]*)", line).group(1)  # type: ignore[union-attr]
            for line in block.strip().splitlines() if line.startswith("- `")}


@pytest.mark.parametrize("module", MODULES)
def test_all_matches_the_docs(module: str) -> None:
    mod = importlib.import_module(module)
    assert set(mod.__all__) == documented(module)
    assert len(mod.__all__) == len(set(mod.__all__))


@pytest.mark.parametrize("module", MODULES[1:])
def test_every_exported_name_exists(module: str) -> None:
    mod = importlib.import_module(module)
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.{name}"


def test_top_level_lazy_exports_resolve() -> None:
    import geopera_nb as gn

    assert gn.Client.__name__ == "Client" and gn.AsyncClient.__name__ == "AsyncClient"
    assert gn.GeoperaError is gn.errors.GeoperaError
    assert gn.connect.__module__ == "geopera_nb.connection"
    assert len(gn.OPERATIONS) == 26
