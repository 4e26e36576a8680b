"""The FastAPI application factory: ``create_app(config) -> FastAPI``.

Builds the services (database migrated, keys loaded), installs the JSON error handlers, mounts the API under
``/api/v1``, the tracker (``/announce``, ``/scrape``) and the web seed (``/seed/…``). At start-up it reconciles
the books (a crash may have left a charge without its license) and registers the bundles' info-hashes with the
tracker; while serving, a background task closes campaigns past their deadline, reconciles requests that
died and sweeps publishing drafts left idle (``storefront.draft_sweep``). The task runs on the event loop and
does its blocking work on worker threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from storefront.api import build_api_router
from storefront.api.contract import install_contract
from storefront.api.errors import install_error_handlers
from storefront.config import StoreConfig
from storefront.draft_sweep import sweep_drafts
from storefront.models import Bundle, utcnow
from storefront.payments import PaymentProvider
from storefront.payments.stripe_webhook import router as stripe_webhook_router
from storefront.services import StoreServices, build_services
from storefront.tracker import router as tracker_router
from storefront.web.pages import router as web_router
from storefront.webseed import mount_web_seed

log = logging.getLogger(__name__)
STALE_REQUEST = dt.timedelta(minutes=2)  # a request pending this long has died: reconcile takes it over


def create_app(
    config: StoreConfig, *, provider: PaymentProvider | None = None, services: StoreServices | None = None
) -> FastAPI:
    services = services or build_services(config, provider=provider)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        report = await run_in_threadpool(services.reconciler.run)
        if report.problems:
            log.error("reconcile found problems it could not repair: %s", report.problems)
        await run_in_threadpool(_register_swarms, services)
        task = asyncio.create_task(_housekeeping(services))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            services.close()

    app = FastAPI(
        title=f"{config.name} — Bundlecast store API",
        version="1",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.swarm = services.swarm
    install_error_handlers(app)
    install_contract(app)  # issue 13: every status documented, 405 with Allow
    app.include_router(build_api_router())
    app.include_router(tracker_router)
    app.include_router(web_router)  # issue 13: the web pages (catalog, bundles, campaigns, gate forms)
    app.include_router(stripe_webhook_router)  # issue 13: Stripe's webhooks (answers 404 unless Stripe is configured)
    mount_web_seed(app, config)
    return app


def _register_swarms(services: StoreServices) -> None:
    with services.db.session() as session:
        rows = session.execute(select(Bundle.info_hash_v1, Bundle.info_hash_v2)).all()
    for v1, v2 in rows:
        if v1:
            services.swarm.register(v1, v2)


async def _housekeeping(services: StoreServices) -> None:
    """Close due campaigns, reconcile died requests and sweep idle drafts, every ``campaign_poll_s``; errors are
    logged, not fatal."""
    while True:
        await asyncio.sleep(services.config.campaign_poll_s)
        try:
            await run_in_threadpool(services.campaigns.close_due)
            await run_in_threadpool(lambda: services.reconciler.run(older_than=STALE_REQUEST, audit=False))
            await run_in_threadpool(services.reconciler.prune)
            await run_in_threadpool(lambda: sweep_drafts(services.config, services.db, now=utcnow()))
        except Exception:
            log.exception("store housekeeping failed; retrying on the next round")
