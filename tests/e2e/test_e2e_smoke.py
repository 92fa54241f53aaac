"""The browser harness end to end, on a plain ipyleaflet notebook (no geopera widgets).

If this fails, the problem is the harness (JupyterLab, Chromium, the widget manager),
not the toolkit's widgets.
"""

from __future__ import annotations

import pytest

from .e2e_harness import LabPage

pytestmark = pytest.mark.e2e


def test_draw_polygon_updates_a_widget(lab_page: LabPage) -> None:
    page = lab_page.page
    lab_page.open_notebook("smoke-draw.ipynb")
    lab_page.screenshot("opened")

    lab_page.run_all_cells()
    count = page.locator(".smoke-count")
    count.wait_for(timeout=60_000)
    assert count.inner_text().strip() == "features: 0"
    map_ = lab_page.leaflet_map()
    lab_page.screenshot("ran")

    lab_page.draw_polygon(map_, [(0.35, 0.35), (0.65, 0.35), (0.6, 0.65), (0.4, 0.62)])
    page.wait_for_function(
        "() => document.querySelector('.smoke-count').textContent.trim() === 'features: 1'",
        timeout=30_000)
    assert map_.locator("path.leaflet-interactive").count() >= 1
    lab_page.screenshot("drawn")
