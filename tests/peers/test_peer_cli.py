"""The official ``geopera`` CLI (geopera-cli 0.2.0), unchanged, through the tasking path
against the sandbox (``GEOPERA_API_URL`` + ``GEOPERA_API_TOKEN``, HOME in a temp dir)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.peers

SQUARE = [[150.0, -34.0], [150.08, -34.0], [150.08, -33.92], [150.0, -33.92], [150.0, -34.0]]
FC = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"name": "Paddock"},
     "geometry": {"type": "Polygon", "coordinates": [SQUARE]}}]}


def geopera_exe() -> str:
    exe = Path(sys.executable).with_name("geopera")
    found = str(exe) if exe.exists() else shutil.which("geopera")
    if not found:
        pytest.skip("the official geopera CLI is not installed")
    return found


class Cli:
    def __init__(self, url: str, token: str, home: Path) -> None:
        self.env = {**os.environ, "GEOPERA_API_URL": url, "GEOPERA_API_TOKEN": token,
                    "HOME": str(home), "NO_COLOR": "1"}
        self.env.pop("GEOPERA_PROFILE", None)
        self.exe = geopera_exe()

    def run(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        p = subprocess.run([self.exe, *args], env=self.env, capture_output=True, text=True,
                           timeout=120)
        if ok:
            assert p.returncode == 0, (args, p.stdout[-1000:], p.stderr[-1000:])
        return p

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args).stdout)


def _window(sandbox: Any) -> dict[str, str]:
    from geopera_nb.contract.timestamps import format_instant as to_iso
    from geopera_nb.contract.timestamps import parse_ms as parse_iso

    now = parse_iso(sandbox.now())
    return {"start": to_iso(now + 2 * 86_400_000), "end": to_iso(now + 22 * 86_400_000)}


def test_official_cli_walks_the_tasking_path(sandbox: Any, org: Any, tmp_path: Path) -> None:
    cli = Cli(sandbox.url, org.api_key, tmp_path)
    who = cli.json("whoami", "--json")
    assert who["geopera_org_id"] == org.org_id

    sensors = cli.json("orders", "tasking", "sensors")["sensors"]
    product = next(s for s in sensors if s["id"] == "geo-condor-40")["dataProductId"]
    win = _window(sandbox)
    check = cli.json("orders", "tasking", "feasibility-check", "--dataProduct", product,
                     "--json", json.dumps({"featureCollection": FC, "params": win}))
    assert check["studyRequired"] is True

    group = {"dataProduct": product, "featureCollection": FC, **win}
    body = tmp_path / "groups.json"
    body.write_text(json.dumps({"groups": [group]}))
    est = cli.json("orders", "tasking", "estimate", "--json", f"@{body}")
    credits = est["totalCredits"]
    body.write_text(json.dumps({"groups": [group], "displayName": "CLI"}))
    placed = cli.json("orders", "tasking", "place", "--json", f"@{body}")
    order_id = placed["results"][0]["id"]
    assert placed["results"][0]["estimatedCredits"] == credits
    order = cli.json("orders", "get", "--order-id", order_id)
    assert order["subStatus"] == "FEASIBILITY_WAITING_UPLOAD"

    sandbox.advance(hours=1)
    study = cli.json("orders", "tasking", "feasibility-studies", "list", "--orderId",
                     order_id)["content"][0]
    option = next(o for o in study["options"] if o["priority"] == "standard")
    decided = cli.json("orders", "tasking", "feasibility-decide", "--json",
                       json.dumps({"study_id": study["id"], "acceptedOptionId": option["id"]}))
    assert decided["decision"] == "ACCEPTED"
    assert sandbox.ledger(org)["reserved"] == credits

    sandbox.advance(hours=1)
    quote = cli.json("orders", "tasking", "quotations", "list", "--orderId",
                     order_id)["content"][0]
    accepted = cli.json("orders", "tasking", "quotation-decide", "--quotation-id", quote["id"],
                        "--decision", "ACCEPTED")
    assert accepted["decision"] == "ACCEPTED"
    sandbox.advance(hours=24 * 25)  # past the window end
    cov = cli.json("orders", "coverage", "get", "--order-id", order_id)
    assert cov["status"] == "FULFILLED" and cov["coveredFraction"] > 0
    assets = cli.json("orders", "list-assets", "--order-id", order_id)
    assert assets["features"] and assets["features"][0]["stac_version"] == "1.0.0"
    listed = cli.json("orders", "list", "--size", "5")
    assert listed["totalElements"] == 1


def test_official_cli_reports_problems(sandbox: Any, org: Any, tmp_path: Path) -> None:
    cli = Cli(sandbox.url, org.api_key, tmp_path)
    p = cli.run("orders", "get", "--order-id", "nope", ok=False)
    assert p.returncode == 2 and "[404]" in p.stderr
    denied = Cli(sandbox.url, "gpra_wrong", tmp_path).run("orders", "list", ok=False)
    assert denied.returncode != 0 and "401" in denied.stderr
    assert "gpra_wrong" not in denied.stderr
    ops = cli.run("op", "--list").stdout.split()
    assert "orders.tasking.place" in ops and len(ops) == 26
