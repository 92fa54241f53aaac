"""The state of one sandbox server: store, clock, credentials, limits and the catalogue.

The service layer reads and changes it; nothing here knows HTTP or an operation.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from geopera_nb.contract.timestamps import format_instant, from_ms, parse_ms

from ..config import SandboxConfig, resolve_admin_token
from ..domain.catalogue import Catalogue, build_catalogue
from .auth import Auth
from .idempotency import Claims
from .ratelimit import RateLimiter
from .store import Store, Tx, new_secret

_CATALOGUES: dict[tuple[int, int], Catalogue] = {}
_CATALOGUES_LOCK = threading.Lock()


def shared_catalogue(seed: int, start_ms: int) -> Catalogue:
    """The catalogue of (seed, clock start), built once per process (it is read-only)."""
    with _CATALOGUES_LOCK:
        cat = _CATALOGUES.get((seed, start_ms))
        if cat is None:
            cat = build_catalogue(seed=seed, now=from_ms(start_ms))
            _CATALOGUES[(seed, start_ms)] = cat
        return cat


class Backend:
    """All server state of one sandbox.

    Parameters
    ----------
    config
        The server settings; ``config.data_dir`` must exist.
    """

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        Path(config.data_dir).mkdir(parents=True, exist_ok=True)
        self.store = Store(config.db_path)
        start_ms = parse_ms(config.clock_start)
        meta = self.store.init_meta({
            "seed": str(config.seed),
            "clock_start_ms": str(start_ms),
            "clock_ms": str(start_ms),
            "secret": new_secret(),
        })
        self.seed = int(meta["seed"])
        self.clock_start_ms = int(meta["clock_start_ms"])
        self._now_ms = int(meta["clock_ms"])
        self.auth = Auth(self.store, meta["secret"])
        self._admin_token = resolve_admin_token(Path(config.data_dir), config.admin_token)
        self.limiter = RateLimiter(config.rate_limits)
        self.claims = Claims()
        self._catalogue: Catalogue | None = None
        self._catalogue_lock = threading.Lock()
        # build the catalogue (a few seconds) while the server starts answering
        threading.Thread(target=lambda: self.catalogue, name="sandbox-catalogue",
                         daemon=True).start()

    def __repr__(self) -> str:
        return f"Backend(data_dir={str(self.config.data_dir)!r}, seed={self.seed})"

    # --- plumbing ---------------------------------------------------------------------

    @property
    def admin_token(self) -> str:
        """The admin API's bearer token (keep it out of logs)."""
        return self._admin_token

    def is_admin(self, token: str | None) -> bool:
        """Whether ``token`` is the admin token (constant-time comparison)."""
        return bool(token) and hmac.compare_digest(
            str(token).encode("utf-8", "surrogatepass"), self._admin_token.encode())

    @property
    def now_ms(self) -> int:
        """The sandbox clock (epoch milliseconds)."""
        return self._now_ms

    @property
    def now_iso(self) -> str:
        """The sandbox clock as ISO 8601."""
        return format_instant(self._now_ms)

    @contextmanager
    def write(self) -> Iterator[Tx]:
        """One write transaction (``BEGIN IMMEDIATE``) with the seeded id generator."""
        with self.store.write(self.seed) as tx:
            yield tx

    def set_clock(self, tx: Tx, new_ms: int) -> None:
        """Move the stored clock to ``new_ms`` in ``tx``; the in-memory clock follows at commit."""
        tx.execute("UPDATE meta SET value = ? WHERE key = 'clock_ms'", (str(new_ms),))
        tx.after_commit.append(lambda: setattr(self, "_now_ms", new_ms))

    @property
    def catalogue(self) -> Catalogue:
        """The seeded catalogue (sensors, products, archive captures), built once."""
        if self._catalogue is None:
            with self._catalogue_lock:
                if self._catalogue is None:
                    self._catalogue = shared_catalogue(self.seed, self.clock_start_ms)
        return self._catalogue

    def close(self) -> None:
        """Close the database connections."""
        self.store.close()
