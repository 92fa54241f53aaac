"""What a delivered capture shows: a seeded landscape, its reflectances or backscatter.

The ground is the same for every capture of one seed at one pixel size: land-cover
classes come from smooth value-noise fields evaluated in *world* coordinates
(longitude and latitude scaled to metres), so two captures of one order that overlap
show the same lakes, forests and fields, and a time series over them changes only
where the sky (clouds) and the crops (parcels re-drawn per capture) change.

Classes: ``water`` (lakes where the "elevation" field is low, rivers along one contour
of another field), ``forest``, ``cropland`` (rectangular parcels, each green or bare
on a given day), ``bare_soil`` and ``urban``. Optical bands get surface reflectances
per class (typical published values, rounded) with a little texture and sensor
noise; clouds (bright in every band, so NDVI ~ 0 under them) cover exactly the
capture's ``eo:cloud_cover`` share of the footprint. SAR bands get linear sigma-nought
per class (water dark, urban bright) with 4-look gamma speckle; SAR sees through
clouds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .grid import CaptureGrid, to_lonlat
from .seeding import rng_for

__all__ = ["BAND_INFO", "CLASSES", "SAR_BANDS", "Scene", "is_sar", "synthesize"]

#: Land-cover classes, in the order of :attr:`Scene.classes` codes.
CLASSES = ("water", "forest", "cropland", "bare_soil", "urban")
_WATER, _FOREST, _CROP, _BARE, _URBAN = range(5)

#: Optical band name -> (STAC common name, centre wavelength um, full width half max um).
BAND_INFO: dict[str, tuple[str, float, float]] = {
    "coastal": ("coastal", 0.443, 0.02),
    "blue": ("blue", 0.49, 0.065),
    "green": ("green", 0.56, 0.035),
    "red": ("red", 0.665, 0.03),
    "rededge": ("rededge", 0.705, 0.015),
    "nir": ("nir", 0.842, 0.115),
    "swir1": ("swir16", 1.61, 0.09),
    "swir2": ("swir22", 2.19, 0.18),
    "pan": ("pan", 0.675, 0.25),
}
#: SAR polarisations a sensor may list.
SAR_BANDS = frozenset({"VV", "VH", "HH", "HV"})

#: Surface reflectance per optical band: water, forest, cropland (green), bare soil,
#: urban, cloud.
_REFLECTANCE: dict[str, tuple[float, float, float, float, float, float]] = {
    "coastal": (0.070, 0.030, 0.040, 0.100, 0.140, 0.75),
    "blue": (0.060, 0.030, 0.050, 0.120, 0.150, 0.78),
    "green": (0.050, 0.060, 0.090, 0.170, 0.170, 0.80),
    "red": (0.030, 0.030, 0.050, 0.230, 0.190, 0.80),
    "rededge": (0.025, 0.150, 0.200, 0.260, 0.210, 0.80),
    "nir": (0.020, 0.380, 0.420, 0.290, 0.240, 0.78),
    "swir1": (0.010, 0.180, 0.240, 0.360, 0.270, 0.55),
    "swir2": (0.005, 0.080, 0.120, 0.300, 0.250, 0.42),
    "pan": (0.040, 0.050, 0.070, 0.200, 0.180, 0.80),
}
#: Linear sigma-nought per polarisation: water, forest, cropland, bare soil, urban.
_SIGMA0: dict[str, tuple[float, float, float, float, float]] = {
    "VV": (0.002, 0.10, 0.05, 0.025, 0.50),
    "HH": (0.003, 0.12, 0.06, 0.030, 0.60),
    "VH": (0.0004, 0.025, 0.012, 0.004, 0.06),
    "HV": (0.0004, 0.025, 0.012, 0.004, 0.06),
}
#: Fields are evaluated on every ``_STEP``-th pixel and interpolated in between.
_STEP = 4
#: Landscape feature size (the coarsest noise cell), in pixels of the capture grid.
_CELL_PX = 64.0
#: Crop parcel side, in pixels.
_PARCEL_PX = 10.0
#: Metres per degree of latitude (mean) and of longitude at the equator.
_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON = 111_320.0
#: How wide a river is, as a band of the river field around its 0.5 contour.
_RIVER_HALF_WIDTH = 0.012
#: Mean and spread of a 4-octave value-noise field (measured), to turn it into z-scores.
_NOISE_MEAN, _NOISE_STD = 0.5, 0.13


@dataclass(frozen=True, eq=False)
class Scene:
    """The physical values of one capture, before encoding.

    Attributes
    ----------
    values
        ``(bands, height, width)`` float32: reflectance (optical) or linear
        sigma-nought (SAR); meaningless outside ``inside``.
    inside
        ``(height, width)`` bool: pixels inside the footprint.
    classes
        ``(height, width)`` uint8 codes into :data:`CLASSES`.
    cloud
        ``(height, width)`` bool: pixels at least half covered by cloud.
    """

    values: np.ndarray
    inside: np.ndarray
    classes: np.ndarray
    cloud: np.ndarray

    def fractions(self) -> dict[str, float]:
        """Share of the footprint's pixels per land-cover class, and under cloud."""
        n = max(int(self.inside.sum()), 1)
        out = {name: round(float((self.classes[self.inside] == code).sum()) / n, 4)
               for code, name in enumerate(CLASSES)}
        out["cloud"] = round(float(self.cloud[self.inside].sum()) / n, 4)
        return out


def is_sar(bands: Sequence[str]) -> bool:
    """Whether a sensor's bands are SAR polarisations.

    Examples
    --------
    >>> is_sar(["VV", "VH"]), is_sar(["red", "nir"])
    (True, False)
    """
    return bool(bands) and all(b in SAR_BANDS for b in bands)


def _hash01(ix: np.ndarray, iy: np.ndarray, salt: int) -> np.ndarray:
    """Deterministic uniform [0, 1) per integer lattice point (splitmix64-style mix)."""
    h = (ix.astype(np.uint64) * np.uint64(0x9E3779B185EBCA87)
         ^ iy.astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
         ^ np.uint64(salt & 0xFFFFFFFFFFFFFFFF))
    for mult in (0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53):
        h ^= h >> np.uint64(33)
        h *= np.uint64(mult)
    h ^= h >> np.uint64(33)
    return (h >> np.uint64(11)).astype(np.float64) * (1.0 / 2**53)


def _salt(*parts: object) -> int:
    return int(rng_for(*parts, "salt").integers(0, 2**63))


def _value_noise(u: np.ndarray, v: np.ndarray, cell: float, salt: int,
                 octaves: int) -> np.ndarray:
    """Sum of ``octaves`` value-noise layers (cells ``cell``, ``cell/2``...), in [0, 1]."""
    total = np.zeros(u.shape)
    amp, norm = 1.0, 0.0
    for octave in range(octaves):
        gx, gy = u / cell, v / cell
        ix, iy = np.floor(gx), np.floor(gy)
        fx, fy = gx - ix, gy - iy
        fx, fy = fx * fx * (3.0 - 2.0 * fx), fy * fy * (3.0 - 2.0 * fy)
        x0, y0 = int(ix.min()), int(iy.min())
        xs = np.arange(x0, int(ix.max()) + 2, dtype=np.int64)
        ys = np.arange(y0, int(iy.max()) + 2, dtype=np.int64)
        lattice = _hash01(xs[None, :], ys[:, None], salt + octave)
        jx, jy = (ix - x0).astype(np.intp), (iy - y0).astype(np.intp)
        top = lattice[jy, jx] * (1.0 - fx) + lattice[jy, jx + 1] * fx
        bottom = lattice[jy + 1, jx] * (1.0 - fx) + lattice[jy + 1, jx + 1] * fx
        total += amp * (top * (1.0 - fy) + bottom * fy)
        norm += amp
        amp *= 0.5
        cell *= 0.5
    return total / norm


def _z(field: np.ndarray) -> np.ndarray:
    return (field - _NOISE_MEAN) / _NOISE_STD


def _upsample(a: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bilinear interpolation of nodes at every ``_STEP``-th pixel to the full grid."""
    r = np.arange(height) / _STEP
    i0 = r.astype(np.intp)
    wr = (r - i0)[:, None].astype(np.float32)
    rows = a[i0] * (1.0 - wr) + a[i0 + 1] * wr
    c = np.arange(width) / _STEP
    j0 = c.astype(np.intp)
    wc = (c - j0).astype(np.float32)
    out: np.ndarray = rows[:, j0] * (1.0 - wc) + rows[:, j0 + 1] * wc
    return out


def _world_nodes(grid: CaptureGrid) -> tuple[np.ndarray, np.ndarray]:
    """World coordinates (metres east/north, from lon/lat) of the field nodes."""
    rows = np.arange(grid.height // _STEP + 2) * _STEP + 0.5
    cols = np.arange(grid.width // _STEP + 2) * _STEP + 0.5
    x = grid.west + cols[None, :] * grid.resolution + 0.0 * rows[:, None]
    y = grid.north - rows[:, None] * grid.resolution + 0.0 * cols[None, :]
    lon, lat = to_lonlat(grid.epsg, x.ravel(), y.ravel())
    u = lon * _M_PER_DEG_LON * np.cos(np.radians(lat))
    v = lat * _M_PER_DEG_LAT
    return u.reshape(x.shape), v.reshape(x.shape)


def _parcels(seed: int, capture_id: str, grid: CaptureGrid) -> np.ndarray:
    """Per-pixel crop vigour in [0, 1]: one value per rectangular parcel and capture."""
    side = grid.resolution * _PARCEL_PX
    cols = np.floor((grid.west + (np.arange(grid.width) + 0.5) * grid.resolution) / side)
    rows = np.floor((grid.north - (np.arange(grid.height) + 0.5) * grid.resolution) / side)
    c0, r0 = int(cols.min()), int(rows.min())
    xs = np.arange(c0, int(cols.max()) + 1, dtype=np.int64)
    ys = np.arange(r0, int(rows.max()) + 1, dtype=np.int64)
    field = _hash01(xs[None, :], ys[:, None], _salt(seed, "parcels", grid.resolution))
    day = _hash01(xs[None, :], ys[:, None], _salt(seed, capture_id, "crop-stage"))
    # most parcels keep their state; a few are harvested or green on a given capture
    vigour = np.where(day < 0.2, 1.0 - field, field)
    out: np.ndarray = vigour[(rows - r0).astype(np.intp)[:, None],
                             (cols - c0).astype(np.intp)[None, :]]
    return out


def _classes(seed: int, grid: CaptureGrid, u: np.ndarray,
             v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Land-cover codes and a [0, 1] vegetation-density field, on the full grid."""
    cell = grid.resolution * _CELL_PX
    key = (seed, grid.resolution)
    elevation = _z(_value_noise(u, v, cell, _salt(*key, "elevation"), 4))
    moisture = _z(_value_noise(u, v, cell * 0.7, _salt(*key, "moisture"), 4))
    town = _z(_value_noise(u, v, cell * 0.4, _salt(*key, "urban"), 4))
    river = _value_noise(u, v, cell * 2.0, _salt(*key, "river"), 2)
    h, w = grid.height, grid.width
    elevation, moisture, town, river = (_upsample(f.astype(np.float32), h, w)
                                        for f in (elevation, moisture, town, river))
    classes = np.full((h, w), _BARE, np.uint8)
    classes[moisture > -0.45] = _CROP
    classes[moisture > 0.35] = _FOREST
    classes[town > 1.45] = _URBAN
    classes[(elevation < -1.15) | (np.abs(river - 0.5) < _RIVER_HALF_WIDTH)] = _WATER
    density = np.clip(0.5 + 0.35 * moisture, 0.0, 1.0)
    return classes, density


def _clouds(seed: int, capture_id: str, grid: CaptureGrid, inside: np.ndarray,
            cloud_cover: float) -> np.ndarray:
    """Cloud opacity in [0, 1]; exactly ``cloud_cover`` % of ``inside`` is >= 0.5."""
    h, w = grid.height, grid.width
    share = float(np.clip(cloud_cover, 0.0, 100.0)) / 100.0
    n_inside = int(inside.sum())
    if share <= 0.0 or n_inside == 0:
        return np.zeros((h, w), np.float32)
    rows = np.arange(h // _STEP + 2)[:, None] * float(_STEP) + np.zeros((1, w // _STEP + 2))
    cols = np.arange(w // _STEP + 2)[None, :] * float(_STEP) + np.zeros((h // _STEP + 2, 1))
    cell = max(h, w) / 2.5
    coarse = _value_noise(cols, rows, cell, _salt(seed, capture_id, "cloud"), 5)
    field = _upsample(coarse.astype(np.float32), h, w)
    values = field[inside]
    count = round(share * n_inside)
    if count >= n_inside:
        return np.ones((h, w), np.float32)
    if count == 0:
        return np.zeros((h, w), np.float32)
    # the threshold between the count-th and (count+1)-th largest values inside
    order = np.partition(values, n_inside - count - 1)
    lower = float(order[n_inside - count - 1])
    upper = float(np.min(values[values > lower])) if (values > lower).any() else lower
    threshold = 0.5 * (lower + upper)
    opacity = np.clip(0.5 + (field - threshold) / 0.03, 0.0, 1.0).astype(np.float32)
    return opacity


def _optical(bands: Sequence[str], classes: np.ndarray, density: np.ndarray,
             vigour: np.ndarray, opacity: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = classes.shape
    # uniform, not normal, noise: numpy's normals cost four times as much
    texture = 0.92 + 0.16 * rng.random((h, w), dtype=np.float32)
    noise = 0.006 * (rng.random((len(bands), h, w), dtype=np.float32) - 0.5)
    # a crop parcel lies between bare soil (vigour 0) and green (vigour 1)
    crop = np.where(classes == _CROP, vigour, 0.0).astype(np.float32)
    # denser forest is brighter in the near infrared
    forest = np.where(classes == _FOREST, 0.8 + 0.4 * density, 1.0).astype(np.float32)
    out = np.empty((len(bands), h, w), np.float32)
    for i, band in enumerate(bands):
        water, green, crops, bare, urban, cloud = _REFLECTANCE.get(band, _REFLECTANCE["pan"])
        per_class = np.array([water, green, bare, bare, urban], np.float32)
        surface = per_class[classes] + np.float32(crops - bare) * crop
        if band in ("nir", "rededge"):
            surface *= forest
        surface = surface * texture + noise[i]
        out[i] = surface + (np.float32(cloud) - surface) * opacity
    return out


def _sar(bands: Sequence[str], classes: np.ndarray, vigour: np.ndarray,
         rng: np.random.Generator) -> np.ndarray:
    h, w = classes.shape
    texture = 0.85 + 0.3 * rng.random((h, w), dtype=np.float32)
    out = np.empty((len(bands), h, w), np.float32)
    for i, band in enumerate(bands):
        per_class = np.array(_SIGMA0.get(band, _SIGMA0["VV"]), np.float32)
        sigma = per_class[classes]
        is_crop = classes == _CROP
        sigma[is_crop] *= (0.5 + vigour[is_crop]).astype(np.float32)
        speckle = 0.25 * rng.standard_gamma(4.0, (h, w), dtype=np.float32)
        out[i] = np.maximum(sigma * texture, 1e-5) * speckle
    return out


def synthesize(seed: int, capture_id: str, grid: CaptureGrid, bands: Sequence[str],
               inside: np.ndarray, cloud_cover: float) -> Scene:
    """The values of one capture on ``grid`` (deterministic from seed and capture id).

    Parameters
    ----------
    seed
        The sandbox seed (the landscape).
    capture_id
        The capture (its clouds, crop states, texture and noise).
    grid
        The capture's pixel grid.
    bands
        The sensor's band names (optical names of :data:`BAND_INFO`, or SAR
        polarisations).
    inside
        Pixels inside the footprint.
    cloud_cover
        Percent of the footprint under cloud (optical only).

    Examples
    --------
    >>> from geopera_nb.server.domain.grid import CaptureGrid
    >>> g = CaptureGrid(32632, 30.0, 1, 500000.0, 5000000.0, 64, 48)
    >>> s = synthesize(0, "c1", g, ["red", "nir"], np.ones((48, 64), bool), 25.0)
    >>> s.values.shape, s.fractions()["cloud"]
    ((2, 48, 64), 0.25)
    """
    u, v = _world_nodes(grid)
    classes, density = _classes(seed, grid, u, v)
    vigour = _parcels(seed, capture_id, grid)
    rng = rng_for(seed, capture_id, "pixels")
    if is_sar(bands):
        values = _sar(bands, classes, vigour, rng)
        cloud = np.zeros(inside.shape, bool)
    else:
        opacity = _clouds(seed, capture_id, grid, inside, cloud_cover)
        values = _optical(bands, classes, density, vigour, opacity, rng)
        cloud = opacity >= 0.5
    return Scene(values=values, inside=inside, classes=classes, cloud=cloud)
