"""Organisations in the store: one row each, with its workspace and its ledger balances."""

from __future__ import annotations

from ..problems import Problem
from .order_store import Reader
from .store import Tx


def insert(tx: Tx, name: str, now_ms: int) -> tuple[str, str]:
    """Store a new organisation (no credits yet); answer ``(org_id, workspace_id)``."""
    org_id = tx.new_id()
    workspace_id = tx.new_id()
    tx.execute("INSERT INTO orgs (id, seq, name, workspace_id, granted, balance,"
               " reserved, charged, created_ms) VALUES (?,?,?,?,0,0,0,0,?)",
               (org_id, tx.next_seq(), name, workspace_id, now_ms))
    return org_id, workspace_id


def exists(db: Reader, org_id: str) -> bool:
    """Whether the organisation exists."""
    return db.one("SELECT 1 FROM orgs WHERE id = ?", (org_id,)) is not None


def workspace_of(db: Reader, org_id: str) -> str:
    """The workspace id of an organisation (404 if unknown)."""
    row = db.one("SELECT workspace_id FROM orgs WHERE id = ?", (org_id,))
    if row is None:
        raise Problem(404, "organisation not found")
    return str(row[0])
