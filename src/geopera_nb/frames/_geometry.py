"""Vectorised GeoJSON -> shapely for many geometries at once.

Polygons and MultiPolygons (the footprints and AOIs of this API) go through Arrow's
JSON reader into coordinate buffers and :func:`shapely.from_ragged_array`; anything
else (points, lines, 3-D coordinates, collections) through one
:func:`shapely.from_geojson` call.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj
import shapely

_RAGGED: dict[str, tuple[int, shapely.GeometryType]] = {
    "Polygon": (3, shapely.GeometryType.POLYGON),
    "MultiPolygon": (4, shapely.GeometryType.MULTIPOLYGON),
}
_DEPTH: dict[shapely.GeometryType, int] = {kind: depth for depth, kind in _RAGGED.values()}
_TYPE_RE = r'"type"\s*:\s*"(?P<t>\w+)"'


def coordinates_type(depth: int) -> pa.DataType:
    """Arrow type of GeoJSON ``coordinates`` nested ``depth`` lists deep."""
    coord_type: pa.DataType = pa.float64()
    for _ in range(depth):
        coord_type = pa.list_(coord_type)
    return coord_type


def from_arrow_coordinates(
    array: pa.Array, kind: shapely.GeometryType
) -> np.ndarray | None:
    """Shapely geometries from an Arrow array of GeoJSON (Multi)Polygon coordinates.

    ``None`` when the array does not fit (nulls, 3-D positions, unclosed rings).
    """
    depth = _DEPTH[kind]
    if array.null_count:
        return None
    offsets: list[np.ndarray] = []
    level: pa.Array = array
    for _ in range(depth - 1):
        raw = np.asarray(level.offsets.to_numpy(), dtype=np.int64)
        offsets.append(raw - raw[0])
        level = level.flatten()
    if len(level) and not pc.all(pc.equal(pc.list_value_length(level), 2)).as_py():
        return None  # 3-D or malformed positions
    coords = level.flatten().to_numpy(zero_copy_only=False).reshape(-1, 2)
    try:
        result: np.ndarray = shapely.from_ragged_array(kind, coords, tuple(reversed(offsets)))
    except (shapely.errors.GEOSException, ValueError):
        return None
    return result


def _ragged(texts: np.ndarray, depth: int, kind: shapely.GeometryType) -> np.ndarray | None:
    """Parse same-type GeoJSON texts with Arrow; ``None`` when they do not fit."""
    data = ("\n".join(texts) + "\n").encode()
    options = pj.ParseOptions(
        explicit_schema=pa.schema([("coordinates", coordinates_type(depth))]),
        unexpected_field_behavior="ignore",
    )
    try:
        table = pj.read_json(pa.BufferReader(pa.py_buffer(data)), parse_options=options)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if table.num_rows != len(texts):
        return None
    return from_arrow_coordinates(table.column("coordinates").combine_chunks(), kind)


def from_geojson_texts(texts: np.ndarray, types: np.ndarray | None = None) -> np.ndarray:
    """GeoJSON geometry texts (``None``/``"null"`` allowed) -> shapely geometries.

    Parameters
    ----------
    texts : ndarray of object
        One GeoJSON geometry object (str) per element, or ``None``.
    types : ndarray of object, optional
        Each geometry's ``type`` if already known (else found with a regex).

    Returns
    -------
    ndarray of object
        Shapely geometries (``None`` where the input was ``None``/``"null"``).

    Examples
    --------
    >>> import numpy as np
    >>> texts = np.array(['{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}',
    ...                   None, '{"type":"Point","coordinates":[1,2]}'], dtype=object)
    >>> [g.geom_type if g is not None else None for g in from_geojson_texts(texts)]
    ['Polygon', None, 'Point']
    """
    texts = np.asarray(texts, dtype=object)
    out = np.full(len(texts), None, dtype=object)
    valid = np.array([t is not None and t != "null" for t in texts], dtype=bool)
    if not valid.any():
        return out
    if types is None:
        found = pc.struct_field(pc.extract_regex(pa.array(texts[valid], pa.large_string()), _TYPE_RE), "t")
        types = np.full(len(texts), None, dtype=object)
        types[valid] = found.to_numpy(zero_copy_only=False)
    done = ~valid
    for name, (depth, kind) in _RAGGED.items():
        mask = valid & (types == name)
        if mask.sum() < 64:
            continue  # not worth it: from_geojson below
        geoms = _ragged(texts[mask], depth, kind)
        if geoms is not None:
            out[mask] = geoms
            done |= mask
    rest = ~done
    if rest.any():
        out[rest] = shapely.from_geojson(texts[rest], on_invalid="ignore")
    return out
