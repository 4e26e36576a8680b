"""The campaign page's backing panel: reward tiers with their prices, "You backed this" with the backer's tier
(read from the store, so it is right after a restart), pledge / change tier / cancel before the deadline, what
happens if the goal is missed in plain words, and the creator's updates. After the deadline (the store's campaign
state, or no seconds left while it settles) the tiers and the pledge and cancel buttons are greyed out and the panel
says whether the goal was met.

Every call goes through the runner's workers (``load`` reads tiers, my pledge and updates together; ``set_tier``
and ``cancel`` change the pledge); answers come back on the main thread. Errors are shown as sentences.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.store.models import Campaign, CampaignState
from app.ui.creator.money import dollars
from app.ui.tasks import TaskRunner

MISSED_GOAL = "If the goal is missed, nobody is charged and the pilot stays free."
GOAL_MET = "The campaign has ended and met its goal: each backer was charged once, at their final tier."
GOAL_MISSED = "The campaign has ended without reaching its goal: nobody was charged, and the pilot stays free."
SETTLING = "The campaign has ended; the store is settling it now. Pledges can no longer change."


@dataclass(frozen=True, slots=True)
class BackingState:
    tiers: list[dict[str, Any]]
    mine: dict[str, Any]
    updates: list[dict[str, Any]] = field(default_factory=list)
    campaign: Campaign | None = None  # its state and time left (None: not known, treated as open)

    @property
    def ended(self) -> str | None:
        """The sentence for a campaign past its deadline, or None while pledges may change."""
        if self.campaign is None:
            return None
        if self.campaign.state == CampaignState.SUCCEEDED:
            return GOAL_MET
        if self.campaign.state == CampaignState.FAILED:
            return GOAL_MISSED
        return SETTLING if self.campaign.seconds_left <= 0 else None


class BackingPanel(QWidget):
    changed = Signal()  # a pledge was made, changed or cancelled
    backed_shown = Signal(bool)  # the store's answer was shown: whether this fan backed it
    def __init__(
        self,
        runner: TaskRunner,
        *,
        load: Callable[[], BackingState],
        set_tier: Callable[[str], dict[str, Any]],
        cancel: Callable[[], dict[str, Any]],
        ask_card: Callable[[Callable[[], None]], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """``ask_card(then)`` (main thread) asks the fan for the card to hold and calls ``then`` once it is given."""
        super().__init__(parent)
        self._runner = runner
        self._load = load
        self._set_tier = set_tier
        self._cancel = cancel
        self._ask_card = ask_card
        self._tiers: list[dict[str, Any]] = []
        self.backed = QLabel()
        self.backed.setWordWrap(True)
        self.missed = QLabel(MISSED_GOAL)
        self.tier_box = QVBoxLayout()
        self.tier_group = QButtonGroup(self)
        self.pledge_button = QPushButton("Back at this tier")
        self.pledge_button.clicked.connect(self._pledge_selected)
        self.cancel_button = QPushButton("Cancel my pledge")
        self.cancel_button.clicked.connect(self.cancel_pledge)
        self.updates = QListWidget()
        self.message = QLabel()
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.pledge_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.backed)
        layout.addLayout(self.tier_box)
        layout.addLayout(buttons)
        layout.addWidget(self.missed)
        layout.addWidget(QLabel("Updates from the creator"))
        layout.addWidget(self.updates)
        layout.addWidget(self.message)

    def refresh(self) -> None:
        self._runner.run(self._load, self.show_state, self._show_error)

    def show_state(self, state: BackingState) -> None:
        self._tiers = state.tiers
        for button in self.tier_group.buttons():
            self.tier_group.removeButton(button)
            button.deleteLater()
        for index, tier in enumerate(state.tiers):
            button = QRadioButton(f"{dollars(tier['price_cents'])} — {tier['title']}")
            button.setToolTip(tier.get("description") or "")
            self.tier_group.addButton(button, index)
            self.tier_box.addWidget(button)
            if state.mine.get("tier_id") == tier["id"]:
                button.setChecked(True)
        if state.mine.get("backed"):
            names = {str(t["id"]): str(t["title"]) for t in state.tiers}
            name = names.get(str(state.mine["tier_id"]), str(state.mine["tier_id"]))
            self.backed.setText(f"You backed this — {name} ({dollars(state.mine['amount_cents'])}).")
            self.pledge_button.setText("Change to this tier")
            self.cancel_button.setEnabled(True)
        else:
            self.backed.setText("You have not backed this yet.")
            self.pledge_button.setText("Back at this tier")
            self.cancel_button.setEnabled(False)
        ended = state.ended
        if ended is not None and not state.mine.get("backed"):  # "not yet" would promise a chance that is gone
            self.backed.setText("You have no pledge on this campaign.")
        for button in self.tier_group.buttons():
            button.setEnabled(ended is None)
        self.pledge_button.setEnabled(ended is None)
        self.cancel_button.setEnabled(ended is None and bool(state.mine.get("backed")))
        self.missed.setText(ended or MISSED_GOAL)
        self.updates.clear()
        for update in state.updates:
            self.updates.addItem(f"{update['title']} — {update['body']}")
        self.backed_shown.emit(bool(state.mine.get("backed")))

    def choose_tier(self, tier_id: str) -> None:
        for index, tier in enumerate(self._tiers):
            if tier["id"] == tier_id:
                button = self.tier_group.button(index)
                if button is not None:
                    button.setChecked(True)

    def _pledge_selected(self) -> None:
        index = self.tier_group.checkedId()
        if index < 0:
            self.message.setText("Choose a reward tier first.")
            return
        tier_id = str(self._tiers[index]["id"])
        self.message.clear()

        def send() -> None:
            self._runner.run(lambda: self._set_tier(tier_id), self._changed, self._show_error)

        if self._ask_card is not None:
            self._ask_card(send)
        else:
            send()

    def pledge(self, tier_id: str) -> None:
        self.choose_tier(tier_id)
        self._pledge_selected()

    def cancel_pledge(self) -> None:
        self.message.clear()
        self._runner.run(self._cancel, self._changed, self._show_error)

    def _changed(self, _answer: object) -> None:
        self.refresh()
        self.changed.emit()

    def _show_error(self, exc: BaseException) -> None:
        self.message.setText(str(getattr(exc, "user_message", exc)))
