"""lonboard's front end with its CDN downloads shipped inside (lonboard issue #457)."""

from __future__ import annotations

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


def test_a_lonboard_asking_for_another_wasm_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    entry = VENDORED["parquet_wasm_bg.wasm"]
    monkeypatch.setitem(VENDORED, "parquet_wasm_bg.wasm",
                        type(entry)(entry.package, "0.0.1", entry.member, entry.licence, True))
    offline.offline_esm.cache_clear()
    try:
        with pytest.raises(offline.OfflineBundleError, match="parquet-wasm"):
            offline.offline_esm()
    finally:
        offline.offline_esm.cache_clear()
