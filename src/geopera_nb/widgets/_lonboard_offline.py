"""lonboard without a CDN: its front-end code with the two run-time downloads shipped.

lonboard's JavaScript (an anywidget ESM, ``lonboard/static/index.js``) fetches two files
from a CDN when a map is shown (lonboard issue #457, still open):

- ``parquet_wasm_bg.wasm`` (parquet-wasm, to read the Parquet buffers the layers are
  sent as); without it no layer renders at all;
- ``earcut-worker.min.js`` (geoarrow-js, polygon triangulation off the main thread).

:func:`offline_esm` returns lonboard's own ESM with those two URLs replaced by the
copies in :mod:`geopera_nb.vendor` (the wasm travels gzipped and base64-encoded inside
the ESM and is unpacked with the browser's ``DecompressionStream``; the worker as a
``data:`` URL). Two more exact-text patches keep it working from a page opened from disk
and make triangulation faster (see ``_BLOB_WRAP`` and ``_EARCUT_NODE``); nothing else in
lonboard's code changes. :func:`offline_map_class`
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

__all__ = ["OfflineBundleError", "earcut_worker", "lonboard_esm_path", "offline_esm",
           "offline_map_class"]

_WASM_URL = re.compile(
    r"`https://cdn\.jsdelivr\.net/npm/parquet-wasm@\$\{(\w+)\}/esm/parquet_wasm_bg\.wasm`")
_EARCUT_URL = re.compile(
    r'"https://cdn\.jsdelivr\.net/npm/@geoarrow/geoarrow-js@([0-9.]+)/dist/earcut-worker\.min\.js"')

# The wasm is decoded with ``Uint8Array.fromBase64`` where the browser has it (native),
# else a plain loop: ``Uint8Array.from(atob(s), fn)`` calls a function per byte (170 ms
# for these 2.5 MB in Chromium, against ~10 ms).
_PRELUDE = """\
const __gnParquetWasmGz = "%s";
function __gnBase64(text) {
  if (typeof Uint8Array.fromBase64 === "function") return Uint8Array.fromBase64(text);
  const chars = atob(text);
  const bytes = new Uint8Array(chars.length);
  for (let i = 0; i < chars.length; i++) bytes[i] = chars.charCodeAt(i);
  return bytes;
}
function __gnParquetWasm() {
  const bytes = __gnBase64(__gnParquetWasmGz);
  const wasm = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Response(wasm, { headers: { "Content-Type": "application/wasm" } });
}
"""

# geoarrow-js 0.3.0's earcut worker is built with Babel's ``_defineProperty`` helper for
# the class fields of earcut's ring node, one helper call chain per field and node
# (nine per vertex). The same constructor with plain assignments (same fields, same
# order, same values: the helper assigns when the field does not exist yet, which is
# always the case in a constructor) triangulates 65,536 quads in ~0.25 s instead of
# ~2 s (node 18, ``docs/benchmarks.md``). Applied only when the text is found exactly.
_EARCUT_NODE = ('constructor(t,n,r){b(this,"i",void 0),b(this,"x",void 0),'
                'b(this,"y",void 0),b(this,"prev",null),b(this,"next",null),'
                'b(this,"z",0),b(this,"prevZ",null),b(this,"nextZ",null),'
                'b(this,"steiner",!1),this.i=t,this.x=n,this.y=r}')
_EARCUT_NODE_FAST = ("constructor(t,n,r){this.i=t,this.x=n,this.y=r,this.prev=null,"
                     "this.next=null,this.z=0,this.prevZ=null,this.nextZ=null,"
                     "this.steiner=!1}")

# threads.js (the worker pool lonboard's solid-polygon layer triangulates in) wraps every
# absolute worker URL in a second blob that only says ``importScripts(url)`` (its
# "CORS workaround", meant for http URLs on another origin). It treats ``blob:`` URLs as
# absolute too, so its ``BlobWorker`` becomes a blob importing a blob. A page opened from
# a file (the main job's HTML report) has the opaque origin ``null``, and Chromium refuses
# that import ("importScripts ... blob:null/... failed to load"): no polygon is ever
# triangulated and the map stays empty. A blob URL is always same-origin, so it needs no
# wrapper; the patch leaves http(s) URLs as they were. Required: without it, reports
# opened from disk draw no footprints.
_BLOB_WRAP = 'typeof i=="string"&&uPt(i)&&('
_BLOB_WRAP_FIXED = 'typeof i=="string"&&uPt(i)&&!i.startsWith("blob:")&&('


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
    from geopera_nb.vendor import VENDORED, path_of

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
    worker = base64.b64encode(earcut_worker().encode("utf-8")).decode("ascii")
    patched = _WASM_URL.sub("{module_or_path: __gnParquetWasm()}", source, count=1)
    patched = _EARCUT_URL.sub(f'"data:text/javascript;base64,{worker}"', patched, count=1)
    # lonboard's worker pool runs the copy of the worker inside its own bundle (a string
    # literal); the URL above is only fetched, never run
    patched = patched.replace(_EARCUT_NODE, _EARCUT_NODE_FAST)
    if patched.count(_BLOB_WRAP) != 1:
        raise OfflineBundleError(
            "lonboard's bundled threads.js no longer has the worker-URL wrapper "
            f"{_BLOB_WRAP!r}; check that polygon layers still draw in a page opened from "
            "a file before changing geopera_nb.widgets._lonboard_offline")
    patched = patched.replace(_BLOB_WRAP, _BLOB_WRAP_FIXED)
    return _PRELUDE % packed.decode("ascii") + patched


def earcut_worker() -> str:
    """The vendored geoarrow earcut worker, with earcut's ring node built without Babel's
    per-field helper when its text is the expected one (see ``_EARCUT_NODE``)."""
    from geopera_nb.vendor import read_bytes

    return read_bytes("earcut-worker.min.js").decode("utf-8").replace(_EARCUT_NODE,
                                                                       _EARCUT_NODE_FAST)


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
