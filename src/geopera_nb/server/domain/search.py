"""``catalog.search`` over the columnar archive: vectorised masks, stable order, paging.

Captures are stored sorted by (datetime desc, id asc), so a search is a boolean mask
over the rows and a page is a slice of the matching row numbers. The ``next`` token is
``base64url({"o": offset, "h": filter hash})``; the hash covers every filter except
``limit`` and ``next``, so a token only continues the search it came from.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime
from typing import Any

import numpy as np
import shapely

from geopera_nb.contract import limits
from geopera_nb.contract.timestamps import parse_instant, to_ms
from geopera_nb.geo import GeometryRejected, parse_geometry

from .catalogue import Catalogue
from .rejections import DomainError, from_geometry

__all__ = ["HOST_NAME", "search_captures"]

#: The only host the sandbox serves.
HOST_NAME = "geopera"
_QUERY_FIELDS = {"eo:cloud_cover": "cloud_cover", "cloudCoverage": "cloud_cover",
                 "view:off_nadir": "off_nadir"}  # fmt: skip
_OPS = {"lt": np.less, "lte": np.less_equal, "gt": np.greater, "gte": np.greater_equal}


def _filter_hash(body: dict[str, Any]) -> str:
    rest = {k: v for k, v in body.items() if k not in ("limit", "next")}
    text = json.dumps(rest, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _encode_token(offset: int, fhash: str) -> str:
    raw = json.dumps({"o": offset, "h": fhash}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: object, fhash: str) -> int:
    bad = DomainError(422, ("next",), "invalid next token", "value_error.token")
    if not isinstance(token, str) or len(token) > limits.CATALOG_TOKEN_MAX_LENGTH:
        raise bad
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset = data["o"]
        ok = isinstance(offset, int) and offset >= 0 and data["h"] == fhash
    except (ValueError, KeyError, TypeError):
        raise bad from None
    if not ok:
        raise DomainError(
            422, ("next",), "the next token belongs to a different search", "value_error.token"
        )
    return int(offset)


def _str_list(body: dict[str, Any], key: str, most: int) -> list[str] | None:
    v = body.get(key)
    if v is None:
        return None
    if not isinstance(v, list) or not all(isinstance(s, str) for s in v):
        raise DomainError(422, (key,), f"{key} must be an array of strings")
    if len(v) > most:
        raise DomainError(422, (key,), f"{key} may name at most {most:,} values, not {len(v):,}")
    for i, s in enumerate(v):
        if len(s) > limits.ID_MAX_LENGTH:
            raise DomainError(422, (key, i),
                              f"longer than {limits.ID_MAX_LENGTH} characters ({len(s):,})")
    return v


def _bbox_geom(v: object) -> shapely.Geometry:
    ok = isinstance(v, list) and len(v) in (4, 6)
    nums = v if ok and isinstance(v, list) else []
    ok = ok and all(isinstance(x, int | float) and not isinstance(x, bool) for x in nums)
    if not ok:
        raise DomainError(422, ("bbox",), "bbox must be [west, south, east, north]")
    w, s, e, n = (
        float(x) for x in (nums if len(nums) == 4 else [nums[0], nums[1], nums[3], nums[4]])
    )
    if not (-180 <= w <= 180 and -180 <= e <= 180 and -90 <= s <= 90 and -90 <= n <= 90):
        raise DomainError(422, ("bbox",), "bbox is outside lon [-180, 180] / lat [-90, 90]")
    if s > n:
        raise DomainError(422, ("bbox",), f"bbox south ({s:g}) is north of its north ({n:g})")
    if w > e:  # crosses the antimeridian (RFC 7946 5.2)
        return shapely.MultiPolygon([shapely.box(w, s, 180, n), shapely.box(-180, s, e, n)])
    return shapely.box(w, s, e, n)


def _datetime_mask(value: object, dt_ms: np.ndarray) -> np.ndarray:
    if not isinstance(value, str) or not value:
        raise DomainError(422, ("datetime",), "datetime must be an instant or a/b interval")
    try:
        if "/" not in value:
            return dt_ms == to_ms(parse_instant(value))
        lo_s, hi_s = value.split("/", 1)
        mask = np.ones(dt_ms.shape, dtype=bool)
        if lo_s not in ("", ".."):
            mask &= dt_ms >= to_ms(parse_instant(lo_s))
        if hi_s not in ("", ".."):
            mask &= dt_ms <= to_ms(parse_instant(hi_s))
        if lo_s in ("", "..") and hi_s in ("", ".."):
            raise ValueError("both ends open")
        return mask
    except ValueError:
        raise DomainError(
            422, ("datetime",), "datetime must be an ISO 8601 instant or a/b, ../b, a/.. interval"
        ) from None


def _query_mask(query: object, cat: Catalogue) -> np.ndarray:
    c = cat.captures
    mask = np.ones(c.size, dtype=bool)
    if not isinstance(query, dict):
        raise DomainError(422, ("query",), "query must be an object")
    for field, ops in query.items():
        column = _QUERY_FIELDS.get(field)
        if column is None:
            raise DomainError(422, ("query", field), f"unsupported query property {field!r}")
        if not isinstance(ops, dict):
            raise DomainError(422, ("query", field), "expected {op: number}")
        values = getattr(c, column)
        for op, v in ops.items():
            fn = _OPS.get(str(op).lower())
            if fn is None:
                raise DomainError(422, ("query", field, op), f"unsupported operator {op!r}")
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise DomainError(422, ("query", field, op), "expected a number")
            mask &= fn(values, float(v))
    return mask


def search_captures(
    cat: Catalogue, body: dict[str, Any], now: datetime
) -> tuple[list[dict[str, Any]], str | None]:
    """Run a ``catalog.search`` body: the page of capture Features and the next token.

    Parameters
    ----------
    cat
        The catalogue.
    body
        ``host_name`` (must be ``"geopera"``), ``collections``, ``ids``, ``bbox``,
        ``intersects``, ``datetime``, ``query``, ``limit`` (1 to ``CATALOG_LIMIT_MAX``, default
        ``CATALOG_LIMIT_DEFAULT``), ``next``.
    now
        The sandbox clock (captures after it are not offered).

    Raises
    ------
    DomainError
        404 for another host; 422 for a malformed filter or a foreign ``next`` token.

    Examples
    --------
    >>> from geopera_nb.server.domain.catalogue import build_catalogue
    >>> cat = build_catalogue(0)
    >>> feats, nxt = search_captures(cat, {"host_name": "geopera", "limit": 5,
    ...                                    "query": {"eo:cloud_cover": {"LTE": 10}}}, cat.now)
    >>> len(feats), nxt is not None, all(f["properties"]["eo:cloud_cover"] <= 10 for f in feats)
    (5, True, True)
    """
    if not isinstance(body, dict):
        raise DomainError(422, (), "the body must be an object")
    if body.get("host_name") != HOST_NAME:
        raise DomainError(404, ("host_name",), f"unknown host {body.get('host_name')!r}")
    c = cat.captures
    limit = body.get("limit")
    if limit is None:
        limit = limits.CATALOG_LIMIT_DEFAULT
    if isinstance(limit, bool) or not isinstance(limit, int) \
            or not 1 <= limit <= limits.CATALOG_LIMIT_MAX:
        raise DomainError(422, ("limit",),
                          f"limit must be an integer from 1 to {limits.CATALOG_LIMIT_MAX}")
    mask = c.datetime_ms <= to_ms(now)
    if (names := _str_list(body, "collections", limits.CATALOG_COLLECTIONS_MAX)) is not None:
        wanted = [i for i, n in enumerate(cat.collection_names) if n in names]
        mask &= np.isin(c.collection, wanted)
    if (ids := _str_list(body, "ids", limits.CATALOG_IDS_MAX)) is not None:
        wanted_rows = [c.index_by_id[i] for i in ids if i in c.index_by_id]
        by_id = np.zeros(c.size, dtype=bool)
        by_id[wanted_rows] = True
        mask &= by_id
    areas = []
    if body.get("bbox") is not None:
        areas.append(_bbox_geom(body["bbox"]))
    if body.get("intersects") is not None:
        try:
            areas.append(parse_geometry(body["intersects"], ("intersects",), areal_only=False))
        except GeometryRejected as exc:
            raise from_geometry(exc) from None
    for area in areas:
        hit = np.zeros(c.size, dtype=bool)
        hit[c.tree.query(area, predicate="intersects")] = True
        mask &= hit
    if body.get("datetime") is not None:
        mask &= _datetime_mask(body["datetime"], c.datetime_ms)
    if body.get("query") is not None:
        mask &= _query_mask(body["query"], cat)
    fhash = _filter_hash(body)
    offset = _decode_token(body["next"], fhash) if body.get("next") is not None else 0
    rows = np.flatnonzero(mask)
    page = rows[offset : offset + limit]
    nxt = _encode_token(offset + limit, fhash) if offset + limit < rows.size else None
    return [cat.capture_feature(int(i)) for i in page], nxt
