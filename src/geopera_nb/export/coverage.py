"""``export_coverage``: the coverage of orders as one GeoPackage or GeoParquet files."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from geopera_nb.export.writers import Format, export_frames
from geopera_nb.frames._source import DEFAULT_CONCURRENCY, order_ids
from geopera_nb.frames.assets import assets_frame
from geopera_nb.frames.coverage import coverage_frame, coverage_groups_frame

#: the layers of a coverage export, in order
COVERAGE_LAYERS: tuple[str, ...] = ("requested", "covered", "remainder", "groups", "assets")


def coverage_layers(
    client: Any,
    order_id_or_ids: str | Iterable[str],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> dict[str, pd.DataFrame]:
    """The five coverage layers of the orders, as frames.

    Orders without coverage (archive orders, tasking orders not yet fulfilling: the
    API answers 409) contribute no rows to ``requested``/``covered``/``remainder``/
    ``groups``; their delivered assets still appear in ``assets``.
    """
    ids = order_ids(order_id_or_ids)
    parts = coverage_frame(client, ids, concurrency=concurrency, skip_unavailable=True)
    layers: dict[str, pd.DataFrame] = {}
    for part in ("requested", "covered", "remainder"):
        layers[part] = parts[parts["part"] == part].reset_index(drop=True)
    layers["groups"] = coverage_groups_frame(client, ids, concurrency=concurrency,
                                             skip_unavailable=True)
    layers["assets"] = assets_frame(client, ids, concurrency=concurrency)
    return layers


def export_coverage(
    client: Any,
    order_ids: str | Iterable[str],
    path: str | os.PathLike[str],
    *,
    format: Format | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> dict[str, Path]:
    """Write the coverage of one or many orders to a GeoPackage or GeoParquet.

    Layers: ``requested``, ``covered``, ``remainder`` (rows of
    :func:`~geopera_nb.frames.coverage_frame`, geodesic ``area_km2``), ``groups``
    (:func:`~geopera_nb.frames.coverage_groups_frame`) and ``assets``
    (:func:`~geopera_nb.frames.assets_frame`, footprints). All in EPSG:4326; empty
    layers are written with their columns.

    Parameters
    ----------
    client : geopera_nb.Client
    order_ids : str or iterable of str
    path : path
        ``coverage.gpkg`` (one GeoPackage), ``coverage.parquet``
        (``coverage.<layer>.parquet`` files) or a directory (``<layer>.parquet``).
    format : {"gpkg", "parquet"}, optional
        Overrides the suffix.
    concurrency : int
        Orders fetched at once.

    Returns
    -------
    dict of layer -> Path

    Examples
    --------
    >>> import geopera_nb as gn
    >>> export_coverage(client, [order_id], "coverage.gpkg")  # doctest: +SKIP
    {'requested': PosixPath('coverage.gpkg'), ...}
    """
    layers = coverage_layers(client, order_ids, concurrency=concurrency)
    return export_frames(layers, path, format=format)
