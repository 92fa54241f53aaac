"""The hot path: NDJSON bytes of STAC Items -> assets-frame columns, no dict per item.

1. ``pyarrow.json.read_json`` over the record lines with an explicit schema (the
   fields the frame maps; everything else is ignored by the parser, and kept anyway in
   ``stac_item``). The schema's asset keys come from a small orjson sample of lines.
2. Footprints: one vectorised regex (Arrow's RE2 kernel) pulls each line's
   ``"geometry": {...}`` text; :func:`~geopera_nb.frames._geometry.from_geojson_texts`
   turns them into shapely geometries (ragged arrays for polygons). Lines whose
   geometry the regex cannot isolate (a GeometryCollection) are parsed alone.
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

from geopera_nb.frames._geometry import from_geojson_texts
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
    if any(not line.strip() for line in lines):
        lines = [line for line in lines if line.strip()]
    return lines


def sample_asset_keys(lines: Sequence[bytes]) -> list[str]:
    """Asset keys seen in a sample of lines, the standard ones first."""
    n = len(lines)
    if n <= _SAMPLE:
        picks: list[int] = list(range(n))
    else:
        picks = sorted(set(range(_SAMPLE // 2)) | set(np.linspace(0, n - 1, _SAMPLE // 2, dtype=int)))
    keys: dict[str, None] = dict.fromkeys(ASSET_KEYS)
    for i in picks:
        try:
            item = orjson.loads(lines[i])
        except orjson.JSONDecodeError as exc:
            raise FastPathUnavailable(f"line {i + 1} is not JSON: {exc}") from None
        assets = item.get("assets") if isinstance(item, dict) else None
        if isinstance(assets, dict):
            for key in assets:
                keys.setdefault(key, None)
    return list(keys)


def arrow_schema(asset_keys: Sequence[str]) -> pa.Schema:
    """The explicit read_json schema for the mapped fields of a STAC Item."""
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
    return pa.schema([*top, pa.field("properties", pa.struct(props)), pa.field("assets", assets)])


def read_columns(body: bytes, schema: pa.Schema) -> pa.Table:
    """``pyarrow.json.read_json`` of the record lines with ``schema`` (others ignored)."""
    options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    try:
        return pj.read_json(pa.BufferReader(pa.py_buffer(body)), parse_options=options)
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


def line_array(body: bytes, lines: Sequence[bytes]) -> pa.LargeStringArray:
    """The lines of ``body`` as an Arrow string array sharing ``body``'s memory.

    Each element is one line *with* its trailing newline (no copy of the text).
    """
    lengths = np.fromiter(map(len, lines), dtype=np.int64, count=len(lines))
    offsets = np.zeros(len(lines) + 1, dtype=np.int64)
    np.cumsum(lengths + 1, out=offsets[1:])
    return pa.LargeStringArray.from_buffers(
        len(lines), pa.py_buffer(offsets), pa.py_buffer(body)
    )


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
        NDJSON STAC Items, one per line, no trailer (``None``: join ``lines``).
    lines : list of bytes, optional
        The record lines without newlines, when already split.

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
        if len(lines) != body.count(b"\n"):
            body = None
    if body is None:
        body = b"\n".join(lines) + b"\n"
    asset_keys = sample_asset_keys(lines)
    table = read_columns(body, arrow_schema(asset_keys))
    if table.num_rows != len(lines):
        raise FastPathUnavailable(f"read {table.num_rows} rows from {len(lines)} lines")
    raw = line_array(body, lines)
    columns: dict[str, pd.Series] = {}
    props = table.column("properties").combine_chunks()
    for col in ASSETS.columns:
        if not col.path:
            continue
        if col.path[0] == "properties":
            array = props.field(col.path[1])
        else:
            array = table.column(col.path[0])
        columns[col.name] = as_dtype(_to_series(array), col.dtype)
    assets = table.column("assets").combine_chunks()
    extra_columns: list[str] = []
    for key in asset_keys:
        per_key = assets.field(key)
        for suffix, (source, dtype) in ASSET_FIELDS.items():
            name = f"{key}_{suffix}"
            columns[name] = as_dtype(_to_series(per_key.field(source)), dtype)
            if key not in ASSET_KEYS:
                extra_columns.append(name)
    columns["stac_item"] = _to_series(raw).astype(pandas_dtype(STRING))
    return columns, footprints(raw), extra_columns
