"""The creator CLI ``python -m storefront publish`` end to end (a subprocess against a data dir, then the real
store serving the result), its refusals, and the clean-up when listing fails."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import libtorrent as lt
import pytest
from sqlalchemy import func, select

from app.bundle import (
    BundleKind,
    ContentCipher,
    Gate,
    GateType,
    SignedManifest,
    derive_file_key,
    load_public_key,
    verify_manifest,
)
from storefront.catalog import CampaignSpec
from storefront.config import StoreConfig
from storefront.db import Database
from storefront.demo.media import VideoSpec, encode_video
from storefront.demo.raster import Palette
from storefront.errors import StoreError
from storefront.keys import load_store_keys
from storefront.models import Bundle, BundleKey
from storefront.publish import PublishError, gate_from_args, parse_cents, publish_bundle
from tests.storefront.store_support import GOOD_CARD, REPO, StoreProcess

SECRET = b"THE-PLAINTEXT-OF-EPISODE-ONE" * 1000


def _publish(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "storefront", "publish", *args, "--data-dir", str(data_dir)]
    return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("show")
    (folder / "episodes").mkdir()
    spec = VideoSpec("TEST", "PILOT", 2, Palette((0, 0, 40), (40, 0, 0), (200, 200, 0)), 220.0, width=320, height=180)
    encode_video(spec, folder / "pilot.mp4")
    (folder / "episodes" / "e01.bin").write_bytes(SECRET + os.urandom(50_000))
    (folder / "notes.txt").write_text("Thanks for watching.\n")
    (folder / ".DS_Store").write_bytes(b"hidden files are not content")
    return folder


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, source: Path) -> Iterator[tuple[str, Path, httpx.Client]]:
    data_dir = tmp_path_factory.mktemp("store") / "data"
    done = _publish(
        data_dir,
        str(source),
        "--title",
        "Night Shift",
        "--creator",
        "Ana Ruiz",
        "--kind",
        "series",
        "--gate",
        "paid",
        "--price",
        "4.99",
        "--lock",
        "episodes/*",
        "*.nothing",  # several globs after one --lock
        "--summary",
        "A test show.",
    )
    assert done.returncode == 0, done.stderr
    bundle_id = done.stdout.strip().splitlines()[-1]
    server = StoreProcess(data_dir).start()
    try:
        with httpx.Client(base_url=server.api, timeout=30) as api:
            yield bundle_id, data_dir, api
    finally:
        server.stop()


def test_published_bundle_is_listed_with_a_signed_manifest_and_locked_files(
    published: tuple[str, Path, httpx.Client],
) -> None:
    bundle_id, _, api = published
    detail = api.get(f"/bundles/{bundle_id}").json()
    assert (detail["title"], detail["creator"], detail["kind"]) == ("Night Shift", "Ana Ruiz", "series")
    assert detail["gate"]["type"] == "paid" and detail["gate"]["price_cents"] == 499
    files = {f["path"]: f for f in detail["files"]}
    assert set(files) == {"pilot.mp4", "episodes/e01.bin", "notes.txt"}
    assert [p for p, f in files.items() if f["locked"]] == ["episodes/e01.bin"]
    assert 1.9 <= files["pilot.mp4"]["duration_s"] <= 2.2 and files["pilot.mp4"]["bitrate"] > 0
    public_key = load_public_key(api.get("/public-key").json()["public_key"])
    manifest = verify_manifest(SignedManifest.from_dict(detail["manifest"]), public_key)
    assert manifest.info_hash_v1 == detail["info_hash_v1"] and manifest.info_hash_v2 == detail["info_hash_v2"]
    torrent = api.get(f"/bundles/{bundle_id}/torrent").content
    assert SECRET[:64] not in torrent
    info = lt.torrent_info(torrent)
    assert str(info.info_hashes().v1) == manifest.info_hash_v1 and str(info.info_hashes().v2) == manifest.info_hash_v2


def test_locked_file_on_the_store_is_ciphertext_that_opens_with_its_key(
    published: tuple[str, Path, httpx.Client], source: Path
) -> None:
    bundle_id, data_dir, api = published
    config = StoreConfig.from_env(data_dir)
    stored = config.content_dir(bundle_id) / "Night Shift" / "episodes" / "e01.bin"
    ciphertext = stored.read_bytes()
    original = (source / "episodes" / "e01.bin").read_bytes()
    assert len(ciphertext) == len(original) and SECRET[:64] not in ciphertext
    assert (config.content_dir(bundle_id) / "Night Shift" / "notes.txt").read_bytes() == b"Thanks for watching.\n"
    assert not list(config.content_dir(bundle_id).rglob(".DS_Store"))
    database = Database(config.effective_database_url)
    try:
        with database.session() as session:
            wrapped = session.get(BundleKey, bundle_id)
            assert wrapped is not None
            bundle_key = load_store_keys(config).unwrap(wrapped.wrapped_key)
    finally:
        database.dispose()
    nonce = next(f for f in _manifest_files(api, bundle_id) if f["path"] == "episodes/e01.bin")["nonce"]
    cipher = ContentCipher(derive_file_key(bundle_key, "episodes/e01.bin"), bytes.fromhex(nonce))
    assert cipher.decrypt_at(0, ciphertext) == original


def _manifest_files(api: httpx.Client, bundle_id: str) -> list[dict]:
    payload = api.get(f"/bundles/{bundle_id}").json()["manifest"]["payload"]
    return json.loads(payload)["files"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--gate", "paid", "--price", "4.99"], "needs at least one --lock"),
        (["--gate", "paid", "--price", "4.99", "--lock", "*.flac"], "no file matches"),
        (["--gate", "paid", "--lock", "*.mp4"], "needs --price above zero"),
        (["--gate", "pwyw", "--price", "-1", "--lock", "*.mp4"], "whole cents"),
        (["--gate", "paid", "--price", "4.999", "--lock", "*.mp4"], "whole cents"),
        (["--gate", "campaign", "--price", "9.95", "--lock", "*.mp4"], "needs --goal-backers"),
        (["--gate", "free", "--lock", "*.mp4"], "free bundle cannot have locked files"),
    ],
)
def test_bad_requests_exit_2_with_a_reason_and_leave_the_store_untouched(
    tmp_path: Path, source: Path, args: list[str], message: str
) -> None:
    data_dir = tmp_path / "data"
    done = _publish(data_dir, str(source), "--title", "T", "--creator", "C", "--kind", "film", *args)
    assert done.returncode == 2 and message in done.stderr
    content = data_dir / "content"
    assert not content.exists() or not any(content.iterdir())
    assert not (data_dir / "torrents").exists() or not any((data_dir / "torrents").iterdir())


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    done = _publish(
        tmp_path / "data",
        str(tmp_path / "nowhere"),
        "--title",
        "T",
        "--creator",
        "C",
        "--kind",
        "film",
        "--gate",
        "free",
    )
    assert done.returncode == 2 and "is not a folder" in done.stderr


def test_when_listing_fails_content_and_torrent_are_removed(tmp_path: Path, source: Path) -> None:
    config = StoreConfig.from_env(tmp_path / "data")
    kwargs = {
        "title": "Twice",
        "creator": "C",
        "kind": BundleKind.FILM,
        "gate": Gate(GateType.FREE),
        "bundle_id": "twice",
    }
    publish_bundle(config, source, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(PublishError, match="already exists"):
        publish_bundle(config, source, **kwargs)  # type: ignore[arg-type]
    # A campaign gate without a campaign is refused by the catalog, after content and torrent were made.
    with pytest.raises(StoreError, match="campaign"):
        publish_bundle(
            config,
            source,
            title="Broken",
            creator="C",
            kind=BundleKind.SERIES,
            gate=Gate(GateType.CAMPAIGN, price_cents=995),
            lock_globs=["episodes/*"],
            bundle_id="broken",
        )
    assert not config.content_dir("broken").exists() and not config.torrent_path("broken").exists()
    assert sorted(p.name for p in config.content_root.iterdir()) == ["twice"]
    database = Database(config.effective_database_url)
    try:
        with database.session() as session:
            assert session.get(Bundle, "broken") is None and session.get(Bundle, "twice") is not None
    finally:
        database.dispose()
    spec = CampaignSpec(deadline=dt.datetime.now(dt.UTC) + dt.timedelta(days=1), goal_backers=10)
    publish_bundle(
        config,
        source,
        title="Fixed",
        creator="C",
        kind=BundleKind.SERIES,
        gate=Gate(GateType.CAMPAIGN, price_cents=995),
        lock_globs=["episodes/*"],
        campaign=spec,
    )


def test_amounts_and_gates_from_the_command_line() -> None:
    assert parse_cents("9.95") == 995 and parse_cents("9") == 900 and parse_cents("0.5") == 50
    assert gate_from_args("pwyw", "1.00") == Gate(GateType.PWYW, min_cents=100)
    assert gate_from_args("pwyw", None) == Gate(GateType.PWYW, min_cents=0)
    assert gate_from_args("campaign", "9.95").price_cents == 995
    with pytest.raises(PublishError, match="unknown gate"):
        gate_from_args("barter", None)
    with pytest.raises(PublishError, match="not an amount"):
        parse_cents("nine")


@pytest.mark.parametrize("bundle_id", ["../evil", ".hidden", "a/b", "..", "x" * 65])
def test_a_bundle_id_that_would_leave_the_content_folder_is_refused(
    tmp_path: Path, source: Path, bundle_id: str
) -> None:
    config = StoreConfig.from_env(tmp_path / "data")
    with pytest.raises(PublishError, match="bundle id"):
        publish_bundle(
            config, source, title="T", creator="C", kind=BundleKind.FILM, gate=Gate(GateType.FREE), bundle_id=bundle_id
        )
    assert not (tmp_path / "evil").exists() and not (tmp_path / "data").exists()


def test_a_cover_that_is_not_a_png_is_refused(tmp_path: Path, source: Path) -> None:
    fake = tmp_path / "cover.png"
    fake.write_bytes(b"GIF89a not a png")
    done = _publish(
        tmp_path / "data",
        str(source),
        "--title",
        "T",
        "--creator",
        "C",
        "--kind",
        "film",
        "--gate",
        "free",
        "--cover",
        str(fake),
    )
    assert done.returncode == 2 and "is not a PNG image" in done.stderr


def _sign_up(api: httpx.Client, email: str, password: str = "password-123") -> str:
    assert api.post("/accounts", json={"email": email, "password": password}).status_code == 201
    signed = api.post("/sessions", json={"email": email, "password": password})
    assert signed.status_code == 201, signed.text
    return str(signed.json()["token"])


def test_the_creator_account_sees_a_fans_purchase_and_download_in_its_report(tmp_path: Path, source: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    server = StoreProcess(data_dir).start()  # publishing into a running store, as a creator would
    try:
        with httpx.Client(base_url=server.api, timeout=30) as api:
            creator = _sign_up(api, "ana@example.com")
            done = _publish(
                data_dir,
                str(source),
                *("--title", "Night Shift", "--creator", "Ana Ruiz", "--kind", "series"),
                *("--gate", "paid", "--price", "4.99", "--lock", "episodes/*"),
                *("--creator-account", " Ana@Example.com "),  # addresses are matched as sign-in matches them
            )
            assert done.returncode == 0, done.stderr
            bundle_id = done.stdout.strip().splitlines()[-1]
            headers = {"Authorization": f"Bearer {creator}"}
            before = api.get("/creators/report", headers=headers).json()["bundles"]
            assert [(b["bundle_id"], b["gross_cents"], b["downloads"]) for b in before] == [(bundle_id, 0, 0)]

            fan = _sign_up(api, "fan@example.com")
            bought = api.post(
                "/purchases",
                json={"bundle_id": bundle_id, "card": GOOD_CARD},
                headers={"Authorization": f"Bearer {fan}", "Idempotency-Key": "fan-buys-night-shift"},
            )
            assert bought.status_code == 201, bought.text
            assert api.get(f"/bundles/{bundle_id}/torrent").status_code == 200  # the fan's client downloads it

            (line,) = api.get("/creators/report", headers=headers).json()["bundles"]
            assert line["bundle_id"] == bundle_id and line["title"] == "Night Shift"
            assert line["gross_cents"] == 499
            assert line["payment_fees_cents"] == 44  # the test provider's 2.9% + 30 cents
            assert line["store_fee_cents"] == 50  # the store's 10% of the gross, to the nearest cent
            assert line["net_cents"] == 499 - 44 - 50
            assert line["downloads"] == 1
            assert api.get("/creators/report", headers={"Authorization": f"Bearer {fan}"}).json() == {"bundles": []}
    finally:
        server.stop()


def test_an_unknown_creator_account_is_refused_and_nothing_is_written(tmp_path: Path, source: Path) -> None:
    args = ("--title", "T", "--creator", "C", "--kind", "film", "--gate", "free")
    fresh = tmp_path / "fresh"
    done = _publish(fresh, str(source), *args, "--creator-account", "nobody@example.com")
    assert done.returncode == 2 and "no account with the e-mail address nobody@example.com" in done.stderr
    assert not fresh.exists()  # not even an empty database

    config = StoreConfig.from_env(tmp_path / "store")
    publish_bundle(config, source, title="First", creator="C", kind=BundleKind.FILM, gate=Gate(GateType.FREE))
    content = sorted(p.name for p in config.content_root.iterdir())
    torrents = sorted(p.name for p in config.torrents_dir.iterdir())
    done = _publish(config.data_dir, str(source), *args, "--creator-account", "nobody@example.com")
    assert done.returncode == 2 and "signs up first" in done.stderr
    done = _publish(config.data_dir, str(source), *args, "--creator-account", "not an address")
    assert done.returncode == 2 and "not a valid e-mail address" in done.stderr
    assert sorted(p.name for p in config.content_root.iterdir()) == content
    assert sorted(p.name for p in config.torrents_dir.iterdir()) == torrents
    database = Database(config.effective_database_url)
    try:
        with database.session() as session:
            assert session.scalar(select(func.count()).select_from(Bundle)) == 1
    finally:
        database.dispose()
