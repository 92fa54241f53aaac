"""Benchmark: footprint layers in a real browser, lonboard against a plain ipyleaflet layer.

Run ``python benchmarks/widgets.py`` (``--sizes 1000 10000 100000``, ``--timeout 120``).

For each size, N capture footprints (small rotated quads over Australia, as delivered
captures look) are drawn two ways, each in its **own page** with the same embedded
widget state machinery the HTML report uses (:func:`geopera_nb.report.widgets_page`,
no CDN), served from 127.0.0.1 to headless Debian Chromium (WebGL2 via SwiftShader):

- ``leaflet``: the baseline, ``ipyleaflet.GeoJSON`` of the N features on an offline
  ``make_map`` (what the widgets drew before);
- ``lonboard``: :func:`geopera_nb.widgets.footprints.lonboard_map` with one
  ``PolygonLayer`` (what read-only layers above the threshold use now).

Measured:

- **first render**: from navigation until the footprints are on screen: the map area is
  screenshot every ~100 ms and the footprints' (blue) pixels counted; the time is the
  first screenshot of the run in which that count stopped changing (same method for
  both engines);
- **longest pan task**: after the first render a ``PerformanceObserver`` records
  ``longtask`` entries (main-thread tasks over 50 ms) while the mouse drags the map
  twice (300 px right, 200 px down, 10 steps each) and for 1 s after; the longest one
  (0 = none); and Chromium's own counters for the whole pan (``Performance.getMetrics``:
  ``TaskDuration``, all main-thread work, and ``ScriptDuration``, JavaScript alone). The
  difference is work outside JavaScript: layout and SVG paint for Leaflet; for deck.gl
  mostly waiting on the GPU process, which here is SwiftShader (WebGL on the CPU).

Prints one row per (engine, size) and the ratios lonboard / leaflet; targets: 100,000
footprints on screen in <= 3 s, no pan task over 100 ms. Asserts nothing.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import io
import socketserver
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
COLOR = "#2c7bb6"
STYLE = {"color": COLOR, "weight": 1, "fillOpacity": 0.0}
LONGTASKS_JS = """() => { window.__gnLong = [];
  new PerformanceObserver(list => { for (const e of list.getEntries())
    window.__gnLong.push(e.duration); }).observe({type: 'longtask', buffered: false}); }"""


def footprints(n: int, seed: int = 0) -> gpd.GeoDataFrame:
    """N rotated ~5 x 6 km quads, scattered over south-east Australia."""
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(138, 153, n), rng.uniform(-38, -26, n)
    angle = np.radians(rng.uniform(-15, 15, n))
    dx, dy = 0.025, 0.03
    corners = [(-dx, -dy), (dx, -dy), (dx, dy), (-dx, dy), (-dx, -dy)]
    rings = np.stack([np.stack([x + cx * np.cos(angle) - cy * np.sin(angle),
                                y + cx * np.sin(angle) + cy * np.cos(angle)], axis=-1)
                      for cx, cy in corners], axis=1)
    return gpd.GeoDataFrame({"id": [f"cap-{i}" for i in range(n)]},
                            geometry=shapely.polygons(rings), crs="EPSG:4326")


def page_html(engine: str, frame: gpd.GeoDataFrame) -> str:
    """The page of one map (offline widget state, the report's scripts)."""
    from geopera_nb.report import widgets_page
    from geopera_nb.widgets.footprints import footprint_map

    m = footprint_map(frame, style=STYLE, engine=engine, online=False)
    style = "<style>body{margin:0}.gn-view{width:1000px;height:600px}</style>"
    if engine == "leaflet":
        m.layout.height = "600px"
    else:
        m.height = 600
    return widgets_page([m], title=f"{engine} {len(frame)}", head=style)


def _count_color(png: bytes) -> int:
    """Pixels of the footprints: blue ones (Leaflet's outlines, lonboard's light fill),
    never the basemap's grey, beige or white."""
    from PIL import Image

    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    return int(((image[..., 2] - image[..., 0]) > 25).sum())


def measure(page: Any, url: str, timeout_s: float) -> dict[str, float | None]:
    """First render and longest pan task of the page at ``url``."""
    clip = {"x": 0, "y": 0, "width": 1000, "height": 600}
    started = time.perf_counter()
    page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
    previous, stable_since, first = -1, None, None
    while time.perf_counter() - started < timeout_s:
        now = time.perf_counter() - started
        try:
            count = _count_color(page.screenshot(clip=clip, timeout=timeout_s * 1000))
        except Exception as exc:  # "Unable to capture screenshot" before the first frame
            if "Unable to capture" not in str(exc):
                raise
            page.wait_for_timeout(200)
            continue
        if count > 200 and previous > 0 and abs(count - previous) <= 0.02 * previous:
            first = stable_since if stable_since is not None else now
            break
        stable_since = now if count > 200 else None
        previous = count
        page.wait_for_timeout(100)
    if first is None:
        return {"first_render_s": None, "longest_pan_task_ms": None}
    page.evaluate(LONGTASKS_JS)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    before = _metrics(cdp)
    page.mouse.move(500, 300)
    for dx, dy in ((300, 0), (0, 200)):
        page.mouse.down()
        page.mouse.move(500 + dx, 300 + dy, steps=10)
        page.mouse.up()
        page.mouse.move(500, 300)
    page.wait_for_timeout(1000)
    after = _metrics(cdp)
    tasks = page.evaluate("() => window.__gnLong")
    return {"first_render_s": first, "longest_pan_task_ms": max(tasks, default=0.0),
            "pan_busy_ms": 1000 * (after["TaskDuration"] - before["TaskDuration"]),
            "pan_script_ms": 1000 * (after["ScriptDuration"] - before["ScriptDuration"])}


def _metrics(cdp: Any) -> dict[str, float]:
    """Chromium's main-thread counters (seconds): all tasks, and JavaScript alone."""
    return {m["name"]: float(m["value"]) for m in cdp.send("Performance.getMetrics")["metrics"]}


def serve(directory: Path) -> tuple[socketserver.TCPServer, str]:
    """A quiet static HTTP server on 127.0.0.1 (a thread)."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return None

        def handle(self) -> None:
            try:
                super().handle()
            except ConnectionError:  # the browser closed a page mid-transfer
                return

    handler = functools.partial(Quiet, directory=str(directory))
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    results: dict[tuple[str, int], dict[str, float | None]] = {}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        server, base = serve(Path(tmp))
        try:
            for n in args.sizes:
                frame = footprints(n)
                for engine in ("leaflet", "lonboard"):
                    name = f"{engine}-{n}.html"
                    built = time.perf_counter()
                    html = page_html(engine, frame)
                    (Path(tmp) / name).write_text(html, encoding="utf-8")
                    size_mb = len(html) / 1e6
                    # a fresh browser per page: one page's crash or leftovers cannot
                    # slow the next
                    browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS,
                                                 headless=True)
                    try:
                        context = browser.new_context(viewport={"width": 1000, "height": 600})
                        result = measure(context.new_page(), f"{base}/{name}", args.timeout)
                    except Exception as exc:  # a crash or a timeout is a result too
                        result = {"first_render_s": None, "longest_pan_task_ms": None}
                        print(f"  {engine} {n}: {type(exc).__name__}: {str(exc)[:120]}")
                    finally:
                        browser.close()
                    results[(engine, n)] = result
                    print(f"{engine:>8} {n:>7,}: first render {_s(result['first_render_s'])}, "
                          f"longest pan task {_ms(result['longest_pan_task_ms'])}, pan main "
                          f"thread {_ms(result.get('pan_busy_ms'))} of which script "
                          f"{_ms(result.get('pan_script_ms'))} "
                          f"(page {size_mb:.1f} MB, built in {time.perf_counter() - built:.1f} s)",
                          flush=True)
        finally:
            server.shutdown()
    print("\nratios lonboard / leaflet (first render; longest pan task):")
    for n in args.sizes:
        a, b = results[("leaflet", n)], results[("lonboard", n)]
        print(f"  {n:>7,}: {_ratio(b['first_render_s'], a['first_render_s'])}; "
              f"{_ratio(b['longest_pan_task_ms'], a['longest_pan_task_ms'])}")
    big = results.get(("lonboard", max(args.sizes)), {})
    print(f"targets at {max(args.sizes):,}: on screen <= 3 s: {_s(big.get('first_render_s'))}; "
          f"no pan task > 100 ms: {_ms(big.get('longest_pan_task_ms'))}")


def _s(value: float | None) -> str:
    return "timed out" if value is None else f"{value:.2f} s"


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} ms"


def _ratio(ours: float | None, base: float | None) -> str:
    if ours is None or base is None:
        return "n/a (baseline timed out)" if base is None and ours is not None else "n/a"
    return f"{ours / base:.2f}x" if base else f"{ours:.0f} vs 0"


if __name__ == "__main__":
    main()
