"""Archive captures from ``catalog.search`` as a GeoDataFrame (following ``next``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import islice
from typing import Any

import geopandas as gpd
import pandas as pd

from geopera_nb.frames._build import build_frame
from geopera_nb.geo import geodesic_areas_km2


def catalog_frame_from_features(features: Iterable[Mapping[str, Any]]) -> gpd.GeoDataFrame:
    """The catalog frame from capture Features; ``footprint_km2`` is geodesic.

    Examples
    --------
    >>> frame = catalog_frame_from_features([{"type": "Feature", "id": "c1",
    ...     "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [0.1, 0], [0.1, 0.1],
    ...     [0, 0]]]}, "properties": {"gsd": 0.3, "price": {"creditsPerKm2": 900}}}])
    >>> frame.loc[0, "credits_per_km2"], round(float(frame.loc[0, "footprint_km2"]), 1)
    (np.int64(900), 61.5)
    """
    frame = build_frame(features, "catalog", properties_key="properties")
    frame["footprint_km2"] = pd.array(geodesic_areas_km2(frame.geometry, missing=float("nan")), dtype="Float64")
    return frame


def catalog_frame(
    client: Any, host_name: str = "geopera", *, max_items: int | None = None, **filters: Any
) -> gpd.GeoDataFrame:
    """Orderable archive captures matching the filters, all pages (``next`` followed).

    Parameters
    ----------
    client : geopera_nb.Client
    host_name : str
        The catalogue host (the sandbox's is ``"geopera"``).
    max_items : int, optional
        Stop after this many captures.
    **filters
        ``collections, ids, bbox, intersects, datetime, query, limit``.

    Returns
    -------
    GeoDataFrame
        ``id, collection, datetime, constellation, platform, gsd, cloud_cover,
        off_nadir, data_product_id, credits_per_km2, aud_per_km2, min_km2,
        footprint_km2, extra``, geometry = footprint.
    """
    iter_catalog = getattr(client, "iter_catalog", None)
    if callable(iter_catalog):
        features = iter_catalog(host_name=host_name, max_items=max_items, **filters)
    else:
        body = {"host_name": host_name, **filters}
        features = client.iter_records("catalog.search", body, max_items=max_items)
    return catalog_frame_from_features(islice(features, max_items))
