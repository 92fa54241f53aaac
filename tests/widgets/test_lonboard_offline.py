"""lonboard's front end with its CDN downloads shipped inside (lonboard issue #457)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from geopera_nb.vendor import VENDORED
from geopera_nb.widgets import _lonboard_offline as offline


def test_the_esm_loads_nothing_from_a_cdn() -> None:
    original = offline.lonboard_esm_path().read_text(encoding="utf-8")
    assert "cdn.jsdelivr.net/npm/parquet-wasm" in original  # what lonboard does itself
    esm = offline.offline_esm()
    assert "cdn.jsdelivr.net/npm/parquet-wasm" not in esm
    assert "cdn.jsdelivr.net/npm/@geoarrow/geoarrow-js" not in esm
    assert "{module_or_path: __gnParquetWasm()}" in esm
    assert '"data:text/javascript;base64,' in esm
    m = offline.offline_map_class()([])
    assert m._esm == esm and m._model_module == "anywidget"


@pytest.fixture
def fresh_esm() -> Iterator[None]:
    """``offline_esm`` built anew for this test (it is cached), and not kept after it."""
    offline.offline_esm.cache_clear()
    yield
    offline.offline_esm.cache_clear()


def test_a_lonboard_asking_for_another_wasm_is_refused(monkeypatch: pytest.MonkeyPatch,
                                                       fresh_esm: None) -> None:
    entry = VENDORED["parquet_wasm_bg.wasm"]
    monkeypatch.setitem(VENDORED, "parquet_wasm_bg.wasm",
                        type(entry)(entry.package, "0.0.1", entry.member, entry.licence, True))
    with pytest.raises(offline.OfflineBundleError, match="parquet-wasm"):
        offline.offline_esm()


def test_the_earcut_worker_lonboard_runs_is_the_faster_build() -> None:
    # lonboard's pool runs the worker text inside its own bundle: that copy is patched
    original = offline.lonboard_esm_path().read_text(encoding="utf-8")
    assert offline._EARCUT_NODE in original
    esm = offline.offline_esm()
    assert offline._EARCUT_NODE not in esm
    assert offline._EARCUT_NODE_FAST in esm
    assert offline._EARCUT_NODE_FAST in offline.earcut_worker()


def test_the_wasm_is_decoded_without_a_call_per_byte() -> None:
    esm = offline.offline_esm()
    assert "Uint8Array.from(atob(" not in esm
    assert "Uint8Array.fromBase64" in esm and "__gnBase64(__gnParquetWasmGz)" in esm


def test_blob_workers_are_not_wrapped_in_a_second_blob() -> None:
    # a blob importing a blob fails on a page opened from a file (origin "null"); the
    # browser test is tests/e2e/test_e2e_offline_layers.py
    esm = offline.offline_esm()
    assert offline._BLOB_WRAP not in esm
    assert esm.count(offline._BLOB_WRAP_FIXED) == 1


def test_a_lonboard_without_the_worker_wrapper_is_refused(monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path,
                                                          fresh_esm: None) -> None:
    original = offline.lonboard_esm_path().read_text(encoding="utf-8")
    moved = tmp_path / "index.js"
    moved.write_text(original.replace(offline._BLOB_WRAP, "typeof i==\"string\"&&isAbs(i)&&("),
                     encoding="utf-8")
    monkeypatch.setattr(offline, "lonboard_esm_path", lambda: moved)
    with pytest.raises(offline.OfflineBundleError, match="worker-URL wrapper"):
        offline.offline_esm()
