"""Decision frames: feasibility studies (one row per option), quotations, and the inbox of
pending decisions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from geopera_nb.frames._build import build_frame
from geopera_nb.frames._source import iter_records


def _body(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


def studies_frame_from_records(studies: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per option of each feasibility study (a study without options: one row).

    Examples
    --------
    >>> frame = studies_frame_from_records([{"id": "s1", "orderId": "o1",
    ...     "decision": "ACCEPTED", "acceptedOptionId": "b",
    ...     "options": [{"id": "a", "credits": 5}, {"id": "b", "credits": 7}]}])
    >>> frame[["study_id", "option_id", "credits", "accepted"]].values.tolist()
    [['s1', 'a', 5, False], ['s1', 'b', 7, True]]
    """
    rows: list[dict[str, Any]] = []
    for study in studies:
        options = study.get("options") or [None]
        for option in options:
            row = dict(study)
            row["options"] = option
            rows.append(row)

    def accepted(r: Mapping[str, Any]) -> bool | None:
        option = r.get("options")
        if not isinstance(option, Mapping):
            return None
        return option.get("id") is not None and option.get("id") == r.get("acceptedOptionId")

    def extra(r: Mapping[str, Any]) -> dict[str, Any] | None:
        known = {"id", "orderId", "workspaceId", "sensor", "decision", "acceptedOptionId",
                 "createdAt", "decidedAt", "options"}
        out = {k: v for k, v in r.items() if k not in known}
        option = r.get("options")
        if isinstance(option, Mapping):
            opt_known = {"id", "description", "priority", "start", "end", "passes", "credits", "aud"}
            out.update({f"option.{k}": v for k, v in option.items() if k not in opt_known})
        return out or None

    return build_frame(rows, "studies", derived={"accepted": accepted, "extra": extra})


def studies_frame(
    client: Any,
    *,
    order_id: str | None = None,
    decision: str | None = None,
    workspace_id: str | None = None,
    study_id: str | None = None,
) -> pd.DataFrame:
    """Feasibility studies with their options, one row per option.

    Returns
    -------
    DataFrame
        ``study_id, order_id, workspace_id, sensor, decision, accepted_option_id,
        created_at, decided_at, option_id, description, priority, start, end, passes,
        credits, aud, accepted, extra``.
    """
    body = _body(orderId=order_id, decision=decision, workspaceId=workspace_id, id=study_id)
    return studies_frame_from_records(
        iter_records(client, "orders.tasking.feasibility_studies.list", body)
    )


def quotations_frame(
    client: Any,
    *,
    order_id: str | None = None,
    decision: str | None = None,
    workspace_id: str | None = None,
) -> pd.DataFrame:
    """Tasking quotations, one row each.

    Returns
    -------
    DataFrame
        ``id, order_id, workspace_id, decision, credits, aud, created_at, decided_at,
        valid_until, extra``.
    """
    body = _body(orderId=order_id, decision=decision, workspaceId=workspace_id)
    return build_frame(iter_records(client, "orders.tasking.quotations.list", body), "quotations")


def decisions_frame_from_records(items: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """The pending-decisions frame from inbox items.

    Examples
    --------
    >>> decisions_frame_from_records([{"kind": "feasibility", "id": "s1",
    ...     "options": [{"id": "a"}]}]).loc[0, "option_count"]
    np.int64(1)
    """

    def count(r: Mapping[str, Any]) -> int | None:
        options = r.get("options")
        return len(options) if isinstance(options, list) else None

    return build_frame(items, "decisions", derived={"option_count": count})


def decisions_frame(
    client: Any, *, kinds: str | Iterable[str] | None = None, workspace_id: str | None = None
) -> pd.DataFrame:
    """The pending-decisions inbox (studies and quotations awaiting a decision).

    Parameters
    ----------
    kinds : str or iterable of str, optional
        ``"feasibility"``, ``"quotation"`` or both.

    Returns
    -------
    DataFrame
        ``kind, id, order_id, order_display_name, decision, sensor, credits, aud,
        option_count, options, created_at, valid_until, workspace_id, extra``.
    """
    joined = kinds if kinds is None or isinstance(kinds, str) else ",".join(kinds)
    body = _body(kinds=joined, workspaceId=workspace_id)
    return decisions_frame_from_records(iter_records(client, "orders.tasking.decisions.pending", body))
