"""Band names of delivered items, as odc-stac names them, and the check of a request.

odc-stac names a band by its ``eo:bands`` name (or common name) when it has one
(``red``, ``nir``, ``vv``), else ``<asset>`` for a one-band asset and ``<asset>.<n>``
for band ``n`` of a multi-band asset. Those names (and the aliases) are what ``bands=``
takes; a name the items do not have is an :class:`UnknownBandsError` listing them.

All items of one load must have the same bands: odc-stac reads every item by the first
item's band layout, so an optical order and a SAR order in one call would read the SAR
band as ``red``. That is refused (:class:`MixedBandsError`).

Examples
--------
>>> import datetime as dt, pystac
>>> item = pystac.Item("c1", {"type": "Point", "coordinates": [0, 0]}, [0, 0, 0, 0],
...                    dt.datetime(2026, 12, 2), {})
>>> item.add_asset("vv", pystac.Asset("vv.tif", media_type="image/tiff", roles=["data"]))
>>> resolve_bands([item], None)
['vv']
>>> resolve_bands([item], "hh")
Traceback (most recent call last):
...
geopera_nb.pixels.errors.UnknownBandsError: unknown band 'hh': the delivered items have vv
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pystac

from .errors import MixedBandsError, NoDeliveredItemsError, UnknownBandsError

__all__ = ["band_dtypes", "band_layout", "resolve_bands"]


def band_layout(item: pystac.Item) -> tuple[Any, list[str]]:
    """The odc-stac collection metadata of one item, and its band names in order."""
    from odc.stac import extract_collection_metadata

    meta = extract_collection_metadata(item)
    aliases = meta.band_aliases(unique=True)
    names = []
    for key, name in zip(meta.meta.bands, meta.all_bands, strict=True):
        if key[0] == "_stac_metadata":
            continue  # item properties odc-stac can add as bands: not pixels
        # the eo:bands name first (odc-stac names a one-band asset by its key): "vv"
        names.append(aliases[key][0] if aliases.get(key) else name)
    return meta, names


def resolve_bands(items: Sequence[pystac.Item], bands: str | Sequence[str] | None) -> list[str]:
    """The band names to load: all of them when ``bands`` is ``None``.

    Raises
    ------
    UnknownBandsError
        A requested band is not in the items (the message lists the ones there are).
    MixedBandsError
        The items do not all have the same bands.
    """
    layouts: dict[tuple[str, ...], list[str]] = {}
    meta = None
    for item in items:
        item_meta, names = band_layout(item)
        meta = meta or item_meta
        layouts.setdefault(tuple(names), []).append(item.id)
    if len(layouts) > 1:
        parts = [f"{', '.join(k) or 'no bands'} ({len(v)} item{'s' * (len(v) != 1)})"
                 for k, v in layouts.items()]
        raise MixedBandsError("the items do not have the same bands: " + "; ".join(parts)
                              + ". Load them in separate calls (e.g. one order at a time)")
    available = list(next(iter(layouts))) if layouts else []
    if not available:
        assets = sorted({k for item in items for k in item.assets})
        raise NoDeliveredItemsError("the delivered items have no raster data to load (their "
                                    f"assets: {', '.join(assets) or 'none'})")
    if bands is None:
        return available
    wanted = [bands] if isinstance(bands, str) else list(bands)
    unknown = [b for b in wanted if not _known(meta, b)]
    if unknown or not wanted:
        raise UnknownBandsError(unknown, available)
    return wanted


def _known(meta: Any, band: str) -> bool:
    if meta is None or not isinstance(band, str):
        return False
    try:
        return meta.band_key(band) in meta.meta.bands
    except (ValueError, KeyError):
        return False


def band_dtypes(item: pystac.Item, bands: Sequence[str]) -> dict[str, Any]:
    """``band -> dtype`` (``None`` when the item does not say) for the size check."""
    meta, _ = band_layout(item)
    out: dict[str, Any] = {}
    for band in bands:
        try:
            out[band] = meta[band].data_type
        except (KeyError, AttributeError):
            out[band] = None
    return out
