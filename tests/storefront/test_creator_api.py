"""The creator API over real HTTP (the store as its own process): the role, publishing from the app's publishing
code (draft, piece-verified upload, publish), what is refused and that a refusal publishes nothing, and the
403s for a non-creator and for another creator's bundle."""

from __future__ import annotations

import base64
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.bundle import BundleKind, GateType
from app.library.publishing import Publisher, PublishRequest
from storefront.demo.raster import encode_png
from tests.storefront import creator_store
from tests.storefront.creator_store import creator_publisher, new_creator
from tests.storefront.store_support import StoreProcess
from tests.support.creator import bearer, episodes, new_account, signed_manifest

pytestmark = pytest.mark.timeout(180)
store, api = creator_store.store, creator_store.api  # the shared fixtures (an empty store of their own), by name


def test_a_non_creator_is_refused_with_a_sentence_and_becoming_one_is_a_call(api: httpx.Client) -> None:
    _, token = new_account(api)
    for method, path in (("GET", "/creators/dashboard"), ("POST", "/creators/drafts")):
        answer = api.request(method, path, headers=bearer(token), json={} if method == "POST" else None)
        assert answer.status_code == 403
        assert answer.json()["error"]["code"] == "not_creator"
        assert "Become a creator" in answer.json()["error"]["message"]
    assert api.get("/creators/me", headers=bearer(token)).json()["creator"] is False
    assert api.post("/creators/me", json={"display_name": "Lu"}, headers=bearer(token)).status_code == 200
    assert api.get("/creators/me", headers=bearer(token)).json()["creator"] is True
    assert api.get("/creators/dashboard", headers=bearer(token)).status_code == 200


def test_a_bundle_is_listed_only_once_whole_and_its_manifest_is_signed(
    api: httpx.Client, store: StoreProcess, tmp_path: Path
) -> None:
    token = new_creator(api)
    folder = episodes(tmp_path / "src", {"pilot.bin": 300_000, "episodes/e1.bin": 1_500_000, "extras/notes.txt": 10})
    publisher = creator_publisher(store, token, tmp_path / "work")
    request = PublishRequest(
        folder=folder,
        title="Lumen Drift",
        kind=BundleKind.SERIES,
        gate=GateType.PAID,
        locked=frozenset({"episodes/e1.bin"}),
        price_cents=499,
        cover=tmp_path / "cover.png",
    )
    request.cover.write_bytes(encode_png(4, 4, bytes(range(48))))  # type: ignore[union-attr]
    job = publisher.plan(request)
    seen: list[str] = []

    def progress(step: str, done: int, total: int) -> None:
        seen.append(step)
        if step == "uploading":  # mid-upload: the draft is at the store, the catalog does not show it
            assert api.get("/catalog", params={"q": "Lumen Drift"}).json()["total"] == 0

    bundle_id = publisher.run(job, progress=progress)
    assert {"encrypting", "uploading"} <= set(seen)  # hashing happens while encrypting
    listed = api.get("/catalog", params={"q": "Lumen Drift"}).json()
    assert [item["id"] for item in listed["items"]] == [bundle_id]
    manifest = signed_manifest(api, bundle_id)
    assert manifest.creator == "Ana Ruiz" and manifest.file("episodes/e1.bin").locked
    assert not manifest.file("pilot.bin").locked
    # The store's web seed serves exactly the creator's bytes: ciphertext for the locked episode.
    top = publisher.bundle_dir(job) / publisher.journal(job).top_name
    for path in ("pilot.bin", "episodes/e1.bin"):
        served = httpx.get(f"{store.url}/seed/{bundle_id}/{top.name}/{path}", timeout=30)
        assert served.status_code == 200 and served.content == (top / path).read_bytes()
    assert (top / "episodes/e1.bin").read_bytes() != (folder / "episodes/e1.bin").read_bytes()
    assert (top / "pilot.bin").read_bytes() == (folder / "pilot.bin").read_bytes()
    assert api.get(f"/bundles/{bundle_id}/cover").content == (tmp_path / "cover.png").read_bytes()


def _draft_body(
    publisher: Publisher, api: httpx.Client, store: StoreProcess, tmp_path: Path, token: str
) -> dict[str, Any]:
    """A valid draft body made by the app's code (torrent, files, key), not yet sent."""
    folder = episodes(tmp_path / "src2", {"ep.bin": 600_000})
    request = PublishRequest(
        folder=folder,
        title="Probe",
        kind=BundleKind.FILM,
        gate=GateType.PAID,
        locked=frozenset({"ep.bin"}),
        price_cents=100,
    )
    job = publisher.plan(request)
    journal = publisher.journal(job)
    publisher._encrypt(journal, publisher._keys.get(job) or b"", lambda *a: None, threading.Event())
    publisher._make_torrent(journal, lambda *a: None, threading.Event())
    torrent = (publisher.job_dir(job) / "bundle.torrent").read_bytes()
    return {
        "title": "Probe",
        "kind": "film",
        "gate": {"type": "paid", "price_cents": 100},
        "files": [
            {
                "path": "ep.bin",
                "media_type": "application/octet-stream",
                "locked": True,
                "nonce": journal.files[0]["nonce"],
            }
        ],
        "torrent": base64.b64encode(torrent).decode(),
        "bundle_key": base64.b64encode(publisher._keys.get(job) or b"").decode(),
        "_top": str(publisher.bundle_dir(job) / journal.top_name / "ep.bin"),
    }


@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        ({"title": "x" * 10_000}, "at most 200 fit"),
        ({"gate": {"type": "paid", "price_cents": -100}}, "price must be between"),
        ({"gate": {"type": "paid", "price_cents": 10**14}}, "price must be between"),
        ({"cover": base64.b64encode(b"not an image at all").decode()}, "not a PNG image"),
        ({"files": []}, "no files"),
        ({"bundle_key": base64.b64encode(b"short").decode()}, "32 bytes"),
        ({"torrent": base64.b64encode(b"d4:infoi1ee").decode()}, "torrent"),
    ],
)
def test_bad_drafts_are_refused_with_a_sentence_and_publish_nothing(
    api: httpx.Client, store: StoreProcess, tmp_path: Path, change: dict[str, Any], sentence: str
) -> None:
    token = new_creator(api)
    body = _draft_body(creator_publisher(store, token, tmp_path / "work"), api, store, tmp_path, token)
    body.pop("_top")
    before = api.get("/catalog").json()["total"]
    answer = api.post("/creators/drafts", json={**body, **change}, headers=bearer(token))
    assert answer.status_code == 422, answer.text
    assert sentence in answer.json()["error"]["message"]
    assert api.get("/catalog").json()["total"] == before


def test_an_upload_that_does_not_match_the_torrent_is_refused_and_gaps_are_named(
    api: httpx.Client, store: StoreProcess, tmp_path: Path
) -> None:
    token = new_creator(api)
    body = _draft_body(creator_publisher(store, token, tmp_path / "work"), api, store, tmp_path, token)
    real = Path(body.pop("_top")).read_bytes()
    draft = api.post("/creators/drafts", json=body, headers=bearer(token)).json()
    url = f"/creators/drafts/{draft['draft_id']}/files/0"
    forged = bytes(256 * 1024)
    refused = api.put(url, params={"offset": 0}, content=forged, headers=bearer(token))
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "piece_mismatch"
    gap = api.put(url, params={"offset": 256 * 1024}, content=real[256 * 1024 : 512 * 1024], headers=bearer(token))
    assert gap.status_code == 409 and "continue from there" in gap.json()["error"]["message"]
    early = api.post(f"/creators/drafts/{draft['draft_id']}/publish", headers=bearer(token))
    assert early.status_code == 409 and early.json()["error"]["code"] == "upload_incomplete"
    ok = api.put(url, params={"offset": 0}, content=real[: 256 * 1024], headers=bearer(token))
    assert ok.json()["received"] == 256 * 1024
    # Another creator cannot touch this draft.
    other = new_creator(api, "Someone Else")
    stolen = api.put(url, params={"offset": 0}, content=real[: 256 * 1024], headers=bearer(other))
    assert stolen.status_code == 403 and stolen.json()["error"]["code"] == "not_your_bundle"


def test_another_creators_bundle_is_forbidden(api: httpx.Client, store: StoreProcess, tmp_path: Path) -> None:
    owner = new_creator(api)
    folder = episodes(tmp_path / "src", {"a.bin": 100_000})
    publisher = creator_publisher(store, owner, tmp_path / "work")
    job = publisher.plan(
        PublishRequest(folder=folder, title="Mine", kind=BundleKind.MUSIC, gate=GateType.FREE, locked=frozenset())
    )
    bundle_id = publisher.run(job)
    intruder = new_creator(api, "Intruder")
    for method, path in (
        ("GET", f"/creators/bundles/{bundle_id}/key"),
        ("POST", f"/creators/bundles/{bundle_id}/updates"),
        ("GET", f"/creators/bundles/{bundle_id}/subscribers.csv"),
    ):
        answer = api.request(
            method, path, headers=bearer(intruder), json={"title": "t", "body": "b"} if method == "POST" else None
        )
        assert answer.status_code == 403, (path, answer.text)
        assert "another creator" in answer.json()["error"]["message"] or "creator" in answer.json()["error"]["message"]
        assert "bundle_key" not in answer.text
    mine = api.get(f"/creators/bundles/{bundle_id}/key", headers=bearer(owner))
    assert mine.status_code == 200 and len(base64.b64decode(mine.json()["bundle_key"])) == 32
