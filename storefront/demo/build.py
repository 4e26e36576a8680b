"""Builds the demo catalog: generates its media once into a cache, then publishes each bundle into a store.

``ensure_demo_catalog(config)`` is idempotent: bundles already in the catalog are left alone, missing ones are
published (a half-published one left by a crash is cleaned up first). Media are generated into
``<cache>/demo-media/<recipe hash>/`` - written to a temporary folder and renamed, under a file lock - so a second
build, another data dir, or the test suite's next session reuses them. Runs on the caller's thread; the desktop
app runs it in the store's child process before it starts serving.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import multiprocessing
import os
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update

from app.bundle import Release
from storefront.campaigns import record_offline_pledges
from storefront.catalog import CampaignSpec
from storefront.config import StoreConfig
from storefront.db import Database
from storefront.demo import recipe
from storefront.demo.covers import draw_cover
from storefront.demo.ebook import write_epub
from storefront.demo.live_event import ensure_demo_live_event
from storefront.demo.media import TrackSpec, VideoSpec, attach_cover_art, encode_track, encode_video
from storefront.demo.recipe import DEMO_BUNDLES, DemoBundle, SubtitlePlan
from storefront.demo.texts import BOOK_CHAPTERS
from storefront.demo.tool import ORRERY_PY, readme_text, write_tool_zip
from storefront.models import Account, Bundle, Campaign
from storefront.publish import MediaFacts, gate_from_args, publish_bundle

log = logging.getLogger(__name__)

GENERATOR_VERSION = 3  # bump when the generators change what they write (3: interleaved audio and video)
_FACTS = "facts.json"
STALE_MEDIA_DAYS = 7
# Stored as the demo creator's password hash: not an argon2 hash, so every sign-in is refused ("do not match").
SIGN_IN_DISABLED = "!sign-in disabled"


@dataclass(frozen=True, slots=True)
class DemoBuild:
    """What ``ensure_demo_catalog`` did: every demo bundle id, those published now, and the time it took."""

    bundle_ids: tuple[str, ...]
    published: tuple[str, ...]
    media_cached: bool
    media_seconds: float
    total_seconds: float


def recipe_key() -> str:
    """A short hash of everything that decides the generated media's bytes."""
    text = repr((GENERATOR_VERSION, DEMO_BUNDLES, BOOK_CHAPTERS, ORRERY_PY))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+b") as handle:
        try:
            import fcntl
        except ImportError:  # Windows: one store per data dir is the app's own rule there
            yield
            return
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def media_dir(cache_dir: Path) -> Path:
    return cache_dir / "demo-media" / recipe_key()


def ensure_media(cache_dir: Path) -> tuple[Path, bool]:
    """The folder with every bundle's source files and covers; (folder, True) when it came from the cache."""
    target = media_dir(cache_dir)
    with _file_lock(cache_dir / "demo-media" / ".lock"):
        if (target / _FACTS).is_file():
            os.utime(target)  # in use: not stale for another version's clean-up below
            return target, True
        log.info("Generating the demo's media (first start only, under a minute)")
        # Holding the lock, nobody else is generating: any staging folder left here is a killed build's.
        for leftover in target.parent.glob(".*.tmp"):
            shutil.rmtree(leftover, ignore_errors=True)
        staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        staging.mkdir(parents=True)
        try:
            facts = _generate_all(staging)
            (staging / _FACTS).write_text(json.dumps(facts, indent=1, sort_keys=True))
            shutil.rmtree(target, ignore_errors=True)
            staging.rename(target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        # Other recipes' media are dead weight once unused for a while; not at once, or two versions of the app
        # (or of a developer's tree) sharing one cache would delete each other's media on every start.
        stale_before = time.time() - STALE_MEDIA_DAYS * 86_400
        for old in (cache_dir / "demo-media").iterdir():
            if old.is_dir() and old.name != target.name and old.stat().st_mtime < stale_before:
                shutil.rmtree(old, ignore_errors=True)
    return target, False


@dataclass(frozen=True, slots=True)
class _MediaJob:
    bundle_id: str
    rel_path: str
    video: VideoSpec | None = None
    track: TrackSpec | None = None
    tags: tuple[str, str, str, int] = ("", "", "", 0)  # title, artist, album, track number

    @property
    def cost(self) -> float:
        # A second of 720p video costs about four of an MP3 track.
        return self.video.seconds * 4 if self.video else self.track.seconds if self.track else 0.0


def _encode_job(job: _MediaJob, root: Path) -> tuple[float, int]:
    """One media file, in a worker process; returns (duration, bitrate)."""
    path = root / job.bundle_id / job.rel_path
    path.parent.mkdir(parents=True, exist_ok=True)
    if job.video is not None:
        info = encode_video(job.video, path)
    else:
        assert job.track is not None
        title, artist, album, number = job.tags
        info = encode_track(job.track, path, title=title, artist=artist, album=album, track=number)
        attach_cover_art(path, (root / "covers" / f"{job.bundle_id}.png").read_bytes())
    return info.duration_s, info.bitrate


def _media_jobs(bundle: DemoBundle) -> list[_MediaJob]:
    jobs = [
        _MediaJob(
            bundle.bundle_id, v.path, video=VideoSpec(v.title, v.subtitle, v.seconds, bundle.palette, v.chord_root_hz)
        )
        for v in bundle.videos
    ]
    for number, t in enumerate(bundle.tracks, start=1):
        spec = TrackSpec(t.seconds, t.root_hz, t.melody, t.bpm)
        jobs.append(
            _MediaJob(bundle.bundle_id, t.path, track=spec, tags=(t.title, bundle.creator, bundle.title, number))
        )
    return jobs


def _generate_all(root: Path) -> dict[str, dict[str, list[float]]]:
    """Every bundle's files under ``root/<id>/`` and covers at ``root/covers/<id>.png``; returns media facts."""
    jobs: list[_MediaJob] = []
    for bundle in DEMO_BUNDLES:
        _write_documents(bundle, root)
        jobs.extend(_media_jobs(bundle))
    jobs.sort(key=lambda job: -job.cost)  # longest first: the pilot alone is a third of the work
    facts: dict[str, dict[str, list[float]]] = {b.bundle_id: {} for b in DEMO_BUNDLES}
    try:
        _encode_in_workers(jobs, root, facts)
    except (OSError, NotImplementedError, BrokenProcessPool):
        # No process pool here (no POSIX semaphores in some sandboxes, a worker killed): do it in this process.
        log.warning("no worker processes for the demo's media; encoding them one by one", exc_info=True)
        for done, job in enumerate(jobs, start=1):
            facts[job.bundle_id][job.rel_path] = list(_encode_job(job, root))
            log.info("Generating the demo's media: %d of %d done (%s)", done, len(jobs), job.rel_path)
    return facts


def _encode_in_workers(jobs: list[_MediaJob], root: Path, facts: dict[str, dict[str, list[float]]]) -> None:
    workers = max(1, min(2, os.cpu_count() or 1))  # CPU bound: one worker per core
    # spawn, not fork: the caller (a server, a test runner) may have threads running.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(_encode_job, job, root): job for job in jobs}
        for done, future in enumerate(as_completed(futures), start=1):
            job = futures[future]
            duration, bitrate = future.result()
            facts[job.bundle_id][job.rel_path] = [duration, bitrate]
            # The desktop app shows the store's latest log line while it waits: say how far along we are.
            log.info("Generating the demo's media: %d of %d done (%s)", done, len(jobs), job.rel_path)


def _write_documents(bundle: DemoBundle, root: Path) -> None:
    """The cover and the bundle's non-media files (e-book, tool, folder art)."""
    folder = root / bundle.bundle_id
    folder.mkdir(parents=True)
    covers = root / "covers"
    covers.mkdir(exist_ok=True)
    cover = draw_cover(bundle.title, bundle.creator, bundle.kind.value, bundle.palette)
    (covers / f"{bundle.bundle_id}.png").write_bytes(cover)
    if bundle.tracks:
        (folder / "cover.png").write_bytes(cover)  # folder art that music players pick up
    for video in bundle.videos:
        for plan in video.subtitle_files:
            _write_subtitles(folder / f"{video.path.rsplit('.', 1)[0]}.{plan.language}.{plan.format}", plan)
    if "ebook" in bundle.extras:
        write_epub(
            folder / "a-field-guide-to-small-stars.epub",
            identifier=f"urn:bundlecast:{bundle.bundle_id}",
            title=bundle.title,
            author=bundle.creator,
            chapters=BOOK_CHAPTERS,
            cover_png=cover,
        )
    if "tool" in bundle.extras:
        write_tool_zip(folder / "pocket-orrery-1.0.zip")
        (folder / "README.txt").write_text(readme_text())


def _write_subtitles(path: Path, plan: SubtitlePlan) -> None:
    """SubRip or WebVTT: numbered cues with ``00:00:01,000 --> …`` (SRT) or a WEBVTT header and dots (VTT)."""

    def stamp(seconds: float) -> str:
        ms = round(seconds * 1000)
        text = f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"
        return text.replace(".", ",") if plan.format == "srt" else text

    blocks = [f"{n}\n{stamp(start)} --> {stamp(end)}\n{text}\n" for n, (start, end, text) in enumerate(plan.cues, 1)]
    header = "WEBVTT\n\n" if plan.format == "vtt" else ""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + "\n".join(blocks), encoding="utf-8")


def _existing(database: Database) -> set[str]:
    ids = [b.bundle_id for b in DEMO_BUNDLES]
    with database.session() as session:
        return set(session.execute(select(Bundle.id).where(Bundle.id.in_(ids))).scalars())


def _publish(config: StoreConfig, database: Database, bundle: DemoBundle, media: Path, facts: dict) -> None:
    log.info("Publishing %s to the demo store", bundle.title)
    # A crash between moving content into place and committing leaves content without a row: start over.
    shutil.rmtree(config.content_dir(bundle.bundle_id), ignore_errors=True)
    now = dt.datetime.now(dt.UTC)
    campaign = None
    if bundle.gate == "campaign":
        campaign = CampaignSpec(
            deadline=now + dt.timedelta(days=recipe.CAMPAIGN_DAYS), goal_backers=recipe.CAMPAIGN_GOAL_BACKERS
        )
    releases = tuple(Release(rid, title, int(now.timestamp())) for rid, title in bundle.releases)
    file_releases = {v.path: v.release for v in bundle.videos if v.release}
    publish_bundle(
        config,
        media / bundle.bundle_id,
        title=bundle.title,
        creator=bundle.creator,
        kind=bundle.kind,
        gate=gate_from_args(bundle.gate, bundle.price),
        lock_globs=bundle.lock,
        description=bundle.description,
        summary=bundle.summary,
        cover=media / "covers" / f"{bundle.bundle_id}.png",
        campaign=campaign,
        releases=releases,
        file_releases=file_releases,
        media_facts={path: MediaFacts(d, int(b)) for path, (d, b) in facts.items()},
        bundle_id=bundle.bundle_id,
        database=database,
        creator_account=recipe.CREATOR_EMAIL,
    )


def _ensure_creator(database: Database) -> None:
    """The demo creator's account exists (sign-in disabled) before anything is published for it."""
    with database.write() as session:
        if session.scalar(select(Account.id).where(Account.email == recipe.CREATOR_EMAIL)) is None:
            session.add(Account(email=recipe.CREATOR_EMAIL, password_hash=SIGN_IN_DISABLED))


def _link_to_creator(database: Database) -> None:
    """Demo bundles published before they had a creator account (older versions) are linked to it now."""
    ids = [b.bundle_id for b in DEMO_BUNDLES]
    with database.write() as session:
        account_id = session.scalar(select(Account.id).where(Account.email == recipe.CREATOR_EMAIL))
        session.execute(
            update(Bundle)
            .where(Bundle.id.in_(ids), Bundle.creator_account_id.is_(None))
            .values(creator_account_id=account_id)
        )


def _ensure_crowd(database: Database) -> None:
    """The series' campaign opens with pledges already in; recorded once, even if a crash came in between."""
    with database.write() as session:
        campaign = session.get(Campaign, recipe.SERIES_ID)
        if campaign is not None and campaign.offline_backers == 0:
            record_offline_pledges(session, campaign.id, recipe.CAMPAIGN_PLEDGES_IN, recipe.CAMPAIGN_PRICE_CENTS)


def ensure_demo_catalog(config: StoreConfig, cache_dir: Path | None = None) -> DemoBuild:
    """Make sure every demo bundle is in ``config``'s catalog; generate media only when the cache lacks them."""
    started = time.monotonic()
    cache = cache_dir or config.effective_cache_dir
    config.ensure_dirs()
    database = Database(config.effective_database_url)
    try:
        with _file_lock(config.data_dir / ".demo.lock"):
            database.migrate()
            _ensure_creator(database)
            missing = [b for b in DEMO_BUNDLES if b.bundle_id not in _existing(database)]
            media_started = time.monotonic()
            cached = True
            if missing:
                media, cached = ensure_media(cache)
                media_seconds = 0.0 if cached else time.monotonic() - media_started
                facts = json.loads((media / _FACTS).read_text())
                for bundle in missing:
                    _publish(config, database, bundle, media, facts[bundle.bundle_id])
            else:
                media_seconds = 0.0
            _ensure_crowd(database)
            _link_to_creator(database)
            ensure_demo_live_event(config, database)  # issue 9: an upcoming broadcast
    finally:
        database.dispose()
    build = DemoBuild(
        bundle_ids=tuple(b.bundle_id for b in DEMO_BUNDLES),
        published=tuple(b.bundle_id for b in missing),
        media_cached=cached,
        media_seconds=round(media_seconds, 2),
        total_seconds=round(time.monotonic() - started, 2),
    )
    log.info("Demo catalog ready: %s", dataclasses.asdict(build))
    return build
