"""One publication from the creator's machine, step by step, resumable: encrypt → torrent → seed → draft →
upload → publish.

- **encrypt**: the bundle key is made here and kept in the keyring (``BundleKeyStore``) before the journal names
  the job; locked files are encrypted (AES-256-CTR, per-file key and a nonce fixed in the journal) *streamed*, a
  piece at a time, into ``<job>/bundle/<title>/``; free files are copied (``encrypting.py``, which also hashes the
  written bytes on two threads of its own). Each file is written to ``.part`` and renamed, so a file that exists is
  whole (a resumed job skips it, hashing it again).
- **torrent**: made from the hashes of the encrypting pass (``hybrid_torrent``); a release, or a folder the
  streaming hasher cannot take, is hashed by the engine afterwards (``create_torrent``).
- **seed**: the creator's engine adds it in seed mode (the bytes were just hashed into it; no second full read),
  so the creator is the first seed at once; adding again is a no-op.
- **draft / upload / publish**: the creator API; the upload resumes at the byte the store acknowledged.
The journal is written atomically after every step; nothing shows in the catalog before the store's publish step,
which lists the bundle whole or not at all. ``cancel`` (an Event) stops between chunks and rolls everything back.
``progress(step, done, total)`` is called on this job's thread. Blocking; runs on a worker thread.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import secrets
import shutil
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from app.bundle import NONCE_SIZE, ContentCipher, derive_file_key
from app.engine import Engine, FileHasher, TorrentMakingCancelled, create_torrent, hybrid_torrent
from app.library.publishing.encrypting import ChunkPipeline, encrypt_file, hash_file
from app.library.publishing.errors import PublishCancelled, PublishError
from app.library.publishing.facts import FileFacts, scan_folder
from app.library.publishing.journal import Journal
from app.library.publishing.request import PIECE_SIZE, PublishRequest
from app.store.creator import CreatorClient

Progress = Callable[[str, int, int], None]
UPLOAD_CHUNK = 32 * PIECE_SIZE  # 8 MiB, the store's largest accepted chunk


class BundleKeyStore(Protocol):
    def put(self, job_id: str, key: bytes) -> None: ...
    def get(self, job_id: str) -> bytes | None: ...
    def delete(self, job_id: str) -> None: ...


def _report_from(progress: Progress, step: str, base: int, total: int, done: int) -> None:
    progress(step, base + done, total)


def _no_progress(step: str, done: int, total: int) -> None:
    return None


def top_name_of(title: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in " -_.()&," else " " for c in title)
    return " ".join(cleaned.split())[:100].strip(" .") or "bundle"


class Publisher:
    """Runs, resumes and rolls back publications under ``work_root`` (one folder per job)."""

    def __init__(
        self,
        work_root: Path,
        *,
        keys: BundleKeyStore,
        engine: Engine | None = None,
        client: CreatorClient | None = None,
        token: str = "",
        store_url: str = "",
    ) -> None:
        self._root = work_root
        self._keys = keys
        self._engine = engine
        self._client = client
        self._token = token
        self._store_url = store_url.rstrip("/")

    # --- jobs --------------------------------------------------------------------------------------------------
    def job_dir(self, job_id: str) -> Path:
        return self._root / job_id

    def bundle_dir(self, job_id: str) -> Path:
        """The folder holding the torrent's top folder: the engine's save path for the creator's seed."""
        return self.job_dir(job_id) / "bundle"

    def unfinished(self) -> list[str]:
        """Jobs a crash or a quit interrupted (the app offers to resume them at start)."""
        if not self._root.is_dir():
            return []
        for job in self._root.iterdir():
            if job.is_dir() and not (job / "journal.json").is_file():
                self._keys.delete(job.name)  # a crash while planning: nothing was made yet but the key
                shutil.rmtree(job, ignore_errors=True)
        found = []
        for journal in sorted(self._root.glob("*/journal.json")):
            if Journal.load(journal).step != "published":
                found.append(journal.parent.name)
        return found

    def published_from(self, folder: Path, title: str) -> str | None:
        """The bundle id of a finished publication of ``folder`` under ``title``, if there is one."""
        for path in self._root.glob("*/journal.json"):
            journal = Journal.load(path)
            same = journal.request.get("folder") == str(folder) and journal.request.get("title") == title
            if same and journal.step == "published":
                return journal.bundle_id
        return None

    def journal(self, job_id: str) -> Journal:
        return Journal.load(self.job_dir(job_id) / "journal.json")

    def plan(self, request: PublishRequest, *, files: list[FileFacts] | None = None) -> str:
        """Check the request and write the job's journal; returns the job id. Nothing is encrypted yet."""
        facts = files if files is not None else scan_folder(request.folder)
        job_id = uuid.uuid4().hex
        job = self.job_dir(job_id)
        request.validate(facts, self._root)
        if request.release_of is not None:
            assert self._client is not None
            key = self._client.bundle_key(self._token, request.release_of)
            if request.first_release:
                top = top_name_of(request.title or request.release_title)
            else:
                top = str(self._release_base(request.release_of).top_name)
        else:
            key = secrets.token_bytes(32)
            top = top_name_of(request.title)
        self._keys.put(job_id, key)  # before the journal names the job: a journal always has its key
        fixed = dict(request.nonces)  # a live recording's: viewers wrote its ciphertext already
        job.mkdir(parents=True)
        entries = [
            {
                **dataclasses.asdict(f),
                "locked": f.path in request.locked,
                "nonce": (fixed.get(f.path) or secrets.token_bytes(NONCE_SIZE).hex()) if f.path in request.locked
                else None,
            }
            for f in facts
        ]
        request_json = {k: v for k, v in dataclasses.asdict(request).items() if k not in ("folder", "cover")}
        request_json.update(
            folder=str(request.folder),
            cover=str(request.cover) if request.cover else None,
            kind=request.kind.value,
            gate=request.gate.value,
            locked=sorted(request.locked),
        )
        Journal(job_id, "planned", request_json, entries, top, self._store_url).save(job / "journal.json")
        return job_id

    def _release_base(self, bundle_id: str) -> Journal:
        for journal in self._root.glob("*/journal.json"):
            found = Journal.load(journal)
            if found.bundle_id == bundle_id and found.step == "published" and not found.extra.get("release"):
                return found
        raise PublishError("This bundle was not published from this computer, so its files are not here.")

    # --- running -----------------------------------------------------------------------------------------------
    def run(self, job_id: str, *, progress: Progress = _no_progress, cancel: threading.Event | None = None) -> str:
        """Do (or finish) the job; returns the bundle id. ``PublishCancelled`` after a cancel rolled back."""
        cancel = cancel or threading.Event()
        path = self.job_dir(job_id) / "journal.json"
        journal = Journal.load(path)
        key = self._keys.get(job_id)
        if key is None and not journal.reached("published"):
            self.roll_back(job_id)
            raise PublishError("The bundle key of this publication is gone from the keyring; start it again.")
        try:
            if not journal.reached("encrypted"):
                assert key is not None
                hashed = self._encrypt(journal, key, progress, cancel)
                journal.step = "encrypted"
                if hashed is not None:  # hashed while encrypting: the torrent needs no second read
                    self._write_torrent(
                        journal,
                        hybrid_torrent(journal.top_name, hashed, PIECE_SIZE, tracker_url=self._tracker(journal)),
                    )
                    journal.step = "torrent_made"
                journal.save(path)
            if not journal.reached("torrent_made"):
                self._make_torrent(journal, progress, cancel)
                journal.step = "torrent_made"
                journal.save(path)
            if not journal.reached("seeding"):
                if self._engine is not None:
                    torrent = (self.job_dir(job_id) / "bundle.torrent").read_bytes()
                    # Seed mode: these bytes were hashed into this torrent a moment ago (a full check would read
                    # and hash the whole bundle again); libtorrent still hashes each piece before it first sends it.
                    journal.torrent_id = self._engine.add_torrent_bytes(
                        torrent, self._base_dir(journal), skip_check=True
                    )
                journal.step = "seeding"
                journal.save(path)
            if self._client is None:
                return ""  # making only (the benchmark): no store
            if not journal.reached("drafted"):
                assert key is not None
                self._draft(journal, key)
                journal.step = "drafted"
                journal.save(path)
            if not journal.reached("uploaded"):
                self._upload(journal, progress, cancel)
                journal.step = "uploaded"
                journal.save(path)
            if not journal.reached("published"):
                assert journal.draft_id is not None
                self._client.publish_draft(self._token, journal.draft_id)
                journal.step = "published"
                journal.save(path)
                self._keys.delete(job_id)  # the store holds it now (the creator API returns it to its creator)
        except (PublishCancelled, TorrentMakingCancelled) as exc:
            self.roll_back(job_id)
            raise PublishCancelled("Publishing was cancelled; nothing was published.") from exc
        return journal.bundle_id or ""

    def roll_back(self, job_id: str) -> None:
        """Undo an unpublished job: the store's draft, the engine's torrent, the files, the key, the journal."""
        path = self.job_dir(job_id) / "journal.json"
        journal = Journal.load(path) if path.is_file() else None
        if journal is not None and journal.step == "published":
            raise PublishError("This bundle is already published.")
        if journal is not None and journal.draft_id and self._client is not None:
            self._client.abandon_draft(self._token, journal.draft_id)
        tid = journal.torrent_id if journal is not None else None
        if tid and self._engine is not None and self._engine.has_torrent(tid):
            self._engine.remove(tid)
        self._keys.delete(job_id)
        shutil.rmtree(self.job_dir(job_id), ignore_errors=True)

    # --- steps -------------------------------------------------------------------------------------------------
    def _base_dir(self, journal: Journal) -> Path:
        """Where the torrent's top folder lives: a release grows the published bundle's own folder."""
        release_of = journal.request.get("release_of")
        if release_of and not journal.request.get("first_release"):
            return self.bundle_dir(self._release_base(str(release_of)).job_id)
        return self.bundle_dir(journal.job_id)

    def _encrypt(
        self, journal: Journal, key: bytes, progress: Progress, cancel: threading.Event
    ) -> list[FileHasher] | None:
        """Encrypt (or copy) every file into the bundle folder, hashing the output on two threads as it is
        written; returns the hashers, or None when the torrent must be hashed by libtorrent afterwards (a release,
        which also hashes the published files; empty files; names that differ only in case)."""
        folder = Path(journal.request["folder"])
        top = self._base_dir(journal) / journal.top_name
        total = sum(int(f["size"]) for f in journal.files)
        paths = [str(f["path"]) for f in journal.files]
        streamable = (
            not journal.request.get("release_of")
            and all(int(f["size"]) > 0 for f in journal.files)
            and len({p.lower() for p in paths}) == len(paths)
        )
        pipeline = ChunkPipeline(hashing=streamable)
        done = 0
        try:
            for entry in journal.files:
                target = top / entry["path"]
                hasher = FileHasher(entry["path"], int(entry["size"]), PIECE_SIZE) if pipeline.hashing else None
                if target.is_file() and target.stat().st_size == entry["size"]:
                    if hasher is not None:  # done before a crash: hash it again
                        hash_file(target, pipeline=pipeline, hasher=hasher, cancel=cancel)
                else:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    part = target.with_name(target.name + ".part")
                    cipher = None
                    if entry["locked"]:
                        cipher = ContentCipher(derive_file_key(key, entry["path"]), bytes.fromhex(entry["nonce"]))
                    written = encrypt_file(
                        folder / entry["path"],
                        part,
                        cipher,
                        pipeline=pipeline,
                        hasher=hasher,
                        cancel=cancel,
                        report=functools.partial(_report_from, progress, "encrypting", done, total),
                    )
                    if written != entry["size"]:
                        raise PublishError(f"{entry['path']} changed while it was being published; start again.")
                    part.replace(target)
                if hasher is not None:
                    pipeline.finish(hasher)
                done += int(entry["size"])
                progress("encrypting", done, total)
        except BaseException:
            pipeline.close(check=False)  # the first failure is the one to tell (a grown file fails its hasher too)
            raise
        return pipeline.close() if pipeline.hashing else None

    def _tracker(self, journal: Journal) -> str | None:
        return f"{journal.store_url}/announce" if journal.store_url else None

    def _write_torrent(self, journal: Journal, data: bytes) -> None:
        target = self.job_dir(journal.job_id) / "bundle.torrent"
        tmp = target.with_name("bundle.torrent.tmp")
        tmp.write_bytes(data)
        tmp.replace(target)

    def _make_torrent(self, journal: Journal, progress: Progress, cancel: threading.Event) -> None:
        top = self._base_dir(journal) / journal.top_name
        data = create_torrent(
            top,
            piece_size=PIECE_SIZE,
            tracker_url=self._tracker(journal),
            progress=lambda done, total: progress("hashing", done, total),
            cancel=cancel,
        )
        self._write_torrent(journal, data)

    def _draft(self, journal: Journal, key: bytes) -> None:
        assert self._client is not None
        req = journal.request
        torrent = (self.job_dir(journal.job_id) / "bundle.torrent").read_bytes()
        files = [
            {
                "path": f["path"],
                "size": f["size"],
                "media_type": f["media_type"],
                "locked": f["locked"],
                "nonce": f["nonce"],
                "duration_s": f["duration_s"],
                "bitrate": f["bitrate"],
            }
            for f in journal.files
        ]
        body: dict[str, Any] = {
            "torrent": base64.b64encode(torrent).decode("ascii"),
            "bundle_key": base64.b64encode(key).decode("ascii"),
            "files": files,
        }
        if req.get("release_of"):
            body["release"] = {"id": req["release_id"], "title": req["release_title"]}
            answer = self._client.create_release(self._token, str(req["release_of"]), body)
            journal.extra["release"] = True
        else:
            gate: dict[str, Any] = {"type": req["gate"], "currency": "USD"}
            if req["gate"] in ("paid", "campaign"):
                gate["price_cents"] = req["price_cents"]
            elif req["gate"] == "pwyw":
                gate["min_cents"] = req["price_cents"] or 0
            body.update(
                title=req["title"],
                kind=req["kind"],
                description=req["description"],
                summary=req["summary"],
                gate=gate,
            )
            if req.get("cover"):
                body["cover"] = base64.b64encode(Path(req["cover"]).read_bytes()).decode("ascii")
            if req["gate"] == "campaign":
                body["campaign"] = {
                    "deadline_days": req["deadline_days"],
                    "goal_backers": req["goal_backers"],
                    "goal_cents": req["goal_cents"],
                    "tiers": [
                        {
                            "id": t["tier_id"],
                            "title": t["title"],
                            "description": t["description"],
                            "price_cents": t["price_cents"],
                        }
                        for t in req.get("tiers") or []
                    ],
                }
            answer = self._client.create_draft(self._token, body)
        journal.draft_id = str(answer["draft_id"])
        journal.bundle_id = str(answer["bundle_id"])

    def _upload(self, journal: Journal, progress: Progress, cancel: threading.Event) -> None:
        assert self._client is not None and journal.draft_id is not None
        status = self._client.draft(self._token, journal.draft_id)
        top = self._base_dir(journal) / journal.top_name
        total = sum(int(f["size"]) for f in status["files"])
        done = sum(int(f["received"]) for f in status["files"])
        for entry in status["files"]:
            received, size = int(entry["received"]), int(entry["size"])
            if received >= size:
                continue
            with (top / entry["path"]).open("rb") as fh:
                while received < size:
                    if cancel.is_set():
                        raise PublishCancelled("cancelled")
                    fh.seek(received)
                    chunk = fh.read(UPLOAD_CHUNK)
                    before = received
                    received = self._client.upload_chunk(self._token, journal.draft_id, entry["index"], received, chunk)
                    done += received - before
                    progress("uploading", done, total)
