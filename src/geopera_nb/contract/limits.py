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
#: Page size the client asks for when it walks every page (``iter_records``).
CLIENT_PAGE_SIZE = 100
#: ``catalog.search`` ``limit``: default and maximum.
CATALOG_LIMIT_DEFAULT = 100
CATALOG_LIMIT_MAX = 500
#: Longest ``catalog.search`` ``next`` token.
CATALOG_TOKEN_MAX_LENGTH = 200
#: Most ``ids`` and most ``collections`` one ``catalog.search`` may name (each no longer
#: than ``ID_MAX_LENGTH``); more answer 422 at the list.
CATALOG_IDS_MAX = 1_000
CATALOG_COLLECTIONS_MAX = 100

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
#: Largest coordinate magnitude read as a number at all; beyond it the position is
#: refused as "a huge number" before the longitude/latitude range check (a float that
#: parses but is no coordinate, e.g. ``1e308``).
COORDINATE_MAGNITUDE_MAX = 1e6
#: Smallest AOI area accepted (1 m2): slivers are rejected as non-areal.
AREA_MIN_KM2 = 1e-6
#: Most problems reported per feature (a hostile body must not produce megabytes of errors).
GEOMETRY_PROBLEMS_MAX = 20
#: Most problems one 422 answer lists.
VALIDATION_PROBLEMS_MAX = 20

# --- time windows --------------------------------------------------------------------------

#: Longest text read as an instant (ISO 8601 with an offset and nanoseconds fits).
INSTANT_TEXT_MAX_LENGTH = 40
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
#: Most credits one sandbox admin grant may give (and an org may start with).
CREDITS_GRANT_MAX = 10**12
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

# --- delivered imagery (downloads and pixel loads) -----------------------------------------

#: Largest file ``download_assets`` writes for an asset that declares no ``file:size``
#: (one that declares it is held to exactly that size). Past it the download stops, the
#: partial file is deleted and the file is reported failed; pass ``max_bytes=`` for more.
ASSET_DOWNLOAD_MAX_BYTES = 16 * 1024**3
#: Where ``download_assets`` writes and ``gn.load`` looks for a local catalogue when no
#: directory is given (relative to the working directory).
IMAGERY_DIR_DEFAULT = "geopera-imagery"
#: Most pixels (width x height) of the grid one ``gn.load`` may ask for, lazy or not.
LOAD_GRID_PIXELS_MAX = 1 << 34
#: Most bytes an eager ``gn.load`` (no ``chunks``) may hold in memory; past it, pass
#: ``chunks=`` for a lazy dask load.
LOAD_EAGER_MAX_BYTES = 4 * 1024**3
#: Pixel sizes that cannot be meant: under 1 cm in a projected CRS (degrees given for
#: metres), over 1 degree in a geographic CRS (metres given for degrees).
LOAD_RESOLUTION_MIN_M = 0.01
LOAD_RESOLUTION_MAX_DEG = 1.0
#: GDAL's HTTP settings when pixels are read over HTTP (signed hrefs): seconds per
#: request and retries of a failed request.
LOAD_HTTP_TIMEOUT_S = 60
LOAD_HTTP_RETRIES = 3
#: Most orders one ``gn.load`` reads (one ``orders.list_assets`` call each).
LOAD_ORDERS_MAX = 1000
#: Most threads one ``download_assets`` (``concurrency``) or ``gn.load`` (``pool``) starts,
#: and most extra attempts ``download_assets`` makes per file (``retries``).
DOWNLOAD_THREADS_MAX = 64
DOWNLOAD_RETRIES_MAX = 10


# --- placements, connections and sign-in (sandbox server) -----------------------------------

#: Most tasking groups of one ``orders.tasking.estimate`` / ``orders.tasking.place``, and
#: features of one ``orders.estimate`` / ``orders.place`` (each becomes one order).
PLACEMENT_GROUPS_MAX = 100
#: Most capture lines of one ``orders.archive.estimate`` / ``orders.archive.place``.
CAPTURE_LINES_MAX = 500
#: A request's headers must be complete this many seconds after its connection opened
#: (or after the first byte of a kept-alive connection's next request); else it closes.
REQUEST_HEADERS_TIMEOUT_S = 10.0
#: A request body must be complete this many seconds after its headers (408 past it);
#: a body the server answered without reading is drained this long, then cut.
REQUEST_BODY_TIMEOUT_S = 30.0
#: Longest user code the device verification page and ``sandbox approve`` read.
DEVICE_USER_CODE_MAX_LENGTH = 32
#: A device-flow poll may come this much sooner than ``interval`` before it is
#: ``slow_down`` (clients sleep ``interval`` between polls; timers are not exact).
DEVICE_POLL_SLACK_S = 1.0
#: RFC 8628 section 3.5: each ``slow_down`` answer adds this much to the interval.
DEVICE_SLOW_DOWN_STEP_S = 5
#: Most device authorizations waiting for approval at once (past it: 503).
DEVICE_CODES_PENDING_MAX = 1000
#: Longest ``scope`` a device authorization request may ask for.
OAUTH_SCOPE_MAX_LENGTH = 1000
#: RFC 7636 ``code_verifier`` length range.
PKCE_VERIFIER_MIN_LENGTH = 43
PKCE_VERIFIER_MAX_LENGTH = 128

# --- sandbox deliveries (the imagery the sandbox renders and serves) ------------------------

#: Longest side, in pixels, of a delivered capture's data file: the pixel size is the
#: sensor's resolution times the smallest power of two that keeps the footprint's UTM
#: extent within this many pixels (``geopera:pixel_scale`` in the STAC Item).
IMAGERY_MAX_PIXELS = 512
#: Longest side, in pixels, of a delivered capture's thumbnail.
THUMBNAIL_MAX_PIXELS = 256
#: Longest lifetime a sandbox may give its signed asset hrefs (``signed_url_ttl_s``).
SIGNED_URL_TTL_MAX_S = 7 * 24 * 3600
#: Signed hrefs expire on a multiple of this many seconds (at most a tenth of the
#: lifetime), so two listings made close together give the same hrefs.
SIGNED_URL_STEP_S = 300
#: Rendered-asset index entries one sandbox process keeps in memory (the index on disk
#: is unbounded; past this the memory copy starts again empty).
ASSET_INDEX_MEMORY_MAX = 10_000

# --- the client's own bounds ---------------------------------------------------------------

#: The operations that count against the ``placement`` rate-limit bucket (every other
#: spending operation counts against ``spend``).
PLACEMENT_OPERATIONS: frozenset[str] = frozenset(
    {"orders.place", "orders.archive.place", "orders.tasking.place"})
#: Total seconds one client call may take: rate-limiter waits, every attempt and every
#: backoff sleep included (``Client(deadline=)``, ``call(..., deadline=)``).
CALL_DEADLINE_S = 120.0
#: Total seconds an NDJSON stream may keep the client waiting on the server (opening it,
#: its retries, every chunk); the consumer's own time between records is not counted.
STREAM_DEADLINE_S = 1800.0
#: Largest decoded body of one JSON answer the client reads (it stops reading past it).
RESPONSE_MAX_BYTES = 128 * 1024 * 1024
#: Largest error answer body the client reads; the rest is dropped and the message says so.
ERROR_BODY_MAX_BYTES = 1024 * 1024
#: Longest NDJSON line (one record) the client buffers.
NDJSON_LINE_MAX_BYTES = 16 * 1024 * 1024
#: Most bytes one decompression step of the client yields (gzip answers are inflated in
#: steps, so a small compressed chunk never becomes a huge one at once).
DECODE_STEP_BYTES = 1024 * 1024
#: The client's rate limiter keeps each bucket under this fraction of its limit in any
#: ``RATE_WINDOW_S`` (the rest is room for the org's other clients and cells) ...
RATE_PACE_FRACTION = 0.9
#: ... and lets this fraction of that budget go at once; beyond it calls are spaced evenly.
RATE_BURST_FRACTION = 0.5
#: Seconds the client waits for one sandbox admin call (``GET /sandbox/clock``,
#: ``POST /sandbox/clock/advance``), and for the ``/sandbox/ping`` probe of ``wait_for``.
SANDBOX_ADMIN_TIMEOUT_S = 30.0
SANDBOX_PROBE_TIMEOUT_S = 2.0
