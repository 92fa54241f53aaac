"""The offline map is readable: no unlabelled radio, a scale bar, a graticule, light fills."""

from __future__ import annotations

import ipyleaflet as L

from geopera_nb.widgets import make_map, zoom_to_bounds
from geopera_nb.widgets._coverage_view import STYLES
from geopera_nb.widgets._graticule import Graticule

HUNTER_VALLEY = (151.07, -32.80, 151.32, -32.73)


def test_offline_map_has_no_unlabelled_base_layer() -> None:
    m = make_map(online=False)
    # basemap={} leaves a blank, nameless base TileLayer: the layers control shows it as
    # a radio button with no label
    assert not [layer for layer in m.layers if getattr(layer, "base", False) and not layer.name]
    assert all(layer.name for layer in m.layers)
    online = make_map(online=True)
    assert all(layer.name for layer in online.layers if getattr(layer, "base", False))


def test_every_map_has_a_metric_scale_bar() -> None:
    for online in (False, True):
        scales = [c for c in make_map(online=online).controls if isinstance(c, L.ScaleControl)]
        assert len(scales) == 1 and scales[0].metric and not scales[0].imperial


def test_a_zoomed_in_offline_view_has_labelled_coordinates() -> None:
    m = make_map(online=False)
    zoom_to_bounds(m, HUNTER_VALLEY)
    graticule = m.graticule
    assert isinstance(graticule, Graticule) and graticule.layer in m.layers
    assert 0.01 <= graticule.step <= 0.1  # a few lines across a ~25 km view
    assert "32.75°S" in graticule.labels and "151.20°E" in graticule.labels
    markers = [la for la in graticule.layer.layers if isinstance(la, L.Marker)]
    assert len(markers) == len(graticule.labels) >= 4
    lines = graticule.layer.layers[0].data["features"][0]["geometry"]["coordinates"]
    assert len(lines) >= 6
    # the view moves (a pan in the browser syncs center back): the lines follow
    m.center = [-20.0, 120.0]
    assert "120.00°E" in graticule.labels or "120.0°E" in graticule.labels


def test_overlapping_footprints_stay_readable() -> None:
    assert STYLES["Captures"]["fillOpacity"] == 0.0  # outlines: overlaps do not add up
    assert all(style.get("fillOpacity", 0) <= 0.35 for style in STYLES.values())
