"""The Geopera client: every operation by its reference name, sync and async.

Examples
--------
>>> import httpx
>>> from geopera_nb.client import Client
>>> transport = httpx.MockTransport(
...     lambda request: httpx.Response(200, json={"content": [], "totalPages": 0, "number": 0}))
>>> client = Client(api_key="gpra_0123456789abcdef", base_url="http://sandbox",
...                 transport=transport)
>>> client.orders.tasking.feasibility_studies.list(orderId="o-1")["content"]
[]
>>> "feasibility_studies" in dir(client.orders.tasking)
True
"""

from __future__ import annotations

from .aio import AsyncClient
from .credentials import Credentials, resolve_credentials
from .ratelimit import RateLimiter
from .reading import SizeCaps
from .retry import RetryPolicy
from .sandbox_clock import SandboxClock
from .secret import Secret
from .sync import Client

__all__ = [
    "AsyncClient",
    "Client",
    "Credentials",
    "RateLimiter",
    "RetryPolicy",
    "SandboxClock",
    "Secret",
    "SizeCaps",
    "resolve_credentials",
]
