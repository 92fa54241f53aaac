"""Generic builder: API records (dicts) -> a frame conformed to its schema.

Values are pulled column by column along each column's ``path``; unknown top-level
keys go to ``extra``; geometries are serialised with orjson and parsed in one
vectorised :func:`shapely.from_geojson` call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import orjson
import pandas as pd
import shapely

from geopera_nb.frames.schema import FrameSchema, conform, get_schema

Record = Mapping[str, Any]
_MISSING = object()


def dig(record: Any, path: Sequence[str]) -> Any:
    """Follow ``path`` into nested dicts; ``None`` when any step is missing.

    Examples
    --------
    >>> dig({"a": {"b": 1}}, ("a", "b")), dig({"a": None}, ("a", "b"))
    (1, None)
    """
    value = record
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
        if value is None:
            return None
    return value


def geometries_from_geojson(geoms: Iterable[Any]) -> np.ndarray:
    """GeoJSON geometry dicts (or None) -> an object array of shapely geometries.

    One vectorised :func:`shapely.from_geojson` call over orjson-serialised strings;
    ``None`` stays ``None``.

    Examples
    --------
    >>> geometries_from_geojson([{"type": "Point", "coordinates": [1, 2]}, None])
    array([<POINT (1 2)>, None], dtype=object)
    """
    texts = np.array(
        [orjson.dumps(g) if isinstance(g, Mapping) else None for g in geoms], dtype=object
    )
    if len(texts) == 0:
        return np.array([], dtype=object)
    mask = np.array([t is not None for t in texts], dtype=bool)
    out = np.full(len(texts), None, dtype=object)
    if mask.any():
        out[mask] = shapely.from_geojson(texts[mask], on_invalid="ignore")
    return out


def extra_of(record: Record, known: frozenset[str]) -> dict[str, Any] | None:
    """The record's keys that ``known`` does not map, or ``None`` when there are none."""
    extra = {k: v for k, v in record.items() if k not in known}
    return extra or None


def build_frame(
    records: Iterable[Record],
    name: str,
    *,
    geometry: Callable[[Record], Any] | None = None,
    derived: Mapping[str, Callable[[Record], Any]] | None = None,
    properties_key: str | None = None,
) -> pd.DataFrame:
    """Build the frame ``name`` from API records.

    Parameters
    ----------
    records : iterable of dict
        The API's records (orders, groups, features...).
    name : str
        Schema name in :mod:`geopera_nb.frames.schema`.
    geometry : callable, optional
        record -> GeoJSON geometry dict (default: ``record["geometry"]`` for spatial
        schemas).
    derived : mapping of column -> callable, optional
        Values for derived columns (record -> value).
    properties_key : str, optional
        For GeoJSON Features: unknown keys of ``record[properties_key]`` also go to
        ``extra`` (prefixed ``properties.``).

    Returns
    -------
    DataFrame or GeoDataFrame
        Conformed to the schema.

    Examples
    --------
    >>> frame = build_frame([{"id": "q1", "credits": 5, "surprise": 1}], "quotations")
    >>> frame.loc[0, "credits"], frame.loc[0, "extra"]
    (np.int64(5), {'surprise': 1})
    """
    schema: FrameSchema = get_schema(name)
    rows = list(records)
    derived = dict(derived or {})
    data: dict[str, list[Any]] = {}
    for col in schema.columns:
        if col.name in derived:
            fn = derived[col.name]
            data[col.name] = [fn(r) for r in rows]
        elif col.path:
            path = col.path
            if len(path) == 1:
                key = path[0]
                data[col.name] = [r.get(key) for r in rows]
            else:
                data[col.name] = [dig(r, path) for r in rows]
    known = schema.known_keys
    prop_known: frozenset[str] = frozenset(
        c.path[1] for c in schema.columns if properties_key and c.path[:1] == (properties_key,)
    )
    extras: list[dict[str, Any] | None] = []
    for r in rows:
        extra = extra_of(r, known | ({properties_key} if properties_key else set()))
        if properties_key:
            props = r.get(properties_key)
            if isinstance(props, Mapping):
                more = {f"{properties_key}.{k}": v for k, v in props.items() if k not in prop_known}
                if more:
                    extra = {**(extra or {}), **more}
        extras.append(extra)
    if "extra" not in derived:
        data["extra"] = extras
    geoms = None
    if schema.geometry:
        getter = geometry or (lambda r: r.get("geometry"))
        geoms = geometries_from_geojson(getter(r) for r in rows)
    frame = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in data.items()}, index=range(len(rows)))
    return conform(frame, name, geometry=geoms)


def concat_frames(frames: Iterable[pd.DataFrame], name: str) -> pd.DataFrame:
    """Concatenate frames of schema ``name`` (the empty frame when none has rows).

    Columns beyond the schema that some frames have (extra asset keys) are kept.
    """
    parts = [f for f in frames if len(f)]
    if not parts:
        return conform(pd.DataFrame(), name)
    if len(parts) == 1:
        return parts[0].reset_index(drop=True)
    out = pd.concat(parts, ignore_index=True)
    schema = get_schema(name)
    extra = [c for c in out.columns if c not in schema.names]
    geometry = out.geometry.values if schema.geometry else None
    return conform(out, name, geometry=geometry, extra_columns=extra)
