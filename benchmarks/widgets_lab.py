"""Benchmark: footprint maps in JupyterLab, from running the cell to the footprints on screen.

Run ``python benchmarks/widgets_lab.py`` (``--sizes 1000 100000 --repeat 3 --modes gpu``).

:mod:`benchmarks.widgets` measures offline pages (the report's machinery): its clock
starts at navigation, so it also counts receiving and parsing the whole page (21 MB at
100,000 footprints) and starting the widget manager, which an analyst in JupyterLab has
paid once, long before. This script measures what the analyst waits for: JupyterLab in
headless Chromium (a fresh browser per run, one kernel kept as in a working session), a notebook whose first cell
imports geopera-nb and makes the N footprints (not timed), and a second cell
``m = footprint_map(frame, engine=...); m``. The clock starts when that cell is sent to
the kernel, so it counts building the layer in the kernel, the comm, and the front end;
it stops as :func:`benchmarks.widgets.on_screen` decides (all N held by the engine, then
the map's pixels stable for 1 s). Same footprints, style and compositor flags as
:mod:`benchmarks.widgets`; the baseline is again a plain ipyleaflet ``GeoJSON`` layer.

Prints one row per (mode, engine, size) with the median and range; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import widgets as W  # the sibling benchmark: footprints, flags, on_screen
from geopera_nb.cli.lab import JupyterLabProcess

_SETUP = """import sys
sys.path.insert(0, {bench!r})
import widgets as W  # the sibling benchmark: footprints, flags, on_screen
from geopera_nb.widgets.footprints import footprint_map
import lonboard, ipyleaflet  # imported before the clock starts, as in a working session
frame = W.footprints({n})"""
_MAP = """m = footprint_map(frame, style=W.STYLE, engine={engine!r}, online=False)
if {engine!r} == "lonboard":
    m.height = 600
    print(m.layers[-1].model_id)
else:
    m.layout.height = "600px"
m"""

_RUN_CELL_JS = """async (index) => {
  const panel = window.jupyterapp.shell.currentWidget;
  panel.content.activeCellIndex = index;
  await window.jupyterapp.commands.execute('notebook:run-cell');
}"""
_IDLE_JS = """() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session
            && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle'
         && !w.content.widgets.some(c => c.promptNode && c.promptNode.textContent.includes('*')); }"""
_STDOUT_JS = """(index) => { const cell = window.jupyterapp.shell.currentWidget.content.model.cells.get(index);
  for (let i = 0; i < cell.outputs.length; i++) { const o = cell.outputs.get(i).toJSON();
    if (o.output_type === 'stream') return [].concat(o.text).join('').trim(); }
  return null; }"""
_MAP_BOX_JS = """(engine) => { const sel = engine === 'leaflet' ? '.leaflet-container' : '.gn-lonboard';
  const el = document.querySelector('.jp-OutputArea-output ' + sel) || document.querySelector(sel);
  if (!el) return null; el.scrollIntoView(); const r = el.getBoundingClientRect();
  return {x: r.x, y: r.y, width: Math.min(r.width, 1000), height: Math.min(r.height, 600)}; }"""


def _notebook(path: Path, engine: str, n: int) -> None:
    nb = nbformat.v4.new_notebook()
    bench = str(Path(__file__).resolve().parent)
    nb.cells = [nbformat.v4.new_code_cell(_SETUP.format(bench=bench, n=n)),
                nbformat.v4.new_code_cell(_MAP.format(engine=engine))]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)


def run_once(lab: JupyterLabProcess, notebook: str, mode: str, engine: str, n: int,
             timeout_s: float) -> float | None:
    """Seconds from running the map cell to the footprints on screen (None: timed out).

    A new playwright driver per run: one driver for a whole run of Leaflet maps of
    100,000 features ran out of its (node) heap.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        return _run_once(pw, lab, notebook, mode, engine, n, timeout_s)


def _run_once(pw: Any, lab: JupyterLabProcess, notebook: str, mode: str, engine: str, n: int,
              timeout_s: float) -> float | None:
    browser = pw.chromium.launch(executable_path=W.CHROMIUM, args=W.BASE_ARGS + W.MODES[mode],
                                 headless=True)
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(timeout_s * 1000)
        workspace = f"bench-{time.monotonic_ns()}"
        page.goto(f"{lab.url}/lab/workspaces/{workspace}/tree/{notebook}"
                  f"?reset&token={lab.token}")
        page.wait_for_function(_IDLE_JS, polling=100)
        page.evaluate("window.jupyterapp.shell.collapseLeft()")
        page.evaluate(_RUN_CELL_JS, 0)
        page.wait_for_function(_IDLE_JS, polling=100)
        started = time.perf_counter()
        page.evaluate(_RUN_CELL_JS, 1)
        if engine == "lonboard":  # the footprint layer's model id, printed by the cell
            page.wait_for_function(f"() => ({_STDOUT_JS})(1)", polling=20)
            page.evaluate("(id) => { window.__gnLayerId = id; }",
                          page.evaluate(_STDOUT_JS, 1))
        page.wait_for_function(f"() => !!({_MAP_BOX_JS})({json.dumps(engine)})", polling=20)
        clip = page.evaluate(_MAP_BOX_JS, engine)
        return W.on_screen(page, started, engine, n, timeout_s, clip=clip)
    finally:
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000])
    parser.add_argument("--engines", nargs="+", default=["leaflet", "lonboard"],
                        choices=["leaflet", "lonboard"])
    parser.add_argument("--modes", nargs="+", default=["gpu"], choices=list(W.MODES))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="geopera-widgets-lab-"))
    env = {"JUPYTER_CONFIG_DIR": str(root / ".jupyter"),
           "JUPYTERLAB_WORKSPACES_DIR": str(root / ".workspaces"),
           "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    for n in args.sizes:
        for engine in args.engines:
            _notebook(root / f"{engine}-{n}.ipynb", engine, n)
    with JupyterLabProcess.start(root, env=env, expose_app=True) as lab:
        for mode in args.modes:
            for n in args.sizes:
                for engine in args.engines:
                    notebook = f"{engine}-{n}.ipynb"
                    run_once(lab, notebook, mode, engine, n, args.timeout)  # warm-up
                    times = [run_once(lab, notebook, mode, engine, n, args.timeout)
                             for _ in range(args.repeat)]
                    done = [t for t in times if t is not None]
                    shown = (f"median {statistics.median(done):.2f} s "
                             f"({min(done):.2f}-{max(done):.2f})" if done else "timed out")
                    print(f"{mode:>8} {engine:>8} {n:>7,}: cell run -> on screen {shown}; "
                          f"load {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
