"""What can go wrong between delivered items and an ``xarray.Dataset``: one class each.

::

    GeoperaError
    └── PixelsError                   base of the pixels errors
        ├── NoDeliveredItemsError     (also LookupError) nothing delivered to load
        ├── UnknownBandsError         (also ValueError) ``.available`` lists the bands
        ├── MixedBandsError           (also ValueError) items with different bands
        ├── GridError                 (also ValueError) a CRS/resolution/AOI that does not fit
        │   └── LoadTooLargeError     the grid or the eager array is past its bound
        ├── PixelReadError            a raster could not be read (signed URLs never shown)
        └── OrderNotFoundError        (also geopera_nb.errors.NotFoundError) not yours / none

Examples
--------
>>> err = UnknownBandsError(["swir"], ["red", "green", "blue", "nir"])
>>> str(err)
"unknown band 'swir': the delivered items have red, green, blue, nir"
>>> isinstance(err, ValueError), err.available
(True, ['red', 'green', 'blue', 'nir'])
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any

from geopera_nb.errors import GeoperaError, NotFoundError

__all__ = [
    "GridError",
    "LoadTooLargeError",
    "MixedBandsError",
    "NoDeliveredItemsError",
    "OrderNotFoundError",
    "PixelReadError",
    "PixelsError",
    "UnknownBandsError",
]


class PixelsError(GeoperaError):
    """Base of the errors of :func:`geopera_nb.pixels.load`."""


class NoDeliveredItemsError(PixelsError, builtins.LookupError):
    """The order(s) have no delivered captures (yet), or none is left after filtering."""


class UnknownBandsError(PixelsError, builtins.ValueError):
    """Bands that the delivered items do not have; ``.available`` lists the ones they do."""

    def __init__(self, unknown: Sequence[str], available: Sequence[str]) -> None:
        self.unknown = list(unknown)
        self.available = list(available)
        names = ", ".join(repr(b) for b in self.unknown)
        word = "band" if len(self.unknown) == 1 else "bands"
        have = ", ".join(self.available) or "no bands"
        what = f"unknown {word} {names}" if self.unknown else "no band asked for"
        super().__init__(f"{what}: the delivered items have {have}")


class MixedBandsError(PixelsError, builtins.ValueError):
    """The items to load do not all have the same bands (e.g. an optical and a SAR order)."""


class GridError(PixelsError, builtins.ValueError):
    """A ``crs``, ``resolution`` or ``aoi`` that cannot make the output grid."""


class LoadTooLargeError(GridError):
    """The output grid (or, without ``chunks``, the array in memory) is past its bound."""


class PixelReadError(PixelsError):
    """A raster of a delivered item could not be read (missing file, expired href...)."""


class OrderNotFoundError(NotFoundError, PixelsError):
    """The order does not exist, or belongs to another organisation (the API says 404)."""

    def __init__(self, order_id: str, cause: NotFoundError | None = None) -> None:
        problem: Mapping[str, Any] = cause.problem if cause is not None else {"status": 404}
        detail = (f"order {order_id!r} was not found in your organisation (it does not "
                  "exist, or it belongs to another one)")
        super().__init__({**problem, "status": 404, "detail": detail},
                         operation=cause.operation if cause is not None else None)
        self.order_id = order_id
