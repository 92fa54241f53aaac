"""Rendered asset files, made once and kept content-addressed under the data directory.

Layout (``DATA_DIR/assets/``)::

    <sha256>.<ext>         the bytes of one rendered file, named by their digest
    index/<sha256>.json    key -> {"digest", "size", "media_type"}, one file per key

A key names what was rendered (seed, capture id, asset name, renderer version), so a
new renderer version renders again instead of serving stale bytes. Every file is
written to a temporary name beside its target and renamed into place, so a reader
never sees half a file and two writers of the same key (threads or processes) both
leave a whole, identical file. Within one process a key is rendered by one thread at a
time (the others wait for it and then find the files).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson

from geopera_nb.contract.limits import ASSET_INDEX_MEMORY_MAX

__all__ = ["AssetCache", "CachedAsset", "cache_for"]

#: Key -> lock stripes (a bounded set of locks, shared by the keys that hash alike).
_STRIPES = 64


@dataclass(frozen=True)
class CachedAsset:
    """One stored file.

    Attributes
    ----------
    path
        Where its bytes are.
    digest
        sha256 of the bytes (hex).
    size
        Bytes.
    media_type
        Its media type.
    """

    path: Path
    digest: str
    size: int
    media_type: str

    @property
    def checksum(self) -> str:
        """Multihash ``1220`` + sha256, as ``file:checksum`` spells it."""
        return "1220" + self.digest


#: What a renderer answers per asset name: (bytes, media type, file suffix).
Rendered = tuple[bytes, str, str]


def _key_name(key: Sequence[object]) -> str:
    return hashlib.sha256("\x1f".join(map(str, key)).encode()).hexdigest()


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class AssetCache:
    """Content-addressed files and the index that finds them by key.

    Parameters
    ----------
    root
        The cache directory (made when missing).

    Examples
    --------
    >>> import tempfile
    >>> cache = AssetCache(Path(tempfile.mkdtemp()))
    >>> made = cache.get_or_make(("s", "c"), ["a"], lambda: {"a": (b"hi", "text/plain", ".txt")})
    >>> made["a"].size, made["a"].path.name[:8], cache.lookup(("s", "c", "a")) == made["a"]
    (2, '8f434346', True)
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._index_dir = self.root / "index"
        self._index_dir.mkdir(parents=True, exist_ok=True)
        self._memory: dict[str, CachedAsset] = {}
        self._memory_lock = threading.Lock()
        self._stripes = [threading.Lock() for _ in range(_STRIPES)]
        #: How many times :meth:`get_or_make` called its renderer (tests and benchmarks).
        self.renders = 0

    def __repr__(self) -> str:
        return f"AssetCache({str(self.root)!r})"

    def lookup(self, key: Sequence[object]) -> CachedAsset | None:
        """The stored file of ``key``, or ``None`` (also when its bytes went missing)."""
        name = _key_name(key)
        found = self._memory.get(name)
        if found is None:
            try:
                doc = orjson.loads((self._index_dir / f"{name}.json").read_bytes())
                found = CachedAsset(path=self.root / str(doc["file"]), digest=str(doc["digest"]),
                                    size=int(doc["size"]), media_type=str(doc["media_type"]))
            except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                return None
        try:
            if found.path.stat().st_size != found.size:
                return None
        except OSError:
            return None
        self._remember(name, found)
        return found

    def put(self, key: Sequence[object], data: bytes, media_type: str, suffix: str) -> CachedAsset:
        """Store ``data`` (once per content) and index it under ``key``."""
        digest = hashlib.sha256(data).hexdigest()
        path = self.root / f"{digest}{suffix}"
        self._index_dir.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.stat().st_size != len(data):
            _write_atomic(path, data)
        entry = CachedAsset(path=path, digest=digest, size=len(data), media_type=media_type)
        name = _key_name(key)
        doc = {"key": [str(k) for k in key], "file": path.name, "digest": digest,
               "size": len(data), "media_type": media_type}
        _write_atomic(self._index_dir / f"{name}.json", orjson.dumps(doc))
        self._remember(name, entry)
        return entry

    def get_or_make(self, base: Sequence[object], names: Sequence[str],
                    make: Callable[[], Mapping[str, Rendered]]) -> dict[str, CachedAsset]:
        """The files ``base + (name,)`` for every name, rendering them all on a miss.

        ``make`` answers every name at once (one render makes all files of a capture).
        """
        keys = {name: (*base, name) for name in names}
        found = {name: self.lookup(key) for name, key in keys.items()}
        if all(v is not None for v in found.values()):
            return {k: v for k, v in found.items() if v is not None}
        with self._stripes[int(_key_name(base)[:8], 16) % _STRIPES]:
            found = {name: self.lookup(key) for name, key in keys.items()}
            if all(v is not None for v in found.values()):
                return {k: v for k, v in found.items() if v is not None}
            with self._memory_lock:
                self.renders += 1
            rendered = make()
            return {name: self.put(key, *rendered[name]) for name, key in keys.items()}

    def clear(self) -> int:
        """Forget every stored file and index entry (benchmarks); answer the files removed."""
        with self._memory_lock:
            self._memory.clear()
        removed = 0
        for path in [*self._index_dir.glob("*.json"), *self.root.glob("*.*")]:
            if path.is_file():
                path.unlink(missing_ok=True)
                removed += path.parent == self.root
        return removed

    def _remember(self, name: str, entry: CachedAsset) -> None:
        with self._memory_lock:
            if len(self._memory) >= ASSET_INDEX_MEMORY_MAX:
                self._memory.clear()
            self._memory[name] = entry


_CACHES: dict[Path, AssetCache] = {}
_CACHES_LOCK = threading.Lock()


def cache_for(data_dir: Path | str) -> AssetCache:
    """The asset cache of a sandbox data directory (one object per directory and process)."""
    root = (Path(data_dir) / "assets").resolve()
    with _CACHES_LOCK:
        cache = _CACHES.get(root)
        if cache is None:
            cache = _CACHES[root] = AssetCache(root)
        return cache
