"""Tasking templates in the store (soft-deleted, never removed)."""

from __future__ import annotations

from typing import Any

from ..problems import Problem
from .order_store import Reader
from .store import Tx, dumps, loads


def insert(tx: Tx, org_id: str, doc: dict[str, Any]) -> None:
    """Store a new template document (``doc["id"]`` is its id)."""
    tx.execute("INSERT INTO templates (id, seq, org_id, doc) VALUES (?,?,?,?)",
               (doc["id"], tx.next_seq(), org_id, dumps(doc)))


def active(db: Reader, org_id: str) -> list[dict[str, Any]]:
    """The org's templates that are not deleted, newest first."""
    rows = db.all("SELECT doc FROM templates WHERE org_id = ? AND deleted = 0"
                  " ORDER BY seq DESC", (org_id,))
    return [loads(r["doc"]) for r in rows]


def soft_delete(tx: Tx, org_id: str, template_id: str) -> None:
    """Mark a template deleted; 404 if unknown or foreign, 410 if deleted already."""
    row = tx.one("SELECT deleted FROM templates WHERE id = ? AND org_id = ?",
                 (template_id, org_id))
    if row is None:
        raise Problem(404, f"template {template_id!r} not found")
    if row["deleted"]:
        raise Problem(410, f"template {template_id!r} was deleted")
    tx.execute("UPDATE templates SET deleted = 1 WHERE id = ?", (template_id,))
