"""Buying a bundle: price rules, one charge per purchase, and the purchase + license in one transaction.

Order of writes (what reconcile relies on after a crash):
1. one transaction: a pending ``Charge`` and a pending ``Purchase`` (unique per account and bundle — a second
   purchase of the same bundle, even with another Idempotency-Key, stops here and is never charged);
2. the provider authorizes and captures, keyed by the charge id (idempotent on its side);
3. one transaction: the charge captured, the purchase completed, the license, and the stored answer.
A crash between 2 and 3 leaves a pending charge that ``reconcile`` completes (provider captured) or cancels.
Runs on the API's worker threads (blocking provider calls).
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.bundle import GateType
from storefront.config import StoreConfig
from storefront.db import Database
from storefront.errors import ConflictError, InvalidInputError, NotFoundError, StoreError
from storefront.idempotency import Idempotency, StoredAnswer, request_fingerprint
from storefront.licensing import LicenseIssuer
from storefront.models import Bundle, Charge, ChargeStatus, License, Purchase, PurchaseStatus
from storefront.payments import Card, PaymentError, PaymentProvider, ProviderUnavailableError

MAX_AMOUNT_CENTS = 1_000_000  # pay-what-you-want ceiling: a typo guard, $10,000


@dataclass(frozen=True, slots=True)
class PurchaseRequest:
    bundle_id: str
    card: Card
    amount_cents: int | None = None


def error_body(exc: StoreError) -> dict[str, Any]:
    return {"error": {"code": exc.code, "message": exc.message}}


def money(cents: int, currency: str) -> str:
    return f"{cents / 100:.2f} {currency}"


def get_bundle(session: Any, bundle_id: str) -> Bundle:
    bundle = session.get(Bundle, bundle_id)
    if bundle is None:
        raise NotFoundError(f"There is no bundle {bundle_id!r} in this store.", code="unknown_bundle")
    return bundle


def purchase_answer(purchase: Purchase, token: str) -> dict[str, Any]:
    return {
        "purchase_id": purchase.id,
        "bundle_id": purchase.bundle_id,
        "amount_cents": purchase.amount_cents,
        "currency": purchase.currency,
        "license": token,
    }


class Purchases:
    def __init__(
        self,
        config: StoreConfig,
        database: Database,
        provider: PaymentProvider,
        issuer: LicenseIssuer,
        idempotency: Idempotency,
    ) -> None:
        self._config = config
        self._db = database
        self._provider = provider
        self._issuer = issuer
        self._idem = idempotency

    def purchase(self, account_id: str, key: str, request: PurchaseRequest) -> StoredAnswer:
        card_hash = hashlib.sha256(request.card.number.encode()).hexdigest()  # the number itself is not stored
        fingerprint = request_fingerprint(
            "purchase",
            request.bundle_id,
            request.amount_cents,
            card_hash,
            request.card.exp_month,
            request.card.exp_year,
        )
        claimed = self._idem.claim(account_id, key, fingerprint)
        if isinstance(claimed, StoredAnswer):
            return claimed
        try:
            return self._run(account_id, claimed, request)
        except StoreError as exc:
            if exc.code == "request_in_progress":
                pass  # reconcile owns this charge now and writes the answer a retry will get
            elif exc.status >= 500:
                self._idem.abandon(claimed)
            else:
                self._idem.finish_now(claimed, exc.status, error_body(exc))
            raise
        except BaseException:
            self._idem.abandon(claimed)
            raise

    def _run(self, account_id: str, record_id: int, request: PurchaseRequest) -> StoredAnswer:
        try:
            with self._db.write() as session:
                bundle = get_bundle(session, request.bundle_id)
                amount = self._amount(bundle, request.amount_cents)
                owned = session.scalar(
                    select(License.id).where(License.account_id == account_id, License.bundle_id == bundle.id)
                )
                if owned is not None:
                    raise _already_owned()
                if amount == 0:  # pay-what-you-want with a zero minimum, paying nothing: no charge at all
                    purchase = Purchase(
                        account_id=account_id,
                        bundle_id=bundle.id,
                        amount_cents=0,
                        currency=bundle.currency,
                        status=PurchaseStatus.COMPLETED,
                        charge_id=None,
                    )
                    session.add(purchase)
                    session.flush()
                    lic = self._issuer.issue(session, account_id=account_id, bundle_id=bundle.id, source="pwyw")
                    answer = StoredAnswer(201, purchase_answer(purchase, lic.token))
                    self._idem.finish(session, record_id, answer.status, answer.body)
                    return answer
                charge = Charge(
                    account_id=account_id,
                    bundle_id=bundle.id,
                    purpose="purchase",
                    provider=self._provider.name,
                    amount_cents=amount,
                    currency=bundle.currency,
                )
                session.add(charge)
                session.flush()
                purchase = Purchase(
                    account_id=account_id,
                    bundle_id=bundle.id,
                    charge_id=charge.id,
                    amount_cents=amount,
                    currency=bundle.currency,
                )
                session.add(purchase)
                session.flush()
                self._idem.attach_charge(session, record_id, charge.id)
        except IntegrityError as exc:  # a purchase of this bundle by this account exists or is under way
            with self._db.session() as session:
                existing = session.scalar(
                    select(Purchase.status).where(
                        Purchase.account_id == account_id, Purchase.bundle_id == request.bundle_id
                    )
                )
            if existing == PurchaseStatus.PENDING:
                raise ConflictError(
                    "Another purchase of this bundle is under way; nothing was charged for this one. "
                    "Check your licenses in a moment.",
                    code="purchase_pending",
                ) from exc
            raise _already_owned() from exc

        try:
            self._provider.authorize(charge.id, request.card, amount, bundle.currency)
            paid = self._provider.capture(charge.id)
        except ProviderUnavailableError:
            raise  # outcome unknown: the pending charge stays for reconcile to settle with the provider
        except PaymentError:
            with contextlib.suppress(PaymentError):
                self._provider.void(charge.id)  # refused at capture: release the hold (None if never authorized)
            self._cancel(charge.id, purchase.id, declined=True)
            raise

        with self._db.write() as session:
            charge = session.get_one(Charge, charge.id)
            if charge.status != ChargeStatus.PENDING:  # this request took so long that reconcile took over
                raise ConflictError(
                    "This purchase is being settled; retry with the same Idempotency-Key in a moment.",
                    code="request_in_progress",
                )
            charge.status = ChargeStatus.CAPTURED
            charge.fee_cents = paid.fee_cents
            purchase = session.get_one(Purchase, purchase.id)
            purchase.status = PurchaseStatus.COMPLETED
            lic = self._issuer.issue(
                session, account_id=account_id, bundle_id=bundle.id, source="purchase", charge_id=charge.id
            )
            answer = StoredAnswer(201, purchase_answer(purchase, lic.token))
            self._idem.finish(session, record_id, answer.status, answer.body)
        return answer

    def _amount(self, bundle: Bundle, offered: int | None) -> int:
        gate = GateType(bundle.gate_type)
        if gate is GateType.PAID:
            price = bundle.price_cents or 0
            if offered is not None and offered != price:
                raise InvalidInputError(
                    f"This bundle costs {money(price, bundle.currency)}; the amount sent was "
                    f"{money(offered, bundle.currency)}.",
                    code="wrong_amount",
                )
            return price
        if gate is GateType.PWYW:
            minimum = bundle.min_cents or 0
            amount = minimum if offered is None else offered
            if amount < minimum:
                raise InvalidInputError(
                    f"The creator asks for at least {money(minimum, bundle.currency)}.", code="below_minimum"
                )
            if amount > MAX_AMOUNT_CENTS:
                raise InvalidInputError(
                    f"The most one purchase can pay is {money(MAX_AMOUNT_CENTS, bundle.currency)}.",
                    code="above_maximum",
                )
            return amount
        hint = {
            GateType.FREE: "it is free: claim it instead",
            GateType.EMAIL: "it is free for your e-mail address",
            GateType.CAMPAIGN: "back its campaign with a pledge instead",
        }[gate]
        raise ConflictError(f"This bundle is not for sale; {hint}.", code="wrong_gate")

    def _cancel(self, charge_id: str, purchase_id: str, *, declined: bool) -> None:
        with self._db.write() as session:
            charge = session.get_one(Charge, charge_id)
            charge.status = ChargeStatus.DECLINED if declined else ChargeStatus.FAILED
            session.execute(delete(Purchase).where(Purchase.id == purchase_id))


def _already_owned() -> ConflictError:
    return ConflictError(
        "You already own this bundle; it was not charged again. Restore purchases to get its license.",
        code="already_owned",
    )
