"""Checking GeoJSON coordinates as they arrive: rings, positions, numbers, with ``loc``s.

Every problem is a :class:`GeometryProblem` whose ``loc`` points into the request body
(``("featureCollection", "features", 0, "geometry", "coordinates", 0, 3)``); a
:class:`ProblemCollector` keeps them, capped per feature
(:data:`~geopera_nb.contract.limits.GEOMETRY_PROBLEMS_MAX`) so a hostile body cannot
make megabytes of errors. Plain numeric rings take a numpy path; anything else a
per-value path that reports the same problems in the same order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np

from geopera_nb.contract.limits import COORDINATE_MAGNITUDE_MAX, GEOMETRY_PROBLEMS_MAX

__all__ = ["GeometryProblem", "GeometryRejected", "Loc", "ProblemCollector", "check_ring",
           "count_positions"]

Loc = tuple[str | int, ...]



@dataclass(frozen=True)
class GeometryProblem:
    """One reason a geometry was rejected: where (``loc`` into the body) and why."""

    loc: Loc
    msg: str
    type: str = "value_error.geometry"

    def as_detail(self) -> dict[str, Any]:
        """The FastAPI-style ``{"loc", "msg", "type"}`` item (``loc`` as a list)."""
        return {"loc": list(self.loc), "msg": self.msg, "type": self.type}


class GeometryRejected(ValueError):
    """A geometry or FeatureCollection broke the rules; ``problems`` lists every reason."""

    def __init__(self, problems: Sequence[GeometryProblem]) -> None:
        self.problems: list[GeometryProblem] = list(problems)
        text = "; ".join(f"{'.'.join(map(str, p.loc))}: {p.msg}" for p in self.problems)
        super().__init__(f"geometry rejected: {text}")




class ProblemCollector:
    """Collects problems, capped per feature."""

    def __init__(self) -> None:
        self.problems: list[GeometryProblem] = []
        self._count = 0

    def add(self, loc: Loc, msg: str) -> None:
        self._count += 1
        if self._count <= GEOMETRY_PROBLEMS_MAX:
            self.problems.append(GeometryProblem(loc, msg))

    @property
    def full(self) -> bool:
        """Whether further problems would be dropped (the per-feature cap is reached)."""
        return self._count >= GEOMETRY_PROBLEMS_MAX


def _number(v: object) -> float | str:
    """A finite float, or the reason the value is not one."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return f"coordinate must be a number, got {type(v).__name__}"
    try:
        f = float(v)
    except OverflowError:
        return "coordinate is a huge number"
    if not math.isfinite(f):
        return "coordinate is not a finite number"
    if abs(f) > COORDINATE_MAGNITUDE_MAX:
        return "coordinate is a huge number"
    return f


#: Python types a coordinate may have on the vectorised path (exact types: ``bool`` is an
#: ``int`` subclass and must take the per-value path, which rejects it).
_PLAIN_NUMBERS = frozenset((float, int))
_POSITION_LENGTHS = (frozenset((2,)), frozenset((3,)))


def check_ring(raw: object, loc: Loc, out: ProblemCollector) -> np.ndarray | None:
    """Check one linear ring; answer its ``(n, 2)`` lon/lat array, or ``None`` if rejected.

    Problems go to ``out`` in position order, exactly as :func:`_ring_scalar` reports
    them. A ring of plain JSON numbers (every position a list of 2, or every position a
    list of 3, ``int``/``float`` values) is checked with numpy over the whole coordinate
    array; anything else (strings, booleans, nested arrays, mixed position lengths, ints
    too large for a float, subclasses) takes the per-value path.
    """
    if not isinstance(raw, list):
        out.add(loc, "ring must be an array of positions")
        return None
    arr = _plain_coordinates(raw)
    if arr is None:
        return _ring_scalar(raw, loc, out)
    n = arr.shape[0]
    if n < 4:
        out.add(loc, f"ring has {n} positions; a linear ring needs at least 4")
    finite = np.isfinite(arr)
    # _number's order per value: not finite, then huge; the first bad value of a position wins
    code = np.where(finite, np.where(np.abs(arr) > COORDINATE_MAGNITUDE_MAX, 2, 0), 1)
    bad_number: np.ndarray = np.asarray(code.any(axis=1), dtype=bool)
    lon, lat = arr[:, 0], arr[:, 1]
    bad_lon = ~bad_number & ~((lon >= -180.0) & (lon <= 180.0))
    bad_lat = ~bad_number & ~((lat >= -90.0) & (lat <= 90.0))
    bad = np.flatnonzero(bad_number | bad_lon | bad_lat)
    if bad.size:
        first = (code[bad] != 0).argmax(axis=1)  # the first bad value of each position
        for j, k in zip(bad.tolist(), first.tolist(), strict=True):
            ploc = (*loc, j)
            if bad_number[j]:
                out.add(ploc, _NUMBER_PROBLEMS[int(code[j, k])])
                continue
            if bad_lon[j]:
                out.add(ploc, f"longitude {float(lon[j])} is outside [-180, 180]")
            if bad_lat[j]:
                out.add(ploc, f"latitude {float(lat[j])} is outside [-90, 90]")
            if out.full:
                break  # further problems are not reported (the per-feature cap)
        return None
    pts = arr[:, :2] if arr.shape[1] == 3 else arr
    if n >= 2 and (pts[0, 0] != pts[-1, 0] or pts[0, 1] != pts[-1, 1]):
        out.add(loc, "ring is not closed (first and last positions differ)")
        return None
    return np.ascontiguousarray(pts) if n >= 4 else None


_NUMBER_PROBLEMS = {1: "coordinate is not a finite number", 2: "coordinate is a huge number"}


def _plain_coordinates(raw: list[Any]) -> np.ndarray | None:
    """``raw`` as an ``(n, 2|3)`` float array when it is a ring of plain numbers, else None.

    The type checks run at C speed (``set(map(type, ...))``), not per value in Python.
    """
    if not raw or set(map(type, raw)) != {list}:
        return None
    if set(map(len, raw)) not in _POSITION_LENGTHS:
        return None
    if not set(map(type, chain.from_iterable(raw))) <= _PLAIN_NUMBERS:
        return None
    try:
        return np.array(raw, dtype=np.float64)
    except (OverflowError, ValueError, TypeError):  # an int beyond float range: per value
        return None


def _ring_scalar(raw: list[Any], loc: Loc, out: ProblemCollector) -> np.ndarray | None:
    """The per-value ring check (any JSON value); the reference :func:`check_ring` matches."""
    if len(raw) < 4:
        out.add(loc, f"ring has {len(raw)} positions; a linear ring needs at least 4")
    ok = True
    pts: list[tuple[float, float]] = []
    for j, pos in enumerate(raw):
        ploc = (*loc, j)
        if not isinstance(pos, list) or not 2 <= len(pos) <= 3:
            out.add(ploc, "position must be an array of 2 or 3 numbers")
            ok = False
            continue
        vals = [_number(v) for v in pos]
        bad = [v for v in vals if isinstance(v, str)]
        if bad:
            out.add(ploc, str(bad[0]))
            ok = False
            continue
        lon, lat = float(vals[0]), float(vals[1])
        if not -180.0 <= lon <= 180.0:
            out.add(ploc, f"longitude {lon} is outside [-180, 180]")
            ok = False
        if not -90.0 <= lat <= 90.0:
            out.add(ploc, f"latitude {lat} is outside [-90, 90]")
            ok = False
        pts.append((lon, lat))
    if not ok:
        return None
    if len(pts) >= 2 and pts[0] != pts[-1]:
        out.add(loc, "ring is not closed (first and last positions differ)")
        return None
    return np.asarray(pts, dtype=np.float64) if len(pts) >= 4 else None


def count_positions(coords: object, depth: int) -> int:
    """Positions in a coordinates array of the given nesting depth (cheap, no parsing)."""
    if not isinstance(coords, list):
        return 0
    if depth == 1:
        return len(coords)
    return sum(count_positions(c, depth - 1) for c in coords)

