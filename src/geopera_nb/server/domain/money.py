"""Money: credits are whole, 100 credits = A$1 (``semantics.md``)."""

from __future__ import annotations

import math

__all__ = ["aud", "credits"]


def credits(exact: float) -> int:
    """Credits are the ceiling of the exact value (tiny float noise is ignored).

    Examples
    --------
    >>> credits(74880.0000000001), credits(10.2)
    (74880, 11)
    """
    return math.ceil(round(exact, 6))


def aud(n_credits: int) -> float:
    """A$ for an integer credit amount (100 credits = A$1).

    Examples
    --------
    >>> aud(74880)
    748.8
    """
    return round(n_credits / 100.0, 2)
