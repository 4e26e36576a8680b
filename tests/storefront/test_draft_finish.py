"""Finishing a draft is safe to repeat and to race: a finish that died after moving the content but before its
commit is completed by the next one; two finishes at once list the bundle once and leave its content in place."""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from storefront.config import StoreConfig
from storefront.creators import become_creator
from storefront.draft_finish import _move_into_place
from storefront.drafts import Drafts, drafts_root
from storefront.models import Bundle, PublishDraft
from storefront.services import StoreServices, build_services
from storefront.torrent_layout import read_layout
from storefront.torrents import create_bundle_torrent

PIECE = 16 * 1024


@pytest.fixture
def services(tmp_path: Path) -> Iterator[StoreServices]:
    built = build_services(StoreConfig(data_dir=tmp_path / "store"))
    yield built
    built.close()


def _uploaded_draft(services: StoreServices, tmp_path: Path) -> tuple[Drafts, str, str]:
    account = services.accounts.sign_up("maker@example.com", "password-123")
    become_creator(services.db, account.id, "Maker")
    top = tmp_path / "src" / "Race Bundle"
    top.mkdir(parents=True)
    (top / "a.bin").write_bytes(os.urandom(3 * PIECE + 7))
    (top / "b.txt").write_bytes(b"free text")
    torrent = create_bundle_torrent(top, tracker_url=None, web_seed_url=None, piece_size=PIECE).data
    body: dict[str, Any] = {
        "title": "Race Bundle",
        "kind": "film",
        "gate": {"type": "free"},
        "files": [{"path": "a.bin"}, {"path": "b.txt"}],
        "torrent": base64.b64encode(torrent).decode(),
        "bundle_key": base64.b64encode(os.urandom(32)).decode(),
    }
    drafts = Drafts(services.config, services.db, services.keys)
    draft = drafts.create(account.id, body)
    for entry in draft["files"]:
        drafts.upload(account.id, draft["draft_id"], entry["index"], 0, (top / entry["path"]).read_bytes())
    return drafts, account.id, draft["draft_id"]


def _listed(services: StoreServices) -> list[str]:
    with services.db.session() as session:
        return [b.id for b in session.query(Bundle)]


def test_a_finish_that_died_after_moving_the_content_is_completed_by_the_next(
    services: StoreServices, tmp_path: Path
) -> None:
    drafts, account, draft_id = _uploaded_draft(services, tmp_path)
    status = drafts.status(account, draft_id)
    layout = read_layout(_torrent_of(services, draft_id))
    final_dir = services.config.content_dir(status["bundle_id"])
    _move_into_place(drafts_root(services.config) / draft_id, layout.name, final_dir, layout)  # the crash point
    assert _listed(services) == []  # content in place, nothing listed
    assert drafts.finish(account, draft_id) == {"bundle_id": status["bundle_id"], "state": "published"}
    assert _listed(services) == [status["bundle_id"]]
    assert (final_dir / "Race Bundle" / "a.bin").stat().st_size == 3 * PIECE + 7


def test_two_finishes_at_once_list_the_bundle_once_and_keep_its_content(
    services: StoreServices, tmp_path: Path
) -> None:
    drafts, account, draft_id = _uploaded_draft(services, tmp_path)
    results: list[object] = []
    start = threading.Barrier(2)

    def finish() -> None:
        start.wait()
        try:
            results.append(drafts.finish(account, draft_id))
        except Exception as exc:  # the loser may see the winner's work half-way; it must not undo it
            results.append(exc)

    threads = [threading.Thread(target=finish) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    bundle_id = drafts.status(account, draft_id)["bundle_id"]
    assert _listed(services) == [bundle_id]
    assert {"bundle_id": bundle_id, "state": "published"} in results
    assert (services.config.content_dir(bundle_id) / "Race Bundle" / "a.bin").is_file()
    assert drafts.finish(account, draft_id)["state"] == "published"  # and again: idempotent


def _torrent_of(services: StoreServices, draft_id: str) -> bytes:
    with services.db.session() as session:
        return session.get_one(PublishDraft, draft_id).torrent_data
