"""Write frames out (GeoPackage, GeoParquet) and download delivered imagery.

Examples
--------
>>> from geopera_nb import export
>>> sorted(export.__all__)[:2]
['CATALOG_FILE', 'COVERAGE_LAYERS']
"""

from __future__ import annotations

from geopera_nb.export.coverage import COVERAGE_LAYERS, coverage_layers, export_coverage
from geopera_nb.export.download import DownloadError, DownloadTooLargeError, download_assets
from geopera_nb.export.local_catalog import CATALOG_FILE, read_local_catalog, write_local_catalog
from geopera_nb.export.writers import export_frames, write_frame

__all__ = [
    "CATALOG_FILE",
    "COVERAGE_LAYERS",
    "DownloadError",
    "DownloadTooLargeError",
    "coverage_layers",
    "download_assets",
    "export_coverage",
    "export_frames",
    "read_local_catalog",
    "write_frame",
    "write_local_catalog",
]
