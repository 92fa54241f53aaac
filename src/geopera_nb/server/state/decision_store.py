"""Feasibility studies and quotations in the store, and the decisions inbox queries.

Both tables hold the JSON document served as is, plus the columns filters need. What a
study or a quotation *does* to its order is :mod:`geopera_nb.server.service.lifecycle`'s.
"""

from __future__ import annotations

from typing import Any

from geopera_nb.contract.states import Decision, DecisionKind
from geopera_nb.contract.timestamps import format_instant

from ..problems import Problem
from .order_store import Reader, split_values
from .store import Tx, dumps, loads

#: The two decision tables and what the inbox calls their items.
TABLES = {"studies": DecisionKind.FEASIBILITY, "quotations": DecisionKind.QUOTATION}


def insert(tx: Tx, table: str, doc: dict[str, Any], org_id: str, created_ms: int) -> None:
    """Store a new study or quotation document."""
    tx.execute(f"INSERT INTO {table} (id, seq, org_id, workspace_id, order_id, decision,"
               " created_ms, doc) VALUES (?,?,?,?,?,?,?,?)",
               (doc["id"], tx.next_seq(), org_id, doc["workspaceId"], doc["orderId"],
                doc["decision"], created_ms, dumps(doc)))


def update(tx: Tx, table: str, doc: dict[str, Any]) -> None:
    """Write back a changed study or quotation."""
    tx.execute(f"UPDATE {table} SET decision = ?, doc = ? WHERE id = ?",
               (doc["decision"], dumps(doc), doc["id"]))


def load(db: Reader, table: str, what: str, org_id: str, ident: str) -> dict[str, Any]:
    """An org's study or quotation by id (404 for missing or foreign)."""
    row = db.one(f"SELECT doc FROM {table} WHERE id = ? AND org_id = ?", (ident, org_id))
    if row is None:
        raise Problem(404, f"{what} {ident!r} not found")
    doc: dict[str, Any] = loads(row["doc"])
    return doc


def reject_undecided(tx: Tx, order_id: str, now_ms: int) -> None:
    """Mark an order's undecided study/quotation REJECTED (the order was cancelled)."""
    for table in TABLES:
        for row in tx.all(f"SELECT doc FROM {table} WHERE order_id = ? AND decision = ?",
                          (order_id, Decision.NOT_DECIDED)):
            doc = loads(row["doc"])
            doc.update(decision=Decision.REJECTED, decidedAt=format_instant(now_ms))
            update(tx, table, doc)


def list_decisions(db: Reader, table: str, org_id: str, filters: dict[str, Any], page: int,
                   size: int | None) -> tuple[list[Any], int]:
    """A page (``size=None``: all) of an org's studies or quotations, newest first."""
    where, params = ["org_id = ?"], [org_id]
    for name, column in (("id", "id"), ("workspaceId", "workspace_id"),
                         ("orderId", "order_id"), ("decision", "decision")):
        values = split_values(filters.get(name), name)
        if values:
            where.append(f"{column} IN ({','.join('?' * len(values))})")
            params.extend(values)
    clause = " AND ".join(where)
    total = int(db.one(f"SELECT COUNT(*) FROM {table} WHERE {clause}", params)[0])
    sql = f"SELECT doc FROM {table} WHERE {clause} ORDER BY seq DESC"
    if size is not None:
        sql += f" LIMIT {int(size)} OFFSET {int(page) * int(size)}"
    return [loads(r["doc"]) for r in db.all(sql, params)], total


def pending(db: Reader, org_id: str, workspace_id: str | None, kinds: list[str], page: int,
            size: int | None) -> tuple[list[Any], int]:
    """The org's undecided studies and quotations, newest first, with ``kind``."""
    parts, params = [], []
    for table, kind in TABLES.items():
        if kinds and kind not in kinds:
            continue
        sql = (f"SELECT t.seq AS seq, t.doc AS doc, '{kind.value}' AS kind,"
               f" o.display_name AS name FROM {table} t JOIN orders o ON o.id = t.order_id"
               " WHERE t.org_id = ? AND t.decision = ?")
        params += [org_id, Decision.NOT_DECIDED]
        if workspace_id:
            sql += " AND t.workspace_id = ?"
            params.append(workspace_id)
        parts.append(sql)
    if not parts:
        return [], 0
    union = " UNION ALL ".join(parts)
    total = int(db.one(f"SELECT COUNT(*) FROM ({union})", params)[0])
    sql = f"SELECT * FROM ({union}) ORDER BY seq DESC"
    if size is not None:
        sql += f" LIMIT {int(size)} OFFSET {int(page) * int(size)}"
    items = []
    for row in db.all(sql, params):
        doc = loads(row["doc"])
        doc["kind"] = row["kind"]
        doc["orderDisplayName"] = row["name"]
        items.append(doc)
    return items, total
