"""The one declaration of every frame's columns, dtypes, geometry and CRS.

Each frame built by :mod:`geopera_nb.frames` is conformed to a :class:`FrameSchema`
declared here, so a frame has the same columns in the same order with the same dtypes
whether it holds 0 rows or 100,000.

Dtype conventions
-----------------
- text: pandas ``"string"`` (nullable, missing = ``pd.NA``);
- integers: ``"Int64"``; floats: ``"Float64"``; flags: ``"boolean"``;
- timestamps: ``datetime64[ms, UTC]`` (the API sends millisecond ISO 8601 UTC);
- lists and dicts (``tags``, ``bands``, ``options``...): ``object`` holding Python lists/dicts;
- geometry (frames whose API answer has one): a ``geometry`` column in ``EPSG:4326``.

Unknown fields
--------------
Fields the API sends that a schema does not know are never dropped: they are kept in
the ``extra`` column (a dict per row, ``None`` when there are none). The assets frame
also keeps each STAC Item verbatim (``stac_item``, its JSON text) and adds columns for
asset keys beyond ``visual``/``thumbnail``/``metadata``.

Column names: the orders frame keeps the API's field names (``displayName``,
``createdAt``...) for the fields it copies as they are; every other frame and every
derived or flattened column (``credits_reserved``, ``aoi_km2``, ``option_id``) is
snake_case.

Examples
--------
>>> from geopera_nb.frames.schema import empty_frame, SCHEMAS
>>> frame = empty_frame("coverage_groups")
>>> list(frame.columns)[:3], len(frame), frame.crs.to_epsg()
(['order_id', 'index', 'name'], 0, 4326)
>>> str(frame["requested_km2"].dtype)
'Float64'
>>> empty_frame("sensors").__class__.__name__
'DataFrame'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geopera_nb.frames._dtypes import (
    BOOL,
    CRS,
    DATETIME,
    FLOAT,
    INT,
    OBJECT,
    STRING,
    as_dtype,
    empty_series,
    pandas_dtype,
)

__all__ = [
    "ASSETS",
    "ASSET_FIELDS",
    "ASSET_KEYS",
    "BOOL",
    "CRS",
    "DATETIME",
    "FLOAT",
    "INT",
    "OBJECT",
    "SCHEMAS",
    "STRING",
    "Column",
    "FrameSchema",
    "as_dtype",
    "conform",
    "describe_markdown",
    "empty_frame",
    "empty_series",
    "get_schema",
    "pandas_dtype",
]

#: STAC asset keys that always get columns in the assets frame
ASSET_KEYS: tuple[str, ...] = ("visual", "thumbnail", "metadata")
#: per asset key: column suffix -> (asset field, dtype)
ASSET_FIELDS: dict[str, tuple[str, str]] = {
    "href": ("href", STRING),
    "type": ("type", STRING),
    "checksum": ("file:checksum", STRING),
    "size": ("file:size", INT),
}


@dataclass(frozen=True)
class Column:
    """One column: its name, dtype and where it comes from in an API record.

    Parameters
    ----------
    name : str
        Column name in the frame.
    dtype : str
        A pandas dtype string (``"string"``, ``"Int64"``, ``"Float64"``, ``"boolean"``,
        ``"datetime64[ms, UTC]"`` or ``"object"``).
    path : tuple of str
        Keys leading to the value inside one API record; empty when the column is
        derived by the builder.
    doc : str
        What the column holds.
    """

    name: str
    dtype: str
    path: tuple[str, ...] = ()
    doc: str = ""


def _c(name: str, dtype: str, *path: str, doc: str = "") -> Column:
    return Column(name, dtype, tuple(path), doc)


@dataclass(frozen=True)
class FrameSchema:
    """A frame's columns (in order) and whether it has a geometry column.

    Parameters
    ----------
    name : str
        The frame's name (``"orders"``, ``"assets"``...).
    columns : tuple of Column
        Attribute columns, in order (the geometry column, if any, comes last).
    geometry : bool
        Whether the frame is a GeoDataFrame with a ``geometry`` column in EPSG:4326.
    doc : str
        One line describing a row.
    consumed : tuple of str
        Top-level record keys read by the builder besides those in column paths (they
        do not go to ``extra``).
    """

    name: str
    columns: tuple[Column, ...]
    geometry: bool
    doc: str
    consumed: tuple[str, ...] = field(default=())

    @property
    def names(self) -> list[str]:
        """Column names in order, ``geometry`` last for spatial frames."""
        return [c.name for c in self.columns] + (["geometry"] if self.geometry else [])

    @property
    def dtypes(self) -> dict[str, str]:
        """Column name -> dtype string (attribute columns only)."""
        return {c.name: c.dtype for c in self.columns}

    @property
    def known_keys(self) -> frozenset[str]:
        """Top-level record keys this schema maps (the rest goes to ``extra``)."""
        keys = {c.path[0] for c in self.columns if c.path}
        return frozenset(keys | set(self.consumed))


_EXTRA = _c("extra", OBJECT, doc="unknown fields of the record (dict) or None")

ORDERS = FrameSchema(
    "orders",
    (
        _c("id", STRING, "id"),
        _c("displayName", STRING, "displayName"),
        _c("type", STRING, "type", doc="TASKING or ARCHIVE"),
        _c("status", STRING, "status"),
        _c("subStatus", STRING, "subStatus"),
        _c("statusReason", STRING, "statusReason"),
        _c("dataProductId", STRING, "dataProductId"),
        _c("sensor", STRING, "sensor"),
        _c("tags", OBJECT, "tags", doc="list of str"),
        _c("credits_estimated", INT, "credits", "estimated"),
        _c("credits_reserved", INT, "credits", "reserved"),
        _c("credits_charged", INT, "credits", "charged"),
        _c("credits_refunded", INT, "credits", "refunded"),
        _c("aoi_km2", FLOAT, "aoiKm2", doc="geodesic AOI area (server's)"),
        _c("window_start", DATETIME, "orderDetails", "window", "start"),
        _c("window_end", DATETIME, "orderDetails", "window", "end"),
        _c("createdAt", DATETIME, "createdAt"),
        _c("updatedAt", DATETIME, "updatedAt"),
        _c("workspaceId", STRING, "workspaceId"),
        _c("organizationId", STRING, "organizationId"),
        _c("orderDetails", OBJECT, "orderDetails", doc="params, featureCollection, captures, window"),
        _EXTRA,
    ),
    geometry=True,
    doc="one row per order; geometry = its AOI",
    consumed=("geometry",),
)

COVERAGE_GROUPS = FrameSchema(
    "coverage_groups",
    (
        _c("order_id", STRING, doc="the order the group belongs to"),
        _c("index", INT, "index"),
        _c("name", STRING, "name"),
        _c("requested_km2", FLOAT, "requestedKm2"),
        _c("delivered_km2", FLOAT, "deliveredKm2"),
        _c("covered_fraction", FLOAT, "coveredFraction"),
        _c("capture_count", INT, "captureCount"),
        _EXTRA,
    ),
    geometry=True,
    doc="one row per AOI group of a tasking order; geometry = requested AOI",
    consumed=("geometry",),
)

COVERAGE = FrameSchema(
    "coverage",
    (
        _c("order_id", STRING),
        _c("part", STRING, "part", doc="requested, covered or remainder"),
        _c("area_km2", FLOAT, doc="geodesic area recomputed with pyproj.Geod (WGS84)"),
        _c("api_area_km2", FLOAT, "areaKm2", doc="the server's areaKm2"),
        _c("status", STRING, doc="the order's status when read"),
        _c("covered_fraction", FLOAT, doc="order-level coveredFraction"),
        _c("capture_count", INT, doc="order-level captureCount"),
        _EXTRA,
    ),
    geometry=True,
    doc="three rows per order (requested, covered, remainder); empty parts have empty geometry",
    consumed=("geometry", "type"),
)

_ASSET_COLUMNS = tuple(
    _c(f"{key}_{suffix}", dtype, doc=f"assets.{key}.{source}")
    for key in ASSET_KEYS
    for suffix, (source, dtype) in ASSET_FIELDS.items()
)

ASSETS = FrameSchema(
    "assets",
    (
        _c("id", STRING, "id"),
        _c("order_id", STRING, "properties", "geopera:order_id"),
        _c("collection", STRING, "collection"),
        _c("datetime", DATETIME, "properties", "datetime"),
        _c("sensor", STRING, "properties", "geopera:sensor"),
        _c("platform", STRING, "properties", "platform"),
        _c("constellation", STRING, "properties", "constellation"),
        _c("cloud_cover", FLOAT, "properties", "eo:cloud_cover"),
        _c("off_nadir", FLOAT, "properties", "view:off_nadir"),
        _c("gsd", FLOAT, "properties", "gsd"),
        _c("group_index", INT, "properties", "geopera:group_index"),
        *_ASSET_COLUMNS,
        _c("stac_item", STRING, doc="the STAC Item verbatim (JSON text), for to_stac()"),
    ),
    geometry=True,
    doc="one row per delivered STAC Item; geometry = footprint; extra asset keys add columns",
)

STUDIES = FrameSchema(
    "studies",
    (
        _c("study_id", STRING, "id"),
        _c("order_id", STRING, "orderId"),
        _c("workspace_id", STRING, "workspaceId"),
        _c("sensor", STRING, "sensor"),
        _c("decision", STRING, "decision"),
        _c("accepted_option_id", STRING, "acceptedOptionId"),
        _c("created_at", DATETIME, "createdAt"),
        _c("decided_at", DATETIME, "decidedAt"),
        _c("option_id", STRING, "options", "id"),
        _c("description", STRING, "options", "description"),
        _c("priority", STRING, "options", "priority"),
        _c("start", DATETIME, "options", "start"),
        _c("end", DATETIME, "options", "end"),
        _c("passes", INT, "options", "passes"),
        _c("credits", INT, "options", "credits"),
        _c("aud", FLOAT, "options", "aud"),
        _c("accepted", BOOL, doc="option_id == accepted_option_id"),
        _EXTRA,
    ),
    geometry=False,
    doc="one row per feasibility-study option (a study without options: one row, null option)",
)

QUOTATIONS = FrameSchema(
    "quotations",
    (
        _c("id", STRING, "id"),
        _c("order_id", STRING, "orderId"),
        _c("workspace_id", STRING, "workspaceId"),
        _c("decision", STRING, "decision"),
        _c("credits", INT, "credits"),
        _c("aud", FLOAT, "aud"),
        _c("created_at", DATETIME, "createdAt"),
        _c("decided_at", DATETIME, "decidedAt"),
        _c("valid_until", DATETIME, "validUntil"),
        _EXTRA,
    ),
    geometry=False,
    doc="one row per quotation",
)

DECISIONS = FrameSchema(
    "decisions",
    (
        _c("kind", STRING, "kind", doc="feasibility or quotation"),
        _c("id", STRING, "id"),
        _c("order_id", STRING, "orderId"),
        _c("order_display_name", STRING, "orderDisplayName"),
        _c("decision", STRING, "decision"),
        _c("sensor", STRING, "sensor"),
        _c("credits", INT, "credits", doc="quotations only"),
        _c("aud", FLOAT, "aud", doc="quotations only"),
        _c("option_count", INT, doc="studies only"),
        _c("options", OBJECT, "options", doc="studies only: list of option dicts"),
        _c("created_at", DATETIME, "createdAt"),
        _c("valid_until", DATETIME, "validUntil"),
        _c("workspace_id", STRING, "workspaceId"),
        _EXTRA,
    ),
    geometry=False,
    doc="one row per pending decision (study or quotation), newest first",
    consumed=("decidedAt", "acceptedOptionId"),
)

OPPORTUNITIES = FrameSchema(
    "opportunities",
    (
        _c("id", STRING, "id"),
        _c("datetime", DATETIME, "properties", "datetime"),
        _c("satellite", STRING, "properties", "satellite"),
        _c("sensor", STRING, "properties", "sensor"),
        _c("off_nadir_deg", FLOAT, "properties", "offNadirDeg"),
        _c("direction", STRING, "properties", "direction"),
        _c("feature_index", INT, "properties", "featureIndex"),
        _c("sun_elevation_deg", FLOAT, "properties", "sunElevationDeg"),
        _EXTRA,
    ),
    geometry=True,
    doc="one row per predicted pass; geometry = the accessible swath",
    consumed=("geometry", "type"),
)

SENSORS = FrameSchema(
    "sensors",
    (
        _c("id", STRING, "id"),
        _c("name", STRING, "name"),
        _c("data_product_id", STRING, "dataProductId"),
        _c("resolution_m", FLOAT, "resolutionM"),
        _c("bands", OBJECT, "bands"),
        _c("price_per_km2", INT, "pricePerKm2", doc="credits per km2"),
        _c("price_aud_per_km2", FLOAT, "priceAudPerKm2"),
        _c("min_km2", FLOAT, "minKm2"),
        _c("max_km2", FLOAT, "maxKm2"),
        _c("max_off_nadir_deg", FLOAT, "maxOffNadirDeg"),
        _c("feasibility", STRING, "feasibility", doc="auto or manual"),
        _c("min_window_hours", FLOAT, "minWindowHours"),
        _c("min_cloud_pct", FLOAT, "minCloudPct"),
        _c("satellites", OBJECT, doc="satellite names (list) from orbit"),
        _c("orbit", OBJECT, "orbit"),
        _EXTRA,
    ),
    geometry=False,
    doc="one row per tasking sensor",
)

TEMPLATES = FrameSchema(
    "templates",
    (
        _c("id", STRING, "id"),
        _c("name", STRING, "name"),
        _c("description", STRING, "description"),
        _c("capture_asap", BOOL, "capture_asap"),
        _c("resolution", STRING, "resolution"),
        _c("sensor", STRING, "sensor"),
        _c("capture_frequency", STRING, "capture_frequency"),
        _c("datum", STRING, "datum"),
        _c("file_format", STRING, "file_format"),
        _c("has_control", BOOL, "has_control"),
        _c("max_cloud_coverage", FLOAT, "max_cloud_coverage"),
        _c("max_nadir_angle", FLOAT, "max_nadir_angle"),
        _c("created_at", DATETIME, "createdAt"),
        _EXTRA,
    ),
    geometry=False,
    doc="one row per active tasking template",
)

TASKING_ESTIMATE = FrameSchema(
    "tasking_estimate",
    (
        _c("index", INT, "index", doc="the group's index in the request"),
        _c("ok", BOOL, doc="False for a group that could not be priced"),
        _c("sensor", STRING, "sensor"),
        _c("area_km2", FLOAT, "areaKm2"),
        _c("billable_km2", FLOAT, "billableKm2"),
        _c("price_per_km2", INT, "pricePerKm2"),
        _c("priority_factor", FLOAT, "priorityFactor"),
        _c("credits", INT, "credits"),
        _c("aud", FLOAT, "aud"),
        _c("feature_count", INT),
        _c("features", OBJECT, "features", doc="[{index, areaKm2}]"),
        _c("message", STRING, "message", doc="why the group failed"),
        _c("loc", OBJECT, "loc"),
        _EXTRA,
    ),
    geometry=False,
    doc="one row per tasking group of an estimate (errors are rows with ok=False and message)",
)

ARCHIVE_ESTIMATE = FrameSchema(
    "archive_estimate",
    (
        _c("index", INT, "index", doc="the capture line's index in the request"),
        _c("ok", BOOL),
        _c("id", STRING, "id", doc="capture id"),
        _c("date", STRING, doc="the group's acquisition date (splitByDate) or null"),
        _c("datetime", DATETIME, "datetime"),
        _c("area_km2", FLOAT, "areaKm2"),
        _c("billable_km2", FLOAT, "billableKm2"),
        _c("credits", INT, "credits"),
        _c("aud", FLOAT, "aud"),
        _c("message", STRING, "message"),
        _EXTRA,
    ),
    geometry=False,
    doc="one row per capture line of an archive estimate (errors: ok=False, message)",
)

ESTIMATE = FrameSchema(
    "estimate",
    (
        _c("index", INT, "index"),
        _c("ok", BOOL),
        _c("credits", INT, "credits"),
        _c("aud", FLOAT, "aud"),
        _c("size", FLOAT, "size"),
        _c("unit", STRING, "unit"),
        _c("message", STRING, "message"),
        _EXTRA,
    ),
    geometry=False,
    doc="one row per feature of an orders.estimate answer (errors: ok=False, message)",
)

CATALOG = FrameSchema(
    "catalog",
    (
        _c("id", STRING, "id"),
        _c("collection", STRING, "collection"),
        _c("datetime", DATETIME, "properties", "datetime"),
        _c("constellation", STRING, "properties", "constellation"),
        _c("platform", STRING, "properties", "platform"),
        _c("gsd", FLOAT, "properties", "gsd"),
        _c("cloud_cover", FLOAT, "properties", "eo:cloud_cover"),
        _c("off_nadir", FLOAT, "properties", "view:off_nadir"),
        _c("data_product_id", STRING, "properties", "dataProductId"),
        _c("credits_per_km2", INT, "properties", "price", "creditsPerKm2"),
        _c("aud_per_km2", FLOAT, "properties", "price", "audPerKm2"),
        _c("min_km2", FLOAT, "properties", "price", "minKm2"),
        _c("footprint_km2", FLOAT, doc="geodesic footprint area"),
        _EXTRA,
    ),
    geometry=True,
    doc="one row per orderable archive capture; geometry = footprint",
    consumed=("geometry", "type", "bbox"),
)

SCHEMAS: dict[str, FrameSchema] = {
    s.name: s
    for s in (
        ORDERS,
        COVERAGE_GROUPS,
        COVERAGE,
        ASSETS,
        STUDIES,
        QUOTATIONS,
        DECISIONS,
        OPPORTUNITIES,
        SENSORS,
        TEMPLATES,
        TASKING_ESTIMATE,
        ARCHIVE_ESTIMATE,
        ESTIMATE,
        CATALOG,
    )
}


def get_schema(name: str) -> FrameSchema:
    """Return the schema called ``name``.

    Raises
    ------
    KeyError
        For an unknown frame name (the message lists the known ones).
    """
    try:
        return SCHEMAS[name]
    except KeyError:
        raise KeyError(f"unknown frame {name!r}; known: {', '.join(SCHEMAS)}") from None


def conform(
    frame: pd.DataFrame | Mapping[str, Any],
    name: str,
    geometry: Any = None,
    extra_columns: Iterable[str] = (),
) -> pd.DataFrame:
    """Give ``frame`` exactly the columns, order and dtypes of schema ``name``.

    Missing schema columns are added (all missing values); ``extra_columns`` present in
    ``frame`` are kept after the schema's own (before ``geometry``).

    Parameters
    ----------
    frame : DataFrame or mapping of column -> values
        The built columns.
    name : str
        Schema name.
    geometry : array-like of shapely geometries, optional
        The geometry column for spatial schemas (missing -> all ``None``).
    extra_columns : iterable of str
        Columns beyond the schema to keep (e.g. extra asset keys), in order.

    Returns
    -------
    GeoDataFrame or DataFrame
        A GeoDataFrame in EPSG:4326 for spatial schemas, else a DataFrame.
    """
    schema = get_schema(name)
    data = frame if isinstance(frame, pd.DataFrame) else pd.DataFrame(dict(frame))
    length = len(data)
    if length == 0 and geometry is not None:
        length = len(geometry)
    columns: dict[str, pd.Series] = {}
    for col in schema.columns:
        if col.name in data:
            columns[col.name] = as_dtype(data[col.name], col.dtype)
        else:
            columns[col.name] = empty_series(col.dtype, length)
    for extra in extra_columns:
        if extra in data and extra not in columns:
            columns[extra] = data[extra].reset_index(drop=True)
    out = pd.DataFrame(columns)
    if not schema.geometry:
        return out
    geoms = gpd.GeoSeries(
        np.asarray(geometry if geometry is not None else [None] * length, dtype=object)
        if not isinstance(geometry, gpd.GeoSeries)
        else geometry.reset_index(drop=True),
        crs=CRS,
    )
    return gpd.GeoDataFrame(out, geometry=geoms.values, crs=CRS)


def empty_frame(name: str) -> pd.DataFrame:
    """An empty frame of schema ``name``: all columns, dtypes and (if spatial) CRS.

    Examples
    --------
    >>> frame = empty_frame("orders")
    >>> frame.crs.to_epsg(), str(frame["createdAt"].dtype), len(frame)
    (4326, 'datetime64[ms, UTC]', 0)
    """
    return conform(pd.DataFrame(), name)


def describe_markdown() -> str:
    """The schemas as a Markdown table per frame (used for docs/frames.md)."""
    lines: list[str] = []
    for schema in SCHEMAS.values():
        lines.append(f"### `{schema.name}`: {schema.doc}\n")
        lines.append("| column | dtype | from | notes |")
        lines.append("|---|---|---|---|")
        for col in schema.columns:
            source = ".".join(col.path) if col.path else "(derived)"
            lines.append(f"| `{col.name}` | `{col.dtype}` | `{source}` | {col.doc} |")
        if schema.geometry:
            lines.append("| `geometry` | `geometry` (EPSG:4326) | | |")
        lines.append("")
    return "\n".join(lines)
