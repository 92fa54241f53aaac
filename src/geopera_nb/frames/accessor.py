"""``frame.geopera``: frame-level helpers as a pandas accessor.

Registered when :mod:`geopera_nb.frames` is imported.

Examples
--------
>>> import geopera_nb.frames as F
>>> len(F.empty_frame("assets").geopera.to_stac())
0
"""

from __future__ import annotations

import os
from typing import Any

import pandas as pd
import pystac


@pd.api.extensions.register_dataframe_accessor("geopera")
class GeoperaAccessor:
    """``frame.geopera.to_stac()`` and ``frame.geopera.download(dest)`` on assets frames."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame

    def to_stac(self) -> pystac.ItemCollection:
        """The rows as a :class:`pystac.ItemCollection` (see :func:`~geopera_nb.frames.to_stac`)."""
        from geopera_nb.frames.assets import to_stac

        return to_stac(self._frame)

    def download(self, dest: str | os.PathLike[str], **kwargs: Any) -> pd.DataFrame:
        """Download the rows' assets (see :func:`geopera_nb.export.download_assets`)."""
        from geopera_nb.export.download import download_assets

        return download_assets(self._frame, dest, **kwargs)
