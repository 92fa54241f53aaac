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
- transient failures (connection errors, 5xx) are retried, resuming where they stopped.

A :class:`pandas.DataFrame` report (``item_id, asset, path, status, bytes, error``)
is returned; if any file failed, :class:`DownloadError` is raised at the end, holding
the report and listing the failures (signed URLs never appear in messages).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, cast
from urllib.parse import unquote, urlsplit

import httpx
import pandas as pd
import pystac
from tqdm.auto import tqdm

from geopera_nb.errors import GeoperaError
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

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


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
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            sha.update(block)
    return sha.hexdigest()


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
    tasks: list[Task] = []
    for key in assets:
        if f"{key}_href" not in frame.columns:
            continue
        for row in frame[["id", f"{key}_href"]].itertuples(index=True):
            i = row.Index
            href = frame.at[i, f"{key}_href"]
            if not _present(href):
                continue
            checksum = frame.at[i, f"{key}_checksum"] if f"{key}_checksum" in frame else None
            size = frame.at[i, f"{key}_size"] if f"{key}_size" in frame else None
            item_id = str(frame.at[i, "id"])
            tasks.append(Task(
                item_id=item_id,
                asset=key,
                href=str(href),
                path=_inside(root, root / _item_dir(item_id) / _file_name(str(href), key)),
                checksum=str(checksum) if _present(checksum) else None,
                size=int(cast(Any, size)) if _present(size) else None,
            ))
    return tasks


def _inside(root: Path, path: Path) -> Path:
    """``path``, after checking it resolves inside ``root`` (defence in depth)."""
    if not path.resolve().is_relative_to(root.resolve()):
        raise ValueError(f"refusing to write outside {root}: {path}")
    return path


class _Downloader:
    def __init__(self, http: httpx.Client, bar: Any, overwrite: bool, retries: int) -> None:
        self.http = http
        self.bar = bar
        self.overwrite = overwrite
        self.retries = retries
        self.lock = threading.Lock()

    def _advance(self, n: int) -> None:
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
                written, appended = self._fetch(task, part)
                resumed = resumed or appended
                break
            except _Failed as exc:
                attempt += 1
                if not exc.transient or attempt > self.retries:
                    raise
        digest = file_sha256(part)
        if expected is not None and digest != expected:
            part.unlink(missing_ok=True)
            raise _Failed(f"checksum mismatch (expected sha256 {expected}, got {digest})")
        if task.size is not None and part.stat().st_size != task.size:
            part.unlink(missing_ok=True)
            raise _Failed(f"size mismatch (expected {task.size} bytes, got {written})")
        os.replace(part, task.path)
        return ("resumed" if resumed else "downloaded"), written

    def _fetch(self, task: Task, part: Path) -> tuple[int, bool]:
        """Fill ``part`` with the whole file; (its size, whether earlier bytes were kept)."""
        have = part.stat().st_size if part.exists() else 0
        if task.size is not None and have > task.size:
            part.unlink()
            have = 0
        if task.size is not None and have == task.size and have > 0:
            return have, True
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
                appended = have > 0
                mode = "ab" if have else "wb"
                with part.open(mode) as fh:
                    for chunk in response.iter_bytes():  # as received: nothing held back
                        fh.write(chunk)
                        have += len(chunk)
                        self._advance(len(chunk))
        except httpx.HTTPError as exc:
            raise _Failed(f"connection failed ({type(exc).__name__})", transient=True) from None
        return have, appended


@verb("download")
def download_assets(
    frame_or_items: Any,
    dest: str | os.PathLike[str],
    assets: Iterable[str] = ("visual", "thumbnail", "metadata"),
    concurrency: int = 4,
    overwrite: bool = False,
    progress: bool = True,
    *,
    retries: int = 2,
    timeout: float = 60.0,
    http_client: httpx.Client | None = None,
) -> pd.DataFrame:
    """Download the assets of an assets frame (or STAC Items) into ``dest``.

    Parameters
    ----------
    frame_or_items : DataFrame, pystac.ItemCollection, list of Items or FeatureCollection
        Typically :func:`geopera_nb.frames.assets_frame` (or a filtered part of it).
    dest : path
        Files go to ``<dest>/<item id>/<name>`` (e.g. ``visual.tif``).
    assets : iterable of str
        Asset keys to fetch.
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
    http_client : httpx.Client, optional
        Use this client (e.g. with a custom transport) instead of a new one.

    Returns
    -------
    pandas.DataFrame
        ``item_id, asset, path, status, bytes, error``; ``status`` is ``downloaded``,
        ``resumed`` (earlier ``.part`` bytes kept via ``Range``), ``skipped`` (a verified
        file was there) or ``failed``.

    Raises
    ------
    DownloadError
        After all files were tried, if any failed (``.report`` has every row).

    Examples
    --------
    >>> report = download_assets(assets_frame(client, order_id), "imagery")  # doctest: +SKIP
    >>> report.status.value_counts()  # doctest: +SKIP
    """
    tasks = plan(frame_or_items, dest, list(assets))
    total = sum(t.size or 0 for t in tasks)
    http = http_client or httpx.Client(follow_redirects=True, timeout=timeout,
                                       limits=httpx.Limits(max_connections=max(concurrency, 1)))
    try:
        with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                  desc="Downloading assets", disable=not progress) as bar:
            worker = _Downloader(http, bar, overwrite, retries)
            if concurrency <= 1 or len(tasks) <= 1:
                rows = [worker.run(t) for t in tasks]
            else:
                with ThreadPoolExecutor(max_workers=concurrency) as pool:
                    rows = list(pool.map(worker.run, tasks))
    finally:
        if http_client is None:
            http.close()
    report = pd.DataFrame(rows, columns=list(REPORT_COLUMNS))
    report = report.astype({"item_id": "string", "asset": "string", "path": "string",
                            "status": "string", "bytes": "Int64", "error": "string"})
    if (report["status"] == "failed").any():
        raise DownloadError(report)
    return report
