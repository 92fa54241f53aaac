"""Download delivered assets: concurrent, resumable, checksum-verified, never half-written.

Each file goes to ``<dest>/<item id>/<file name from the href>`` through a ``.part``
file beside it:

- an existing file whose ``file:checksum`` matches is skipped (``status="skipped"``);
  one that does not match is downloaded again (unless its checksum is unknown);
- a leftover ``.part`` is resumed with an HTTP ``Range`` request; a server that answers
  200 instead of 206 restarts the file from zero;
- bytes are hashed as they arrive; the multihash ``1220`` + sha256 hex must match,
  else the ``.part`` is deleted and the file fails with ``checksum mismatch``;
- only a verified ``.part`` is renamed (atomically) to its final name;
- transient failures (connection errors, 5xx) are retried, resuming where they stopped;
- every file is bounded: by its ``file:size`` when the Item gives one, else by
  ``max_bytes`` (:data:`~geopera_nb.contract.limits.ASSET_DOWNLOAD_MAX_BYTES` by
  default). A body that runs past its bound (an announced ``Content-Length`` or the
  bytes as they arrive) is stopped, its ``.part`` deleted, and the file fails with
  ``too large``; it is never reported downloaded.

Beside the files, ``<dest>/collection.json`` is a self-contained STAC Collection of the
downloaded Items with relative hrefs (see :mod:`geopera_nb.export.local_catalog`), so
pystac, odc-stac, QGIS or ``gn.load`` open the delivery offline. Each Item's JSON is
written as soon as its last file is settled, while the other files download; the
Collection once at the end.

A :class:`pandas.DataFrame` report (``item_id, asset, path, status, bytes, error``)
is returned (``report.attrs["catalog"]`` is the catalogue's path); if any file failed,
:class:`DownloadError` is raised at the end (:class:`DownloadTooLargeError` when a file
ran past its bound), holding the report and listing the failures (signed URLs never
appear in messages).
"""

from __future__ import annotations

import functools
import hashlib
import os
import ssl
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, cast
from urllib.parse import unquote, urlsplit

import httpx
import orjson
import pandas as pd
import pystac
from tqdm.auto import tqdm

from geopera_nb.contract import limits
from geopera_nb.errors import GeoperaError
from geopera_nb.export.local_catalog import CatalogWriter
from geopera_nb.frames.accessor import verb

SHA256_MULTIHASH = "1220"
_CHUNK = 1 << 20
REPORT_COLUMNS = ("item_id", "asset", "path", "status", "bytes", "error")


class DownloadError(GeoperaError):
    """One or more assets failed to download; ``.report`` holds every file's outcome.

    Attributes
    ----------
    report : pandas.DataFrame
        ``item_id, asset, path, status, bytes, error`` per file.
    failures : pandas.DataFrame
        The failed rows of ``report``.
    """

    def __init__(self, report: pd.DataFrame) -> None:
        self.report = report
        self.failures = report[report["status"] == "failed"].reset_index(drop=True)
        lines = [f"  {r.item_id}/{r.asset}: {r.error}" for r in self.failures.itertuples()]
        shown = "\n".join(lines[:20]) + ("\n  ..." if len(lines) > 20 else "")
        super().__init__(f"{len(self.failures)} of {len(report)} downloads failed:\n{shown}")


class DownloadTooLargeError(DownloadError):
    """A file ran past its bound (its ``file:size``, else ``max_bytes``) and was stopped.

    The partial file was deleted; the other files were still tried (``.report``).
    """


@dataclass(frozen=True)
class Task:
    """One file to fetch."""

    item_id: str
    asset: str
    href: str
    path: Path
    checksum: str | None
    size: int | None


class _Failed(Exception):
    """A per-file failure with a message fit for the report."""

    def __init__(self, message: str, *, transient: bool = False, too_large: bool = False) -> None:
        super().__init__(message)
        self.transient = transient
        self.too_large = too_large


def human_bytes(n: int) -> str:
    """``n`` bytes for a message.

    Examples
    --------
    >>> human_bytes(16 * 1024**3), human_bytes(1_500_000), human_bytes(300)
    ('16 GiB', '1.43 MiB', '300 bytes')
    """
    size = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{n} bytes" if unit == "bytes" else f"{size:.3g} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def parse_checksum(value: Any) -> str | None:
    """The sha256 hex digest of a ``file:checksum`` multihash, or ``None``.

    Examples
    --------
    >>> parse_checksum("1220" + "ab" * 32) == "ab" * 32
    True
    >>> parse_checksum("1114abcd") is None, parse_checksum(None) is None
    (True, True)
    """
    if not isinstance(value, str) or not value.lower().startswith(SHA256_MULTIHASH):
        return None
    digest = value[len(SHA256_MULTIHASH):].lower()
    return digest if len(digest) == 64 else None


def file_sha256(path: Path) -> str:
    """The sha256 hex digest of a file's content."""
    return str(_sha256_of(path).hexdigest())


def _safe_component(name: str, fallback: str) -> str:
    """``name`` if it is one harmless path component, else ``fallback``.

    Item ids and href file names come from the server (or any STAC collection a user
    passes in): they must never steer a write outside ``dest`` (``..``, ``/``, ``\\``,
    absolute paths, NUL, empty names).
    """
    bad = (not name or name in {".", ".."} or "/" in name or "\\" in name or "\0" in name
           or name.startswith("~") or len(name.encode("utf-8", "replace")) > 200)
    return fallback if bad else name


def _file_name(href: str, asset: str) -> str:
    name = PurePosixPath(unquote(urlsplit(href).path)).name
    return _safe_component(name, asset)


def _item_dir(item_id: str) -> str:
    # an unsafe id is replaced by a stable digest of it, so distinct items never collide
    return _safe_component(item_id, "item-" + hashlib.sha256(item_id.encode()).hexdigest()[:16])


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and value != value) and value is not pd.NA


def _frame(frame_or_items: Any) -> pd.DataFrame:
    if isinstance(frame_or_items, pd.DataFrame):
        return frame_or_items
    from geopera_nb.frames.assets import assets_frame_from_stac

    if isinstance(frame_or_items, (pystac.ItemCollection, Mapping)):
        return assets_frame_from_stac(frame_or_items)
    return assets_frame_from_stac(list(frame_or_items))


def plan(frame_or_items: Any, dest: str | os.PathLike[str], assets: Sequence[str]) -> list[Task]:
    """The files to fetch for the wanted asset keys (rows without an href are skipped)."""
    frame = _frame(frame_or_items)
    root = Path(dest)
    resolved_root = root.resolve()
    ids = [str(v) for v in frame["id"].tolist()] if "id" in frame.columns else []

    def column(name: str) -> list[Any]:
        return frame[name].tolist() if name in frame.columns else [None] * len(ids)

    tasks: list[Task] = []
    for key in assets:
        if f"{key}_href" not in frame.columns:
            continue
        rows = zip(ids, column(f"{key}_href"), column(f"{key}_checksum"),
                   column(f"{key}_size"), strict=True)
        for item_id, href, checksum, size in rows:
            if not _present(href):
                continue
            tasks.append(Task(
                item_id=item_id,
                asset=key,
                href=str(href),
                path=_inside(root, resolved_root,
                             root / _item_dir(item_id) / _file_name(str(href), key)),
                checksum=str(checksum) if _present(checksum) else None,
                size=int(cast(Any, size)) if _present(size) else None,
            ))
    return tasks


def _inside(root: Path, resolved_root: Path, path: Path) -> Path:
    """``path`` (``<root>/<folder>/<name>``), after checking it resolves inside
    ``resolved_root`` (defence in depth).

    Both components passed :func:`_safe_component`, so the path can only leave ``root``
    through a symbolic link at one of them: those two are checked (one ``lstat`` each)
    and the whole path is resolved only then, or if the path is not that shape after all
    (``resolve`` walks every component of the path: one system call each).
    """
    if (path.parent.parent != root or os.path.islink(path.parent) or os.path.islink(path)) \
            and not path.resolve().is_relative_to(resolved_root):
        raise ValueError(f"refusing to write outside {resolved_root}: {path}")
    return path


class _Downloader:
    def __init__(self, http: httpx.Client, bar: Any, overwrite: bool, retries: int,
                 max_bytes: int) -> None:
        self.http = http
        self.bar = bar
        self.overwrite = overwrite
        self.retries = retries
        self.max_bytes = max_bytes
        self.lock = threading.Lock()
        self.counting = not getattr(bar, "disable", False)
        self.too_large: set[tuple[str, str]] = set()

    def _advance(self, n: int) -> None:
        if self.counting:  # no lock taken per chunk when there is no bar to move
            with self.lock:
                self.bar.update(n)

    def run(self, task: Task) -> dict[str, Any]:
        row: dict[str, Any] = {"item_id": task.item_id, "asset": task.asset,
                               "path": str(task.path), "bytes": 0, "error": None}
        try:
            status, written = self._one(task)
            row.update(status=status, bytes=written)
        except _Failed as exc:
            row.update(status="failed", error=str(exc))
            if exc.too_large:
                with self.lock:
                    self.too_large.add((task.item_id, task.asset))
        except OSError as exc:
            row.update(status="failed", error=f"{type(exc).__name__}: {exc.strerror or exc}")
        return row

    def _one(self, task: Task) -> tuple[str, int]:
        expected = parse_checksum(task.checksum)
        if task.path.exists() and not self.overwrite and (
            expected is None or file_sha256(task.path) == expected
        ):
            size = task.path.stat().st_size
            self._advance(task.size or 0)
            return "skipped", size
        task.path.parent.mkdir(parents=True, exist_ok=True)
        part = task.path.with_name(task.path.name + ".part")
        if self.overwrite:
            part.unlink(missing_ok=True)
        resumed = False
        attempt = 0
        while True:
            try:
                written, appended, digest = self._fetch(task, part)
                resumed = resumed or appended
                break
            except _Failed as exc:
                attempt += 1
                if not exc.transient or attempt > self.retries:
                    raise
        if expected is not None and digest != expected:
            part.unlink(missing_ok=True)
            raise _Failed(f"checksum mismatch (expected sha256 {expected}, got {digest})")
        if task.size is not None and written != task.size:  # ``written``: the .part's size
            part.unlink(missing_ok=True)
            raise _Failed(f"size mismatch (expected {task.size} bytes, got {written})")
        os.replace(part, task.path)
        return ("resumed" if resumed else "downloaded"), written

    def _bound(self, task: Task) -> tuple[int, str]:
        """The most bytes ``task`` may have, and why (for the message)."""
        if task.size is not None:
            return task.size, f"its file:size of {task.size} bytes"
        return self.max_bytes, (f"the {human_bytes(self.max_bytes)} limit for an asset without "
                                "file:size (pass max_bytes= to allow more)")

    def _too_large(self, task: Task, part: Path, seen: int) -> _Failed:
        part.unlink(missing_ok=True)
        _, why = self._bound(task)
        return _Failed(f"too large: {human_bytes(seen)} is more than {why}; stopped, nothing kept",
                       too_large=True)

    def _fetch(self, task: Task, part: Path) -> tuple[int, bool, str]:
        """Fill ``part`` with the whole file; (its size, whether earlier bytes were kept,
        its sha256). New bytes are hashed as they arrive; kept ones are read once."""
        limit, _ = self._bound(task)
        try:
            have = part.stat().st_size
        except FileNotFoundError:
            have = 0
        if have > limit:
            part.unlink()
            have = 0
        if task.size is not None and have == task.size and have > 0:
            return have, True, file_sha256(part)
        headers = {"Range": f"bytes={have}-"} if have else {}
        try:
            with self.http.stream("GET", task.href, headers=headers) as response:
                if response.status_code == 416 and have:
                    part.unlink()  # our .part is not a prefix the server knows: start over
                    raise _Failed("range not satisfiable; restarting", transient=True)
                if response.status_code >= 400:
                    raise _Failed(f"HTTP {response.status_code}",
                                  transient=response.status_code >= 500)
                if have and response.status_code != 206:
                    have = 0  # the server ignored Range: restart from zero
                else:
                    self._advance(have)
                sha = _sha256_of(part) if have else hashlib.sha256()
                announced = _content_length(response)
                if announced is not None and have + announced > limit:
                    raise self._too_large(task, part, have + announced)
                appended = have > 0
                mode = "ab" if have else "wb"
                with part.open(mode) as fh:
                    for chunk in response.iter_bytes():  # as received: nothing held back
                        if have + len(chunk) > limit:
                            fh.close()
                            raise self._too_large(task, part, have + len(chunk))
                        fh.write(chunk)
                        sha.update(chunk)
                        have += len(chunk)
                        self._advance(len(chunk))
        except httpx.HTTPError as exc:
            raise _Failed(f"connection failed ({type(exc).__name__})", transient=True) from None
        return have, appended, sha.hexdigest()


def _sha256_of(path: Path) -> Any:
    """A running sha256 over the bytes already in ``path`` (to resume hashing)."""
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            sha.update(block)
    return sha


def _content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length")
    if value is None or response.headers.get("content-encoding", "identity") != "identity":
        return None  # a compressed body's length says nothing about the file's
    try:
        return int(value)
    except ValueError:
        return None


class _ItemSource:
    """The STAC Item (a dict) behind the input for an item id, for the local catalogue:
    made when first asked (as the item's files settle, while others download), the last
    one that can be made when an id is given twice. Rows that cannot make an Item (no
    ``stac_item`` and no datetime, e.g. a hand-made frame) give ``None``."""

    def __init__(self, frame_or_items: Any, frame: pd.DataFrame) -> None:
        self.frame: pd.DataFrame | None = None
        self.where: dict[str, list[Any]] = {}
        if isinstance(frame_or_items, pd.DataFrame):
            self.frame = frame
            ids = frame["id"].tolist() if "id" in frame.columns else []
            texts = (frame["stac_item"].tolist() if "stac_item" in frame.columns
                     else [None] * len(ids))
            for row, (item_id, text) in enumerate(zip(ids, texts, strict=True)):
                self.where.setdefault(str(item_id), []).append((row, text))
            return
        if isinstance(frame_or_items, pystac.ItemCollection):
            features: Iterable[Any] = frame_or_items.items
        elif isinstance(frame_or_items, Mapping):
            features = frame_or_items.get("features", [])
        else:
            features = frame_or_items
        for feature in features:
            item_id = feature.id if isinstance(feature, pystac.Item) else feature.get("id")
            self.where.setdefault(str(item_id), []).append(feature)

    def get(self, item_id: str) -> dict[str, Any] | None:
        for candidate in reversed(self.where.get(item_id, [])):
            item = self._row(*candidate) if self.frame is not None else self._feature(candidate)
            if item is not None:
                return item
        return None

    def _row(self, row: int, text: Any) -> dict[str, Any] | None:
        if isinstance(text, str) and text.strip():
            return cast(dict[str, Any], orjson.loads(text))
        from geopera_nb.frames.assets import to_stac

        assert self.frame is not None
        try:
            made = to_stac(self.frame.iloc[row:row + 1]).items
        except (pystac.STACError, ValueError, TypeError, KeyError, AttributeError):
            return None
        return made[-1].to_dict(transform_hrefs=False) if made else None

    @staticmethod
    def _feature(feature: Any) -> dict[str, Any] | None:
        item = feature.to_dict(transform_hrefs=False) if isinstance(feature, pystac.Item) \
            else dict(feature)
        return item if (item.get("properties") or {}).get("datetime") else None


_DONE = ("downloaded", "resumed", "skipped")


@functools.lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    """httpx's default TLS context (certifi's roots), made once: loading the CA bundle
    takes ~0.1 s, as long as downloading twenty small files."""
    return httpx.create_ssl_context()


@verb("download")
def download_assets(
    frame_or_items: Any,
    dest: str | os.PathLike[str] | None = None,
    assets: Iterable[str] | None = None,
    concurrency: int = 4,
    overwrite: bool = False,
    progress: bool = True,
    *,
    retries: int = 2,
    timeout: float = 60.0,
    max_bytes: int | None = None,
    catalog: bool = True,
    http_client: httpx.Client | None = None,
) -> pd.DataFrame:
    """Download the assets of an assets frame (or STAC Items) into ``dest``.

    Parameters
    ----------
    frame_or_items : DataFrame, pystac.ItemCollection, list of Items or FeatureCollection
        Typically :func:`geopera_nb.frames.assets_frame` (or a filtered part of it).
    dest : path, optional
        Files go to ``<dest>/<item id>/<name>`` (e.g. ``visual.tif``); default
        :data:`~geopera_nb.contract.limits.IMAGERY_DIR_DEFAULT` (``geopera-imagery``) in
        the working directory, where ``gn.load`` looks first.
    assets : iterable of str, optional
        Asset keys to fetch; default every asset the Items have.
    concurrency : int
        Files downloaded at once (threads sharing one HTTP connection pool).
    overwrite : bool
        Download again even when a verified file exists.
    progress : bool
        Show a byte progress bar (``tqdm.auto``: a widget in Jupyter, text in a terminal).
    retries : int
        Extra attempts per file after a transient failure (resuming).
    timeout : float
        Seconds per network read.
    max_bytes : int, optional
        Largest file written for an asset without ``file:size`` (default
        :data:`~geopera_nb.contract.limits.ASSET_DOWNLOAD_MAX_BYTES`, 16 GiB). An asset
        with ``file:size`` is held to that size.
    catalog : bool
        Write (or update) the local STAC catalogue ``<dest>/collection.json``.
    http_client : httpx.Client, optional
        Use this client (e.g. with a custom transport) instead of a new one.

    Returns
    -------
    pandas.DataFrame
        ``item_id, asset, path, status, bytes, error``; ``status`` is ``downloaded``,
        ``resumed`` (earlier ``.part`` bytes kept via ``Range``), ``skipped`` (a verified
        file was there) or ``failed``. ``report.attrs["catalog"]`` is the path of the
        local catalogue (when one was written).

    Raises
    ------
    DownloadError
        After all files were tried, if any failed (``.report`` has every row); the
        catalogue is written first, with the files that did arrive.
    DownloadTooLargeError
        The same, when a file ran past its bound (it was stopped and deleted).

    Examples
    --------
    >>> report = download_assets(assets_frame(client, order_id), "imagery")  # doctest: +SKIP
    >>> report.status.value_counts()  # doctest: +SKIP
    """
    dest = limits.IMAGERY_DIR_DEFAULT if dest is None else dest
    if not isinstance(frame_or_items, (pd.DataFrame, pystac.ItemCollection, Mapping)):
        frame_or_items = list(frame_or_items)  # read twice (frame, catalogue): a generator too
    frame = _frame(frame_or_items)
    keys = list(assets) if assets is not None else [
        str(c)[: -len("_href")] for c in frame.columns if str(c).endswith("_href")]
    bound = limits.ASSET_DOWNLOAD_MAX_BYTES if max_bytes is None else int(max_bytes)
    if bound <= 0:
        raise ValueError(f"max_bytes must be positive, not {max_bytes!r}")
    if not 1 <= concurrency <= limits.DOWNLOAD_THREADS_MAX:
        raise ValueError(f"concurrency must be 1 to {limits.DOWNLOAD_THREADS_MAX}, "
                         f"not {concurrency!r}")
    if not 0 <= retries <= limits.DOWNLOAD_RETRIES_MAX:
        raise ValueError(f"retries must be 0 to {limits.DOWNLOAD_RETRIES_MAX}, not {retries!r}")
    tasks = plan(frame, dest, keys)
    total = sum(t.size or 0 for t in tasks)
    writer = CatalogWriter(dest, _ItemSource(frame_or_items, frame).get,
                           (t.item_id for t in tasks)) if catalog else None
    rows: list[dict[str, Any]] = [{}] * len(tasks)

    def settle(i: int, row: dict[str, Any]) -> None:
        rows[i] = row
        if writer is not None:  # the Item's JSON, once its last file is settled
            task = tasks[i]
            writer.settled(task.item_id, task.asset,
                           task.path if row["status"] in _DONE else None)

    http = http_client or httpx.Client(follow_redirects=True, timeout=timeout,
                                       verify=_tls_context(),
                                       limits=httpx.Limits(max_connections=max(concurrency, 1)))
    try:
        with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                  desc="Downloading assets", disable=not progress) as bar:
            worker = _Downloader(http, bar, overwrite, retries, bound)
            if concurrency <= 1 or len(tasks) <= 1:
                for i, task in enumerate(tasks):
                    settle(i, worker.run(task))
            else:
                with ThreadPoolExecutor(max_workers=concurrency) as pool:
                    futures: dict[Future[dict[str, Any]], int] = {
                        pool.submit(worker.run, task): i for i, task in enumerate(tasks)}
                    for future in as_completed(futures):  # this thread writes the catalogue
                        settle(futures[future], future.result())
    finally:
        if http_client is None:
            http.close()
    # one frame from typed columns (an ``astype`` per column after the fact costs 5x more)
    columns = {name: [row[name] for row in rows] for name in REPORT_COLUMNS}
    report = pd.DataFrame({name: pd.array(values, dtype="Int64") if name == "bytes"
                           else pd.array(values, dtype="string")
                           for name, values in columns.items()})
    path = writer.close() if writer is not None else None
    if path is not None:
        report.attrs["catalog"] = str(path)
    if any(row["status"] == "failed" for row in rows):
        raise (DownloadTooLargeError if worker.too_large else DownloadError)(report)
    return report
