"""The output grid of a load: its CRS and pixel size checked, its size bounded, the AOI.

odc-stac picks the grid (``odc.stac.output_geobox``: the items' own CRS and resolution
unless told otherwise); this module refuses the grids nobody means before any pixel is
read: an unknown CRS, a pixel size in the wrong unit (metres in a geographic CRS, degrees
in a projected one), a grid or an in-memory array past the bounds of
:mod:`geopera_nb.contract.limits`, an AOI that misses every capture. It also clips the
loaded pixels to the AOI's outline (the grid itself only covers the AOI's bounding box).

Examples
--------
>>> check_crs("EPSG:32756").epsg, check_crs(None), check_crs("utm")
(32756, None, 'utm')
>>> check_crs("EPSG:99999")
Traceback (most recent call last):
...
geopera_nb.pixels.errors.GridError: unknown CRS 'EPSG:99999' ...
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pystac
import shapely
import xarray as xr
from odc.geo import Geometry
from odc.geo.crs import CRS
from odc.geo.geobox import GeoBox
from pyproj.exceptions import CRSError

from geopera_nb.contract import limits
from geopera_nb.export.download import human_bytes
from geopera_nb.geo import to_feature_collection

from .errors import GridError, LoadTooLargeError

__all__ = ["aoi_geometry", "check_crs", "check_resolution", "check_size", "clip",
           "order_geometry", "output_grid"]


def check_crs(crs: Any) -> Any:
    """``crs`` as an odc CRS (``None`` and ``"utm"`` pass as they are).

    Raises
    ------
    GridError
        For a CRS that pyproj does not know.
    """
    if crs is None or (isinstance(crs, str) and crs.lower() == "utm"):
        return crs.lower() if isinstance(crs, str) else None
    try:
        return CRS(crs)
    except (CRSError, ValueError, TypeError) as exc:
        reason = str(exc).split(": (", 1)[-1].rstrip(")") if "(" in str(exc) else str(exc)
        raise GridError(f"unknown CRS {crs!r} ({reason}): give an EPSG code such as "
                        "'EPSG:32756' (UTM 56S), 'utm' for the local UTM zone, or leave "
                        "crs=None for the items' own CRS") from None


def check_resolution(resolution: Any) -> float | None:
    """The pixel size as one positive number (odc's ``(x, -y)`` sign is its own business)."""
    if resolution is None:
        return None
    pair = isinstance(resolution, Sequence) and not isinstance(resolution, str)
    values = list(resolution) if pair else [resolution]
    try:
        # a pair may carry odc's (x, -y) signs; one number is a size and must be positive
        sizes = [abs(float(v)) if pair else float(v) for v in values]
    except (TypeError, ValueError):
        raise GridError(f"resolution must be a number (the pixel size in the CRS's unit), "
                        f"not {resolution!r}") from None
    if len(sizes) not in (1, 2) or not all(np.isfinite(sizes)) or min(sizes) <= 0:
        raise GridError(f"resolution must be a positive pixel size, not {resolution!r}")
    if len(sizes) == 2 and sizes[0] != sizes[1]:
        raise GridError(f"resolution {resolution!r}: give one pixel size (square pixels)")
    return sizes[0]


def _unit_check(gbox: GeoBox, resolution: float | None) -> None:
    if resolution is None or gbox.crs is None:
        return
    crs = gbox.crs
    name = (crs.epsg and f"EPSG:{crs.epsg}") or "the output CRS"
    if crs.geographic and resolution > limits.LOAD_RESOLUTION_MAX_DEG:
        raise GridError(
            f"resolution {resolution:g} does not fit {name}: a geographic CRS counts pixels "
            f"in degrees ({resolution:g} degrees is about {resolution * 111:.0f} km). Give "
            "degrees (e.g. 0.0001, about 11 m) or a projected CRS in metres (e.g. 'utm')")
    if not crs.geographic and resolution < limits.LOAD_RESOLUTION_MIN_M:
        raise GridError(
            f"resolution {resolution:g} does not fit {name}: it counts pixels in metres and "
            f"{resolution:g} m is under {limits.LOAD_RESOLUTION_MIN_M:g} m; did you give "
            "degrees? Give metres (e.g. 10), or crs='EPSG:4326' for degrees")


def output_grid(parsed: Sequence[Any], bands: Sequence[str], *, crs: Any, resolution: Any,
                geopolygon: Geometry | None) -> GeoBox:
    """odc-stac's output grid for these items, after the checks above."""
    from odc.stac import output_geobox

    size = check_resolution(resolution)
    kw: dict[str, Any] = {"bands": list(bands)}
    if crs is not None:
        kw["crs"] = crs
    if resolution is not None:
        kw["resolution"] = size
    if geopolygon is not None:
        kw["geopolygon"] = geopolygon
    try:
        gbox = output_geobox(list(parsed), **kw)
    except ValueError as exc:
        raise GridError(f"cannot make the output grid: {exc} (give crs= and resolution= "
                        "together when the CRS is not the items' own)") from None
    if gbox is None:
        raise GridError("cannot make the output grid: give crs= and resolution=")
    if crs is not None and resolution is None and not _same_crs(gbox, parsed):
        raise GridError(f"crs={_crs_name(crs)} differs from the items' CRS: give resolution= "
                        "too (metres for a projected CRS, degrees for a geographic one)")
    _unit_check(gbox, size)
    return gbox


def _crs_name(crs: Any) -> str:
    epsg = getattr(crs, "epsg", None)
    return f"EPSG:{epsg}" if epsg else repr(str(crs))


def _same_crs(gbox: GeoBox, parsed: Sequence[Any]) -> bool:
    for item in parsed:
        for src in item.bands.values():
            src_box = getattr(src, "geobox", None)
            if src_box is not None and src_box.crs is not None:
                return bool(src_box.crs == gbox.crs)
    return True


def check_size(gbox: GeoBox, slices: int, dtypes: Mapping[str, Any], *, eager: bool) -> None:
    """Refuse a grid past :data:`LOAD_GRID_PIXELS_MAX`, or an eager array past
    :data:`LOAD_EAGER_MAX_BYTES` (``slices`` is an upper bound on the time steps)."""
    ny, nx = gbox.shape
    pixels = int(ny) * int(nx)
    if pixels > limits.LOAD_GRID_PIXELS_MAX:
        raise LoadTooLargeError(
            f"the output grid would be {nx:,} x {ny:,} pixels, more than the "
            f"{limits.LOAD_GRID_PIXELS_MAX:,} one load may ask for: use a coarser "
            "resolution or a smaller aoi")
    if not eager:
        return
    per_pixel = sum(np.dtype(d or "float32").itemsize for d in dtypes.values())
    total = pixels * max(slices, 1) * per_pixel
    if total > limits.LOAD_EAGER_MAX_BYTES:
        raise LoadTooLargeError(
            f"this load would hold up to {human_bytes(total)} in memory, more than the "
            f"{human_bytes(limits.LOAD_EAGER_MAX_BYTES)} of an eager load: pass "
            "chunks={'x': 2048, 'y': 2048} for a lazy (dask) load, or fewer bands, a "
            "coarser resolution or a smaller aoi")


def order_geometry(client: Any, order_ids: Sequence[str]) -> Any:
    """The union of the orders' requested geometries (shapely, lon/lat)."""
    if client is None:
        raise GridError("aoi=True needs the orders' geometry from the server: pass a client, "
                        "or give the AOI itself (a shapely geometry or GeoJSON)")
    shapes = []
    for oid in order_ids:
        order = client.orders.get(order_id=oid)
        geometry = order.get("geometry") or (order.get("orderDetails") or {}).get(
            "featureCollection")
        if not geometry:
            raise GridError(f"order {oid!r} has no geometry to clip to: give aoi= explicitly")
        shapes.append(_shape(geometry, f"order {oid} geometry"))
    return shapely.union_all(shapes)


def _shape(obj: Any, where: str) -> Any:
    fc = to_feature_collection(obj, where=where)
    return shapely.union_all([shapely.geometry.shape(f["geometry"]) for f in fc["features"]])


def aoi_geometry(aoi: Any, client: Any, order_ids: Sequence[str],
                 items: Sequence[pystac.Item]) -> Geometry | None:
    """The AOI as an odc Geometry in EPSG:4326 (``None``: no clipping).

    ``aoi=True`` is the orders' own geometry; anything
    :func:`geopera_nb.geo.to_feature_collection` reads is accepted too.
    """
    if aoi is None or aoi is False:
        return None
    shape = order_geometry(client, order_ids) if aoi is True else _shape(aoi, "aoi")
    footprints = [shapely.geometry.shape(i.geometry) for i in items if i.geometry]
    if footprints and not shape.intersects(shapely.union_all(footprints)):
        bounds = ", ".join(f"{v:.4f}" for v in shapely.union_all(footprints).bounds)
        raise GridError(f"the aoi does not overlap any delivered capture (they cover lon/lat "
                        f"bounds {bounds})")
    return Geometry(shapely.geometry.mapping(shape), "EPSG:4326")


def clip(ds: xr.Dataset, geom: Geometry) -> xr.Dataset:
    """Set the pixels outside ``geom`` to each band's nodata (NaN for floats without one).

    Lazy arrays stay lazy (the mask is one 2-D array of the grid's size).
    """
    from odc.geo.xr import rasterize

    inside = rasterize(geom, ds.odc.geobox, all_touched=True)
    inside = xr.DataArray(inside.values, dims=("y", "x"), coords={"y": ds.y, "x": ds.x})
    out = ds.copy()
    for name, band in ds.data_vars.items():
        if not {"y", "x"} <= set(band.dims):
            continue
        nodata = band.attrs.get("nodata")
        if nodata is None or (isinstance(nodata, float) and np.isnan(nodata)):
            if np.issubdtype(band.dtype, np.floating):
                nodata = np.nan
            else:
                nodata = 0
                band.attrs["nodata"] = 0
        masked = band.where(inside, band.dtype.type(nodata))
        out[name] = masked.astype(band.dtype, copy=False)
        out[name].attrs = dict(band.attrs)
        out[name].encoding = dict(band.encoding)
    return out
