"""Credentials: hashed ``gpra_`` API keys, short-lived JWTs and rotating refresh tokens.

Keys are stored only as HMAC-SHA256 digests under a per-database secret; the key itself
is shown once, when created. Access tokens are HS256 JWTs signed with the same secret,
living 300 s on the sandbox clock; refresh tokens are opaque, stored hashed, live
1800 s and are single use (a refresh answers a new one and burns the old one).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

import orjson

from geopera_nb.contract.limits import (
    ACCESS_TOKEN_TTL_S,
    CREDENTIAL_MAX_LENGTH,
    ID_MAX_LENGTH,
    REFRESH_TOKEN_TTL_S,
)

from ..problems import Problem
from .store import Store, Tx, dumps, loads

KEY_PREFIX = "gpra_"
REFRESH_PREFIX = "gprt_"
ACCESS_TTL_S = ACCESS_TOKEN_TTL_S
REFRESH_TTL_S = REFRESH_TOKEN_TTL_S
CLIENT_IDS = ("geopera", "geopera-cli")


@dataclass(frozen=True)
class Principal:
    """Who is calling: an org, the key behind the credential and its scopes."""

    org_id: str
    key_id: str
    scopes: tuple[str, ...]
    workspace_id: str = ""
    via: str = "api_key"  # or "token"
    extra: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def claims(self) -> dict[str, Any]:
        """The userinfo claims of this principal."""
        return {
            "sub": self.key_id,
            "geopera_principal_id": self.key_id,
            "geopera_principal_type": "api_key",
            "geopera_org_id": self.org_id,
            "geopera_workspace_id": self.workspace_id,
            "scope": " ".join(self.scopes),
        }


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Auth:
    """Key and token operations over the store.

    Parameters
    ----------
    store
        The sandbox database.
    secret
        The per-database server secret (hex); never leaves the process.
    """

    def __init__(self, store: Store, secret: str) -> None:
        self._store = store
        self._secret = bytes.fromhex(secret)

    def __repr__(self) -> str:
        return "Auth(<secret hidden>)"

    def digest(self, value: str) -> str:
        """HMAC-SHA256 of a credential under the server secret (hex)."""
        return hmac.new(self._secret, value.encode("utf-8", "surrogatepass"),
                        hashlib.sha256).hexdigest()

    def sign(self, message: str) -> str:
        """A short URL-safe HMAC signature (asset hrefs)."""
        return _b64(hmac.new(self._secret, message.encode(), hashlib.sha256).digest()[:18])

    def check_signature(self, message: str, signature: str) -> bool:
        """Whether ``signature`` signs ``message``."""
        return hmac.compare_digest(self.sign(message), signature)

    # --- keys -------------------------------------------------------------------------

    def create_key(self, tx: Tx, org_id: str, scopes: list[str], now_ms: int,
                   expires_ms: int | None = None) -> tuple[str, str]:
        """Make a key for ``org_id``; answer ``(key_id, api_key)`` (the key shown once)."""
        api_key = KEY_PREFIX + secrets.token_urlsafe(32)
        key_id = tx.new_id()
        tx.execute(
            "INSERT INTO api_keys (id, org_id, hash, prefix, scopes, created_ms, expires_ms)"
            " VALUES (?,?,?,?,?,?,?)",
            (key_id, org_id, self.digest(api_key), api_key[:9], dumps(scopes), now_ms,
             expires_ms),
        )
        return key_id, api_key

    def revoke_key(self, tx: Tx, api_key: str) -> bool:
        """Revoke a key given its value; answer whether it existed."""
        cur = tx.execute("UPDATE api_keys SET revoked = 1 WHERE hash = ?",
                         (self.digest(api_key),))
        return cur.rowcount > 0

    def _principal_for_key_row(self, row: Any, now_ms: int, via: str) -> Principal | None:
        if row is None or row["revoked"]:
            return None
        if row["expires_ms"] is not None and row["expires_ms"] <= now_ms:
            return None
        return Principal(org_id=row["org_id"], key_id=row["id"],
                         scopes=tuple(loads(row["scopes"])), workspace_id=row["workspace_id"],
                         via=via)

    _KEY_SQL = ("SELECT k.id, k.org_id, k.scopes, k.expires_ms, k.revoked, o.workspace_id"
                " FROM api_keys k JOIN orgs o ON o.id = k.org_id WHERE ")

    def principal_for_key(self, api_key: str, now_ms: int) -> Principal | None:
        """The principal of a live key, or ``None``."""
        if not api_key.startswith(KEY_PREFIX) or len(api_key) > ID_MAX_LENGTH:
            return None
        row = self._store.one(self._KEY_SQL + "k.hash = ?", (self.digest(api_key),))
        return self._principal_for_key_row(row, now_ms, "api_key")

    # --- tokens -----------------------------------------------------------------------

    def _jwt(self, claims: dict[str, Any]) -> str:
        header = _b64(b'{"alg":"HS256","typ":"JWT"}')
        payload = _b64(orjson.dumps(claims))
        sig = hmac.new(self._secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{_b64(sig)}"

    def principal_for_token(self, token: str, now_ms: int) -> Principal | None:
        """The principal of a valid, unexpired access token whose key is still live."""
        parts = token.split(".")
        if len(parts) != 3 or len(token) > CREDENTIAL_MAX_LENGTH:
            return None
        try:
            expected = hmac.new(self._secret, f"{parts[0]}.{parts[1]}".encode(),
                                hashlib.sha256).digest()
            if not hmac.compare_digest(expected, _unb64(parts[2])):
                return None
            claims = orjson.loads(_unb64(parts[1]))
        except (ValueError, UnicodeError, orjson.JSONDecodeError):
            return None
        if not isinstance(claims, dict) or claims.get("typ") != "access":
            return None
        if int(claims.get("exp", 0)) * 1000 <= now_ms:
            return None
        row = self._store.one(self._KEY_SQL + "k.id = ?", (str(claims.get("sub", "")),))
        return self._principal_for_key_row(row, now_ms, "token")

    def issue_tokens(self, tx: Tx, principal: Principal, now_ms: int) -> dict[str, Any]:
        """A new access/refresh token pair for ``principal`` (the OIDC token answer)."""
        now_s = now_ms // 1000
        scope = " ".join(principal.scopes)
        access = self._jwt({
            "typ": "access", "sub": principal.key_id, "geopera_org_id": principal.org_id,
            "scope": scope, "iat": now_s, "exp": now_s + ACCESS_TTL_S,
            "jti": secrets.token_hex(8),
        })
        refresh = REFRESH_PREFIX + secrets.token_urlsafe(32)
        tx.execute("INSERT INTO refresh_tokens (hash, key_id, expires_ms) VALUES (?,?,?)",
                   (self.digest(refresh), principal.key_id, now_ms + REFRESH_TTL_S * 1000))
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": ACCESS_TTL_S,
            "refresh_token": refresh,
            "refresh_expires_in": REFRESH_TTL_S,
            "scope": scope,
        }

    def redeem_refresh(self, tx: Tx, refresh: str, now_ms: int) -> Principal:
        """Burn a refresh token and answer its principal.

        Raises
        ------
        Problem
            400 (``invalid_grant``) for an unknown, used or expired token, or a dead key.
        """
        row = tx.one("SELECT key_id, expires_ms, used FROM refresh_tokens WHERE hash = ?",
                     (self.digest(refresh),))
        if row is None or row["used"] or row["expires_ms"] <= now_ms:
            raise Problem(400, "refresh token is invalid, expired or already used",
                          error="invalid_grant")
        tx.execute("UPDATE refresh_tokens SET used = 1 WHERE hash = ?", (self.digest(refresh),))
        key_row = tx.one(self._KEY_SQL + "k.id = ?", (row["key_id"],))
        principal = self._principal_for_key_row(key_row, now_ms, "token")
        if principal is None:
            raise Problem(400, "the credential behind this refresh token is no longer valid",
                          error="invalid_grant")
        return principal

    def authenticate(self, authorization: str | None, x_api_key: str | None,
                     now_ms: int) -> Principal:
        """The principal behind the request's credentials.

        ``Authorization: Bearer <key or JWT>`` wins over ``X-API-Key: <key>``.

        Raises
        ------
        Problem
            401 when no credential is given or it is not valid.
        """
        credential: str | None = None
        if authorization:
            scheme, _, value = authorization.strip().partition(" ")
            if scheme.lower() == "bearer" and value.strip():
                credential = value.strip()
        if credential is None and x_api_key:
            credential = x_api_key.strip()
        if not credential:
            raise Problem(401, "missing credentials: send 'Authorization: Bearer <token>'",
                          headers={"WWW-Authenticate": "Bearer"})
        if credential.startswith(KEY_PREFIX):
            principal = self.principal_for_key(credential, now_ms)
        else:
            principal = self.principal_for_token(credential, now_ms)
        if principal is None:
            raise Problem(401, "invalid, expired or revoked credentials",
                          headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return principal
