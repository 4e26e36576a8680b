"""The question asked before removing torrents: keep the downloaded files, or delete them too (main thread)."""

from __future__ import annotations

import enum
from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget


class RemoveChoice(enum.Enum):
    KEEP_DATA = "keep"
    DELETE_DATA = "delete"


class RemoveTorrentsDialog(QMessageBox):
    """*Remove* keeps the files on disk; *Remove and delete files* deletes them; *Cancel* does nothing."""

    def __init__(self, names: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Question)
        self.setWindowTitle("Remove torrents")
        shown = ", ".join(f"“{name}”" for name in names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        self.setText(f"Remove {shown} from Bundlecast?")
        self.setInformativeText("The downloaded files can stay on disk or be deleted too.")
        self.keep_button = self.addButton("Remove", QMessageBox.ButtonRole.AcceptRole)
        self.delete_button = self.addButton("Remove and delete files", QMessageBox.ButtonRole.DestructiveRole)
        self.cancel_button = self.addButton(QMessageBox.StandardButton.Cancel)
        self.setDefaultButton(self.cancel_button)

    def ask(self, on_answer: Callable[[RemoveChoice | None], None]) -> None:
        """Show the question window-modally (``open()``, never a blocking ``exec()``); ``on_answer`` gets the
        user's answer, or None when cancelled."""
        self.finished.connect(lambda _result: on_answer(self.choice()))
        self.open()

    def choice(self) -> RemoveChoice | None:
        """The answer given (None until then, or when cancelled)."""
        clicked = self.clickedButton()
        if clicked is self.keep_button:
            return RemoveChoice.KEEP_DATA
        if clicked is self.delete_button:
            return RemoveChoice.DELETE_DATA
        return None
