"""Delivered imagery as pixels: ``gn.load(client, order_id)`` -> ``xarray.Dataset``.

Modules, one idea each:

- :mod:`~geopera_nb.pixels.items`: which STAC Items to read (the server's list, local
  copies where verified);
- :mod:`~geopera_nb.pixels.bands`: band names and the check of ``bands=``;
- :mod:`~geopera_nb.pixels.grid`: the output grid (CRS, pixel size, bounds, AOI clip);
- :mod:`~geopera_nb.pixels.loader`: :func:`load` / :func:`load_items` through odc-stac;
- :mod:`~geopera_nb.pixels.verb`: ``assets.gn.load(...)`` on assets frames;
- :mod:`~geopera_nb.pixels.errors`: the typed errors.

odc-stac, xarray and dask are imported on first use, not with this package.

Examples
--------
>>> import geopera_nb.pixels as px
>>> sorted(px.__all__)[:3]
['GridError', 'LoadTooLargeError', 'MixedBandsError']
"""

from __future__ import annotations

from typing import Any

import lazy_loader

from geopera_nb.pixels import verb as _verb  # noqa: F401  (registers frame.gn.load)
from geopera_nb.pixels.errors import (
    GridError,
    LoadTooLargeError,
    MixedBandsError,
    NoDeliveredItemsError,
    OrderNotFoundError,
    PixelReadError,
    PixelsError,
    UnknownBandsError,
)

_lazy_getattr, _lazy_dir, _lazy_all = lazy_loader.attach(__name__, submod_attrs={
    "loader": ["load", "load_items", "gdal_options"],
    "items": ["select_items", "OfflineWarning"],
    "verb": ["load_frame"],
})

__all__ = [
    "GridError",
    "LoadTooLargeError",
    "MixedBandsError",
    "NoDeliveredItemsError",
    "OfflineWarning",
    "OrderNotFoundError",
    "PixelReadError",
    "PixelsError",
    "UnknownBandsError",
    "gdal_options",
    "load",
    "load_frame",
    "load_items",
    "select_items",
]


def __getattr__(name: str) -> Any:
    """odc-stac, xarray and dask are imported with :mod:`.loader`, on first use."""
    return _lazy_getattr(name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
