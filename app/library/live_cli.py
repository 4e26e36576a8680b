"""``bundlecast live create …`` and ``bundlecast live broadcast SOURCE --bundle ID``: a creator's live events from
the command line (and, with ``--json``, the broadcaster process the app's *Go live* dialog runs).

Signs in like the creator's publishing command: ``--store URL --email ADDRESS`` with the password in
``BUNDLECAST_CREATOR_PASSWORD`` — or a session the app already holds in ``BUNDLECAST_SESSION_TOKEN``. ``create``
makes the stream's key pair (the private half stays in this computer's keyring) and the live event at the store;
``broadcast`` fetches the signed manifest, finds the key, goes on air (the store lists it under *Live now*), says
once a few seconds how many viewers are connected, the upload and the delay, and on Ctrl-C or SIGTERM stops and
tells the store it has ended. Sentences go to stdout (``--json``: one JSON object a line: ``created``, ``ready``,
``on_air``, ``figures``, ``ended``, ``error``); a refusal is a sentence on stderr and exit status 2.
Runs on the main thread (one asyncio loop for the broadcast; the encoder has its own thread).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time
from datetime import datetime
from typing import Any

from app.library.live_events import ENDED, GATES, ON_AIR, BroadcastPlan, LiveEventRequest, LiveEvents
from app.live.errors import LiveError
from app.live.node_config import LIVE_DELAY_S
from app.live.on_air import OnAir, OnAirAddress, OnAirFigures, OnAirSettings
from app.live.source_spec import describe, parse_source
from app.live.sources import PictureFormat
from app.store.client import StoreClient
from app.store.creator import CreatorClient
from app.store.errors import StoreError
from app.store.stream_keys import KeyringStreamKeys

HUMAN_EVERY_S = 5.0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bundlecast live", description="Live broadcasts from this computer.")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create", help="announce a live event at the store")
    broadcast = sub.add_parser("broadcast", help="go on air")
    for p in (create, broadcast):
        p.add_argument("--store", required=True, help="the store's base URL")
        p.add_argument("--email", default="", help="the creator's account (password: BUNDLECAST_CREATOR_PASSWORD)")
        p.add_argument("--json", action="store_true", help="one JSON object a line instead of sentences")
    create.add_argument("--title", required=True)
    create.add_argument("--description", default="")
    create.add_argument("--starts-at", default="now", help="'now', unix seconds or an ISO date and time")
    create.add_argument("--gate", default="free", choices=GATES)
    create.add_argument("--price-cents", type=int)
    create.add_argument("--goal-backers", type=int)
    create.add_argument("--goal-cents", type=int)
    create.add_argument("--deadline-days", type=float)
    create.add_argument(
        "--origin",
        required=True,
        metavar="URL",
        help="where viewers reach this computer, as in http://203.0.113.5:8470 (the overlay listens on the port above)",
    )
    broadcast.add_argument("source", help="pattern | a media file | screen[:DISPLAY] | camera[:/dev/videoN][,mic:hw:0]")
    broadcast.add_argument("--bundle", required=True, help="the live event's bundle id")
    broadcast.add_argument("--kbps", type=int, default=1400, help="the picture's bit rate")
    broadcast.add_argument("--size", default="640x360", help="WIDTHxHEIGHT")
    broadcast.add_argument("--fps", type=int, default=25)
    broadcast.add_argument("--upload-kbps", type=float, default=0, help="cap this computer's upload (0: no cap)")
    broadcast.add_argument("--delay", type=float, default=LIVE_DELAY_S, help="how far behind the source viewers play")
    broadcast.add_argument("--listen", default=None, help="the address to listen on (default: the origin's)")
    broadcast.add_argument("--overlay-port", type=int, default=None, help="default: the origin's port + 1")
    broadcast.add_argument("--seconds", type=float, default=None, help=argparse.SUPPRESS)
    # The app's child: end the broadcast (cleanly, the store told) when the app's end of stdin closes — the app quit
    # or crashed without its SIGTERM.
    broadcast.add_argument("--stop-when-stdin-closes", action="store_true", help=argparse.SUPPRESS)
    return parser


class _Out:
    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json

    def say(self, event: str, sentence: str, **fields: Any) -> None:
        line = json.dumps({"event": event, "text": sentence, **fields}) if self.as_json else sentence
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def _starts_at(text: str) -> int:
    if text == "now":
        return int(time.time())
    if text.isdigit():
        return int(text)
    try:
        return int(datetime.fromisoformat(text).timestamp())
    except ValueError:
        raise LiveError(f"“{text}” is not a start time: write now, unix seconds or 2026-12-24T20:00.") from None


def _token(store: StoreClient, email: str) -> str:
    token = os.environ.get("BUNDLECAST_SESSION_TOKEN", "")
    if token:
        return token
    if not email:
        raise LiveError("Say which creator account to use with --email.")
    return store.sign_in(email, os.environ.get("BUNDLECAST_CREATOR_PASSWORD", "")).token


def _create(options: argparse.Namespace, events: LiveEvents, out: _Out) -> int:
    request = LiveEventRequest(
        title=options.title,
        origin_url=options.origin,
        starts_at=_starts_at(options.starts_at),
        description=options.description,
        gate=options.gate,
        price_cents=options.price_cents,
        goal_backers=options.goal_backers,
        goal_cents=options.goal_cents,
        deadline_days=options.deadline_days,
    )
    created = events.create(request)
    out.say(
        "created",
        f"Created the live event “{options.title}”: {created.bundle_id}. "
        f"Go live with: bundlecast live broadcast SOURCE --bundle {created.bundle_id}",
        bundle_id=created.bundle_id,
        stream_id=created.stream_id,
    )
    return 0


def _say_tracker(f: OnAirFigures, said: list[str], out: _Out) -> None:
    """Once: viewers find the broadcast through the store's tracker; or, once per reason, why they cannot."""
    if f.tracker_announces and "found" not in said:
        said.append("found")
        out.say("tracker", "Viewers find this broadcast through the store's tracker.")
    elif f.tracker_error and f.tracker_error not in said and "found" not in said:
        said.append(f.tracker_error)
        out.say("tracker", f"The store's tracker cannot list this broadcast yet ({f.tracker_error}); viewers still "
                "reach you through the origin address.", error=f.tracker_error)  # fmt: skip


def _duration(seconds: float) -> str:
    whole = int(seconds)
    return (
        f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
        if whole >= 3600
        else f"{whole // 60}:{whole % 60:02d}"
    )


def _picture(options: argparse.Namespace) -> PictureFormat:
    try:
        width, height = (int(x) for x in options.size.lower().split("x"))
    except ValueError:
        raise LiveError(f"“{options.size}” is not a picture size: write it as 640x360.") from None
    if width % 2 or height % 2 or not (64 <= width <= 3840 and 64 <= height <= 2160):
        raise LiveError("The picture size must be even, from 64x64 to 3840x2160.")
    return PictureFormat(width, height, options.fps)


def _stop_at_end_of_stdin(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    stdin = sys.stdin.fileno()

    def readable() -> None:
        try:
            data = os.read(stdin, 4096)
        except OSError:
            data = b""
        if not data:
            loop.remove_reader(stdin)
            stop.set()

    loop.add_reader(stdin, readable)


async def _broadcast(options: argparse.Namespace, events: LiveEvents, plan: BroadcastPlan, out: _Out) -> int:
    source = parse_source(options.source)
    settings = OnAirSettings(
        picture=_picture(options),
        video_kbps=options.kbps,
        upload_kbps=options.upload_kbps,
        delay_s=options.delay,
        listen_host=options.listen,
        overlay_port=options.overlay_port,
        tracker_url=plan.tracker_url,
    )
    on_air = OnAir(plan.section, plan.private_key, source, content_key=plan.content_key, settings=settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if options.seconds:
        loop.call_later(options.seconds, stop.set)
    if options.stop_when_stdin_closes:
        _stop_at_end_of_stdin(loop, stop)
    bundle_id = plan.manifest.bundle_id
    went_on_air: list[bool] = []  # ended is final at the store: only a broadcast that was on air is ended
    started = time.monotonic()
    said = [0.0]
    said_tracker: list[str] = []

    async def ready(address: OnAirAddress) -> None:
        out.say(
            "ready",
            f"Broadcasting {describe(source)} as “{plan.manifest.title}” from {plan.section.origin_url} "
            f"(viewers connect to {address.host}:{address.overlay_port}).",
            host=address.host,
            port=address.overlay_port,
            http_port=address.http_port,
        )
        await asyncio.to_thread(events.set_state, bundle_id, ON_AIR)
        went_on_air.append(True)
        out.say("on_air", "On air: the store lists this broadcast under Live now. Ctrl-C ends it.")

    last: list[OnAirFigures] = []

    def report(f: OnAirFigures) -> None:
        last.append(f)
        del last[:-1]
        elapsed = time.monotonic() - started
        if f.final:
            return
        _say_tracker(f, said_tracker, out)
        if not out.as_json and elapsed - said[0] < HUMAN_EVERY_S:
            return
        said[0] = elapsed
        viewers = "1 viewer" if f.viewers == 1 else f"{f.viewers} viewers"
        out.say(
            "figures",
            f"On air {_duration(elapsed)}: {viewers} connected to you, uploading "
            f"{f.upload_bps / 1e6:.1f} Mbit/s, viewers about {f.delay_s:.1f} s behind.",
            viewers=f.viewers,
            upload_bps=round(f.upload_bps),
            uploaded=f.uploaded,
            blocks=f.blocks,
            delay_s=f.delay_s,
            elapsed_s=round(elapsed, 1),
        )

    try:
        await on_air.run(stop, report, on_ready=ready)
    finally:
        stop.set()
        if went_on_air:  # a failure before that (the origin could not listen) leaves the event announced
            await asyncio.to_thread(events.set_state, bundle_id, ENDED)
            elapsed = time.monotonic() - started
            blocks = last[-1].blocks if last else 0
            uploaded = last[-1].uploaded if last else 0
            sent = f"{blocks} blocks, {uploaded / 1e6:.1f} MB uploaded"
            out.say("ended", f"The broadcast has ended after {_duration(elapsed)} ({sent}).", blocks=blocks,
                    uploaded=uploaded)  # fmt: skip
    return 0


def broadcaster_command(store_url: str, token: str, bundle_id: str, source: str) -> tuple[list[str], dict[str, str]]:
    """How the app starts a broadcast in a process of its own (the JSON lines are its report): the arguments,
    program first, and the environment it adds (the app's session, so the child signs in as the same creator).
    The child ends its broadcast when its stdin closes, so an app that dies never leaves a broadcast listed."""
    program = [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "app"]
    argv = [*program, "live", "broadcast", source, "--bundle", bundle_id, "--store", store_url, "--json",
            "--stop-when-stdin-closes"]  # fmt: skip
    return argv, {"BUNDLECAST_SESSION_TOKEN": token}


def main(argv: list[str] | None = None) -> int:
    options = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    out = _Out(options.json)
    store = StoreClient(options.store)
    creator = CreatorClient(options.store)
    try:
        events = LiveEvents(store, creator, _token(store, options.email), KeyringStreamKeys())
        if options.command == "create":
            return _create(options, events, out)
        plan = events.prepare(options.bundle)
        return asyncio.run(_broadcast(options, events, plan, out))
    except (LiveError, StoreError) as error:
        if options.json:
            out.say("error", str(error))
        print(str(error), file=sys.stderr, flush=True)
        return 2
    finally:
        creator.close()
        store.close()


if __name__ == "__main__":
    sys.exit(main())
