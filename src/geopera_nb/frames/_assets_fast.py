"""The hot path: NDJSON bytes of STAC Items -> assets-frame columns, no dict per item.

1. ``pyarrow.json.read_json`` over the record lines with an explicit schema (the
   fields the frame maps; everything else is ignored by the parser, and kept anyway in
   ``stac_item``). The schema's asset keys come from a small orjson sample of lines.
   When every sampled footprint is a Polygon (or every one a MultiPolygon) the
   coordinates are read in the same pass and become shapely geometries through
   :func:`shapely.from_ragged_array`.
2. Otherwise (mixed types, or a row that does not fit): one vectorised regex (Arrow's RE2 kernel) pulls each line's
   ``"geometry": {...}`` text; :func:`~geopera_nb.frames._geometry.from_geojson_texts`
   turns them into shapely geometries (ragged arrays for polygons). Lines whose
   geometry the regex cannot isolate (a GeometryCollection) are parsed alone. The
   regex takes each line's first ``"geometry":`` member: a STAC Item whose properties
   hold a *key* named ``geometry`` before the top-level one would be misread (not seen
   in this API).
3. ``stac_item``: the lines themselves (sharing the input's memory), as an
   Arrow-backed string column; each keeps its NDJSON newline.

Anything unexpected (a field with another JSON type than declared) raises
:class:`FastPathUnavailable`, and the caller falls back to the per-record builder.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj
import shapely

from geopera_nb.frames._geometry import (
    coordinates_type,
    from_arrow_coordinates,
    from_geojson_texts,
)
from geopera_nb.frames.schema import (
    ASSET_FIELDS,
    ASSET_KEYS,
    ASSETS,
    FLOAT,
    INT,
    STRING,
    as_dtype,
    pandas_dtype,
)

_KIND_DEPTH: dict[shapely.GeometryType, int] = {
    shapely.GeometryType.POLYGON: 3,
    shapely.GeometryType.MULTIPOLYGON: 4,
}
_KIND_NAME: dict[shapely.GeometryType, str] = {
    shapely.GeometryType.POLYGON: "Polygon",
    shapely.GeometryType.MULTIPOLYGON: "MultiPolygon",
}
_SINGLE_KIND: dict[frozenset[str], shapely.GeometryType] = {
    frozenset({name}): kind for kind, name in _KIND_NAME.items()
}
_GEOMETRY_RE = r'"geometry"\s*:\s*(?P<g>\{[^{}]*\}|null)'
_SAMPLE = 256

_ARROW_TYPES: dict[str, pa.DataType] = {STRING: pa.string(), INT: pa.int64(), FLOAT: pa.float64()}
_PANDAS_TYPES: dict[pa.DataType, Any] = {
    pa.string(): pd.StringDtype(),
    pa.large_string(): pd.StringDtype(),
    pa.int64(): pd.Int64Dtype(),
    pa.float64(): pd.Float64Dtype(),
}


class FastPathUnavailable(Exception):
    """The bytes do not fit the columnar fast path; use the per-record builder."""


def split_lines(body: bytes) -> list[bytes]:
    """Non-blank lines of ``body`` (bytes objects, newline stripped)."""
    lines = body.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    if lines and min(map(len, lines)) < 2:  # a JSON object line has at least "{}"
        lines = [line for line in lines if line.strip()]
    return lines


def sample(lines: Sequence[bytes]) -> tuple[list[str], set[str]]:
    """Asset keys (standard ones first) and geometry types seen in a sample of lines."""
    n = len(lines)
    if n <= _SAMPLE:
        picks: list[int] = list(range(n))
    else:
        picks = sorted(set(range(_SAMPLE // 2)) | set(np.linspace(0, n - 1, _SAMPLE // 2, dtype=int)))
    keys: dict[str, None] = dict.fromkeys(ASSET_KEYS)
    types: set[str] = set()
    for i in picks:
        try:
            item = orjson.loads(lines[i])
        except orjson.JSONDecodeError as exc:
            raise FastPathUnavailable(f"line {i + 1} is not JSON: {exc}") from None
        if not isinstance(item, dict):
            raise FastPathUnavailable(f"line {i + 1} is not a JSON object")
        assets = item.get("assets")
        if isinstance(assets, dict):
            for key in assets:
                keys.setdefault(key, None)
        geometry = item.get("geometry")
        types.add(str(geometry.get("type")) if isinstance(geometry, dict) else "null")
    return list(keys), types


def arrow_schema(asset_keys: Sequence[str], geometry_depth: int | None = None) -> pa.Schema:
    """The explicit read_json schema for the mapped fields of a STAC Item.

    With ``geometry_depth`` (3 for Polygon, 4 for MultiPolygon) the footprints are
    read in the same pass as ``geometry.coordinates``.
    """
    props: list[pa.Field] = []
    top: list[pa.Field] = []
    for col in ASSETS.columns:
        if not col.path:
            continue
        arrow_type = pa.string() if col.dtype.startswith("datetime") else _ARROW_TYPES[col.dtype]
        if col.path[0] == "properties":
            props.append(pa.field(col.path[1], arrow_type))
        else:
            top.append(pa.field(col.path[0], arrow_type))
    asset_struct = pa.struct(
        [pa.field(source, _ARROW_TYPES[dtype]) for source, dtype in ASSET_FIELDS.values()]
    )
    assets = pa.struct([pa.field(key, asset_struct) for key in asset_keys])
    fields = [*top, pa.field("properties", pa.struct(props)), pa.field("assets", assets)]
    if geometry_depth is not None:
        fields.append(pa.field("geometry", pa.struct([
            pa.field("type", pa.string()),
            pa.field("coordinates", coordinates_type(geometry_depth)),
        ])))
    return pa.schema(fields)


def read_columns(body: pa.Buffer, schema: pa.Schema) -> pa.Table:
    """``pyarrow.json.read_json`` of the record lines with ``schema`` (others ignored)."""
    options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    try:
        return pj.read_json(pa.BufferReader(body), parse_options=options)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        raise FastPathUnavailable(str(exc)) from None


def footprints(raw: pa.Array) -> np.ndarray:
    """Shapely footprints of each line of ``raw`` (an Arrow string array of items)."""
    found = pc.struct_field(pc.extract_regex(raw, _GEOMETRY_RE), "g")
    texts = found.to_numpy(zero_copy_only=False)
    # lines where the regex found nothing (a GeometryCollection): take those few alone
    for i in np.flatnonzero(pc.is_null(found).to_numpy(zero_copy_only=False)):
        geometry = orjson.loads(raw[int(i)].as_py()).get("geometry")
        texts[i] = orjson.dumps(geometry).decode() if geometry else None
    return from_geojson_texts(texts)


def line_offsets(lines: Sequence[bytes]) -> np.ndarray:
    """Start offsets of each line (and the end) when joined with single newlines."""
    lengths = np.fromiter(map(len, lines), dtype=np.int64, count=len(lines))
    offsets = np.zeros(len(lines) + 1, dtype=np.int64)
    np.cumsum(lengths + 1, out=offsets[1:])
    return offsets


def line_array(body: pa.Buffer, offsets: np.ndarray) -> pa.LargeStringArray:
    """The lines of ``body`` as an Arrow string array sharing ``body``'s memory.

    Each element is one line *with* its trailing newline (no copy of the text).
    """
    return pa.LargeStringArray.from_buffers(len(offsets) - 1, pa.py_buffer(offsets), body)


def _to_series(array: pa.ChunkedArray | pa.Array) -> pd.Series:
    result = array.to_pandas(types_mapper=_PANDAS_TYPES.get)
    return result if isinstance(result, pd.Series) else pd.Series(result)


def columns_from_ndjson(
    body: bytes | None, lines: list[bytes] | None = None
) -> tuple[dict[str, pd.Series], np.ndarray, list[str]]:
    """Assets-frame columns, footprints and extra column names from record lines.

    Parameters
    ----------
    body : bytes or None
        Bytes whose start holds the record lines, each followed by one newline (more
        may follow, e.g. the trailer: only the lines' span is read). ``None``: the
        lines are joined.
    lines : list of bytes, optional
        The record lines without newlines (default: split from ``body``).

    Returns
    -------
    columns : dict of str -> Series
        Every schema column (and ``<key>_href``... for extra asset keys).
    geometry : ndarray of shapely geometries
    extra_columns : list of str
        Column names beyond the schema (extra asset keys), in order.
    """
    if lines is None:
        if body is None:
            raise ValueError("give body or lines")
        lines = split_lines(body)
    offsets = line_offsets(lines)
    end = int(offsets[-1])
    if body is None or len(body) < end or (end and body[end - 1] != 10) or not _contiguous(
        body, lines, offsets
    ):
        body = b"\n".join(lines) + b"\n"
    buffer = pa.py_buffer(body).slice(0, end)
    asset_keys, types = sample(lines)
    kind = _SINGLE_KIND.get(frozenset(types))
    table = None
    if kind is not None:  # every sampled footprint has one polygonal type: one pass
        try:
            table = read_columns(buffer, arrow_schema(asset_keys, _KIND_DEPTH[kind]))
        except FastPathUnavailable:
            kind = None  # another geometry type further down: regex pass below
    if table is None:
        table = read_columns(buffer, arrow_schema(asset_keys))
    if table.num_rows != len(lines):
        raise FastPathUnavailable(f"read {table.num_rows} rows from {len(lines)} lines")
    raw = line_array(buffer, offsets)
    columns: dict[str, pd.Series] = {}
    props = table.column("properties").combine_chunks()
    for col in ASSETS.columns:
        if not col.path:
            continue
        if col.path[0] == "properties":
            array = pc.struct_field(props, col.path[1])
        else:
            array = table.column(col.path[0])
        columns[col.name] = as_dtype(_to_series(array), col.dtype)
    assets = table.column("assets").combine_chunks()
    extra_columns: list[str] = []
    for key in asset_keys:
        per_key = pc.struct_field(assets, key)
        for suffix, (source, dtype) in ASSET_FIELDS.items():
            name = f"{key}_{suffix}"
            columns[name] = as_dtype(_to_series(pc.struct_field(per_key, source)), dtype)
            if key not in ASSET_KEYS:
                extra_columns.append(name)
    columns["stac_item"] = _to_series(raw).astype(pandas_dtype(STRING))
    geoms = None
    if kind is not None:
        geoms = _footprints_from_table(table, kind)
    if geoms is None:
        geoms = footprints(raw)
    return columns, geoms, extra_columns


def _contiguous(body: bytes, lines: Sequence[bytes], offsets: np.ndarray) -> bool:
    """Whether ``lines`` sit in ``body`` back to back, one newline apart, from 0.

    Checked on a sample of positions (the lengths already add up to the span).
    """
    n = len(lines)
    picks = range(n) if n <= 64 else np.linspace(0, n - 1, 64, dtype=int)
    for i in picks:
        start = int(offsets[i])
        line = lines[i]
        if body[start : start + min(len(line), 16)] != line[:16] or body[start + len(line)] != 10:
            return False
    return True


def _footprints_from_table(table: pa.Table, kind: shapely.GeometryType) -> np.ndarray | None:
    """Footprints read in the main pass; ``None`` if any row needs the general path."""
    geometry = table.column("geometry").combine_chunks()
    if geometry.null_count:
        return None
    types = pc.struct_field(geometry, "type")
    if not pc.all(pc.equal(types, _KIND_NAME[kind])).as_py():
        return None
    return from_arrow_coordinates(pc.struct_field(geometry, "coordinates"), kind)
