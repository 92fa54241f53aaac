"""``export_coverage``: the coverage of orders as one GeoPackage or GeoParquet files."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pandas as pd

from geopera_nb.export.writers import Format, export_frames
from geopera_nb.frames._batch import ProgressCallback
from geopera_nb.frames._orders_in import OrdersInput
from geopera_nb.frames._source import DEFAULT_CONCURRENCY
from geopera_nb.frames.coverage_batch import collect_coverage

#: the layers of a coverage export, in order
COVERAGE_LAYERS: tuple[str, ...] = ("requested", "covered", "remainder", "groups", "assets")


def coverage_layers(
    client: Any,
    order_id_or_ids: OrdersInput,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> dict[str, pd.DataFrame]:
    """The five coverage layers of the orders, as frames.

    The order list is read first (or taken from the records given) and only orders
    that can answer are asked (:func:`~geopera_nb.frames.coverage_batch.collect_coverage`):
    tasking orders being fulfilled or fulfilled give ``requested``/``covered``/
    ``remainder``/``groups`` rows; every delivered order (archive too) gives its
    ``assets``; placed, failed and cancelled orders are not asked at all.
    """
    batch = collect_coverage(client, order_id_or_ids, concurrency=concurrency,
                             archive_assets=True, progress=progress, cancel=cancel)
    parts = batch.coverage
    layers: dict[str, pd.DataFrame] = {}
    for part in ("requested", "covered", "remainder"):
        layers[part] = parts[parts["part"] == part].reset_index(drop=True)
    layers["groups"] = batch.groups
    layers["assets"] = batch.assets
    return layers


def export_coverage(
    client: Any,
    order_ids: OrdersInput,
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
