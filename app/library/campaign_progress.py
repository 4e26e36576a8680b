"""A campaign's progress as a fan reads it ("61,482 of 250,000 backers · 42 days left"), for the store's bundle
page and for the player's pledge offer, which shows it where the pilot ends.

``campaign_text`` is pure; ``with_campaign_progress`` asks the store (blocking: worker threads).
"""

from __future__ import annotations

import dataclasses

from app.library.backend import StoreBackend
from app.library.money import format_price
from app.player.items import Offer, OfferKind
from app.store.errors import StoreError
from app.store.models import Campaign


def campaign_text(campaign: Campaign) -> str:
    days = max(0, campaign.seconds_left) // 86_400
    if campaign.goal_backers:
        goal = f"{campaign.backers:,} of {campaign.goal_backers:,} backers"
    else:
        goal = (f"{format_price(campaign.pledged_cents, campaign.currency)} of "
                f"{format_price(campaign.goal_cents or 0, campaign.currency)}")
    state = {"open": f"{days} days left", "succeeded": "Funded", "failed": "Goal not reached"}
    return f"{goal} · {state.get(campaign.state.value, campaign.state.value)}"


def with_campaign_progress(offer: Offer, backend: StoreBackend) -> Offer:
    """A pledge offer with the campaign's progress; the offer as it is when the store does not answer."""
    if offer.kind is not OfferKind.PLEDGE:
        return offer
    try:
        campaign = backend.bundle(offer.bundle_id).campaign
    except StoreError:
        return offer
    if campaign is None:
        return offer
    goal = campaign.goal_backers or campaign.goal_cents or 0
    done = campaign.backers if campaign.goal_backers else campaign.pledged_cents
    return dataclasses.replace(offer, progress_text=campaign_text(campaign), progress=done / goal if goal else None)
