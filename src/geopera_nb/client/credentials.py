"""Find credentials the way the official ``geopera`` CLI (geopera-cli 0.2.0) does.

Order (first match wins):

1. arguments: ``api_key=`` or ``token=`` (and ``base_url=``);
2. environment: ``GEOPERA_API_TOKEN`` (a ``gpra_`` value is an API key, anything else
   a bearer token), then the alias ``GEOPERA_API_KEY``;
3. the profile ``profile=`` > ``GEOPERA_PROFILE`` > ``"default"`` in
   ``~/.config/geopera/credentials.json``:
   ``{profile: {"api_url", "auth": {"type": "api_key", "api_key"} |
   {"type": "oauth", "access_token", "refresh_token", "expires_at", ...}}}``.

The base URL is ``base_url=`` > ``GEOPERA_API_URL`` (alias ``GEOPERA_BASE_URL``) > the
profile's ``api_url`` > ``https://api.geopera.com``, trailing slash removed, exactly as
the CLI resolves it (also when the credential came from the environment).

An OAuth profile near expiry is refreshed like the CLI does it (``refresh_token``
grant, ``client_id=geopera-cli``, 30 s leeway) and the rotated tokens are written back
to the file atomically with mode 0600 (see :mod:`geopera_nb.client.auth`).

Examples
--------
>>> creds = resolve_credentials(api_key="gpra_0123456789abcdef", environ={})
>>> creds.kind, creds.base_url, creds.source
('api_key', 'https://api.geopera.com', 'arguments')
>>> creds.secret
Secret('gpra_…cdef')
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..contract import environment
from ..errors import CredentialsError, RequestValidationError
from .secret import Secret

__all__ = [
    "CLI_CLIENT_ID",
    "DEFAULT_API_URL",
    "ENV_API_KEY",
    "ENV_API_TOKEN",
    "ENV_API_URL",
    "ENV_BASE_URL",
    "ENV_PROFILE",
    "OIDC_CLIENT_ID",
    "REALM_PATH",
    "REFRESH_LEEWAY_SECONDS",
    "Credentials",
    "ProfileStore",
    "credentials_path",
    "find_credentials",
    "resolve_credentials",
]

DEFAULT_API_URL = "https://api.geopera.com"
REALM_PATH = "/realms/public/protocol/openid-connect"
#: The public client the official CLI refreshes its OAuth profile with.
CLI_CLIENT_ID = "geopera-cli"
#: The confidential client of the API-key ``client_credentials`` exchange.
OIDC_CLIENT_ID = "geopera"
REFRESH_LEEWAY_SECONDS = 30.0
DEFAULT_PROFILE = "default"

ENV_API_URL = environment.API_URL
ENV_BASE_URL = environment.BASE_URL
ENV_API_TOKEN = environment.API_TOKEN
ENV_API_KEY = environment.API_KEY
ENV_PROFILE = environment.PROFILE

Kind = Literal["api_key", "bearer", "oauth"]


def credentials_path() -> Path:
    """``~/.config/geopera/credentials.json`` (``~`` read now, so ``HOME`` changes count)."""
    return Path(os.path.expanduser("~")) / ".config" / "geopera" / "credentials.json"


def token_url(base_url: str) -> str:
    """The OIDC token endpoint under a base URL."""
    return f"{base_url.rstrip('/')}{REALM_PATH}/token"


@dataclass
class ProfileStore:
    """One profile of the CLI's credential file: read it, write rotated tokens back.

    Writes keep the other profiles, go through a temporary file opened 0600 and an
    atomic ``os.replace`` (as the CLI's ``_write_store``).
    """

    path: Path
    profile: str

    def read_all(self) -> dict[str, Any]:
        """The whole file (every profile); ``{}`` if absent or unreadable, as the CLI."""
        try:
            with open(self.path, encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def entry(self) -> dict[str, Any]:
        """This profile's entry (``api_url``, ``auth``), ``{}`` if none."""
        entry = self.read_all().get(self.profile)
        return entry if isinstance(entry, dict) else {}

    def save_auth(self, auth: Mapping[str, Any], api_url: str) -> None:
        """Replace this profile's ``auth`` (other profiles untouched), atomically, 0600."""
        store = self.read_all()
        entry = store.get(self.profile)
        entry = dict(entry) if isinstance(entry, dict) else {}
        entry["auth"] = dict(auth)
        entry.setdefault("api_url", api_url)
        store[self.profile] = entry
        directory = self.path.parent
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            os.chmod(directory, 0o700)
        tmp = self.path.with_suffix(".json.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(store, fh, indent=2, sort_keys=True)
                fh.write("\n")
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
            os.chmod(self.path, 0o600)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


@dataclass(frozen=True)
class Credentials:
    """Resolved credentials. Secrets are :class:`Secret`, so the repr is safe.

    Attributes
    ----------
    base_url
        The API base URL (no trailing slash).
    kind
        ``"api_key"`` (a ``gpra_`` key), ``"bearer"`` (a given token) or ``"oauth"``
        (a CLI OAuth profile, refreshable).
    secret
        The key or access token.
    source
        ``"arguments"``, ``"env:GEOPERA_API_TOKEN"``, ``"profile:default"``...
    refresh_token, expires_at, store
        For ``"oauth"``: the refresh token, the access token's expiry (epoch seconds,
        ``None``: never refreshed, as the CLI) and where to write rotated tokens.
    """

    base_url: str
    kind: Kind
    secret: Secret
    source: str
    refresh_token: Secret | None = None
    expires_at: float | None = None
    scope: str | None = None
    store: ProfileStore | None = None


def _env(environ: Mapping[str, str], *names: str) -> tuple[str, str] | None:
    for name in names:
        value = environ.get(name)
        if value and value.strip():
            return name, value.strip()
    return None


def _kind_of(value: str) -> Kind:
    return "api_key" if value.startswith("gpra_") else "bearer"


def find_credentials(
    api_key: str | Secret | None = None,
    *,
    token: str | Secret | None = None,
    base_url: str | None = None,
    profile: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Credentials | None:
    """Like :func:`resolve_credentials`, but ``None`` when nothing is found."""
    env = os.environ if environ is None else environ
    if api_key is not None and token is not None:
        raise RequestValidationError("give api_key= or token=, not both",
                                     fields=["api_key", "token"])
    profile_name = profile or env.get(ENV_PROFILE) or DEFAULT_PROFILE
    store = ProfileStore(credentials_path(), profile_name)
    entry = store.entry()
    stored_url = entry.get("api_url") if isinstance(entry.get("api_url"), str) else None
    url_env = _env(env, ENV_API_URL, ENV_BASE_URL)
    url = (base_url or (url_env[1] if url_env else None) or stored_url or DEFAULT_API_URL)
    url = url.rstrip("/")

    if api_key is not None:
        return Credentials(url, "api_key", Secret(api_key), "arguments")
    if token is not None:
        secret = Secret(token)
        return Credentials(url, _kind_of(secret.get_secret_value()), secret, "arguments")

    found = _env(env, ENV_API_TOKEN, ENV_API_KEY)
    if found is not None:
        name, value = found
        kind: Kind = "api_key" if name == ENV_API_KEY else _kind_of(value)
        return Credentials(url, kind, Secret(value), f"env:{name}")

    auth = entry.get("auth")
    if not isinstance(auth, dict) or not auth:
        return None
    source = f"profile:{profile_name}"
    auth_type = auth.get("type")
    if auth_type == "api_key":
        stored_key = auth.get("api_key")
        if not isinstance(stored_key, str) or not stored_key:
            raise CredentialsError(f"profile {profile_name!r} has an api_key entry without a key")
        return Credentials(url, "api_key", Secret(stored_key), source)
    if auth_type == "oauth":
        access = auth.get("access_token")
        if not isinstance(access, str) or not access:
            raise CredentialsError(f"profile {profile_name!r} has no access token; run "
                                   "'geopera login'")
        refresh = auth.get("refresh_token")
        expires = auth.get("expires_at")
        scope = auth.get("scope")
        return Credentials(
            url, "oauth", Secret(access), source,
            refresh_token=Secret(refresh) if isinstance(refresh, str) and refresh else None,
            expires_at=float(expires) if isinstance(expires, int | float) and expires else None,
            scope=scope if isinstance(scope, str) else None,
            store=store,
        )
    raise CredentialsError(f"profile {profile_name!r} has an unknown auth type {auth_type!r}")


def resolve_credentials(
    api_key: str | Secret | None = None,
    *,
    token: str | Secret | None = None,
    base_url: str | None = None,
    profile: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Credentials:
    """Resolve credentials by the CLI's precedence (see the module docstring).

    Parameters
    ----------
    api_key, token
        Explicit credentials (at most one).
    base_url
        Explicit base URL.
    profile
        Profile name in the credential file (default ``GEOPERA_PROFILE`` or
        ``"default"``).
    environ
        The environment to read (default ``os.environ``).

    Raises
    ------
    geopera_nb.errors.CredentialsError
        When nothing is found.
    """
    creds = find_credentials(api_key, token=token, base_url=base_url, profile=profile,
                             environ=environ)
    if creds is None:
        raise CredentialsError(
            "no Geopera credentials found: pass api_key= or token=, set GEOPERA_API_TOKEN, "
            "or run 'geopera login' (the official CLI); gn.connect() starts a sandbox instead"
        )
    return creds
