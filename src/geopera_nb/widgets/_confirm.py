"""An inline confirm step (no modal windows: they do not survive notebook reloads).

Examples
--------
>>> from geopera_nb.widgets._confirm import ConfirmDialog
>>> dialog = ConfirmDialog()
>>> answers = []
>>> dialog.ask("Place the order for <b>100</b> credits?", lambda: answers.append("yes"))
>>> dialog.is_open
True
>>> dialog.yes_button.click()
>>> dialog.yes_button.click()   # a double click runs the action once
>>> answers, dialog.is_open
(['yes'], False)

A warning makes it ask twice: the confirm button stays disabled until the user ticks
"place it anyway" (a double click on the button can never get past it):

>>> dialog.ask("Place?", lambda: answers.append("risky"))
>>> dialog.set_message("Place?", warning="the server predicts it fails")
>>> dialog.yes_button.click(); answers
['yes']
>>> dialog.ack.value = True
>>> dialog.yes_button.click(); answers
['yes', 'risky']
"""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as w

__all__ = ["ConfirmDialog"]

WARNING_STYLE = "color:#b00020;font-weight:bold"


class ConfirmDialog(w.VBox):
    """A hidden box that asks a yes/no question and runs the action at most once.

    CSS classes: ``gn-confirm`` (the box), ``gn-confirm-message``, ``gn-confirm-yes``,
    ``gn-confirm-no``; with a warning, ``gn-confirm-warning`` (red) and the
    acknowledgement checkbox ``gn-confirm-ack``.
    """

    def __init__(self) -> None:
        self.message = w.HTML()
        self.message.add_class("gn-confirm-message")
        self.warning = w.HTML()
        self.warning.add_class("gn-confirm-warning")
        self.ack = w.Checkbox(False, description="I understand: do it anyway", indent=False,
                              layout=w.Layout(width="auto", display="none"))
        self.ack.add_class("gn-confirm-ack")
        self.yes_button = w.Button(description="Confirm", button_style="danger", icon="check",
                                   layout=w.Layout(width="auto"))
        self.yes_button.add_class("gn-confirm-yes")
        self.no_button = w.Button(description="Cancel", icon="times")
        self.no_button.add_class("gn-confirm-no")
        super().__init__([self.message, self.warning, self.ack,
                          w.HBox([self.yes_button, self.no_button])])
        self.add_class("gn-confirm")
        self.layout.display = "none"
        self.layout.border = "1px solid #ccc"
        self.layout.padding = "4px"
        self._on_yes: Callable[[], None] | None = None
        self._on_no: Callable[[], None] | None = None
        self._ready = False
        self._label = "Confirm"
        self.yes_button.on_click(self._on_yes_click)
        self.no_button.on_click(self._on_no_click)
        self.ack.observe(self._on_ack_change, "value")

    @property
    def is_open(self) -> bool:
        """Whether a question waits for an answer."""
        return self._on_yes is not None

    def ask(
        self,
        message: str,
        on_yes: Callable[[], None],
        on_no: Callable[[], None] | None = None,
        yes_label: str = "Confirm",
        ready: bool = True,
    ) -> None:
        """Show ``message`` (HTML) and run ``on_yes`` when the user confirms.

        Parameters
        ----------
        message
            The question, as HTML.
        on_yes, on_no
            Run (once) on confirm / cancel.
        yes_label
            The confirm button's text.
        ready
            ``False`` keeps the confirm button disabled until :meth:`set_message` is
            called with ``ready=True`` (e.g. while the price is being computed).
        """
        self._on_yes, self._on_no = on_yes, on_no
        self._label = yes_label
        self.set_message(message, ready=ready)
        self.layout.display = None

    def set_message(self, message: str, ready: bool = True, warning: str | None = None) -> None:
        """Replace the question's text and enable (or keep disabled) the confirm button.

        Parameters
        ----------
        message
            The question, as HTML.
        ready
            Whether the question can be answered yes.
        warning
            Plain text (escaped here) shown in red; the user must then tick
            ``ack`` before the confirm button (relabelled "... anyway") works.
        """
        self.message.value = message
        self._ready = ready
        self.warning.value = (f'<div class="gn-warning-text" style="{WARNING_STYLE}">'
                              f"⚠ {html.escape(warning)}</div>"
                              if warning else "")
        self.ack.value = False
        self.ack.layout.display = None if warning and ready else "none"
        self.yes_button.description = f"{self._label} anyway" if warning else self._label
        self.yes_button.button_style = "danger"
        self._sync_yes()

    @property
    def warned(self) -> bool:
        """Whether the open question carries a warning (it must be acknowledged)."""
        return bool(self.warning.value)

    def _sync_yes(self) -> None:
        self.yes_button.disabled = not (self._ready and (self.ack.value or not self.warned))

    def _on_ack_change(self, _change: dict[str, object]) -> None:
        self._sync_yes()

    def focus(self) -> None:
        """Ask the browser to focus the Cancel button, which scrolls the dialog into view."""
        self.no_button.focus()

    def close_dialog(self) -> None:
        """Hide the dialog and forget the pending actions."""
        self._on_yes = self._on_no = None
        self.warning.value = ""
        self.ack.value = False
        self.ack.layout.display = "none"
        self.layout.display = "none"

    def _on_yes_click(self, _button: w.Button | None = None) -> None:
        action = self._on_yes
        if action is None or self.yes_button.disabled:
            return
        self.close_dialog()
        action()

    def _on_no_click(self, _button: w.Button | None = None) -> None:
        action = self._on_no
        self.close_dialog()
        if action is not None:
            action()
