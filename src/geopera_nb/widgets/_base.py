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
from .messages import error_message, row_sentence, unique

__all__ = ["Panel", "Verdict", "describe_error"]

T = TypeVar("T")


def describe_error(exc: BaseException) -> str:
    """One line for an exception, for a person (:func:`.messages.error_message`).

    Examples
    --------
    >>> describe_error(ValueError("bad AOI"))
    'ValueError: bad AOI'
    """
    return error_message(exc)


#: ``check()`` of :meth:`Panel.ask_priced`: (an HTML note for the dialog, warnings).
Verdict = tuple[str, list[str]]


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
        """Show an error inline (never swallowed: it stays until the next action).

        ``context`` says what was being done ("accepting the option"); the text comes
        from :func:`.messages.error_message`.
        """
        text = exc if isinstance(exc, str) else describe_error(exc)
        text = text[:1].upper() + text[1:]
        self.error = f"{context[:1].upper() + context[1:]}: {text}" if context else text

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
        check: Callable[[], Verdict] | None = None,
        problems: Callable[[dict[str, Any]], list[str]] | None = None,
    ) -> None:
        """Open the confirm dialog at once, then show the server's price in it.

        The dialog reads ``question? pricing…`` (its Yes disabled) while ``price()`` and
        ``check()`` run; then ``describe(answer)`` plus the check's note (Yes enabled),
        or ``Cannot place: ...`` when the answer carries errors. Warnings from ``check``
        (e.g. "not feasible") are shown in red and must be acknowledged (asked twice).
        Placement widgets use it so the credits and the verdict shown are the API's.

        Parameters
        ----------
        problems
            Sentences for the answer's errors (default: each ``errors[k]`` in words).
        """
        self.confirm.ask(f"{question}? <i>pricing…</i>", on_yes=on_yes, yes_label=yes_label,
                         ready=False)
        dialog = self.confirm

        def work() -> tuple[dict[str, Any], Verdict]:
            answer = price()
            if answer.get("errors") or check is None:
                return answer, ("", [])
            return answer, check()

        def priced(result: tuple[dict[str, Any], Verdict]) -> None:
            answer, (note, warnings) = result
            if not dialog.is_open:
                return  # cancelled meanwhile
            if answer.get("errors"):
                found = (problems(answer) if problems is not None
                         else unique(row_sentence(e) for e in answer["errors"]))
                dialog.set_message("Cannot place: " + html.escape("; ".join(found)),
                                   ready=False)
                return
            dialog.set_message(describe(answer) + note, ready=True,
                               warning=" ".join(unique(warnings)) or None)

        def failed(exc: BaseException) -> None:
            if dialog.is_open:  # never leave the question "pricing…" for ever
                dialog.set_message("Cannot place: " + html.escape(error_message(exc)),
                                   ready=False)

        self.run(work, priced, "pricing for placement", on_error=failed)

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
