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
(minus files deleted since; an earlier Item file is rewritten only then).

The JSON is written here rather than by ``pystac``'s ``Catalog.save``: pystac would
migrate every Item (STAC 1.1, projection v2) and deep-copies each one, about 5 ms an
Item, more than the download of a small file; the files are plain STAC that pystac
reads back (:func:`read_local_catalog`). :func:`write_item` writes one Item (so
``download_assets`` writes each as soon as its files are verified, while the others
download) and :func:`write_collection` the Collection, last.

Durability: each file appears whole or not at all (a temporary file beside it, one
write, one rename), so a reader, or a run killed half-way, never sees a torn Item or
Collection, and ``collection.json`` links only Items already written. Nothing is
``fsync``-ed: after a power loss the last catalogue update may be missing, which costs
nothing, since the catalogue is derived data: the next ``download_assets`` into the same
folder re-verifies the files (against ``file:checksum``) and writes it again. An
``fsync`` per file would protect only that, at twice the cost of writing the file on
the machine the benchmarks run on (more on a laptop disk or a network filesystem).

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
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pystac

from geopera_nb.contract.timestamps import format_instant, parse_instant

__all__ = ["CATALOG_FILE", "COLLECTION_ID", "CatalogWriter", "LocalItem", "read_local_catalog",
           "write_collection", "write_item", "write_local_catalog"]

#: The catalogue's root file inside ``dest``.
CATALOG_FILE = "collection.json"
#: The id of the local Collection.
COLLECTION_ID = "geopera-imagery"
_STAC_VERSION = "1.0.0"
_TMP_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
              | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))


@dataclass(frozen=True)
class LocalItem:
    """One Item file of the local catalogue, as :func:`write_collection` links it.

    Attributes
    ----------
    id : str
        The Item's id.
    href : str
        Its file, relative to ``dest`` (``./<folder>/<name>.json``).
    item : dict
        The Item as written (its datetime orders the links; its bbox and datetimes make
        the Collection's extent).
    """

    id: str
    href: str
    item: Mapping[str, Any]


def _write_json(path: Path, data: Any) -> None:
    """Write ``data`` as JSON so that ``path`` appears whole or not at all.

    One temporary file beside it (named for this process and thread, so two writers
    never share one, and a leftover of a crashed run is simply truncated), one write, one
    rename. Not ``tempfile.mkstemp``: its random name buys nothing here, and it would make
    the file 0600 where the catalogue should be as readable as the imagery beside it
    (0666 minus the umask). No ``fsync``: see the module's notes on durability.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        fd = os.open(tmp, _TMP_FLAGS, 0o666)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, _TMP_FLAGS, 0o666)
    try:
        try:
            view = memoryview(orjson.dumps(data, option=orjson.OPT_INDENT_2))
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
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


def _existing(root: Path, replaced: set[str]) -> dict[str, LocalItem]:
    """Earlier items still on disk and not ``replaced``; an Item whose files were deleted
    since is rewritten without them (or dropped, when none is left)."""
    path = root / CATALOG_FILE
    if not path.is_file():
        return {}
    resolved_root = root.resolve()
    kept: dict[str, LocalItem] = {}
    for link in orjson.loads(path.read_bytes()).get("links", []):
        if link.get("rel") != "item":
            continue
        item_path = (root / link["href"]).resolve()
        if not item_path.is_relative_to(resolved_root) or not item_path.is_file():
            continue
        item = orjson.loads(item_path.read_bytes())
        if item.get("id") in replaced:
            continue
        folder = item_path.parent
        everything = item.get("assets") or {}
        assets = {k: a for k, a in everything.items() if (folder / a.get("href", "")).is_file()}
        if not assets:
            continue
        if len(assets) == len(everything):
            href = "./" + item_path.relative_to(resolved_root).as_posix()
            kept[item["id"]] = LocalItem(str(item["id"]), href, item)
        else:
            kept[item["id"]] = _write_item(root, folder.name, {**item, "assets": assets})
    return kept


def _relative(path: Path, folder: Path) -> str:
    """``path`` relative to ``folder``, as an href (``./visual.tif``).

    Lexical first (both are spelled from ``dest``, as ``download_assets`` does: no system
    call); through the resolved paths only when that would leave the folder (e.g. one of
    them reached through a symbolic link).
    """
    if path.parent == folder:  # the usual case: the file is in the Item's folder
        return "./" + path.name
    rel = os.path.relpath(path, folder)
    if rel.startswith(".."):
        rel = os.path.relpath(path.resolve(), folder.resolve())
    return "./" + Path(rel).as_posix()


def _localised(item: Mapping[str, Any], files: Mapping[str, Path], root: Path
               ) -> tuple[str, dict[str, Any]]:
    """(folder, the item with only ``files`` as assets, hrefs relative to its folder)."""
    folder = {p.parent.name for p in files.values()}
    name = folder.pop() if len(folder) == 1 else str(item["id"])
    assets = {}
    for key, asset in (item.get("assets") or {}).items():
        if key in files:
            assets[key] = {**asset, "href": _relative(files[key], root / name)}
    return name, {**item, "assets": assets}


def _write_item(root: Path, folder: str, item: Mapping[str, Any]) -> LocalItem:
    taken = {Path(a["href"]).name for a in item["assets"].values()}
    name = f"{folder}.json" if f"{folder}.json" not in taken else f"{folder}.stac.json"
    links = [link for link in item.get("links") or []
             if link.get("rel") not in {"root", "parent", "collection", "self"}
             and not str(link.get("href", "")).startswith(("http://", "https://"))]
    links += [{"rel": rel, "href": f"../{CATALOG_FILE}", "type": "application/json"}
              for rel in ("root", "parent", "collection")]
    _write_json(root / folder / name, {**item, "collection": COLLECTION_ID, "links": links})
    return LocalItem(str(item["id"]), f"./{folder}/{name}", item)


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


def write_item(dest: str | os.PathLike[str], item: Mapping[str, Any],
               files: Mapping[str, Path]) -> LocalItem | None:
    """Write one Item of the local catalogue beside its files.

    Parameters
    ----------
    dest : path
        The download directory.
    item : dict
        The server's STAC Item (a dict).
    files : mapping
        ``asset key -> path`` of its verified files under ``dest``.

    Returns
    -------
    LocalItem or None
        What :func:`write_collection` links; ``None`` (nothing written) when none of the
        Item's assets is in ``files``.
    """
    root = Path(dest)
    folder, local = _localised(item, files, root)
    return _write_item(root, folder, local) if local["assets"] else None


def write_collection(dest: str | os.PathLike[str], written: Iterable[LocalItem]) -> Path:
    """Write ``<dest>/collection.json``: the ``written`` Items plus the earlier ones kept.

    Items of an earlier catalogue in ``dest`` that ``written`` does not replace stay
    (minus files deleted since). Call it after every :func:`write_item` of the run.

    Returns
    -------
    pathlib.Path
        ``<dest>/collection.json``.
    """
    root = Path(dest)
    fresh = {w.id: w for w in written}
    everything = {**_existing(root, set(fresh)), **fresh}
    order = sorted(everything.values(),
                   key=lambda w: (str((w.item.get("properties") or {}).get("datetime")), w.id))
    collection = {
        "type": "Collection",
        "stac_version": _STAC_VERSION,
        "id": COLLECTION_ID,
        "title": "Geopera imagery (local)",
        "description": "Imagery delivered by Geopera and downloaded by geopera-nb.",
        "license": "proprietary",
        "extent": _extent([w.item for w in order]),
        "links": [{"rel": "root", "href": f"./{CATALOG_FILE}", "type": "application/json"},
                  *({"rel": "item", "href": w.href, "type": "application/geo+json"}
                    for w in order)],
    }
    _write_json(root / CATALOG_FILE, collection)
    return root / CATALOG_FILE


class CatalogWriter:
    """The local catalogue of one download run, written as its files settle.

    Give it every planned file's item id, then each file's outcome as it comes
    (:meth:`settled`): an Item's JSON is written once its last file has settled, listing
    the verified ones (none verified: nothing written); :meth:`close` writes the
    Collection. Not thread-safe: one thread calls it (``download_assets``' own, while its
    pool downloads the other files).

    Parameters
    ----------
    dest : path
        The download directory.
    item_for : callable
        ``item id -> the server's Item (a dict)``, or ``None`` for an id with no Item
        to write; asked once per item, when its files have settled.
    expected : iterable of str
        The item id of every planned file (an id once per file).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "c1").mkdir(); _ = (root / "c1" / "a.tif").write_bytes(b"II*\\0")
    >>> item = {"type": "Feature", "stac_version": "1.0.0", "id": "c1", "geometry": None,
    ...         "links": [], "properties": {"datetime": "2026-12-02T00:00:00.000Z"},
    ...         "assets": {"a": {"href": "https://x/a.tif"}, "b": {"href": "https://x/b.tif"}}}
    >>> writer = CatalogWriter(root, {"c1": item}.get, ["c1", "c1"])
    >>> writer.settled("c1", "a", root / "c1" / "a.tif")
    >>> (root / "c1" / "c1.json").exists()  # one file of two settled: not yet
    False
    >>> writer.settled("c1", "b", None)  # the other failed
    >>> sorted(orjson.loads((root / "c1" / "c1.json").read_bytes())["assets"])
    ['a']
    >>> writer.close().name
    'collection.json'
    """

    def __init__(self, dest: str | os.PathLike[str],
                 item_for: Callable[[str], Mapping[str, Any] | None],
                 expected: Iterable[str]) -> None:
        self.root = Path(dest)
        self._item_for = item_for
        self._pending = Counter(expected)
        self._files: dict[str, dict[str, Path]] = {}
        self.written: dict[str, LocalItem] = {}

    def settled(self, item_id: str, key: str, path: Path | None) -> None:
        """File ``key`` of ``item_id`` is done: verified at ``path``, or failed (``None``)."""
        if path is not None:
            self._files.setdefault(item_id, {})[key] = path
        self._pending[item_id] -= 1
        if self._pending[item_id] > 0:
            return
        files = self._files.pop(item_id, None)
        item = self._item_for(item_id) if files else None
        if files and item is not None and (local := write_item(self.root, item, files)):
            self.written[local.id] = local

    def close(self) -> Path | None:
        """Write the Collection (see :func:`write_collection`); ``None`` when no Item was
        written by this run (nothing is written then)."""
        return write_collection(self.root, self.written.values()) if self.written else None


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
    by_item: dict[str, dict[str, Path]] = {}
    for (item_id, key), path in files.items():
        by_item.setdefault(item_id, {})[key] = path
    chosen = {item["id"]: item for item in items if item.get("id") in by_item}  # last wins
    written = [w for item_id, item in chosen.items()
               if (w := write_item(dest, item, by_item[item_id])) is not None]
    return write_collection(dest, written)
