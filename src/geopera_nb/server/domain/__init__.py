"""The sandbox's domain layer: pure, deterministic functions over plain data.

No HTTP, no SQLite, no wall clock, no global random state: everything follows from the
``seed`` and the ``now`` the caller passes. The server (``geopera_nb.server``) parses
requests, stores state and calls these functions; it turns :class:`DomainError` into
answers (422 ``detail`` with ``"body"`` prepended to ``loc``; other statuses as problems).

Modules: :mod:`.catalogue` (sensors, products, archive captures), :mod:`.search`
(``catalog.search``), :mod:`.tasking_request` and :mod:`.pricing` (estimates),
:mod:`.feasibility` (checks, study options), :mod:`.orbits` (predicted passes),
:mod:`.deliveries` (capture plans), :mod:`.coverage`, :mod:`.stac` (STAC items),
:mod:`.imagery` (a capture's COG, thumbnail and metadata; pixels from :mod:`.landscape`
on the UTM grid of :mod:`.grid`),
:mod:`.money` (credits), :mod:`.seeding` (ids and random generators from the seed).
"""

from __future__ import annotations

import importlib
from typing import Any

#: name -> module of this package that defines it, imported on first use (the server
#: imports the modules it needs; importing ``domain.seeding`` must not build orbits).
_WHERE = {
    "Captures": "catalogue",
    "Catalogue": "catalogue",
    "Delivery": "deliveries",
    "DomainError": "rejections",
    "HOST_NAME": "search",
    "PRIORITY_FACTORS": "tasking_request",
    "SANDBOX_EPOCH": "seeding",
    "TaskingRequest": "tasking_request",
    "AssetFile": "stac",
    "asset_checksum": "stac",
    "capture_grid": "grid",
    "build_catalogue": "catalogue",
    "check_feasibility": "feasibility",
    "coverage": "coverage",
    "coverage_groups": "coverage",
    "normalise_tasking_group": "tasking_request",
    "opportunities": "orbits",
    "parse_check_params": "feasibility",
    "parse_window": "tasking_request",
    "plan_deliveries": "deliveries",
    "price_archive": "pricing",
    "price_archive_line": "pricing",
    "price_provider_estimate": "pricing",
    "price_provider_feature": "pricing",
    "price_tasking": "pricing",
    "price_tasking_group": "pricing",
    "price_tasking_request": "pricing",
    "render_capture": "imagery",
    "search_captures": "search",
    "stable_uuid": "seeding",
    "stac_item": "stac",
    "study_options": "feasibility",
    "validate_params": "pricing",
}

__all__ = [
    "HOST_NAME",
    "PRIORITY_FACTORS",
    "SANDBOX_EPOCH",
    "AssetFile",
    "Captures",
    "Catalogue",
    "Delivery",
    "DomainError",
    "TaskingRequest",
    "asset_checksum",
    "build_catalogue",
    "capture_grid",
    "check_feasibility",
    "coverage",
    "coverage_groups",
    "normalise_tasking_group",
    "opportunities",
    "parse_check_params",
    "parse_window",
    "plan_deliveries",
    "price_archive",
    "price_archive_line",
    "price_provider_estimate",
    "price_provider_feature",
    "price_tasking",
    "price_tasking_group",
    "price_tasking_request",
    "render_capture",
    "search_captures",
    "stable_uuid",
    "stac_item",
    "study_options",
    "validate_params",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
