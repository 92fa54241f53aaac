"""A progress bar for long batches: counts, an ETA and a Cancel button.

Examples
--------
>>> bar = BatchProgress()
>>> bar.start(40, "coverage")
>>> bar.update(10, 40, elapsed=5.0)
>>> bar.label.value
'coverage: 10 / 40 calls · about 15 s left'
>>> bar.cancel_button.click(); bar.cancel_event.is_set()
True
"""

from __future__ import annotations

import math
import threading
import time

import ipywidgets as w

from geopera_nb.frames._batch import eta_seconds

__all__ = ["BatchProgress", "format_eta"]


def format_eta(seconds: float | None) -> str:
    """``"about 15 s left"``, ``"about 3 min left"`` (empty before the first result).

    Examples
    --------
    >>> format_eta(None), format_eta(14.2), format_eta(200)
    ('', 'about 15 s left', 'about 4 min left')
    """
    if seconds is None:
        return ""
    if seconds < 90:
        return f"about {max(1, math.ceil(seconds))} s left"
    return f"about {math.ceil(seconds / 60)} min left"


class BatchProgress(w.HBox):
    """``IntProgress`` + label + Cancel; hidden until :meth:`start`.

    Updates from worker threads are throttled (at most every ``interval`` s, and the
    last one always), so a fast batch does not flood the front end with messages.
    """

    def __init__(self, interval: float = 0.2) -> None:
        self.bar = w.IntProgress(value=0, min=0, max=1, layout=w.Layout(width="220px"))
        self.bar.add_class("gn-progress-bar")
        self.label = w.Label("")
        self.label.add_class("gn-progress-label")
        self.cancel_button = w.Button(description="Cancel", icon="stop",
                                      layout=w.Layout(width="auto"))
        self.cancel_button.add_class("gn-cancel")
        self.cancel_event = threading.Event()
        self.interval = interval
        self._what = ""
        self._started = 0.0
        self._shown = 0.0
        self._lock = threading.Lock()
        super().__init__([self.bar, self.label, self.cancel_button])
        self.add_class("gn-progress")
        self.layout.display = "none"
        self.cancel_button.on_click(self._on_cancel_click)

    def start(self, total: int, what: str, *, new_batch: bool = True) -> None:
        """Show the bar at 0 of ``total`` (0: a step without a count).

        ``new_batch`` makes a fresh :attr:`cancel_event`; a later step of the same batch
        (``new_batch=False``) keeps it, so Cancel pressed during the first step holds.
        """
        if new_batch:
            self.cancel_event = threading.Event()
        self._what, self._started, self._shown = what, time.monotonic(), 0.0
        self.bar.max, self.bar.value = max(total, 1), 0
        self.cancel_button.disabled = False
        self.label.value = f"{what}: 0 / {total:,} calls" if total else f"{what}…"
        self.layout.display = None

    def update(self, done: int, total: int, elapsed: float | None = None) -> None:
        """``done`` of ``total`` finished (callable from any thread)."""
        now = time.monotonic()
        with self._lock:
            if done < total and now - self._shown < self.interval:
                return
            self._shown = now
        spent = elapsed if elapsed is not None else now - self._started
        eta = format_eta(eta_seconds(done, total, spent)) if done < total else ""
        self.bar.value = done
        self.label.value = f"{self._what}: {done:,} / {total:,} calls" + (f" · {eta}" if eta else "")

    def finish(self) -> None:
        """Hide the bar."""
        self.layout.display = "none"

    def _on_cancel_click(self, _button: w.Button | None = None) -> None:
        self.cancel_event.set()
        self.cancel_button.disabled = True
        self.label.value = f"{self._what}: cancelling…"
