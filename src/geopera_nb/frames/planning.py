"""Planning frames: tasking sensors, predicted passes (opportunities) and templates."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd
import pandas as pd

from geopera_nb.frames._build import build_frame
from geopera_nb.frames._source import iter_records


def _body(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


def opportunities_frame_from_features(features: Iterable[Mapping[str, Any]]) -> gpd.GeoDataFrame:
    """The opportunities frame from predicted-pass Features."""
    return build_frame(features, "opportunities", properties_key="properties")


def opportunities_frame(
    client: Any,
    dataProduct: str,
    featureCollection: Any,
    params: Mapping[str, Any] | None = None,
    **fields: Any,
) -> gpd.GeoDataFrame:
    """Predicted satellite passes over the AOIs, one row per pass (its swath footprint).

    Parameters
    ----------
    client : geopera_nb.Client
    dataProduct : str
        The tasking data product id.
    featureCollection : AOI
        Anything the client accepts as an AOI (GeoJSON, shapely, GeoDataFrame, WKT).
    params : dict, optional
        ``start, end, maxCloudCoverage, maxOffNadir, priority``.

    Returns
    -------
    GeoDataFrame
        ``id, datetime, satellite, sensor, off_nadir_deg, direction, feature_index,
        sun_elevation_deg, extra``, geometry = accessible swath.
    """
    body = _body(dataProduct=dataProduct, featureCollection=featureCollection,
                 params=dict(params) if params else None, **fields)
    return opportunities_frame_from_features(
        iter_records(client, "orders.tasking.opportunities_list", body)
    )


def sensors_frame_from_records(sensors: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """The sensors frame from Sensor dicts.

    Examples
    --------
    >>> sensors_frame_from_records([{"id": "s", "orbit": {"satellites": [{"name": "A-1"}]}}]
    ...                            ).loc[0, "satellites"]
    ['A-1']
    """

    def satellites(r: Mapping[str, Any]) -> list[Any] | None:
        orbit = r.get("orbit")
        if not isinstance(orbit, Mapping):
            return None
        return [s.get("name") for s in orbit.get("satellites") or [] if isinstance(s, Mapping)]

    return build_frame(sensors, "sensors", derived={"satellites": satellites})


def sensors_frame(client: Any) -> pd.DataFrame:
    """The tasking sensor catalogue, one row per sensor (no geometry: a DataFrame).

    Returns
    -------
    DataFrame
        ``id, name, data_product_id, resolution_m, bands, price_per_km2,
        price_aud_per_km2, min_km2, max_km2, max_off_nadir_deg, feasibility,
        min_window_hours, min_cloud_pct, satellites, orbit, extra``.
    """
    return sensors_frame_from_records(iter_records(client, "orders.tasking.sensors", {}))


def templates_frame(client: Any) -> pd.DataFrame:
    """The organisation's active tasking templates, newest first.

    Returns
    -------
    DataFrame
        ``id, name, description, capture_asap, resolution, sensor, capture_frequency,
        datum, file_format, has_control, max_cloud_coverage, max_nadir_angle,
        created_at, extra``.
    """
    return build_frame(iter_records(client, "orders.tasking.templates.list", {}), "templates")
