"""Small shared helpers: seeded ids, timestamps, money rounding."""

from __future__ import annotations

import hashlib
import math
import uuid
from datetime import UTC, datetime, timedelta

import numpy as np

__all__ = [
    "SANDBOX_EPOCH",
    "aud",
    "credits",
    "iso",
    "parse_datetime",
    "rng_for",
    "stable_uuid",
]

#: Where the sandbox clock starts (``--clock-start``).
SANDBOX_EPOCH = datetime(2026, 12, 1, tzinfo=UTC)


def _digest(*parts: object) -> bytes:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()


def stable_uuid(*parts: object) -> str:
    """A UUID v4 string derived from ``parts`` (same parts, same id).

    The 122 random bits come from SHA-256 of the parts instead of the OS, so ids are
    reproducible from the seed while keeping the v4 layout clients expect.

    Examples
    --------
    >>> stable_uuid(0, "capture", 1) == stable_uuid(0, "capture", 1)
    True
    >>> uuid.UUID(stable_uuid("x")).version
    4
    """
    return str(uuid.UUID(bytes=_digest(*parts)[:16], version=4))


def rng_for(*parts: object) -> np.random.Generator:
    """A numpy Generator seeded from ``parts`` (never the global random state).

    Examples
    --------
    >>> float(rng_for(1, "a").random()) == float(rng_for(1, "a").random())
    True
    """
    return np.random.default_rng(int.from_bytes(_digest(*parts)[:8], "little"))


def iso(dt: datetime) -> str:
    """ISO 8601 UTC with ``Z`` and milliseconds.

    Examples
    --------
    >>> iso(SANDBOX_EPOCH)
    '2026-12-01T00:00:00.000Z'
    """
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_datetime(value: object) -> datetime:
    """Parse an ISO 8601 timestamp (``Z`` or offset; naive means UTC) to aware UTC.

    Raises
    ------
    ValueError
        When ``value`` is not such a string.

    Examples
    --------
    >>> parse_datetime("2026-12-01T00:00:00Z") == SANDBOX_EPOCH
    True
    """
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        raise ValueError("expected an ISO 8601 date-time string")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


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


_UNIX = datetime(1970, 1, 1, tzinfo=UTC)


def ms(dt: datetime) -> int:
    """Milliseconds since the Unix epoch (UTC)."""
    return (dt.astimezone(UTC) - _UNIX) // timedelta(milliseconds=1)


def from_ms(value: int) -> datetime:
    """Aware UTC datetime from Unix milliseconds."""
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(value))
