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

import lazy_loader

# Imported on first use: the server imports the modules it needs, and importing
# ``domain.seeding`` (the sandbox epoch) must not build orbits.
__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "catalogue": ["Captures", "Catalogue", "build_catalogue"],
    "coverage": ["coverage", "coverage_groups"],
    "deliveries": ["Delivery", "plan_deliveries"],
    "feasibility": ["check_feasibility", "parse_check_params", "study_options"],
    "grid": ["capture_grid"],
    "imagery": ["render_capture"],
    "orbits": ["opportunities"],
    "pricing": ["price_archive", "price_archive_line", "price_provider_estimate", "price_provider_feature", "price_tasking", "price_tasking_group", "price_tasking_request", "validate_params"],
    "rejections": ["DomainError"],
    "search": ["HOST_NAME", "search_captures"],
    "seeding": ["SANDBOX_EPOCH", "stable_uuid"],
    "stac": ["AssetFile", "asset_checksum", "stac_item"],
    "tasking_request": ["PRIORITY_FACTORS", "TaskingRequest", "normalise_tasking_group", "parse_window"],
})
