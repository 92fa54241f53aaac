"""Instants as the API writes them: ISO 8601 UTC with milliseconds and ``Z``.

One rule for everyone (sandbox clock, domain, frames, widgets, CLI): an instant is kept
to the millisecond by **flooring** (``.9996`` s is ``.999``), so parsing, converting to
epoch milliseconds and printing never disagree by a millisecond. Naive values are UTC.

Examples
--------
>>> format_instant(parse_instant("2026-12-01T10:00:00+10:00"))
'2026-12-01T00:00:00.000Z'
>>> to_ms(parse_instant("1970-01-01T00:00:00.9996Z")), normalise("1970-01-01T00:00:00.9996Z")
(999, '1970-01-01T00:00:00.999Z')
>>> format_instant(from_ms(to_ms(parse_instant("2026-12-01T00:00:00.0015Z"))))
'2026-12-01T00:00:00.001Z'
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from .limits import INSTANT_TEXT_MAX_LENGTH

__all__ = [
    "DAY_MS",
    "HOUR_MS",
    "UNIX_EPOCH",
    "format_instant",
    "from_ms",
    "normalise",
    "parse_instant",
    "parse_ms",
    "to_ms",
]

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def parse_instant(value: object) -> datetime:
    """An ISO 8601 date or date-time (``Z``, an offset, or naive = UTC) as aware UTC.

    Raises
    ------
    ValueError
        When ``value`` is not such a string (or is longer than ``INSTANT_TEXT_MAX_LENGTH``).

    Examples
    --------
    >>> parse_instant("2026-12-01")
    datetime.datetime(2026, 12, 1, 0, 0, tzinfo=datetime.timezone.utc)
    >>> parse_instant(42)
    Traceback (most recent call last):
    ...
    ValueError: expected an ISO 8601 date-time string, got int
    """
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO 8601 date-time string, got {type(value).__name__}")
    text = value.strip()
    if not 10 <= len(text) <= INSTANT_TEXT_MAX_LENGTH:
        raise ValueError("expected an ISO 8601 date-time string")
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def to_ms(dt: datetime) -> int:
    """Epoch milliseconds of a datetime (naive = UTC), floored.

    Examples
    --------
    >>> to_ms(datetime(1970, 1, 1, 0, 0, 1, 999_999))
    1999
    """
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return (dt - UNIX_EPOCH) // _MS


def from_ms(ms: int) -> datetime:
    """An aware UTC datetime from epoch milliseconds."""
    return UNIX_EPOCH + timedelta(milliseconds=int(ms))


def parse_ms(value: object) -> int:
    """:func:`parse_instant`, as epoch milliseconds (floored)."""
    return to_ms(parse_instant(value))


def format_instant(value: datetime | int) -> str:
    """``YYYY-MM-DDTHH:MM:SS.mmmZ`` of a datetime or of epoch milliseconds (floored).

    Examples
    --------
    >>> format_instant(0)
    '1970-01-01T00:00:00.000Z'
    """
    dt = from_ms(value) if isinstance(value, int) else value
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def normalise(value: object) -> str:
    """Any ISO 8601 instant in the canonical form."""
    return format_instant(parse_instant(value))
