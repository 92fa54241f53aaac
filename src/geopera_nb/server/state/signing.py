"""Signed asset URLs: short-lived capabilities bound to an org and to the key that asked.

An asset href carries ``?exp=<unix seconds>&kid=<key id>&sig=<signature>``: the
signature is an HMAC under the server secret (:meth:`.auth.Auth.sign`) of the asset
(capture id and file name), the org, the key id and the expiry. It is checked, in
this order, when the file is asked for:

1. present and well formed, and the signature matches (else 403);
2. not expired: ``exp`` is on the **wall** clock (signed URLs are about people, like
   tokens; the sandbox clock may jump years), the lifetime is
   :attr:`~geopera_nb.server.config.SandboxConfig.signed_url_ttl_s` (default
   :data:`~geopera_nb.contract.limits.SIGNED_URL_TTL_S`), rounded up to a multiple of
   :data:`~geopera_nb.contract.limits.SIGNED_URL_STEP_S` (a tenth of the lifetime at
   most) so listings made close together give the same hrefs;
3. the key that asked is still live (revoked or expired on the sandbox clock: 403), so
   revoking a key kills the URLs it was given;
4. the capture belongs to the key's org (checked by the caller, 404 otherwise).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from geopera_nb.contract.hrefs import SIGNATURE_PARAMS
from geopera_nb.contract.limits import ID_MAX_LENGTH, SIGNED_URL_STEP_S
from geopera_nb.contract.timestamps import format_instant

from ..problems import Problem
from .auth import Auth

__all__ = ["SIGNATURE_PARAMS", "Grant", "expiry", "sign_query", "verify"]

_EXP_DIGITS = 12


@dataclass(frozen=True)
class Grant:
    """What a good signature grants: one asset, to one org, through one key, until ``exp``."""

    org_id: str
    key_id: str
    expires_s: int


def _message(asset: str, org_id: str, key_id: str, expires_s: int) -> str:
    return "\x1f".join(("asset-url", asset, org_id, key_id, str(expires_s)))


def expiry(now_s: float, ttl_s: int) -> int:
    """When an href signed at ``now_s`` expires: ``now + ttl`` rounded up to the step.

    Examples
    --------
    >>> expiry(1_000_000.0, 3600), expiry(1_000_000.0, 10)
    (1003800, 1000010)
    """
    step = max(1, min(SIGNED_URL_STEP_S, ttl_s // 10))
    return int(math.ceil((now_s + ttl_s) / step) * step)


def sign_query(auth: Auth, asset: str, org_id: str, key_id: str, expires_s: int) -> str:
    """The query string (``exp=...&kid=...&sig=...``) of a signed href of ``asset``."""
    sig = auth.sign(_message(asset, org_id, key_id, expires_s))
    return urlencode({"exp": expires_s, "kid": key_id, "sig": sig})


def _forbidden(detail: str) -> Problem:
    return Problem(403, detail)


def verify(auth: Auth, db: Any, asset: str, query: Mapping[str, str], *,
           wall: Callable[[], float], sandbox_now_ms: int) -> Grant:
    """Check the signature of a request for ``asset``; answer what it grants.

    Parameters
    ----------
    auth
        The server's credentials (secret, keys).
    db
        Where keys are read.
    asset
        What the URL names (``"<capture id>/<file name>"``).
    query
        The request's query parameters.
    wall
        The wall clock (seconds).
    sandbox_now_ms
        The sandbox clock (key expiry runs on it).

    Raises
    ------
    Problem
        403 for a missing, malformed, wrong or expired signature, or a dead key.
    """
    exp_text, key_id, sig = (str(query.get(p, "")) for p in SIGNATURE_PARAMS)
    if not (exp_text and key_id and sig):
        raise _forbidden("this asset URL is not signed: list the order's assets "
                         "(orders.list_assets) for signed hrefs")
    if (not exp_text.isdigit() or len(exp_text) > _EXP_DIGITS or len(key_id) > ID_MAX_LENGTH
            or len(sig) > ID_MAX_LENGTH):
        raise _forbidden("malformed asset URL signature")
    expires_s = int(exp_text)
    principal = auth.principal_for_key_id(db, key_id, sandbox_now_ms)
    org_id = principal.org_id if principal is not None else ""
    if principal is None:
        # still check the signature against no org, so a dead key and a forged one
        # cost the same; then say which it was only if the signature was ours
        org_id = _org_of_any_key(db, key_id)
    if not org_id or not auth.check_signature(_message(asset, org_id, key_id, expires_s), sig):
        raise _forbidden("invalid asset URL signature")
    if expires_s <= wall():
        raise _forbidden(f"this asset URL expired at {format_instant(expires_s * 1000)}: "
                         "list the order's assets again for fresh hrefs")
    if principal is None:
        raise _forbidden("the API key this asset URL was issued to is revoked or expired")
    return Grant(org_id=org_id, key_id=key_id, expires_s=expires_s)


def _org_of_any_key(db: Any, key_id: str) -> str:
    """The org of a key, live or not ("" when there is no such key)."""
    row = db.one("SELECT org_id FROM api_keys WHERE id = ?", (key_id,))
    return str(row["org_id"]) if row is not None else ""
