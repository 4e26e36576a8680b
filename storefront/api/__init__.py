"""The HTTP API under ``/api/v1``: one router per area, mounted by ``storefront.app.create_app``."""

from fastapi import APIRouter

from storefront.api import accounts, campaigns, catalog, creators, gates, licenses, live, pledges, purchases, store

API_PREFIX = "/api/v1"


def build_api_router() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX)
    for module in (store, catalog, accounts, gates, purchases, campaigns, licenses, creators, pledges):
        router.include_router(module.router)
    router.include_router(live.router)  # issue 9: live events
    return router


__all__ = ["API_PREFIX", "build_api_router"]
