"""The docstring examples of every sandbox server module run (numpydoc ``Examples``)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import geopera_nb.server

MODULES = sorted(m.name for m in pkgutil.walk_packages(geopera_nb.server.__path__,
                                                        "geopera_nb.server."))


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_public_api_is_explicit() -> None:
    import geopera_nb.server.domain as domain

    for name in domain.__all__:
        assert hasattr(domain, name), name
