"""The sandbox as a separate process: SIGKILL mid-placement, restart, nothing half-made;
and determinism (same seed + same calls -> same ids and bodies)."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sandbox_support import Api, balanced, fc, feature, square

from geopera_nb import sandbox as sandbox_module


def test_sigkill_during_placements_leaves_nothing_half_made(tmp_path: Path) -> None:
    data = tmp_path / "data"
    token = "gpsa_crash-test-token"
    sb = sandbox_module.spawn(data_dir=data, seed=0, admin_token=token,
                              rate_limits={"general": 10**6, "placement": 10**6, "spend": 10**6})
    org = sb.create_org(name="crash", credits=10**9)
    api = Api(sb.url, org.api_key)
    captures = [{"id": f["id"]} for f in api.ok("catalog.search", {"host_name": "geopera",
                                                                   "limit": 40})["features"]]
    keys = [str(uuid.uuid4()) for _ in captures]
    answers: dict[str, bytes] = {}
    lock = threading.Lock()
    enough = threading.Event()

    def worker(offset: int) -> None:
        local = httpx.Client(base_url=sb.url, headers={"X-API-Key": org.api_key}, timeout=30)
        for i in range(offset, len(keys), 4):
            try:
                r = local.post("/v1/op/orders.archive.place", json={"captures": [captures[i]]},
                               headers={"Idempotency-Key": keys[i]})
            except httpx.HTTPError:
                return
            if r.status_code == 202:
                with lock:
                    answers[keys[i]] = r.content
                    if len(answers) >= 6:
                        enough.set()
        local.close()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    enough.wait(60)
    sb.kill()
    for t in threads:
        t.join(60)
    api.close()
    assert answers, "no placement finished before the kill"

    sb2 = sandbox_module.spawn(data_dir=data, seed=0, admin_token=token)
    try:
        api = Api(sb2.url, org.api_key)
        ledger = sb2.ledger(org)
        assert balanced(ledger)
        orders = api.ok("orders.list", {"size": 500})["content"]
        assert ledger["reserved"] == sum(o["credits"]["reserved"] for o in orders)
        for o in orders:
            assert o["credits"]["reserved"] == o["credits"]["estimated"] > 0
        # a replay of every answered key gives the first answer, byte for byte
        for key, content in answers.items():
            i = keys.index(key)
            r = api.op("orders.archive.place", {"captures": [captures[i]]},
                       headers={"Idempotency-Key": key})
            assert r.status_code == 202 and r.content == content
        before = len(orders)
        # retrying every key converges: one order per key, never two
        for i, key in enumerate(keys):
            assert api.op("orders.archive.place", {"captures": [captures[i]]},
                          headers={"Idempotency-Key": key}).status_code == 202
        after = api.ok("orders.list", {"size": 500})["totalElements"]
        assert before <= after == len(keys)
        assert balanced(sb2.ledger(org))
        api.close()
    finally:
        sb2.stop()


def _script(sb: Any) -> list[Any]:
    """A fixed sequence of calls; answers with server-generated ids kept."""
    org = sb.create_org(name="det", credits=10**8)
    api = Api(sb.url, org.api_key)
    out: list[Any] = [org.org_id, org.workspace_id]
    start = sb.now()
    group = {"sensor": "geo-owl-30", "featureCollection": fc(feature(square(150, -34))),
             "start": start.replace("12-01", "12-03"), "end": start.replace("12-01", "12-20")}
    out.append(api.ok("orders.tasking.estimate", {"groups": [group]}))
    out.append(api.ok("orders.tasking.place", {"groups": [group]}))
    out.append(api.ok("catalog.search", {"host_name": "geopera", "limit": 3}))
    sb.advance(hours=1)
    out.append(api.ok("orders.tasking.quotations.list"))
    out.append(api.ok("orders.list"))
    api.close()
    return out


@pytest.mark.parametrize("seed", [0, 7])
def test_same_seed_same_calls_same_bodies(seed: int) -> None:
    runs = []
    for _ in range(2):
        with sandbox_module.start(seed=seed) as sb:
            runs.append(orjson.dumps(_script(sb)))
    assert runs[0] == runs[1]


def test_state_persists_across_restarts(tmp_path: Path) -> None:
    with sandbox_module.start(data_dir=tmp_path, seed=0) as sb:
        org = sb.create_org(name="persist", credits=123)
        sb.advance(hours=5)
        token = sb.admin_token
    with sandbox_module.start(data_dir=tmp_path, seed=0, admin_token=token) as sb:
        assert sb.now() == "2026-12-01T05:00:00.000Z"
        assert sb.ledger(org)["granted"] == 123
    assert (tmp_path / "sandbox.db").exists()


def test_handle_is_a_context_manager(tmp_path: Path) -> None:
    with sandbox_module.start() as sb:
        url, data_dir = sb.url, sb.data_dir
        assert url.startswith("http://127.0.0.1:")
        assert httpx.get(url + "/sandbox/ping").status_code == 200
    assert not data_dir.exists()  # a temporary directory goes with the server
    with pytest.raises(httpx.HTTPError):
        httpx.get(url + "/sandbox/ping", timeout=2)


def test_cli_serve_prints_its_url_and_writes_the_admin_token(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "GEOPERA_SANDBOX_ADMIN_TOKEN"}
    proc = subprocess.Popen([sys.executable, "-m", "geopera_nb.cli.main", "sandbox", "serve",
                             "--port", "0", "--data", str(tmp_path), "--log-level", "warning"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("geopera-nb sandbox listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[1].strip()
        token_file = tmp_path / "admin-token"
        assert token_file.stat().st_mode & 0o077 == 0
        assert (tmp_path / "sandbox.db").stat().st_mode & 0o077 == 0
        token = token_file.read_text().strip()
        r = httpx.get(url + "/sandbox/clock", headers={"Authorization": f"Bearer {token}"})
        assert r.json() == {"now": "2026-12-01T00:00:00.000Z"}
    finally:
        proc.terminate()
        proc.wait(20)
