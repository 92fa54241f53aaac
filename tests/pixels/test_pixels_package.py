"""The pixels package: where it sits, what importing it costs, its doctests."""

from __future__ import annotations

import doctest
import importlib
import subprocess
import sys

import pytest

MODULES = ["geopera_nb.pixels", "geopera_nb.pixels.errors", "geopera_nb.pixels.items",
           "geopera_nb.pixels.bands", "geopera_nb.pixels.grid", "geopera_nb.pixels.loader",
           "geopera_nb.pixels.verb", "geopera_nb.export.local_catalog"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def _imported_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_frames_never_import_pixels_and_pixels_is_light() -> None:
    frames_only = _imported_after("import geopera_nb.frames")
    assert "geopera_nb.pixels" not in frames_only
    pixels = _imported_after("import geopera_nb.pixels")
    assert "odc.stac" not in pixels and "xarray" not in pixels and "dask" not in pixels
    via_gn = _imported_after("import geopera_nb as gn\nimport pandas as pd\n"
                             "assert 'load' in dir(gn.frames.empty_frame('assets').gn)")
    assert "geopera_nb.pixels.verb" in via_gn  # wired when frames come through gn.*


def test_the_verb_names_its_layer_when_pixels_is_not_imported() -> None:
    code = ("import geopera_nb.frames as F\n"
            "try:\n    F.empty_frame('assets').gn.load()\n"
            "except AttributeError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "(it comes with `import geopera_nb.pixels`)" in out.stdout
