"""Drafts a creator never came back to: the store's housekeeping sweeps a draft idle longer than the configured age
— its state abandoned, its uploaded files and its wrapped bundle key removed, never in the catalog — and leaves a
younger one alone. The sweep runs on a clock the test controls (against the running store's database); a second
test shows the server's own housekeeping doing it with a short configured age."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.bundle import BundleKind, GateType
from app.library.publishing import Publisher, PublishRequest
from app.store.creator import CreatorClient
from storefront.config import StoreConfig
from storefront.draft_sweep import sweep_drafts
from storefront.models import PublishDraft
from storefront.services import build_services
from tests.storefront.store_support import StoreProcess
from tests.support.creator import MemoryKeys, bearer, episodes, new_account
from tests.support.waiting import wait_until

pytestmark = pytest.mark.timeout(180)
MAX_AGE = dt.timedelta(days=7)


class CreatorWentAwayError(Exception):
    """Raised from the publisher's progress once the first chunk is uploaded: the app is never seen again."""


def _start(tmp_path: Path, env: dict[str, str] | None = None) -> StoreProcess:
    data = tmp_path / f"store-{uuid.uuid4().hex[:6]}"
    data.mkdir()
    return StoreProcess(data, env=env).start()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StoreProcess]:
    server = _start(tmp_path)
    yield server
    server.stop()


def _half_published(store: StoreProcess, api: httpx.Client, tmp_path: Path, title: str) -> tuple[str, str]:
    """(creator token, draft id) of a publication that stopped after its first uploaded chunk."""
    _, token = new_account(api)
    assert api.post("/creators/me", json={"display_name": title}, headers=bearer(token)).status_code == 200
    folder = episodes(tmp_path / f"src-{uuid.uuid4().hex[:6]}", {"a-pilot.bin": 300_000, "b-ep1.bin": 600_000})
    publisher = Publisher(
        tmp_path / f"work-{title}", keys=MemoryKeys(), client=CreatorClient(store.url), token=token,
        store_url=store.url,
    )  # fmt: skip
    job = publisher.plan(
        PublishRequest(
            folder=folder, title=title, kind=BundleKind.SERIES, gate=GateType.PAID, price_cents=300,
            locked=frozenset({"b-ep1.bin"}),
        )
    )  # fmt: skip

    def leave(step: str, done: int, total: int) -> None:
        if step == "uploading":
            raise CreatorWentAwayError

    with pytest.raises(CreatorWentAwayError):
        publisher.run(job, progress=leave)
    draft_id = publisher.journal(job).draft_id
    assert draft_id is not None
    return token, draft_id


def _row(store: StoreProcess, draft_id: str) -> tuple[dt.datetime, bytes]:
    """(last activity, wrapped bundle key) of a draft, from the store's database."""
    services = build_services(StoreConfig(data_dir=store.data_dir))
    try:
        with services.db.session() as session:
            draft = session.get_one(PublishDraft, draft_id)
            return draft.updated_at, draft.wrapped_key
    finally:
        services.close()


def test_a_draft_idle_past_the_configured_age_is_swept_with_its_files_and_key_and_a_younger_one_stays(
    store: StoreProcess, tmp_path: Path
) -> None:
    api = httpx.Client(base_url=store.api, timeout=60)
    old_token, old = _half_published(store, api, tmp_path, "Gone Quiet")
    young_token, young = _half_published(store, api, tmp_path, "Still Here")
    drafts = store.data_dir / "drafts"
    assert (drafts / old).is_dir() and any((drafts / old).rglob("*.bin"))
    old_seen, old_key = _row(store, old)
    young_seen, young_key = _row(store, young)
    assert old_seen < young_seen and old_key and young_key
    # The test's clock: past the old draft's age limit, not yet the young one's.
    now = old_seen + MAX_AGE + (young_seen - old_seen) / 2
    services = build_services(StoreConfig(data_dir=store.data_dir))
    try:
        config = StoreConfig(data_dir=store.data_dir, draft_max_age_s=MAX_AGE.total_seconds())
        assert sweep_drafts(config, services.db, now=old_seen + MAX_AGE / 2).abandoned == []  # too early for both
        swept = sweep_drafts(config, services.db, now=now)
    finally:
        services.close()

    assert swept.abandoned == [old]
    assert api.get(f"/creators/drafts/{old}", headers=bearer(old_token)).json()["state"] == "abandoned"
    assert not (drafts / old).exists()  # the uploaded files
    assert _row(store, old)[1] == b""  # the bundle key (wrapped) is gone from the store
    late = api.put(f"/creators/drafts/{old}/files/0", params={"offset": 0}, content=b"x", headers=bearer(old_token))
    assert (late.status_code, late.json()["error"]["code"]) == (409, "draft_closed")
    publish = api.post(f"/creators/drafts/{old}/publish", headers=bearer(old_token))
    assert (publish.status_code, publish.json()["error"]["code"]) == (409, "draft_closed")
    # The young draft is untouched: still uploading, its files and key kept.
    assert api.get(f"/creators/drafts/{young}", headers=bearer(young_token)).json()["state"] == "uploading"
    assert any((drafts / young).rglob("*.bin")) and _row(store, young)[1] == young_key
    # Neither ever shows in the catalog.
    titles = {b["title"] for b in api.get("/catalog", params={"per_page": 100}).json()["items"]}
    assert not titles & {"Gone Quiet", "Still Here"}


def test_the_servers_housekeeping_sweeps_drafts_with_the_configured_age(tmp_path: Path) -> None:
    # 0.001 h = 3.6 s (the draft is idle only once the publisher left, right after its first chunk): the server's
    # own round (every 0.2 s here) finds the draft stale soon after it went idle.
    server = _start(tmp_path, {"BUNDLECAST_DRAFT_MAX_AGE_H": "0.001", "BUNDLECAST_CAMPAIGN_POLL_S": "0.2"})
    try:
        api = httpx.Client(base_url=server.api, timeout=60)
        token, draft = _half_published(server, api, tmp_path, "Left Behind")
        wait_until(
            lambda: api.get(f"/creators/drafts/{draft}", headers=bearer(token)).json()["state"] == "abandoned",
            30,
            "the server's housekeeping abandons the idle draft",
        )
        wait_until(lambda: not (server.data_dir / "drafts" / draft).exists(), 10, "its files are removed")
        assert _row(server, draft)[1] == b""
    finally:
        server.stop()
