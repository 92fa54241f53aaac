"""The docstring examples of the client, errors and geo modules run."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import geopera_nb.client
import geopera_nb.geo

MODULES = sorted(
    ["geopera_nb.errors"]
    + [f"geopera_nb.client.{m.name}" for m in pkgutil.iter_modules(geopera_nb.client.__path__)]
    + [f"geopera_nb.geo.{m.name}" for m in pkgutil.iter_modules(geopera_nb.geo.__path__)]
    + ["geopera_nb.client", "geopera_nb.geo"]
)


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
