"""``gn.connect()``: your account if you have one, else an embedded sandbox.

It wires the client to a sandbox, so it lives above both (:mod:`geopera_nb.client` never
imports the sandbox, the sandbox server never imports the client).

Examples
--------
>>> import geopera_nb as gn
>>> client = gn.connect()            # doctest: +SKIP
>>> client.credentials_source        # doctest: +SKIP
'profile:default'
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from .client import Client
from .client.credentials import find_credentials
from .client.sandbox_clock import ENV_SANDBOX_ADMIN_TOKEN

__all__ = ["connect"]


def connect(
    *,
    profile: str | None = None,
    sandbox: bool | None = None,
    seed: int = 0,
    credits: int = 1_000_000,
    org_name: str = "Demo",
    **client_kwargs: Any,
) -> Client:
    """A ready :class:`~geopera_nb.client.Client`.

    With credentials in the environment (``GEOPERA_API_TOKEN``/``GEOPERA_API_KEY``) or a
    stored CLI profile, the client talks to that real account. Otherwise (or with
    ``sandbox=True``) an embedded sandbox starts on loopback
    (``geopera_nb.sandbox.start(seed=seed)``), a demo organisation with ``credits`` is
    created, and the client is logged in as it; closing the client stops the sandbox.
    ``client.sandbox`` is then the sandbox's handle (also when
    ``GEOPERA_SANDBOX_ADMIN_TOKEN`` names the admin token of a sandbox run elsewhere:
    ``gn.Client()`` alone then gets a clock handle, ``connect`` the facade's fuller one
    with ``ledger``/``create_org``), else ``None``.

    Parameters
    ----------
    profile
        The CLI profile to use.
    sandbox
        ``True``: always the sandbox; ``False``: never (raise without credentials);
        ``None``: the sandbox only when no credentials are found.
    seed, credits, org_name
        For the sandbox: its seed and the demo organisation.
    **client_kwargs
        Passed to :class:`~geopera_nb.client.Client` (``retry=``, ``timeout=``...).

    Raises
    ------
    geopera_nb.errors.CredentialsError
        ``sandbox=False`` and no credentials were found.
    """
    if sandbox is not True:
        creds = find_credentials(profile=profile)
        if creds is not None or sandbox is False:
            account = Client(profile=profile, **client_kwargs)
            admin_token = os.environ.get(ENV_SANDBOX_ADMIN_TOKEN, "").strip()
            if admin_token and "sandbox" not in client_kwargs:
                # a sandbox run elsewhere: Client() already moves its clock; the facade's
                # handle (same clock calls) adds the admin rest (ledger, create_org)
                handle = _sandboxes().attach(account.base_url, admin_token)
                account.sandbox = handle
                account._on_close.append(handle.stop)
            return account
    handle = _sandboxes().start(seed=seed)
    try:
        org = handle.create_org(name=org_name, credits=credits)
        client: Client = handle.client(org, **client_kwargs)
    except BaseException:
        handle.stop()
        raise
    client._on_close.append(handle.stop)
    return client


def _sandboxes() -> Any:
    """:mod:`geopera_nb.sandbox`, imported when first needed: it starts a server (FastAPI,
    sgp4, ...), which a client of a real account never needs."""
    return importlib.import_module("geopera_nb.sandbox")
