"""The local STAC catalogue ``download_assets`` writes beside the files it downloaded.

Layout (a self-contained STAC Collection: every href is relative, so the folder can be
moved, zipped or opened offline by any STAC tool: pystac, odc-stac, QGIS, stac-browser,
``gn.load``)::

    <dest>/collection.json                 the Collection (extent from the items)
    <dest>/<item id>/<item id>.json        one STAC Item per capture
    <dest>/<item id>/visual.tif            its downloaded assets (hrefs "./visual.tif")

Each Item is the server's Item as it came (properties, ``proj:*``, ``eo:bands``,
``raster:bands``, ``file:checksum`` ...) with only the assets that are on disk and
verified, their hrefs made relative, and ``root``/``parent``/``collection`` links.
Assets that were not downloaded are left out (their signed hrefs expire, and a link
that does not resolve offline is worse than none). Downloading into the same ``dest``
again merges: items of the new run replace their earlier copies, the others stay
(minus files deleted since).

The JSON is written here rather than by ``pystac``'s ``Catalog.save``: pystac would
migrate every Item (STAC 1.1, projection v2) and deep-copies each one, about 5 ms an
Item, more than the download of a small file; the files are plain STAC that pystac
reads back (:func:`read_local_catalog`). Each file appears whole or not at all
(temporary file + rename); ``collection.json`` is written last.

Examples
--------
>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> (root / "cap-1").mkdir(); _ = (root / "cap-1" / "visual.tif").write_bytes(b"II*\\0")
>>> item = {"type": "Feature", "stac_version": "1.0.0", "id": "cap-1",
...         "geometry": {"type": "Point", "coordinates": [150.0, -34.0]},
...         "bbox": [150.0, -34.0, 150.0, -34.0], "links": [],
...         "properties": {"datetime": "2026-12-02T00:00:00.000Z"},
...         "assets": {"visual": {"href": "https://x/visual.tif?sig=s", "roles": ["data"]}}}
>>> path = write_local_catalog(root, [item], {("cap-1", "visual"): root / "cap-1" / "visual.tif"})
>>> path.name, [i.assets["visual"].href for i in read_local_catalog(root)]
('collection.json', ['./visual.tif'])
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson
import pystac

from geopera_nb.contract.timestamps import format_instant, parse_instant

__all__ = ["CATALOG_FILE", "COLLECTION_ID", "read_local_catalog", "write_local_catalog"]

#: The catalogue's root file inside ``dest``.
CATALOG_FILE = "collection.json"
#: The id of the local Collection.
COLLECTION_ID = "geopera-imagery"
_STAC_VERSION = "1.0.0"


def _write_json(path: Path, data: Any) -> None:
    """Write ``data`` as JSON so that ``path`` appears whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(orjson.dumps(data, option=orjson.OPT_INDENT_2))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_local_catalog(dest: str | os.PathLike[str]) -> list[pystac.Item]:
    """The Items of the local catalogue in ``dest`` (empty when there is none).

    Asset hrefs stay relative in the Items; ``asset.get_absolute_href()`` (which
    odc-stac and pystac use) resolves them against the Item's file.
    """
    root = Path(dest) / CATALOG_FILE
    if not root.is_file():
        return []
    collection = pystac.read_file(str(root))
    if not isinstance(collection, pystac.Catalog):
        raise ValueError(f"{root} is not a STAC Catalog or Collection")
    return list(collection.get_items(recursive=True))


def _existing(root: Path, replaced: set[str]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Earlier items still on disk: id -> (folder, item dict); gone assets dropped."""
    path = root / CATALOG_FILE
    if not path.is_file():
        return {}
    kept: dict[str, tuple[str, dict[str, Any]]] = {}
    for link in orjson.loads(path.read_bytes()).get("links", []):
        if link.get("rel") != "item":
            continue
        item_path = (root / link["href"]).resolve()
        if not item_path.is_relative_to(root.resolve()) or not item_path.is_file():
            continue
        item = orjson.loads(item_path.read_bytes())
        if item.get("id") in replaced:
            continue
        folder = item_path.parent
        assets = {k: a for k, a in (item.get("assets") or {}).items()
                  if (folder / a.get("href", "")).resolve().is_file()}
        if assets:
            item["assets"] = assets
            kept[item["id"]] = (item_path.parent.name, item)
    return kept


def _localised(item: Mapping[str, Any], files: Mapping[str, Path], root: Path
               ) -> tuple[str, dict[str, Any]]:
    """(folder, the item with only ``files`` as assets, hrefs relative to its folder)."""
    folder = {p.parent.name for p in files.values()}
    name = folder.pop() if len(folder) == 1 else str(item["id"])
    assets = {}
    for key, asset in (item.get("assets") or {}).items():
        if key in files:
            path = files[key]
            rel = os.path.relpath(path.resolve(), (root / name).resolve())
            assets[key] = {**asset, "href": "./" + Path(rel).as_posix()}
    return name, {**item, "assets": assets}


def _extent(items: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    boxes = [i["bbox"] for i in items if isinstance(i.get("bbox"), list) and len(i["bbox"]) == 4]
    when = []
    for item in items:
        props = item.get("properties") or {}
        for key in ("datetime", "start_datetime", "end_datetime"):
            try:
                when.append(parse_instant(props.get(key)))
            except ValueError:
                continue
    bbox = ([min(b[0] for b in boxes), min(b[1] for b in boxes),
             max(b[2] for b in boxes), max(b[3] for b in boxes)] if boxes
            else [-180.0, -90.0, 180.0, 90.0])
    interval = ([format_instant(min(when)), format_instant(max(when))] if when
                else [None, None])
    return {"spatial": {"bbox": [bbox]}, "temporal": {"interval": [interval]}}


def write_local_catalog(
    dest: str | os.PathLike[str],
    items: Iterable[Mapping[str, Any]],
    files: Mapping[tuple[str, str], Path],
) -> Path:
    """Write (or merge into) the self-contained STAC Collection of ``dest``.

    Parameters
    ----------
    dest : path
        The download directory.
    items : iterable of dict
        The server's STAC Items (dicts) of the files.
    files : mapping
        ``(item id, asset key) -> path`` of every verified file under ``dest``.

    Returns
    -------
    pathlib.Path
        ``<dest>/collection.json``.
    """
    root = Path(dest)
    by_item: dict[str, dict[str, Path]] = {}
    for (item_id, key), path in files.items():
        by_item.setdefault(item_id, {})[key] = path
    fresh: dict[str, tuple[str, dict[str, Any]]] = {}
    for item in items:
        if item.get("id") in by_item:
            folder, local = _localised(item, by_item[item["id"]], root)
            if local["assets"]:
                fresh[local["id"]] = (folder, local)
    everything = {**_existing(root, set(fresh)), **fresh}
    order = sorted(everything, key=lambda i: (str((everything[i][1].get("properties") or {})
                                                  .get("datetime")), i))
    item_links = []
    for item_id in order:
        folder, item = everything[item_id]
        taken = {Path(a["href"]).name for a in item["assets"].values()}
        name = f"{folder}.json" if f"{folder}.json" not in taken else f"{folder}.stac.json"
        links = [link for link in item.get("links") or []
                 if link.get("rel") not in {"root", "parent", "collection", "self"}
                 and not str(link.get("href", "")).startswith(("http://", "https://"))]
        links += [{"rel": rel, "href": f"../{CATALOG_FILE}", "type": "application/json"}
                  for rel in ("root", "parent", "collection")]
        _write_json(root / folder / name, {**item, "collection": COLLECTION_ID, "links": links})
        item_links.append({"rel": "item", "href": f"./{folder}/{name}",
                           "type": "application/geo+json"})
    collection = {
        "type": "Collection",
        "stac_version": _STAC_VERSION,
        "id": COLLECTION_ID,
        "title": "Geopera imagery (local)",
        "description": "Imagery delivered by Geopera and downloaded by geopera-nb.",
        "license": "proprietary",
        "extent": _extent([everything[i][1] for i in order]),
        "links": [{"rel": "root", "href": f"./{CATALOG_FILE}", "type": "application/json"},
                  *item_links],
    }
    _write_json(root / CATALOG_FILE, collection)
    return root / CATALOG_FILE
