"""Write named frames to one GeoPackage (a layer each) or to GeoParquet files.

Layout
------
- ``*.gpkg``: one GeoPackage, one layer per frame, written with pyogrio's Arrow path
  (``to_file(engine="pyogrio", use_arrow=True)``), CRS EPSG:4326. Polygon layers are
  declared ``MultiPolygon`` (polygons promoted, empty parts ``MULTIPOLYGON EMPTY``);
  frames without geometry become attribute-only tables. Written to a temporary file
  beside the target and renamed into place: never a half-written GeoPackage.
- ``*.parquet``: one GeoParquet file per frame, ``<stem>.<layer>.parquet`` beside
  ``path`` (``coverage.parquet`` -> ``coverage.requested.parquet``...).
- a directory (no suffix): ``<dir>/<layer>.parquet``.

Lists and dicts (``tags``, ``extra``...) become JSON text in GeoPackage; GeoParquet
keeps lists of strings as lists and writes dicts as JSON text. Empty frames are
written too, with their columns. Asset hrefs (``*_href`` columns and the hrefs inside
``stac_item``) are written without their live signatures (``exp``/``kid``/``sig`` and
cloud-store equivalents) unless ``signed_hrefs=True``: a file keeps each asset's stable
address, not an expiring capability.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Literal, cast

import geopandas as gpd
import pandas as pd
import pyogrio

from geopera_nb.export.layers import (
    drop_signatures,
    polygonal_layer,
    prepare_columns,
    promote_polygons,
)

Format = Literal["gpkg", "parquet"]
CRS = "EPSG:4326"


def output_format(path: str | os.PathLike[str], format: Format | None = None) -> Format:
    """``"gpkg"`` or ``"parquet"`` from an explicit format or the path's suffix.

    Examples
    --------
    >>> output_format("a/coverage.gpkg"), output_format("out.parquet"), output_format("dir/")
    ('gpkg', 'parquet', 'parquet')
    """
    if format is not None:
        if format not in ("gpkg", "parquet"):
            raise ValueError(f"unknown format {format!r}: use 'gpkg' or 'parquet'")
        return format
    suffix = Path(path).suffix.lower()
    if suffix == ".gpkg":
        return "gpkg"
    if suffix in (".parquet", ".geoparquet", ""):
        return "parquet"
    raise ValueError(f"cannot tell the format of {str(path)!r}: use .gpkg, .parquet or a directory")


def parquet_paths(path: str | os.PathLike[str], layers: list[str]) -> dict[str, Path]:
    """Where each layer goes for a GeoParquet export of ``path``.

    Examples
    --------
    >>> {k: v.name for k, v in parquet_paths("out/coverage.parquet", ["groups"]).items()}
    {'groups': 'coverage.groups.parquet'}
    >>> {k: str(v) for k, v in parquet_paths("out", ["groups"]).items()}
    {'groups': 'out/groups.parquet'}
    """
    base = Path(path)
    if base.suffix:
        return {layer: base.with_name(f"{base.stem}.{layer}{base.suffix}") for layer in layers}
    return {layer: base / f"{layer}.parquet" for layer in layers}


def _as_geo(frame: pd.DataFrame) -> gpd.GeoDataFrame | None:
    if isinstance(frame, gpd.GeoDataFrame) and frame._geometry_column_name in frame:
        if frame.crs is None:
            return frame.set_crs(CRS)
        return frame.to_crs(CRS) if frame.crs.to_epsg() != 4326 else frame
    return None


def _write_gpkg_layer(frame: pd.DataFrame, path: Path, layer: str) -> None:
    geo = _as_geo(frame)
    if geo is None:
        pyogrio.write_dataframe(prepare_columns(frame, keep_lists=False), path, layer=layer,
                                driver="GPKG", use_arrow=True)
        return
    geometry_type = None
    if polygonal_layer(geo):
        geo = promote_polygons(geo)
        geometry_type = "MultiPolygon"
    elif len(geo) == 0:
        geometry_type = "Unknown"
    prepared = cast(gpd.GeoDataFrame, prepare_columns(geo, keep_lists=False))
    prepared.to_file(path, layer=layer, driver="GPKG", engine="pyogrio", use_arrow=True,
                     geometry_type=geometry_type)


def write_gpkg(frames: Mapping[str, pd.DataFrame], path: str | os.PathLike[str]) -> Path:
    """Write ``frames`` as the layers of one GeoPackage at ``path`` (replaced atomically)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".gpkg", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    try:
        for layer, frame in frames.items():
            _write_gpkg_layer(frame, tmp, layer)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _write_parquet_file(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    try:
        geo = _as_geo(frame)
        if geo is None:
            prepare_columns(frame, keep_lists=True).to_parquet(tmp, index=False)
        else:
            prepare_columns(geo, keep_lists=True).to_parquet(tmp, index=False)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_parquet(frames: Mapping[str, pd.DataFrame], path: str | os.PathLike[str]) -> dict[str, Path]:
    """Write each frame as a GeoParquet (or Parquet) file; see :func:`parquet_paths`."""
    paths = parquet_paths(path, list(frames))
    for layer, frame in frames.items():
        _write_parquet_file(frame, paths[layer])
    return paths


def export_frames(
    frames: Mapping[str, pd.DataFrame],
    path: str | os.PathLike[str],
    *,
    format: Format | None = None,
    signed_hrefs: bool = False,
) -> dict[str, Path]:
    """Write named frames to a GeoPackage (one layer each) or GeoParquet files.

    Parameters
    ----------
    frames : mapping of layer name -> DataFrame or GeoDataFrame
    path : path
        ``*.gpkg``, ``*.parquet`` or a directory (see the module docs for the layout).
    format : {"gpkg", "parquet"}, optional
        Overrides the path's suffix.
    signed_hrefs : bool
        Keep asset hrefs' live signatures (default: dropped, see the module docs).

    Returns
    -------
    dict of layer -> Path
        Where each layer was written (the same GeoPackage for every layer).

    Examples
    --------
    >>> import tempfile, pyogrio
    >>> from geopera_nb.frames import empty_frame
    >>> out = Path(tempfile.mkdtemp()) / "x.gpkg"
    >>> _ = export_frames({"orders": empty_frame("orders")}, out)
    >>> pyogrio.list_layers(out).tolist()
    [['orders', 'MultiPolygon']]
    """
    if not frames:
        raise ValueError("nothing to export: no frames given")
    if not signed_hrefs:
        frames = {layer: drop_signatures(frame) for layer, frame in frames.items()}
    if output_format(path, format) == "gpkg":
        target = write_gpkg(frames, path)
        return dict.fromkeys(frames, target)
    return write_parquet(frames, path)


def write_frame(frame: pd.DataFrame, path: str | os.PathLike[str], layer: str,
                *, format: Format | None = None, signed_hrefs: bool = False) -> Path:
    """Write one frame: a GeoPackage layer ``layer``, or exactly ``path`` as GeoParquet.

    (A directory gets ``<dir>/<layer>.parquet``.) Asset hrefs lose their live
    signatures unless ``signed_hrefs=True`` (see the module docs).
    """
    if not signed_hrefs:
        frame = drop_signatures(frame)
    kind = output_format(path, format)
    if kind == "gpkg":
        return write_gpkg({layer: frame}, path)
    target = Path(path)
    if not target.suffix:
        target = target / f"{layer}.parquet"
    _write_parquet_file(frame, target)
    return target
