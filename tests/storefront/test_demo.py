"""The demo catalog, built once for this module (media cached across sessions) and served by the real store.

Checked as a user would meet it: five bundles with covers; the free pilot is a faststart 720p H.264/AAC MP4 of
the stated length with a keyframe every ~2 s; locked episodes are not decodable as they travel and decode once
decrypted with a license's key; the campaign shows 250,000 backers wanted at $9.95 with pledges already in.
"""

from __future__ import annotations

import io
import itertools
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
from storefront.config import StoreConfig
from storefront.db import Database
from storefront.demo import DemoBuild, ensure_demo_catalog, recipe
from storefront.demo.media import probe
from storefront.keys import load_store_keys
from storefront.models import BundleKey
from tests.storefront.store_support import StoreProcess
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
        with av.open(io.BytesIO(cover.content), format="png_pipe") as image:  # FFmpeg's own PNG decoder
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
    with av.open(io.BytesIO(_decrypted(demo, recipe.SERIES_ID, first))) as container:
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
