"""``storefront publish --store URL``: the creator CLI over the creator API — no shell on the store's machine and no
data dir needed. The folder is staged and encrypted here (the same code as ``publish``), hashed into a hybrid
torrent, then sent as a draft, uploaded in piece-aligned chunks (each verified by the store), and published; the
bundle is listed only once whole. The account's password comes from ``BUNDLECAST_CREATOR_PASSWORD``. Uses the
standard library's HTTP client (the store service carries no HTTP client library). Runs on the caller's thread.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import tempfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from app.bundle import Gate
from storefront.errors import StoreError
from storefront.publish import PublishError, _locked_paths, _source_files, _stage_files, _top_name, media_type_of
from storefront.torrent_layout import read_layout
from storefront.torrents import MEDIA_PIECE_SIZE, create_bundle_torrent

CHUNK_PIECES = 32


class _Api:
    def __init__(self, base_url: str) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise PublishError(f"--store must be the store's http(s):// address, not {base_url!r}")
        self.base = base_url.rstrip("/") + "/api/v1"
        self.token = ""

    def call(self, method: str, path: str, body: Any = None, *, raw: bytes | None = None) -> Any:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.base + path, data=data, method=method)  # noqa: S310 - http(s) only
        request.add_header("Content-Type", "application/octet-stream" if raw is not None else "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=300) as answer:  # noqa: S310 - the store's own URL
                text = answer.read()
        except urllib.error.HTTPError as exc:
            try:
                message = json.loads(exc.read())["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = f"the store answered HTTP {exc.code}"
            raise PublishError(message, code="store_refused") from exc
        except urllib.error.URLError as exc:
            raise PublishError(
                f"cannot reach the store at {self.base}: {exc.reason}", code="store_unreachable"
            ) from exc
        return json.loads(text) if text else None


def publish_remote(
    store_url: str,
    source_dir: Path,
    *,
    email: str,
    password: str,
    creator: str,
    title: str,
    kind: str,
    gate: Gate,
    lock_globs: Sequence[str],
    description: str = "",
    summary: str = "",
    cover: Path | None = None,
    campaign: dict[str, Any] | None = None,
    piece_size: int = MEDIA_PIECE_SIZE,
) -> str:
    """Publish ``source_dir`` through the creator API; returns the bundle id."""
    api = _Api(store_url)
    api.token = api.call("POST", "/sessions", {"email": email, "password": password})["token"]
    if not api.call("GET", "/creators/me")["creator"]:
        api.call("POST", "/creators/me", {"display_name": creator})
    paths = _source_files(source_dir)
    locked = _locked_paths(paths, gate, lock_globs)
    bundle_key = secrets.token_bytes(32)
    with tempfile.TemporaryDirectory(prefix="publish-") as work:
        top = Path(work) / _top_name(title)
        staged = _stage_files(source_dir, top, paths, locked=locked, bundle_key=bundle_key, media_facts={})
        created = create_bundle_torrent(top, tracker_url=None, web_seed_url=None, piece_size=piece_size)
        body: dict[str, Any] = {
            "title": title,
            "kind": kind,
            "description": description,
            "summary": summary,
            "gate": {k: v for k, v in asdict(gate).items() if v is not None} | {"type": gate.type.value},
            "files": [
                {"path": path, "media_type": media_type_of(path), **{k: v for k, v in asdict(s).items() if k != "size"}}
                for path, s in staged.items()
            ],
            "torrent": base64.b64encode(created.data).decode("ascii"),
            "bundle_key": base64.b64encode(bundle_key).decode("ascii"),
            "campaign": campaign,
        }
        if cover is not None:
            body["cover"] = base64.b64encode(cover.read_bytes()).decode("ascii")
        draft = api.call("POST", "/creators/drafts", body)
        layout = read_layout(created.data)
        for entry in draft["files"]:
            received = int(entry["received"])
            with (top / entry["path"]).open("rb") as fh:
                while received < entry["size"]:
                    fh.seek(received)
                    chunk = fh.read(layout.piece_size * CHUNK_PIECES)
                    path = f"/creators/drafts/{draft['draft_id']}/files/{entry['index']}?offset={received}"
                    received = int(api.call("PUT", path, raw=chunk)["received"])
        return str(api.call("POST", f"/creators/drafts/{draft['draft_id']}/publish")["bundle_id"])


def password_from_env() -> str:
    password = os.environ.get("BUNDLECAST_CREATOR_PASSWORD", "")
    if not password:
        raise PublishError("set BUNDLECAST_CREATOR_PASSWORD to the creator account's password", code="no_password")
    return password


__all__ = ["StoreError", "password_from_env", "publish_remote"]
