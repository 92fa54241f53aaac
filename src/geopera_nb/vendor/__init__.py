"""Browser code shipped with geopera-nb, so maps render with no network.

Two things need JavaScript that is not inside any installed Python package:

- the **HTML report** (:mod:`geopera_nb.report`) embeds widget state, which needs
  RequireJS and the Jupyter widgets HTML manager (``@jupyter-widgets/html-manager``,
  whose ``embed-amd.js`` nbconvert would load from a CDN), plus the Font Awesome
  fonts that manager's CSS points at;
- **lonboard** (:mod:`geopera_nb.widgets.footprints`) loads the parquet-wasm binary and
  the geoarrow earcut worker from a CDN at run time (lonboard issue #457).

Each file below is copied unchanged from its npm package (``python -m
geopera_nb.vendor.refresh`` fetches them again with ``npm pack``; large ones are stored
gzipped). jupyter-leaflet and anywidget are *not* here: the report takes their AMD
bundles from the installed Python packages (``share/jupyter/nbextensions``), so they
always match the Python side.

Examples
--------
>>> from geopera_nb.vendor import VENDORED, read_text
>>> VENDORED["parquet_wasm_bg.wasm"].spec
'parquet-wasm@0.7.1'
>>> read_text("require.js").startswith("/**")
True
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = ["VENDORED", "VendoredFile", "path_of", "read_bytes", "read_text"]

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class VendoredFile:
    """One shipped file: where it came from and under which licence."""

    package: str
    version: str
    member: str
    licence: str
    gzipped: bool = False

    @property
    def spec(self) -> str:
        """``npm pack`` argument, e.g. ``requirejs@2.3.8``."""
        return f"{self.package}@{self.version}"


_HM = ("@jupyter-widgets/html-manager", "1.0.15")
#: name -> origin. The fonts are Font Awesome 5 Free (bundled by the html manager).
VENDORED: dict[str, VendoredFile] = {
    "require.js": VendoredFile("requirejs", "2.3.8", "require.js", "MIT", gzipped=True),
    "embed-amd.js": VendoredFile(*_HM, "dist/embed-amd.js", "BSD-3-Clause", gzipped=True),
    "1551f4f60c37af51121f.woff2": VendoredFile(*_HM, "dist/1551f4f60c37af51121f.woff2",
                                               "OFL-1.1 (Font Awesome Free)"),
    "7a3337626410ca2f4071.woff2": VendoredFile(*_HM, "dist/7a3337626410ca2f4071.woff2",
                                               "OFL-1.1 (Font Awesome Free)"),
    "d878b0a6a1144760244f.woff2": VendoredFile(*_HM, "dist/d878b0a6a1144760244f.woff2",
                                               "OFL-1.1 (Font Awesome Free)"),
    "parquet_wasm_bg.wasm": VendoredFile("parquet-wasm", "0.7.1", "esm/parquet_wasm_bg.wasm",
                                         "MIT OR Apache-2.0", gzipped=True),
    "earcut-worker.min.js": VendoredFile("@geoarrow/geoarrow-js", "0.3.0",
                                         "dist/earcut-worker.min.js", "MIT"),
}


def path_of(name: str) -> Path:
    """The shipped file of ``name`` (``.gz`` appended when stored gzipped)."""
    entry = VENDORED[name]
    return HERE / (f"{name}.gz" if entry.gzipped else name)


@lru_cache(maxsize=16)
def read_bytes(name: str) -> bytes:
    """The file's original bytes (gunzipped when stored gzipped)."""
    data = path_of(name).read_bytes()
    return gzip.decompress(data) if VENDORED[name].gzipped else data


def read_text(name: str) -> str:
    """The file as UTF-8 text."""
    return read_bytes(name).decode("utf-8")
