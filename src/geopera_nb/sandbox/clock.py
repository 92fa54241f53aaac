"""The sandbox clock: instants as integer milliseconds, ISO 8601 ``Z`` strings in bodies.

The sandbox never reads the wall clock for anything that reaches a response body:
its clock starts at ``2026-12-01T00:00:00.000Z`` (configurable) and only moves when
an administrator advances it (``POST /sandbox/clock/advance``). Rate-limit windows
are the one exception: they use wall time, as the real API does.

Examples
--------
>>> to_iso(parse_iso("2026-12-01T00:00:00Z"))
'2026-12-01T00:00:00.000Z'
>>> to_iso(parse_iso("2026-12-01T10:00:00+10:00"))
'2026-12-01T00:00:00.000Z'
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

DEFAULT_START = "2026-12-01T00:00:00.000Z"

HOUR_MS = 3_600_000


def parse_iso(value: str) -> int:
    """Parse an ISO 8601 instant into epoch milliseconds (naive values are UTC).

    Raises
    ------
    ValueError
        If ``value`` is not an ISO 8601 date or date-time.
    """
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return round(dt.timestamp() * 1000)


def to_datetime(ms: int) -> datetime:
    """Epoch milliseconds -> an aware UTC :class:`~datetime.datetime`."""
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)


def from_datetime(dt: datetime) -> int:
    """An aware (or naive = UTC) datetime -> epoch milliseconds."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return round(dt.timestamp() * 1000)


def to_iso(ms: int) -> str:
    """Epoch milliseconds -> ``YYYY-MM-DDTHH:MM:SS.mmmZ``."""
    dt = to_datetime(ms)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def normalise_iso(value: str) -> str:
    """Re-format any ISO 8601 instant in the sandbox's canonical form."""
    return to_iso(parse_iso(value))
