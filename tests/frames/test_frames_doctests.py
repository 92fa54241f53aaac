"""The docstring examples of frames/ and export/ run and pass."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import geopera_nb.export
import geopera_nb.frames

MODULES = [
    *sorted(
        info.name
        for package in (geopera_nb.frames, geopera_nb.export)
        for info in pkgutil.iter_modules(package.__path__, package.__name__ + ".")
    ),
    "geopera_nb.frames",
    "geopera_nb.export",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                             verbose=False)
    assert result.failed == 0, f"{result.failed} doctest failures in {name}"
