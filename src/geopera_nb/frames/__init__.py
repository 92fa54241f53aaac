"""API results as GeoDataFrames with stable, documented columns and dtypes.

Every frame's columns are declared once in :mod:`geopera_nb.frames.schema`; an empty
result still has all its columns, dtypes and (for spatial frames) CRS ``EPSG:4326``.
Frames whose API answer has no geometry (studies, quotations, decisions, sensors,
templates, estimates) are plain :class:`pandas.DataFrame` objects.

Examples
--------
>>> from geopera_nb import frames
>>> frames.empty_frame("assets").crs.to_epsg()
4326
>>> len(frames.empty_frame("assets").geopera.to_stac())  # the frame.geopera accessor
0
"""

from __future__ import annotations

from geopera_nb.frames.accessor import GeoperaAccessor  # registers frame.geopera
from geopera_nb.frames.assets import (
    assets_frame,
    assets_frame_from_items,
    assets_frame_from_ndjson,
    assets_frame_from_stac,
    to_stac,
)
from geopera_nb.frames.catalog import catalog_frame, catalog_frame_from_features
from geopera_nb.frames.coverage import (
    coverage_frame,
    coverage_from_answer,
    coverage_groups_frame,
    coverage_groups_from_answer,
)
from geopera_nb.frames.decisions import (
    decisions_frame,
    decisions_frame_from_records,
    quotations_frame,
    studies_frame,
    studies_frame_from_records,
)
from geopera_nb.frames.estimates import (
    archive_estimate_frame,
    estimate_frame,
    tasking_estimate_frame,
)
from geopera_nb.frames.orders import orders_frame, orders_frame_from_records
from geopera_nb.frames.planning import (
    opportunities_frame,
    opportunities_frame_from_features,
    sensors_frame,
    sensors_frame_from_records,
    templates_frame,
)
from geopera_nb.frames.schema import SCHEMAS, empty_frame, get_schema

__all__ = [
    "SCHEMAS",
    "GeoperaAccessor",
    "archive_estimate_frame",
    "assets_frame",
    "assets_frame_from_items",
    "assets_frame_from_ndjson",
    "assets_frame_from_stac",
    "catalog_frame",
    "catalog_frame_from_features",
    "coverage_frame",
    "coverage_from_answer",
    "coverage_groups_frame",
    "coverage_groups_from_answer",
    "decisions_frame",
    "decisions_frame_from_records",
    "empty_frame",
    "estimate_frame",
    "get_schema",
    "opportunities_frame",
    "opportunities_frame_from_features",
    "orders_frame",
    "orders_frame_from_records",
    "quotations_frame",
    "sensors_frame",
    "sensors_frame_from_records",
    "studies_frame",
    "studies_frame_from_records",
    "tasking_estimate_frame",
    "templates_frame",
    "to_stac",
]
