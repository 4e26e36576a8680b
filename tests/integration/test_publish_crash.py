"""Killing the creator's app (kill -9) at points all along a publish — while planning, encrypting (and hashing), just
as the upload starts, mid-upload, at random instants — then starting it again with ``--resume``: the publication
finishes, and at no moment does the catalog show a broken bundle (it shows nothing, or the bundle whole: its
.torrent matches the signed manifest and the web seed serves every file at its full size)."""

from __future__ import annotations

import random
import uuid
from pathlib import Path

import httpx
import pytest

from tests.storefront.store_support import StoreProcess
from tests.support.creator import episodes, signed_manifest
from tests.support.creator_apps import PASSWORD, creator_app, empty_store  # noqa: F401 - fixture
from tests.support.net import loopback_address
from tests.support.processes import LineProcess

pytestmark = pytest.mark.timeout(420)
MIB = 1024 * 1024
TITLE = "Crash Course"


def _catalog_is_sound(api: httpx.Client, store: StoreProcess) -> str | None:
    """The listed bundle's id if the catalog shows it (and then it must be whole), else None."""
    items = api.get("/catalog", params={"q": TITLE}).json()["items"]
    if not items:
        return None
    assert len(items) == 1, "one publication must never list twice"
    bundle_id = items[0]["id"]
    manifest = signed_manifest(api, bundle_id)
    detail = api.get(f"/bundles/{bundle_id}").json()
    assert (detail["info_hash_v1"], detail["info_hash_v2"]) == (manifest.info_hash_v1, manifest.info_hash_v2)
    for entry in manifest.files:
        head = httpx.head(f"{store.url}/seed/{bundle_id}/{TITLE}/{entry.path}", timeout=30)
        assert head.status_code == 200 and int(head.headers["content-length"]) == entry.size, entry.path
    return str(bundle_id)


def _reached(app: LineProcess, prefix: str, timeout: float) -> bool:
    try:
        app.wait_for(prefix, timeout)
    except AssertionError:
        return False
    return True


def test_killed_at_random_points_the_publish_finishes_on_restart_and_never_lists_a_broken_bundle(
    empty_store: StoreProcess,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    store = empty_store
    api = httpx.Client(base_url=store.api, timeout=60)
    email = f"creator-{uuid.uuid4().hex[:8]}@example.com"
    assert api.post("/accounts", json={"email": email, "password": PASSWORD}).status_code == 201
    source = episodes(tmp_path / "src", {"pilot.bin": 2 * MIB, "ep1.bin": 40 * MIB, "ep2.bin": 24 * MIB})
    home = tmp_path / "creator"
    address = loopback_address()
    args = [
        "--display-name", "Crash Tester", "--folder", str(source), "--title", TITLE,
        "--gate", "paid", "--price-cents", "300", "--lock", "ep*", "--resume",
    ]  # fmt: skip
    rng = random.Random()
    # In the order a publish goes, each at a random occurrence of its line, then twice at a random instant.
    kill_points: list[tuple[str, int]] = [
        ("ready", 1),
        ("job", 1),
        # A step's first line comes at once; later ones are throttled, so on a fast machine a later occurrence may
        # never come before the publish is done (which left no step for the kills after it). Each kill lands on a
        # line that is sure to come: the first of the step, in the run that resumes it.
        ("progress encrypting", 1),  # encrypting hashes as it goes (no separate hashing step)
        ("progress encrypting", 1),
        ("progress uploading", 1),
        ("progress uploading", 1),
        ("random", 0),
        ("random", 0),
    ]
    interrupted: set[str] = set()
    kills = 0
    for point, occurrence in kill_points:
        app: LineProcess = creator_app(store, email, home, address, *args)
        try:
            if point == "random":
                app.wait_for("ready", 60)
                _reached(app, "published", rng.uniform(0.2, 3.0))  # the kill lands wherever the job is
            else:
                for _ in range(occurrence):  # a point already behind us (the job resumed past it) is passed by
                    if not _reached(app, point, 120):
                        break
        finally:
            app.kill()
        steps = [line.split()[1] for line in app.seen if line.startswith("progress")]
        if steps and not any(line.startswith("published") for line in app.seen):
            interrupted.add(steps[-1])
        kills += 1
        _catalog_is_sound(api, store)
    assert kills >= 5
    assert {"encrypting", "uploading"} <= interrupted, interrupted
    final = creator_app(store, email, home, address, *args)
    try:
        final.wait_for("saved", 300)
    finally:
        final.stop()
    bundle_id = _catalog_is_sound(api, store)
    assert bundle_id is not None, "after the restart the bundle is published"
    manifest = signed_manifest(api, bundle_id)
    assert sorted(f.path for f in manifest.files) == ["ep1.bin", "ep2.bin", "pilot.bin"]
    for entry in manifest.files:
        served = httpx.get(f"{store.url}/seed/{bundle_id}/{TITLE}/{entry.path}", timeout=60).content
        published = (home / "publishing").glob(f"*/bundle/{TITLE}/{entry.path}")
        assert [served] == [p.read_bytes() for p in published]  # one job's folder, the same bytes as the store's
