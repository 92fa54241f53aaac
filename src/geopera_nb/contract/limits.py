"""Every size, count, length and duration the API bounds, and the defaults, in one place.

The sandbox enforces these (422 or 413 with a message that names the bound), the client
checks the ones it can before sending, the widgets and frames size their requests by
them and ``docs/api-shapes.md`` documents them. A bound typed anywhere else is a bug:
``tests/contract/test_one_home.py`` looks for copies.

Examples
--------
>>> PAGE_SIZE_MAX, DEFAULT_WINDOW_DAYS, TASKING_WINDOW_MAX_DAYS
(500, 14, 366)
>>> RATE_LIMITS["placement"]
60
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# --- paging -----------------------------------------------------------------------------

#: ``size`` of a paged operation when none is given, and its range.
PAGE_SIZE_DEFAULT = 20
PAGE_SIZE_MAX = 500
#: Highest ``page`` number accepted (0-based).
PAGE_MAX = 1_000_000
#: ``catalog.search`` ``limit``: default and maximum.
CATALOG_LIMIT_DEFAULT = 100
CATALOG_LIMIT_MAX = 500
#: Longest ``catalog.search`` ``next`` token.
CATALOG_TOKEN_MAX_LENGTH = 200

# --- filters, ids, tags, names -----------------------------------------------------------

#: Longest id a body may name (``order_id``, ``workspaceId``, ...).
ID_MAX_LENGTH = 200
#: Most comma-separated values one string filter may hold (``orders.list`` ``tags``,
#: ``displayName``, ``orderIds``, ...). More answer 422, never a query the database
#: cannot plan.
FILTER_VALUES_MAX = 100
#: Longest string filter (all its values and commas).
FILTER_MAX_LENGTH = 20_000
#: Tags of one order (``orders.update``, and every placement) and the length of one tag.
TAGS_MAX = 100
TAG_MAX_LENGTH = 200
#: Longest ``displayName`` of an order, and of an organisation's name.
NAME_MAX_LENGTH = 200

# --- geometry ------------------------------------------------------------------------------

#: Most positions one AOI feature may have (all rings of all its polygons).
VERTICES_MAX = 10_000
#: Smallest AOI area accepted (1 m2): slivers are rejected as non-areal.
AREA_MIN_KM2 = 1e-6
#: Most problems reported per feature (a hostile body must not produce megabytes of errors).
GEOMETRY_PROBLEMS_MAX = 20
#: Most problems one 422 answer lists.
VALIDATION_PROBLEMS_MAX = 20

# --- time windows --------------------------------------------------------------------------

#: A window that gives no ``end`` lasts this long (estimate, feasibility, passes, placement).
DEFAULT_WINDOW_DAYS = 14
#: Longest acquisition window of a tasking order.
TASKING_WINDOW_MAX_DAYS = 366
#: Longest window passes are predicted for (``opportunities_list``; the feasibility check
#: counts the passes of the first this-many days of a longer window).
PASS_PREDICTION_MAX_DAYS = 31
#: No instant may lie more than this many days (about 10 years) after the clock.
HORIZON_DAYS = 3653
#: A quotation can be decided this long after it was made; then it expires.
QUOTATION_VALID_HOURS = 72
#: An idempotency key replays its stored answer for this long.
IDEMPOTENCY_TTL_HOURS = 24
#: Longest ``Idempotency-Key``.
IDEMPOTENCY_KEY_MAX_LENGTH = 255
#: Longest single ``clock/advance`` of the sandbox (10 years).
CLOCK_ADVANCE_MAX_HOURS = 24 * 3660
#: Longest lifetime of an API key made by the sandbox admin API (10 years).
KEY_LIFETIME_MAX_HOURS = 24 * 3660

# --- credentials ---------------------------------------------------------------------------

#: Access and refresh token lifetimes, in wall-clock seconds.
ACCESS_TOKEN_TTL_S = 300
REFRESH_TOKEN_TTL_S = 1800
#: Device authorization grant (RFC 8628): code lifetime and the polling interval.
DEVICE_CODE_TTL_S = 600
DEVICE_POLL_INTERVAL_S = 5
#: Longest credential the server looks at (keys, JWTs).
CREDENTIAL_MAX_LENGTH = 4096
#: Signed asset hrefs live this long (wall clock) unless configured otherwise.
SIGNED_URL_TTL_S = 3600

# --- rate limits ---------------------------------------------------------------------------

#: Per-org calls per fixed window: every call counts against ``general``; the three
#: placements also against ``placement``; other spending operations also against
#: ``spend``. ``oidc`` counts token-endpoint calls per client address.
RATE_LIMITS: Mapping[str, int] = MappingProxyType(
    {"general": 600, "placement": 60, "spend": 30, "oidc": 60})
RATE_WINDOW_S = 60.0

# --- bodies and answers --------------------------------------------------------------------

#: Largest request body the sandbox reads (several 10,000-vertex AOIs fit; 10 MB do not).
REQUEST_BODY_MAX_BYTES = 5 * 1024 * 1024
#: Largest form body of the OIDC endpoints and of an admin request.
FORM_BODY_MAX_BYTES = 64 * 1024
#: Longest ``detail`` the sandbox writes, and the longest message text the client keeps
#: of an error answer.
ERROR_TEXT_MAX_CHARS = 2_000
