"""What the sandbox admin API does: organisations, their credits and their keys."""

from __future__ import annotations

from typing import Any

from geopera_nb.contract.limits import CREDITS_GRANT_MAX, KEY_LIFETIME_MAX_HOURS, NAME_MAX_LENGTH
from geopera_nb.contract.timestamps import HOUR_MS, format_instant

from ..problems import Invalid, Problem
from ..state import ledger, org_store
from ..state.backend import Backend
from ..state.scopes import DEFAULT_SCOPES, valid_scope


def _credits(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= CREDITS_GRANT_MAX:
        raise Invalid.at(["body", "credits"], f"credits must be an integer from 0 to {CREDITS_GRANT_MAX}")
    return value


def create_org(backend: Backend, name: object, credits: object) -> dict[str, Any]:
    """A new org with its workspace, ``credits`` granted and a full-scope key."""
    if not isinstance(name, str) or not name.strip() or len(name) > NAME_MAX_LENGTH:
        raise Invalid.at(["body", "name"],
                         f"name must be a non-empty string (<= {NAME_MAX_LENGTH})")
    amount = _credits(credits)
    now = backend.now_ms
    with backend.write() as tx:
        org_id, workspace_id = org_store.insert(tx, name, now)
        ledger.grant(tx, org_id, amount, now)
        _, api_key = backend.auth.create_key(tx, org_id, list(DEFAULT_SCOPES), now)
    return {"org_id": org_id, "workspace_id": workspace_id, "api_key": api_key}


def grant(backend: Backend, org_id: str, credits: object) -> dict[str, int]:
    """Grant more credits to an org; answer its balances."""
    amount = _credits(credits)
    with backend.write() as tx:
        ledger.balances(tx, org_id)
        ledger.grant(tx, org_id, amount, backend.now_ms)
        return ledger.balances(tx, org_id)


def create_key(backend: Backend, org_id: str, scopes: object,
               expires_in_hours: object = None) -> dict[str, Any]:
    """A new key for an org with ``scopes`` (default: every scope)."""
    if scopes is None:
        scopes = list(DEFAULT_SCOPES)
    if not isinstance(scopes, list) or not all(
            isinstance(s, str) and valid_scope(s) for s in scopes):
        raise Invalid.at(["body", "scopes"], "scopes must be a list of 'resource:action'")
    now = backend.now_ms
    expires_ms = None
    if expires_in_hours is not None:
        if (isinstance(expires_in_hours, bool)
                or not isinstance(expires_in_hours, int | float)
                or not 0 < expires_in_hours <= KEY_LIFETIME_MAX_HOURS):
            raise Invalid.at(["body", "expires_in_hours"],
                             f"expires_in_hours must be a number above 0 and at most "
                             f"{KEY_LIFETIME_MAX_HOURS}")
        expires_ms = now + int(expires_in_hours * HOUR_MS)
    with backend.write() as tx:
        if not org_store.exists(tx, org_id):
            raise Problem(404, "organisation not found")
        key_id, api_key = backend.auth.create_key(tx, org_id, scopes, now, expires_ms)
    return {"api_key": api_key, "key_id": key_id, "scopes": scopes,
            "expires_at": None if expires_ms is None else format_instant(expires_ms)}


def revoke_key(backend: Backend, api_key: object) -> dict[str, Any]:
    """Revoke a key by value."""
    if not isinstance(api_key, str) or not api_key:
        raise Invalid.at(["body", "api_key"], "api_key must be a string")
    with backend.write() as tx:
        found = backend.auth.revoke_key(tx, api_key)
    if not found:
        raise Problem(404, "api key not found")
    return {"revoked": True}


def balances(backend: Backend, org_id: str) -> dict[str, int]:
    """``{"granted", "balance", "reserved", "charged"}`` of an org (404 if unknown)."""
    return ledger.balances(backend.store, org_id)
