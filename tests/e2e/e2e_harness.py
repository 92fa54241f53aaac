"""Drive JupyterLab in headless Chromium: open a notebook, run it, draw on a Leaflet map.

Everything goes through ``window.jupyterapp`` (JupyterLab started with
``--LabApp.expose_app_in_browser=True``) and real mouse clicks; clicking into cell
editors or typing shortcuts is avoided (JupyterLab virtualises cells, and shortcuts race
the kernel start).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page

#: the executable and flags the project brief prescribes for Chromium
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

_KERNEL_STATUS_JS = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const s = w && w.sessionContext && w.sessionContext.session;
  return s && s.kernel ? s.kernel.status : null;
}"""

_RUNNING_CELLS_JS = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!w || !w.content || !w.content.widgets) return -1;
  return w.content.widgets.filter(
    c => c.model.type === 'code' && c.promptNode && c.promptNode.textContent.includes('*')
  ).length;
}"""

_ERROR_OUTPUTS_JS = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!w || !w.content) return [];
  const errors = [];
  for (const cell of w.content.model.cells) {
    if (cell.type !== 'code') continue;
    for (let i = 0; i < cell.outputs.length; i++) {
      const out = cell.outputs.get(i).toJSON();
      if (out.output_type === 'error') errors.push(out.ename + ': ' + out.evalue);
    }
  }
  return errors;
}"""


@dataclass
class LabPage:
    """A browser page on a JupyterLab server, with screenshots into ``artifacts``."""

    page: Page
    lab_url: str
    token: str
    artifacts: Path
    prefix: str

    # -- navigation ------------------------------------------------------------------
    def open_notebook(self, notebook: str, *, workspace: str | None = None,
                      timeout_s: float = 120.0) -> None:
        """Open ``notebook`` in a fresh workspace and wait for its kernel to be idle."""
        ws = workspace or re.sub(r"[^a-z0-9-]+", "-", f"{self.prefix}-{notebook}".lower())
        self.page.goto(f"{self.lab_url}/lab/workspaces/{ws}/tree/{notebook}"
                       f"?reset&token={self.token}")
        self.page.wait_for_function(
            """(path) => {
              const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
              return !!(w && w.context && w.context.path === path);
            }""", arg=notebook, timeout=timeout_s * 1000)
        self.page.evaluate("window.jupyterapp.shell.collapseLeft()")  # more room for maps
        self.wait_kernel_idle(timeout_s=timeout_s)

    def wait_kernel_idle(self, *, timeout_s: float = 120.0) -> None:
        """Wait until the current notebook's kernel reports ``idle``."""
        self.page.wait_for_function(f"() => ({_KERNEL_STATUS_JS})() === 'idle'",
                                    timeout=timeout_s * 1000)

    def run_all_cells(self, *, timeout_s: float = 180.0) -> None:
        """Run every cell, wait until none is running, and fail on any error output."""
        self.page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if (self.page.evaluate(_RUNNING_CELLS_JS) == 0
                    and self.page.evaluate(_KERNEL_STATUS_JS) == "idle"):
                break
            self.page.wait_for_timeout(200)
        else:
            self.screenshot("run-all-timeout")
            raise TimeoutError(f"cells still running after {timeout_s:.0f} s")
        errors = self.page.evaluate(_ERROR_OUTPUTS_JS)
        if errors:
            self.screenshot("run-all-errors")
            raise AssertionError(f"notebook cells raised: {errors}")

    # -- evidence ------------------------------------------------------------------
    def diagnostics(self) -> str:
        """Text for a failure report: stream/error outputs and every ``.gn-error`` shown."""
        return str(self.page.evaluate(
            """() => {
              const lines = [];
              const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
              if (w && w.content && w.content.model) {
                for (const cell of w.content.model.cells) {
                  if (cell.type !== 'code') continue;
                  for (let i = 0; i < cell.outputs.length; i++) {
                    const o = cell.outputs.get(i).toJSON();
                    if (o.output_type === 'stream') lines.push('stream: ' + o.text);
                    if (o.output_type === 'error') lines.push('error: ' + o.ename + ': ' + o.evalue
                                                              + '\\n' + (o.traceback || []).join('\\n'));
                  }
                }
              }
              for (const el of document.querySelectorAll('.gn-error, .gn-inline-error')) {
                if (el.textContent.trim()) lines.push('gn-error: ' + el.textContent.trim());
              }
              return lines.join('\\n');
            }"""))

    def screenshot(self, name: str, *, locator: Locator | None = None) -> Path:
        """Save a PNG screenshot as ``artifacts/<prefix>-<name>.png`` (or ``name`` if it ends
        with ``.png``); of ``locator`` only when given."""
        path = self.artifacts / (name if name.endswith(".png") else f"{self.prefix}-{name}.png")
        if locator is not None:
            locator.screenshot(path=str(path))
        else:
            self.page.screenshot(path=str(path))
        return path

    # -- Leaflet ---------------------------------------------------------------------
    def leaflet_map(self, selector: str = ".leaflet-container") -> Locator:
        """The first Leaflet map matching ``selector``, scrolled into view."""
        map_ = self.page.locator(selector).first
        map_.wait_for(state="visible", timeout=60_000)
        map_.scroll_into_view_if_needed()
        return map_

    def draw_polygon(self, map_: Locator, points: Sequence[tuple[float, float]],
                     *, pause_ms: int = 120) -> None:
        """Draw a polygon with the mouse on ``map_``.

        ``points`` are fractions (x, y) of the map's width and height. Clicks the
        polygon tool, each vertex, then the first vertex again to close the shape.
        Leaflet.draw ignores a click that comes within 50 ms of the previous one (and a
        busy 2-core machine can stretch that), so each vertex is checked on the map
        (one ``.leaflet-editing-icon`` per vertex) and clicked again if it was dropped.
        """
        if len(points) < 3:
            raise ValueError("a polygon needs at least 3 vertices")
        map_.locator(".leaflet-draw-draw-polygon").click()
        self.page.wait_for_timeout(pause_ms)
        box = map_.bounding_box()
        assert box is not None, "the map is not displayed"
        pixels = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
                  for fx, fy in points]
        vertices = map_.locator(".leaflet-editing-icon")
        for placed, (x, y) in enumerate(pixels, start=1):
            for _attempt in range(3):
                self._click_at(x, y, pause_ms)
                if self._wait_count(vertices, placed):
                    break
            else:
                raise AssertionError(f"Leaflet.draw did not take vertex {placed} at ({x:.0f}, {y:.0f})")
        self._click_at(*pixels[0], pause_ms)  # close the ring: the polygon is created
        if not self._wait_count(vertices, 0, timeout_ms=5_000):
            raise AssertionError("the polygon was not closed by clicking its first vertex")

    def _click_at(self, x: float, y: float, pause_ms: int) -> None:
        self.page.mouse.move(x, y, steps=3)
        self.page.mouse.click(x, y)
        self.page.wait_for_timeout(pause_ms)

    def _wait_count(self, locator: Locator, count: int, *, timeout_ms: int = 1_500) -> bool:
        deadline = time.monotonic() + timeout_ms / 1000
        while locator.count() != count:
            if time.monotonic() > deadline:
                return False
            self.page.wait_for_timeout(50)
        return True

    def tall_viewport(self, height: int = 1800) -> None:
        """Make the window taller, so a whole widget fits in one screenshot."""
        size = self.page.viewport_size or {"width": 1400, "height": 1000}
        self.page.set_viewport_size({"width": size["width"], "height": height})
        self.page.wait_for_timeout(300)

    # -- timing ------------------------------------------------------------------------
    def start_change_timer(self, selector: str, until: str | None = None) -> None:
        """Arm a browser-side timer on ``selector``.

        It keeps the time of the last mouse click and of the first change after it:
        the first mutation after which ``until`` (a selector inside ``selector``)
        exists, or, without ``until``, the text differs. Both are ``performance.now()``
        in the page (a capture-phase click listener and a MutationObserver), so the
        measure includes the kernel round trip and the rendering, not the test's polling.
        """
        self.page.evaluate(
            """([selector, until]) => {
              const el = document.querySelector(selector);
              if (!el) throw new Error('no element ' + selector);
              const t = {lastClick: null, changed: null, before: el.textContent, after: null};
              const done = () => until ? el.querySelector(until) !== null
                                       : el.textContent !== t.before;
              window.__gnTimer = t;
              window.addEventListener('click', () => {
                t.lastClick = performance.now(); t.changed = null;
              }, {capture: true});
              new MutationObserver(() => {
                if (t.lastClick !== null && t.changed === null && done()) {
                  t.changed = performance.now(); t.after = el.textContent;
                }
              }).observe(el, {subtree: true, childList: true, characterData: true});
            }""", [selector, until])

    def read_change_timer(self, *, timeout_s: float = 30.0) -> dict[str, Any]:
        """Wait for the armed timer to see a change; answer the elapsed ms and the texts."""
        self.page.wait_for_function("() => window.__gnTimer && window.__gnTimer.changed !== null",
                                    timeout=timeout_s * 1000)
        t: dict[str, Any] = self.page.evaluate("() => window.__gnTimer")
        return {"ms": round(t["changed"] - t["lastClick"], 1), "before": t["before"],
                "after": t["after"]}


def record_timing(artifacts: Path, name: str, value: dict[str, Any]) -> None:
    """Merge ``{name: value}`` into ``artifacts/e2e-timings.json`` and print it."""
    path = artifacts / "e2e-timings.json"
    data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    data[name] = value
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    print(f"e2e timing {name}: {json.dumps(value)}")
