"""``geopera-nb lab``: JupyterLab on ``notebooks/`` with a sandbox server running beside it.

The sandbox runs as its own process (:func:`geopera_nb.sandbox.spawn`) on 127.0.0.1,
exactly as a remote Geopera API would: the notebook kernels reach it over HTTP through
the ``GEOPERA_API_URL`` / ``GEOPERA_API_TOKEN`` environment variables, which
``gn.connect()`` reads like the official CLI does.

:class:`JupyterLabProcess` and :func:`api_env` are also what the browser tests
(``tests/e2e``) use, so ``geopera-nb lab`` and the tests start JupyterLab the same way.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

import click
import httpx

from geopera_nb.contract import environment

#: environment variables that point ``gn.connect()`` at an account
API_ENV_VARS = environment.ACCOUNT_VARIABLES

#: JupyterLab options that keep it quiet and offline (no news, no update checks)
QUIET_LAB_ARGS = (
    "--no-browser",
    "--LabApp.news_url=None",
    "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
    "--LabApp.extension_manager=readonly",
)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_http(url: str, *, timeout: float, proc: subprocess.Popen[bytes], what: str) -> None:
    """Poll ``url`` until it answers 200, the process dies, or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    last_error = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode} before answering")
        try:
            response = httpx.get(url, timeout=2.0)
            if response.status_code == 200:
                return
            last_error = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            last_error = type(exc).__name__
        time.sleep(0.2)
    raise TimeoutError(f"{what} did not answer {url} within {timeout:.0f} s ({last_error})")


def _stop_group(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """Stop a process started with ``start_new_session=True`` and all its children."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout)


def api_env(url: str, api_key: str, admin_token: str | None = None) -> dict[str, str]:
    """The environment variables that point ``gn.connect()`` (in a kernel) at an account.

    ``admin_token`` (a sandbox's) goes in ``GEOPERA_SANDBOX_ADMIN_TOKEN``, so notebooks can
    move the sandbox clock where a real account would just wait.
    """
    env = {environment.API_URL: url, environment.API_TOKEN: api_key}
    if admin_token:
        env[environment.SANDBOX_ADMIN_TOKEN] = admin_token
    return env


@dataclass
class JupyterLabProcess:
    """A JupyterLab server in its own process group, on 127.0.0.1."""

    url: str
    token: str
    root_dir: Path
    proc: subprocess.Popen[bytes]
    log_path: Path

    @classmethod
    def start(cls, root_dir: Path, *, env: dict[str, str] | None = None, port: int = 0,
              token: str | None = None, log_path: Path | None = None, open_browser: bool = False,
              expose_app: bool = False, timeout: float = 120.0) -> JupyterLabProcess:
        """Start ``jupyter lab`` on ``root_dir`` and wait until ``/api`` answers.

        ``env`` is added to this process's environment (minus any account variables, so
        the kernels only see the account given here). ``expose_app`` sets
        ``window.jupyterapp``, which the browser tests drive.
        """
        port = port or free_port()
        token = token or secrets.token_hex(16)
        log = log_path or root_dir / ".jupyterlab.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        jupyter = Path(sys.executable).with_name("jupyter")
        cmd = [str(jupyter) if jupyter.exists() else "jupyter", "lab",
               f"--port={port}", "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.token={token}", f"--ServerApp.root_dir={root_dir}",
               *QUIET_LAB_ARGS]
        if open_browser:
            cmd.remove("--no-browser")
        if os.geteuid() == 0:  # CI runs as root
            cmd.append("--allow-root")
        if expose_app:
            cmd.append("--LabApp.expose_app_in_browser=True")
        full_env = {k: v for k, v in os.environ.items() if k not in API_ENV_VARS}
        full_env.update(env or {})
        with log.open("ab") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=full_env,
                                    cwd=root_dir, start_new_session=True)
        lab = cls(url=f"http://127.0.0.1:{port}", token=token, root_dir=root_dir, proc=proc,
                  log_path=log)
        try:
            _wait_http(f"{lab.url}/api", timeout=timeout, proc=proc, what="JupyterLab")
        except BaseException:
            lab.stop()
            raise
        return lab

    def stop(self) -> None:
        """Stop JupyterLab and its kernels (the whole process group)."""
        _stop_group(self.proc)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _default_notebooks_dir() -> Path:
    cwd_notebooks = Path.cwd() / "notebooks"
    return cwd_notebooks if cwd_notebooks.is_dir() else Path.cwd()


@click.command()
@click.option("--notebooks", "notebooks_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Directory to open (default: ./notebooks).")
@click.option("--port", type=int, default=8888, show_default=True, help="JupyterLab port.")
@click.option("--sandbox-port", type=int, default=0, help="Sandbox port (default: a free one).")
@click.option("--seed", type=int, default=0, show_default=True, help="Sandbox catalogue seed.")
@click.option("--credits", "org_credits", type=int, default=1_000_000, show_default=True,
              help="Credits granted to the demo org.")
@click.option("--browser/--no-browser", default=True, show_default=True,
              help="Open a web browser on JupyterLab.")
def command(notebooks_dir: Path | None, port: int, sandbox_port: int, seed: int,
            org_credits: int, browser: bool) -> None:
    """Open JupyterLab on notebooks/ with a sandbox server running beside it.

    The notebooks' kernels reach the sandbox over HTTP (GEOPERA_API_URL and
    GEOPERA_API_TOKEN are set for them). Stop with Ctrl-C.
    """
    from geopera_nb import sandbox as sandbox_module

    root = (notebooks_dir or _default_notebooks_dir()).resolve()
    data_dir = Path(".sandbox-data").resolve()
    with sandbox_module.spawn(data_dir=data_dir, seed=seed, port=sandbox_port) as sandbox:
        org = sandbox.create_org(name="Lab", credits=org_credits)
        env = api_env(sandbox.url, org.api_key, sandbox.admin_token)
        env[environment.NB_OUT] = str(Path("out").resolve())
        click.echo(f"sandbox: {sandbox.url} (data and log in {data_dir})")
        with JupyterLabProcess.start(root, env=env, port=port, open_browser=browser,
                                     log_path=data_dir / "jupyterlab.log") as lab:
            click.echo(f"JupyterLab: {lab.url}/lab?token={lab.token}")
            click.echo("Ctrl-C stops JupyterLab and the sandbox.")
            signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops both cleanly too
            try:
                while lab.proc.poll() is None and sandbox.process.poll() is None:
                    time.sleep(0.5)
            except KeyboardInterrupt:
                click.echo("Stopping.")
