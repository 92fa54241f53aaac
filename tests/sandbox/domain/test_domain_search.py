"""catalog.search: filters, paging with next tokens, errors."""

from __future__ import annotations

from typing import Any

import pytest
import shapely
from shapely.geometry import box, shape

from geopera_nb.server.domain import Catalogue, DomainError, search_captures


def run(cat: Catalogue, **body: Any) -> tuple[list[dict[str, Any]], str | None]:
    return search_captures(cat, {"host_name": "geopera", **body}, cat.now)


def all_pages(cat: Catalogue, **body: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    nxt = None
    for _ in range(100):
        page, nxt = run(cat, **body, **({"next": nxt} if nxt else {}))
        out.extend(page)
        if nxt is None:
            return out
    raise AssertionError("paging did not end")


def test_unknown_host_is_404(cat: Catalogue) -> None:
    with pytest.raises(DomainError) as info:
        search_captures(cat, {"host_name": "planet"}, cat.now)
    assert info.value.status == 404 and info.value.loc == ("host_name",)


def test_default_limit_and_order(cat: Catalogue) -> None:
    feats, nxt = run(cat)
    assert len(feats) == 100 and nxt
    keys = [(f["properties"]["datetime"], f["id"]) for f in feats]
    assert keys == sorted(keys, key=lambda k: (_neg(k[0]), k[1]))


def _neg(s: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in s)


def test_paging_has_no_gaps_or_duplicates(cat: Catalogue) -> None:
    body = {"collections": ["owl-archive", "kite-archive"], "limit": 37}
    paged = all_pages(cat, **body)
    ids = [f["id"] for f in paged]
    assert len(ids) == len(set(ids))
    whole = all_pages(cat, collections=body["collections"], limit=500)
    assert ids == [f["id"] for f in whole]
    expected = sum(
        1 for i in range(cat.captures.size)
        if cat.collection_names[int(cat.captures.collection[i])] in body["collections"]
    )  # fmt: skip
    assert len(ids) == expected


def test_foreign_or_bad_token_is_422(cat: Catalogue) -> None:
    _, nxt = run(cat, collections=["owl-archive"], limit=5)
    assert nxt
    with pytest.raises(DomainError) as info:
        run(cat, collections=["kite-archive"], limit=5, next=nxt)
    assert info.value.status == 422 and info.value.loc == ("next",)
    with pytest.raises(DomainError):
        run(cat, next="not-a-token")
    page, _ = run(cat, collections=["owl-archive"], limit=9, next=nxt)  # limit may change
    assert len(page) == 9


def test_bbox_and_intersects(cat: Catalogue) -> None:
    bb = [-10.0, 35.0, 30.0, 60.0]
    feats = all_pages(cat, bbox=bb, limit=500)
    assert feats
    for f in feats:
        assert shape(f["geometry"]).intersects(box(*bb))
    inside = sum(shapely.intersects(cat.captures.footprints, box(*bb)))
    assert len(feats) == inside
    geo = {
        "type": "Polygon",
        "coordinates": [[[-10, 35], [30, 35], [30, 60], [-10, 60], [-10, 35]]],
    }
    assert [f["id"] for f in all_pages(cat, intersects=geo, limit=500)] == [f["id"] for f in feats]
    pt = shapely.centroid(cat.captures.footprints[0])
    hits, _ = run(cat, intersects={"type": "Point", "coordinates": [pt.x, pt.y]})
    assert str(cat.captures.ids[0]) in {f["id"] for f in hits}
    am, _ = run(cat, bbox=[170.0, -50.0, -170.0, -30.0], limit=500)  # across the antimeridian
    assert am and all(f["bbox"][0] > 160 for f in am)
    for bad in ([1, 2, 3], [0, 100, 1, 101], ["a", 0, 1, 1]):
        with pytest.raises(DomainError):
            run(cat, bbox=bad)
    with pytest.raises(DomainError) as info:
        run(cat, intersects={"type": "Polygon", "coordinates": [[[0, 0], [1, 0]]]})
    assert info.value.loc[0] == "intersects"


def test_datetime_filters(cat: Catalogue) -> None:
    rng = "2025-06-01T00:00:00Z/2025-06-30T23:59:59Z"
    feats = all_pages(cat, datetime=rng, limit=500)
    assert feats and all(
        "2025-06-01" <= f["properties"]["datetime"][:10] <= "2025-06-30" for f in feats
    )
    after = all_pages(cat, datetime="2026-11-01T00:00:00Z/..", limit=500)
    assert all(f["properties"]["datetime"] >= "2026-11-01" for f in after)
    before = all_pages(cat, datetime="../2025-01-01T00:00:00Z", limit=500)
    assert all(f["properties"]["datetime"] < "2025-01-01" for f in before)
    assert len(after) + len(before) < cat.captures.size
    instant = feats[0]["properties"]["datetime"]
    got, _ = run(cat, datetime=instant)
    assert feats[0]["id"] in {f["id"] for f in got}
    assert all(f["properties"]["datetime"] == instant for f in got)
    for bad in ("yesterday", "../..", 5):
        with pytest.raises(DomainError):
            run(cat, datetime=bad)


@pytest.mark.parametrize("field", ["eo:cloud_cover", "cloudCoverage"])
@pytest.mark.parametrize("op", ["lt", "LTE", "gt", "Gte"])
def test_query_ops(cat: Catalogue, field: str, op: str) -> None:
    feats = all_pages(cat, query={field: {op: 20}}, limit=500)
    values = [f["properties"]["eo:cloud_cover"] for f in feats]
    check = {"lt": lambda v: v < 20, "lte": lambda v: v <= 20, "gt": lambda v: v > 20,
             "gte": lambda v: v >= 20}[op.lower()]  # fmt: skip
    assert values and all(check(v) for v in values)
    col = cat.captures.cloud_cover
    assert len(values) == int(sum(check(v) for v in col.tolist()))


def test_query_off_nadir_and_ids(cat: Catalogue) -> None:
    feats, _ = run(cat, query={"view:off_nadir": {"gte": 5, "lt": 10}}, limit=50)
    assert all(5 <= f["properties"]["view:off_nadir"] < 10 for f in feats)
    ids = [str(cat.captures.ids[i]) for i in (5, 1, 3)]
    got, nxt = run(cat, ids=ids)
    assert sorted(f["id"] for f in got) == sorted(ids) and nxt is None
    assert run(cat, ids=[])[0] == []
    for bad in ({"gsd": {"lt": 1}}, {"eo:cloud_cover": {"ne": 1}}, {"eo:cloud_cover": {"lt": "x"}}):
        with pytest.raises(DomainError):
            run(cat, query=bad)
    for bad_limit in (0, 501, "10", True):
        with pytest.raises(DomainError):
            run(cat, limit=bad_limit)


def test_ids_match_exactly(cat: Catalogue) -> None:
    real = str(cat.captures.ids[0])
    assert run(cat, ids=[real + "-and-more"])[0] == []
    assert [f["id"] for f in run(cat, ids=[real, real])[0]] == [real]
