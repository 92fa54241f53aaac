"""``geopera-nb sandbox org`` / ``advance``: shell access to a running sandbox's admin API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner

from geopera_nb.cli.main import cli


def test_org_prints_exports_whose_key_works(sandbox: Any, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["sandbox", "org", "--url", sandbox.url, "--admin-token",
                                      sandbox.admin_token, "--name", "Shell", "--credits", "500"])
    assert result.exit_code == 0, result.output
    exports = dict(line.removeprefix("export ").split("=", 1)
                   for line in result.output.splitlines() if line.startswith("export "))
    assert exports["GEOPERA_API_URL"] == sandbox.url
    answer = httpx.post(f"{sandbox.url}/v1/op/orders.list", json={},
                        headers={"Authorization": f"Bearer {exports['GEOPERA_API_TOKEN']}"})
    assert answer.status_code == 200 and answer.json()["totalElements"] == 0


def test_advance_moves_the_clock_and_reads_the_token_file(sandbox: Any, tmp_path: Path) -> None:
    (tmp_path / "admin-token").write_text(sandbox.admin_token + "\n")
    before = sandbox.now()
    result = CliRunner().invoke(cli, ["sandbox", "advance", "--url", sandbox.url, "--data",
                                      str(tmp_path), "--hours", "0.5"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == sandbox.now() > before


def test_missing_admin_token_is_one_clear_usage_error(sandbox: Any, tmp_path: Path,
                                                      monkeypatch: Any) -> None:
    monkeypatch.delenv("GEOPERA_SANDBOX_ADMIN_TOKEN", raising=False)
    result = CliRunner().invoke(cli, ["sandbox", "advance", "--url", sandbox.url, "--data",
                                      str(tmp_path / "nowhere"), "--hours", "1"])
    assert result.exit_code == 2
    assert "no admin token" in result.output
    assert "Traceback" not in result.output


def test_clock_never_moves_backwards(sandbox: Any) -> None:
    result = CliRunner().invoke(cli, ["sandbox", "advance", "--url", sandbox.url,
                                      "--admin-token", sandbox.admin_token, "--hours", "-1"])
    assert result.exit_code == 2 and "only moves forward" in result.output


def test_unreachable_sandbox_is_one_line_not_a_traceback(capsys: Any) -> None:
    import pytest

    from geopera_nb.cli.main import main

    with pytest.raises(SystemExit) as exited:
        main(["sandbox", "advance", "--url", "http://127.0.0.1:1", "--admin-token", "t",
              "--hours", "1"])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: cannot reach the server") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
