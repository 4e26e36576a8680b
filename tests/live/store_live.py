"""A live event on a real store, as the creator's app makes it: the stream's key pair stays here, the event is
announced over ``POST /creator/live`` and put on air, and the broadcaster process finds its swarm through the store's
tracker. Used by the app-watching and the recording tests."""

from __future__ import annotations

import base64
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.bundle import Manifest, SignedManifest, load_public_key, verify_manifest
from app.store.creator import CreatorClient
from tests.live.swarm import LiveProcess
from tests.storefront.store_support import StoreProcess
from tests.support.creator import bearer, new_account
from tests.support.net import free_port, loopback_address


def secret_file(path: Path, data: str) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(data)
    return path


@dataclass(frozen=True)
class OnAir:
    bundle_id: str
    token: str  # the creator's session
    manifest: Manifest  # verified
    manifest_path: Path
    store_key: str
    tracker: str
    broadcaster: LiveProcess

    def viewer(self, *extra: str, host: str | None = None) -> LiveProcess:
        """A headless viewer that finds the swarm through the store's tracker alone."""
        return LiveProcess(["watch", "--host", host or loopback_address(), "--manifest", str(self.manifest_path),
                            "--store-key", self.store_key, "--tracker", self.tracker, "--report-blocks",
                            *extra])  # fmt: skip


def go_live(store: StoreProcess, tmp: Path, title: str, gate: dict[str, object], *extra: str) -> OnAir:
    host = loopback_address()
    port, http_port = free_port(host), free_port(host)
    stream_key = Ed25519PrivateKey.generate()
    public = stream_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    with httpx.Client(base_url=store.api, timeout=30) as api:
        _, token = new_account(api)
        assert api.post("/creators/me", json={"display_name": "Rooftop"}, headers=bearer(token)).status_code == 200
        made = api.post("/creator/live", headers=bearer(token), json={
            "title": title, "starts_at": int(time.time()), "stream_public_key": base64.b64encode(public).decode(),
            "origin_url": f"http://{host}:{http_port}", **gate})  # fmt: skip
        assert made.status_code == 201, made.text
        bundle_id = made.json()["bundle_id"]
        signed = api.get(f"/bundles/{bundle_id}").json()["manifest"]
        store_key = api.get("/public-key").json()["public_key"]
        assert api.put(f"/creator/live/{bundle_id}/state", json={"state": "on_air"}, headers=bearer(token)).is_success
    manifest = verify_manifest(SignedManifest.from_dict(signed), load_public_key(store_key))
    manifest_path = tmp / f"manifest-{bundle_id}.json"
    manifest_path.write_text(json.dumps(signed))
    raw = stream_key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                   serialization.NoEncryption())  # fmt: skip
    tracker = f"{store.url}/announce"
    argv = ["broadcast", "--host", host, "--port", str(port), "--http-port", str(http_port),
            "--manifest", str(manifest_path), "--store-key", store_key, "--tracker", tracker,
            "--signing-key-file", str(secret_file(tmp / "stream.key", raw.hex())), *extra]  # fmt: skip
    if gate["gate"] != "free":
        key = CreatorClient(store.url).bundle_key(token, bundle_id)
        argv += ["--bundle-key-file", str(secret_file(tmp / "bundle.key", key.hex()))]
    broadcaster = LiveProcess(argv)
    broadcaster.ready()
    return OnAir(bundle_id, token, manifest, manifest_path, store_key, tracker, broadcaster)
