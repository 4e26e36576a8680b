"""The Publish tab's front door: for an account without the creator role it says what being a creator means and
offers *Become a creator*; signed out it says to sign in; for a creator it shows the Publish page itself.

``role`` (does this account have the creator role? ``AuthRequired`` when signed out) and ``become`` (the creator
API's ``POST /creators/me`` with the name fans will see) block: both run on the task runner's workers, and the
answers come back on the main thread, so the UI thread never waits. The role is asked again each time the tab is
shown and when the account changes (``refresh``). Main thread only.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from app.store.errors import AuthRequired, StoreError
from app.ui.creator.publish_page import PublishPage
from app.ui.tasks import TaskRunner

WHAT_IT_MEANS = (
    "Creators publish their own bundles from this app: films, series, music, books. Your computer encrypts the "
    "locked files, makes the torrent and is the first seed; the store signs the bundle, keeps a copy online when "
    "you are away, sells it or runs its campaign, and shows you downloads, sales and what it owes you. "
    "The store keeps 10 % of what you sell. Anyone with an account can become a creator."
)
SIGN_IN_FIRST = "Sign in on the Store page to publish your own bundles."


class CreatorGate(QStackedWidget):
    """The Publish tab: the sign-in sentence, the *Become a creator* step, or the Publish page."""

    def __init__(
        self,
        runner: TaskRunner,
        page: PublishPage,
        *,
        role: Callable[[], bool],
        become: Callable[[str], object],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._role = role
        self._become = become
        self.page = page
        self.signed_out = QLabel(SIGN_IN_FIRST)
        self.signed_out.setWordWrap(True)
        self.intro = QWidget()
        self.explanation = QLabel(WHAT_IT_MEANS)
        self.explanation.setWordWrap(True)
        self.display_name = QLineEdit()
        self.display_name.setPlaceholderText("The name fans will see on your bundles")
        self.become_button = QPushButton("Become a creator")
        self.become_button.clicked.connect(self.become_creator)
        self.error = QLabel()
        self.error.setWordWrap(True)
        layout = QVBoxLayout(self.intro)
        layout.addWidget(QLabel("<b>Become a creator</b>"))
        layout.addWidget(self.explanation)
        layout.addWidget(self.display_name)
        layout.addWidget(self.become_button)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self.checking = QLabel("Checking your account…")
        for widget in (self.checking, self.signed_out, self.intro, page):
            self.addWidget(widget)
        self.setCurrentWidget(self.checking)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        """Ask the store for this account's role (on a worker) and show what fits."""
        self._runner.run(self._role, self._show_role, self._show_role_error)

    def _show_role(self, creator: bool) -> None:
        self.setCurrentWidget(self.page if creator else self.intro)
        if creator:
            self.page.look_for_unfinished()  # a publish this account's app was closed in is offered back

    def _show_role_error(self, exc: BaseException) -> None:
        if isinstance(exc, AuthRequired):
            self.setCurrentWidget(self.signed_out)
            return
        self.setCurrentWidget(self.intro)
        self.error.setText(_sentence(exc, "The store could not be reached to check your account. Try again later."))

    def become_creator(self) -> None:
        name = self.display_name.text().strip()
        if not name:
            self.error.setText("Give the name fans will see on your bundles.")
            return
        self.error.clear()
        self.become_button.setEnabled(False)

        def done(_answer: object) -> None:
            self.become_button.setEnabled(True)
            self.setCurrentWidget(self.page)

        def failed(exc: BaseException) -> None:
            self.become_button.setEnabled(True)
            if isinstance(exc, AuthRequired):
                self._show_role_error(exc)
            else:
                self.error.setText(_sentence(exc, "The store could not make you a creator just now. Try again."))

        self._runner.run(lambda: self._become(name), done, failed)


def _sentence(exc: BaseException, fallback: str) -> str:
    return exc.user_message if isinstance(exc, StoreError) else fallback
