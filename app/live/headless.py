"""Headless broadcaster and viewer processes: ``python -m app.live.headless broadcast|watch …``.

Each runs one asyncio loop and reports on stdout as JSON lines — ``ready`` (its ports), ``block`` (broadcaster: each
block made, with a digest of its plaintext), ``play`` and ``gap`` (viewer: each block played out, each run skipped),
and ``stats`` once a second (counters, CPU seconds, resident memory). Tests and the bench drive the live swarm
through these processes, each on its own loopback address; the CLI's broadcast command builds on the same parts.
Trust comes from the live bundle's signed manifest and the store's public key, keys from files (mode 0600).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import random
import resource
import signal
import sys
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.bundle import ContentCipher, License, SignedManifest, load_public_key, verify_license
from app.live.access import content_key_from_ticket, stream_content_key, trusted_stream
from app.live.blocks import Block, StreamSigner
from app.live.broadcaster import Broadcaster
from app.live.discovery import TrackerDiscovery
from app.live.encoder import EncoderSettings
from app.live.link import LinkProfile
from app.live.node import NodeConfig
from app.live.node_config import LIVE_DELAY_S
from app.live.playout import PlayoutBuffer
from app.live.recording import SEGMENT_BLOCKS, CipherFor, RecordingWriter, recording_nonce
from app.live.sources import MediaFileSource, PictureFormat, TestPattern
from app.live.viewer import PlayedBlock, Viewer


def _emit(event: str, **fields: Any) -> None:
    sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _link(spec: str | None) -> Callable[[], LinkProfile]:
    """``min_ms,max_ms,loss``: each new link gets a delay drawn from the range and the loss rate."""
    if not spec:
        return LinkProfile
    low, high, loss = (float(x) for x in spec.split(","))
    rng = random.Random()  # noqa: S311 - emulated links, not cryptography
    return lambda: LinkProfile(delay_s=rng.uniform(low, high) / 1000, loss=loss)


def _process_figures() -> dict[str, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"cpu_s": usage.ru_utime + usage.ru_stime, "rss_mb": _rss_mb()}


def _rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _peers(text: str) -> list[tuple[str, int]]:
    out = []
    for item in filter(None, text.split(",")):
        host, _, port = item.rpartition(":")
        out.append((host, int(port)))
    return out


async def _until_stopped(seconds: float | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def broadcast(args: argparse.Namespace) -> None:
    signed = SignedManifest.from_dict(json.loads(Path(args.manifest).read_text()))
    manifest, section, verifier = trusted_stream(signed, load_public_key(args.store_key))
    content_key = None
    if section.encrypted:
        content_key = stream_content_key(
            bytes.fromhex(Path(args.bundle_key_file).read_text().strip()), section.stream_id
        )
    private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(Path(args.signing_key_file).read_text().strip()))
    stream_id = bytes.fromhex(section.stream_id)
    signer = StreamSigner(private, stream_id, content_key)
    recording = _recording(args, trust_start=True)
    picture = PictureFormat(args.width, args.height, args.fps)
    settings = EncoderSettings(picture=picture, video_kbps=args.kbps)
    config = NodeConfig(
        stream_id=stream_id,
        host=args.host,
        port=args.port,
        is_origin=True,
        upload_bps=args.upload_kbps * 1000 if args.upload_kbps else None,
        stream_bps=args.kbps * 1000 + 100_000,
        delay_s=args.delay,
        origin_copies_per_stripe=args.copies,
        link=_link(args.link),
    )
    broadcaster = Broadcaster(
        signer,
        verifier,
        config,
        settings,
        http_link=_link(args.link),
        on_block=lambda block, plain: _made(block, plain, recording),
    )
    source = (
        TestPattern(picture) if args.source == "pattern" else MediaFileSource(Path(args.source), picture, loop=True)
    )
    await broadcaster.start(source, http_port=args.http_port)
    discovery = _discovery(args, stream_id, broadcaster.node.port, broadcaster.node.add_peers)
    _emit("ready", port=broadcaster.node.port, http_port=broadcaster.http_port, bundle=manifest.bundle_id)
    stats_task = asyncio.create_task(_broadcaster_stats(broadcaster))
    await _until_stopped(args.seconds)
    stats_task.cancel()
    if discovery is not None:
        await discovery.stop()
    await broadcaster.stop()
    _emit("stats", final=True, **_broadcaster_figures(broadcaster))
    _close_recording(recording)


def _made(block: Block, plain: bytes, recording: RecordingWriter | None) -> None:
    _emit("block", seq=block.seq, capture_ms=block.capture_ms, keyframe=block.keyframe, sha=digest(plain))
    if recording is not None:
        recording.keep(block.seq, plain)


def _recording(
    args: argparse.Namespace, *, trust_start: bool, cipher_for: CipherFor | None = None
) -> RecordingWriter | None:
    """The recording in its published layout (``--record``: the broadcaster's; ``--keep-recording``: a viewer's)."""
    folder = getattr(args, "record", None) or getattr(args, "keep_recording", None)
    if not folder:
        return None
    return RecordingWriter(
        Path(folder), segment_blocks=args.segment_blocks, trust_start=trust_start, cipher_for=cipher_for
    )


def _ticket_cipher(ticket: License | None, stream_id_hex: str) -> CipherFor | None:
    """A paid recording's files as published: the key the ticket derives for each path, the nonce fixed in advance."""
    if ticket is None:
        return None

    def cipher_for(path: str) -> ContentCipher | None:
        key = ticket.file_key(path)
        return None if key is None else ContentCipher(key, recording_nonce(stream_id_hex, path))

    return cipher_for


def _close_recording(recording: RecordingWriter | None) -> None:
    if recording is not None:
        recording.close()
        _emit("recording", files=[str(p) for p in recording.files()], blocks=recording.blocks_kept,
              bytes=recording.bytes_kept)  # fmt: skip


def _discovery(
    args: argparse.Namespace, stream_id: bytes, port: int, add_peers: Callable[[list[tuple[str, int]]], None]
) -> TrackerDiscovery | None:
    """The broadcaster with ``--tracker``: announce the origin to the store's tracker and dial the peers it names
    (viewers do the same inside ``Viewer.start``)."""
    if not args.tracker:
        return None
    discovery = TrackerDiscovery(
        args.tracker, stream_id, host=args.host, port=port, on_peers=add_peers, interval_s=args.announce_interval
    )
    discovery.start()
    return discovery


def _quantile(values: list[float], q: float) -> float | None:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3) if ordered else None


def _broadcaster_figures(b: Broadcaster) -> dict[str, Any]:
    counters, open_ = b.node.counters, [nb.counters for nb in b.node.neighbours.values()]
    return {
        "blocks": b.blocks_published,
        "bytes": b.bytes_published,
        "uploaded": b.node.uplink.bytes_sent,
        "http_copies": b.http_copies,
        "http_requests": b.http.requests,
        "http_abandoned_bytes": b.http.abandoned_bytes,
        # For the bench's "block nobody got": what became of the newest blocks at the origin.
        "http_outcomes": {str(seq): o for seq, o in b.http.outcomes.items() if o[1] < o[0]},
        "dropped_seqs": sorted({q for nb in b.node.neighbours.values() for q in nb.counters.dropped_seqs}),
        "publish_lag_p50_s": _quantile(list(b.publish_lag_s), 0.5),
        "publish_lag_p95_s": _quantile(list(b.publish_lag_s), 0.95),
        "copies_per_block": round(b.copies_per_block(), 3),
        # What the uploads were, over every connection: block parts and pull answers, and control frames.
        "block_bytes_sent": (block_bytes := counters.closed_block_bytes_sent + sum(c.block_bytes_sent for c in open_)),
        "control_bytes_sent": counters.closed_bytes_sent + sum(c.bytes_sent for c in open_) - block_bytes,
        "neighbours": len(b.node.neighbours),
        **b.node.root_figures(),
        "subscriptions_refused": b.node.tree_figures()["children_refused"],  # a root slot asked for and not given
        "encoder_error": repr(b.encoder_error) if b.encoder_error else None,
        **_process_figures(),
    }


async def _broadcaster_stats(b: Broadcaster) -> None:
    late_wakes: deque[tuple[float, float]] = deque(maxlen=32)  # (wall time, seconds late) of the worst wake-ups
    probe = asyncio.create_task(_late_wakes(late_wakes))
    try:
        while True:
            await asyncio.sleep(1.0)
            _emit("stats", **_broadcaster_figures(b), loop_late_wakes=list(late_wakes))
    finally:
        probe.cancel()


async def _late_wakes(found: deque[tuple[float, float]], every_s: float = 0.05, worth_s: float = 0.2) -> None:
    """Note when the loop woke ``worth_s`` or more late from a short sleep: nothing on the origin moves meanwhile."""
    loop = asyncio.get_running_loop()
    while True:
        asked = loop.time()
        await asyncio.sleep(every_s)
        late = loop.time() - asked - every_s
        if late >= worth_s:
            found.append((round(time.time(), 2), round(late, 3)))


async def watch(args: argparse.Namespace) -> None:
    signed = SignedManifest.from_dict(json.loads(Path(args.manifest).read_text()))
    store_key = load_public_key(args.store_key)
    manifest, section, verifier = trusted_stream(signed, store_key)
    content_key = None
    ticket: License | None = None
    if args.ticket_file:
        ticket = verify_license(Path(args.ticket_file).read_text().strip(), store_key)
        content_key = content_key_from_ticket(ticket, manifest)
    config = NodeConfig(
        stream_id=bytes.fromhex(section.stream_id),
        host=args.host,
        port=args.port,
        origin_url=section.origin_url,
        upload_bps=args.upload_kbps * 1000 if args.upload_kbps else None,
        stream_bps=args.kbps * 1000 + 100_000,
        delay_s=args.delay,
        max_children_per_stripe=args.fanout,
        link=_link(args.link),
    )

    # A paid stream's plaintext is never written: a ticket holder keeps the recording's published ciphertext.
    cipher_for = _ticket_cipher(ticket, section.stream_id) if section.encrypted else None
    keeps = not section.encrypted or cipher_for is not None
    recording = _recording(args, trust_start=False, cipher_for=cipher_for) if keeps else None

    def played(block: PlayedBlock) -> None:
        if recording is not None:
            recording.keep(block.seq, block.data)
        if args.report_blocks:
            _emit("play", seq=block.seq, capture_ms=block.capture_ms, at=block.played_at, sha=digest(block.data))

    viewer = Viewer(
        config,
        verifier,
        encrypted=section.encrypted,
        content_key=content_key,
        on_play=played,
        on_gap=lambda first, last: _emit("gap", first=first, last=last, at=time.time()),
    )
    await viewer.start(_peers(args.peers), tracker_url=args.tracker, announce_interval_s=args.announce_interval)
    _emit("ready", port=viewer.node.port, can_play=viewer.can_play)
    stats_task = asyncio.create_task(_viewer_stats(viewer))
    await _until_stopped(args.seconds)
    stats_task.cancel()
    _emit("stats", final=True, **viewer_figures(viewer))
    await viewer.stop()
    _close_recording(recording)


def viewer_figures(viewer: Viewer, *, process: bool = True) -> dict[str, Any]:
    node, playout = viewer.node, viewer.playout
    rejected = node.store.rejected
    figures: dict[str, Any] = {
        "from_peers": node.counters.block_bytes_from_peers,
        "from_origin": node.counters.block_bytes_from_origin,
        "blocks_relayed": node.counters.blocks_from_peers + node.counters.blocks_from_origin,
        "uploaded": node.uplink.bytes_sent,
        "forged": rejected.forged,
        "malformed": rejected.malformed,
        "out_of_window": rejected.out_of_window,
        "peers_dropped": node.counters.peers_dropped,
        "neighbours": len(node.neighbours),
        "origin_neighbour": any(nb.is_origin for nb in node.neighbours.values()),
        "joined_at": viewer.joined_at,
        "now": time.time(),
        "http_fetches": viewer.repair.http_fetches,
        "pulls": viewer.repair.pulls,
        "hops": node.stripe_hops(),
        "home": node.home_stripe(),
        "late_drops": sum(nb.counters.blocks_dropped_late for nb in node.neighbours.values()),
        "children": sum(bin(nb.subscribed_mask).count("1") for nb in node.neighbours.values()),
        "children_by_stripe": [
            sum(nb.subscribed_mask >> s & 1 for nb in node.neighbours.values()) for s in range(node.config.stripes)
        ],
        "tree": node.tree_figures(),
    }
    if viewer.discovery is not None:  # started with --tracker: the peers its answers named
        figures["tracker_peers"] = sorted(f"{host}:{port}" for host, port in viewer.discovery.stats.known)
    if playout is not None:
        stats = playout.stats
        figures |= {
            "played": stats.played,
            "gaps": stats.gaps,
            "replayed": stats.replayed,
            "stall_s": round(stats.stall_s + playout.stalled_now(time.time()), 3),
            "stall_by_cause": _stall_causes(playout, time.time()),
            "stalls": stats.stalls,
            "arrival": stats.arrival,
            "started_at": stats.started_at,
            "delay_s": viewer.delay_behind_source_s(),
            "first_block_at": stats.first_block_at,
            "first_keyframe_at": stats.first_keyframe_at,
            "start_lag_s": round(stats.start_lag_s, 3),
            "lag_from_stalls_s": round(stats.lag_from_stalls_s, 3),
            "lag_recovered_s": round(stats.lag_recovered_s, 3),
        }
    return figures | _process_figures() if process else figures


def _stall_causes(playout: PlayoutBuffer, now: float) -> dict[str, float]:
    """Stall seconds by cause (see ``PlayoutStats.stall_by_cause``), a stall still under way as ``open``."""
    causes = {cause: round(seconds, 3) for cause, seconds in playout.stats.stall_by_cause.items()}
    if playout.stalled_now(now):
        causes["open"] = round(playout.stalled_now(now), 3)
    return causes


async def _viewer_stats(viewer: Viewer) -> None:
    while True:
        await asyncio.sleep(1.0)
        _emit("stats", **viewer_figures(viewer))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app.live.headless")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("broadcast", "watch"):
        p = sub.add_parser(name)
        p.add_argument("--host", required=True)
        p.add_argument("--manifest", required=True, help="the live bundle's signed manifest (JSON)")
        p.add_argument("--store-key", required=True, help="the store's public key (base64)")
        p.add_argument("--upload-kbps", type=float, default=0)
        p.add_argument("--kbps", type=int, default=1400, help="the stream's video rate")
        p.add_argument("--delay", type=float, default=LIVE_DELAY_S, help="play-out delay behind the source, seconds")
        p.add_argument("--link", default=None, help="emulated links: min_ms,max_ms,loss")
        p.add_argument("--seconds", type=float, default=None)
        p.add_argument("--fanout", type=int, default=3, help="most children per stripe")
        p.add_argument("--segment-blocks", type=int, default=SEGMENT_BLOCKS, help="blocks per recording file")
        p.add_argument("--tracker", default=None, help="the store's announce URL: find the swarm's peers there")
        p.add_argument("--announce-interval", type=float, default=15.0, help="seconds between announces")
    b = sub.choices["broadcast"]
    b.add_argument("--signing-key-file", required=True)
    b.add_argument("--bundle-key-file", default=None)
    b.add_argument("--port", type=int, default=0)
    b.add_argument("--http-port", type=int, default=0)
    b.add_argument("--copies", type=int, default=1, help="origin copies of each block per stripe")
    b.add_argument("--source", default="pattern", help="'pattern' or a media file")
    b.add_argument("--width", type=int, default=640)
    b.add_argument("--record", default=None, help="write the recording (segment files) under this folder")
    b.add_argument("--height", type=int, default=360)
    b.add_argument("--fps", type=int, default=25)
    w = sub.choices["watch"]
    w.add_argument("--peers", default="", help="host:port,host:port")
    w.add_argument("--port", type=int, default=0)
    w.add_argument("--ticket-file", default=None)
    w.add_argument("--report-blocks", action="store_true")
    w.add_argument("--keep-recording", default=None, help="keep what is played in the recording's layout here")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    asyncio.run(broadcast(args) if args.command == "broadcast" else watch(args))


if __name__ == "__main__":
    main()
