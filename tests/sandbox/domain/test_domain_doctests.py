"""The docstring examples of the domain modules run (numpydoc ``Examples``)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "geopera_nb.contract.geometry",
    *(f"geopera_nb.sandbox.domain.{m}" for m in (
        "astro", "catalogue", "coverage", "deliveries", "errors", "feasibility", "orbits",
        "pricing", "raster", "search", "sensors", "stac", "tasking", "util")),
]  # fmt: skip


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_public_api_is_explicit() -> None:
    import geopera_nb.sandbox.domain as domain

    for name in domain.__all__:
        assert hasattr(domain, name), name
