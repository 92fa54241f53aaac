"""geopera-nb: buy and follow Geopera satellite imagery from JupyterLab.

Heavy parts (geopandas frames, ipyleaflet widgets, the sandbox server) are imported on
first use, so ``import geopera_nb`` stays fast for command-line use.

Examples
--------
>>> import geopera_nb as gn
>>> sorted(gn.__all__)[:3]
['AsyncClient', 'Client', 'GeoperaError']
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# name -> module that defines it (imported lazily on first attribute access)
_LAZY: dict[str, str] = {
    # client
    "Client": "geopera_nb.client",
    "AsyncClient": "geopera_nb.client",
    "RetryPolicy": "geopera_nb.client",
    "connect": "geopera_nb.connection",
    "GeoperaError": "geopera_nb.errors",
    # sub-packages
    "errors": "geopera_nb.errors",
    "contract": "geopera_nb.contract",
    "sandbox": "geopera_nb.sandbox",
    "frames": "geopera_nb.frames",
    "export": "geopera_nb.export",
    "widgets": "geopera_nb.widgets",
    "OPERATIONS": "geopera_nb.contract",
    # frames (geopandas)
    "orders_frame": "geopera_nb.frames",
    "coverage_frame": "geopera_nb.frames",
    "coverage_groups_frame": "geopera_nb.frames",
    "assets_frame": "geopera_nb.frames",
    "studies_frame": "geopera_nb.frames",
    "quotations_frame": "geopera_nb.frames",
    "decisions_frame": "geopera_nb.frames",
    "opportunities_frame": "geopera_nb.frames",
    "sensors_frame": "geopera_nb.frames",
    "templates_frame": "geopera_nb.frames",
    "catalog_frame": "geopera_nb.frames",
    "tasking_estimate_frame": "geopera_nb.frames",
    "archive_estimate_frame": "geopera_nb.frames",
    "estimate_frame": "geopera_nb.frames",
    "to_stac": "geopera_nb.frames",
    # export
    "export_coverage": "geopera_nb.export",
    "export_frames": "geopera_nb.export",
    "download_assets": "geopera_nb.export",
    # pixels (odc-stac, xarray)
    "pixels": "geopera_nb.pixels",
    "load": "geopera_nb.pixels",
    # widgets (ipyleaflet)
    "AOIDrawer": "geopera_nb.widgets",
    "TaskingPlanner": "geopera_nb.widgets",
    "DecisionInbox": "geopera_nb.widgets",
    "CoverageMap": "geopera_nb.widgets",
    "OrderBrowser": "geopera_nb.widgets",
    "ArchiveCart": "geopera_nb.widgets",
    "make_map": "geopera_nb.widgets",
}

__all__ = sorted([*_LAZY, "__version__"])


#: Layers that add verbs to the frames' ``frame.gn`` accessor (the frames layer cannot
#: import them): wired here whenever frames are reached through ``gn.*``.
_FRAME_VERBS = ("geopera_nb.export", "geopera_nb.pixels")


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'geopera_nb' has no attribute {name!r}")
    module = importlib.import_module(module_name)
    if module_name == "geopera_nb.frames":
        for plugin in _FRAME_VERBS:
            importlib.import_module(plugin)
    value = module if module_name.endswith("." + name) else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
