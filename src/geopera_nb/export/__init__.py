"""Write frames out (GeoPackage, GeoParquet) and download delivered imagery.

Examples
--------
>>> from geopera_nb import export
>>> sorted(export.__all__)[:2]
['COVERAGE_LAYERS', 'DownloadError']
"""

from __future__ import annotations

from geopera_nb.export.coverage import COVERAGE_LAYERS, coverage_layers, export_coverage
from geopera_nb.export.download import DownloadError, download_assets
from geopera_nb.export.writers import export_frames, write_frame

__all__ = [
    "COVERAGE_LAYERS",
    "DownloadError",
    "coverage_layers",
    "download_assets",
    "export_coverage",
    "export_frames",
    "write_frame",
]
