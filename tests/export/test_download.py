"""download_assets: checksums, resume, skip-existing, failures, bounds, against real HTTP
servers (the local catalogue it writes is tested in tests/pixels/)."""

from __future__ import annotations

import doctest
import hashlib
import http.server
import os
import stat
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from frames_scenario import Scenario

import geopera_nb.export.download as download_module
import geopera_nb.frames as F
from geopera_nb.contract import limits
from geopera_nb.errors import GeoperaError
from geopera_nb.export import (
    DownloadError,
    DownloadTooLargeError,
    download_assets,
    read_local_catalog,
)
from geopera_nb.export.download import file_sha256, parse_checksum


@dataclass
class FileServer:
    """A loopback HTTP server of in-memory files, optionally honouring Range."""

    files: dict[str, bytes] = field(default_factory=dict)
    ranges: bool = True
    cut_once: set[str] = field(default_factory=set)
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    url: str = ""
    #: paths answered with a body that never ends (no Content-Length), and bytes sent
    endless: set[str] = field(default_factory=set)
    sent: dict[str, int] = field(default_factory=dict)
    #: paths whose Content-Length header announces this many bytes (a lie or a giant)
    announce: dict[str, int] = field(default_factory=dict)
    #: paths answered only once this file exists (or after 10 s), and whether it did
    wait_for: dict[str, Path] = field(default_factory=dict)
    waited: dict[str, bool] = field(default_factory=dict)


@pytest.fixture
def server() -> Iterator[FileServer]:
    state = FileServer()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            rng = self.headers.get("Range")
            state.requests.append((path, rng))
            if path in state.wait_for:
                deadline = time.monotonic() + 10
                while not state.wait_for[path].exists() and time.monotonic() < deadline:
                    time.sleep(0.01)
                state.waited[path] = state.wait_for[path].exists()
            if path in state.endless:
                self._endless(path)
                return
            if path in state.announce:
                self.send_response(200)
                self.send_header("Content-Length", str(state.announce[path]))
                self.end_headers()
                self._endless(path, headers=False)
                return
            body = state.files.get(path)
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            start = 0
            if rng and state.ranges:
                start = int(rng.removeprefix("bytes=").split("-")[0])
                if start >= len(body):
                    self.send_response(416)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            chunk = body[start:]
            self.send_header("Content-Length", str(len(chunk)))
            self.end_headers()
            if path in state.cut_once:  # drop the connection halfway, once
                state.cut_once.discard(path)
                self.wfile.write(chunk[: len(chunk) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(chunk)

        def _endless(self, path: str, headers: bool = True) -> None:
            """Send 64 KiB blocks until the client hangs up."""
            if headers:
                self.send_response(200)
                self.send_header("Content-Type", "image/tiff")
                self.end_headers()
            block = b"\x00" * 65536
            state.sent[path] = 0
            try:
                while state.sent[path] < 1 << 31:  # a backstop for the test itself
                    self.wfile.write(block)
                    state.sent[path] += len(block)
            except OSError:
                pass
            self.close_connection = True

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


def _multihash(data: bytes) -> str:
    return "1220" + hashlib.sha256(data).hexdigest()


def _frame(server: FileServer, n: int = 3, *, corrupt: int | None = None) -> pd.DataFrame:
    rows = []
    for i in range(n):
        data = bytes([i % 251]) * (300_000 + i)
        server.files[f"/a/item{i}/visual.tif"] = data
        server.files[f"/a/item{i}/thumbnail.png"] = b"png" * (i + 1)
        checksum = _multihash(b"something else" if i == corrupt else data)
        rows.append({"id": f"item{i}", "visual_href": f"{server.url}/a/item{i}/visual.tif?sig=s3cret",
                     "visual_checksum": checksum, "visual_size": len(data),
                     "thumbnail_href": f"{server.url}/a/item{i}/thumbnail.png?sig=s3cret",
                     "thumbnail_checksum": _multihash(b"png" * (i + 1)),
                     "thumbnail_size": 3 * (i + 1)})
    return pd.DataFrame(rows)


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_downloads_verify_and_land_under_item_ids(server: FileServer, tmp_path: Path) -> None:
    frame = _frame(server)
    report = download_assets(frame, tmp_path, assets=("visual", "thumbnail"), progress=False)
    assert list(report.columns) == ["item_id", "asset", "path", "status", "bytes", "error"]
    assert set(report["status"]) == {"downloaded"}
    assert _files(tmp_path) == sorted(
        f"item{i}/{name}" for i in range(3) for name in ("visual.tif", "thumbnail.png"))
    for row in frame.itertuples():
        path = tmp_path / row.id / "visual.tif"
        assert file_sha256(path) == parse_checksum(row.visual_checksum)
    assert report["bytes"].sum() == sum(len(v) for v in server.files.values())


def test_existing_verified_files_are_skipped(server: FileServer, tmp_path: Path) -> None:
    frame = _frame(server)
    download_assets(frame, tmp_path, assets=("visual",), progress=False)
    server.requests.clear()
    report = download_assets(frame, tmp_path, assets=("visual",), progress=False)
    assert set(report["status"]) == {"skipped"}
    assert server.requests == []
    # a damaged file is fetched again
    (tmp_path / "item1" / "visual.tif").write_bytes(b"damaged")
    report = download_assets(frame, tmp_path, assets=("visual",), progress=False)
    assert report.set_index("item_id")["status"].to_dict() == {
        "item0": "skipped", "item1": "downloaded", "item2": "skipped"}
    again = download_assets(frame, tmp_path, assets=("visual",), overwrite=True, progress=False)
    assert set(again["status"]) == {"downloaded"}


def test_checksum_mismatch_fails_and_leaves_nothing(server: FileServer, tmp_path: Path) -> None:
    frame = _frame(server, corrupt=1)
    with pytest.raises(DownloadError) as caught:
        download_assets(frame, tmp_path, assets=("visual",), progress=False)
    err = caught.value
    assert isinstance(err, GeoperaError)
    assert "item1/visual: checksum mismatch" in str(err)
    assert "s3cret" not in str(err)  # signed URLs never in messages
    assert err.report.set_index("item_id")["status"].to_dict() == {
        "item0": "downloaded", "item1": "failed", "item2": "downloaded"}
    assert len(err.failures) == 1
    assert _files(tmp_path) == ["item0/visual.tif", "item2/visual.tif"]  # no file, no .part


def test_resume_with_range(server: FileServer, tmp_path: Path) -> None:
    frame = _frame(server, n=1)
    data = server.files["/a/item0/visual.tif"]
    part = tmp_path / "item0" / "visual.tif.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(data[:100_000])
    report = download_assets(frame, tmp_path, assets=("visual",), progress=False)
    assert report["status"].tolist() == ["resumed"]
    assert server.requests == [("/a/item0/visual.tif", "bytes=100000-")]
    assert (tmp_path / "item0" / "visual.tif").read_bytes() == data
    assert not part.exists()


def test_dropped_connection_is_retried_by_resuming(server: FileServer, tmp_path: Path) -> None:
    frame = _frame(server, n=1)
    data = server.files["/a/item0/visual.tif"]
    server.cut_once.add("/a/item0/visual.tif")
    report = download_assets(frame, tmp_path, assets=("visual",), progress=False)
    assert report["status"].tolist() == ["resumed"]
    assert server.requests == [("/a/item0/visual.tif", None),
                               ("/a/item0/visual.tif", f"bytes={len(data) // 2}-")]
    assert (tmp_path / "item0" / "visual.tif").read_bytes() == data


def test_dropped_connection_without_retries_keeps_the_part_for_later(
    server: FileServer, tmp_path: Path
) -> None:
    frame = _frame(server, n=1)
    server.cut_once.add("/a/item0/visual.tif")
    with pytest.raises(DownloadError, match="connection failed"):
        download_assets(frame, tmp_path, assets=("visual",), retries=0, progress=False)
    assert _files(tmp_path) == ["item0/visual.tif.part"]  # never the final name
    report = download_assets(frame, tmp_path, assets=("visual",), progress=False)
    assert report["status"].tolist() == ["resumed"]
    assert _files(tmp_path) == ["item0/visual.tif"]


def test_restart_when_the_server_ignores_range(server: FileServer, tmp_path: Path) -> None:
    server.ranges = False
    frame = _frame(server, n=1)
    data = server.files["/a/item0/visual.tif"]
    part = tmp_path / "item0" / "visual.tif.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(data[:100_000])
    report = download_assets(frame, tmp_path, assets=("visual",), progress=False)
    assert report["status"].tolist() == ["downloaded"]  # restarted from zero
    assert server.requests == [("/a/item0/visual.tif", "bytes=100000-")]
    assert (tmp_path / "item0" / "visual.tif").read_bytes() == data


def test_stale_part_longer_than_the_file_restarts(server: FileServer, tmp_path: Path) -> None:
    frame = _frame(server, n=1)
    data = server.files["/a/item0/visual.tif"]
    part = tmp_path / "item0" / "visual.tif.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"x" * (len(data) + 10))
    download_assets(frame, tmp_path, assets=("visual",), progress=False)
    assert (tmp_path / "item0" / "visual.tif").read_bytes() == data


def test_http_errors_are_collected(server: FileServer, tmp_path: Path) -> None:
    frame = _frame(server, n=2)
    del server.files["/a/item0/thumbnail.png"]
    with pytest.raises(DownloadError, match=r"1 of 4 downloads failed:\n  item0/thumbnail: HTTP 404"):
        download_assets(frame, tmp_path, assets=("visual", "thumbnail"), concurrency=3,
                        progress=False)
    assert not (tmp_path / "item0" / "thumbnail.png").exists()


def test_progress_bar_runs(server: FileServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frame = _frame(server, n=1)
    download_assets(frame, tmp_path, assets=("visual",), progress=True)
    assert "Downloading assets" in capsys.readouterr().err


def test_sandbox_assets_download_and_verify(export_scenario: Scenario, tmp_path: Path) -> None:
    frame = F.assets_frame(export_scenario.client, export_scenario.fulfilled[0])
    report = download_assets(frame, tmp_path, progress=False)
    assert len(report) == 3 * len(frame)
    assert set(report["status"]) == {"downloaded"}
    for row in frame.itertuples():
        for key in ("visual", "thumbnail", "metadata"):
            path = Path(report[(report.item_id == row.id) & (report.asset == key)].path.iloc[0])
            assert "sha256:" + file_sha256(path) == "sha256:" + parse_checksum(
                getattr(row, f"{key}_checksum"))
            assert path.stat().st_size == getattr(row, f"{key}_size")
    again = download_assets(F.to_stac(frame), tmp_path, progress=False)
    assert set(again["status"]) == {"skipped"}


@pytest.mark.parametrize(
    ("item_id", "href"),
    [
        ("/tmp/evil", "http://x/a/visual.tif"),
        ("../../up", "http://x/a/visual.tif"),
        ("ok-item", "http://x/a/.."),
        ("ok-item", "http://x/a/%2E%2E%2Fescape.tif"),
        ("..", "http://x/a/visual.tif"),
        ("a\\b", "http://x/a/visual.tif"),
    ],
)
def test_hostile_ids_and_hrefs_never_write_outside_dest(item_id: str, href: str,
                                                        tmp_path: Path) -> None:
    from geopera_nb.export.download import plan

    frame = pd.DataFrame({"id": [item_id], "visual_href": [href]})
    dest = tmp_path / "imagery"
    (task,) = plan(frame, dest, ["visual"])
    assert task.path.resolve().is_relative_to(dest.resolve())
    assert task.path.parent.parent == dest


# --- every download is bounded (issue 13, item 10) -----------------------------------------


def _unsized(server: FileServer, path: str, size: int | None = None) -> pd.DataFrame:
    """One good file plus one asset at ``path`` (no checksum; ``size`` if given)."""
    server.files["/a/good/visual.tif"] = b"good" * 1000
    rows = [{"id": "good", "visual_href": f"{server.url}/a/good/visual.tif",
             "visual_checksum": _multihash(b"good" * 1000), "visual_size": 4000},
            {"id": "endless", "visual_href": f"{server.url}{path}?sig=s3cret",
             "visual_size": size}]
    return pd.DataFrame(rows)


def test_an_endless_body_without_file_size_stops_at_max_bytes(server: FileServer,
                                                              tmp_path: Path) -> None:
    server.endless.add("/a/endless/visual.tif")
    frame = _unsized(server, "/a/endless/visual.tif")
    with pytest.raises(DownloadTooLargeError) as caught:
        download_assets(frame, tmp_path, assets=["visual"], max_bytes=1_000_000,
                        progress=False)
    err = caught.value
    assert isinstance(err, DownloadError) and isinstance(err, GeoperaError)
    status = err.report.set_index("item_id")["status"].to_dict()
    assert status == {"good": "downloaded", "endless": "failed"}  # never "downloaded"
    error = err.report.set_index("item_id").loc["endless", "error"]
    assert error.startswith("too large: ") and "more than the 977 KiB limit for an asset " \
        "without file:size (pass max_bytes= to allow more); stopped, nothing kept" in error
    assert "s3cret" not in str(err)
    assert _files(tmp_path) == ["good/visual.tif"]  # no .part, no final file
    assert server.requests.count(("/a/endless/visual.tif", None)) == 1  # not retried


def test_the_default_bound_is_the_limits_module(server: FileServer, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    assert limits.ASSET_DOWNLOAD_MAX_BYTES == 16 * 1024**3
    monkeypatch.setattr(limits, "ASSET_DOWNLOAD_MAX_BYTES", 300_000)
    server.endless.add("/a/endless/visual.tif")
    with pytest.raises(DownloadTooLargeError, match=r"more than the 293 KiB limit"):
        download_assets(_unsized(server, "/a/endless/visual.tif"), tmp_path,
                        assets=["visual"], progress=False)
    assert not (tmp_path / "endless").exists() or _files(tmp_path / "endless") == []
    with pytest.raises(ValueError, match="max_bytes must be positive"):
        download_assets(_unsized(server, "/a/endless/visual.tif"), tmp_path, max_bytes=0,
                        progress=False)


def test_a_body_past_its_file_size_is_stopped(server: FileServer, tmp_path: Path) -> None:
    server.endless.add("/a/endless/visual.tif")
    frame = _unsized(server, "/a/endless/visual.tif", size=100_000)
    with pytest.raises(DownloadTooLargeError, match=(
            r"endless/visual: too large: .* is more than its file:size of 100000 bytes")):
        download_assets(frame, tmp_path, assets=["visual"], progress=False)
    assert _files(tmp_path) == ["good/visual.tif"]
    assert server.sent["/a/endless/visual.tif"] < 64 * 1024**2  # the sender was cut off


def test_an_announced_length_past_the_bound_is_refused_before_any_byte(
        server: FileServer, tmp_path: Path) -> None:
    server.announce["/a/huge/visual.tif"] = 50 * 1024**3
    frame = _unsized(server, "/a/huge/visual.tif")
    with pytest.raises(DownloadTooLargeError, match=r"too large: 50 GiB is more than the 16 GiB"):
        download_assets(frame, tmp_path, assets=["visual"], progress=False)
    assert _files(tmp_path) == ["good/visual.tif"]
    sized = _unsized(server, "/a/huge/visual.tif", size=10)
    with pytest.raises(DownloadTooLargeError, match="more than its file:size of 10 bytes"):
        download_assets(sized, tmp_path, assets=["visual"], progress=False)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"concurrency": 0}, "concurrency must be 1 to 64, not 0"),
    ({"concurrency": 65}, "concurrency must be 1 to 64, not 65"),
    ({"retries": 11}, "retries must be 0 to 10, not 11"),
    ({"retries": -1}, "retries must be 0 to 10, not -1"),
    ({"max_bytes": -5}, "max_bytes must be positive"),
])
def test_threads_retries_and_bounds_are_bounded(server: FileServer, tmp_path: Path,
                                                kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        download_assets(_frame(server, n=1), tmp_path, progress=False, **kwargs)
    assert server.requests == []


# --- the report, the catalogue as the files settle, and what the fast paths keep -----------


def test_doctests() -> None:
    result = doctest.testmod(download_module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


def test_the_report_has_typed_columns(server: FileServer, tmp_path: Path) -> None:
    report = download_assets(_frame(server, n=2), tmp_path, assets=("visual",), progress=False)
    assert {c: str(t) for c, t in report.dtypes.items()} == {
        "item_id": "string", "asset": "string", "path": "string", "status": "string",
        "bytes": "Int64", "error": "string"}
    assert report["error"].isna().all() and report["bytes"].tolist() == [300_000, 300_001]
    empty = download_assets(_frame(server, n=1), tmp_path / "none", assets=("nothing",),
                            progress=False)
    assert len(empty) == 0 and str(empty["bytes"].dtype) == "Int64"
    assert "catalog" not in empty.attrs


def _stac_items(server: FileServer, n: int) -> list[dict[str, Any]]:
    frame = _frame(server, n=n)
    return [{"type": "Feature", "stac_version": "1.0.0", "id": row.id, "geometry": None,
             "links": [], "properties": {"datetime": f"2026-12-0{i + 1}T00:00:00.000Z"},
             "assets": {"visual": {"href": row.visual_href, "file:checksum": row.visual_checksum,
                                   "file:size": row.visual_size}}}
            for i, row in enumerate(frame.itertuples())]


def test_an_items_json_is_written_while_the_other_files_download(server: FileServer,
                                                                  tmp_path: Path) -> None:
    items = _stac_items(server, 2)
    # item1's file is answered only once item0's Item JSON is on disk
    server.wait_for["/a/item1/visual.tif"] = tmp_path / "item0" / "item0.json"
    report = download_assets(items, tmp_path, assets=["visual"], concurrency=2, progress=False)
    assert set(report["status"]) == {"downloaded"}
    assert server.waited == {"/a/item1/visual.tif": True}
    assert sorted(i.id for i in read_local_catalog(tmp_path)) == ["item0", "item1"]


def test_a_generator_of_items_is_catalogued_too(server: FileServer, tmp_path: Path) -> None:
    items = _stac_items(server, 2)
    report = download_assets((i for i in items), tmp_path, assets=["visual"], progress=False)
    assert set(report["status"]) == {"downloaded"}
    assert sorted(i.id for i in read_local_catalog(tmp_path)) == ["item0", "item1"]


def test_catalogue_files_are_whole_plain_files(server: FileServer, tmp_path: Path) -> None:
    download_assets(_stac_items(server, 2), tmp_path, assets=["visual"], progress=False)
    umask = os.umask(0)
    os.umask(umask)
    for name in ("collection.json", "item0/item0.json", "item1/item1.json"):
        mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
        assert mode == 0o666 & ~umask, (name, oct(mode))  # not mkstemp's 0600
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]


def test_earlier_items_are_kept_without_being_rewritten(server: FileServer,
                                                        tmp_path: Path) -> None:
    items = _stac_items(server, 3)
    download_assets(items[:2], tmp_path, assets=["visual"], progress=False)
    kept, changed = tmp_path / "item0" / "item0.json", tmp_path / "item1" / "item1.json"
    before = kept.stat().st_ino, kept.stat().st_mtime_ns
    (tmp_path / "item1" / "visual.tif").unlink()  # item1 has no file left: it drops out
    download_assets(items[2:], tmp_path, assets=["visual"], progress=False)
    assert (kept.stat().st_ino, kept.stat().st_mtime_ns) == before
    assert changed.exists()  # left alone, only unlinked from the collection
    assert sorted(i.id for i in read_local_catalog(tmp_path)) == ["item0", "item2"]


def test_a_body_shorter_than_its_file_size_fails(server: FileServer, tmp_path: Path) -> None:
    server.files["/a/short/visual.tif"] = b"s" * 4000
    frame = pd.DataFrame([{"id": "short", "visual_href": f"{server.url}/a/short/visual.tif",
                           "visual_size": 5000}])
    with pytest.raises(DownloadError, match=r"short/visual: size mismatch \(expected 5000 "
                                            r"bytes, got 4000\)"):
        download_assets(frame, tmp_path, assets=["visual"], progress=False)
    assert _files(tmp_path) == []


def test_a_linked_item_folder_pointing_outside_dest_is_refused(tmp_path: Path) -> None:
    from geopera_nb.export.download import plan

    outside, dest = tmp_path / "outside", tmp_path / "imagery"
    outside.mkdir()
    dest.mkdir()
    (dest / "cap-1").symlink_to(outside, target_is_directory=True)
    (dest / "cap-2").mkdir()
    (dest / "cap-2" / "visual.tif").symlink_to(outside / "x.tif")
    (dest / "cap-3").symlink_to(dest / "cap-2", target_is_directory=True)  # inside: fine
    frame = pd.DataFrame({"id": ["cap-1"], "visual_href": ["http://x/a/visual.tif"]})
    with pytest.raises(ValueError, match="refusing to write outside"):
        plan(frame, dest, ["visual"])
    with pytest.raises(ValueError, match="refusing to write outside"):
        plan(frame.assign(id=["cap-2"]), dest, ["visual"])
    (dest / "cap-2" / "visual.tif").unlink()
    (task,) = plan(frame.assign(id=["cap-3"]), dest, ["visual"])
    assert task.path == dest / "cap-3" / "visual.tif"
