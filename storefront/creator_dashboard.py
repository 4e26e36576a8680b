"""The creator's dashboard, from the store's own books: per bundle and in total — downloads, completed, seeders
now, sales, refunds and pledges, gross, payment fees, the store's fee, net — the payout ledger (every captured
charge, and what the store owes), per-day series (downloads and revenue), campaign progress, and the e-mail
gate's consenting subscribers as CSV. Read-only; blocking; runs on the API's worker threads.

Money rules (the same as ``GET /creators/report``): gross is the sum of captured charges (a refunded charge is no
longer captured, so it leaves gross and fees), the store's fee is ``fee_percent`` of a bundle's gross rounded to
the nearest cent, net = gross - payment fees - store fee; the store owes the sum of nets (no payout is recorded
yet, so ``paid_out_cents`` is 0). The ledger lists a refunded sale or pledge twice — the sale (or pledge) at its
time and the refund (negative gross and fee) at the refund's — so its entries still sum to gross. Every entry names
its buyer as ``buyer_label`` names them and carries its charge's status (``captured`` or ``refunded``).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import defaultdict
from typing import Any

from sqlalchemy import func, select

from storefront.config import StoreConfig
from storefront.creators import require_creator
from storefront.db import Database
from storefront.external_tracker import ExternalTracker
from storefront.models import (
    Bundle,
    Campaign,
    Charge,
    ChargeStatus,
    DownloadDay,
    Pledge,
    PledgeStatus,
    utcnow,
)
from storefront.tracker import SwarmRegistry


def store_fee(gross_cents: int, fee_percent: int) -> int:
    return (gross_cents * fee_percent + 50) // 100


def buyer_label(creator_id: str, buyer_id: str | None) -> str:
    """Who paid, as a creator may see them: a pseudonym ("Fan 3f9a2c"), stable for this creator and different for
    every other creator (so creators cannot match their buyers up) — never the buyer's e-mail. A bundle that is sold
    or backed has no e-mail gate, so its creator holds no address of its buyers to show."""
    if buyer_id is None:
        return "A backer without an account"
    return "Fan " + hashlib.sha256(f"{creator_id}:{buyer_id}".encode()).hexdigest()[:6]


def record_download(session: Any, bundle_id: str) -> None:
    """Count one .torrent fetch on today's (UTC) line of the bundle's downloads-per-day series."""
    day = utcnow().date().isoformat()
    row = session.get(DownloadDay, (bundle_id, day))
    if row is None:
        session.add(DownloadDay(bundle_id=bundle_id, day=day, count=1))
    else:
        row.count += 1


def dashboard(
    config: StoreConfig, db: Database, swarm: SwarmRegistry | ExternalTracker, account_id: str
) -> dict[str, Any]:
    with db.session() as session:
        require_creator(session, account_id)
        bundles = list(
            session.scalars(select(Bundle).where(Bundle.creator_account_id == account_id).order_by(Bundle.created_at))
        )
        ids = [b.id for b in bundles]
        charges = list(
            session.execute(
                select(
                    Charge.id,
                    Charge.account_id,
                    Charge.bundle_id,
                    Charge.purpose,
                    Charge.amount_cents,
                    Charge.fee_cents,
                    Charge.status,
                    Charge.created_at,
                    Charge.updated_at,
                ).where(Charge.bundle_id.in_(ids), Charge.status.in_([ChargeStatus.CAPTURED, ChargeStatus.REFUNDED]))
            )
        )
        pledges = dict(
            session.execute(
                select(Campaign.bundle_id, func.count(Pledge.id))
                .join(Pledge, Pledge.campaign_id == Campaign.id)
                .where(
                    Campaign.bundle_id.in_(ids),
                    Pledge.status.in_([PledgeStatus.AUTHORIZED, PledgeStatus.CAPTURED]),
                    Pledge.account_id.is_not(None),
                )
                .group_by(Campaign.bundle_id)
            ).all()
        )
        campaigns = {c.bundle_id: c for c in session.scalars(select(Campaign).where(Campaign.bundle_id.in_(ids)))}
        days = list(
            session.execute(
                select(DownloadDay.bundle_id, DownloadDay.day, DownloadDay.count).where(DownloadDay.bundle_id.in_(ids))
            )
        )
    per_bundle: dict[str, dict[str, int]] = {i: defaultdict(int) for i in ids}
    revenue_days: dict[str, int] = defaultdict(int)
    ledger: list[dict[str, Any]] = []
    for charge_id, buyer_id, bundle_id, purpose, amount, fee, status, created, updated in charges:
        line = per_bundle[bundle_id]
        kind = "sale" if purpose == "purchase" else "pledge"
        who = buyer_label(account_id, buyer_id)
        entry = {"charge_id": charge_id, "bundle_id": bundle_id, "buyer": who, "status": str(status)}
        if status == ChargeStatus.REFUNDED:  # the sale, then the refund taking it back out (storefront.refunds)
            line["refunds"] += 1
            for what, at, sign in ((kind, created, 1), ("refund", updated, -1)):
                ledger.append(
                    {**entry, "kind": what, "at": at.isoformat(), "gross_cents": sign * amount,
                     "payment_fee_cents": sign * fee}
                )  # fmt: skip
            continue
        line["sales" if purpose == "purchase" else "pledges_charged"] += 1
        line["gross_cents"] += amount
        line["payment_fees_cents"] += fee
        revenue_days[updated.date().isoformat()] += amount
        ledger.append(
            {**entry, "kind": kind, "at": updated.isoformat(), "gross_cents": amount, "payment_fee_cents": fee}
        )
    download_days: dict[str, int] = defaultdict(int)
    for _, day, count in days:
        download_days[day] += count
    out: list[dict[str, Any]] = []
    for bundle in bundles:
        line = per_bundle[bundle.id]
        gross, fees = line["gross_cents"], line["payment_fees_cents"]
        cut = store_fee(gross, config.fee_percent)
        health = swarm.health(bundle.info_hash_v1 or bundle.info_hash_v2 or "")
        campaign = campaigns.get(bundle.id)
        out.append(
            {
                "bundle_id": bundle.id,
                "title": bundle.title,
                "downloads": bundle.downloads,
                "completed": health.completed,
                "seeders": health.seeders,
                "sales": line["sales"],
                "refunds": line["refunds"],
                "pledges": pledges.get(bundle.id, 0),
                "gross_cents": gross,
                "payment_fees_cents": fees,
                "store_fee_cents": cut,
                "net_cents": gross - fees - cut,
                "campaign": None
                if campaign is None
                else {
                    "state": str(campaign.state),
                    "backers": campaign.backers,
                    "pledged_cents": campaign.pledged_cents,
                    "goal_backers": campaign.goal_backers,
                    "goal_cents": campaign.goal_cents,
                    "deadline": campaign.deadline.isoformat(),
                },
            }
        )
    keys = (
        "downloads",
        "completed",
        "seeders",
        "sales",
        "refunds",
        "pledges",
        "gross_cents",
        "payment_fees_cents",
        "store_fee_cents",
        "net_cents",
    )
    totals = {k: sum(b[k] for b in out) for k in keys}
    ledger.sort(key=lambda e: e["at"])
    return {
        "fee_percent": config.fee_percent,
        "bundles": out,
        "totals": totals,
        "payouts": {"owed_cents": totals["net_cents"], "paid_out_cents": 0, "entries": ledger},
        "series": {
            "downloads_per_day": [{"day": d, "count": c} for d, c in sorted(download_days.items())],
            "revenue_per_day": [{"day": d, "gross_cents": c} for d, c in sorted(revenue_days.items())],
        },
    }


def subscribers_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["email", "consented_at", "confirmed_at"])
    for row in rows:
        writer.writerow([row["email"], row["consented_at"], row["confirmed_at"] or ""])
    return out.getvalue()
