"""The device authorization grant (RFC 8628) with PKCE (RFC 7636), as ``geopera login`` uses it.

1. The client posts ``client_id``, ``scope`` and a ``code_challenge`` (S256) to
   ``.../auth/device`` and gets ``device_code``, ``user_code``, ``verification_uri``
   (``verification_uri_complete``), ``interval`` and ``expires_in``.
2. A person opens the verification page and approves (or denies) the user code for an
   org: on the page with one of the org's API keys, or as the sandbox administrator
   (``POST /sandbox/device/approve``, ``geopera-nb sandbox approve CODE``).
3. Meanwhile the client polls the token endpoint with the ``device_code`` grant and its
   ``code_verifier``; the answer is ``authorization_pending`` until the decision,
   ``slow_down`` when it polls sooner than ``interval`` (which then grows by 5 s, RFC 8628
   section 3.5), ``access_denied`` after a denial, ``expired_token`` after
   ``DEVICE_CODE_TTL_S`` of wall time, and the token pair once (a second redemption is
   ``invalid_grant``).

Everything runs on the wall clock (:attr:`~..state.auth.Auth.wall`), never the sandbox
clock: a sign-in is about a person.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from typing import Any

from geopera_nb.contract.limits import (
    DEVICE_CODE_TTL_S,
    DEVICE_CODES_PENDING_MAX,
    DEVICE_POLL_INTERVAL_S,
    DEVICE_POLL_SLACK_S,
    DEVICE_SLOW_DOWN_STEP_S,
    DEVICE_USER_CODE_MAX_LENGTH,
    ID_MAX_LENGTH,
    OAUTH_SCOPE_MAX_LENGTH,
    PKCE_VERIFIER_MAX_LENGTH,
    PKCE_VERIFIER_MIN_LENGTH,
)

from ..problems import Invalid, Problem
from ..state import device_codes, org_store
from ..state.auth import OAuthError, Principal
from ..state.backend import Backend
from ..state.device_codes import DeviceCode
from ..state.scopes import DEFAULT_SCOPES, valid_scope

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
#: RFC 8628 section 6.1: consonants only (no words, no 0/O or 1/I look-alikes).
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
_USER_CODE_LETTERS = 8
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]+")
_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")


def new_user_code() -> str:
    """A random user code such as ``"BDWP-HQTK"`` (8 letters, 34 bits).

    Examples
    --------
    >>> code = new_user_code()
    >>> len(code), code[4], normalise_user_code(code.lower()) == code
    (9, '-', True)
    """
    letters = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(_USER_CODE_LETTERS))
    return f"{letters[:4]}-{letters[4:]}"


def normalise_user_code(text: object) -> str | None:
    """The canonical spelling of a typed user code (case, spaces and dashes do not
    matter), or ``None`` when it cannot be one.

    Examples
    --------
    >>> normalise_user_code(" bdwp hqtk "), normalise_user_code("BDWP-HQT")
    ('BDWP-HQTK', None)
    """
    if not isinstance(text, str) or len(text) > DEVICE_USER_CODE_MAX_LENGTH:
        return None
    letters = re.sub(r"[\s\-]", "", text).upper()
    if len(letters) != _USER_CODE_LETTERS or any(c not in USER_CODE_ALPHABET for c in letters):
        return None
    return f"{letters[:4]}-{letters[4:]}"


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of a verifier (unpadded base64url of its SHA-256).

    Examples
    --------
    >>> s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")  # RFC 7636 appendix B
    'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'
    """
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


# --- 1. authorization request -----------------------------------------------------------------


def _challenge(form: dict[str, str]) -> str | None:
    challenge = form.get("code_challenge")
    method = form.get("code_challenge_method")
    if challenge is None:
        if method is not None:
            raise OAuthError(400, "invalid_request", "code_challenge_method without code_challenge")
        return None
    if method != "S256":
        raise OAuthError(400, "invalid_request", "code_challenge_method must be S256")
    if not _CHALLENGE.fullmatch(challenge):
        raise OAuthError(400, "invalid_request",
                         "code_challenge must be the 43-character base64url SHA-256 of the "
                         "code_verifier")
    return challenge


def authorize(backend: Backend, client_id: str, form: dict[str, str],
              verification_uri: str) -> dict[str, Any]:
    """Start a device authorization; answer the RFC 8628 section 3.2 response.

    Raises
    ------
    OAuthError
        400 ``invalid_request`` (bad PKCE members, over-long scope), 503
        ``temporarily_unavailable`` when ``DEVICE_CODES_PENDING_MAX`` are waiting.
    """
    scope = form.get("scope", "")
    if len(scope) > OAUTH_SCOPE_MAX_LENGTH:
        raise OAuthError(400, "invalid_request",
                         f"scope is longer than {OAUTH_SCOPE_MAX_LENGTH} characters")
    challenge = _challenge(form)
    auth = backend.auth
    device_code = secrets.token_urlsafe(32)
    wall_ms = auth.wall_ms()
    with backend.write() as tx:
        device_codes.purge_expired(tx, wall_ms)
        if device_codes.count_live(tx, wall_ms) >= DEVICE_CODES_PENDING_MAX:
            raise OAuthError(503, "temporarily_unavailable",
                             f"{DEVICE_CODES_PENDING_MAX} device logins are already waiting; "
                             "try again in a few minutes")
        user_code = new_user_code()
        while device_codes.by_user_code(tx, user_code) is not None:  # pragma: no cover
            user_code = new_user_code()
        device_codes.insert(tx, DeviceCode(
            device_hash=auth.digest(device_code), user_code=user_code, client_id=client_id,
            scope=scope, challenge=challenge, created_ms=wall_ms,
            expires_ms=wall_ms + DEVICE_CODE_TTL_S * 1000, interval_s=DEVICE_POLL_INTERVAL_S,
            last_poll_ms=None, status=device_codes.PENDING, key_id=None))
    return {
        "device_code": device_code,
        "user_code": user_code,
        "verification_uri": verification_uri,
        "verification_uri_complete": f"{verification_uri}?user_code={user_code}",
        "expires_in": DEVICE_CODE_TTL_S,
        "interval": DEVICE_POLL_INTERVAL_S,
    }


# --- 2. the decision ----------------------------------------------------------------------------


def pending_code(backend: Backend, user_code: object) -> DeviceCode:
    """The live, undecided authorization of a typed user code.

    Raises
    ------
    Problem
        404 for an unknown or expired code, 409 when it was already decided.
    """
    code = normalise_user_code(user_code)
    found = None if code is None else device_codes.by_user_code(backend.store, code)
    if found is None or found.expires_ms <= backend.auth.wall_ms():
        raise Problem(404, "unknown or expired user code")
    if found.status != device_codes.PENDING:
        raise Problem(409, f"this login was already {found.status}")
    return found


def decide(backend: Backend, user_code: object, principal: Principal | None) -> DeviceCode:
    """Approve the login for ``principal``'s key, or deny it (``principal=None``)."""
    found = pending_code(backend, user_code)
    status = device_codes.DENIED if principal is None else device_codes.APPROVED
    with backend.write() as tx:
        device_codes.decide(tx, found.device_hash, status,
                            None if principal is None else principal.key_id)
    return found


def approve_with_key(backend: Backend, user_code: object, api_key: object) -> DeviceCode:
    """The verification page's approval: the user signs in with one of the org's keys.

    Raises
    ------
    Problem
        401 for a key that is not live; 404 / 409 as :func:`pending_code`.
    """
    principal = (backend.auth.principal_for_key(api_key, backend.now_ms)
                 if isinstance(api_key, str) else None)
    if principal is None:
        pending_code(backend, user_code)  # an unknown code answers 404 first
        raise Problem(401, "invalid, expired or revoked API key")
    return decide(backend, user_code, principal)


def admin_decide(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /sandbox/device/approve`` ``{"user_code", "org_id" | "api_key", "scopes"?,
    "deny"?}``: approve a login for an org (a new key with ``scopes``, default every
    scope, or the given key), or deny it.
    """
    user_code = body.get("user_code")
    deny = body.get("deny", False)
    if not isinstance(deny, bool):
        raise Invalid.at(["body", "deny"], "deny must be a boolean")
    if deny:
        found = decide(backend, user_code, None)
        return {"user_code": found.user_code, "status": device_codes.DENIED}
    org_id, api_key, scopes = body.get("org_id"), body.get("api_key"), body.get("scopes")
    if (org_id is None) == (api_key is None):
        raise Invalid.at(["body"], "give exactly one of org_id and api_key")
    if api_key is not None:
        found = approve_with_key(backend, user_code, api_key)
        return {"user_code": found.user_code, "status": device_codes.APPROVED}
    if not isinstance(org_id, str) or len(org_id) > ID_MAX_LENGTH:
        raise Invalid.at(["body", "org_id"], "org_id must be an id")
    if scopes is None:
        scopes = list(DEFAULT_SCOPES)
    if not isinstance(scopes, list) or not all(
            isinstance(s, str) and valid_scope(s) for s in scopes):
        raise Invalid.at(["body", "scopes"], "scopes must be a list of 'resource:action'")
    found = pending_code(backend, user_code)
    now = backend.now_ms
    with backend.write() as tx:
        if not org_store.exists(tx, org_id):
            raise Problem(404, "organisation not found")
        key_id, _ = backend.auth.create_key(tx, org_id, scopes, now)  # the key is never shown
        device_codes.decide(tx, found.device_hash, device_codes.APPROVED, key_id)
    return {"user_code": found.user_code, "status": device_codes.APPROVED, "org_id": org_id}


# --- 3. polling -------------------------------------------------------------------------------


def _check_verifier(found: DeviceCode, verifier: str | None) -> None:
    if found.challenge is None:
        if verifier is not None:
            raise OAuthError(400, "invalid_grant",
                             "code_verifier given, but no code_challenge came with this login")
        return
    if verifier is None:
        raise OAuthError(400, "invalid_grant", "code_verifier is required (PKCE)")
    if (not PKCE_VERIFIER_MIN_LENGTH <= len(verifier) <= PKCE_VERIFIER_MAX_LENGTH
            or not _VERIFIER.fullmatch(verifier)):
        raise OAuthError(400, "invalid_grant", "code_verifier is not an RFC 7636 verifier")
    if not hmac.compare_digest(s256(verifier), found.challenge):
        raise OAuthError(400, "invalid_grant", "code_verifier does not match the code_challenge")


def poll(backend: Backend, client_id: str, device_code: str,
         verifier: str | None) -> dict[str, Any]:
    """One poll of the ``device_code`` grant: the token pair once approved.

    Raises
    ------
    OAuthError
        ``authorization_pending``, ``slow_down``, ``access_denied``, ``expired_token``,
        ``invalid_grant`` or ``invalid_request`` (all 400), as RFC 8628 section 3.5 says.
    """
    if not device_code:
        raise OAuthError(400, "invalid_request", "device_code is required")
    auth = backend.auth
    digest = auth.digest(device_code[:ID_MAX_LENGTH])
    wall_ms = auth.wall_ms()
    found = device_codes.by_device(backend.store, digest)
    if found is None or found.client_id != client_id:
        raise OAuthError(400, "invalid_grant", "unknown device_code")
    if found.expires_ms <= wall_ms:
        raise OAuthError(400, "expired_token", "the device code expired; start a new login")
    _check_verifier(found, verifier)
    if found.status == device_codes.DENIED:
        raise OAuthError(400, "access_denied", "the login was denied")
    if found.status == device_codes.REDEEMED:
        raise OAuthError(400, "invalid_grant", "this device code was already used")
    error: OAuthError | None = None
    with backend.write() as tx:  # committed even when the answer is an error
        current = device_codes.by_device(tx, digest)
        assert current is not None
        if current.status == device_codes.PENDING:
            interval = current.interval_s
            too_soon = (current.last_poll_ms is not None and wall_ms - current.last_poll_ms
                        < (interval - DEVICE_POLL_SLACK_S) * 1000)
            if too_soon:
                interval += DEVICE_SLOW_DOWN_STEP_S
                error = OAuthError(400, "slow_down",
                                   f"polling too fast: wait {interval} s between polls")
            else:
                error = OAuthError(400, "authorization_pending", "waiting for the user to "
                                   f"approve code {current.user_code}")
            device_codes.record_poll(tx, digest, wall_ms, interval)
        elif current.status != device_codes.APPROVED or current.key_id is None:
            error = OAuthError(400, "invalid_grant", "this device code was already used")
        else:
            principal = auth.principal_for_key_id(tx, current.key_id, backend.now_ms)
            device_codes.mark_redeemed(tx, digest)
            if principal is None:
                error = OAuthError(400, "invalid_grant",
                                   "the credential this login was approved with is no longer "
                                   "valid")
            else:
                return auth.issue_tokens(tx, principal, client_id)
    assert error is not None
    raise error
