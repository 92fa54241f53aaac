"""The environment variables geopera-nb reads, named once.

The first five are the official ``geopera`` CLI's (so a shell set up for it works here
too); the others are geopera-nb's own.

Examples
--------
>>> API_URL, SANDBOX_ADMIN_TOKEN
('GEOPERA_API_URL', 'GEOPERA_SANDBOX_ADMIN_TOKEN')
"""

from __future__ import annotations

__all__ = ["ACCOUNT_VARIABLES", "API_KEY", "API_TOKEN", "API_URL", "BASE_URL", "NB_ONLINE",
           "NB_OUT", "PROFILE", "SANDBOX_ADMIN_TOKEN"]

#: The API's base URL (the official CLI's name, and its older alias).
API_URL = "GEOPERA_API_URL"
BASE_URL = "GEOPERA_BASE_URL"
#: A credential: a ``gpra_`` API key or a bearer token (and the key-only alias).
API_TOKEN = "GEOPERA_API_TOKEN"
API_KEY = "GEOPERA_API_KEY"
#: The stored CLI profile to use.
PROFILE = "GEOPERA_PROFILE"
#: The admin token of a sandbox run elsewhere: lets a client move that sandbox's clock.
SANDBOX_ADMIN_TOKEN = "GEOPERA_SANDBOX_ADMIN_TOKEN"
#: Where notebooks run by the main job write their files.
NB_OUT = "GEOPERA_NB_OUT"
#: ``1``/``0``: force the widgets' online (tile) or offline (shipped outline) basemap.
NB_ONLINE = "GEOPERA_NB_ONLINE"

#: Everything that selects an account or a sandbox (cleared when a sandbox is chosen).
ACCOUNT_VARIABLES = (API_URL, API_TOKEN, API_KEY, BASE_URL, PROFILE, SANDBOX_ADMIN_TOKEN)
