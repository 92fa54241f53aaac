"""Idempotency keys on spending operations.

A call with ``Idempotency-Key`` first claims (org, operation, key) in memory, atomically;
a second call with the same triple while the first runs answers 409. The work and the
stored answer then commit in one transaction, so after a crash either both exist or
neither does. Within 24 h (sandbox clock) the same key with the same body replays the
stored answer byte for byte (``Idempotent-Replayed: true``); with a different body it
answers 409. Only successful answers are stored: a failed call (402, 409, 422, ...)
leaves the key free for a corrected retry. Both URL forms of an operation share one
key space (the key is stored under the operation id).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson

from geopera_nb.contract.limits import IDEMPOTENCY_KEY_MAX_LENGTH, IDEMPOTENCY_TTL_HOURS
from geopera_nb.contract.timestamps import HOUR_MS

from ..problems import Invalid, Problem
from .store import Tx

TTL_MS = IDEMPOTENCY_TTL_HOURS * HOUR_MS
MAX_KEY_LENGTH = IDEMPOTENCY_KEY_MAX_LENGTH


@dataclass(frozen=True)
class Stored:
    """A stored (or fresh) answer of a spending call."""

    status: int
    media_type: str
    body: bytes
    replayed: bool = False


def body_hash(body: Any) -> str:
    """A hash of the request body, insensitive to key order and whitespace."""
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def check_key(key: str) -> str:
    """Validate an ``Idempotency-Key`` header value (1-255 visible ASCII characters)."""
    if not key or len(key) > MAX_KEY_LENGTH or any(not 0x21 <= ord(c) <= 0x7E for c in key):
        raise Invalid.at(["header", "Idempotency-Key"],
                         f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} visible ASCII characters",
                         "value_error")
    return key


class Claims:
    """The in-memory set of (org, operation, key) triples currently being worked on."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[tuple[str, str, str]] = set()

    @contextmanager
    def claim(self, org_id: str, operation_id: str, key: str) -> Iterator[None]:
        """Hold the claim for the duration of the block, or raise 409 if taken."""
        triple = (org_id, operation_id, key)
        with self._lock:
            if triple in self._running:
                raise Problem(409, "a request with this Idempotency-Key is still in progress",
                              operation=operation_id)
            self._running.add(triple)
        try:
            yield
        finally:
            with self._lock:
                self._running.discard(triple)


def lookup(tx: Any, org_id: str, operation_id: str, key: str, digest: str,
           now_ms: int) -> Stored | None:
    """The stored answer for a key (replay), ``None`` if free, or 409 on a different body."""
    row = tx.one("SELECT body_hash, status, media_type, body, created_ms FROM idempotency"
                 " WHERE org_id = ? AND op_id = ? AND key = ?", (org_id, operation_id, key))
    if row is None or row["created_ms"] + TTL_MS <= now_ms:
        return None
    if row["body_hash"] != digest:
        raise Problem(409, "Idempotency-Key was already used with a different request body",
                      operation=operation_id)
    return Stored(row["status"], row["media_type"], bytes(row["body"]), replayed=True)


def remember(tx: Tx, org_id: str, operation_id: str, key: str, digest: str,
             answer: Stored, now_ms: int) -> None:
    """Store a successful answer under the key (same transaction as the work)."""
    tx.execute("INSERT OR REPLACE INTO idempotency (org_id, op_id, key, body_hash, status,"
               " media_type, body, created_ms) VALUES (?,?,?,?,?,?,?,?)",
               (org_id, operation_id, key, digest, answer.status, answer.media_type,
                answer.body, now_ms))


def run_once(claims: Claims, tx_factory: Callable[[], Any], org_id: str, operation_id: str,
             key: str, body: Any, now_ms: Callable[[], int], work: Callable[[Tx], Stored],
             prepare: Callable[[], None] | None = None,
             peek: Callable[[str], Stored | None] | None = None) -> Stored:
    """Run ``work`` at most once per (org, operation, key), replaying its answer after.

    Parameters
    ----------
    claims
        The in-flight set.
    tx_factory
        Opens the write transaction (``store.write(seed)``).
    org_id, operation_id, key, body
        What identifies and fingerprints the call.
    now_ms
        The sandbox clock.
    work
        Does the call inside the transaction and answers its (status, body).
    prepare
        Slow domain work done after the claim but before the transaction.
    peek
        A read-only lookup of a stored answer (replays skip ``prepare``).
    """
    digest = body_hash(body)
    if peek is not None:
        stored = peek(digest)
        if stored is not None:
            return stored
    with claims.claim(org_id, operation_id, key):
        if prepare is not None:
            prepare()
        with tx_factory() as tx:
            stored = lookup(tx, org_id, operation_id, key, digest, now_ms())
            if stored is not None:
                return stored
            answer = work(tx)
            if 200 <= answer.status < 300:
                remember(tx, org_id, operation_id, key, digest, answer, now_ms())
            return answer
