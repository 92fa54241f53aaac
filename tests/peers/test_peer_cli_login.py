"""The official ``geopera`` CLI signs in to the sandbox with its default flow (issue 13,
item 12): ``geopera login`` runs the RFC 8628 device flow with PKCE, prints a code and
polls; the test approves the code as the sandbox administrator while it polls (as
``geopera-nb sandbox approve CODE`` does); then ``geopera whoami`` and an operation run
on the stored OAuth session. HOME is a temp dir, so the real credential store is never
touched; no ``GEOPERA_API_TOKEN`` (it would bypass the stored session)."""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from test_peer_cli import geopera_exe

pytestmark = pytest.mark.peers

#: The CLI sleeps ``interval`` (5 s) before its first poll; the whole login takes ~6 s.
LOGIN_TIMEOUT_S = 90


def _env(sandbox: Any, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("GEOPERA_API_TOKEN", "GEOPERA_API_KEY", "GEOPERA_PROFILE")}
    env.update(GEOPERA_API_URL=sandbox.url, HOME=str(home), NO_COLOR="1",
               PYTHONUNBUFFERED="1",  # the code is printed before the CLI starts polling
               BROWSER="true")  # webbrowser.open(...) runs `true URL`: no browser here
    return env


def _lines(stream: Any, out: queue.Queue[str]) -> None:
    for line in iter(stream.readline, ""):
        out.put(line)
    out.put("")


def test_official_cli_login_with_the_device_flow_then_whoami(sandbox: Any, org: Any,
                                                             tmp_path: Path) -> None:
    exe = geopera_exe()
    env = _env(sandbox, tmp_path)
    proc = subprocess.Popen([exe, "login"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_lines, args=(proc.stdout, lines), daemon=True).start()
    shown: list[str] = []
    try:
        code = None
        while code is None:
            line = lines.get(timeout=LOGIN_TIMEOUT_S)
            assert line, f"the CLI ended before showing a code: {''.join(shown)}"
            shown.append(line)
            found = re.search(r"\b([BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4})\b", line)
            code = found.group(1) if found else None
        assert any(f"{sandbox.url}/realms/public/device?user_code={code}" in s for s in shown)
        decided = sandbox.approve_device(code, org)
        assert decided["status"] == "approved"
        proc.wait(timeout=LOGIN_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    rest = "".join(shown) + "".join(iter(lambda: lines.get(timeout=5), ""))
    assert proc.returncode == 0, (rest, proc.stderr.read() if proc.stderr else "")
    assert "Logged in as" in rest

    stored = json.loads((tmp_path / ".config" / "geopera" / "credentials.json").read_text())
    session = stored["default"]["auth"]
    assert session["type"] == "oauth" and session["refresh_token"].startswith("gprt_")
    assert org.api_key not in json.dumps(stored)  # the session has its own key

    who = subprocess.run([exe, "whoami", "--json"], env=env, capture_output=True, text=True,
                         timeout=60)
    assert who.returncode == 0, who.stderr
    info = json.loads(who.stdout)
    assert info["geopera_org_id"] == org.org_id
    listed = subprocess.run([exe, "orders", "list", "--size", "1"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["totalElements"] == 0


def test_official_cli_login_reports_a_denial(sandbox: Any, tmp_path: Path) -> None:
    exe = geopera_exe()
    proc = subprocess.Popen([exe, "login", "--no-browser"], env=_env(sandbox, tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_lines, args=(proc.stdout, lines), daemon=True).start()
    try:
        code = None
        while code is None:
            line = lines.get(timeout=LOGIN_TIMEOUT_S)
            assert line, "the CLI ended before showing a code"
            found = re.search(r"\b([BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4})\b", line)
            code = found.group(1) if found else None
        sandbox.approve_device(code, deny=True)
        _, err = proc.communicate(timeout=LOGIN_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # geopera-cli 0.2.0 exits 0 even here (its main() drops the exit code click returns
    # with standalone_mode=False): the message and the missing session say it failed
    assert "Login was denied" in err, err
    assert not (tmp_path / ".config" / "geopera" / "credentials.json").exists()
