"""``assets.gn.load(...)``: the frames accessor's ``load`` verb, registered from here.

The frames layer cannot import pixels (``lint-imports``), so this module plugs the verb
in (``import geopera_nb.pixels``, or any frame made through ``gn.*``). It stays light:
odc-stac and xarray are imported when the verb is called.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from geopera_nb.frames.accessor import verb

__all__ = ["load_frame"]


@verb("load")
def load_frame(
    frame: pd.DataFrame,
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
) -> Any:
    """Load the rows of an assets frame (:func:`geopera_nb.assets_frame`) as pixels.

    The same as :func:`geopera_nb.pixels.load` for the frame's Items (filter the frame
    first to load some captures only); ``aoi=True`` needs ``client=``.

    Examples
    --------
    >>> assets = gn.assets_frame(client, order_id)                         # doctest: +SKIP
    >>> ds = assets[assets.cloud_cover < 10].gn.load(bands=["red", "nir"])  # doctest: +SKIP
    """
    from geopera_nb.frames.assets import to_stac

    from .loader import load_items

    return load_items(to_stac(frame), bands=bands, aoi=aoi, resolution=resolution, crs=crs,
                      chunks=chunks, groupby=groupby, catalog=catalog, client=client,
                      resampling=resampling, pool=pool)
