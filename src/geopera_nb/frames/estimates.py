"""Estimate answers as frames: one row per group / capture / feature; errors are rows.

Rows are sorted by ``index`` (the position in the request), so an estimate frame lines
up with the groups, captures or features that were sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from geopera_nb.frames._build import build_frame


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("index", kind="stable", na_position="last").reset_index(drop=True)


def _errors(answer: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{**e, "_ok": False} for e in answer.get("errors") or [] if isinstance(e, Mapping)]


def _ok(r: Mapping[str, Any]) -> bool:
    return bool(r.get("_ok", True))


def _extra(known: set[str]) -> Any:
    def extra(r: Mapping[str, Any]) -> dict[str, Any] | None:
        return {k: v for k, v in r.items() if k not in known and not k.startswith("_")} or None

    return extra


def tasking_estimate_frame(result: Mapping[str, Any]) -> pd.DataFrame:
    """One row per tasking group of an ``orders.tasking.estimate`` answer.

    Groups that could not be priced are rows with ``ok=False`` and ``message``.

    Examples
    --------
    >>> answer = {"groups": [{"index": 0, "sensor": "s", "areaKm2": 31.2, "credits": 7,
    ...                       "aud": 0.07, "features": [{"index": 0, "areaKm2": 31.2}]}],
    ...           "errors": [{"index": 1, "message": "unknown sensor", "loc": ["groups", 1]}],
    ...           "totalAud": 0.07, "totalCredits": 7}
    >>> tasking_estimate_frame(answer)[["index", "ok", "credits", "message"]].values.tolist()
    [[0, True, 7, <NA>], [1, False, <NA>, 'unknown sensor']]
    """
    rows = [dict(g) for g in result.get("groups") or []] + _errors(result)
    known = {"index", "sensor", "areaKm2", "billableKm2", "pricePerKm2", "priorityFactor",
             "credits", "aud", "features", "message", "loc"}

    def feature_count(r: Mapping[str, Any]) -> int | None:
        features = r.get("features")
        return len(features) if isinstance(features, list) else None

    frame = build_frame(
        rows,
        "tasking_estimate",
        derived={"ok": _ok, "feature_count": feature_count, "extra": _extra(known)},
    )
    return _sorted(frame)


def archive_estimate_frame(result: Mapping[str, Any]) -> pd.DataFrame:
    """One row per capture line of an ``orders.archive.estimate`` answer.

    Each row carries its group's ``date`` (``splitByDate``); unpriced lines are rows
    with ``ok=False`` and ``message``.

    Examples
    --------
    >>> answer = {"groups": [{"date": "2025-06-01", "credits": 45, "aud": 0.45, "captures": [
    ...     {"index": 0, "id": "c1", "areaKm2": 3.1, "billableKm2": 5.0, "credits": 45,
    ...      "aud": 0.45, "datetime": "2025-06-01T10:31:12.000Z"}]}],
    ...     "errors": [{"index": 1, "id": "c9", "message": "unknown capture"}]}
    >>> archive_estimate_frame(answer)[["index", "id", "date", "ok"]].values.tolist()
    [[0, 'c1', '2025-06-01', True], [1, 'c9', <NA>, False]]
    """
    rows: list[dict[str, Any]] = []
    for group in result.get("groups") or []:
        for capture in group.get("captures") or []:
            rows.append({**capture, "_date": group.get("date")})
    rows += _errors(result)
    known = {"index", "id", "datetime", "areaKm2", "billableKm2", "credits", "aud", "message"}
    frame = build_frame(
        rows,
        "archive_estimate",
        derived={"ok": _ok, "date": lambda r: r.get("_date"), "extra": _extra(known)},
    )
    return _sorted(frame)


def estimate_frame(result: Mapping[str, Any]) -> pd.DataFrame:
    """One row per feature of an ``orders.estimate`` answer (errors: ``ok=False``).

    Examples
    --------
    >>> estimate_frame({"results": [{"index": 0, "credits": 5, "aud": 0.05, "size": 2.0,
    ...     "unit": "SQ_KM"}], "errors": []}).loc[0, "unit"]
    'SQ_KM'
    """
    rows = [dict(r) for r in result.get("results") or []] + _errors(result)
    known = {"index", "credits", "aud", "size", "unit", "message"}
    frame = build_frame(rows, "estimate", derived={"ok": _ok, "extra": _extra(known)})
    return _sorted(frame)
