"""The store's dialogs: sign in / sign up, the payment form (with the demo store's test cards), and the
e-mail gate's two steps (address and consent, then the confirmation code).

Each dialog only collects input; the composition's ``StoreActions`` runs the store calls on a worker and
shows the store's own sentence in the dialog (``show_error``) when one fails, keeping the dialog open.

Main thread only.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.store.models import Card, TestCard


class _FormDialog(QDialog):
    """A form with an error line and OK/Cancel; ``submitted`` fires on OK, the dialog stays open."""

    submitted = Signal()

    def __init__(self, title: str, ok_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(420)
        self.form = QFormLayout()
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.intro.hide()
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b3261e;")
        self.error.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(ok_text)
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def set_intro(self, text: str) -> None:
        self.intro.setText(text)
        self.intro.show()

    def _submit(self) -> None:
        self.error.hide()
        self.set_busy(True)
        self.submitted.emit()

    def set_busy(self, busy: bool) -> None:
        self.ok_button.setEnabled(not busy)

    def show_error(self, text: str) -> None:
        self.set_busy(False)
        self.error.setText(text)
        self.error.show()


class AccountDialog(_FormDialog):
    """Sign in to the store, or create an account (``creating`` tells which)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Sign in to the store", "Sign in", parent)
        self.email = QLineEdit()
        self.email.setPlaceholderText("you@example.com")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.new_account = QCheckBox("I'm new here: create my account")
        self.new_account.toggled.connect(lambda on: self.ok_button.setText("Create account" if on else "Sign in"))
        self.form.addRow("E-mail", self.email)
        self.form.addRow("Password", self.password)
        self.form.addRow("", self.new_account)
        self.set_intro("Your purchases are kept in your account and in this computer's keyring.")

    @property
    def creating(self) -> bool:
        return self.new_account.isChecked()


class PaymentDialog(_FormDialog):
    """Card details (and the amount for pay-what-you-want); in the demo store the test cards are listed."""

    def __init__(
        self,
        title: str,
        price_text: str,
        test_cards: tuple[TestCard, ...],
        *,
        min_cents: int | None = None,
        ok_text: str = "Pay",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(title, ok_text, parent)
        self.set_intro(price_text)
        self.number = QLineEdit()
        self.number.setPlaceholderText("1234 5678 9012 3456")
        year = dt.datetime.now(tz=dt.UTC).year
        self.exp_month = QSpinBox()
        self.exp_month.setRange(1, 12)
        self.exp_month.setValue(12)
        self.exp_year = QSpinBox()
        self.exp_year.setRange(year, year + 20)
        self.exp_year.setValue(year + 3)
        self.cvc = QLineEdit()
        self.cvc.setMaxLength(4)
        self.cvc.setText("")
        self.amount: QDoubleSpinBox | None = None
        if min_cents is not None:
            self.amount = QDoubleSpinBox()
            self.amount.setRange(min_cents / 100, 10_000)
            self.amount.setValue(max(min_cents / 100, 5.0))
            self.amount.setPrefix("$")
            self.form.addRow("Amount", self.amount)
        self.form.addRow("Card number", self.number)
        self.form.addRow("Expires (month)", self.exp_month)
        self.form.addRow("Expires (year)", self.exp_year)
        self.form.addRow("CVC", self.cvc)
        self.test_cards_label = QLabel()
        if test_cards:
            lines = "\n".join(
                f"{c.number[:4]} {c.number[4:8]} {c.number[8:12]} {c.number[12:]} — {c.outcome.replace('_', ' ')}"
                for c in test_cards)
            self.test_cards_label.setText(f"This is a demo store: no real money moves. Test cards:\n{lines}")
            self.test_cards_label.setStyleSheet("color: #555;")
            self.form.addRow("", self.test_cards_label)
            first_success = next((c for c in test_cards if "succe" in c.outcome.lower()), test_cards[0])
            self.number.setText(first_success.number)
            self.cvc.setText("123")

    def card(self) -> Card:
        return Card(self.number.text().replace(" ", ""), self.exp_month.value(), self.exp_year.value(),
                    self.cvc.text().strip())

    def amount_cents(self) -> int | None:
        return None if self.amount is None else round(self.amount.value() * 100)


class EmailGateDialog(_FormDialog):
    """Step 1: the address and consent. Step 2 (``ask_code``): the code the store mailed."""

    def __init__(self, creator: str, default_email: str, parent: QWidget | None = None) -> None:
        super().__init__("Get it for your e-mail address", "Send code", parent)
        self.set_intro(f"{creator} offers this bundle for your e-mail address. We'll send a code to confirm it.")
        self.email = QLineEdit(default_email)
        self.consent = QCheckBox(f"I agree that {creator} may e-mail me")
        self.code = QLineEdit()
        self.code.setPlaceholderText("the code from the e-mail")
        self.form.addRow("E-mail", self.email)
        self.form.addRow("", self.consent)
        self.code_row_label = QLabel("Code")
        self.form.addRow(self.code_row_label, self.code)
        self.code.hide()
        self.code_row_label.hide()
        self.step = 1

    def ask_code(self, dev_code: str | None) -> None:
        """Switch to step 2; a demo store without SMTP reveals the code, which is pre-filled."""
        self.step = 2
        self.set_busy(False)
        self.email.setEnabled(False)
        self.consent.setEnabled(False)
        self.code.show()
        self.code_row_label.show()
        self.ok_button.setText("Confirm")
        if dev_code:
            self.code.setText(dev_code)
            self.set_intro(f"Demo store: no mail server, so here is the code it would have sent: {dev_code}")
        else:
            self.set_intro(f"We sent a code to {self.email.text()}. Type it here.")
