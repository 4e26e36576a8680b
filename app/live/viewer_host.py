"""Many viewers in one process, each with its own loopback address and its own node: ``python -m app.live.viewer_host``.

A swarm of hundreds of viewer processes does not fit a small machine (each Python process costs its interpreter's memory
and a share of a core just to idle), so tests and the bench host many viewers as tasks of one asyncio loop: every viewer
still has its own address, node, store, repair loop and play-out buffer, and talks to the others only through real TCP
connections over its emulated links. The process is driven by JSON lines on stdin — ``{"join": "host:port", "peers":
"h:p,h:p"}``, ``{"leave": "host:port"}``, ``{"mark": true}`` (start measuring: clears the play-out delay histogram and
reports ``stats`` tagged ``mark``), ``{"snapshot": true}`` (``stats`` tagged ``snapshot`` at once: the end of a measured
window) — and reports JSON lines on stdout: ``ready`` and ``left`` per viewer (with its final figures), ``play``/``gap``
per block with ``--report-blocks``, and every ``--stats-every`` seconds ``stats``: each viewer's figures, the process's
CPU seconds and resident memory, the histogram of play-out delays (10 ms bins) since the mark, and how late the loop
woke from 50 ms sleeps (``loop_lag``: CPU starvation, the same bins). Everything it keeps is bounded: the histogram by
its bins, figures by the viewers present. One thread: the asyncio loop (stdin is read by the loop's reader).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any

from app.bundle import SignedManifest, load_public_key, verify_license
from app.live.access import content_key_from_ticket, trusted_stream
from app.live.headless import _emit, _link, _peers, _process_figures, digest, viewer_figures
from app.live.node import NodeConfig
from app.live.node_config import LIVE_DELAY_S
from app.live.shared_verifier import SharedBlockVerifier
from app.live.viewer import PlayedBlock, Viewer

DELAY_BIN_S = 0.01
MAX_DELAY_BIN = 6000  # 60 s: later plays count in the last bin
LAG_PROBE_S = 0.05
MAX_LAG_BIN = 500  # 5 s


class ViewerHost:
    def __init__(self, args: argparse.Namespace) -> None:
        self._args = args
        signed = SignedManifest.from_dict(json.loads(Path(args.manifest).read_text()))
        store_key = load_public_key(args.store_key)
        manifest, self._section, verifier = trusted_stream(signed, store_key)
        # One verifier for every viewer here: a block's signature is checked once, and its bytes held once.
        self._verifier = SharedBlockVerifier.sharing(verifier)
        self._content_key = None
        if args.ticket_file:
            ticket = verify_license(Path(args.ticket_file).read_text().strip(), store_key)
            self._content_key = content_key_from_ticket(ticket, manifest)
        self.viewers: dict[str, Viewer] = {}
        self.delays: dict[int, int] = {}  # 10 ms bin -> plays, since the mark
        self.skipped = 0  # blocks skipped by every viewer, since the mark
        # How late the loop wakes a 50 ms sleep (10 ms bins), since the mark: CPU starvation delays every viewer here.
        self.loop_lag: dict[int, int] = {}

    def _config(self, host: str, port: int) -> NodeConfig:
        a = self._args
        return NodeConfig(
            stream_id=bytes.fromhex(self._section.stream_id),
            host=host,
            port=port,
            origin_url=self._section.origin_url,
            upload_bps=a.upload_kbps * 1000 if a.upload_kbps else None,
            stream_bps=a.kbps * 1000 + 100_000,
            delay_s=a.delay,
            max_children_per_stripe=a.fanout,
            link=_link(a.link),
        )

    async def join(self, name: str, peers: str) -> None:
        host, _, port = name.rpartition(":")

        def played(block: PlayedBlock) -> None:
            delay_bin = min(MAX_DELAY_BIN, max(0, int((block.played_at - block.capture_ms / 1000) / DELAY_BIN_S)))
            self.delays[delay_bin] = self.delays.get(delay_bin, 0) + 1
            if self._args.report_blocks:
                sha = digest(block.data)
                _emit("play", viewer=name, seq=block.seq, capture_ms=block.capture_ms, at=block.played_at, sha=sha)

        viewer = Viewer(
            self._config(host, int(port)),
            self._verifier,
            encrypted=self._section.encrypted,
            content_key=self._content_key,
            on_play=played,
            on_gap=lambda first, last: self._gap(name, first, last),
        )
        self.viewers[name] = viewer
        a = self._args
        await viewer.start(_peers(peers), tracker_url=a.tracker, announce_interval_s=a.announce_interval)
        _emit("ready", viewer=name, port=viewer.node.port, can_play=viewer.can_play)

    def _gap(self, name: str, first: int, last: int) -> None:
        self.skipped += last - first + 1
        _emit("gap", viewer=name, first=first, last=last, at=time.time())

    def mark(self) -> None:
        self.delays, self.skipped, self.loop_lag = {}, 0, {}
        self.stats(tag="mark")  # every viewer's figures at the mark: the window's figures are differences

    async def leave(self, name: str) -> None:
        viewer = self.viewers.pop(name, None)
        if viewer is not None:
            figures = viewer_figures(viewer, process=False)
            await viewer.stop()
            _emit("left", viewer=name, **figures)

    def stats(self, *, final: bool = False, tag: str | None = None) -> None:
        figures = {name: viewer_figures(v, process=False) for name, v in self.viewers.items()}
        _emit(
            "stats",
            final=final,
            tag=tag,
            now=time.time(),
            viewers=figures,
            delays=self.delays,
            skipped=self.skipped,
            loop_lag=self.loop_lag,
            **_process_figures(),
        )

    async def stop(self) -> None:
        self.stats(final=True)
        await asyncio.gather(*(self.leave(name) for name in list(self.viewers)))  # each waits for its sockets


async def _commands(host: ViewerHost) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 20)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        command: dict[str, Any] = json.loads(line)
        if "join" in command:
            await host.join(command["join"], command.get("peers", ""))
        elif "leave" in command:
            await host.leave(command["leave"])
        elif command.get("mark"):
            host.mark()
        elif command.get("snapshot"):
            host.stats(tag="snapshot")
        elif command.get("quit"):
            return


async def _run(args: argparse.Namespace) -> None:
    host = ViewerHost(args)
    stats = asyncio.create_task(_stats_loop(host, args.stats_every))
    probe = asyncio.create_task(_loop_lag_probe(host))
    try:
        await _commands(host)
    finally:
        stats.cancel()
        probe.cancel()
        await host.stop()


async def _loop_lag_probe(host: ViewerHost) -> None:
    loop = asyncio.get_running_loop()
    while True:
        asked = loop.time()
        await asyncio.sleep(LAG_PROBE_S)
        lag_bin = min(MAX_LAG_BIN, int((loop.time() - asked - LAG_PROBE_S) / DELAY_BIN_S))
        host.loop_lag[lag_bin] = host.loop_lag.get(lag_bin, 0) + 1


async def _stats_loop(host: ViewerHost, every_s: float) -> None:
    while True:
        await asyncio.sleep(every_s)
        host.stats()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m app.live.viewer_host")
    parser.add_argument("--manifest", required=True, help="the live bundle's signed manifest (JSON)")
    parser.add_argument("--store-key", required=True, help="the store's public key (base64)")
    parser.add_argument("--ticket-file", default=None)
    parser.add_argument("--upload-kbps", type=float, default=0)
    parser.add_argument("--kbps", type=int, default=1400, help="the stream's video rate")
    parser.add_argument("--delay", type=float, default=LIVE_DELAY_S, help="play-out delay behind the source, seconds")
    parser.add_argument("--link", default=None, help="emulated links: min_ms,max_ms,loss")
    parser.add_argument("--fanout", type=int, default=3, help="most children per stripe")
    parser.add_argument("--tracker", default=None, help="the store's announce URL: each viewer meets the swarm there")
    parser.add_argument("--announce-interval", type=float, default=5.0, help="seconds between announces")
    parser.add_argument("--report-blocks", action="store_true")
    parser.add_argument("--stats-every", type=float, default=2.0)
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run(args))


if __name__ == "__main__":
    main()
