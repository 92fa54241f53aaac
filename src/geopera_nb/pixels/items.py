"""Which STAC Items to load: the server's delivered Items, with local copies where verified.

The server's list (``orders.list_assets``) is the truth about what an order delivered;
the local catalogue (:mod:`geopera_nb.export.local_catalog`, written by
``download_assets``) holds copies. An Item is read from disk when the local catalogue
has it and every data asset there carries the same ``file:checksum`` as the server's
(so a stale copy is never used), else over HTTP from its signed href. Without a client
the local catalogue is the only source; when the server cannot be reached, too (with an
:class:`OfflineWarning`).

Examples
--------
>>> import datetime as dt
>>> import pystac
>>> remote = pystac.Item("c1", None, None, dt.datetime(2026, 12, 2), {})
>>> remote.add_asset("visual", pystac.Asset("https://x/v.tif", roles=["data"],
...                                         extra_fields={"file:checksum": "1220aa"}))
>>> local = remote.clone()
>>> local.assets["visual"].href = "/data/c1/visual.tif"
>>> chosen, sources = prefer_local([remote], [local])
>>> chosen[0].assets["visual"].href, sources
('/data/c1/visual.tif', ['local'])
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pystac

from geopera_nb.contract import limits
from geopera_nb.errors import NotFoundError, TransportError
from geopera_nb.export.local_catalog import CATALOG_FILE, read_local_catalog

from .errors import NoDeliveredItemsError, OrderNotFoundError

__all__ = ["OfflineWarning", "Selection", "catalog_dir", "prefer_local", "select_items", "where"]

ORDER_PROPERTY = "geopera:order_id"
OPERATION = "orders.list_assets"


class OfflineWarning(UserWarning):
    """The server could not be reached: only the local catalogue's copies were loaded."""


@dataclass
class Selection:
    """The Items to load and where each comes from (``"local"`` or ``"http"``)."""

    items: list[pystac.Item]
    sources: list[str]
    order_ids: list[str] = field(default_factory=list)

    @property
    def source(self) -> str:
        """``"local"``, ``"http"`` or ``"mixed"``."""
        kinds = set(self.sources)
        return kinds.pop() if len(kinds) == 1 else "mixed" if kinds else "none"


def catalog_dir(catalog: str | os.PathLike[str] | bool | None) -> Path | None:
    """The local catalogue directory to use (``None``: do not use one).

    ``None`` means the default download directory when it holds a catalogue; ``False``
    means never; a path names the directory (or its ``collection.json``).
    """
    if catalog is False:
        return None
    if catalog is None or catalog is True:
        default = Path(limits.IMAGERY_DIR_DEFAULT)
        return default if (default / CATALOG_FILE).is_file() else None
    path = Path(catalog)
    return path.parent if path.name == CATALOG_FILE else path


def _is_data(asset: pystac.Asset) -> bool:
    """A raster data asset: role ``data``, or a GeoTIFF that is no thumbnail/overview
    (odc-stac's own test is private API, so this is the part of it we need)."""
    roles = set(asset.roles or ())
    if roles & {"thumbnail", "overview", "metadata"}:
        return False
    return "data" in roles or (asset.media_type or "").startswith("image/tiff")


def _data_assets(item: pystac.Item) -> dict[str, pystac.Asset]:
    return {k: a for k, a in item.assets.items() if _is_data(a)}


def _same(remote: pystac.Item, local: pystac.Item) -> bool:
    """Every data asset of ``remote`` is in ``local`` with the same checksum (if any)."""
    wanted = _data_assets(remote)
    if not wanted:
        return False
    for key, asset in wanted.items():
        copy = local.assets.get(key)
        if copy is None:
            return False
        theirs = asset.extra_fields.get("file:checksum")
        ours = copy.extra_fields.get("file:checksum")
        if theirs is not None and ours != theirs:
            return False
    return True


def prefer_local(remote: Sequence[pystac.Item], local: Iterable[pystac.Item]
                 ) -> tuple[list[pystac.Item], list[str]]:
    """``remote`` with each Item replaced by its verified local copy, and the sources."""
    by_id = {item.id: item for item in local}
    chosen = []
    for item in remote:
        copy = by_id.get(item.id)
        chosen.append(copy if copy is not None and _same(item, copy) else item)
    return chosen, [where(item) for item in chosen]


def where(item: pystac.Item) -> str:
    """``"http"`` when the item's data is read over HTTP(S), else ``"local"``."""
    hrefs = [a.get_absolute_href() or a.href for a in _data_assets(item).values()]
    return "http" if any(h.startswith(("http://", "https://")) for h in hrefs) else "local"


def remote_items(client: Any, order_id: str) -> list[pystac.Item]:
    """The delivered Items of one order, from the server (signed hrefs as given)."""
    try:
        records = list(client.stream(OPERATION, {"order_id": order_id}))
    except NotFoundError as exc:
        raise OrderNotFoundError(order_id, exc) from None
    return [pystac.Item.from_dict(record, preserve_dict=False) for record in records]


def _local_by_order(folder: Path | None, order_ids: Sequence[str]) -> dict[str, list[pystac.Item]]:
    out: dict[str, list[pystac.Item]] = {oid: [] for oid in order_ids}
    if folder is None:
        return out
    for item in read_local_catalog(folder):
        oid = item.properties.get(ORDER_PROPERTY)
        if oid in out:
            out[oid].append(item)
    return out


def select_items(client: Any, order_ids: Sequence[str],
                 catalog: str | os.PathLike[str] | bool | None = None) -> Selection:
    """The Items of ``order_ids`` to load, local copies preferred (see the module doc).

    Raises
    ------
    OrderNotFoundError
        The server does not know an order (or it is another organisation's).
    NoDeliveredItemsError
        No order has a delivered capture (or, offline, a local copy).
    """
    folder = catalog_dir(catalog)
    local = _local_by_order(folder, order_ids)
    items: list[pystac.Item] = []
    for oid in order_ids:
        if client is None:
            items += local[oid]
            continue
        try:
            delivered = remote_items(client, oid)
        except TransportError as exc:
            if not local[oid]:
                raise
            warnings.warn(f"the server could not be reached ({type(exc).__name__}): loading "
                          f"the {len(local[oid])} local copies of order {oid}", OfflineWarning,
                          stacklevel=3)
            items += local[oid]
            continue
        items += prefer_local(delivered, local[oid])[0]
    if not items:
        raise NoDeliveredItemsError(_nothing_message(client, order_ids, folder))
    return Selection(items=items, sources=[where(i) for i in items], order_ids=list(order_ids))


def _nothing_message(client: Any, order_ids: Sequence[str], folder: Path | None) -> str:
    which = ", ".join(repr(o) for o in order_ids)
    if client is None:
        where = f"the local catalogue {folder / CATALOG_FILE}" if folder else "no local catalogue"
        return (f"no delivered items of order {which} in {where}, and no client to ask the "
                "server: pass a client, or download the order first (download_assets)")
    statuses = []
    for oid in order_ids:
        try:
            order = client.orders.get(order_id=oid)
            statuses.append(f"{oid} is {order.get('status')}")
        except Exception:  # the message is best effort; the error is what matters
            statuses.append(f"{oid}: status unknown")
    return (f"order {which} has no delivered captures yet ({'; '.join(statuses)}); wait for "
            "them with client.wait_for(order_id)")
