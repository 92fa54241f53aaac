"""How a sandbox server is configured (data directory, seed, admin token, limits)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from geopera_nb.contract.environment import SANDBOX_ADMIN_TOKEN
from geopera_nb.contract.limits import (
    REQUEST_BODY_MAX_BYTES,
    SIGNED_URL_TTL_MAX_S,
    SIGNED_URL_TTL_S,
)
from geopera_nb.contract.timestamps import format_instant

from .domain.seeding import SANDBOX_EPOCH

ADMIN_TOKEN_ENV = SANDBOX_ADMIN_TOKEN
DB_NAME = "sandbox.db"
ADMIN_TOKEN_FILE = "admin-token"
#: Where a new database's sandbox clock starts. The sandbox never reads the wall clock for
#: anything in a response body: its clock only moves when an administrator advances it.
DEFAULT_START = format_instant(SANDBOX_EPOCH)
#: Largest request body a server reads unless configured otherwise.
DEFAULT_MAX_BODY_BYTES = REQUEST_BODY_MAX_BYTES
#: Where signed hrefs point when no public URL is configured and no runner bound the app
#: to a socket (an app driven in-process by a test): the CLI's default address.
UNBOUND_PUBLIC_URL = "http://127.0.0.1:8765"


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
    public_url
        The base URL clients reach this server at (``http://host:port``, maybe behind a
        proxy): signed asset hrefs are built from it, never from a request's ``Host``
        header. ``None``: the URL the server is bound to (the runner fills it in).
    signed_url_ttl_s
        Lifetime of signed asset hrefs, in wall-clock seconds (1 ..
        ``SIGNED_URL_TTL_MAX_S``).
    """

    data_dir: Path
    seed: int = 0
    admin_token: str | None = field(default=None, repr=False)
    clock_start: str = DEFAULT_START
    rate_limits: dict[str, int] = field(default_factory=dict)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    public_url: str | None = None
    signed_url_ttl_s: int = SIGNED_URL_TTL_S

    def __post_init__(self) -> None:
        if self.public_url is not None:
            object.__setattr__(self, "public_url", check_public_url(self.public_url))
        ttl = self.signed_url_ttl_s
        if isinstance(ttl, bool) or not isinstance(ttl, int) or not 1 <= ttl <= SIGNED_URL_TTL_MAX_S:
            raise ValueError(f"signed_url_ttl_s must be a whole number of seconds from 1 to "
                             f"{SIGNED_URL_TTL_MAX_S}, not {ttl!r}")

    @property
    def base_url(self) -> str:
        """Where clients reach this server: :attr:`public_url`, else ``UNBOUND_PUBLIC_URL``."""
        return self.public_url or UNBOUND_PUBLIC_URL

    @property
    def db_path(self) -> Path:
        """``data_dir / "sandbox.db"``."""
        return Path(self.data_dir) / DB_NAME


def check_public_url(url: str) -> str:
    """``url`` without a trailing slash, if it is an ``http(s)://host[:port][/path]`` URL.

    Examples
    --------
    >>> check_public_url("https://sandbox.example/geopera/")
    'https://sandbox.example/geopera'
    """
    parts = urlsplit(str(url))
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"public_url must be an http(s) URL with a host and no query, "
                         f"not {url!r}")
    try:
        parts.port  # noqa: B018 - raises for a port that is not a number in range
    except ValueError as exc:
        raise ValueError(f"public_url has a bad port: {url!r}") from exc
    return str(url).rstrip("/")


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
