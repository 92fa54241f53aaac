"""The schema: one declaration, stable columns/dtypes/CRS whether empty or not."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from geopera_nb.frames import schema
from geopera_nb.frames.schema import SCHEMAS, conform, empty_frame

DOCS = Path(__file__).resolve().parents[2] / "docs" / "frames.md"


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_empty_frame_has_columns_dtypes_and_crs(name: str) -> None:
    spec = SCHEMAS[name]
    frame = empty_frame(name)
    assert list(frame.columns) == spec.names
    assert len(frame) == 0
    for col in spec.columns:
        assert frame[col.name].dtype == schema.pandas_dtype(col.dtype), col.name
    if spec.geometry:
        assert isinstance(frame, gpd.GeoDataFrame)
        assert frame.crs.to_epsg() == 4326
        assert frame.geometry.name == "geometry"
    else:
        assert not isinstance(frame, gpd.GeoDataFrame)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_conform_gives_same_dtypes_with_rows(name: str) -> None:
    spec = SCHEMAS[name]
    frame = conform(pd.DataFrame({"unrelated": [1, 2]}), name,
                    geometry=[None, None] if spec.geometry else None)
    assert len(frame) == 2
    assert list(frame.columns) == spec.names  # unknown columns are not invented
    assert dict(frame.dtypes) == dict(empty_frame(name).dtypes)


def test_conform_parses_datetimes_to_utc_ms() -> None:
    frame = conform({"created_at": ["2026-12-01T10:00:00.000Z", "2026-12-01T12:00:00+02:00",
                                     None]}, "quotations")
    assert str(frame["created_at"].dtype) == "datetime64[ms, UTC]"
    assert frame["created_at"].iloc[0] == frame["created_at"].iloc[1]
    assert frame["created_at"].isna().iloc[2]


def test_every_schema_keeps_unknown_fields() -> None:
    for spec in SCHEMAS.values():
        names = [c.name for c in spec.columns]
        assert "extra" in names or "stac_item" in names, spec.name


def test_docs_table_is_generated_from_the_schema() -> None:
    assert schema.describe_markdown() in DOCS.read_text(encoding="utf-8")


def test_unknown_schema_name_lists_known_ones() -> None:
    with pytest.raises(KeyError, match="orders"):
        empty_frame("nope")
