"""Exported files keep each asset's stable address and drop the live signatures of its
hrefs (issue 13 item 4), unless asked to keep them."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from frames_scenario import Scenario

import geopera_nb.frames as F
from geopera_nb.contract.hrefs import unsigned_href
from geopera_nb.export import export_coverage, export_frames
from geopera_nb.export.layers import drop_signatures
from geopera_nb.export.writers import write_frame

SIGNED = ("exp", "kid", "sig")


@pytest.fixture(scope="module")
def assets(export_scenario: Scenario) -> pd.DataFrame:
    frame = F.assets_frame(export_scenario.client, export_scenario.fulfilled)
    assert len(frame) and all(set(SIGNED) <= set(parse_qs(urlsplit(h).query))
                              for h in frame["visual_href"])
    return frame


def _hrefs(frame: pd.DataFrame) -> list[str]:
    out = [h for c in frame.columns if c.endswith("_href") for h in frame[c] if isinstance(h, str)]
    for text in frame["stac_item"]:
        item = json.loads(text)
        out += [a["href"] for a in item["assets"].values()]
    return out


def _signed(href: str) -> bool:
    return bool(set(SIGNED) & set(parse_qs(urlsplit(href).query)))


def test_geopackage_assets_layer_has_no_signatures(assets: pd.DataFrame, tmp_path: Path) -> None:
    out = export_frames({"assets": assets}, tmp_path / "a.gpkg")["assets"]
    back = pyogrio.read_dataframe(out, layer="assets")
    hrefs = _hrefs(back)
    assert len(hrefs) == 6 * len(assets) and not any(_signed(h) for h in hrefs)
    assert back["visual_href"].tolist() == [unsigned_href(h) for h in assets["visual_href"]]
    assert all(h.endswith("/visual.tif") for h in back["visual_href"])  # the stable id
    assert [i.id for i in F.to_stac(back)] == assets["id"].tolist()
    assert back["visual_checksum"].tolist() == assets["visual_checksum"].tolist()


def test_signatures_kept_when_asked(assets: pd.DataFrame, tmp_path: Path) -> None:
    out = export_frames({"assets": assets}, tmp_path / "s.gpkg", signed_hrefs=True)["assets"]
    back = pyogrio.read_dataframe(out, layer="assets")
    assert back["visual_href"].tolist() == assets["visual_href"].tolist()
    assert all(_signed(h) for h in _hrefs(back))
    single = write_frame(assets, tmp_path / "one.parquet", "assets", signed_hrefs=True)
    assert all(_signed(h) for h in gpd.read_parquet(single)["visual_href"])


def test_geoparquet_and_coverage_exports_drop_them_too(
        export_scenario: Scenario, assets: pd.DataFrame, tmp_path: Path) -> None:
    single = write_frame(assets, tmp_path / "assets.parquet", "assets")
    assert not any(_signed(h) for h in _hrefs(gpd.read_parquet(single)))
    written = export_coverage(export_scenario.client, export_scenario.fulfilled,
                              tmp_path / "coverage.gpkg")
    back = pyogrio.read_dataframe(written["assets"], layer="assets")
    assert len(back) and not any(_signed(h) for h in _hrefs(back))


def test_the_frame_itself_is_not_changed(assets: pd.DataFrame) -> None:
    before = assets["visual_href"].tolist()
    cleaned = drop_signatures(assets)
    assert assets["visual_href"].tolist() == before and cleaned is not assets
    assert cleaned["visual_href"].dtype == assets["visual_href"].dtype
    untouched = pd.DataFrame({"id": ["a"]})
    assert drop_signatures(untouched) is untouched
