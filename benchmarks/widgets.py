"""Benchmark: footprint layers in a real browser, lonboard against a plain ipyleaflet layer.

Run ``python benchmarks/widgets.py`` (``--sizes 1000 10000 100000 --repeat 3
--modes gpu software --timeout 120``; ``--json FILE`` keeps every run).

For each size, N capture footprints (small rotated quads over Australia, as delivered
captures look) are drawn two ways, each in its **own page** with the same embedded
widget state machinery the HTML report uses (:func:`geopera_nb.report.widgets_page`,
no CDN), served from 127.0.0.1 to headless Debian Chromium:

- ``leaflet``: the baseline, ``ipyleaflet.GeoJSON`` of the N features on an offline
  ``make_map`` (what the widgets drew before);
- ``lonboard``: :func:`geopera_nb.widgets.footprints.footprint_map` with
  ``engine="lonboard"``: one filled ``SolidPolygonLayer``, not pickable (what read-only
  layers above the threshold use).

There is no GPU here; WebGL runs on SwiftShader (the CPU), and the page is measured
under two compositors (``--modes``):

- ``gpu``: ``--use-gl=angle --use-angle=swiftshader --enable-unsafe-swiftshader
  --disable-gpu-rasterization``: Chromium composites "on the GPU" (SwiftShader), as it
  does on any machine with a GPU: a WebGL frame is handed to the GPU process and the
  page's main thread goes on. Page content (Leaflet's SVG) is still rasterised on the
  CPU as in ``software`` (Skia on SwiftShader took seconds per Leaflet frame, which no
  real GPU does);
- ``software``: ``--disable-gpu`` (what the tests use): the software compositor reads
  every WebGL frame back into CPU memory **on the main thread** (``GLES2::ReadPixels``
  inside the ``Commit`` task in a trace), so each frame's whole GPU time becomes a
  main-thread task. No machine with a GPU does that.

Measured, per run (a fresh browser each time):

- **first render**: from navigation until all N footprints are on screen. The page is
  asked every 50 ms whether the engine holds all N (**drawn**: for Leaflet the layer's
  SVG paths, for lonboard the rows of the deck.gl layers whose triangulation is done);
  from then on the map area is screenshot every ~100 ms and the footprints' (blue)
  pixels counted until the count has held for 1 s; the time is that of the first
  screenshot from which on the count is the final one (same method for both engines);
- **pan**: a ``PerformanceObserver`` records ``longtask`` entries (main-thread tasks
  over 50 ms) while the mouse drags the map (300 px right, 200 px down, 10 steps each),
  then sweeps across it with no button held (hover: 20 moves, which is where a pickable
  layer would pick), then 1 s more: the **longest task** (0 = none); the animation
  frames the page got during that time (``requestAnimationFrame``) and the **longest
  gap** between two of them (with GPU compositing, Chromium gives the page no new frame
  while the GPU is still drawing the last one, so this is how long a frame took to
  reach the screen); Chromium's own counters for the whole pan
  (``Performance.getMetrics``: ``TaskDuration``, all main-thread work, and
  ``ScriptDuration``, JavaScript alone); for lonboard, the main-thread time of each
  deck.gl redraw (``Deck._drawLayers``: JavaScript and WebGL calls, which with GPU
  compositing do not wait for the GPU): what a frame costs the page on a machine
  whose GPU draws the frame faster than that.

Each (mode, engine) gets one warm-up run first (discarded); then ``--repeat`` runs per
case, the engines alternating, and the **median** is printed with the range and the
1-minute load average (other jobs share this machine). Targets: 100,000 footprints on
screen in <= 3 s, no pan task over 100 ms. Asserts nothing.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import io
import json
import os
import socketserver
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

CHROMIUM = "/usr/bin/chromium"
BASE_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
             "--disable-sync"]
MODES = {
    "gpu": ["--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
            "--disable-gpu-rasterization"],
    "software": ["--disable-gpu"],
}
COLOR = "#2c7bb6"
STYLE = {"color": COLOR, "weight": 1, "fillOpacity": 0.0}
VIEW = {"width": 1000, "height": 600}
#: the footprints' pixels must not change for this long before the picture counts as final
SETTLED_S = 1.0
START_JS = """() => { window.__gnLong = []; window.__gnFrames = []; window.__gnStop = false;
  window.__gnDraws = []; const deck = window.__deck;
  if (deck && !deck.__gnTimed) { const draw = deck._drawLayers.bind(deck); deck.__gnTimed = true;
    deck._drawLayers = (...a) => { const t = performance.now(); const r = draw(...a);
      window.__gnDraws.push(performance.now() - t); return r; }; }
  new PerformanceObserver(list => { for (const e of list.getEntries())
    window.__gnLong.push(e.duration); }).observe({type: 'longtask', buffered: false});
  const tick = t => { window.__gnFrames.push(t); if (!window.__gnStop) requestAnimationFrame(tick); };
  requestAnimationFrame(tick); }"""
STOP_JS = """() => { window.__gnStop = true; const f = window.__gnFrames; let gap = 0;
  for (let i = 1; i < f.length; i++) gap = Math.max(gap, f[i] - f[i - 1]);
  return {tasks: window.__gnLong, frames: f.length, gap: gap, draws: window.__gnDraws}; }"""
# rows every footprint layer holds once drawn: Leaflet's SVG paths of that colour,
# deck.gl's GeoArrow polygon layers whose triangles are done (one layer per batch)
DRAWN_JS = {
    "leaflet": f"""() => document.querySelectorAll(
        '.leaflet-overlay-pane path[stroke="{COLOR}"]').length""",
    "lonboard": """() => { const d = window.__deck; if (!d || !d.layerManager) return 0;
        let n = 0; for (const l of d.layerManager.getLayers())
          if (l.constructor.layerName === 'GeoArrowSolidPolygonLayer' && l.state
              && l.state.triangles && l.props.id.startsWith(window.__gnLayerId))
            n += l.props.data.numRows;
        return n; }""",
}


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
    head = "<style>body{margin:0}.gn-view{width:1000px;height:600px}</style>"
    if engine == "leaflet":
        m.layout.height = "600px"
    else:
        m.height = 600
        # the footprint layer's model id: the drawn check counts its deck.gl layers only
        head += f"<script>window.__gnLayerId = {json.dumps(m.layers[-1].model_id)};</script>"
    return widgets_page([m], title=f"{engine} {len(frame)}", head=head)


def _count_color(png: bytes) -> int:
    """Pixels of the footprints: blue ones (Leaflet's outlines, lonboard's light fill),
    never the basemap's grey, beige or white."""
    from PIL import Image

    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    return int(((image[..., 2] - image[..., 0]) > 25).sum())


def first_render(page: Any, url: str, engine: str, n: int, timeout_s: float) -> float | None:
    """Seconds from navigation until all ``n`` footprints are on screen.

    The page is asked (cheaply, every 50 ms) whether the engine holds all ``n`` features
    (:data:`DRAWN_JS`); from then on the map area is screenshot every ~100 ms and its
    blue pixels counted until the count has not changed for :data:`SETTLED_S`. The time
    is that of the first screenshot from which on every count is the final one (within
    2 %): a screenshot taken while the page is busy can repeat an unfinished picture, so
    two equal counts in a row are not enough. Screenshots only start once everything is
    loaded because each PNG capture costs ~100 ms of the two cores the page needs (JPEG
    would be cheaper, but its chroma subsampling erases 3-pixel pale fills).
    """
    started = time.perf_counter()
    page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
    return on_screen(page, started, engine, n, timeout_s)


def on_screen(page: Any, started: float, engine: str, n: int, timeout_s: float,
              clip: dict[str, float] | None = None) -> float | None:
    """Seconds from ``started`` (``time.perf_counter``) until all ``n`` footprints are on
    screen (the method of :func:`first_render`), inside ``clip`` (default: the view)."""
    clip = clip or {"x": 0, "y": 0, **VIEW}
    page.wait_for_function(f"() => ({DRAWN_JS[engine]})() >= {n}", polling=50,
                           timeout=timeout_s * 1000)
    samples: list[tuple[float, int]] = []
    while time.perf_counter() - started < timeout_s:
        now = time.perf_counter() - started
        try:
            samples.append((now, _count_color(page.screenshot(clip=clip,
                                                              timeout=timeout_s * 1000))))
        except Exception as exc:  # "Unable to capture screenshot" before the first frame
            if "Unable to capture" not in str(exc):
                raise
            page.wait_for_timeout(200)
            continue
        final = samples[-1][1]
        same = [t for t, c in samples if final > 200 and abs(c - final) <= 0.02 * final]
        settled = next((t for i, (t, _) in enumerate(samples)
                        if all(abs(c - final) <= 0.02 * final for _, c in samples[i:])), None)
        if same and settled is not None and now - settled >= SETTLED_S:
            return settled
        page.wait_for_timeout(100)
    return None


def pan(page: Any) -> dict[str, float]:
    """Drag the map right and down, sweep across it without a button, settle 1 s."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    page.evaluate(START_JS)
    before = _metrics(cdp)
    page.mouse.move(500, 300)
    for dx, dy in ((300, 0), (0, 200)):
        page.mouse.down()
        page.mouse.move(500 + dx, 300 + dy, steps=10)
        page.mouse.up()
        page.mouse.move(500, 300)
    page.mouse.move(100, 100)
    page.mouse.move(900, 500, steps=20)  # hover: a pickable layer picks on each move
    page.wait_for_timeout(1000)
    after = _metrics(cdp)
    seen = page.evaluate(STOP_JS)
    draws = seen["draws"]
    return {"longest_task_ms": max(seen["tasks"], default=0.0), "frames": seen["frames"],
            "longest_frame_ms": seen["gap"],
            "deck_draws": len(draws) if draws else None,
            "deck_draw_ms": statistics.median(draws) if draws else None,
            "deck_draw_max_ms": max(draws) if draws else None,
            "busy_ms": 1000 * (after["TaskDuration"] - before["TaskDuration"]),
            "script_ms": 1000 * (after["ScriptDuration"] - before["ScriptDuration"])}


def _metrics(cdp: Any) -> dict[str, float]:
    """Chromium's main-thread counters (seconds): all tasks, and JavaScript alone."""
    return {m["name"]: float(m["value"]) for m in cdp.send("Performance.getMetrics")["metrics"]}


def run_once(pw: Any, mode: str, engine: str, n: int, url: str,
             timeout_s: float) -> dict[str, Any]:
    """One page in a fresh browser: first render, features drawn, pan."""
    load = os.getloadavg()[0]
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=BASE_ARGS + MODES[mode],
                                 headless=True)
    try:
        page = browser.new_context(viewport=VIEW).new_page()
        first = first_render(page, url, engine, n, timeout_s)
        if first is None:
            return {"first_render_s": None, "load": load}
        return {"first_render_s": first, "drawn": page.evaluate(DRAWN_JS[engine]), **pan(page),
                "load": load}
    except Exception as exc:  # a crash or a timeout is a result too
        print(f"  {mode} {engine}: {type(exc).__name__}: {str(exc)[:160]}", flush=True)
        return {"first_render_s": None, "load": load}
    finally:
        browser.close()


def compositing(pw: Any, mode: str) -> str:
    """What chrome://gpu says about compositing under ``mode``'s flags."""
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=BASE_ARGS + MODES[mode],
                                 headless=True)
    try:
        page = browser.new_page()
        page.goto("chrome://gpu")
        page.wait_for_timeout(1000)
        text = page.evaluate("() => { const v = document.querySelector('info-view');"
                             " return (v && v.shadowRoot ? v.shadowRoot : document.body)"
                             ".textContent; }")
        start = text.find("Compositing:")
        return " ".join(text[start:start + 60].split()).split("*")[0] if start >= 0 else "?"
    finally:
        browser.close()


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


def build_pages(sizes: list[int], engines: list[str], directory: Path) -> dict[str, Any]:
    """Write each (engine, size) page; the kernel side's time and the page's size."""
    built: dict[str, Any] = {}
    for n in sizes:
        frame = footprints(n)
        for engine in engines:
            started = time.perf_counter()
            html = page_html(engine, frame)
            seconds = time.perf_counter() - started
            (directory / f"{engine}-{n}.html").write_text(html, encoding="utf-8")
            built[f"{engine}-{n}"] = {"build_s": seconds, "page_mb": len(html) / 1e6}
            print(f"built {engine:>8} {n:>7,}: {seconds:.1f} s, page {len(html) / 1e6:.1f} MB",
                  flush=True)
    return built


def summary(runs: list[dict[str, Any]], key: str) -> tuple[float | None, float | None,
                                                           float | None]:
    """Median, min and max of ``key`` over the runs that have it."""
    values = [r[key] for r in runs if r.get(key) is not None]
    if not values:
        return None, None, None
    return statistics.median(values), min(values), max(values)


def _fmt(stats: tuple[float | None, float | None, float | None], unit: str) -> str:
    med, low, high = stats
    if med is None:
        return "timed out"
    if unit == "s":
        return f"{med:.2f} s ({low:.2f}-{high:.2f})"
    suffix = f" {unit}" if unit else ""
    return f"{med:,.0f}{suffix} ({low:,.0f}-{high:,.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--engines", nargs="+", default=["leaflet", "lonboard"],
                        choices=["leaflet", "lonboard"])
    parser.add_argument("--modes", nargs="+", default=["gpu", "software"], choices=list(MODES))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--json", type=Path, help="write every run here")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    runs: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        built = build_pages(args.sizes, args.engines, Path(tmp))
        server, base = serve(Path(tmp))
        try:
            for mode in args.modes:
                print(f"\nmode {mode}: {compositing(pw, mode)}", flush=True)
                for engine in args.engines:  # warm-up, discarded
                    run_once(pw, mode, engine, args.sizes[0],
                             f"{base}/{engine}-{args.sizes[0]}.html", args.timeout)
                for n in args.sizes:
                    for _ in range(args.repeat):
                        for engine in args.engines:  # alternating: load drift hits both
                            result = run_once(pw, mode, engine, n,
                                              f"{base}/{engine}-{n}.html", args.timeout)
                            runs.setdefault(f"{mode}/{engine}-{n}", []).append(result)
                    for engine in args.engines:
                        _print_case(mode, engine, n, runs[f"{mode}/{engine}-{n}"])
        finally:
            server.shutdown()
    _print_targets(args, runs)
    if args.json:
        args.json.write_text(json.dumps({"built": built, "runs": runs}, indent=1),
                             encoding="utf-8")


def _print_case(mode: str, engine: str, n: int, runs: list[dict[str, Any]]) -> None:
    drawn = sorted({r.get("drawn") for r in runs if r.get("first_render_s") is not None},
                   key=str)
    loads = [r["load"] for r in runs]
    line = (f"{mode:>8} {engine:>8} {n:>7,}: on screen "
            f"{_fmt(summary(runs, 'first_render_s'), 's')}, drawn "
            f"{'/'.join(f'{d:,}' if d is not None else '?' for d in drawn)} of {n:,}; "
            f"longest pan task {_fmt(summary(runs, 'longest_task_ms'), 'ms')}; "
            f"longest frame {_fmt(summary(runs, 'longest_frame_ms'), 'ms')}, "
            f"{_fmt(summary(runs, 'frames'), '')} frames; "
            f"main thread {_fmt(summary(runs, 'busy_ms'), 'ms')}, "
            f"script {_fmt(summary(runs, 'script_ms'), 'ms')}; ")
    if engine == "lonboard":
        line += (f"deck.gl redraw on the main thread {_fmt(summary(runs, 'deck_draw_ms'), 'ms')}"
                 f" (max {_fmt(summary(runs, 'deck_draw_max_ms'), 'ms')}, "
                 f"{_fmt(summary(runs, 'deck_draws'), '')} redraws); ")
    print(line + f"load {min(loads):.1f}-{max(loads):.1f}", flush=True)


def _print_targets(args: argparse.Namespace, runs: dict[str, list[dict[str, Any]]]) -> None:
    big = max(args.sizes)
    print("\nratios lonboard / leaflet (medians: first render; longest pan task):")
    for mode in args.modes:
        for n in args.sizes:
            a = summary(runs.get(f"{mode}/leaflet-{n}", []), "first_render_s")[0]
            b = summary(runs.get(f"{mode}/lonboard-{n}", []), "first_render_s")[0]
            c = summary(runs.get(f"{mode}/leaflet-{n}", []), "longest_task_ms")[0]
            d = summary(runs.get(f"{mode}/lonboard-{n}", []), "longest_task_ms")[0]
            print(f"  {mode:>8} {n:>7,}: {_ratio(b, a)}; {_ratio(d, c)}")
    for mode in args.modes:
        lon = runs.get(f"{mode}/lonboard-{big}", [])
        first = summary(lon, "first_render_s")[0]
        task = summary(lon, "longest_task_ms")[0]
        print(f"targets, lonboard at {big:,} ({mode}): on screen <= 3 s: "
              f"{'timed out' if first is None else f'{first:.2f} s'}; no pan task > 100 ms: "
              f"{'n/a' if task is None else f'{task:.0f} ms'}")


def _ratio(ours: float | None, base: float | None) -> str:
    if ours is None or base is None:
        return "n/a"
    return f"{ours / base:.2f}x" if base else f"{ours:.0f} vs 0"


if __name__ == "__main__":
    main()
