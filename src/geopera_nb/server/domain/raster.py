"""Tiny deterministic imagery for delivered assets: a GeoTIFF, a PNG and JSON metadata.

The writers are hand-written (``struct`` + ``zlib``) because the environment has
neither ``tifffile``/GDAL nor Pillow, and 64x64 RGB images need only the baseline TIFF
and PNG layouts. The GeoTIFF is tiled (one 64x64 tile, the IFD before the pixels) and
carries ModelPixelScale/ModelTiepoint/GeoKeyDirectory tags for EPSG:4326.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

import numpy as np

from .seeding import rng_for

__all__ = ["encode_geotiff", "encode_png", "synthetic_rgb"]

_SHORT, _LONG, _DOUBLE = 3, 4, 12
_TYPE_SIZE = {_SHORT: 2, _LONG: 4, _DOUBLE: 8}


def synthetic_rgb(key: str, seed: int, size: int = 64) -> np.ndarray:
    """A (size, size, 3) uint8 'landscape' (fields, a river, a cloud), deterministic.

    Examples
    --------
    >>> a = synthetic_rgb("x", 0)
    >>> a.shape, a.dtype.name, bool((a == synthetic_rgb("x", 0)).all())
    ((64, 64, 3), 'uint8', True)
    """
    rng = rng_for(seed, key, "pixels")
    y, x = np.mgrid[0:size, 0:size] / size
    field = np.zeros((size, size))
    for _ in range(5):
        kx, ky = rng.uniform(2.0, 12.0, 2)
        field += rng.uniform(0.2, 1.0) * np.sin(
            kx * x * np.pi + ky * y * np.pi + rng.uniform(0, 6.3)
        )
    field = (field - field.min()) / (np.ptp(field) + 1e-9)
    rgb = np.stack([70 + 90 * field, 95 + 85 * (1 - field), 50 + 45 * field], axis=-1)
    river = np.abs(y - (0.5 + 0.2 * np.sin(x * rng.uniform(3, 8)))) < 0.03
    rgb[river] = (40, 70, 120)
    cx, cy, cr = rng.uniform(0.2, 0.8, 3)
    cloud = np.clip(1 - ((x - cx) ** 2 + (y - cy) ** 2) / (0.1 * cr) ** 2 * 0.5, 0, 1)[..., None]
    rgb = rgb * (1 - cloud) + 245 * cloud
    return np.clip(rgb, 0, 255).astype(np.uint8)


def encode_png(rgb: np.ndarray) -> bytes:
    """PNG (8-bit RGB, no interlace, filter 0) of a (h, w, 3) uint8 array.

    Examples
    --------
    >>> encode_png(np.zeros((2, 2, 3), np.uint8))[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    h, w, _ = rgb.shape

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + rgb[r].tobytes() for r in range(h))
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))  # fmt: skip


def encode_geotiff(rgb: np.ndarray, bbox: Sequence[float]) -> bytes:
    """Little-endian tiled GeoTIFF (EPSG:4326, PixelIsArea) of a (n, n, 3) uint8 array.

    ``bbox`` is ``[west, south, east, north]`` in degrees (east may exceed 180 for an
    image across the antimeridian).

    Examples
    --------
    >>> tif = encode_geotiff(np.zeros((16, 16, 3), np.uint8), [0, 0, 1, 1])
    >>> tif[:4]
    b'II*\\x00'
    """
    h, w, _ = rgb.shape
    west, south, east, north = (float(v) for v in bbox)
    if east < west:
        east += 360.0
    pixels = rgb.astype(np.uint8).tobytes()
    extra: list[tuple[int, int, list[float] | list[int]]] = [
        (258, _SHORT, [8, 8, 8]),
        (33550, _DOUBLE, [(east - west) / w, (north - south) / h, 0.0]),
        (33922, _DOUBLE, [0.0, 0.0, 0.0, west, north, 0.0]),
        # GeoKeyDirectory: version 1.1.0, 3 keys: ModelType=Geographic,
        # RasterType=PixelIsArea, GeographicType=EPSG:4326
        (34735, _SHORT, [1, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 1, 2048, 0, 1, 4326]),
    ]
    simple = [(256, _SHORT, w), (257, _SHORT, h), (259, _SHORT, 1), (262, _SHORT, 2),
              (277, _SHORT, 3), (284, _SHORT, 1), (322, _SHORT, w), (323, _SHORT, h)]  # fmt: skip
    n_entries = len(simple) + len(extra) + 2  # + TileOffsets, TileByteCounts
    ifd_size = 2 + 12 * n_entries + 4
    offset = 8 + ifd_size
    blobs: list[bytes] = []
    entries: list[tuple[int, int, int, bytes]] = []
    for tag, typ, value in simple:
        entries.append((tag, typ, 1, struct.pack("<HH", value, 0)))
    for tag, typ, values in extra:
        fmt = {"3": "H", "12": "d"}[str(typ)]
        data = struct.pack(f"<{len(values)}{fmt}", *values)
        entries.append((tag, typ, len(values), struct.pack("<I", offset)))
        blobs.append(data + b"\x00" * (len(data) % 2))
        offset += len(blobs[-1])
    data_offset = (offset + 15) // 16 * 16
    entries.append((324, _LONG, 1, struct.pack("<I", data_offset)))
    entries.append((325, _LONG, 1, struct.pack("<I", len(pixels))))
    entries.sort(key=lambda e: e[0])
    ifd = struct.pack("<H", len(entries))
    ifd += b"".join(struct.pack("<HHI", t, ty, c) + v for t, ty, c, v in entries)
    ifd += struct.pack("<I", 0)
    head = b"II*\x00" + struct.pack("<I", 8) + ifd + b"".join(blobs)
    return head + b"\x00" * (data_offset - len(head)) + pixels
