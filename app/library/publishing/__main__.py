"""The creator's headless app: ``python -m app.library.publishing`` publishes a folder (or resumes every unfinished
publication) from this machine, seeds it with its own engine, and with ``--seed`` keeps seeding until SIGINT or
SIGTERM (then saves the engine's state and exits 0). The password comes from ``BUNDLECAST_CREATOR_PASSWORD``.

Lines on stdout: ``ready port=P``, ``job ID``, ``progress STEP DONE TOTAL`` (at most a few per second),
``published BUNDLE_ID``, ``seeding``, ``saved``; a refusal prints ``error SENTENCE`` on stderr and exits 2.
Runs on the main thread; the engine's alert thread only seeds.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from app.bundle import BundleKind, GateType
from app.engine import Engine, EngineSettings
from app.library.publishing import Publisher, PublishError, PublishRequest, TierChoice, scan_folder
from app.store import StoreClient
from app.store.creator import CreatorClient
from app.store.creator_keys import KeyringBundleKeys
from app.store.errors import StoreError


def _parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m app.library.publishing", description="Publish from this machine.")
    p.add_argument("--store", required=True, help="the store's base URL")
    p.add_argument("--email", required=True)
    p.add_argument("--display-name", help="become a creator with this name first")
    p.add_argument("--work-dir", type=Path, required=True, help="the creator's publishing folder (bundles, journals)")
    p.add_argument("--state-dir", type=Path, required=True, help="the creator's engine state")
    p.add_argument("--test-network", metavar="ADDR", help="loopback test peer on ADDR")
    p.add_argument("--folder", type=Path)
    p.add_argument("--title", default="")
    p.add_argument("--kind", default="series", choices=[k.value for k in BundleKind])
    p.add_argument("--gate", default="paid", choices=[g.value for g in GateType])
    p.add_argument("--price-cents", type=int)
    p.add_argument("--lock", nargs="*", default=[], metavar="GLOB")
    p.add_argument("--description", default="")
    p.add_argument("--cover", type=Path)
    p.add_argument("--goal-backers", type=int)
    p.add_argument("--goal-cents", type=int)
    p.add_argument("--deadline-days", type=float, default=30.0)
    p.add_argument("--tiers", default="[]", help='JSON list of {"tier_id", "title", "price_cents"}')
    p.add_argument("--release-of", help="publish the folder as a release of this bundle")
    p.add_argument("--release-id", default="")
    p.add_argument("--release-title", default="")
    p.add_argument("--resume", action="store_true", help="finish every unfinished publication first")
    p.add_argument("--seed", action="store_true", help="keep seeding until stopped")
    return p.parse_args(argv)


def _request(options: argparse.Namespace) -> PublishRequest:
    facts = scan_folder(options.folder)
    locked = frozenset(f.path for f in facts if any(fnmatch.fnmatchcase(f.path, g) for g in options.lock))
    tiers = tuple(TierChoice(**t) for t in json.loads(options.tiers))
    return PublishRequest(
        folder=options.folder,
        title=options.title,
        kind=BundleKind(options.kind),
        gate=GateType(options.gate),
        locked=locked,
        price_cents=options.price_cents,
        description=options.description,
        cover=options.cover,
        goal_backers=options.goal_backers,
        goal_cents=options.goal_cents,
        deadline_days=options.deadline_days,
        tiers=tiers,
        release_of=options.release_of,
        release_id=options.release_id,
        release_title=options.release_title,
    )


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    options = _parse(sys.argv[1:] if argv is None else argv)
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    settings = EngineSettings.for_loopback_tests(options.test_network) if options.test_network else EngineSettings()
    engine = Engine(settings, options.state_dir)
    engine.start()
    _say(f"ready port={engine.listen_port}")
    creator = CreatorClient(options.store)
    try:
        with StoreClient(options.store) as store:
            token = store.sign_in(options.email, os.environ.get("BUNDLECAST_CREATOR_PASSWORD", "")).token
        if options.display_name:
            creator.become_creator(token, options.display_name)
        publisher = Publisher(
            options.work_dir,
            keys=KeyringBundleKeys(),
            engine=engine,
            client=creator,
            token=token,
            store_url=options.store,
        )
        last_time, last_step = [0.0], [""]

        def progress(step: str, done: int, total: int) -> None:
            # A new step is said at once (a short upload used to pass unseen between two throttled lines).
            now = time.monotonic()
            if step != last_step[0] or now - last_time[0] > 0.25 or done == total:
                last_time[0], last_step[0] = now, step
                _say(f"progress {step} {done} {total}")

        jobs = publisher.unfinished() if options.resume else []
        done = publisher.published_from(options.folder, options.title) if options.resume and options.folder else None
        if done is not None and not jobs:
            _say(f"published {done}")  # already published: --resume never publishes a folder twice
        elif options.folder is not None and not jobs:
            jobs.append(publisher.plan(_request(options)))
        for job_id in jobs:
            _say(f"job {job_id}")
            _say(f"published {publisher.run(job_id, progress=progress, cancel=stop)}")
        if options.seed:
            _say("seeding")
            stop.wait()
    except (PublishError, StoreError) as exc:
        print(f"error {exc}", file=sys.stderr, flush=True)
        return 2
    finally:
        creator.close()
        engine.shutdown(timeout=10)
        _say("saved")
    return 0


if __name__ == "__main__":
    sys.exit(main())
