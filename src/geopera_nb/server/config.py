"""How a sandbox server is configured (data directory, seed, admin token, limits)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from geopera_nb.contract.limits import REQUEST_BODY_MAX_BYTES
from geopera_nb.contract.timestamps import format_instant

from .domain.seeding import SANDBOX_EPOCH

ADMIN_TOKEN_ENV = "GEOPERA_SANDBOX_ADMIN_TOKEN"
DB_NAME = "sandbox.db"
ADMIN_TOKEN_FILE = "admin-token"
#: Where a new database's sandbox clock starts. The sandbox never reads the wall clock for
#: anything in a response body: its clock only moves when an administrator advances it.
DEFAULT_START = format_instant(SANDBOX_EPOCH)
#: Largest request body a server reads unless configured otherwise.
DEFAULT_MAX_BODY_BYTES = REQUEST_BODY_MAX_BYTES


@dataclass(frozen=True)
class SandboxConfig:
    """Settings of one sandbox server.

    Attributes
    ----------
    data_dir
        Directory holding ``sandbox.db`` (and ``admin-token`` when generated).
    seed
        Seed of the catalogue and of every generated id.
    admin_token
        Bearer token of the admin API (``None``: from the environment or generated).
    clock_start
        Where a new database's sandbox clock starts (ISO 8601).
    rate_limits
        Per-minute limits overriding ``general`` / ``placement`` / ``spend``.
    max_body_bytes
        Larger request bodies answer 413.
    """

    data_dir: Path
    seed: int = 0
    admin_token: str | None = field(default=None, repr=False)
    clock_start: str = DEFAULT_START
    rate_limits: dict[str, int] = field(default_factory=dict)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES

    @property
    def db_path(self) -> Path:
        """``data_dir / "sandbox.db"``."""
        return Path(self.data_dir) / DB_NAME


def resolve_admin_token(data_dir: Path, given: str | None) -> str:
    """The admin token: ``given``, else ``$GEOPERA_SANDBOX_ADMIN_TOKEN``, else the one in
    ``DIR/admin-token`` (generated there, mode 0600, when missing)."""
    if given:
        return given
    env = os.environ.get(ADMIN_TOKEN_ENV)
    if env:
        return env
    path = Path(data_dir) / ADMIN_TOKEN_FILE
    if path.exists():
        text = path.read_text(encoding="utf-8").strip()
        if text:
            return text
    token = "gpsa_" + secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token + "\n")
    return token
