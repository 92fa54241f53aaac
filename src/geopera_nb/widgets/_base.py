"""The common base of the panels: error line, busy indicator, confirm step, background jobs.

Examples
--------
>>> from geopera_nb.widgets._base import Panel
>>> from geopera_nb.widgets._scheduler import ImmediateScheduler
>>> panel = Panel(scheduler=ImmediateScheduler())
>>> panel.run(lambda: 1 / 0, on_result=print)
>>> panel.error
'ZeroDivisionError: division by zero'
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import ipywidgets as w
import traitlets as t

from ._confirm import ConfirmDialog
from ._scheduler import Scheduler, ThreadScheduler

__all__ = ["Panel", "describe_error"]

T = TypeVar("T")


def describe_error(exc: BaseException) -> str:
    """One line for an exception: ``"409 Conflict: study already decided"`` for API errors.

    Parameters
    ----------
    exc
        Any exception; :class:`geopera_nb.errors.APIError` (``status``, ``problem``,
        ``detail``) is spelt out with its status code and the server's detail.

    Examples
    --------
    >>> describe_error(ValueError("bad AOI"))
    'ValueError: bad AOI'
    """
    status = getattr(exc, "status", None)
    if isinstance(status, int):
        problem = getattr(exc, "problem", None) or {}
        title = problem.get("title") if isinstance(problem, dict) else None
        detail = getattr(exc, "detail", None) or (
            problem.get("detail") if isinstance(problem, dict) else None
        )
        if not isinstance(detail, str):
            errors = getattr(exc, "errors", None)
            detail = "; ".join(
                f"{'.'.join(str(p) for p in e.get('loc', []))}: {e.get('msg')}"
                for e in errors or []
                if isinstance(e, dict)
            ) or str(exc)
        head = f"{status} {title}" if title else str(status)
        return f"{head}: {detail}"
    return f"{type(exc).__name__}: {exc}"


class Panel(w.VBox):
    """A VBox with an error line, a busy indicator, a confirm step and a job runner.

    Parameters
    ----------
    scheduler
        Where work runs (default: :class:`~geopera_nb.widgets._scheduler.ThreadScheduler`).

    Attributes
    ----------
    error : str
        The last error shown (empty when none); displayed in the ``gn-error`` HTML.
    busy : bool
        True while a background job runs; shows the ``gn-busy`` indicator.
    """

    error = t.Unicode("").tag(sync=False)
    busy = t.Bool(False).tag(sync=False)

    def __init__(self, scheduler: Scheduler | None = None, **kwargs: Any) -> None:
        self.scheduler: Scheduler = scheduler if scheduler is not None else ThreadScheduler()
        self.error_html = w.HTML()
        self.error_html.add_class("gn-error")
        self.busy_html = w.HTML("<i>working…</i>")
        self.busy_html.add_class("gn-busy")
        self.busy_html.layout.display = "none"
        self.confirm = ConfirmDialog()
        self._busy_count = 0
        self._busy_lock = threading.Lock()
        super().__init__(**kwargs)
        self.observe(self._on_error_change, "error")
        self.observe(self._on_busy_change, "busy")

    # --- display helpers -------------------------------------------------------------

    def show_error(self, exc: BaseException | str, context: str = "") -> None:
        """Show an error inline (never swallowed: it stays until the next action)."""
        text = exc if isinstance(exc, str) else describe_error(exc)
        self.error = f"{context}: {text}" if context else text

    def clear_error(self) -> None:
        """Remove the error line."""
        self.error = ""

    def _on_error_change(self, change: dict[str, Any]) -> None:
        message = change["new"]
        self.error_html.value = (
            f'<span style="color:#b00020">⚠ {html.escape(message)}</span>' if message else ""
        )

    def _on_busy_change(self, change: dict[str, Any]) -> None:
        self.busy_html.layout.display = None if change["new"] else "none"

    # --- background jobs -------------------------------------------------------------

    def run(
        self,
        job: Callable[[], T],
        on_result: Callable[[T], None],
        context: str = "",
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Run ``job`` through the scheduler; hand its value to ``on_result``.

        Exceptions (from the job or from ``on_result``) are shown with :meth:`show_error`
        (and passed to ``on_error`` when given); the busy indicator is on meanwhile.
        """

        def task() -> None:
            self._set_busy(+1)
            try:
                value = job()
                on_result(value)
            except Exception as exc:
                self.show_error(exc, context)
                if on_error is not None:
                    on_error(exc)
            finally:
                self._set_busy(-1)

        self.scheduler.submit(task)

    def ask_priced(
        self,
        question: str,
        *,
        price: Callable[[], dict[str, Any]],
        describe: Callable[[dict[str, Any]], str],
        on_yes: Callable[[], None],
        yes_label: str,
    ) -> None:
        """Open the confirm dialog at once, then show the server's price in it.

        The dialog reads ``question? pricing…`` (its Yes disabled) while ``price()`` runs;
        then ``describe(answer)`` (Yes enabled), or ``Cannot place: ...`` when the answer
        carries errors. Placement widgets use it so the credits shown are the API's.
        """
        self.confirm.ask(f"{question}? <i>pricing…</i>", on_yes=on_yes, yes_label=yes_label,
                         ready=False)

        def priced(answer: dict[str, Any]) -> None:
            if answer.get("errors"):
                problems = "; ".join(str(e.get("message")) for e in answer["errors"])
                self.confirm.set_message(f"Cannot place: {html.escape(problems)}", ready=False)
                return
            self.confirm.set_message(describe(answer), ready=True)

        self.run(price, priced, "price for placement")

    def _set_busy(self, delta: int) -> None:
        with self._busy_lock:
            self._busy_count += delta
            busy = self._busy_count > 0
        self.busy = busy

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until pending timers and jobs are done (tests, scripts).

        Returns
        -------
        bool
            ``False`` if work is still pending after ``timeout`` seconds.
        """
        return self.scheduler.wait_idle(timeout)
