"""``geopera-nb sandbox``: run the embedded Geopera sandbox server.

Examples
--------
``geopera-nb sandbox serve --port 8765 --data .sandbox-data --seed 0``
"""

from __future__ import annotations

from pathlib import Path

import click

from geopera_nb.contract import environment
from geopera_nb.contract.limits import RATE_LIMITS, REQUEST_BODY_MAX_BYTES
from geopera_nb.server.config import DEFAULT_START


@click.group(name="sandbox")
def command() -> None:
    """Run the embedded Geopera sandbox server."""


@command.command(name="serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="TCP port (0: any free port; the URL is printed).")
@click.option("--data", "data_dir", default=".sandbox-data", show_default=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Directory of sandbox.db (state persists across restarts).")
@click.option("--seed", default=0, show_default=True, type=int,
              help="Seed of the catalogue and the ids (new databases only).")
@click.option("--admin-token", default=None, envvar=environment.SANDBOX_ADMIN_TOKEN,
              help="Admin API token (default: $GEOPERA_SANDBOX_ADMIN_TOKEN or generated "
                   "into DIR/admin-token).", show_envvar=True)
@click.option("--clock-start", default=DEFAULT_START, show_default=True,
              help="Initial sandbox time of a new database (ISO 8601).")
@click.option("--rate-limit-general", type=click.IntRange(1), default=RATE_LIMITS["general"],
              show_default=True,
              help="Calls per org per minute.")
@click.option("--rate-limit-placement", type=click.IntRange(1),
              default=RATE_LIMITS["placement"], show_default=True,
              help="Placements per org per minute.")
@click.option("--rate-limit-spend", type=click.IntRange(1), default=RATE_LIMITS["spend"],
              show_default=True,
              help="Other spending calls per org per minute.")
@click.option("--rate-limit-oidc", type=click.IntRange(1), default=RATE_LIMITS["oidc"],
              show_default=True,
              help="Sign-in (OIDC realm) calls per client address per minute.")
@click.option("--max-body-bytes", type=click.IntRange(1024), default=REQUEST_BODY_MAX_BYTES,
              show_default=True, help="Larger request bodies answer 413.")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
@click.option("--access-log/--no-access-log", default=False, show_default=True,
              help="Log every request line (never headers or bodies).")
@click.option("--public-url", default=None,
              help="Base URL of signed asset hrefs (default: the URL listened on).")
def serve(host: str, port: int, data_dir: Path, seed: int, admin_token: str | None,
          clock_start: str, rate_limit_general: int, rate_limit_placement: int,
          rate_limit_spend: int, rate_limit_oidc: int, max_body_bytes: int, log_level: str,
          access_log: bool, public_url: str | None) -> None:
    """Serve the sandbox API until interrupted (state in DIR/sandbox.db)."""
    from geopera_nb.contract.timestamps import parse_instant
    from geopera_nb.server.config import SandboxConfig
    from geopera_nb.server.runner import serve as run

    try:
        parse_instant(clock_start)
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO 8601 instant: {clock_start!r}",
                                 param_hint="--clock-start") from exc
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        config = SandboxConfig(
            data_dir=data_dir, seed=seed, admin_token=admin_token, clock_start=clock_start,
            rate_limits={"general": rate_limit_general, "placement": rate_limit_placement,
                         "spend": rate_limit_spend, "oidc": rate_limit_oidc},
            max_body_bytes=max_body_bytes, public_url=public_url)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--public-url") from exc
    if admin_token is None:
        click.echo(f"admin token: in {data_dir / 'admin-token'}", err=True)
    run(config, host=host, port=port, log_level=log_level, access_log=access_log)


def _admin_handle(url: str, data_dir: Path, admin_token: str | None) -> object:
    """The admin handle of a running sandbox (token from the option, env or DIR/admin-token)."""
    from geopera_nb.sandbox import attach

    token = admin_token
    if token is None:
        token_file = data_dir / "admin-token"
        if not token_file.is_file():
            raise click.UsageError(
                f"no admin token: pass --admin-token, set GEOPERA_SANDBOX_ADMIN_TOKEN, "
                f"or point --data at the directory of a running sandbox ({token_file} missing)")
        token = token_file.read_text(encoding="utf-8").strip()
    return attach(url, token)


_URL = click.option("--url", default="http://127.0.0.1:8765", show_default=True,
                    envvar=environment.API_URL, help="The running sandbox.")
_DATA = click.option("--data", "data_dir", default=".sandbox-data", show_default=True,
                     type=click.Path(file_okay=False, path_type=Path),
                     help="The sandbox's data directory (for DIR/admin-token).")
_TOKEN = click.option("--admin-token", default=None, envvar=environment.SANDBOX_ADMIN_TOKEN,
                      help="Admin API token.", show_envvar=True)


@command.command(name="org")
@_URL
@_DATA
@_TOKEN
@click.option("--name", default="Demo", show_default=True, help="Organisation name.")
@click.option("--credits", default=1_000_000, show_default=True, type=click.IntRange(0),
              help="Credits granted (100 credits = A$1).")
def create_org(url: str, data_dir: Path, admin_token: str | None, name: str,
               credits: int) -> None:
    """Create an organisation; print shell exports for it (its key is shown only once).

    Then ``eval "$(geopera-nb sandbox org)"`` and the official ``geopera`` CLI, the
    ``geopera`` SDK and ``gn.connect()`` all use it.
    """
    handle: object = _admin_handle(url, data_dir, admin_token)
    org = handle.create_org(name=name, credits=credits)  # type: ignore[attr-defined]
    click.echo(f"# org {org.org_id} (workspace {org.workspace_id}), {credits} credits")
    click.echo(f"export GEOPERA_API_URL={url}")
    click.echo(f"export GEOPERA_API_TOKEN={org.api_key}")


@command.command(name="advance")
@_URL
@_DATA
@_TOKEN
@click.option("--hours", default=0.0, type=float, help="Hours to move the clock forward.")
@click.option("--days", default=0.0, type=float, help="Days to move the clock forward.")
def advance(url: str, data_dir: Path, admin_token: str | None, hours: float,
            days: float) -> None:
    """Move the sandbox clock forward (studies, quotations and deliveries follow)."""
    if hours < 0 or days < 0:
        raise click.BadParameter("the sandbox clock only moves forward", param_hint="--hours")
    handle: object = _admin_handle(url, data_dir, admin_token)
    click.echo(handle.advance(hours=hours, days=days))  # type: ignore[attr-defined]


@command.command(name="approve")
@click.argument("user_code")
@_URL
@_DATA
@_TOKEN
@click.option("--org", "org_id", default=None,
              help="Sign the login in to this organisation (with a new key of every scope).")
@click.option("--api-key", default=None,
              help="Sign the login in with this existing key of the org instead.")
@click.option("--scope", "scopes", multiple=True,
              help="Scopes of the new key (--org only; repeat; default every scope).")
@click.option("--deny", is_flag=True, help="Refuse the login instead.")
def approve(user_code: str, url: str, data_dir: Path, admin_token: str | None,
            org_id: str | None, api_key: str | None, scopes: tuple[str, ...],
            deny: bool) -> None:
    """Approve (or --deny) a pending `geopera login`: the USER_CODE it shows (BDWP-HQTK).

    The official CLI's default sign-in is the device flow: it prints a code and a link,
    and polls until someone approves the code, here or on the page it links to.
    """
    if not deny and (org_id is None) == (api_key is None):
        raise click.UsageError("give --org ORG_ID or --api-key KEY (or --deny)")
    handle: object = _admin_handle(url, data_dir, admin_token)
    try:
        result = handle.approve_device(  # type: ignore[attr-defined]
            user_code, None if deny else org_id, api_key=None if deny else api_key,
            scopes=list(scopes) or None, deny=deny)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    suffix = f" for org {result['org_id']}" if result.get("org_id") else ""
    click.echo(f"login {result['user_code']} {result['status']}{suffix}")

