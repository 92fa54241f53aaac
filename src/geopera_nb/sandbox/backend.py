"""The sandbox backend: store, clock, credentials, limits and the catalogue, no HTTP.

Routes parse requests and call into here (and into :mod:`.orders`, :mod:`.tasking`,
:mod:`.lifecycle`); everything here is plain Python over the SQLite store.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from . import ledger
from .auth import Auth
from .clock import HOUR_MS, parse_iso, to_iso
from .config import SandboxConfig, resolve_admin_token
from .errors import Invalid, Problem
from .idempotency import Claims
from .ratelimit import RateLimiter
from .scopes import DEFAULT_SCOPES, valid_scope
from .store import Store, Tx, new_secret

_CATALOGUES: dict[tuple[int, int], Any] = {}
_CATALOGUES_LOCK = threading.Lock()


def shared_catalogue(seed: int, start_ms: int) -> Any:
    """The catalogue of (seed, clock start), built once per process (it is read-only)."""
    with _CATALOGUES_LOCK:
        cat = _CATALOGUES.get((seed, start_ms))
        if cat is None:
            from .domain.catalogue import build_catalogue
            from .domain.util import from_ms

            cat = build_catalogue(seed=seed, now=from_ms(start_ms))
            _CATALOGUES[(seed, start_ms)] = cat
        return cat


class Backend:
    """All server state of one sandbox.

    Parameters
    ----------
    config
        The server settings; ``config.data_dir`` must exist.
    """

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        Path(config.data_dir).mkdir(parents=True, exist_ok=True)
        self.store = Store(config.db_path)
        start_ms = parse_iso(config.clock_start)
        meta = self.store.init_meta({
            "seed": str(config.seed),
            "clock_start_ms": str(start_ms),
            "clock_ms": str(start_ms),
            "secret": new_secret(),
        })
        self.seed = int(meta["seed"])
        self.clock_start_ms = int(meta["clock_start_ms"])
        self._now_ms = int(meta["clock_ms"])
        self.auth = Auth(self.store, meta["secret"])
        self._admin_token = resolve_admin_token(Path(config.data_dir), config.admin_token)
        self.limiter = RateLimiter(config.rate_limits)
        self.claims = Claims()
        from .schemas import BodySchemas

        self.schemas = BodySchemas(self)
        self._catalogue: Any = None
        self._catalogue_lock = threading.Lock()
        # build the catalogue (a few seconds) while the server starts answering
        threading.Thread(target=lambda: self.catalogue, name="sandbox-catalogue",
                         daemon=True).start()

    def __repr__(self) -> str:
        return f"Backend(data_dir={str(self.config.data_dir)!r}, seed={self.seed})"

    # --- plumbing ---------------------------------------------------------------------

    @property
    def admin_token(self) -> str:
        """The admin API's bearer token (keep it out of logs)."""
        return self._admin_token

    def is_admin(self, token: str | None) -> bool:
        """Whether ``token`` is the admin token (constant-time comparison)."""
        return bool(token) and hmac.compare_digest(
            str(token).encode("utf-8", "surrogatepass"), self._admin_token.encode())

    @property
    def now_ms(self) -> int:
        """The sandbox clock (epoch milliseconds)."""
        return self._now_ms

    @property
    def now_iso(self) -> str:
        """The sandbox clock as ISO 8601."""
        return to_iso(self._now_ms)

    @contextmanager
    def write(self) -> Iterator[Tx]:
        """One write transaction (``BEGIN IMMEDIATE``) with the seeded id generator."""
        with self.store.write(self.seed) as tx:
            yield tx

    @property
    def catalogue(self) -> Any:
        """The seeded catalogue (sensors, products, archive captures), built once."""
        if self._catalogue is None:
            with self._catalogue_lock:
                if self._catalogue is None:
                    self._catalogue = shared_catalogue(self.seed, self.clock_start_ms)
        return self._catalogue

    def close(self) -> None:
        """Close the database connections."""
        self.store.close()

    # --- clock ------------------------------------------------------------------------

    def advance(self, hours: float) -> str:
        """Move the clock forward and materialise every event now due (one transaction)."""
        if not hours >= 0 or hours > 24 * 366 * 10:
            raise Invalid.at(["body", "hours"], "hours must be a number between 0 and 87840")
        from .lifecycle import materialise_all

        with self.write() as tx:
            new_ms = self._now_ms + round(hours * HOUR_MS)
            tx.execute("UPDATE meta SET value = ? WHERE key = 'clock_ms'", (str(new_ms),))
            materialise_all(self, tx, new_ms)
            tx.after_commit.append(lambda: setattr(self, "_now_ms", new_ms))
        return to_iso(self._now_ms)

    def catch_up(self, org_id: str) -> None:
        """Materialise an org's events due at the current clock (usually nothing)."""
        now = self._now_ms
        row = self.store.one("SELECT 1 FROM orders WHERE org_id = ? AND next_event_ms <= ?"
                             " LIMIT 1", (org_id, now))
        if row is None:
            return
        from .lifecycle import materialise_org

        with self.write() as tx:
            materialise_org(self, tx, org_id, now)

    # --- orgs and keys ----------------------------------------------------------------

    def create_org(self, name: str, credits: int) -> dict[str, Any]:
        """A new org with its workspace, ``credits`` granted and a full-scope key."""
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise Invalid.at(["body", "name"], "name must be a non-empty string (<= 200)")
        if isinstance(credits, bool) or not isinstance(credits, int) or not (
                0 <= credits <= 10**12):
            raise Invalid.at(["body", "credits"], "credits must be an integer >= 0")
        with self.write() as tx:
            org_id = tx.new_id()
            workspace_id = tx.new_id()
            tx.execute("INSERT INTO orgs (id, seq, name, workspace_id, granted, balance,"
                       " reserved, charged, created_ms) VALUES (?,?,?,?,0,0,0,0,?)",
                       (org_id, tx.next_seq(), name, workspace_id, self._now_ms))
            ledger.grant(tx, org_id, credits, self._now_ms)
            _, api_key = self.auth.create_key(tx, org_id, list(DEFAULT_SCOPES), self._now_ms)
        return {"org_id": org_id, "workspace_id": workspace_id, "api_key": api_key}

    def grant(self, org_id: str, credits: int) -> dict[str, int]:
        """Grant more credits to an org; answer its balances."""
        if isinstance(credits, bool) or not isinstance(credits, int) or not (
                0 <= credits <= 10**12):
            raise Invalid.at(["body", "credits"], "credits must be an integer >= 0")
        with self.write() as tx:
            ledger.balances(tx, org_id)
            ledger.grant(tx, org_id, credits, self._now_ms)
            return ledger.balances(tx, org_id)

    def create_key(self, org_id: str, scopes: list[str] | None,
                   expires_in_hours: float | None = None) -> dict[str, Any]:
        """A new key for an org with ``scopes`` (default: every scope)."""
        if scopes is None:
            scopes = list(DEFAULT_SCOPES)
        if not isinstance(scopes, list) or not all(
                isinstance(s, str) and valid_scope(s) for s in scopes):
            raise Invalid.at(["body", "scopes"], "scopes must be a list of 'resource:action'")
        expires_ms = None
        if expires_in_hours is not None:
            if not isinstance(expires_in_hours, int | float) or expires_in_hours <= 0:
                raise Invalid.at(["body", "expires_in_hours"], "must be a positive number")
            expires_ms = self._now_ms + int(expires_in_hours * HOUR_MS)
        with self.write() as tx:
            if tx.one("SELECT 1 FROM orgs WHERE id = ?", (org_id,)) is None:
                raise Problem(404, "organisation not found")
            key_id, api_key = self.auth.create_key(tx, org_id, scopes, self._now_ms, expires_ms)
        return {"api_key": api_key, "key_id": key_id, "scopes": scopes,
                "expires_at": None if expires_ms is None else to_iso(expires_ms)}

    def revoke_key(self, api_key: str) -> dict[str, Any]:
        """Revoke a key by value."""
        if not isinstance(api_key, str) or not api_key:
            raise Invalid.at(["body", "api_key"], "api_key must be a string")
        with self.write() as tx:
            found = self.auth.revoke_key(tx, api_key)
        if not found:
            raise Problem(404, "api key not found")
        return {"revoked": True}

    def ledger(self, org_id: str) -> dict[str, int]:
        """``{"granted", "balance", "reserved", "charged"}`` of an org (404 if unknown)."""
        return ledger.balances(self.store, org_id)

    def org_workspace(self, org_id: str) -> str:
        """The workspace id of an org."""
        row = self.store.one("SELECT workspace_id FROM orgs WHERE id = ?", (org_id,))
        if row is None:
            raise Problem(404, "organisation not found")
        return str(row[0])
