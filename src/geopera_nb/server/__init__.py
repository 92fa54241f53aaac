"""The Geopera API sandbox server: FastAPI + uvicorn + SQLite, deterministic, offline.

It shares the contract (operations table, models, states, limits) and the geometry rules
with the client and nothing else: it never imports the client, the frames or the widgets
(``lint-imports`` checks it). Its layers only point down:

``runner`` (uvicorn) -> ``http`` (ASGI app, routes, admin, OIDC, OpenAPI, request bodies)
-> ``service`` (one module per operation family, and ``lifecycle``, the one owner of
every order transition) -> ``state`` (SQLite store, ledger, idempotency, rate limits,
credentials) -> ``domain`` (pure functions: catalogue, pricing, orbits, coverage, STAC).
``problems`` (the answers' error types) and ``config`` sit below them all.

Run one with :func:`geopera_nb.sandbox.start` (a thread), :func:`geopera_nb.sandbox.spawn`
(a process) or ``geopera-nb sandbox serve``.
"""

from __future__ import annotations

from .config import SandboxConfig

__all__ = ["SandboxConfig"]
