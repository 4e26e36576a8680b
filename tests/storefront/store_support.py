"""Test support for the store core: seed a store's data dir with real published bundles, and run the real
server (``python -m storefront serve``) as a child process on loopback.

The catalog is published with the content engineer's ``publish_bundle`` (real encryption, real hybrid
torrents), so these tests go through the same rows a creator's bundle makes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import update

from app.bundle import BundleKind, Gate, GateType
from storefront.catalog import CampaignSpec
from storefront.config import StoreConfig
from storefront.demo.raster import encode_png
from storefront.models import Bundle
from storefront.publish import publish_bundle
from storefront.services import build_services

REPO = Path(__file__).resolve().parents[2]
GOOD_CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2040, "cvc": "123"}
DECLINED_CARD = {**GOOD_CARD, "number": "4000000000000002"}
NO_FUNDS_CARD = {**GOOD_CARD, "number": "4000000000009995"}
CREATOR_EMAIL = "creator@example.com"
CREATOR_PASSWORD = "creator-password-1"


@dataclass
class SeededStore:
    data_dir: Path
    paid: str = ""
    pwyw: str = ""
    free: str = ""
    email: str = ""
    campaign_ok: str = ""  # goal 2 backers
    campaign_fail: str = ""  # goal 1000 backers
    campaign_race: str = ""  # goal 1 backer, pledges racing the close
    campaign_twice: str = ""  # goal 1 backer, closed by two closers at once

    @property
    def bundles(self) -> list[str]:
        """Every bundle published for the tests (the extra paid ones left out)."""
        return [self.paid, self.pwyw, self.free, self.email, *self.campaigns]

    @property
    def campaigns(self) -> list[str]:
        return [self.campaign_ok, self.campaign_fail, self.campaign_race, self.campaign_twice]

    extra_paid: list[str] = field(default_factory=list)
    creator_account_id: str = ""
    sources: Path = Path()  # the plaintext the bundles were published from: sources/<name>/...


def _files(root: Path, spec: dict[str, bytes]) -> Path:
    for rel, data in spec.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def seed_store(
    data_dir: Path, *, extra_paid: int = 0, database_url: str = "", paid_and_free_only: bool = False
) -> SeededStore:
    """Publish one bundle per gate (plus campaigns and ``extra_paid`` more paid ones) into ``data_dir``;
    ``paid_and_free_only``: just the paid and the free bundle (a smaller catalog for tests that need no more)."""
    config = StoreConfig.from_env(data_dir, env={}, database_url=database_url)
    services = build_services(config)
    seeded = SeededStore(data_dir=data_dir)
    creator = services.accounts.sign_up(CREATOR_EMAIL, CREATOR_PASSWORD)
    seeded.creator_account_id = creator.id
    src = data_dir.parent / f"sources-{uuid.uuid4().hex[:6]}"
    seeded.sources = src
    cover = src / "cover.png"
    cover.parent.mkdir(parents=True, exist_ok=True)
    cover.write_bytes(encode_png(4, 4, bytes(range(48))))
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)

    def publish(name: str, gate: Gate, kind: BundleKind, lock: tuple[str, ...], **kw: Any) -> str:
        source = _files(
            src / name,
            {
                "readme.txt": f"{name} readme\n".encode(),
                "media/part1.bin": os.urandom(70_000) + name.encode(),
                "media/part2.bin": os.urandom(30_000),
            },
        )
        return publish_bundle(
            config,
            source,
            title=f"{name.title()} Bundle",
            creator="Test Creator",
            kind=kind,
            gate=gate,
            lock_globs=lock,
            summary=f"the {name} test bundle",
            cover=cover,
            piece_size=16384,
            database=services.db,
            **kw,
        )

    full = not paid_and_free_only
    seeded.paid = publish("paid", Gate(GateType.PAID, price_cents=499), BundleKind.MUSIC, ("media/*",))
    if full:
        seeded.pwyw = publish("pwyw", Gate(GateType.PWYW, min_cents=300), BundleKind.FILM, ("media/*",))
    seeded.free = publish("free", Gate(GateType.FREE), BundleKind.SOFTWARE, ())
    if full:
        seeded.email = publish("email", Gate(GateType.EMAIL), BundleKind.BOOK, ("media/*",))
    campaigns = (("campaign_ok", 2), ("campaign_fail", 1000), ("campaign_race", 1), ("campaign_twice", 1))
    for name, goal in campaigns if full else ():
        bundle_id = publish(
            name.replace("_", "-"),
            Gate(GateType.CAMPAIGN, price_cents=995),
            BundleKind.SERIES,
            ("media/*",),
            campaign=CampaignSpec(deadline=later, goal_backers=goal),
        )
        setattr(seeded, name, bundle_id)
    for i in range(extra_paid):
        seeded.extra_paid.append(
            publish(f"extra{i}", Gate(GateType.PAID, price_cents=100 + i), BundleKind.GAME, ("media/*",))
        )
    with services.db.write() as session:
        session.execute(update(Bundle).values(creator_account_id=creator.id))
    services.close()
    return seeded


class StoreProcess:
    """``python -m storefront serve`` in a child process, on 127.0.0.1 and a free port."""

    def __init__(
        self, data_dir: Path, *, env: dict[str, str] | None = None, demo: bool = False, workers: int = 1
    ) -> None:
        self.data_dir = data_dir
        self.workers = workers
        self.ready_file = data_dir / "ready.json"
        self.env = {**os.environ, **(env or {})}
        self.demo = demo
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self, timeout: float = 60.0) -> StoreProcess:
        self.ready_file.unlink(missing_ok=True)
        argv = [
            sys.executable,
            "-m",
            "storefront",
            "serve",
            "--data-dir",
            str(self.data_dir),
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--ready-file",
            str(self.ready_file),
        ]
        if self.demo:
            argv.append("--demo")
        if self.workers > 1:
            argv += ["--workers", str(self.workers)]
        with (self.data_dir / "server.log").open("ab") as log:  # the child keeps its own copy of the handle
            self.proc = subprocess.Popen(argv, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while not self.ready_file.exists():
            if self.proc.poll() is not None:
                raise RuntimeError(f"store exited with {self.proc.returncode}; see {self.data_dir}/server.log")
            if time.monotonic() > deadline:
                self.kill()
                raise TimeoutError("store did not become ready")
            time.sleep(0.05)
        self.url = json.loads(self.ready_file.read_text())["url"]
        return self

    @property
    def api(self) -> str:
        return self.url + "/api/v1"

    def stop(self, timeout: float = 15.0) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def serve_empty_store(tmp_path_factory: Any, name: str) -> Iterator[StoreProcess]:
    """The body of a module's store fixture: an empty store in its own process and data dir, stopped at the end
    (``yield from serve_empty_store(tmp_path_factory, "my-store")``)."""
    data = tmp_path_factory.mktemp(name) / "data"
    data.mkdir()
    server = StoreProcess(data).start()
    try:
        yield server
    finally:
        server.stop()


def sign_up_and_in(client: httpx.Client, email: str | None = None, password: str = "password-123") -> str:
    """A new account's bearer token."""
    email = email or f"fan-{uuid.uuid4().hex[:10]}@example.com"
    created = client.post("/accounts", json={"email": email, "password": password})
    assert created.status_code == 201, created.text
    signed = client.post("/sessions", json={"email": email, "password": password})
    assert signed.status_code == 201, signed.text
    return str(signed.json()["token"])


def auth(token: str, key: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers
