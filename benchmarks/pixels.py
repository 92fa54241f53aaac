"""Benchmark: delivered imagery, from the sandbox's renderer to an ``xarray.Dataset``.

Run ``python benchmarks/pixels.py`` (``--captures N``, ``--repeat R``). It starts an
embedded sandbox (seed 0), places tasking orders over one AOI with one sensor until
they hold N captures (default 20; the sandbox delivers 2-5 captures per order, so "one
order of 20" is several orders read as one time series: 10 for this AOI), fulfils
them, then measures:

Section 1 (the sandbox's asset serving): time to list the orders' assets the first time
(every capture rendered: the set-up's renders are forgotten first) and again (cached:
nothing rendered, checked), their ratio, and one ``render_capture`` in process (median
CPU and wall milliseconds per capture, against a 100 ms target).

Section 2 (pixels):

- download throughput: :func:`geopera_nb.download_assets` (concurrent, Range-resumable,
  sha256-verified, ``.part`` + rename, local STAC catalogue) against a raw ``httpx``
  stream of the same bytes into files, same concurrency, same destination filesystem
  (``--downloads DIR``, default the run's temporary folder), target >= 0.9x: best of
  ``--pairs`` paired runs (default 21) after a warm-up of each, fresh folders removed
  outside the clock, the order alternating; printed with the medians, the median of the
  paired ratios, the load average and what creating one file costs on that filesystem;
- ``gn.load`` of the downloaded local catalogue against ``odc.stac.load`` called
  directly on the same local Items with the same bands and grouping (target <= 1.2x);
  and, for information, the same pair over HTTP from the signed hrefs.

Method: wall clock (``time.perf_counter``), best of ``--repeat`` alternating runs, after
one warm-up of each (the sandbox renders each file once, GDAL opens its caches); the
downloads as above. Prints the figures and the ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import gc
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", category=PendingDeprecationWarning)

#: the AOI and sensor of the benchmark's orders (as notebooks/06-pixels.ipynb)
AOI = (146.02, -34.33, 146.12, -34.25)
SENSOR = "geo-heron-1m"


@dataclass
class Scenario:
    """The sandbox, its client, the orders and the N captures (an assets frame)."""

    sandbox: Any
    client: Any
    order_ids: list[str]
    assets: Any  # GeoDataFrame of exactly N captures
    workdir: Path

    @property
    def hrefs(self) -> list[str]:
        return [str(h) for h in self.assets["visual_href"]]

    @property
    def total_bytes(self) -> int:
        return int(self.assets["visual_size"].sum())


def build(captures: int, workdir: Path) -> Scenario:
    """Orders over :data:`AOI` until they hold ``captures`` captures, all fulfilled."""
    from shapely.geometry import box

    import geopera_nb as gn

    sandbox = gn.sandbox.start(seed=0, data_dir=workdir / "sandbox",
                               rate_limits={"general": 10**6, "placement": 10**6,
                                            "spend": 10**6})
    org = sandbox.create_org(name="Pixels benchmark", credits=100_000_000)
    client = sandbox.client(org)
    order_ids: list[str] = []
    held = 0
    while held < captures:
        now = dt.datetime.fromisoformat(sandbox.now())
        start = (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        placed = client.orders.tasking.place(groups=[{
            "sensor": SENSOR, "featureCollection": box(*AOI),
            "start": start.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "end": (start + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%S.000Z")}])
        order_id = placed["results"][0]["id"]
        client.wait_for(order_id, until=("QUOTATION_WAITING_RESPONSE",), timeout=6 * 3600,
                        poll=60, progress=False)
        quote = next(client.stream("orders.tasking.quotations.list", {"orderId": order_id}))
        client.orders.tasking.quotation_decide(quotation_id=quote["id"], decision="ACCEPTED")
        client.wait_for(order_id, until=("FULFILLED",), timeout=14 * 24 * 3600, poll=3600,
                        progress=False)
        order_ids.append(order_id)
        held += len(gn.assets_frame(client, order_id))
    assets = gn.assets_frame(client, order_ids).sort_values("datetime").head(captures)
    return Scenario(sandbox, client, order_ids, assets.reset_index(drop=True), workdir)


def best(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


# =========================================================================================
# Section 1: the sandbox's delivery time (asset-serving work).
# =========================================================================================


def _asset_cache(scenario: Scenario) -> Any:
    from geopera_nb.server.state.asset_cache import cache_for

    return cache_for(scenario.sandbox.data_dir)


def _list_all_assets(scenario: Scenario) -> float:
    """Seconds to list the assets of every order (what renders files that are missing)."""
    t0 = time.perf_counter()
    for order_id in scenario.order_ids:
        scenario.client.orders.list_assets(order_id=order_id)
    return time.perf_counter() - t0


def sandbox_render_first(scenario: Scenario) -> float | None:
    """Seconds to deliver the orders' data files the first time (rendered).

    The set-up already listed the orders, so the cache is emptied first (files and
    index); the listing then renders every capture of the orders (all its files).
    """
    cache = _asset_cache(scenario)
    cache.clear()
    before = cache.renders
    seconds = _list_all_assets(scenario)
    scenario.rendered = cache.renders - before  # type: ignore[attr-defined]
    return seconds


def sandbox_render_cached(scenario: Scenario) -> float | None:
    """Seconds to deliver the same files again (cached: nothing is rendered)."""
    cache = _asset_cache(scenario)
    before = cache.renders
    seconds = _list_all_assets(scenario)
    if cache.renders != before:
        raise AssertionError("the cached listing rendered files")
    return seconds


def sandbox_render_per_capture(scenario: Scenario) -> tuple[float, float]:
    """Median CPU and wall milliseconds of one ``render_capture`` (in process, no HTTP)."""
    import statistics

    from geopera_nb.server.domain.imagery import render_capture
    from geopera_nb.server.service.assets import _sensor_of
    from geopera_nb.server.state import delivery_store

    backend = scenario.sandbox.backend
    cpu, wall = [], []
    for order_id in scenario.order_ids:
        order = scenario.client.orders.get(order_id=order_id)  # names its sensor
        for d in delivery_store.delivered(backend.store, order_id):
            sensor = _sensor_of(backend, order, d)
            c, w = time.process_time(), time.perf_counter()
            render_capture(backend.seed, d, sensor)
            cpu.append((time.process_time() - c) * 1000)
            wall.append((time.perf_counter() - w) * 1000)
    return statistics.median(cpu), statistics.median(wall)


# =========================================================================================
# Section 2: pixels (download_assets and gn.load). Owned by geopera_nb.pixels.
# =========================================================================================

CONCURRENCY = 4


def raw_httpx_download(scenario: Scenario, dest: Path) -> int:
    """The baseline: stream each file with httpx into ``dest``, CONCURRENCY at a time."""
    import httpx

    dest.mkdir(parents=True, exist_ok=True)
    # the TLS context is made once, outside the timing (download_assets caches its own)
    with httpx.Client(timeout=60.0, verify=_baseline_tls(),
                      limits=httpx.Limits(max_connections=CONCURRENCY)) as http:
        def one(pair: tuple[int, str]) -> int:
            i, href = pair
            n = 0
            with http.stream("GET", href) as response, (dest / f"{i}.tif").open("wb") as fh:
                response.raise_for_status()
                for chunk in response.iter_bytes():
                    fh.write(chunk)
                    n += len(chunk)
            return n

        with ThreadPoolExecutor(CONCURRENCY) as pool:
            return sum(pool.map(one, enumerate(scenario.hrefs)))


@functools.lru_cache(maxsize=1)
def _baseline_tls() -> Any:
    import httpx

    return httpx.create_ssl_context()


def ours_download(scenario: Scenario, dest: Path) -> Any:
    import geopera_nb as gn

    return gn.download_assets(scenario.assets, dest, assets=["visual"],
                              concurrency=CONCURRENCY, progress=False)


def _paired(raw: Callable[[Path], Any], ours: Callable[[Path], Any], root: Path,
            pairs: int, keep: bool = True) -> tuple[list[float], list[float]]:
    """Seconds of ``pairs`` paired runs of both, after one warm-up of each.

    Fair to both: each run writes into a new, empty folder under ``root`` (the same
    filesystem for both); the order alternates (raw first, then ours first) so neither
    always runs on the caches or the CPU the other just left; garbage is collected before
    each clock starts. With ``keep`` the folders stay until the end (no file is deleted
    between runs: on this machine's ext4, mounted ``discard``, a deletion makes the next
    file creations slower for a while, and ours creates three files per file where raw
    creates one); without it each is removed before the next run, outside the clock.
    """
    runs = iter(range(10**9))

    def timed(fn: Callable[[Path], Any], name: str) -> float:
        path = root / f"{name}-{next(runs)}"
        gc.collect()
        t0 = time.perf_counter()
        fn(path)
        seconds = time.perf_counter() - t0
        if not keep:
            shutil.rmtree(path, ignore_errors=True)
        return seconds

    timed(raw, "raw"), timed(ours, "ours")  # warm-up: imports, connections, server caches
    raw_times, ours_times = [], []
    for i in range(pairs):
        if i % 2:
            ours_times.append(timed(ours, "ours"))
            raw_times.append(timed(raw, "raw"))
        else:
            raw_times.append(timed(raw, "raw"))
            ours_times.append(timed(ours, "ours"))
    for path in root.glob("*-*"):
        shutil.rmtree(path, ignore_errors=True)
    return raw_times, ours_times


def _ratios(mb: float, raw_times: list[float], ours_times: list[float]) -> dict[str, float]:
    raw_t, ours_t = min(raw_times), min(ours_times)
    return {"MB": mb, "raw_s": raw_t, "ours_s": ours_t, "raw_MBps": mb / raw_t,
            "ours_MBps": mb / ours_t, "ratio": raw_t / ours_t,
            "raw_median_s": statistics.median(raw_times),
            "ours_median_s": statistics.median(ours_times),
            "median_ratio": statistics.median(r / o for r, o in
                                              zip(raw_times, ours_times, strict=True)),
            "pairs": float(len(raw_times))}


def file_creation_us(root: Path, n: int = 200) -> float:
    """Median microseconds to create (and close) one empty file under ``root``.

    Printed beside the download figures: ``download_assets`` creates three inodes per
    file where the raw stream creates one (the Item's folder, its ``.part`` and its
    Item JSON, the layout and the atomic writes ask for that), so a filesystem where
    creating a file is slow (seen here: 10-30 us most of the time, 200-600 us at others,
    in the same folder) moves the ratio by itself.
    """
    probe = root / "create-probe"
    shutil.rmtree(probe, ignore_errors=True)
    probe.mkdir(parents=True)
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        os.close(os.open(probe / f"{i}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        times.append(time.perf_counter() - t0)
    shutil.rmtree(probe, ignore_errors=True)
    return statistics.median(times) * 1e6


def download_throughput(scenario: Scenario, pairs: int, root: Path) -> dict[str, float]:
    """MB/s of both, into folders under ``root``: best of ``pairs`` paired runs, the
    medians, and the median of the paired ratios (steadier on a shared machine)."""
    raw_times, ours_times = _paired(lambda d: raw_httpx_download(scenario, d),
                                    lambda d: ours_download(scenario, d), root, pairs)
    return _ratios(scenario.total_bytes / 1e6, raw_times, ours_times)


def big_files_throughput(workdir: Path, root: Path, files: int = 20, mb_each: int = 25,
                         pairs: int = 3) -> dict[str, float]:
    """The same pair on larger files (a loopback server of in-memory bytes): where the
    bytes, not the per-call setup, set the time. For information."""
    import hashlib
    import http.server
    import threading

    import pandas as pd

    import geopera_nb as gn

    blob = os.urandom(mb_each * 1024 * 1024)

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(blob)))
            self.end_headers()
            self.wfile.write(blob)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    checksum = "1220" + hashlib.sha256(blob).hexdigest()
    frame = pd.DataFrame({"id": [f"big-{i}" for i in range(files)],
                          "visual_href": [f"{url}/big-{i}/visual.tif" for i in range(files)],
                          "visual_checksum": checksum, "visual_size": len(blob)})
    fake = Scenario(None, None, [], frame, workdir)
    try:
        raw_times, ours_times = _paired(
            lambda d: raw_httpx_download(fake, d),
            lambda d: gn.download_assets(frame, d, assets=["visual"], concurrency=CONCURRENCY,
                                         progress=False), root, pairs, keep=False)
    finally:
        httpd.shutdown()
        httpd.server_close()
    return _ratios(files * len(blob) / 1e6, raw_times, ours_times)


def load_time(scenario: Scenario, repeat: int) -> dict[str, float]:
    """gn.load vs odc.stac.load on the same Items: local catalogue, then over HTTP."""
    import odc.stac
    import pystac
    import rasterio

    import geopera_nb as gn
    from geopera_nb.export import read_local_catalog
    from geopera_nb.pixels import gdal_options

    dest = scenario.workdir / "catalogue"
    shutil.rmtree(dest, ignore_errors=True)
    ours_download(scenario, dest)
    local = read_local_catalog(dest)
    remote = [pystac.Item.from_dict(orjson_loads(s)) for s in scenario.assets["stac_item"]]
    bands = list(gn.load(None, scenario.order_ids, catalog=dest).data_vars)

    def direct(items: list[Any]) -> Any:
        with rasterio.Env(**gdal_options()):
            return odc.stac.load(items, bands=bands, groupby="solar_day")

    def ours_local() -> Any:
        return gn.load(None, scenario.order_ids, catalog=dest)

    def ours_http() -> Any:
        return scenario.assets.gn.load(catalog=False)

    out: dict[str, float] = {}
    for name, ours, theirs in (("local", ours_local, lambda: direct(local)),
                               ("http", ours_http, lambda: direct(remote))):
        a, b = ours(), theirs()  # warm-up, and the same numbers
        assert all(bool((a[v] == b[v]).all()) for v in bands), name
        ours_t = theirs_t = float("inf")
        for _ in range(repeat):
            ours_t = min(ours_t, best(ours, 1))
            theirs_t = min(theirs_t, best(theirs, 1))
        out[f"{name}_gn_s"] = ours_t
        out[f"{name}_odc_s"] = theirs_t
        out[f"{name}_ratio"] = ours_t / theirs_t
        out[f"{name}_shape"] = float(a.sizes["time"] * a.sizes["y"] * a.sizes["x"])
    return out


def orjson_loads(text: str) -> Any:
    import orjson

    return orjson.loads(text)


# =========================================================================================


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--captures", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pairs", type=int, default=21,
                        help="paired download runs (each well under a second)")
    parser.add_argument("--downloads", type=Path, default=None,
                        help="folder both downloads write under (default: the run's "
                             "temporary folder)")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="geopera-pixels-bench-"))
    cwd = os.getcwd()
    os.chdir(workdir)  # gn.load's default catalogue directory must not be the repo's
    try:
        t0 = time.perf_counter()
        scenario = build(args.captures, workdir)
        print(f"{len(scenario.assets)} captures in {len(scenario.order_ids)} orders "
              f"({scenario.total_bytes / 1e6:.1f} MB of COGs), set up in "
              f"{time.perf_counter() - t0:.1f} s")
        first, cached = sandbox_render_first(scenario), sandbox_render_cached(scenario)
        print("\nSection 1: sandbox delivery")
        if first is None or cached is None:
            print("  render time: not measured yet (stub)")
        else:
            rendered = getattr(scenario, "rendered", 0)
            print(f"  list_assets of {len(scenario.order_ids)} orders ({rendered} captures "
                  f"rendered): first {first:.2f} s, cached {cached:.2f} s "
                  f"(first / cached {first / cached:.1f}x)")
            cpu_ms, wall_ms = sandbox_render_per_capture(scenario)
            print(f"  render_capture per capture: {cpu_ms:.0f} ms CPU, {wall_ms:.0f} ms wall "
                  f"({cpu_ms / 100:.2f}x the 100 ms target)")
        print("\nSection 2: pixels")
        root = Path(tempfile.mkdtemp(prefix="downloads-", dir=args.downloads or workdir))
        try:
            load, create = os.getloadavg()[0], file_creation_us(root)
            d = download_throughput(scenario, args.pairs, root)
            print(f"  download {d['MB']:.1f} MB into {root.parent} (load average {load:.1f}, "
                  f"creating a file there {create:.0f} us): download_assets "
                  f"{d['ours_s']:.3f} s ({d['ours_MBps']:.0f} MB/s) vs raw httpx "
                  f"{d['raw_s']:.3f} s ({d['raw_MBps']:.0f} MB/s): throughput ratio "
                  f"{d['ratio']:.2f}x best-of {d['pairs']:.0f} pairs, medians "
                  f"{d['ours_median_s']:.3f} vs {d['raw_median_s']:.3f} s, "
                  f"{d['median_ratio']:.2f}x median of pairs (target >= 0.9x)")
            big = big_files_throughput(workdir, root)
            print(f"  download {big['MB']:.0f} MB (20 files of 25 MiB, loopback): "
                  f"download_assets {big['ours_MBps']:.0f} MB/s vs raw httpx "
                  f"{big['raw_MBps']:.0f} MB/s: {big['ratio']:.2f}x best-of, "
                  f"{big['median_ratio']:.2f}x median of pairs "
                  f"(load average {os.getloadavg()[0]:.1f})")
        finally:
            shutil.rmtree(root, ignore_errors=True)
        lt = load_time(scenario, args.repeat)
        for name in ("local", "http"):
            target = " (target <= 1.2x)" if name == "local" else ""
            print(f"  load ({name}, {lt[f'{name}_shape']:,.0f} pixels per band): gn.load "
                  f"{lt[f'{name}_gn_s']:.3f} s vs odc.stac.load {lt[f'{name}_odc_s']:.3f} s: "
                  f"{lt[f'{name}_ratio']:.2f}x{target}")
        scenario.client.close()
        scenario.sandbox.stop()
    finally:
        os.chdir(cwd)
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
