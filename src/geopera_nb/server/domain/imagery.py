"""A delivered capture's files: a Cloud-Optimized GeoTIFF, a PNG thumbnail, JSON metadata.

:func:`render_capture` is a pure function of ``(seed, delivery, sensor)``: the pixels
come from :mod:`.landscape` on the grid of :mod:`.grid`, the GeoTIFF is written by
GDAL's COG driver through rasterio (in memory: tiled 256 x 256, internal overviews,
DEFLATE with a predictor), the thumbnail by Pillow from the same pixels.

Encoding
--------
- optical bands: ``uint16`` surface reflectance x 10,000 (``scale`` 0.0001, ``offset``
  0), nodata 0 outside the footprint;
- SAR bands: ``float32`` linear sigma-nought (power, not dB), nodata NaN outside.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import shapely
from PIL import Image
from rasterio.io import MemoryFile
from rasterio.transform import Affine

from geopera_nb.contract.limits import THUMBNAIL_MAX_PIXELS
from geopera_nb.contract.timestamps import format_instant

from .deliveries import Delivery
from .grid import CaptureGrid, capture_grid, project_footprint
from .landscape import BAND_INFO, Scene, is_sar, synthesize

__all__ = [
    "IMAGERY_VERSION",
    "BandSpec",
    "CaptureFiles",
    "band_specs",
    "grid_of",
    "render_capture",
]

#: Changes whenever the bytes a capture renders to change (part of the cache key).
IMAGERY_VERSION = 1
#: Reflectance scale of optical bands (DN = reflectance / scale).
_REFLECTANCE_SCALE = 0.0001
#: COG tile side (pixels).
_TILE_PX = 256
#: Thumbnail stretch: reflectance shown white, and the SAR dB range shown black..white.
_WHITE_REFLECTANCE = 0.3
_SAR_DB_RANGE = (-25.0, 0.0)


@dataclass(frozen=True)
class BandSpec:
    """One band of a data file, as ``eo:bands`` and ``raster:bands`` describe it."""

    name: str
    data_type: str
    nodata: float
    scale: float | None
    offset: float | None
    common_name: str | None = None
    center_wavelength: float | None = None
    full_width_half_max: float | None = None
    description: str = ""

    def eo(self) -> dict[str, Any]:
        """The ``eo:bands`` entry."""
        out: dict[str, Any] = {"name": self.name}
        if self.common_name:
            out["common_name"] = self.common_name
        if self.center_wavelength is not None:
            out["center_wavelength"] = self.center_wavelength
        if self.full_width_half_max is not None:
            out["full_width_half_max"] = self.full_width_half_max
        if self.description:
            out["description"] = self.description
        return out

    def raster(self, resolution: float) -> dict[str, Any]:
        """The ``raster:bands`` entry (``nodata`` NaN spelled ``"nan"``, as the extension does)."""
        out: dict[str, Any] = {
            "nodata": "nan" if math.isnan(self.nodata) else self.nodata,
            "data_type": self.data_type,
            "spatial_resolution": resolution,
        }
        if self.scale is not None:
            out["scale"] = self.scale
            out["offset"] = self.offset or 0.0
        return out


@dataclass(frozen=True)
class CaptureFiles:
    """The rendered files of one capture (asset name -> bytes), and what they hold."""

    data: bytes
    thumbnail: bytes
    metadata: bytes
    grid: CaptureGrid
    fractions: dict[str, float]

    def by_asset(self) -> dict[str, bytes]:
        """``{"visual": ..., "thumbnail": ..., "metadata": ...}``."""
        return {"visual": self.data, "thumbnail": self.thumbnail, "metadata": self.metadata}


def _bands_of(sensor: Mapping[str, Any]) -> list[str]:
    bands = [str(b) for b in sensor.get("bands") or []]
    return bands or ["red", "green", "blue", "nir"]


def band_specs(sensor: Mapping[str, Any]) -> list[BandSpec]:
    """The bands of a sensor's data files, in the sensor's order.

    Examples
    --------
    >>> [b.name for b in band_specs({"bands": ["VV", "VH"]})], band_specs({"bands": ["red"]})[0].scale
    (['VV', 'VH'], 0.0001)
    """
    bands = _bands_of(sensor)
    if is_sar(bands):
        return [BandSpec(name=b, data_type="float32", nodata=float("nan"), scale=None, offset=None,
                         description=f"{b} backscatter, linear sigma-nought (power)")
                for b in bands]
    out = []
    for b in bands:
        common, centre, fwhm = BAND_INFO.get(b, (None, None, None))
        out.append(BandSpec(name=b, data_type="uint16", nodata=0.0, scale=_REFLECTANCE_SCALE,
                            offset=0.0, common_name=common, center_wavelength=centre,
                            full_width_half_max=fwhm,
                            description=f"{b} surface reflectance x 10000"))
    return out


def _sensor_resolution(sensor: Mapping[str, Any], delivery: Delivery) -> float:
    value = sensor.get("resolutionM")
    return float(value) if value else float(delivery.gsd or 1.0)


def grid_of(delivery: Delivery, sensor: Mapping[str, Any]) -> CaptureGrid:
    """The pixel grid of a capture's data file (cheap: no pixels are made)."""
    return capture_grid(delivery.footprint, _sensor_resolution(sensor, delivery))


def _encode_cog(scene: Scene, grid: CaptureGrid, specs: Sequence[BandSpec]) -> bytes:
    sar = specs[0].data_type == "float32"
    if sar:
        pixels = np.where(scene.inside, scene.values, np.float32(np.nan)).astype(np.float32)
    else:
        dn = np.clip(np.rint(scene.values / _REFLECTANCE_SCALE), 1, 10_000).astype(np.uint16)
        pixels = np.where(scene.inside, dn, np.uint16(0))
    profile = {
        "driver": "COG", "width": grid.width, "height": grid.height, "count": len(specs),
        "dtype": specs[0].data_type, "crs": f"EPSG:{grid.epsg}",
        "transform": Affine(*grid.transform), "nodata": specs[0].nodata,
        "compress": "DEFLATE", "level": 1, "predictor": 3 if sar else 2, "blocksize": _TILE_PX,
        "overview_resampling": "average", "bigtiff": "NO",
    }
    with MemoryFile() as mem:
        with mem.open(**profile) as dst:
            dst.write(pixels)
            for i, spec in enumerate(specs, start=1):
                dst.set_band_description(i, spec.name)
            if not sar:
                dst.scales = tuple(s.scale or 1.0 for s in specs)
                dst.offsets = tuple(s.offset or 0.0 for s in specs)
        data: bytes = mem.read()
    return data


#: Display gamma of thumbnails, as a lookup table over 8-bit values.
_GAMMA_LUT = ((np.arange(256) / 255.0) ** (1 / 1.6) * 255.0 + 0.5).astype(np.uint8)


def _shrink(a: np.ndarray, factor: int) -> np.ndarray:
    """Mean of ``factor`` x ``factor`` blocks over the last two axes (edges cropped)."""
    if factor <= 1:
        return a
    h, w = a.shape[-2] // factor * factor, a.shape[-1] // factor * factor
    blocks = a[..., :h, :w].reshape(*a.shape[:-2], h // factor, factor, w // factor, factor)
    out: np.ndarray = blocks.mean(axis=(-3, -1), dtype=np.float32)
    return out


def _inside(footprint: Any, grid: CaptureGrid) -> np.ndarray:
    """Which pixels have their centre in the footprint (what ``geometry_mask`` answers).

    shapely's vectorised point-in-polygon rather than ``rasterio.features``: GDAL's
    rasterizer, run from the server's render threads, sometimes warned that its scratch
    dataset had no geotransform (a spurious ``NotGeoreferencedWarning`` on stderr).
    """
    rows, cols = grid.shape
    x, y = Affine(*grid.transform) * np.meshgrid(np.arange(cols) + 0.5, np.arange(rows) + 0.5)
    shapely.prepare(footprint)
    return np.asarray(shapely.contains_xy(footprint, x, y), dtype=bool)


def _thumbnail(scene: Scene, specs: Sequence[BandSpec]) -> bytes:
    names = [s.name for s in specs]
    h, w = scene.inside.shape
    factor = max(1, min(math.ceil(max(h, w) / THUMBNAIL_MAX_PIXELS), min(h, w)))
    inside = _shrink(scene.inside.astype(np.float32), factor) >= 0.5
    if specs[0].data_type == "float32":
        lo, hi = _SAR_DB_RANGE
        linear = _shrink(np.where(scene.inside, scene.values[0], 1e-6), factor)
        db = 10.0 * np.log10(np.maximum(linear, 1e-6))
        grey = np.clip((db - lo) * (255.0 / (hi - lo)), 0.0, 255.0).astype(np.uint8)
        rgb = np.stack([grey, grey, grey])
    else:
        picks = [names.index(b) if b in names else 0 for b in ("red", "green", "blue")]
        shown = _shrink(scene.values[picks], factor) * (255.0 / _WHITE_REFLECTANCE)
        rgb = _GAMMA_LUT[np.clip(shown, 0.0, 255.0).astype(np.uint8)]
    alpha = np.where(inside, np.uint8(255), np.uint8(0))
    rgba = np.ascontiguousarray(np.moveaxis(np.concatenate([rgb, alpha[None]]), 0, -1))
    image = Image.fromarray(rgba, mode="RGBA")
    image.thumbnail((THUMBNAIL_MAX_PIXELS, THUMBNAIL_MAX_PIXELS), Image.Resampling.BOX)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=3)
    return out.getvalue()


def _metadata(seed: int, delivery: Delivery, sensor: Mapping[str, Any], grid: CaptureGrid,
              specs: Sequence[BandSpec], fractions: Mapping[str, float]) -> bytes:
    meta = {
        "id": delivery.capture_id,
        "datetime": format_instant(delivery.datetime),
        "sensor": str(sensor.get("id", "")),
        "platform": delivery.platform,
        "crs": f"EPSG:{grid.epsg}",
        "shape": list(grid.shape),
        "transform": list(grid.transform),
        "resolution_m": grid.resolution,
        "sensor_resolution_m": _sensor_resolution(sensor, delivery),
        "pixel_scale": grid.scale,
        "bands": [{**s.eo(), **s.raster(grid.resolution)} for s in specs],
        "cloud_cover": delivery.cloud_cover,
        "cover_fractions": dict(fractions),
        "generator": f"geopera-nb sandbox imagery v{IMAGERY_VERSION}",
        "seed": seed,
    }
    return orjson.dumps(meta, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)


def render_capture(seed: int, delivery: Delivery, sensor: Mapping[str, Any]) -> CaptureFiles:
    """Render a delivered capture's three files (deterministic from the arguments).

    Parameters
    ----------
    seed
        The sandbox seed.
    delivery
        The capture (id, footprint, time, cloud cover, platform).
    sensor
        The Sensor object (``bands``, ``resolutionM``).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> from geopera_nb.server.domain.seeding import SANDBOX_EPOCH
    >>> d = Delivery("cap-1", SANDBOX_EPOCH, box(10, 45, 10.1, 45.1), 20.0, 5.0, 3.0, 0, "SWIFT-1")
    >>> files = render_capture(0, d, {"id": "geo-swift-3m", "resolutionM": 3.0,
    ...                               "bands": ["blue", "green", "red", "nir"]})
    >>> files.data[:4], files.thumbnail[:4], files.grid.epsg, files.fractions["cloud"]
    (b'II*\\x00', b'\\x89PNG', 32632, 0.2)
    """
    grid = grid_of(delivery, sensor)
    specs = band_specs(sensor)
    footprint = project_footprint(delivery.footprint, grid.epsg)
    inside = _inside(footprint, grid)
    scene = synthesize(seed, delivery.capture_id, grid, [s.name for s in specs], inside,
                       delivery.cloud_cover)
    fractions = scene.fractions()
    return CaptureFiles(data=_encode_cog(scene, grid, specs), thumbnail=_thumbnail(scene, specs),
                        metadata=_metadata(seed, delivery, sensor, grid, specs, fractions),
                        grid=grid, fractions=fractions)
