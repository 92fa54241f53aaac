"""The rendered-asset cache: content addressed, written atomically, one render per key
even under concurrent requests, and robust to files that went missing or bad."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from geopera_nb.server.state import asset_cache
from geopera_nb.server.state.asset_cache import AssetCache, cache_for

Made = dict[str, tuple[bytes, str, str]]


def _render(calls: list[int], delay: float = 0.0) -> Callable[[], Made]:
    def make() -> dict[str, tuple[bytes, str, str]]:
        calls.append(1)
        time.sleep(delay)
        return {"a": (b"alpha" * 100, "image/tiff", ".tif"), "b": (b"beta", "image/png", ".png")}
    return make


def test_content_addressed_and_indexed(tmp_path: Path) -> None:
    cache = AssetCache(tmp_path)
    calls: list[int] = []
    made = cache.get_or_make(("v1", 0, "cap"), ["a", "b"], _render(calls))
    assert made["a"].path.name == made["a"].digest + ".tif" and made["a"].size == 500
    assert made["a"].checksum == "1220" + made["a"].digest
    assert made["a"].path.read_bytes() == b"alpha" * 100
    again = cache.get_or_make(("v1", 0, "cap"), ["a", "b"], _render(calls))
    assert again == made and len(calls) == 1 and cache.renders == 1
    # a fresh process (a new cache object) finds the files through the index on disk
    fresh = AssetCache(tmp_path)
    assert fresh.get_or_make(("v1", 0, "cap"), ["a", "b"], _render(calls)) == made
    assert len(calls) == 1
    # the same bytes under another key are stored once
    cache.get_or_make(("v1", 1, "cap"), ["a", "b"], _render(calls))
    assert len(list(tmp_path.glob("*.tif"))) == 1 and len(list((tmp_path / "index").iterdir())) == 4
    assert not list(tmp_path.rglob("*.part"))


def test_concurrent_requests_render_once(tmp_path: Path) -> None:
    cache = AssetCache(tmp_path)
    calls: list[int] = []
    results = []
    barrier = threading.Barrier(8)

    def ask() -> None:
        barrier.wait()
        results.append(cache.get_or_make(("v1", 0, "busy"), ["a", "b"], _render(calls, 0.05)))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and all(r == results[0] for r in results)


def test_missing_or_bad_files_are_made_again(tmp_path: Path) -> None:
    cache = AssetCache(tmp_path)
    calls: list[int] = []
    made = cache.get_or_make(("k",), ["a", "b"], _render(calls))
    made["b"].path.unlink()
    assert cache.lookup(("k", "b")) is None
    cache.get_or_make(("k",), ["a", "b"], _render(calls))
    assert len(calls) == 2 and made["b"].path.exists()
    made["a"].path.write_bytes(b"short")  # truncated or replaced: not what the index says
    assert cache.lookup(("k", "a")) is None
    for index in (tmp_path / "index").iterdir():
        index.write_text("{not json")
    assert AssetCache(tmp_path).lookup(("k", "a")) is None


def test_clear_forgets_everything(tmp_path: Path) -> None:
    cache = AssetCache(tmp_path)
    calls: list[int] = []
    cache.get_or_make(("k",), ["a", "b"], _render(calls))
    assert cache.clear() == 2 and not list(tmp_path.glob("*.*"))
    assert cache.lookup(("k", "a")) is None
    cache.get_or_make(("k",), ["a", "b"], _render(calls))
    assert len(calls) == 2


def test_memory_index_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(asset_cache, "ASSET_INDEX_MEMORY_MAX", 3)
    cache = AssetCache(tmp_path)
    for i in range(10):
        cache.put(("k", i), f"x{i}".encode(), "text/plain", ".txt")
    assert len(cache._memory) <= 3
    assert cache.lookup(("k", 0)) is not None  # still on disk


def test_one_cache_per_data_directory(tmp_path: Path) -> None:
    assert cache_for(tmp_path) is cache_for(tmp_path / "x" / "..")
    assert cache_for(tmp_path).root == (tmp_path / "assets").resolve()
