"""Device authorizations (RFC 8628) in the store: one row per ``device_code``.

A row is made by ``POST .../auth/device`` and lives ``DEVICE_CODE_TTL_S`` of wall time.
Its ``status`` moves ``pending`` -> ``approved`` (an org's key is bound to it) or
``denied``, and ``approved`` -> ``redeemed`` when the polling client gets its tokens
(once). The device code itself is a bearer secret: only its HMAC digest is stored. The
user code is short, shown to the user and typed back, so it is stored as is (it is
worthless without the device code and dies with the row).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .order_store import Reader
from .store import Tx

PENDING = "pending"
APPROVED = "approved"
DENIED = "denied"
REDEEMED = "redeemed"

_COLUMNS = ("device_hash, user_code, client_id, scope, challenge, created_ms, expires_ms,"
            " interval_s, last_poll_ms, status, key_id")


@dataclass(frozen=True)
class DeviceCode:
    """One device authorization as stored."""

    device_hash: str
    user_code: str
    client_id: str
    scope: str
    challenge: str | None
    created_ms: int
    expires_ms: int
    interval_s: int
    last_poll_ms: int | None
    status: str
    key_id: str | None

    @classmethod
    def from_row(cls, row: Any) -> DeviceCode:
        """The record of a ``SELECT`` of every column."""
        return cls(*(row[k] for k in range(len(cls.__dataclass_fields__))))


def insert(tx: Tx, code: DeviceCode) -> None:
    """Store a new pending device authorization."""
    tx.execute(f"INSERT INTO device_codes ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
               (code.device_hash, code.user_code, code.client_id, code.scope, code.challenge,
                code.created_ms, code.expires_ms, code.interval_s, code.last_poll_ms,
                code.status, code.key_id))


def purge_expired(tx: Tx, wall_ms: int) -> None:
    """Forget the authorizations whose lifetime is over (keeps the table bounded)."""
    tx.execute("DELETE FROM device_codes WHERE expires_ms <= ?", (wall_ms,))


def count_live(db: Reader, wall_ms: int) -> int:
    """How many authorizations are still alive (any status)."""
    return int(db.one("SELECT COUNT(*) FROM device_codes WHERE expires_ms > ?", (wall_ms,))[0])


def by_device(db: Reader, device_hash: str) -> DeviceCode | None:
    """The authorization of a device code digest, or ``None``."""
    row = db.one(f"SELECT {_COLUMNS} FROM device_codes WHERE device_hash = ?", (device_hash,))
    return None if row is None else DeviceCode.from_row(row)


def by_user_code(db: Reader, user_code: str) -> DeviceCode | None:
    """The authorization of a (normalised) user code, or ``None``."""
    row = db.one(f"SELECT {_COLUMNS} FROM device_codes WHERE user_code = ?", (user_code,))
    return None if row is None else DeviceCode.from_row(row)


def decide(tx: Tx, device_hash: str, status: str, key_id: str | None) -> None:
    """Approve (with the key the tokens will belong to) or deny a pending authorization."""
    tx.execute("UPDATE device_codes SET status = ?, key_id = ? WHERE device_hash = ?"
               " AND status = ?", (status, key_id, device_hash, PENDING))


def record_poll(tx: Tx, device_hash: str, wall_ms: int, interval_s: int) -> None:
    """Remember when the client last polled, and the interval it must keep from now on."""
    tx.execute("UPDATE device_codes SET last_poll_ms = ?, interval_s = ? WHERE device_hash = ?",
               (wall_ms, interval_s, device_hash))


def mark_redeemed(tx: Tx, device_hash: str) -> None:
    """The tokens were issued: the device code cannot be used again."""
    tx.execute("UPDATE device_codes SET status = ? WHERE device_hash = ?",
               (REDEEMED, device_hash))
