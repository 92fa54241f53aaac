"""Open a report in headless Chromium with no network: what it draws, and screenshots.

Used by the main-job test (the maps render and draw features offline) and to make the
README's pictures from the report itself::

    python -m geopera_nb.report.browser out/02-tasking.html docs/img

Needs the ``playwright`` package and Debian's ``/usr/bin/chromium`` (never
``playwright install``). Every request that is not ``file:``, ``data:`` or ``blob:`` is
blocked and recorded in :attr:`OfflinePage.blocked`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "SCREENSHOTS",
    "OfflinePage",
    "open_offline",
    "screenshots",
]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
#: README picture -> the widget box it shows
SCREENSHOTS = {"planner.png": ".gn-tasking-planner", "coverage-map.png": ".gn-coverage",
               "timeline.png": "img.gn-report-plot"}
_LOCAL = ("file:", "data:", "blob:", "http://127.0.0.1", "http://localhost")

_MAPS_JS = """() => Array.from(document.querySelectorAll('.leaflet-container')).map(m => ({
  height: m.getBoundingClientRect().height,
  features: m.querySelectorAll('path.leaflet-interactive').length,
  coverage: !!m.closest('.gn-coverage'),
  fills: Array.from(m.querySelectorAll('path.leaflet-interactive'))
           .map(p => p.getAttribute('fill')).filter(f => f && f !== 'none'),
}))"""


@dataclass
class OfflinePage:
    """A loaded page and what it tried to fetch from the network."""

    page: Any
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def maps(self) -> list[dict[str, Any]]:
        """Per Leaflet map: on-screen height, features drawn, inside a CoverageMap, fills."""
        result: list[dict[str, Any]] = self.page.evaluate(_MAPS_JS)
        return result

    def wait_for_maps(self, count: int, timeout_ms: int = 60_000) -> None:
        """Wait until ``count`` maps have drawn at least one feature each."""
        self.page.wait_for_function(
            """(n) => { const maps = document.querySelectorAll('.leaflet-container');
                 return maps.length >= n && Array.from(maps).every(
                   m => m.querySelectorAll('path.leaflet-interactive').length > 0); }""",
            arg=count, timeout=timeout_ms)


@contextmanager
def open_offline(path: Path, *, width: int = 1300, height: int = 1000) -> Iterator[OfflinePage]:
    """``path`` (an HTML file) in headless Chromium with every network request blocked."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                     headless=True)
        try:
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            result = OfflinePage(page=page)

            def route(request_route: Any) -> None:
                url = request_route.request.url
                if url.startswith(_LOCAL):
                    request_route.continue_()
                else:
                    result.blocked.append(url)
                    request_route.abort()

            context.route("**/*", route)
            page.on("pageerror", lambda exc: result.errors.append(str(exc)))
            page.goto(path.resolve().as_uri())
            yield result
        finally:
            browser.close()


def screenshots(report: Path, out_dir: Path, *, maps: int = 3) -> list[Path]:
    """Save the README pictures (:data:`SCREENSHOTS`) from ``report``, offline."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with open_offline(report) as offline:
        offline.wait_for_maps(maps)
        offline.page.wait_for_timeout(1_000)  # let Leaflet finish its zoom animation
        for name, selector in SCREENSHOTS.items():
            target = out_dir / name
            offline.page.locator(selector).first.screenshot(path=str(target))
            written.append(target)
    return written


if __name__ == "__main__":
    for picture in screenshots(Path(sys.argv[1]), Path(sys.argv[2])):
        print(picture)
