"""The sandbox's domain layer: pure, deterministic functions over plain data.

No HTTP, no SQLite, no wall clock, no global random state: everything follows from the
``seed`` and the ``now`` the caller passes. The server (``geopera_nb.sandbox``) parses
requests, stores state and calls these functions; it turns :class:`DomainError` into
answers (422 ``detail`` with ``"body"`` prepended to ``loc``; other statuses as problems).

Modules: :mod:`.catalogue` (sensors, products, archive captures), :mod:`.search`
(``catalog.search``), :mod:`.tasking` and :mod:`.pricing` (estimates),
:mod:`.feasibility` (checks, study options), :mod:`.orbits` (predicted passes),
:mod:`.deliveries` (capture plans), :mod:`.coverage`, :mod:`.stac` (items and assets).
"""

from __future__ import annotations

from .catalogue import Captures, Catalogue, build_catalogue
from .coverage import coverage, coverage_groups
from .deliveries import Delivery, plan_deliveries
from .errors import DomainError
from .feasibility import check_feasibility, parse_check_params, study_options
from .orbits import opportunities
from .pricing import (
    price_archive,
    price_archive_line,
    price_provider_estimate,
    price_provider_feature,
    price_tasking,
    price_tasking_group,
    price_tasking_request,
    validate_params,
)
from .search import HOST_NAME, search_captures
from .stac import asset_checksum, render_asset, render_item_asset, stac_item
from .tasking import PRIORITY_FACTORS, TaskingRequest, normalise_tasking_group, parse_window
from .util import SANDBOX_EPOCH, iso, parse_datetime, stable_uuid

__all__ = [
    "HOST_NAME",
    "PRIORITY_FACTORS",
    "SANDBOX_EPOCH",
    "Captures",
    "Catalogue",
    "Delivery",
    "DomainError",
    "TaskingRequest",
    "asset_checksum",
    "build_catalogue",
    "check_feasibility",
    "coverage",
    "coverage_groups",
    "iso",
    "normalise_tasking_group",
    "opportunities",
    "parse_check_params",
    "parse_datetime",
    "parse_window",
    "plan_deliveries",
    "price_archive",
    "price_archive_line",
    "price_provider_estimate",
    "price_provider_feature",
    "price_tasking",
    "price_tasking_group",
    "price_tasking_request",
    "render_asset",
    "render_item_asset",
    "search_captures",
    "stable_uuid",
    "stac_item",
    "study_options",
    "validate_params",
]
