"""The store's flows as the window runs them: sign in, get, give e-mail, buy, pledge, download, watch pilot.

``StoreActions`` receives the bundle page's requests (signals with a bundle id), opens the dialog the gate
needs (window-modal, never blocking the event loop), runs the store calls on the task runner, and reports
back through signals: ``license_acquired`` (the Library refreshes, the tray tells of a purchase),
``bundle_added`` (the torrent is in the engine), ``bundle_loaded`` (a bundle page to show), ``error`` (the
store's own sentence). A failure inside a dialog is shown in that dialog, which stays open.

Main thread; store, keyring and engine calls run on the task runner.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QWidget

from app.bundle import License
from app.library import AddedBundle, Library, StoreBackend, Want
from app.store.errors import AuthRequired, StoreError
from app.store.models import BundleDetail, GateType, StoreInfo
from app.ui.errors import user_message
from app.ui.store.dialogs import AccountDialog, EmailGateDialog, PaymentDialog
from app.ui.tasks import TaskRunner
from app.ui.units import format_price

log = logging.getLogger(__name__)


class StoreActions(QObject):
    store_connected = Signal(object)  # StoreInfo
    account_changed = Signal(str)  # e-mail, "" when signed out
    bundle_loaded = Signal(object, bool)  # BundleDetail, owned
    bundle_refreshed = Signal(object, bool)  # the same, re-read in the background (swarm health, campaign)
    license_acquired = Signal(str, str)  # bundle id, title
    purchase_completed = Signal(str, str)  # bundle id, title
    pledged = Signal(str, str)  # bundle id, title
    bundle_added = Signal(str, str, bool)  # bundle id, torrent id, pilot only
    error = Signal(str)

    def __init__(
        self,
        backend: StoreBackend,
        library: Library,
        tasks: TaskRunner,
        dialog_parent: Callable[[], QWidget | None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._backend = backend
        self._library = library
        self._tasks = tasks
        self._dialog_parent = dialog_parent
        self.store_info: StoreInfo | None = None
        self.account_email: str | None = None
        self.active_dialog: QDialog | None = None
        self._details: dict[str, BundleDetail] = {}
        self._unclaimed: set[str] = set()  # free bundles got while signed out: kept in the account at sign-in
        self._backed: set[str] = set()  # campaigns pledged to from this app (shown before the store lists them)
        self.account_changed.connect(self._claim_what_was_got_signed_out)
        for signal in (self.account_changed, self.license_acquired, self.pledged):
            signal.connect(self.refresh_badges)

    # --- connection and account ----------------------------------------------------------------------
    connect_failed = Signal(str)  # the store's sentence; the Store page offers to try again
    store_progress = Signal(str)  # a line of the embedded store's start-up log; emitted from a worker

    def connect_store(self) -> None:
        backend = self._backend
        self._tasks.run(lambda: (backend.connect(), backend.account_email()), self._on_connected,
                        self._on_connect_failed)

    def _on_connect_failed(self, exc: BaseException) -> None:
        # Every failure reaches the Store tab as a sentence (and the log with its detail); an unexpected kind
        # reads as the store's general sentence, never as an exception's text.
        log.warning("could not open the store: %s", getattr(exc, "detail", None) or exc, exc_info=exc)
        self.connect_failed.emit(exc.user_message if isinstance(exc, StoreError) else StoreError.default_message)

    def _on_connected(self, result: tuple[StoreInfo, str | None]) -> None:
        self.store_info, self.account_email = result
        self.store_connected.emit(self.store_info)
        self.account_changed.emit(self.account_email or "")

    def with_account(self, then: Callable[[], None]) -> None:
        """Run ``then`` once signed in, asking for an account first when needed."""
        if self.account_email:
            then()
            return
        dialog = AccountDialog(self._dialog_parent())
        self._open(dialog)

        def submit() -> None:
            email, password, creating = dialog.email.text().strip(), dialog.password.text(), dialog.creating

            def work() -> str:
                if creating:
                    self._backend.sign_up(email, password)  # signs in with the new account too
                else:
                    self._backend.sign_in(email, password)
                return email

            self._tasks.run(work, lambda e: self._on_signed_in(dialog, e, then), lambda x: dialog.show_error(
                user_message(x)))

        dialog.submitted.connect(submit)

    def _on_signed_in(self, dialog: QDialog, email: str, then: Callable[[], None]) -> None:
        self._close(dialog)
        self.account_email = email
        self.account_changed.emit(email)
        then()

    def sign_out(self) -> None:
        def done(_: object) -> None:
            self.account_email = None
            self.account_changed.emit("")

        self._tasks.run(self._backend.sign_out, done, self._fail)

    # --- bundle pages --------------------------------------------------------------------------------
    def open_bundle(self, bundle_id: str) -> None:
        self._tasks.run(partial(self._read_bundle, bundle_id), self._on_bundle_loaded, self._fail)

    def refresh_bundle(self, bundle_id: str) -> None:
        """Re-read a shown bundle for its live figures; a store that does not answer just keeps the old ones."""

        def refreshed(result: tuple[BundleDetail, bool]) -> None:
            self._details[result[0].id] = result[0]
            self.bundle_refreshed.emit(*result)

        self._tasks.run(partial(self._read_bundle, bundle_id), refreshed,
                        lambda exc: log.debug("bundle refresh failed: %s", type(exc).__name__))

    def _read_bundle(self, bundle_id: str) -> tuple[BundleDetail, bool]:
        """The bundle and whether this fan owns it (worker thread)."""
        detail = self._backend.bundle(bundle_id)
        # Licenses stay on this computer after signing out (app.store.account): still the fan's bundle.
        return detail, bool(self._backend.licenses_for_bundle(bundle_id))

    def is_live(self, bundle_id: str) -> bool:
        """Whether a bundle whose page was read is a live broadcast (its license is a ticket, not a download)."""
        detail = self._details.get(bundle_id)
        return detail is not None and detail.live is not None

    def _on_bundle_loaded(self, result: tuple[BundleDetail, bool]) -> None:
        detail, owned = result
        self._details[detail.id] = detail
        self.bundle_loaded.emit(detail, owned)

    # --- gates ---------------------------------------------------------------------------------------
    badges_changed = Signal(object, object)  # frozenset of owned bundle ids, frozenset of pledged ones

    def refresh_badges(self, *_args: object) -> None:
        """Work out which bundles are this fan's (a license) and which they backed: the account's pledges as the
        store lists them (made here, on another computer or on the web) and those made from this app."""
        self._read_badges(ask_store=True)

    def show_badges(self) -> None:
        """The badges again from what is known, without asking the store (the Library has just asked it)."""
        self._read_badges(ask_store=False)

    def _read_badges(self, *, ask_store: bool) -> None:
        backed_here, backend = frozenset(self._backed), self._backend

        def read() -> tuple[frozenset[str], frozenset[str]]:  # on a worker: keyring, and the store when asked
            owned = frozenset(lic.bundle_id for lic in backend.licenses())
            return owned, backed_here | backend.backed_bundles(sync=ask_store)

        self._tasks.run(read, lambda badges: self.badges_changed.emit(*badges),
                        lambda exc: log.debug("badges not refreshed: %s", type(exc).__name__))

    free_download_started = Signal(str, str)  # bundle id, title: a free bundle downloading without an account

    def get(self, bundle_id: str) -> None:
        """A free bundle: signed in, it is claimed (kept in the account) and downloaded; signed out, it downloads
        at once — its files are not encrypted and its torrent is public — and is claimed at the next sign-in."""
        detail = self._details.get(bundle_id)
        if self.account_email or detail is None or any(f.locked for f in detail.files):
            self.with_account(lambda: self._claim(bundle_id))
            return
        self._unclaimed.add(bundle_id)

        def started(added: AddedBundle) -> None:
            self.bundle_added.emit(added.bundle_id, added.torrent_id, False)
            self.free_download_started.emit(added.bundle_id, added.title)

        self._tasks.run(lambda: self._library.add(bundle_id, Want.FREE), started, self._fail)

    def _claim(self, bundle_id: str) -> None:
        self._unclaimed.discard(bundle_id)
        self._tasks.run(lambda: self._backend.claim(bundle_id), self._on_license, self._fail)

    def _claim_what_was_got_signed_out(self, email: str) -> None:
        for bundle_id in sorted(self._unclaimed) if email else ():
            self._tasks.run(partial(self._backend.claim, bundle_id), self._on_license,
                            lambda exc: log.info("keeping a free bundle in the account failed: %s", exc))
        if email:
            self._unclaimed.clear()

    def give_email(self, bundle_id: str) -> None:
        self.with_account(lambda: self._email_dialog(bundle_id))

    def _email_dialog(self, bundle_id: str) -> None:
        detail = self._details.get(bundle_id)
        dialog = EmailGateDialog(detail.creator if detail else "The creator", self.account_email or "",
                                 self._dialog_parent())
        self._open(dialog)

        def submit() -> None:
            email = dialog.email.text().strip()
            if dialog.step == 1:
                if not dialog.consent.isChecked():
                    dialog.show_error("Please tick the box to agree to receive e-mail from the creator.")
                    return
                self._tasks.run(lambda: self._backend.request_email_code(bundle_id, email),
                                lambda sent: dialog.ask_code(sent.dev_code),
                                lambda x: dialog.show_error(user_message(x)))
            else:
                code = dialog.code.text().strip()
                self._tasks.run(lambda: self._backend.confirm_email(bundle_id, email, code),
                                lambda lic: self._dialog_license(dialog, lic),
                                lambda x: dialog.show_error(user_message(x)))

        dialog.submitted.connect(submit)

    def buy(self, bundle_id: str) -> None:
        self.with_account(lambda: self._payment_dialog(bundle_id, pledge=False))

    def pledge(self, bundle_id: str) -> None:
        self.with_account(lambda: self._payment_dialog(bundle_id, pledge=True))

    def _payment_dialog(self, bundle_id: str, *, pledge: bool) -> None:
        detail = self._details.get(bundle_id)
        if detail is None:
            self.error.emit("Open the bundle's page first.")
            return
        gate = detail.gate
        cards = self.store_info.test_cards if self.store_info and self.store_info.demo else ()
        if pledge:
            price = (f"Pledge {format_price(gate.price_cents or 0, gate.currency)} to “{detail.title}”. "
                     "Your card is only charged if the campaign reaches its goal.")
        elif gate.type is GateType.PWYW:
            price = f"Pay what you want for “{detail.title}”."
        elif detail.live is not None and detail.files:  # an ended broadcast's recording (its ticket opens it)
            price = f"The recording of “{detail.title}” for {format_price(gate.price_cents or 0, gate.currency)}."
        elif detail.live is not None:
            price = f"A ticket to “{detail.title}” for {format_price(gate.price_cents or 0, gate.currency)}."
        else:
            price = f"Buy “{detail.title}” for {format_price(gate.price_cents or 0, gate.currency)}."
        dialog = PaymentDialog("Back this campaign" if pledge else "Buy", price, cards,
                               min_cents=gate.min_cents if gate.type is GateType.PWYW else None,
                               ok_text="Pledge" if pledge else "Pay", parent=self._dialog_parent())
        self._open(dialog)

        def submit() -> None:
            card, amount = dialog.card(), dialog.amount_cents()
            if pledge and detail.campaign is not None:
                campaign_id = detail.campaign.id
                self._tasks.run(lambda: self._backend.pledge(campaign_id, card),
                                lambda _r: self._on_pledged(dialog, detail),
                                lambda x: dialog.show_error(user_message(x)))
            else:
                self._tasks.run(lambda: self._backend.buy(bundle_id, card, amount),
                                lambda lic: self._dialog_license(dialog, lic, purchase=True),
                                lambda x: dialog.show_error(user_message(x)))

        dialog.submitted.connect(submit)

    def _on_pledged(self, dialog: QDialog, detail: BundleDetail) -> None:
        self._close(dialog)
        self._backed.add(detail.id)
        self.pledged.emit(detail.id, detail.title)
        self.open_bundle(detail.id)
        # A backer's campaign joins the Library at once (with its free pilot); the season opens when it is funded.
        self._tasks.run(lambda: self._library.add(detail.id, Want.FREE, backed=True),
                        lambda added: self.bundle_added.emit(added.bundle_id, added.torrent_id, False), self._fail)

    def _dialog_license(self, dialog: QDialog, lic: License, *, purchase: bool = False) -> None:
        self._close(dialog)
        self._on_license(lic, purchase=purchase)

    def _on_license(self, lic: License, *, purchase: bool = False) -> None:
        detail = self._details.get(lic.bundle_id)
        title = detail.title if detail else lic.bundle_id
        self.license_acquired.emit(lic.bundle_id, title)
        if purchase:
            self.purchase_completed.emit(lic.bundle_id, title)
        if detail is None or detail.live is None or detail.files:  # a ticket has nothing to download until a recording
            self.download(lic.bundle_id)
        self.open_bundle(lic.bundle_id)

    # --- downloads -----------------------------------------------------------------------------------
    def download(self, bundle_id: str, *, recheck: bool = False) -> None:
        """Add an owned (or free) bundle with every file it may have."""
        def work() -> AddedBundle:
            return self._library.add(bundle_id, recheck=recheck)  # everything when owned, else the free files

        self._tasks.run(work, lambda added: self.bundle_added.emit(added.bundle_id, added.torrent_id, False),
                        self._fail)

    def watch_pilot(self, bundle_id: str) -> None:
        self._tasks.run(lambda: self._library.add(bundle_id, Want.PILOT),
                        lambda added: self.bundle_added.emit(added.bundle_id, added.torrent_id, True), self._fail)

    # --- helpers -------------------------------------------------------------------------------------
    def _open(self, dialog: QDialog) -> None:
        self.active_dialog = dialog
        dialog.finished.connect(lambda _r: self._forget(dialog))
        dialog.open()

    def _forget(self, dialog: QDialog) -> None:
        if self.active_dialog is dialog:
            self.active_dialog = None
        dialog.deleteLater()

    def _close(self, dialog: QDialog) -> None:
        dialog.accept()

    def _fail(self, exc: BaseException) -> None:
        if isinstance(exc, AuthRequired) and self.account_email:
            # The session expired (the store client already dropped the token): show "signed out" so the
            # next action asks to sign in again.
            self.account_email = None
            self.account_changed.emit("")
        self.error.emit(user_message(exc))
