"""lonboard without a CDN: its front-end code with the two run-time downloads shipped.

lonboard's JavaScript (an anywidget ESM, ``lonboard/static/index.js``) fetches two files
from a CDN when a map is shown (lonboard issue #457, still open):

- ``parquet_wasm_bg.wasm`` (parquet-wasm, to read the Parquet buffers the layers are
  sent as); without it no layer renders at all;
- ``earcut-worker.min.js`` (geoarrow-js, polygon triangulation off the main thread).

:func:`offline_esm` returns lonboard's own ESM with those two URLs replaced by the
copies in :mod:`geopera_nb.vendor` (the wasm travels gzipped and base64-encoded inside
the ESM and is unpacked with the browser's ``DecompressionStream``; the worker as a
``data:`` URL). Nothing else in lonboard's code changes. :func:`offline_map_class`
gives a :class:`lonboard.Map` that uses it, so the same map works in JupyterLab and in an
exported HTML page with no network.

The replacement is checked: if a lonboard upgrade moves to another parquet-wasm
version (``VENDORED["parquet_wasm_bg.wasm"].version``) or renames the URLs,
:func:`offline_esm` raises :class:`OfflineBundleError` instead of shipping a wasm that
does not match its JavaScript glue (refresh :mod:`geopera_nb.vendor`).
"""

from __future__ import annotations

import base64
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["OfflineBundleError", "lonboard_esm_path", "offline_esm", "offline_map_class"]

_WASM_URL = re.compile(
    r"`https://cdn\.jsdelivr\.net/npm/parquet-wasm@\$\{(\w+)\}/esm/parquet_wasm_bg\.wasm`")
_EARCUT_URL = re.compile(
    r'"https://cdn\.jsdelivr\.net/npm/@geoarrow/geoarrow-js@([0-9.]+)/dist/earcut-worker\.min\.js"')

_PRELUDE = """\
const __gnParquetWasmGz = "%s";
function __gnParquetWasm() {
  const bytes = Uint8Array.from(atob(__gnParquetWasmGz), (c) => c.charCodeAt(0));
  const wasm = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Response(wasm, { headers: { "Content-Type": "application/wasm" } });
}
"""


class OfflineBundleError(RuntimeError):
    """lonboard's ESM does not have the CDN URLs (or versions) this module replaces."""


def lonboard_esm_path() -> Path:
    """The installed lonboard's front-end bundle."""
    import lonboard

    return Path(lonboard.__file__).resolve().parent / "static" / "index.js"


@lru_cache(maxsize=1)
def offline_esm() -> str:
    """lonboard's ESM with parquet-wasm and the earcut worker shipped inside it.

    Raises
    ------
    OfflineBundleError
        When the installed lonboard asks for other versions than the vendored ones.
    """
    from geopera_nb.vendor import VENDORED, path_of, read_bytes

    source = lonboard_esm_path().read_text(encoding="utf-8")
    wasm = _WASM_URL.search(source)
    earcut = _EARCUT_URL.search(source)
    if wasm is None or earcut is None:
        raise OfflineBundleError(
            "lonboard's front end no longer loads parquet-wasm / the earcut worker from the "
            "CDN URLs geopera_nb.widgets._lonboard_offline replaces; update that module")
    version = re.search(rf'\b{re.escape(wasm.group(1))}="([0-9.]+)"', source)
    want_wasm = VENDORED["parquet_wasm_bg.wasm"].version
    want_earcut = VENDORED["earcut-worker.min.js"].version
    if version is None or version.group(1) != want_wasm or earcut.group(1) != want_earcut:
        found = version.group(1) if version else "?"
        raise OfflineBundleError(
            f"lonboard wants parquet-wasm {found} and geoarrow-js {earcut.group(1)}; "
            f"geopera_nb.vendor ships {want_wasm} and {want_earcut} "
            "(python -m geopera_nb.vendor.refresh after changing the versions)")
    packed = base64.b64encode(path_of("parquet_wasm_bg.wasm").read_bytes())  # stored gzipped
    worker = base64.b64encode(read_bytes("earcut-worker.min.js")).decode("ascii")
    patched = _WASM_URL.sub("{module_or_path: __gnParquetWasm()}", source, count=1)
    patched = _EARCUT_URL.sub(f'"data:text/javascript;base64,{worker}"', patched, count=1)
    return _PRELUDE % packed.decode("ascii") + patched


@lru_cache(maxsize=1)
def offline_map_class() -> type[Any]:
    """``OfflineMap``: a :class:`lonboard.Map` whose front end needs no CDN.

    Made on first use, so importing this module does not import lonboard (which pulls
    in arro3 and pyarrow).
    """
    import lonboard
    import traitlets

    class OfflineMap(lonboard.Map):
        """A :class:`lonboard.Map` whose front end needs no CDN (see module doc)."""

        _esm = traitlets.Unicode().tag(sync=True)  # type: ignore[assignment]

        @traitlets.default("_esm")
        def _default_esm(self) -> str:
            return offline_esm()

    OfflineMap.__module__ = __name__
    return OfflineMap
