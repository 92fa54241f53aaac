"""SQLite storage: one file (``sandbox.db``), WAL, one transaction per mutating request.

Every write goes through :meth:`Store.write`, which takes a process-wide lock and runs
``BEGIN IMMEDIATE`` ... ``COMMIT`` on the calling thread's connection: either all of
a request's changes land or none do, so a SIGKILL never leaves a half-made order.
Reads use the thread's connection outside any write transaction (WAL readers never
block the writer).

Ids come from a seeded generator whose counter lives in the database and advances in
the same transaction as the rows that use the ids: the same seed and the same calls
give the same ids, across restarts too.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orgs (
  id TEXT PRIMARY KEY, seq INTEGER NOT NULL, name TEXT NOT NULL, workspace_id TEXT NOT NULL,
  granted INTEGER NOT NULL, balance INTEGER NOT NULL, reserved INTEGER NOT NULL,
  charged INTEGER NOT NULL, created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY, org_id TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, prefix TEXT NOT NULL,
  scopes TEXT NOT NULL, created_ms INTEGER NOT NULL, expires_ms INTEGER,
  revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS refresh_tokens (
  hash TEXT PRIMARY KEY, key_id TEXT NOT NULL, expires_ms INTEGER NOT NULL,
  used INTEGER NOT NULL DEFAULT 0, family TEXT, client_id TEXT);
CREATE INDEX IF NOT EXISTS refresh_tokens_expiry ON refresh_tokens (expires_ms);
CREATE TABLE IF NOT EXISTS token_families (
  id TEXT PRIMARY KEY, key_id TEXT NOT NULL, client_id TEXT NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0, expires_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS token_families_expiry ON token_families (expires_ms);
CREATE TABLE IF NOT EXISTS device_codes (
  device_hash TEXT PRIMARY KEY, user_code TEXT NOT NULL UNIQUE, client_id TEXT NOT NULL,
  scope TEXT NOT NULL, challenge TEXT, created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL, interval_s INTEGER NOT NULL, last_poll_ms INTEGER,
  status TEXT NOT NULL, key_id TEXT);
CREATE INDEX IF NOT EXISTS device_codes_expiry ON device_codes (expires_ms);
CREATE TABLE IF NOT EXISTS ledger (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, org_id TEXT NOT NULL, order_id TEXT,
  kind TEXT NOT NULL, credits INTEGER NOT NULL, at_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS orders (
  id TEXT PRIMARY KEY, seq INTEGER NOT NULL, org_id TEXT NOT NULL, workspace_id TEXT NOT NULL,
  type TEXT NOT NULL, status TEXT NOT NULL, sub_status TEXT, display_name TEXT NOT NULL,
  data_product_id TEXT, sensor TEXT, tags TEXT NOT NULL, created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL, next_event_ms INTEGER, doc TEXT NOT NULL, state TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS orders_org_seq ON orders (org_id, seq);
CREATE INDEX IF NOT EXISTS orders_org_next ON orders (org_id, next_event_ms);
CREATE INDEX IF NOT EXISTS orders_next ON orders (next_event_ms);
CREATE TABLE IF NOT EXISTS studies (
  id TEXT PRIMARY KEY, seq INTEGER NOT NULL, org_id TEXT NOT NULL, workspace_id TEXT NOT NULL,
  order_id TEXT NOT NULL, decision TEXT NOT NULL, created_ms INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS studies_org ON studies (org_id, seq);
CREATE TABLE IF NOT EXISTS quotations (
  id TEXT PRIMARY KEY, seq INTEGER NOT NULL, org_id TEXT NOT NULL, workspace_id TEXT NOT NULL,
  order_id TEXT NOT NULL, decision TEXT NOT NULL, created_ms INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS quotations_org ON quotations (org_id, seq);
CREATE TABLE IF NOT EXISTS deliveries (
  id TEXT NOT NULL, order_id TEXT NOT NULL, org_id TEXT NOT NULL, seq INTEGER NOT NULL,
  at_ms INTEGER NOT NULL, delivered INTEGER NOT NULL DEFAULT 0, doc TEXT NOT NULL,
  PRIMARY KEY (order_id, id));
CREATE INDEX IF NOT EXISTS deliveries_id ON deliveries (id);
CREATE TABLE IF NOT EXISTS templates (
  id TEXT PRIMARY KEY, seq INTEGER NOT NULL, org_id TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS templates_org ON templates (org_id, seq);
CREATE TABLE IF NOT EXISTS idempotency (
  org_id TEXT NOT NULL, op_id TEXT NOT NULL, key TEXT NOT NULL, body_hash TEXT NOT NULL,
  status INTEGER NOT NULL, media_type TEXT NOT NULL, body BLOB NOT NULL,
  created_ms INTEGER NOT NULL, PRIMARY KEY (org_id, op_id, key));
"""


#: Columns added to tables of older databases (``CREATE TABLE IF NOT EXISTS`` keeps an
#: existing table as it was): ``(table, column, declaration)``.
ADDED_COLUMNS = (
    ("refresh_tokens", "family", "TEXT"),
    ("refresh_tokens", "client_id", "TEXT"),
)


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    """Bring an older database's tables up to :data:`SCHEMA` (new columns only)."""
    for table, column, declaration in ADDED_COLUMNS:
        present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        if column not in present:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")


def dumps(value: Any) -> str:
    """Serialise to compact JSON text (orjson)."""
    return orjson.dumps(value).decode()


def loads(text: str | bytes) -> Any:
    """Parse JSON text (orjson)."""
    return orjson.loads(text)


def seeded_uuid(seed: int, counter: int) -> str:
    """The ``counter``-th UUID v4 of generator ``seed`` (deterministic)."""
    digest = hashlib.sha256(f"geopera-sandbox:{seed}:{counter}".encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


class Tx:
    """One write transaction: a cursor plus the seeded id generator.

    Parameters
    ----------
    conn
        The thread's connection, inside ``BEGIN IMMEDIATE``.
    seed
        The generator seed.
    """

    def __init__(self, conn: sqlite3.Connection, seed: int) -> None:
        self.conn = conn
        self.seed = seed
        self._counter: int | None = None
        self._start: int | None = None
        #: callbacks run after a successful commit (cache invalidation)
        self.after_commit: list[Any] = []

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        """Run one statement in the transaction."""
        return self.conn.execute(sql, params)

    def one(self, sql: str, params: Any = ()) -> sqlite3.Row | None:
        """The first row of a query, or ``None``."""
        row: sqlite3.Row | None = self.conn.execute(sql, params).fetchone()
        return row

    def all(self, sql: str, params: Any = ()) -> list[sqlite3.Row]:
        """All rows of a query."""
        return list(self.conn.execute(sql, params).fetchall())

    def new_id(self) -> str:
        """The next id of the seeded generator (persisted at commit)."""
        if self._counter is None:
            row = self.one("SELECT value FROM meta WHERE key = 'id_counter'")
            self._counter = int(row[0]) if row else 0
            self._start = self._counter
        self._counter += 1
        return seeded_uuid(self.seed, self._counter)

    def next_seq(self) -> int:
        """A monotonic sequence number (shares the id counter)."""
        self.new_id()
        assert self._counter is not None
        return self._counter

    def flush(self) -> None:
        """Write the id counter back (called before commit)."""
        if self._counter is not None and self._counter != self._start:
            self.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('id_counter', ?)",
                         (str(self._counter),))


class Store:
    """The sandbox database.

    Parameters
    ----------
    path
        The SQLite file (created with its schema when missing).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.exists():  # owner-only: the file holds the server secret
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        conn = self.conn()
        conn.executescript(SCHEMA)
        _add_missing_columns(conn)

    def conn(self) -> sqlite3.Connection:
        """The calling thread's connection (opened on first use)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                   timeout=60.0)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=60000")
            conn.execute("PRAGMA foreign_keys=OFF")
            self._local.conn = conn
            with self._conns_lock:
                self._conns.append(conn)
        return conn

    # --- reads ------------------------------------------------------------------------

    def one(self, sql: str, params: Any = ()) -> sqlite3.Row | None:
        """The first row of a read query, or ``None``."""
        row: sqlite3.Row | None = self.conn().execute(sql, params).fetchone()
        return row

    def all(self, sql: str, params: Any = ()) -> list[sqlite3.Row]:
        """All rows of a read query."""
        return list(self.conn().execute(sql, params).fetchall())

    def meta(self, key: str) -> str | None:
        """A value of the ``meta`` table."""
        row = self.one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row[0])

    # --- writes -----------------------------------------------------------------------

    @contextmanager
    def write(self, seed: int) -> Iterator[Tx]:
        """One ``BEGIN IMMEDIATE`` transaction, committed on success, rolled back on error.

        Parameters
        ----------
        seed
            Seed of the id generator.
        """
        with self._write_lock:
            conn = self.conn()
            conn.execute("BEGIN IMMEDIATE")
            tx = Tx(conn, seed)
            try:
                yield tx
                tx.flush()
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        for callback in tx.after_commit:
            callback()

    def init_meta(self, defaults: dict[str, str]) -> dict[str, str]:
        """Insert missing ``meta`` values; answer all of ``defaults``' keys as stored."""
        with self._write_lock:
            conn = self.conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                for key, value in defaults.items():
                    conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
                                 (key, value))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return {key: self.meta(key) or "" for key in defaults}

    def close(self) -> None:
        """Close every connection opened by this store."""
        with self._conns_lock:
            for conn in self._conns:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            self._conns.clear()
        self._local = threading.local()


def new_secret() -> str:
    """A fresh random server secret (hex)."""
    return secrets.token_hex(32)
