"""The demo catalog, built once for this module (media cached across sessions) and served by the real store.

Checked as a user would meet it: five bundles with covers; the free pilot is a faststart 720p H.264/AAC MP4 of
the stated length with a keyframe every ~2 s; every video has its audio and video interleaved (what streaming
while downloading needs); locked episodes are not decodable as they travel and decode once decrypted with a
license's key; the campaign shows 250,000 backers wanted at $9.95 with pledges already in; the bundles belong to
a demo creator account (sign-in disabled) whose report and subscriber export show what fans do.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import secrets
import struct
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import httpx
import libtorrent as lt
import pytest
from sqlalchemy import delete, select, update

from app.bundle import (
    BundleKind,
    ContentCipher,
    Grant,
    Manifest,
    SignedManifest,
    issue_license,
    verify_license,
    verify_manifest,
)
from storefront.accounts import hash_token
from storefront.config import StoreConfig
from storefront.db import Database
from storefront.demo import DemoBuild, ensure_demo_catalog, recipe
from storefront.demo.live_event import DEMO_LIVE_ID
from storefront.demo.media import probe
from storefront.keys import load_store_keys
from storefront.models import Account, Bundle, BundleKey, SessionToken
from tests.storefront.store_support import GOOD_CARD, StoreProcess
from tests.support.demo import build_demo_store, demo_media_cache

# The first session on a machine generates the demo's media (~50 CPU-seconds; minutes on a loaded machine),
# which the module fixture's first test pays for; later sessions reuse the cache.
pytestmark = pytest.mark.timeout(600)


@dataclass(frozen=True)
class DemoStore:
    config: StoreConfig
    build: DemoBuild
    api: httpx.Client


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoStore]:
    config, build = build_demo_store(tmp_path_factory.mktemp("demo") / "data")
    server = StoreProcess(config.data_dir, demo=True).start()
    try:
        with httpx.Client(base_url=server.api, timeout=30) as api:
            yield DemoStore(config, build, api)
    finally:
        server.stop()


def _detail(demo: DemoStore, bundle_id: str) -> dict:
    answer = demo.api.get(f"/bundles/{bundle_id}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def _manifest(demo: DemoStore, bundle_id: str) -> Manifest:
    signed = SignedManifest.from_dict(_detail(demo, bundle_id)["manifest"])
    return verify_manifest(signed, load_store_keys(demo.config).signing.public_key)


def _content(demo: DemoStore, bundle_id: str, path: str) -> Path:
    files = list(demo.config.content_dir(bundle_id).glob(f"*/{path}"))
    assert len(files) == 1
    return files[0]


def _license_key(demo: DemoStore, bundle_id: str, path: str) -> bytes:
    keys = load_store_keys(demo.config)
    database = Database(demo.config.effective_database_url)
    try:
        with database.session() as session:
            wrapped = session.get(BundleKey, bundle_id)
            assert wrapped is not None
            bundle_key = keys.unwrap(wrapped.wrapped_key)
    finally:
        database.dispose()
    _, token = issue_license(
        keys.signing,
        store_id=demo.config.store_id,
        account_id="fan",
        bundle_id=bundle_id,
        grant=Grant.whole_bundle(bundle_key),
    )
    key = verify_license(token, keys.signing.public_key).file_key(path)
    assert key is not None
    return key


def _decrypted(demo: DemoStore, bundle_id: str, path: str) -> bytes:
    entry = _manifest(demo, bundle_id).file(path)
    cipher = ContentCipher(_license_key(demo, bundle_id, path), entry.nonce_bytes)
    return cipher.decrypt_at(0, _content(demo, bundle_id, path).read_bytes())


def _top_level_boxes(data: bytes) -> list[bytes]:
    boxes, pos = [], 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0]
        boxes.append(kind)
        if size < 8:
            break
        pos += size
    return boxes


def test_the_catalog_lists_five_bundles_with_png_covers(demo: DemoStore) -> None:
    listing = demo.api.get("/catalog", params={"per_page": 50}).json()
    by_id = {item["id"]: item for item in listing["items"]}
    assert set(by_id) == {recipe.SERIES_ID, recipe.ALBUM_ID, recipe.BOOK_ID, recipe.TOOL_ID, recipe.FILM_ID}
    gates = {bundle_id: item["gate"]["type"] for bundle_id, item in by_id.items()}
    assert gates == {
        recipe.SERIES_ID: "campaign",
        recipe.ALBUM_ID: "paid",
        recipe.BOOK_ID: "email",
        recipe.TOOL_ID: "free",
        recipe.FILM_ID: "pwyw",
    }
    assert by_id[recipe.FILM_ID]["gate"]["min_cents"] == 100
    for bundle_id in by_id:
        cover = demo.api.get(f"/bundles/{bundle_id}/cover")
        assert cover.status_code == 200 and cover.headers["content-type"] == "image/png"
        assert cover.content[:8] == b"\x89PNG\r\n\x1a\n"
        with av.open(io.BytesIO(cover.content), "r", format="png_pipe") as image:  # FFmpeg's own PNG decoder
            frame = next(image.decode(video=0))
        assert (frame.width, frame.height) == (600, 800)


def test_the_campaign_wants_250000_backers_at_9_95_and_has_pledges_in(demo: DemoStore) -> None:
    campaign = _detail(demo, recipe.SERIES_ID)["campaign"]
    assert campaign["goal_backers"] == 250_000 and campaign["price_cents"] == 995
    assert campaign["state"] == "open" and campaign["seconds_left"] > 14 * 24 * 3600
    assert campaign["backers"] >= recipe.CAMPAIGN_PLEDGES_IN
    assert campaign["pledged_cents"] >= recipe.CAMPAIGN_PLEDGES_IN * 995


def test_the_pilot_is_free_faststart_720p_h264_aac_of_its_stated_length(demo: DemoStore) -> None:
    files = {f["path"]: f for f in _detail(demo, recipe.SERIES_ID)["files"]}
    pilot = files["pilot.mp4"]
    assert not pilot["locked"] and pilot["media_type"] == "video/mp4"
    assert 110 <= pilot["duration_s"] <= 180 and 1_000_000 <= pilot["bitrate"] <= 3_500_000
    path = _content(demo, recipe.SERIES_ID, "pilot.mp4")
    info = probe(path)
    assert (info.video_codec, info.audio_codec, info.width, info.height) == ("h264", "aac", 1280, 720)
    assert abs(info.duration_s - pilot["duration_s"]) < 0.5
    boxes = _top_level_boxes(path.read_bytes())
    assert boxes.index(b"moov") < boxes.index(b"mdat")  # faststart: the index comes first
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        keyframes = [float(p.pts * p.time_base) for p in container.demux(stream) if p.is_keyframe and p.pts is not None]
    gaps = [b - a for a, b in itertools.pairwise(keyframes)]
    assert len(keyframes) > 50 and max(gaps) <= 2.1


def test_eight_locked_episodes_are_not_decodable_until_decrypted(demo: DemoStore) -> None:
    files = {f["path"]: f for f in _detail(demo, recipe.SERIES_ID)["files"]}
    episodes = sorted(p for p in files if p.startswith("episodes/"))
    assert len(episodes) == 8 and all(files[p]["locked"] for p in episodes)
    first = episodes[0]
    with pytest.raises(av.error.FFmpegError), av.open(str(_content(demo, recipe.SERIES_ID, first))) as container:
        next(container.decode(video=0))
    with av.open(io.BytesIO(_decrypted(demo, recipe.SERIES_ID, first)), "r") as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.name, stream.codec_context.height) == ("h264", 720)
        frame = next(container.decode(video=0))
        assert frame.width == 1280
    assert 20 <= files[first]["duration_s"] <= 40


def test_album_tracks_are_mp3_with_the_first_free(demo: DemoStore) -> None:
    files = {f["path"]: f for f in _detail(demo, recipe.ALBUM_ID)["files"]}
    tracks = sorted(p for p in files if p.endswith(".mp3"))
    assert len(tracks) == 4 and "cover.png" in files
    assert [files[t]["locked"] for t in tracks] == [False, True, True, True]
    info = probe(_content(demo, recipe.ALBUM_ID, tracks[0]))
    assert info.audio_codec is not None and info.audio_codec.startswith("mp3") and 25 <= info.duration_s <= 40
    with av.open(str(_content(demo, recipe.ALBUM_ID, tracks[0]))) as track:  # the cover is in the ID3 tag
        art = track.streams.video[0]
        assert art.disposition & av.stream.Disposition.attached_pic
        assert next(track.decode(art)).width == 600
        assert track.metadata["album"] == "Harbor Lights" and track.metadata["artist"] == "The Quiet Orbitals"
    with av.open(io.BytesIO(_decrypted(demo, recipe.ALBUM_ID, tracks[2]))) as container:
        assert container.streams.audio[0].codec_context.name.startswith("mp3")


def test_the_email_gated_ebook_is_a_real_epub_once_unlocked(demo: DemoStore) -> None:
    manifest = _manifest(demo, recipe.BOOK_ID)
    book = next(f for f in manifest.files if f.path.endswith(".epub"))
    assert book.locked and manifest.gate.type.value == "email"
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(_content(demo, recipe.BOOK_ID, book.path))
    with zipfile.ZipFile(io.BytesIO(_decrypted(demo, recipe.BOOK_ID, book.path))) as epub:
        assert epub.namelist()[0] == "mimetype" and epub.read("mimetype") == b"application/epub+zip"
        assert epub.infolist()[0].compress_type == zipfile.ZIP_STORED
        assert b"Red Dwarfs" in epub.read("OEBPS/chapter-02.xhtml")


def test_the_free_tool_runs(demo: DemoStore, tmp_path: Path) -> None:
    with zipfile.ZipFile(_content(demo, recipe.TOOL_ID, "pocket-orrery-1.0.zip")) as archive:
        archive.extractall(tmp_path)
    run = subprocess.run(
        [sys.executable, str(tmp_path / "pocket-orrery" / "orrery.py"), "2030-01-01"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert "The solar system on 2030-01-01" in run.stdout and "Neptune" in run.stdout


def test_the_served_torrent_is_hybrid_with_media_pieces_and_the_stores_urls(demo: DemoStore) -> None:
    detail = _detail(demo, recipe.SERIES_ID)
    data = demo.api.get(f"/bundles/{recipe.SERIES_ID}/torrent").content
    params = lt.load_torrent_buffer(data)
    assert params.ti is not None
    assert params.ti.info_hashes().has_v1() and params.ti.info_hashes().has_v2()
    assert str(params.ti.info_hashes().v1) == detail["info_hash_v1"]
    assert params.ti.piece_length() == 256 * 1024
    assert params.trackers == [detail["tracker_url"]] and params.url_seeds == [detail["web_seed_url"]]


def test_a_second_build_publishes_nothing_and_a_new_store_reuses_the_media(demo: DemoStore, tmp_path: Path) -> None:
    again = ensure_demo_catalog(demo.config, demo_media_cache())
    assert again.published == () and again.bundle_ids == demo.build.bundle_ids
    other = StoreConfig.from_env(tmp_path / "other")
    # What a crash in the middle of a first build leaves behind: content without a catalog row, a staging folder.
    (other.content_dir(recipe.TOOL_ID) / "half").mkdir(parents=True)
    (other.content_root / f".staging-{recipe.FILM_ID}").mkdir()
    fresh = ensure_demo_catalog(other, demo_media_cache())
    assert fresh.media_cached and set(fresh.published) == set(demo.build.bundle_ids)
    assert not (other.content_dir(recipe.TOOL_ID) / "half").exists()
    assert sorted(p.name for p in other.content_root.iterdir()) == sorted(demo.build.bundle_ids)


def test_without_worker_processes_the_media_are_made_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storefront.demo import build
    from storefront.demo.recipe import DemoBundle, VideoPlan

    tiny = DemoBundle(
        bundle_id="tiny",
        title="Tiny",
        creator="T",
        kind=BundleKind.FILM,
        gate="free",
        price=None,
        summary="",
        description="",
        palette=recipe.DEMO_BUNDLES[0].palette,
        videos=(VideoPlan("clip.mp4", "TINY", "ONE SECOND", 1, 220.0),),
    )

    def no_pool(*_: object) -> None:
        raise OSError("no semaphores here")

    monkeypatch.setattr(build, "DEMO_BUNDLES", (tiny,))
    monkeypatch.setattr(build, "_encode_in_workers", no_pool)
    facts = build._generate_all(tmp_path)
    assert facts["tiny"]["clip.mp4"][0] == pytest.approx(1.0, abs=0.1)
    assert probe(tmp_path / "tiny" / "clip.mp4").video_codec == "h264"


# --- interleaving: a player streaming a file while it downloads needs its audio and video from the same region ---
WINDOW = 2 * 1024 * 1024


@dataclass(frozen=True)
class Layout:
    drift_s: float  # the largest |audio time - video time| between neighbouring packets in file order
    longest_stretch: dict[str, int]  # per stream: the most bytes of the file in a row that hold none of its packets


def _layout(source: Path | bytes) -> Layout:
    rows: list[tuple[int, str, float]] = []
    opened = av.open(str(source), "r") if isinstance(source, Path) else av.open(io.BytesIO(source), "r")
    with opened as container:
        for packet in container.demux():
            kind = packet.stream.type
            if kind in ("audio", "video") and packet.pos is not None and packet.pts is not None and packet.size:
                rows.append((int(packet.pos), kind, float(packet.pts * packet.time_base)))
    return _layout_of(rows, source.stat().st_size if isinstance(source, Path) else len(source))


def _layout_of(rows: list[tuple[int, str, float]], size: int) -> Layout:
    last_time: dict[str, float] = {}
    last_pos = {"audio": 0, "video": 0}
    stretch = {"audio": 0, "video": 0}
    drift = 0.0
    for pos, kind, time_s in sorted(rows):  # FFmpeg's mp4 demuxer hands packets out by time: sort by position
        other = "video" if kind == "audio" else "audio"
        if other in last_time:
            drift = max(drift, abs(time_s - last_time[other]))
        stretch[kind] = max(stretch[kind], pos - last_pos[kind])
        last_time[kind], last_pos[kind] = time_s, pos
    return Layout(drift, {kind: max(gap, size - last_pos[kind]) for kind, gap in stretch.items()})


def test_the_interleaving_check_catches_audio_stored_after_the_video() -> None:
    # The layout the player engineer found in the old pilot: 120 s of video, then all the audio from byte 24.9 MB.
    video = [(40_000 + 8_600 * i, "video", i / 24) for i in range(2880)]
    audio = [(24_900_000 + 750 * i, "audio", i * 1024 / 48_000) for i in range(5625)]
    old = _layout_of(video + audio, 29_100_000)
    assert old.drift_s > 100 and old.longest_stretch["audio"] > WINDOW


def test_every_demo_video_interleaves_audio_and_video(demo: DemoStore) -> None:
    videos = {"pilot.mp4": _layout(_content(demo, recipe.SERIES_ID, "pilot.mp4"))}
    for entry in _manifest(demo, recipe.SERIES_ID).files:
        if entry.path.startswith("episodes/"):
            videos[entry.path] = _layout(_decrypted(demo, recipe.SERIES_ID, entry.path))
    videos["paper-moons.mp4"] = _layout(_decrypted(demo, recipe.FILM_ID, "paper-moons.mp4"))
    assert len(videos) == 10
    for path, layout in videos.items():
        assert layout.drift_s <= 0.5, f"{path}: audio and video {layout.drift_s:.1f} s apart at one file offset"
        # Every 2 MB window of the file holds packets of both streams.
        assert max(layout.longest_stretch.values()) < WINDOW, f"{path}: {layout.longest_stretch}"


# --- the demo creator: every demo bundle belongs to one account, whose report and subscriber export fill up ---


def _creator_token(config: StoreConfig) -> str:
    """A session for the demo creator, made as the store's operator would: sign-in is disabled for it."""
    token = secrets.token_urlsafe(32)
    database = Database(config.effective_database_url)
    try:
        with database.write() as session:
            account_id = session.scalar(select(Account.id).where(Account.email == recipe.CREATOR_EMAIL))
            assert account_id is not None
            expires = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
            session.add(SessionToken(token_hash=hash_token(token), account_id=account_id, expires_at=expires))
    finally:
        database.dispose()
    return token


def _fan(api: httpx.Client) -> tuple[str, dict[str, str]]:
    """A new fan's e-mail address and authorization header."""
    email, password = f"fan-{secrets.token_hex(4)}@example.com", "password-123"
    assert api.post("/accounts", json={"email": email, "password": password}).status_code == 201
    token = api.post("/sessions", json={"email": email, "password": password}).json()["token"]
    return email, {"Authorization": f"Bearer {token}"}


def test_no_one_can_sign_in_as_or_sign_up_over_the_demo_creator(demo: DemoStore) -> None:
    for password in ("", "password-123", "!sign-in disabled"):
        answer = demo.api.post("/sessions", json={"email": recipe.CREATOR_EMAIL, "password": password})
        assert answer.status_code in (401, 422) and "token" not in answer.text
    taken = demo.api.post("/accounts", json={"email": recipe.CREATOR_EMAIL, "password": "password-123"})
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "email_taken"


def test_the_demo_creators_report_shows_a_purchase_and_the_export_a_confirmed_subscriber(demo: DemoStore) -> None:
    creator = {"Authorization": f"Bearer {_creator_token(demo.config)}"}
    before = {b["bundle_id"]: b for b in demo.api.get("/creators/report", headers=creator).json()["bundles"]}
    assert set(before) == set(demo.build.bundle_ids) | {DEMO_LIVE_ID}  # the demo's upcoming broadcast is hers too

    fan_email, fan = _fan(demo.api)
    bought = demo.api.post(
        "/purchases",
        json={"bundle_id": recipe.ALBUM_ID, "card": GOOD_CARD},
        headers={**fan, "Idempotency-Key": secrets.token_hex(8)},
    )
    assert bought.status_code == 201, bought.text
    assert demo.api.get(f"/bundles/{recipe.ALBUM_ID}/torrent").status_code == 200
    after = {b["bundle_id"]: b for b in demo.api.get("/creators/report", headers=creator).json()["bundles"]}
    was, now = before[recipe.ALBUM_ID], after[recipe.ALBUM_ID]
    assert now["gross_cents"] - was["gross_cents"] == 700  # the album's $7.00
    assert now["payment_fees_cents"] - was["payment_fees_cents"] == 50  # 2.9% + 30 cents
    assert now["store_fee_cents"] == (now["gross_cents"] * 10 + 50) // 100  # the store's 10%
    assert now["net_cents"] == now["gross_cents"] - now["payment_fees_cents"] - now["store_fee_cents"]
    assert now["downloads"] == was["downloads"] + 1

    sent = demo.api.post(f"/bundles/{recipe.BOOK_ID}/email", json={"email": fan_email, "consent": True}, headers=fan)
    assert sent.status_code == 202, sent.text
    confirmed = demo.api.post(
        f"/bundles/{recipe.BOOK_ID}/email/confirm",
        json={"email": fan_email, "code": sent.json()["dev_code"]},
        headers=fan,
    )
    assert confirmed.status_code == 201, confirmed.text
    export = demo.api.get(f"/creators/bundles/{recipe.BOOK_ID}/subscribers", headers=creator).json()
    assert fan_email in [s["email"] for s in export["subscribers"]]
    assert demo.api.get(f"/creators/bundles/{recipe.BOOK_ID}/subscribers", headers=fan).status_code == 403


def test_demo_bundles_published_before_the_creator_account_are_linked_on_the_next_build(tmp_path: Path) -> None:
    config, _ = build_demo_store(tmp_path / "data")
    database = Database(config.effective_database_url)
    try:
        with database.write() as session:  # what a data dir built by the previous version holds
            session.execute(update(Bundle).values(creator_account_id=None))
            session.execute(delete(Account).where(Account.email == recipe.CREATOR_EMAIL))
        again = ensure_demo_catalog(config, demo_media_cache())
        assert again.published == ()
        with database.session() as session:
            owner = session.scalar(select(Account.id).where(Account.email == recipe.CREATOR_EMAIL))
            owners = set(session.scalars(select(Bundle.creator_account_id)))
        assert owner is not None and owners == {owner}
    finally:
        database.dispose()
