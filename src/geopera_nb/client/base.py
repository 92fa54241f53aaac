"""What :class:`~geopera_nb.client.Client` and :class:`~geopera_nb.client.AsyncClient`
share: credential resolution, operation lookup, idempotency keys, the rate limiter, the
sandbox clock, the safe repr."""

from __future__ import annotations

import difflib
import hashlib
import os
import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from ..contract import OPERATIONS_BY_ID, Operation
from ..contract.limits import IDEMPOTENCY_KEY_MAX_LENGTH, RATE_LIMITS
from ..errors import RequestValidationError
from .auth import Auth, auth_for
from .bodies import prepare_body
from .credentials import Credentials, resolve_credentials
from .namespaces import Namespace
from .ratelimit import RateLimiter, shared_limiter
from .sandbox_clock import ENV_SANDBOX_ADMIN_TOKEN, SandboxClock
from .secret import Secret
from .transport import new_idempotency_key

__all__ = ["ClientBase", "RateLimitLike"]

#: What ``rate_limit=`` takes: ``True`` (the documented limits), ``False`` (no pacing),
#: the per-minute limits of the server (``{"general": 600, ...}``) or a shared
#: :class:`~geopera_nb.client.RateLimiter`.
RateLimitLike = bool | Mapping[str, int] | RateLimiter | None


class ClientBase:
    """Credential handling and helpers common to both clients (not used directly)."""

    _namespace_classes: ClassVar[dict[str, type[Namespace]]] = {}

    def __init__(
        self,
        api_key: str | Secret | None = None,
        *,
        base_url: str | None = None,
        token: str | Secret | None = None,
        oidc: bool = False,
        profile: str | None = None,
        clock: Callable[[], float] | None = None,
        rate_limit: RateLimitLike = True,
        sandbox: Any = None,
    ) -> None:
        self._credentials: Credentials = resolve_credentials(
            api_key, token=token, base_url=base_url, profile=profile)
        self._auth: Auth = auth_for(self._credentials, oidc=oidc)
        self._clock = clock or time.monotonic
        self._rate_limiter = self._make_limiter(rate_limit, shared=clock is None)
        self._own_sandbox: SandboxClock | None = None
        if sandbox is None:
            admin_token = os.environ.get(ENV_SANDBOX_ADMIN_TOKEN, "").strip()
            if admin_token:  # a sandbox's admin token beside its URL: its clock is ours
                sandbox = self._own_sandbox = SandboxClock(self.base_url, admin_token)
        #: The Geopera sandbox behind this client (a handle with ``now()`` and
        #: ``advance(hours=...)``), or ``None`` for a real account. When set, ``wait_for``
        #: moves the sandbox clock instead of sleeping, so workflows that take days on a
        #: real account run in seconds. ``Client()`` sets it from
        #: ``GEOPERA_SANDBOX_ADMIN_TOKEN``; the sandbox handles' ``.client(org)`` set it.
        self.sandbox: Any = sandbox
        #: Whether ``wait_for`` already checked that a client without ``sandbox`` is not
        #: talking to a sandbox it cannot move (it warns once if it is).
        self._sandbox_probed = False

    def _identity(self) -> str:
        """Who the calls count against, without the secret (a hash, or the profile)."""
        creds = self._credentials
        if creds.kind == "oauth" and creds.store is not None:
            return f"profile:{creds.store.path}:{creds.store.profile}"
        return hashlib.sha256(creds.secret.get_secret_value().encode()).hexdigest()

    def _make_limiter(self, rate_limit: RateLimitLike, *, shared: bool) -> RateLimiter | None:
        if rate_limit is False:
            return None
        if isinstance(rate_limit, RateLimiter):
            return rate_limit
        if rate_limit is None or rate_limit is True:
            limits: dict[str, int] = {}
        elif isinstance(rate_limit, Mapping):
            limits = dict(rate_limit)
        else:
            raise RequestValidationError(
                "rate_limit must be True, False, the server's per-minute limits "
                f"({{'general': 600, ...}}) or a RateLimiter, not {type(rate_limit).__name__}",
                fields=["rate_limit"])
        clock = self._clock

        def make() -> RateLimiter:
            return RateLimiter(limits, clock=clock)

        if not shared:  # an injected clock (tests): a limiter of this client alone
            return make()
        merged = sorted({**RATE_LIMITS, **limits}.items())  # {} and the defaults: one key
        key = ("rate-limit", self.base_url, self._identity(), tuple(merged))
        return shared_limiter(key, make)

    @property
    def rate_limiter(self) -> RateLimiter | None:
        """The limiter pacing this client's calls (``None``: ``rate_limit=False``).

        Pass it as ``rate_limit=`` to another client (an ``AsyncClient`` of the same
        account) to pace both together; clients of one account in one process share it
        by default.
        """
        return self._rate_limiter

    def _close_sandbox(self) -> None:
        if self._own_sandbox is not None:
            self._own_sandbox.close()

    @property
    def base_url(self) -> str:
        """The API base URL, e.g. ``https://api.geopera.com``."""
        return self._credentials.base_url

    @property
    def credentials_source(self) -> str:
        """Where the credentials came from (``arguments``, ``env:...``, ``profile:...``)."""
        return self._credentials.source

    @classmethod
    def namespace_class(cls, name: str) -> type[Namespace]:
        """The generated namespace class of a top-level group (``"orders"``...)."""
        return cls._namespace_classes[name]

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._namespace_classes))

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(base_url={self.base_url!r}, "
                f"auth={self._auth.describe()}, source={self._credentials.source!r})")

    __str__ = __repr__

    @staticmethod
    def _operation(op_id: str) -> Operation:
        op = OPERATIONS_BY_ID.get(op_id)
        if op is None:
            hint = difflib.get_close_matches(str(op_id), list(OPERATIONS_BY_ID), n=1)
            suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise RequestValidationError(f"unknown operation {op_id!r}{suggestion}",
                                         fields=["op_id"])
        return op

    @staticmethod
    def _key_for(op: Operation, idempotency_key: str | None) -> str | None:
        if op.spends:
            if idempotency_key is not None and (
                    not isinstance(idempotency_key, str)
                    or not 1 <= len(idempotency_key) <= IDEMPOTENCY_KEY_MAX_LENGTH
                    or any(not 0x21 <= ord(c) <= 0x7E for c in idempotency_key)):
                # the header's rule (Geopera's and the sandbox's): 1 to the maximum, visible ASCII
                raise RequestValidationError(
                    f"idempotency_key must be 1-{IDEMPOTENCY_KEY_MAX_LENGTH} visible ASCII "
                    "characters (a UUID is best)",
                    fields=["idempotency_key"], operation=op.id)
            return idempotency_key or new_idempotency_key()
        if idempotency_key is not None:
            raise RequestValidationError(
                f"{op.id} is a {op.side_effect} operation: idempotency_key applies only to "
                "spending operations", fields=["idempotency_key"], operation=op.id)
        return None

    def _prepare(self, op_id: str, body: Mapping[str, Any] | None) -> tuple[Operation,
                                                                             dict[str, Any]]:
        op = self._operation(op_id)
        return op, prepare_body(op, body)

    def _streaming(self, op_id: str, body: Mapping[str, Any] | None) -> tuple[
            Operation, dict[str, Any]]:
        op, payload = self._prepare(op_id, body)
        if op.records is None:
            streaming = sorted(o.id for o in OPERATIONS_BY_ID.values() if o.records)
            raise RequestValidationError(
                f"{op.id} has no NDJSON form; streaming operations: {', '.join(streaming)}",
                fields=["op_id"], operation=op.id)
        return op, payload
