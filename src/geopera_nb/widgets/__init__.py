"""Map widgets for JupyterLab: draw AOIs, price tasking live, decide, follow coverage.

Every widget takes the client (and optionally a map) as constructor arguments and
talks only to the client. Displayable on their own and composable (e.g. a
:class:`TaskingPlanner` and an :class:`ArchiveCart` can share one :class:`AOIDrawer`).

Examples
--------
>>> from geopera_nb.widgets import AOIDrawer, make_map
>>> drawer = AOIDrawer(map=make_map(online=False))
>>> len(drawer.aois)
0
"""

from __future__ import annotations

from ._scheduler import ImmediateScheduler, Scheduler, ThreadScheduler
from .aoi_drawer import AOIDrawer
from .archive_cart import ArchiveCart
from .basemap import make_map, network_available, osm_layer, world_layer, zoom_to_bounds
from .coverage_map import CoverageMap
from .decision_inbox import DecisionInbox
from .order_browser import OrderBrowser
from .tasking_planner import TaskingPlanner

__all__ = [
    "AOIDrawer",
    "ArchiveCart",
    "CoverageMap",
    "DecisionInbox",
    "ImmediateScheduler",
    "OrderBrowser",
    "Scheduler",
    "TaskingPlanner",
    "ThreadScheduler",
    "make_map",
    "network_available",
    "osm_layer",
    "world_layer",
    "zoom_to_bounds",
]
