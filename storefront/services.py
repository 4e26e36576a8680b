"""The store's parts, built once from a ``StoreConfig`` and injected (``app.state.services``, the CLI).

``build_services`` opens the database, migrates it, loads or creates the keys, and wires accounts, payments,
gates, campaigns, licensing and reconcile together. No globals: every caller gets what it built.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import or_, select

from storefront.accounts import Accounts
from storefront.campaigns import Campaigns
from storefront.config import StoreConfig
from storefront.db import Database
from storefront.errors import StoreError
from storefront.external_tracker import ExternalTracker
from storefront.gates import Gates
from storefront.idempotency import Idempotency
from storefront.keys import StoreKeys, load_store_keys
from storefront.licensing import LicenseIssuer
from storefront.live import LiveEvents
from storefront.mail import Mailer
from storefront.models import Bundle
from storefront.payments import PaymentProvider, TestCardProvider
from storefront.purchases import Purchases
from storefront.reconcile import Reconciler
from storefront.tracker import SwarmRegistry

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StoreServices:
    config: StoreConfig
    db: Database
    keys: StoreKeys
    provider: PaymentProvider
    issuer: LicenseIssuer
    accounts: Accounts
    idempotency: Idempotency
    purchases: Purchases
    gates: Gates
    campaigns: Campaigns
    reconciler: Reconciler
    swarm: SwarmRegistry | ExternalTracker

    def close(self) -> None:
        self.db.dispose()


def configured_provider(config: StoreConfig, db: Database) -> PaymentProvider:
    """The payment provider the configuration names: the embedded test-card one (default) or Stripe."""
    if config.payment_provider == "stripe":
        if config.stripe is None:
            raise StoreError(
                "The Stripe provider needs STRIPE_SECRET_KEY (or BUNDLECAST_STRIPE_KEY_FILE) in the environment."
            )
        from storefront.payments.stripe_provider import StripeProvider  # the SDK only where it is used

        return StripeProvider(db, config.stripe)
    if config.payment_provider != "testcard":
        raise StoreError(f"Unknown payment provider {config.payment_provider!r}; use 'testcard' or 'stripe'.")
    return TestCardProvider(db, latency_s=config.payment_latency_s)


def build_services(config: StoreConfig, *, provider: PaymentProvider | None = None) -> StoreServices:
    config.ensure_dirs()
    db = Database(config.effective_database_url)
    db.migrate()
    keys = load_store_keys(config)
    provider = provider or configured_provider(config, db)
    issuer = LicenseIssuer(config, keys)
    idempotency = Idempotency(db, wait_s=config.idempotency_wait_s)
    mailer = Mailer(config.smtp, config.name) if config.smtp else None
    campaigns = Campaigns(config, db, provider, issuer, idempotency)

    def resolve(info_hash: bytes) -> tuple[str, str] | None:
        """The tracker asks about a hash it has not seen: is it one of our bundles (v1, or v2 truncated)?"""
        hex_hash = info_hash.hex()
        with db.session() as session:
            row = session.execute(
                select(Bundle.info_hash_v1, Bundle.info_hash_v2).where(
                    or_(Bundle.info_hash_v1 == hex_hash, Bundle.info_hash_v2.startswith(hex_hash))
                )
            ).first()
        if row is None or row[0] is None:
            live_stream = LiveEvents(config, db, keys).swarm_for(hex_hash)  # issue 9: a live bundle's swarm
            return None if live_stream is None else (hex_hash, "")
        return str(row[0]), str(row[1] or "")

    return StoreServices(
        config=config,
        db=db,
        keys=keys,
        provider=provider,
        issuer=issuer,
        accounts=Accounts(config, db),
        idempotency=idempotency,
        purchases=Purchases(config, db, provider, issuer, idempotency),
        gates=Gates(config, db, issuer, mailer, secret=keys.wrap_key),
        campaigns=campaigns,
        reconciler=Reconciler(db, provider, issuer, campaigns),
        swarm=ExternalTracker(config.external_tracker_url) if config.external_tracker_url else SwarmRegistry(resolve),
    )
