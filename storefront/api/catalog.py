"""The catalog: ``GET /catalog`` (search, kind, sort, pages), ``GET /bundles/{id}`` (detail with the signed
manifest, magnet and swarm health), ``/bundles/{id}/cover`` and ``/bundles/{id}/torrent``.

The .torrent and magnet always carry the store's CURRENT base URL as tracker and web seed (the embedded store
gets a new port each launch): announce and url-list sit outside the info dict, so rewriting them at serve time
keeps the info-hash. Sync endpoints, on the worker threads.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import FileResponse
from sqlalchemy import ColumnElement, func, literal, or_, select, update
from sqlalchemy.orm import Session, joinedload, selectinload

from app.bundle import BundleKind
from storefront.api.deps import Services
from storefront.api.plain_json import json_route
from storefront.api.schemas import BundleDetail, CatalogPage, documented
from storefront.campaigns import campaign_view
from storefront.catalog_counts import BroadCounts
from storefront.config import StoreConfig
from storefront.creator_dashboard import record_download
from storefront.errors import NotFoundError
from storefront.external_tracker import ExternalTracker
from storefront.live import live_view
from storefront.models import Bundle, BundleDocument, Campaign
from storefront.purchases import get_bundle
from storefront.torrents import magnet_uri, rewrite_torrent_urls

router = APIRouter(tags=["catalog"])

_SORTS = {  # each matches an index on (key, id) — see models.Bundle
    "newest": (Bundle.created_at.desc(), Bundle.id.desc()),
    "title": (Bundle.title, Bundle.id),
    "popular": (Bundle.downloads.desc(), Bundle.id.desc()),
    "price": (Bundle.sort_price, Bundle.id),
}
MAX_PAGE = 100_000  # a bound in the document; deeper pages than any catalog has are refused, not a 500
# Matches counted exactly: past this many (and past the page after the one asked for) a page says "more than N"
# instead of counting every match — a full count of a broad search read the whole catalog on every request.
COUNT_LIMIT = 1_000
_BROAD = BroadCounts()  # queries seen to pass their bound: not counted again for BROAD_TTL_S
_SUMMARY_COLUMNS = (
    Bundle.id,
    Bundle.title,
    Bundle.creator,
    Bundle.kind,
    Bundle.gate_type,
    Bundle.price_cents,
    Bundle.min_cents,
    Bundle.currency,
    Bundle.cover_path,
    Bundle.summary,
    Bundle.total_size,
)


def _summary(bundle: Any, config: StoreConfig) -> dict[str, Any]:
    """A BundleSummary from a ``Bundle`` or a row with the same column names."""
    gate: dict[str, Any] = {"type": bundle.gate_type, "currency": bundle.currency}
    if bundle.price_cents is not None:
        gate["price_cents"] = bundle.price_cents
    if bundle.min_cents is not None:
        gate["min_cents"] = bundle.min_cents
    return {
        "id": bundle.id,
        "title": bundle.title,
        "creator": bundle.creator,
        "kind": bundle.kind,
        "gate": gate,
        "cover_url": config.api_url(f"/bundles/{bundle.id}/cover") if bundle.cover_path else None,
        "summary": bundle.summary,
        "total_size": bundle.total_size,
    }


def catalog(
    services: Services,
    *,
    q: Annotated[str | None, Query(max_length=200)] = None,
    kind: BundleKind | None = None,
    sort: Literal["newest", "title", "popular", "price"] = "newest",
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 24,
) -> dict[str, Any]:
    # kind and sort are checked by their schema (an enum each): 422 invalid_kind / invalid_sort
    where: list[ColumnElement[bool]] = []
    if kind is not None:
        where.append(Bundle.kind == kind.value)
    else:  # issue 9: broadcasts are listed by GET /live (and kind=live); the catalog is what can be downloaded —
        # which includes a broadcast once its recording is out (a release with files: total_size > 0)
        where.append(or_(Bundle.kind != BundleKind.LIVE.value, Bundle.total_size > 0))
    needle = None
    if q and q.strip():
        needle = q.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(Bundle.search_text.like(f"%{needle}%", escape="\\"))
    offset = (page - 1) * per_page
    with services.db.read() as session:
        # The page's ids from the (key, id) index in a subquery, then only those rows — deep pages stay cheap.
        page_ids = select(Bundle.id).where(*where).order_by(*_SORTS[sort]).limit(per_page).offset(offset)
        rows = session.execute(select(*_SUMMARY_COLUMNS).where(Bundle.id.in_(page_ids)).order_by(*_SORTS[sort])).all()
        if len(rows) < per_page and (rows or page == 1):
            total, exact = offset + len(rows), True  # the last page: every match is in sight, no count needed
        else:
            bound = max(COUNT_LIMIT, (page + 1) * per_page)
            query = (services.db.url, kind, needle, bound)
            if _BROAD.known_broad(query):  # counted past the bound moments ago: still "more than bound"
                total, exact = bound, False
            else:
                total, exact = _bounded_count(session, where, bound)
                if not exact:
                    _BROAD.remember_broad(query)
    items = [_summary(row, services.config) for row in rows]
    return {"items": items, "total": total, "total_exact": exact, "page": page, "per_page": per_page}


def _bounded_count(session: Session, where: list[ColumnElement[bool]], bound: int) -> tuple[int, bool]:
    """(matches, True) when there are at most ``bound``; (bound, False) when there are more — counting stops at
    ``bound + 1`` rows, so a broad search costs the same in a catalog of 10,000 or of a million. ``bound`` covers
    the page after the one asked for, so a client that pages while ``items < total`` still finds the next page."""
    matches = select(literal(1)).select_from(Bundle).where(*where).limit(bound + 1).subquery()
    counted = session.scalar(select(func.count()).select_from(matches)) or 0
    return min(counted, bound), counted <= bound


router.get("/catalog", response_model=None, responses=documented(200, CatalogPage, 422))(json_route(catalog))


def bundle_detail(bundle_id: str, services: Services) -> dict[str, Any]:
    config = services.config
    with services.db.read() as session:
        # One statement for the bundle, its document (not the .torrent bytes) and campaign; one each for the lists.
        found = session.execute(
            select(Bundle, Campaign)
            .outerjoin(Campaign, Campaign.bundle_id == Bundle.id)
            .where(Bundle.id == bundle_id)
            .options(
                selectinload(Bundle.files),
                selectinload(Bundle.releases),
                joinedload(Bundle.document).defer(BundleDocument.torrent_data),
            )
        ).first()
        if found is None:
            raise NotFoundError(f"There is no bundle {bundle_id!r} in this store.", code="unknown_bundle")
        bundle, campaign = found
        detail = _summary(bundle, config)
        detail.update(
            description=bundle.document.description,
            files=[
                {
                    "index": f.index,
                    "path": f.path,
                    "size": f.size,
                    "media_type": f.media_type,
                    "duration_s": f.duration_s,
                    "bitrate": f.bitrate,
                    "locked": f.locked,
                    "release": f.release_id,
                }
                for f in bundle.files
            ],
            releases=[
                {"id": r.release_id, "title": r.title, "released_at": int(r.released_at.timestamp())}
                for r in bundle.releases
            ],
            campaign=campaign_view(campaign) if campaign is not None else None,
            live=live_view(session, bundle_id) if bundle.kind == BundleKind.LIVE.value else None,  # issue 9
        )
    swarm_v1 = detail["live"]["swarm_hash"] if detail["live"] else bundle.info_hash_v1  # a live swarm: its viewers
    swarm = (
        services.swarm.health(swarm_v1 or "", bundle.info_hash_v2 or "")
        if isinstance(services.swarm, ExternalTracker)
        else services.swarm.health(swarm_v1 or bundle.info_hash_v2 or "")
    )
    web_seed = config.web_seed_url(bundle.id)
    detail.update(
        manifest={"payload": bundle.document.manifest_payload, "signature": bundle.document.manifest_signature},
        torrent_url=config.api_url(f"/bundles/{bundle.id}/torrent"),
        magnet=""  # a live bundle has no torrent
        if detail["live"]
        else magnet_uri(
            info_hash_v1=bundle.info_hash_v1 or "",
            info_hash_v2=bundle.info_hash_v2 or "",
            name=bundle.title,
            tracker_url=config.tracker_url,
            web_seed_url=web_seed,
        ),
        info_hash_v1=bundle.info_hash_v1,
        info_hash_v2=bundle.info_hash_v2,
        web_seed_url=web_seed,
        tracker_url=config.tracker_url,
        swarm={"seeders": swarm.seeders, "leechers": swarm.leechers, "completed": swarm.completed},
    )
    return detail


router.get("/bundles/{bundle_id}", response_model=None, responses=documented(200, BundleDetail, 404))(
    json_route(bundle_detail)
)


@router.get(
    "/bundles/{bundle_id}/cover",
    response_class=FileResponse,
    responses={
        200: {
            "description": "The cover image",
            "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
def cover(bundle_id: str, services: Services) -> FileResponse:
    with services.db.session() as session:
        path = get_bundle(session, bundle_id).cover_path
    data_dir = services.config.data_dir.resolve()
    full = (data_dir / path).resolve() if path else None
    if full is None or not full.is_relative_to(data_dir) or not full.is_file():
        raise NotFoundError("This bundle has no cover image.", code="no_cover")
    return FileResponse(full, media_type="image/png", headers={"Cache-Control": "public, max-age=3600"})


@router.get(
    "/bundles/{bundle_id}/torrent",
    response_class=Response,
    responses={
        200: {
            "description": "The .torrent (hybrid v1+v2), with the store's tracker and web seed",
            "content": {"application/x-bittorrent": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
def torrent(bundle_id: str, services: Services) -> Response:
    config = services.config
    with services.db.write() as session:
        get_bundle(session, bundle_id)
        document = session.get(BundleDocument, bundle_id)
        data = document.torrent_data if document is not None else None
        session.execute(update(Bundle).where(Bundle.id == bundle_id).values(downloads=Bundle.downloads + 1))
        record_download(session, bundle_id)  # the creator dashboard's downloads per day
    if data is None:
        path = config.torrent_path(bundle_id)
        if not path.is_file():
            raise NotFoundError("This bundle's .torrent is missing on the store.", code="no_torrent")
        data = path.read_bytes()
    body = rewrite_torrent_urls(data, tracker_url=config.tracker_url, web_seed_url=config.web_seed_url(bundle_id))
    return Response(
        body,
        media_type="application/x-bittorrent",
        headers={"Content-Disposition": f'attachment; filename="{bundle_id}.torrent"'},
    )
