"""Feasibility studies, quotations and the decisions inbox (backend, no HTTP)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import ledger, orders
from .clock import HOUR_MS, parse_iso, to_datetime, to_iso
from .errors import Invalid, Problem, conflict
from .store import Tx, dumps, loads

if TYPE_CHECKING:
    from .backend import Backend
    from .orders import Reader

QUOTATION_VALID_MS = 72 * HOUR_MS


def rebuild_request(backend: Backend, state: dict[str, Any]) -> Any:
    """The domain ``TaskingRequest`` of an order, normalised as at placement."""
    from .domain.tasking import normalise_tasking_group

    return normalise_tasking_group(state["group"], int(state.get("groupIndex", 0)),
                                   backend.catalogue, to_datetime(int(state["placedMs"])))


def _insert(tx: Tx, table: str, doc: dict[str, Any], org_id: str, created_ms: int) -> None:
    tx.execute(f"INSERT INTO {table} (id, seq, org_id, workspace_id, order_id, decision,"
               " created_ms, doc) VALUES (?,?,?,?,?,?,?,?)",
               (doc["id"], tx.next_seq(), org_id, doc["workspaceId"], doc["orderId"],
                doc["decision"], created_ms, dumps(doc)))


def _update(tx: Tx, table: str, doc: dict[str, Any]) -> None:
    tx.execute(f"UPDATE {table} SET decision = ?, doc = ? WHERE id = ?",
               (doc["decision"], dumps(doc), doc["id"]))


def create_study(backend: Backend, tx: Tx, order: dict[str, Any], state: dict[str, Any],
                 at: int) -> dict[str, Any]:
    """Make the feasibility study (with priced options) of an order."""
    from .domain.feasibility import study_options

    request = rebuild_request(backend, state)
    options = study_options(order["id"], request, int(order["credits"]["estimated"]),
                            backend.seed, to_datetime(at))
    for option in options:
        if not option.get("id"):
            option["id"] = tx.new_id()
    study = {"id": tx.new_id(), "orderId": order["id"], "workspaceId": order["workspaceId"],
             "sensor": order["sensor"], "decision": "NOT_DECIDED", "acceptedOptionId": None,
             "createdAt": to_iso(at), "decidedAt": None, "options": options}
    _insert(tx, "studies", study, order["organizationId"], at)
    state["studyId"] = study["id"]
    return study


def create_quotation(backend: Backend, tx: Tx, order: dict[str, Any], state: dict[str, Any],
                     at: int) -> dict[str, Any]:
    """Make the quotation of an order (the accepted option's price, else the estimate)."""
    credits = int(state.get("acceptedCredits") or order["credits"]["estimated"])
    quotation = {"id": tx.new_id(), "orderId": order["id"], "workspaceId": order["workspaceId"],
                 "decision": "NOT_DECIDED", "credits": credits, "aud": ledger.aud(credits),
                 "createdAt": to_iso(at), "decidedAt": None,
                 "validUntil": to_iso(at + QUOTATION_VALID_MS)}
    _insert(tx, "quotations", quotation, order["organizationId"], at)
    state["quotationId"] = quotation["id"]
    return quotation


def _load(db: Reader, table: str, what: str, org_id: str, ident: str) -> dict[str, Any]:
    row = db.one(f"SELECT doc FROM {table} WHERE id = ? AND org_id = ?", (ident, org_id))
    if row is None:
        raise Problem(404, f"{what} {ident!r} not found")
    doc: dict[str, Any] = loads(row["doc"])
    return doc


def decide_feasibility(backend: Backend, tx: Tx, org_id: str, study_id: str, option_id: str,
                       now_ms: int) -> dict[str, Any]:
    """Accept one option of a study: reserve its price and move the order on."""
    study = _load(tx, "studies", "feasibility study", org_id, study_id)
    if study["decision"] != "NOT_DECIDED":
        raise conflict(f"feasibility study already decided ({study['decision']})")
    option = next((o for o in study["options"] if o.get("id") == option_id), None)
    if option is None:
        raise Invalid.at(["body", "acceptedOptionId"],
                         f"option {option_id!r} is not an option of this study")
    order, state, _ = orders.load(tx, org_id, study["orderId"])
    if (order["status"], order["subStatus"]) != ("PLACED", "FEASIBILITY_WAITING_RESPONSE"):
        raise conflict(f"order is {order['status']}/{order['subStatus']}: no study to decide")
    credits = int(option["credits"])
    ledger.hold(tx, org_id, order, credits, now_ms)
    study.update(decision="ACCEPTED", acceptedOptionId=option_id, decidedAt=to_iso(now_ms))
    _update(tx, "studies", study)
    state["acceptedCredits"] = credits
    window = order["orderDetails"].setdefault("window", {})
    for key in ("start", "end"):
        if option.get(key):
            window[key] = option[key]
    if option.get("priority"):
        order["orderDetails"].setdefault("params", {})["priority"] = option["priority"]
    order["subStatus"] = "QUOTATION_WAITING_UPLOAD"
    orders.save(tx, order, state, now_ms + HOUR_MS, now_ms)
    return study


def decide_quotation(backend: Backend, tx: Tx, org_id: str, quotation_id: str, decision: str,
                     now_ms: int) -> dict[str, Any]:
    """Accept (reserve unless already reserved) or reject (cancel, refund) a quotation."""
    from .lifecycle import advance_order

    quotation = _load(tx, "quotations", "quotation", org_id, quotation_id)
    if quotation.get("expired") or (quotation["decision"] == "NOT_DECIDED"
                                    and parse_iso(quotation["validUntil"]) <= now_ms):
        raise Problem(410, f"quotation expired at {quotation['validUntil']}")
    if quotation["decision"] != "NOT_DECIDED":
        raise conflict(f"quotation already decided ({quotation['decision']})")
    order, state, _ = orders.load(tx, org_id, quotation["orderId"])
    if (order["status"], order["subStatus"]) != ("PLACED", "QUOTATION_WAITING_RESPONSE"):
        raise conflict(f"order is {order['status']}/{order['subStatus']}: "
                       "no quotation to decide")
    nxt: int | None = None
    if decision == "ACCEPTED":
        if int(order["credits"].get("reserved", 0)) == 0:
            ledger.hold(tx, org_id, order, int(quotation["credits"]), now_ms)
        order["subStatus"] = "QUOTATION_ACCEPTED"
        nxt = max(parse_iso(order["orderDetails"]["window"]["start"]), now_ms)
    else:
        ledger.void(tx, org_id, order, now_ms)
        order["status"] = "CANCELED"
        order["subStatus"] = "QUOTATION_REJECTED"
        order["statusReason"] = "quotation rejected"
    quotation.update(decision=decision, decidedAt=to_iso(now_ms))
    _update(tx, "quotations", quotation)
    orders.save(tx, order, state, nxt, now_ms)
    if nxt is not None and nxt <= now_ms:
        advance_order(backend, tx, org_id, order["id"], now_ms)
    return quotation


def expire_quotation(tx: Tx, order: dict[str, Any], state: dict[str, Any], at: int) -> None:
    """The quotation lapsed undecided (``validUntil``): mark it expired, cancel, refund.

    The quotation becomes ``REJECTED`` with ``"expired": true`` (so it leaves the
    decisions inbox), the order ``CANCELED/QUOTATION_REJECTED`` with statusReason
    ``"quotation expired"``, and any reservation (an accepted study option) is voided.
    """
    org_id = order["organizationId"]
    quotation_id = state.get("quotationId")
    if quotation_id:
        quotation = _load(tx, "quotations", "quotation", org_id, quotation_id)
        if quotation["decision"] == "NOT_DECIDED":
            quotation.update(decision="REJECTED", decidedAt=to_iso(at), expired=True)
            _update(tx, "quotations", quotation)
    ledger.void(tx, org_id, order, at)
    order["status"] = "CANCELED"
    order["subStatus"] = "QUOTATION_REJECTED"
    order["statusReason"] = "quotation expired"


def close_pending(tx: Tx, order_id: str, now_ms: int) -> None:
    """Mark an order's undecided study/quotation REJECTED (the order was cancelled)."""
    for table in ("studies", "quotations"):
        for row in tx.all(f"SELECT doc FROM {table} WHERE order_id = ? AND decision ="
                          " 'NOT_DECIDED'", (order_id,)):
            doc = loads(row["doc"])
            doc.update(decision="REJECTED", decidedAt=to_iso(now_ms))
            _update(tx, table, doc)


def list_decisions(db: Reader, table: str, org_id: str, filters: dict[str, Any], page: int,
                   size: int | None) -> tuple[list[Any], int]:
    """A page (``size=None``: all) of an org's studies or quotations, newest first."""
    where, params = ["org_id = ?"], [org_id]
    for name, column in (("id", "id"), ("workspaceId", "workspace_id"),
                         ("orderId", "order_id"), ("decision", "decision")):
        values = orders.split_values(filters.get(name))
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
    for kind, table in (("feasibility", "studies"), ("quotation", "quotations")):
        if kinds and kind not in kinds:
            continue
        sql = (f"SELECT t.seq AS seq, t.doc AS doc, '{kind}' AS kind, o.display_name AS name"
               f" FROM {table} t JOIN orders o ON o.id = t.order_id"
               " WHERE t.org_id = ? AND t.decision = 'NOT_DECIDED'")
        params.append(org_id)
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
