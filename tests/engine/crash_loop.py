"""The kill -9 harness shared by tests/integration/test_engine_crash.py and bench/crash_stress.py.

A headless seeder (rate-limited per torrent, so a small download lasts long enough) and a headless leecher,
each in its own process on its own loopback address. The leecher is killed with SIGKILL at random moments and
restarted on the same state dir. After each kill the resume file on disk says which pieces were verified at the
last save; after the restart the leecher must report at least those bytes as done before fetching anything —
no piece verified before the last save is fetched again — and at the end the file must be byte-identical.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import libtorrent as lt

from tests.engine.helpers import info_hash_hex, make_torrent, write_payload
from tests.engine.processes import HeadlessEngine
from tests.support.net import free_port, loopback_address


@dataclass
class CrashReport:
    kills: int = 0
    kills_mid_download: int = 0
    restarts: int = 0
    claimed_then_restored: list[tuple[int, int]] = field(default_factory=list)  # (bytes in resume, done after)
    lost_torrents: int = 0
    refetched_pieces_violations: int = 0
    claimed_but_corrupt: int = 0  # pieces a resume file claimed whose bytes on disk were wrong at the kill
    byte_identical: bool = False
    seconds: float = 0.0


def claimed_pieces(resume_file: Path) -> list[int]:
    """The pieces a resume file claims as verified."""
    params = lt.read_resume_data(resume_file.read_bytes())
    return [i for i, have in enumerate(params.have_pieces) if have]


def corrupt_claims(pieces: list[int], on_disk: Path, expected: bytes, piece_size: int) -> int:
    """How many claimed pieces do not hold the expected bytes on disk (single-file torrent)."""
    if not pieces:
        return 0
    data = on_disk.read_bytes() if on_disk.exists() else b""
    spans = [slice(i * piece_size, (i + 1) * piece_size) for i in pieces]
    return sum(1 for span in spans if data[span] != expected[span])


def run_crash_loop(
    workdir: Path,
    kills: int,
    rng: random.Random,
    *,
    file_size: int = 8 * 1024 * 1024,
    piece_size: int = 16384,
    upload_limit: int = 300_000,
    pause_range: tuple[float, float] = (0.3, 2.5),
    unlimited_finish: bool = False,
) -> CrashReport:
    """``unlimited_finish``: the last restart also gets a second seed without the rate limit, so the rest of the file
    (the download after the last kill) does not crawl at ``upload_limit``; every kill still lands mid-download."""
    report = CrashReport()
    started = time.monotonic()
    source = workdir / "seed-data"
    contents = write_payload(source, {"movie.bin": file_size}, seed=rng.randint(1, 10**6))
    torrent = make_torrent(source / "movie.bin", piece_size, "hybrid")
    tid = info_hash_hex(torrent)
    torrent_path = workdir / "movie.torrent"
    torrent_path.write_bytes(torrent)
    seed_address = loopback_address()
    seeder = HeadlessEngine(
        workdir / "seeder-home",
        seed_address,
        free_port(seed_address),
        sources=[str(torrent_path)],
        download_dir=source,
        upload_limit=upload_limit,
    )
    leech_address = loopback_address()
    leech_home = workdir / "leecher-home"
    downloads = workdir / "downloads"
    peer = f"{seed_address}:{seeder.port}"
    fast_seeder: HeadlessEngine | None = None
    try:
        if unlimited_finish:
            fast_address = loopback_address()
            fast_seeder = HeadlessEngine(workdir / "fast-seeder-home", fast_address, free_port(fast_address),
                                         sources=[str(torrent_path)], download_dir=source)  # fmt: skip
            fast_seeder.wait_for(f"torrent {tid} state=seeding", 60)
        seeder.wait_for(f"torrent {tid} state=seeding", 60)
        leecher = HeadlessEngine(
            leech_home, leech_address, sources=[str(torrent_path)], download_dir=downloads, peers=[peer]
        )
        resume_file = leecher.state_dir / "resume" / f"{tid}.resume"
        for kill_no in range(1, kills + 1):
            time.sleep(rng.uniform(*pause_range))
            leecher.kill()
            report.kills += 1
            if not resume_file.exists():
                report.lost_torrents += 1
            pieces = claimed_pieces(resume_file) if resume_file.exists() else []
            claimed = sum(min(piece_size, file_size - i * piece_size) for i in pieces)
            report.claimed_but_corrupt += corrupt_claims(
                pieces, downloads / "movie.bin", contents["movie.bin"], piece_size
            )
            if claimed < file_size:
                report.kills_mid_download += 1
            peers = [peer]
            if fast_seeder is not None and kill_no == kills:
                peers.append(f"{fast_seeder.address}:{fast_seeder.port}")
            leecher = HeadlessEngine(leech_home, leech_address, download_dir=downloads, peers=peers)
            report.restarts += 1
            if "torrents=1" not in leecher.lines[-1]:
                report.lost_torrents += 1
            restored = leecher.wait_for(f"restored {tid}", 60)
            done = int(restored.split("done=")[1].split()[0])
            report.claimed_then_restored.append((claimed, done))
            if done < claimed:
                report.refetched_pieces_violations += 1
        leecher.wait_for(f"torrent {tid} state=seeding", 180)
        leecher.stop()
        report.byte_identical = (downloads / "movie.bin").read_bytes() == contents["movie.bin"]
    finally:
        seeder.stop()
        if fast_seeder is not None:
            fast_seeder.stop()
        if "leecher" in locals():
            leecher.kill()
    report.seconds = time.monotonic() - started
    return report


def run_magnet_crash(workdir: Path, rng: random.Random) -> tuple[bool, bool]:
    """Kill a leecher whose magnet has no metadata yet, restart it with a peer: (still there, byte-identical)."""
    source = workdir / "seed-data"
    contents = write_payload(source, {"clip.bin": 700_000}, seed=rng.randint(1, 10**6))
    torrent = make_torrent(source / "clip.bin", 16384, "hybrid")
    tid = info_hash_hex(torrent)
    torrent_path = workdir / "clip.torrent"
    torrent_path.write_bytes(torrent)
    seed_address = loopback_address()
    seeder = HeadlessEngine(
        workdir / "seeder-home",
        seed_address,
        free_port(seed_address),
        sources=[str(torrent_path)],
        download_dir=source,
    )
    leech_address = loopback_address()
    leech_home = workdir / "leecher-home"
    downloads = workdir / "downloads"
    magnet = f"magnet:?xt=urn:btih:{tid}&dn=clip.bin"
    leecher = HeadlessEngine(leech_home, leech_address, sources=[magnet], download_dir=downloads)
    try:
        assert leecher.saw(f"added {tid}")
        time.sleep(rng.uniform(0.0, 0.5))
        leecher.kill()  # no peer was ever given: the metadata cannot have arrived
        leecher = HeadlessEngine(
            leech_home, leech_address, download_dir=downloads, peers=[f"{seed_address}:{seeder.port}"]
        )
        still_there = "torrents=1" in leecher.lines[-1]
        leecher.wait_for(f"torrent {tid} state=seeding", 90)
        leecher.stop()
        return still_there, (downloads / "clip.bin").read_bytes() == contents["clip.bin"]
    finally:
        leecher.kill()
        seeder.stop()
