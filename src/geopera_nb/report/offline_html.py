"""Executed notebooks (and bare widgets) as HTML that shows every widget with no network.

nbconvert's HTML loads RequireJS and the Jupyter widgets HTML manager from a CDN, and
the manager loads jupyter-leaflet (and anywidget) from a CDN too: offline, every map
output is blank. Here the same widget state is embedded (``nbclient`` stores it in the
notebook's metadata) and every script it needs is written into the page:

- RequireJS and ``@jupyter-widgets/html-manager``'s ``embed-amd.js`` (with its Font
  Awesome fonts as ``data:`` URLs) from :mod:`geopera_nb.vendor`;
- jupyter-leaflet and anywidget as named AMD modules, from the *installed* Python
  packages' ``share/jupyter/nbextensions`` bundles (so they match the widget state's
  versions), their images as ``data:`` URLs;
- lonboard needs nothing more: its code travels in the widget state (``_esm``), made
  CDN-free by :mod:`geopera_nb.widgets._lonboard_offline`.

The result is one self-contained file (about 5 MB plus the widget state).

Examples
--------
>>> import ipywidgets
>>> html = widgets_page([ipywidgets.HTML("hello")], title="one widget")
>>> "@jupyter-widgets/html-manager" in html and "application/vnd.jupyter.widget-state+json" in html
True
"""

from __future__ import annotations

import base64
import json
import re
import sys
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["AMD_MODULES", "notebook_html", "offline_scripts", "widgets_page"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
#: AMD module name -> nbextension folder of the installed Python package that ships it
AMD_MODULES = {"jupyter-leaflet": "jupyter-leaflet", "anywidget": "anywidget"}

_NAME_DEFINE = (
    "<script>(function(){{var d=window.define;window.define=function(){{"
    "var a=[].slice.call(arguments);if(typeof a[0]!=='string'){{a.unshift({name});}}"
    "return d.apply(this,a);}};window.define.amd=d.amd;window.__gnDefine=d;}})();</script>\n"
    "<script>{code}</script>\n<script>window.define=window.__gnDefine;</script>\n")
_ASSET = re.compile(r'\b\w\.p\+"([0-9a-f]{20}\.(?:png|woff2|svg|gif))"')
_MIME = {"png": "image/png", "woff2": "font/woff2", "svg": "image/svg+xml", "gif": "image/gif"}


def _nbextensions_dir(name: str) -> Path:
    """``share/jupyter/nbextensions/<name>`` of this environment (or a Jupyter path)."""
    candidates = [Path(sys.prefix) / "share" / "jupyter" / "nbextensions" / name]
    try:
        from jupyter_core.paths import jupyter_path

        candidates += [Path(p) / name for p in jupyter_path("nbextensions")]
    except ImportError:  # pragma: no cover - jupyter_core comes with nbconvert
        pass
    for path in candidates:
        if (path / "index.js").exists():
            return path
    raise FileNotFoundError(f"no {name} nbextension bundle (looked in {candidates})")


def _inline_assets(code: str, files: dict[str, bytes]) -> str:
    """Replace webpack's ``X.p+"<hash>.png"`` asset URLs by ``data:`` URLs."""

    def swap(match: re.Match[str]) -> str:
        name = match.group(1)
        data = files.get(name)
        if data is None:
            return match.group(0)
        mime = _MIME[name.rsplit(".", 1)[1]]
        return json.dumps(f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}")

    return _ASSET.sub(swap, code)


def _script(code: str) -> str:
    if re.search(r"</script", code, re.IGNORECASE):
        encoded = base64.b64encode(code.encode("utf-8")).decode("ascii")
        return f'<script src="data:text/javascript;base64,{encoded}"></script>\n'
    return f"<script>{code}</script>\n"


@lru_cache(maxsize=1)
def offline_scripts() -> str:
    """The ``<script>`` elements that render embedded widget state with no network."""
    from geopera_nb.vendor import VENDORED, read_bytes, read_text

    parts = [_script(read_text("require.js"))]
    for module, folder in AMD_MODULES.items():
        directory = _nbextensions_dir(folder)
        files = {p.name: p.read_bytes() for p in directory.iterdir()
                 if p.suffix in (".png", ".woff2", ".svg", ".gif")}
        code = _inline_assets((directory / "index.js").read_text(encoding="utf-8"), files)
        if re.search(r"</script", code, re.IGNORECASE):
            raise ValueError(f"{module}'s bundle contains '</script'")
        parts.append(_NAME_DEFINE.format(name=json.dumps(module), code=code))
    fonts = {name: read_bytes(name) for name in VENDORED if name.endswith(".woff2")}
    parts.append(_script(_inline_assets(read_text("embed-amd.js"), fonts)))
    return "".join(parts)


def notebook_html(nb: Any, *, extra_sections: str = "") -> str:
    """An executed notebook as offline HTML (nbconvert's lab template, no CDN).

    Parameters
    ----------
    nb
        A ``nbformat`` notebook, executed with widget state stored
        (``nbclient``'s default).
    extra_sections
        HTML appended after the last cell (e.g. the report's plots).
    """
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="offline", extra_template_basedirs=[str(TEMPLATES)])
    resources = {"gn_offline_scripts": offline_scripts(), "gn_extra_sections": extra_sections}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return str(body)


def widgets_page(widgets: Sequence[Any], *, title: str = "geopera-nb",
                 head: str = "", body_before: str = "") -> str:
    """A standalone HTML page showing live-state snapshots of ``widgets`` offline.

    Used by the benchmarks and for screenshots; the state of every widget they depend
    on is embedded (``drop_defaults=False``: anywidget models need their defaults).
    """
    from ipywidgets.embed import dependency_state, embed_data

    data = embed_data(views=list(widgets), drop_defaults=False,
                      state=dependency_state(list(widgets), drop_defaults=False))
    state = json.dumps(data["manager_state"]).replace("</", "<\\/")
    views = "".join(
        '<div class="gn-view"><script type="application/vnd.jupyter.widget-view+json">'
        f"{json.dumps(view)}</script></div>\n" for view in data["view_specs"])
    return ("<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
            f"<title>{title}</title>\n{offline_scripts()}{head}"
            f'<script type="application/vnd.jupyter.widget-state+json">{state}</script>\n'
            f"</head><body>{body_before}{views}</body></html>\n")
