"""``gn.load``: delivered imagery of one or many orders as an ``xarray.Dataset``.

The pixels are read by odc-stac (``odc.stac.load``) from the STAC Items the server
delivered: from the local catalogue where ``download_assets`` put verified copies, else
over HTTP from the signed hrefs, which GDAL reads as they are (ranged GETs of the COGs;
the signature is the credential, so no header is added and no token leaves the
client). The checks odc-stac leaves to the reader come first, each a typed error with a
sentence (:mod:`geopera_nb.pixels.errors`): nothing delivered, unknown bands, a CRS or
pixel size that does not fit, a grid past its bound, an order that is not yours.

Examples
--------
>>> ds = gn.load(client, order_id, bands=["red", "nir"], aoi=True)   # doctest: +SKIP
>>> ndvi = (ds.nir.astype("f4") - ds.red) / (ds.nir + ds.red)          # doctest: +SKIP
>>> lazy = gn.load(client, order_id, chunks={"x": 1024, "y": 1024})  # doctest: +SKIP
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pystac
import xarray as xr

from geopera_nb.contract import limits

from . import grid
from .bands import band_dtypes, resolve_bands
from .errors import LoadTooLargeError, NoDeliveredItemsError, PixelReadError, PixelsError
from .items import Selection, prefer_local, select_items

__all__ = ["gdal_options", "load", "load_items"]

_QUERY = re.compile(r"\?[^\s'\"]*")


def gdal_options() -> dict[str, str]:
    """The GDAL settings a load runs under (``rasterio.Env``; dask workers get them too).

    Signed hrefs go to GDAL as they are. ``GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR``
    stops GDAL listing the "directory" of a URL (one wasted request per file, refused
    by signed URLs); ``CPL_VSIL_CURL_USE_HEAD=NO`` because a signature may be valid for
    GET only; retries and the timeout come from :mod:`geopera_nb.contract.limits`.

    Examples
    --------
    >>> gdal_options()["GDAL_DISABLE_READDIR_ON_OPEN"]
    'EMPTY_DIR'
    """
    return {
        "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
        "CPL_VSIL_CURL_USE_HEAD": "NO",
        "GDAL_HTTP_MAX_RETRY": str(limits.LOAD_HTTP_RETRIES),
        "GDAL_HTTP_RETRY_DELAY": "0.5",
        "GDAL_HTTP_TIMEOUT": str(limits.LOAD_HTTP_TIMEOUT_S),
        "GDAL_HTTP_MERGE_CONSECUTIVE_RANGES": "YES",
        "VSI_CACHE": "TRUE",
    }


def _ids(order_id_or_ids: str | Iterable[str]) -> list[str]:
    ids = [order_id_or_ids] if isinstance(order_id_or_ids, str) else list(order_id_or_ids)
    if not all(isinstance(i, str) and i for i in ids):
        raise TypeError(f"order ids must be non-empty strings, not {order_id_or_ids!r}")
    seen: dict[str, None] = dict.fromkeys(ids)
    if not seen:
        raise NoDeliveredItemsError("no order id given")
    if len(seen) > limits.LOAD_ORDERS_MAX:
        raise LoadTooLargeError(f"{len(seen):,} orders in one load, more than "
                                f"{limits.LOAD_ORDERS_MAX:,}: load them in batches")
    return list(seen)


def load(
    client: Any,
    order_id_or_ids: str | Iterable[str],
    *,
    bands: str | Sequence[str] | None = None,
    aoi: Any = None,
    resolution: float | None = None,
    crs: Any = None,
    chunks: Mapping[str, int | str] | None = None,
    groupby: str | None = "solar_day",
    catalog: str | os.PathLike[str] | bool | None = None,
    resampling: str | Mapping[str, str] | None = None,
    pool: int | None = None,
) -> xr.Dataset:
    """Load the delivered imagery of orders as an :class:`xarray.Dataset` (odc-stac).

    Parameters
    ----------
    client : geopera_nb.Client or None
        Lists the orders' delivered Items (and gives ``aoi=True`` the orders' geometry).
        ``None`` loads from the local catalogue alone, offline.
    order_id_or_ids : str or iterable of str
        One order id or several (their captures go into one time series).
    bands : str or list of str, optional
        Band names (``"red"``, ``"nir"``, ``"vv"``...; see
        :func:`geopera_nb.pixels.bands.resolve_bands`); default all.
    aoi : True, AOI or None
        ``True`` clips to the orders' own geometry; a shapely geometry, GeoJSON,
        GeoDataFrame, WKT... (anything :func:`geopera_nb.geo.to_feature_collection`
        reads) clips to that. The grid covers the AOI's bounding box; pixels outside
        its outline are set to nodata. ``None``: the captures' full extent.
    resolution : float, optional
        Pixel size in the CRS's unit (metres for UTM); default the items' own.
    crs : str, int or CRS, optional
        Output CRS (``"EPSG:32756"``, ``"utm"``...); default the items' own (the UTM
        zone of the footprint). A CRS other than the items' needs ``resolution``.
    chunks : dict, optional
        ``{"x": 1024, "y": 1024}`` (``"time"`` too) returns a lazy dask-backed Dataset,
        computed with ``.compute()`` here or on a ``dask.distributed`` cluster.
    groupby : str, optional
        How captures become time steps (odc-stac): ``"solar_day"`` (default: captures
        of one local day are fused), ``"time"``, ``"id"`` or an item property.
    catalog : path, False or None
        The local catalogue (the ``dest`` of ``download_assets``) whose verified copies
        are read instead of HTTP; default ``geopera-imagery`` when it exists; ``False``
        reads everything over HTTP.
    resampling : str or dict, optional
        odc-stac's resampling (default ``"nearest"``), per band if a dict.
    pool : int, optional
        Threads reading at once in an eager load (odc-stac's ``pool``).

    Returns
    -------
    xarray.Dataset
        ``(time, y, x)`` per band, with the ``spatial_ref`` coordinate (``ds.odc.crs``,
        ``ds.odc.geobox``), band ``nodata`` attributes, and ``attrs``
        ``geopera:order_ids``, ``geopera:source`` (``local``/``http``/``mixed``) and
        ``geopera:items``.

    Raises
    ------
    OrderNotFoundError
        An order does not exist or is another organisation's.
    NoDeliveredItemsError
        Nothing delivered (yet), or no raster data in the items.
    UnknownBandsError
        A band the items do not have (``.available`` lists them).
    GridError
        A CRS or resolution that does not fit, or an AOI that misses every capture.
    LoadTooLargeError
        A grid past ``LOAD_GRID_PIXELS_MAX``, or an eager load past
        ``LOAD_EAGER_MAX_BYTES`` (pass ``chunks``).
    PixelReadError
        A raster could not be read (eager loads; lazy ones raise at compute time).
    """
    ids = _ids(order_id_or_ids)
    selection = select_items(client, ids, catalog)
    geom = grid.aoi_geometry(aoi, client, ids, selection.items)
    return _load(selection, bands=bands, geom=geom, resolution=resolution, crs=crs,
                 chunks=chunks, groupby=groupby, resampling=resampling, pool=pool)


def load_items(
    items: Iterable[pystac.Item] | pystac.ItemCollection,
    *,
    bands: str | Sequence[str] | None = None,
    aoi: Any = None,
    resolution: float | None = None,
    crs: Any = None,
    chunks: Mapping[str, int | str] | None = None,
    groupby: str | None = "solar_day",
    catalog: str | os.PathLike[str] | bool | None = None,
    client: Any = None,
    resampling: str | Mapping[str, str] | None = None,
    pool: int | None = None,
) -> xr.Dataset:
    """:func:`load` for given STAC Items (e.g. a filtered assets frame's ``to_stac()``).

    Local copies in ``catalog`` are preferred as in :func:`load`; ``aoi=True`` needs
    ``client`` (for the orders' geometry).
    """
    from geopera_nb.export.local_catalog import read_local_catalog

    given = list(items.items if isinstance(items, pystac.ItemCollection) else items)
    if not given:
        raise NoDeliveredItemsError("no items to load (the frame or collection is empty)")
    folder = _catalog_folder(catalog)
    chosen, sources = prefer_local(given, read_local_catalog(folder) if folder else [])
    ids = list(dict.fromkeys(str(i.properties.get("geopera:order_id") or "") for i in chosen))
    selection = Selection(items=chosen, sources=sources, order_ids=[i for i in ids if i])
    geom = grid.aoi_geometry(aoi, client, selection.order_ids, chosen)
    return _load(selection, bands=bands, geom=geom, resolution=resolution, crs=crs,
                 chunks=chunks, groupby=groupby, resampling=resampling, pool=pool)


def _catalog_folder(catalog: Any) -> Any:
    from .items import catalog_dir

    return catalog_dir(catalog)


def _load(selection: Selection, *, bands: Any, geom: Any, resolution: Any, crs: Any,
          chunks: Any, groupby: Any, resampling: Any, pool: Any) -> xr.Dataset:
    import odc.stac
    import rasterio

    items = selection.items
    names = resolve_bands(items, bands)
    out_crs = grid.check_crs(crs)
    parsed = list(odc.stac.parse_items(items))
    gbox = grid.output_grid(parsed, names, crs=out_crs, resolution=resolution, geopolygon=geom)
    grid.check_size(gbox, len(items), band_dtypes(items[0], names), eager=chunks is None)
    kw: dict[str, Any] = {"bands": names, "geobox": gbox, "groupby": groupby}
    if chunks is not None:
        _needs_dask()
        kw["chunks"] = dict(chunks)
    if resampling is not None:
        kw["resampling"] = resampling
    if pool is not None:
        if not isinstance(pool, int) or not 1 <= pool <= limits.DOWNLOAD_THREADS_MAX:
            raise ValueError(f"pool must be 1 to {limits.DOWNLOAD_THREADS_MAX} threads, "
                            f"not {pool!r}")
        kw["pool"] = pool
    try:
        with rasterio.Env(**gdal_options()):
            ds = odc.stac.load(items, **kw)
    except rasterio.errors.RasterioIOError as exc:
        raise PixelReadError(_read_failure(exc, selection)) from None
    if geom is not None:
        ds = grid.clip(ds, geom)
    ds.attrs.update({
        "geopera:order_ids": ",".join(selection.order_ids),
        "geopera:source": selection.source,
        "geopera:items": len(items),
    })
    return ds


def _needs_dask() -> None:
    """A lazy load builds a dask graph: say so plainly when dask is missing."""
    try:
        import dask.array  # noqa: F401
    except ImportError as exc:
        raise PixelsError("chunks= makes a lazy dask load, and dask is not installed: "
                          "pip install 'dask[array]', or leave chunks=None") from exc


def _read_failure(exc: Exception, selection: Selection) -> str:
    text = _QUERY.sub("?…", str(exc))  # never a signed URL in a message
    hint = ("signed hrefs expire (an hour by default): load again, or download the order "
            "first with download_assets" if "http" in selection.sources else
            "a local file is missing or damaged: download the order again")
    return f"could not read a delivered raster ({text}); {hint}"
