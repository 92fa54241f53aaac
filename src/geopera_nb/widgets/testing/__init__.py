"""Drive the widgets without a browser: the messages the front end sends, and a clock.

Examples
--------
>>> from geopera_nb.widgets.testing import DrawFrontend, ManualScheduler
"""

from __future__ import annotations

from .frontend import DrawFrontend, send_custom, send_update, upload_files
from .manual_scheduler import ManualScheduler

__all__ = ["DrawFrontend", "ManualScheduler", "send_custom", "send_update", "upload_files"]
