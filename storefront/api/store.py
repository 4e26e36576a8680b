"""``GET /store`` and ``GET /public-key``: who this store is and the key that signs its manifests and licenses."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from storefront.api.deps import Services
from storefront.api.schemas import PublicKey, StoreInfo, documented
from storefront.payments import TEST_CARDS, TestCardProvider

router = APIRouter(tags=["store"])


@router.get("/store", response_model=None, responses=documented(200, StoreInfo))
def store_info(services: Services) -> dict[str, Any]:
    config = services.config
    cards = (
        [{"number": c.number, "outcome": c.outcome} for c in TEST_CARDS]
        if isinstance(services.provider, TestCardProvider)
        else []
    )
    return {
        "store_id": config.store_id,
        "name": config.name,
        "public_key": services.keys.signing.public_key_b64,
        "demo": config.demo,
        "test_cards": cards,
        "fee_percent": config.fee_percent,
    }


@router.get("/public-key", response_model=None, responses=documented(200, PublicKey))
def public_key(services: Services) -> dict[str, str]:
    return {"store_id": services.config.store_id, "public_key": services.keys.signing.public_key_b64}
