"""The store's web face: server-rendered pages (Jinja2, templates in ``storefront/web/templates``) for the
catalog with search, every bundle and every campaign, and the forms that open a gate in a browser — sign in or
up, claim a free bundle, the e-mail gate's form and confirmation, buying, pledging.

Plain HTML forms (no JavaScript needed) posted with a CSRF token and the browser session cookie
(``storefront.web.session``); each POST redirects back to its page (303) or shows the page again with the error's
sentence. Pages carry Open Graph tags (title, summary, cover) and offer *Open in Bundlecast* (a
``bundlecast://open/<bundle>?store=<this store>`` link, ``storefront.web.links``), the ``.torrent``, a magnet with
the store's tracker and web seed, and for free bundles the files straight from the web seed. GET handlers run on
worker threads; POST handlers read the form on the event loop and call the services on worker threads.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from app.bundle import BundleKind
from storefront.api.catalog import bundle_detail, catalog
from storefront.errors import AuthRequiredError, NotFoundError, StoreError
from storefront.live import LiveEvents
from storefront.models import Campaign, License
from storefront.payments import TEST_CARDS, Card
from storefront.purchases import PurchaseRequest
from storefront.services import StoreServices
from storefront.web.links import CLIENTS, open_in_app_url
from storefront.web.live_text import iso_time, live_gate_text, start_time_text
from storefront.web.session import (
    SESSION_COOKIE,
    account_of,
    csrf_token,
    read_form,
    remember_csrf,
    remember_session,
)

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).with_name("templates"))
templates.env.filters["when"] = start_time_text  # issue 9: a live event's start, "Fri 4 Dec 2026, 21:00 UTC"
templates.env.filters["iso_time"] = iso_time
templates.env.filters["live_gate"] = live_gate_text


def _services(request: Request) -> StoreServices:
    services: StoreServices = request.app.state.services
    return services


def _secure(services: StoreServices) -> bool:
    return services.config.public_base_url.startswith("https://")


def _render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    services = _services(request)
    token = csrf_token(request)
    account = account_of(services, request)
    page = templates.TemplateResponse(
        request,
        name,
        {
            "store": services.config,
            "csrf": token,
            "signed_in": account is not None,
            "kinds": [kind.value for kind in BundleKind],
            **context,
        },
        status_code=status,
    )
    remember_csrf(page, token, secure=_secure(services))
    page.headers["Cache-Control"] = "no-store" if account else "private, max-age=0"
    return page


@router.get("/", response_class=HTMLResponse)
@router.get("/catalog", response_class=HTMLResponse)
def catalog_page(request: Request, q: str = "", kind: str = "", page: int = 1) -> HTMLResponse:
    services = _services(request)
    chosen = BundleKind(kind) if kind in {k.value for k in BundleKind} else None
    found = catalog(services, q=q[:200] or None, kind=chosen, page=max(1, min(page, 100_000)), per_page=24)
    # An inexact total means more than that many match: at least one page more than those it fills.
    pages = max(1, -(-found["total"] // 24) if found["total_exact"] else found["total"] // 24 + 1)
    # issue 9: what is on the air and coming up, above the first page of the whole catalog
    live = LiveEvents(services.config, services.db, services.keys).listing() if found["page"] == 1 and not q else None
    return _render(
        request,
        "catalog.html",
        {"found": found, "q": q, "kind": kind, "page": found["page"], "pages": pages, "live": live},
    )


def _bundle_context(request: Request, bundle_id: str, **extra: Any) -> dict[str, Any]:
    services = _services(request)
    detail = bundle_detail(bundle_id, services)
    account = account_of(services, request)
    owned = False
    if account is not None:
        with services.db.session() as session:
            owned = (
                session.scalar(select(License.id).where(License.account_id == account, License.bundle_id == bundle_id))
                is not None
            )
    seed_files: list[dict[str, str]] = []
    content = services.config.content_dir(bundle_id)
    if detail["gate"]["type"] == "free" and content.is_dir():
        top = next((p.name for p in content.iterdir() if p.is_dir()), "")
        seed_files = [
            {"path": f["path"], "url": f"{detail['web_seed_url']}{quote(top)}/{quote(f['path'])}"}
            for f in detail["files"]
        ]
    return {
        "bundle": detail,
        "campaign": detail.get("campaign"),
        "owned": owned,
        "open_url": open_in_app_url(services.config.public_base_url, bundle_id),
        "page_url": f"{services.config.public_base_url}/bundles/{quote(bundle_id)}",
        "clients": CLIENTS,
        "seed_files": seed_files,
        "done": "",
        "error": "",
        "form_email": "",
        "attempt": uuid.uuid4().hex,  # the Idempotency-Key of this form: submitting it twice pays once
        "test_cards": TEST_CARDS if services.config.demo or services.config.payment_provider == "testcard" else (),
        **extra,
    }


@router.get("/bundles/{bundle_id}", response_class=HTMLResponse)
def bundle_page(request: Request, bundle_id: str, done: str = "") -> HTMLResponse:
    try:
        return _render(request, "bundle.html", _bundle_context(request, bundle_id, done=done))
    except NotFoundError as exc:
        return _render(request, "missing.html", {"message": exc.message}, status=404)


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
def campaign_page(request: Request, campaign_id: str) -> Response:
    services = _services(request)
    with services.db.session() as session:
        campaign = session.get(Campaign, campaign_id)
        bundle_id = campaign.bundle_id if campaign is not None else None
    if bundle_id is None:
        return _render(request, "missing.html", {"message": "There is no such campaign in this store."}, status=404)
    return bundle_page(request, bundle_id)


async def _act(request: Request, bundle_id: str, action: str) -> Response:
    """Run a form's action; back to the bundle's page (303) or the page again with the error's sentence."""
    services = _services(request)
    form: dict[str, str] = {}
    try:
        form = await read_form(request)
        account = await run_in_threadpool(account_of, services, request)
        if action == "account":
            return await run_in_threadpool(_sign_in_or_up, services, bundle_id, form)
        if account is None:
            raise AuthRequiredError("Sign in or create an account first (on this page).")
        done = await run_in_threadpool(_ACTIONS[action], services, account, bundle_id, form)
        return RedirectResponse(f"/bundles/{quote(bundle_id)}?done={done}", status_code=303)
    except StoreError as exc:
        context = await run_in_threadpool(
            _bundle_context,
            request,
            bundle_id,
            error=exc.message,
            form_email=form.get("email", ""),
            done="code_sent" if action == "confirm" else "",  # a wrong code: the code's form again
        )
        return await run_in_threadpool(_render, request, "bundle.html", context, exc.status)


def _sign_in_or_up(services: StoreServices, bundle_id: str, form: dict[str, str]) -> Response:
    email, password = form.get("email", ""), form.get("password", "")
    if form.get("mode") == "signup":
        services.accounts.sign_up(email, password)
    signed = services.accounts.sign_in(email, password)
    page = RedirectResponse(f"/bundles/{quote(bundle_id)}?done=signed_in", status_code=303)
    remember_session(page, signed.token, secure=_secure(services), max_age=services.config.session_ttl_s)
    return page


def _card(form: dict[str, str]) -> Card:
    month, _, year = form.get("expiry", "").partition("/")
    if not (month.strip().isdigit() and year.strip().isdigit()):
        raise StoreError("Write the card's expiry as MM/YY, for example 12/34.", code="invalid_card", status=422)
    full_year = int(year) + 2000 if int(year) < 100 else int(year)
    return Card(form.get("number", "").replace(" ", ""), int(month), full_year, form.get("cvc", "").strip())


def _claim(services: StoreServices, account: str, bundle_id: str, _form: dict[str, str]) -> str:
    services.gates.claim_free(account, bundle_id)
    return "owned"


def _email(services: StoreServices, account: str, bundle_id: str, form: dict[str, str]) -> str:
    sent = services.gates.request_code(account, bundle_id, form.get("email", ""), form.get("consent") == "yes")
    code = sent.get("dev_code")
    return f"code_sent&email={quote(form.get('email', ''))}" + (f"&dev_code={code}" if code else "")


def _confirm(services: StoreServices, account: str, bundle_id: str, form: dict[str, str]) -> str:
    services.gates.confirm(account, bundle_id, form.get("email", ""), form.get("code", "").strip())
    return "owned"


def _buy(services: StoreServices, account: str, bundle_id: str, form: dict[str, str]) -> str:
    amount = form.get("amount", "").strip()
    cents = round(float(amount) * 100) if amount.replace(".", "", 1).isdigit() else None
    answer = services.purchases.purchase(
        account, form.get("attempt") or uuid.uuid4().hex, PurchaseRequest(bundle_id, _card(form), cents)
    )
    if answer.status >= 400:  # a retry of a refused attempt: the stored answer
        raise StoreError(answer.body["error"]["message"], code=answer.body["error"]["code"], status=answer.status)
    return "owned"


def _pledge(services: StoreServices, account: str, bundle_id: str, form: dict[str, str]) -> str:
    with services.db.session() as session:
        campaign_id = session.scalar(select(Campaign.id).where(Campaign.bundle_id == bundle_id))
    if campaign_id is None:
        raise NotFoundError("This bundle has no campaign.", code="unknown_campaign")
    answer = services.campaigns.pledge(account, form.get("attempt") or uuid.uuid4().hex, campaign_id, _card(form))
    if answer.status >= 400:
        raise StoreError(answer.body["error"]["message"], code=answer.body["error"]["code"], status=answer.status)
    return "pledged"


_ACTIONS = {"claim": _claim, "email": _email, "confirm": _confirm, "buy": _buy, "pledge": _pledge}


@router.post("/bundles/{bundle_id}/{action}", response_class=HTMLResponse)
async def bundle_action(request: Request, bundle_id: str, action: str) -> Response:
    if action not in _ACTIONS and action != "account":
        return HTMLResponse("Not found", status_code=404)
    return await _act(request, bundle_id, action)


@router.post("/signout")
async def sign_out(request: Request) -> Response:
    services = _services(request)
    await read_form(request)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await run_in_threadpool(services.accounts.sign_out, token)
    page = RedirectResponse("/catalog", status_code=303)
    page.delete_cookie(SESSION_COOKIE, path="/")
    return page
