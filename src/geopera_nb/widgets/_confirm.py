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
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as w

__all__ = ["ConfirmDialog"]


class ConfirmDialog(w.VBox):
    """A hidden box that asks a yes/no question and runs the action at most once.

    CSS classes: ``gn-confirm`` (the box), ``gn-confirm-message``, ``gn-confirm-yes``,
    ``gn-confirm-no``.
    """

    def __init__(self) -> None:
        self.message = w.HTML()
        self.message.add_class("gn-confirm-message")
        self.yes_button = w.Button(description="Confirm", button_style="danger", icon="check")
        self.yes_button.add_class("gn-confirm-yes")
        self.no_button = w.Button(description="Cancel", icon="times")
        self.no_button.add_class("gn-confirm-no")
        super().__init__([self.message, w.HBox([self.yes_button, self.no_button])])
        self.add_class("gn-confirm")
        self.layout.display = "none"
        self._on_yes: Callable[[], None] | None = None
        self._on_no: Callable[[], None] | None = None
        self.yes_button.on_click(self._on_yes_click)
        self.no_button.on_click(self._on_no_click)

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
        self.message.value = message
        self.yes_button.description = yes_label
        self.yes_button.disabled = not ready
        self._on_yes, self._on_no = on_yes, on_no
        self.layout.display = None

    def set_message(self, message: str, ready: bool = True) -> None:
        """Replace the question's text and enable (or keep disabled) the confirm button."""
        self.message.value = message
        self.yes_button.disabled = not ready

    def close_dialog(self) -> None:
        """Hide the dialog and forget the pending actions."""
        self._on_yes = self._on_no = None
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
