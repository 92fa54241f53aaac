"""Credentials: hashed ``gpra_`` API keys, short-lived JWTs and rotating refresh tokens.

Keys are stored only as HMAC-SHA256 digests under a per-database secret; the key itself
is shown once, when created. Access tokens are HS256 JWTs signed with the same secret,
living :data:`~geopera_nb.contract.limits.ACCESS_TOKEN_TTL_S`; refresh tokens are opaque,
stored hashed, live :data:`~geopera_nb.contract.limits.REFRESH_TOKEN_TTL_S` and are
single use (a refresh answers a new pair and burns the old refresh token).

Token lifetimes run on the **wall clock** (:attr:`Auth.wall`), not the sandbox clock:
tokens are about the people signed in, not the simulated platform, so advancing the
sandbox clock never ends a session. API-key expiry (``expires_in_hours`` of the admin
API) stays on the sandbox clock.

Every token pair belongs to a *family* (one sign-in: a client-credentials exchange or a
device login) and to the ``client_id`` it was issued to. Presenting a refresh token that
was already rotated is the sign of a stolen token (RFC 6749 section 10.4, OAuth 2.0
Security BCP section 4.14): the whole family is revoked, so the newer refresh and access
tokens stop working too. A JWT has exactly one spelling: unpadded base64url, as issued.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
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
_JWT_HEADER = b'{"alg":"HS256","typ":"JWT"}'


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


class OAuthError(Exception):
    """An RFC 6749 / RFC 8628 error answer of the token or device endpoints.

    Parameters
    ----------
    status
        HTTP status (400, 401, 429, 503).
    error
        The OAuth error code (``invalid_grant``, ``authorization_pending``, ...).
    description
        ``error_description``: why, in words (never a credential).
    """

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


@dataclass(frozen=True)
class Redeemed:
    """What redeeming a refresh token gave: the principal and family, or the error."""

    principal: Principal | None = None
    family: str = ""
    error: OAuthError | None = None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    """Decode unpadded base64url; refuse every other spelling of the same bytes.

    ``=`` padding, the standard alphabet (``+``, ``/``) and non-zero trailing bits all
    decode to bytes some canonical string also encodes: only that string is accepted.
    """
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:
        raise ValueError("not canonical base64url")
    return data


class Auth:
    """Key and token operations over the store.

    Parameters
    ----------
    store
        The sandbox database.
    secret
        The per-database server secret (hex); never leaves the process.
    wall
        The wall clock token lifetimes run on, in seconds (``time.time``; tests move it
        by assigning :attr:`wall`).
    """

    def __init__(self, store: Store, secret: str,
                 wall: Callable[[], float] = time.time) -> None:
        self._store = store
        self._secret = bytes.fromhex(secret)
        self.wall = wall

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

    def principal_for_key_id(self, db: Any, key_id: str, now_ms: int) -> Principal | None:
        """The principal of a live key given its id (a device login's approved key)."""
        row = db.one(self._KEY_SQL + "k.id = ?", (key_id,))
        return self._principal_for_key_row(row, now_ms, "token")

    # --- tokens -----------------------------------------------------------------------

    def wall_ms(self) -> int:
        """The wall clock in epoch milliseconds."""
        return int(self.wall() * 1000)

    def _jwt(self, claims: dict[str, Any]) -> str:
        header = _b64(_JWT_HEADER)
        payload = _b64(orjson.dumps(claims))
        sig = hmac.new(self._secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{_b64(sig)}"

    _FAMILY_SQL = ("SELECT f.key_id AS family_key, f.revoked AS family_revoked,"
                   " k.id, k.org_id, k.scopes, k.expires_ms, k.revoked, o.workspace_id"
                   " FROM token_families f JOIN api_keys k ON k.id = f.key_id"
                   " JOIN orgs o ON o.id = k.org_id WHERE f.id = ?")

    def principal_for_token(self, token: str, now_ms: int) -> Principal | None:
        """The principal of a valid, unexpired access token whose family and key are live.

        ``now_ms`` is the sandbox clock (key expiry); the token's own ``exp`` is wall time.
        Only the exact spelling the server issued is accepted.
        """
        parts = token.split(".")
        if len(parts) != 3 or len(token) > CREDENTIAL_MAX_LENGTH:
            return None
        if parts[0] != _b64(_JWT_HEADER):
            return None
        expected = hmac.new(self._secret, f"{parts[0]}.{parts[1]}".encode("utf-8", "replace"),
                            hashlib.sha256).digest()
        if not hmac.compare_digest(_b64(expected).encode(),
                                   parts[2].encode("utf-8", "replace")):
            return None
        try:
            claims = orjson.loads(_unb64(parts[1]))
        except (ValueError, UnicodeError, orjson.JSONDecodeError):
            return None
        if not isinstance(claims, dict) or claims.get("typ") != "access":
            return None
        exp = claims.get("exp")
        if isinstance(exp, bool) or not isinstance(exp, int) or exp * 1000 <= self.wall_ms():
            return None
        row = self._store.one(self._FAMILY_SQL, (str(claims.get("sid", "")),))
        if row is None or row["family_revoked"] or row["family_key"] != claims.get("sub"):
            return None
        return self._principal_for_key_row(row, now_ms, "token")

    def issue_tokens(self, tx: Tx, principal: Principal, client_id: str,
                     family: str | None = None) -> dict[str, Any]:
        """A new access/refresh token pair for ``principal`` (the OIDC token answer).

        ``family``: the sign-in a refresh continues (``None``: a new sign-in). Expired
        refresh tokens and families are purged here, so the tables stay bounded.
        """
        wall_ms = self.wall_ms()
        now_s = wall_ms // 1000
        tx.execute("DELETE FROM refresh_tokens WHERE expires_ms <= ?", (wall_ms,))
        tx.execute("DELETE FROM token_families WHERE expires_ms <= ?", (wall_ms,))
        family_expires = wall_ms + max(ACCESS_TTL_S, REFRESH_TTL_S) * 1000
        if family is None:
            family = secrets.token_urlsafe(12)
            tx.execute("INSERT INTO token_families (id, key_id, client_id, revoked, expires_ms)"
                       " VALUES (?,?,?,0,?)", (family, principal.key_id, client_id,
                                               family_expires))
        else:
            tx.execute("UPDATE token_families SET expires_ms = ? WHERE id = ?",
                       (family_expires, family))
        scope = " ".join(principal.scopes)
        access = self._jwt({
            "typ": "access", "sub": principal.key_id, "sid": family, "azp": client_id,
            "geopera_org_id": principal.org_id, "scope": scope, "iat": now_s,
            "exp": now_s + ACCESS_TTL_S, "jti": secrets.token_hex(8),
        })
        refresh = REFRESH_PREFIX + secrets.token_urlsafe(32)
        tx.execute("INSERT INTO refresh_tokens (hash, key_id, expires_ms, used, family,"
                   " client_id) VALUES (?,?,?,0,?,?)",
                   (self.digest(refresh), principal.key_id, wall_ms + REFRESH_TTL_S * 1000,
                    family, client_id))
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": ACCESS_TTL_S,
            "refresh_token": refresh,
            "refresh_expires_in": REFRESH_TTL_S,
            "scope": scope,
        }

    def revoke_family(self, tx: Tx, family: str) -> None:
        """End a sign-in: its refresh and access tokens stop working."""
        tx.execute("UPDATE token_families SET revoked = 1 WHERE id = ?", (family,))

    def logout(self, tx: Tx, refresh: str, client_id: str) -> None:
        """End the sign-in of a refresh token issued to ``client_id`` (unknown: nothing)."""
        if not refresh.startswith(REFRESH_PREFIX) or len(refresh) > ID_MAX_LENGTH:
            return
        row = tx.one("SELECT family, client_id FROM refresh_tokens WHERE hash = ?",
                     (self.digest(refresh),))
        if row is not None and row["client_id"] == client_id:
            self.revoke_family(tx, row["family"])

    def redeem_refresh(self, tx: Tx, refresh: str, client_id: str, now_ms: int) -> Redeemed:
        """Burn a refresh token; answer its principal and family, or the OAuth error.

        A token that was already rotated revokes its whole family (in ``tx``, which the
        caller commits even though the answer is an error). ``now_ms`` is the sandbox
        clock (key expiry); the token's lifetime is wall time.
        """
        def grant_error(description: str) -> Redeemed:
            return Redeemed(error=OAuthError(400, "invalid_grant", description))

        if not refresh.startswith(REFRESH_PREFIX) or len(refresh) > ID_MAX_LENGTH:
            return grant_error("refresh token is invalid, expired or already used")
        digest = self.digest(refresh)
        row = tx.one("SELECT r.expires_ms, r.used, r.family, r.client_id, f.revoked"
                     " FROM refresh_tokens r JOIN token_families f ON f.id = r.family"
                     " WHERE r.hash = ?", (digest,))
        if row is None or row["revoked"] or row["expires_ms"] <= self.wall_ms():
            return grant_error("refresh token is invalid, expired or already used")
        if row["client_id"] != client_id:
            return grant_error("refresh token was issued to another client")
        if row["used"]:
            self.revoke_family(tx, row["family"])
            return grant_error("refresh token was already used: the sign-in it belongs to "
                               "is revoked; sign in again")
        tx.execute("UPDATE refresh_tokens SET used = 1 WHERE hash = ?", (digest,))
        key_row = tx.one(self._FAMILY_SQL, (row["family"],))
        principal = self._principal_for_key_row(key_row, now_ms, "token")
        if principal is None:
            return grant_error("the credential behind this refresh token is no longer valid")
        return Redeemed(principal=principal, family=row["family"])

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
