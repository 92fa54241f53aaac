"""Schedulers, the latest-answer-wins query, the confirm step and the basemap."""

from __future__ import annotations

import threading
from typing import ClassVar

import ipyleaflet as L
import pytest

from geopera_nb.widgets import ImmediateScheduler, ThreadScheduler, make_map, zoom_to_bounds
from geopera_nb.widgets._base import Panel, describe_error
from geopera_nb.widgets._confirm import ConfirmDialog
from geopera_nb.widgets._live import LiveQuery
from geopera_nb.widgets.basemap import network_available
from geopera_nb.widgets.testing import ManualScheduler


def test_debounce_sends_the_first_change_at_once_and_coalesces_the_rest() -> None:
    clock = ManualScheduler()
    live = LiveQuery(clock, debounce=0.15)
    started: list[int] = []
    for _ in range(5):
        live.trigger(started.append)
        clock.advance(0.05)  # dragging faster than the debounce
    assert started == [1]  # leading edge: no wait after a quiet period
    clock.advance(0.1)
    assert started == [1, 5]  # trailing edge: the last state, once
    clock.advance(1.0)
    assert started == [1, 5] and clock.pending_timers == 0
    live.trigger(started.append)  # quiet again: at once
    assert started == [1, 5, 6]


def test_trailing_only_debounce() -> None:
    clock = ManualScheduler()
    live = LiveQuery(clock, debounce=0.15, leading=False)
    started: list[int] = []
    for _ in range(3):
        live.trigger(started.append)
        clock.advance(0.05)
    assert started == []
    clock.advance(0.15)
    assert started == [3]


def test_continuous_changes_are_rate_limited() -> None:
    clock = ManualScheduler()
    live = LiveQuery(clock, debounce=0.15)
    started: list[int] = []
    for _ in range(20):  # a 2 s drag, one change every 0.1 s: never quiet for 0.15 s
        live.trigger(started.append)
        clock.advance(0.1)
    clock.advance(0.2)
    assert started[0] == 1 and started[-1] == 20 and len(started) == 2


def test_stale_answers_are_dropped_whatever_the_arrival_order() -> None:
    clock = ManualScheduler(defer_jobs=True)
    live = LiveQuery(clock, debounce=0.0)
    shown: list[str] = []
    errors: list[str] = []

    def start(seq: int) -> None:
        live.job(seq, lambda: f"answer {seq}", shown.append, lambda e: errors.append(str(e)))

    live.trigger(start)
    clock.advance(0)
    live.trigger(start)
    clock.advance(0)
    clock.run_jobs(order=[0])  # the old answer arrives late: dropped
    assert shown == [] and live.stale_dropped == 1
    clock.run_jobs()
    assert shown == ["answer 2"]


def test_errors_of_current_requests_are_reported_stale_ones_dropped() -> None:
    clock = ManualScheduler(defer_jobs=True)
    live = LiveQuery(clock, debounce=0.0)
    errors: list[str] = []

    def boom() -> str:
        raise RuntimeError("server down")

    live.trigger(lambda seq: live.job(seq, boom, print, lambda e: errors.append(str(e))))
    clock.advance(0)
    clock.run_jobs()
    assert errors == ["server down"]


def test_thread_scheduler_runs_off_the_calling_thread() -> None:
    scheduler = ThreadScheduler()
    where: list[str] = []
    scheduler.call_later(
        0.01, lambda: scheduler.submit(lambda: where.append(threading.current_thread().name))
    )
    assert scheduler.wait_idle(5)
    assert where and where[0].startswith("gn-widget")
    handle = scheduler.call_later(10, lambda: where.append("never"))
    handle.cancel()
    assert scheduler.wait_idle(1)
    assert "never" not in where


def test_panel_shows_api_errors_with_status_and_detail() -> None:
    class Conflict(Exception):
        status = 409
        problem: ClassVar[dict[str, str]] = {"title": "Conflict", "detail": "study already decided"}
        detail = "study already decided"

    panel = Panel(scheduler=ImmediateScheduler())
    panel.run(lambda: (_ for _ in ()).throw(Conflict()), print, "accept")
    assert panel.error == "Accept: Study already decided (409)"
    assert "Study already decided (409)" in panel.error_html.value
    assert describe_error(KeyError("x")) == "KeyError: 'x'"
    assert not panel.busy


def test_confirm_dialog_runs_once_and_can_wait_for_a_price() -> None:
    dialog = ConfirmDialog()
    ran: list[int] = []
    dialog.ask("?", lambda: ran.append(1), ready=False)
    dialog.yes_button.click()
    assert ran == [] and dialog.is_open  # not ready: the price is still computing
    dialog.set_message("100 credits?")
    dialog.yes_button.click()
    dialog.yes_button.click()
    assert ran == [1] and not dialog.is_open and dialog.layout.display == "none"
    dialog.ask("?", lambda: ran.append(2))
    dialog.no_button.click()
    assert ran == [1]


def test_offline_map_has_world_outline_and_no_tiles(monkeypatch: pytest.MonkeyPatch) -> None:
    m = make_map(online=False)
    world = next(layer for layer in m.layers if layer.name == "World outline")
    assert isinstance(world, L.GeoJSON) and len(world.data["features"]) == 177
    assert not any(isinstance(layer, L.TileLayer) and layer.url for layer in m.layers)
    online = make_map(online=True)
    assert any(
        isinstance(layer, L.TileLayer) and "openstreetmap" in layer.url for layer in online.layers
    )
    monkeypatch.delenv("GEOPERA_NB_ONLINE")
    monkeypatch.setenv("CI", "true")
    assert network_available() is False
    monkeypatch.setenv("GEOPERA_NB_ONLINE", "1")
    assert network_available() is True


def test_zoom_to_bounds_without_a_browser() -> None:
    m = make_map(online=False)
    zoom_to_bounds(m, (149.0, -35.4, 149.2, -35.2))
    assert m.center == pytest.approx([-35.3, 149.1])
    assert m.zoom == 11
    zoom_to_bounds(m, (-180, -80, 180, 80))
    assert m.zoom == 1
