"""``python -m storefront``: the store's command line.

- ``serve``  — run the store (``--data-dir``, ``--host``, ``--port`` (0 = free), ``--ready-file``, ``--demo``,
  ``--workers N``)
- ``campaign close ID`` — close a campaign now (capture or void every pledge)
- ``reconcile`` — settle charges left pending by a crash, and report
- ``refund ID`` — refund a sale or a charged pledge (its charge, purchase or pledge id; ``storefront.refunds``)
- ``tracker-whitelist`` — the info-hashes for an external tracker's whitelist (opentracker ``-w``)
- ``backup --to DIR`` / ``restore --from DIR`` — database, key files, torrents, covers (``storefront.backup``)
- ``publish …`` and ``demo …`` — the creator tools (``storefront.publish``, ``storefront.demo``)
``DATABASE_URL`` picks the database (default: a SQLite file in the data dir). Runs on the main thread.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from storefront.config import StoreConfig
from storefront.errors import StoreError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m storefront", description="The Bundlecast store service.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the store's HTTP service")
    serve.add_argument("--data-dir", type=Path, default=Path("store-data"))
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8750, help="0 picks a free port")
    serve.add_argument("--ready-file", type=Path, help='write {"url": …} here once listening')
    serve.add_argument("--public-url", help="the URL clients reach the store at (default: the listening URL)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes on one socket (use PostgreSQL)")
    serve.add_argument("--demo", action="store_true", help="demo mode, with the demo catalog built if missing")
    serve.add_argument("--cache-dir", type=Path, help="where the demo's generated media are cached")
    campaign = sub.add_parser("campaign", help="campaign tools")
    campaign_sub = campaign.add_subparsers(dest="action", required=True)
    close = campaign_sub.add_parser("close", help="close a campaign now")
    close.add_argument("campaign_id")
    close.add_argument("--data-dir", type=Path, default=Path("store-data"))
    reconcile = sub.add_parser("reconcile", help="settle what a crash left pending")
    reconcile.add_argument("--data-dir", type=Path, default=Path("store-data"))
    refund = sub.add_parser("refund", help="refund a sale or a charged pledge (the money back, the license revoked)")
    refund.add_argument("sale_id", help="the charge id (dashboard ledger), purchase id (buyer's receipt) or pledge id")
    refund.add_argument("--data-dir", type=Path, default=Path("store-data"))
    backup = sub.add_parser("backup", help="back up the database, the key files, torrents and covers")
    backup.add_argument("--data-dir", type=Path, default=Path("store-data"))
    backup.add_argument("--to", type=Path, required=True, help="a new, empty folder (keep it secret: it holds keys)")
    backup.add_argument("--with-content", action="store_true", help="the bundles' files too (large)")
    restore = sub.add_parser("restore", help="restore a backup into an empty data folder")
    restore.add_argument("--data-dir", type=Path, default=Path("store-data"))
    restore.add_argument("--from", dest="source", type=Path, required=True)
    whitelist = sub.add_parser("tracker-whitelist", help="print the bundles' info-hashes for opentracker's -w file")
    whitelist.add_argument("--data-dir", type=Path, default=Path("store-data"))
    sub.add_parser("publish", help="publish a bundle (see: publish --help)", add_help=False)
    sub.add_parser("demo", help="build the demo catalog (see: demo --help)", add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args_list and args_list[0] in ("publish", "demo"):
        # The content engineer's tools parse their own options.
        tool = importlib.import_module(f"storefront.{args_list[0]}")
        return int(tool.main(args_list[1:]) or 0)
    args = _parser().parse_args(args_list)
    commands = {
        "serve": _serve,
        "campaign": _campaign_close,
        "reconcile": _reconcile,
        "refund": _refund,
        "backup": _backup,
        "restore": _restore,
        "tracker-whitelist": _tracker_whitelist,
    }
    try:
        return commands[args.command](args)
    except StoreError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1


def _serve(args: argparse.Namespace) -> int:
    from storefront.server import serve

    config = StoreConfig.from_env(args.data_dir, cache_dir=args.cache_dir)
    if args.demo:
        config = dataclasses.replace(config, demo=True)
        importlib.import_module("storefront.demo").ensure_demo_catalog(config)
    serve(
        config,
        host=args.host,
        port=args.port,
        ready_file=args.ready_file,
        # --public-url wins; else BUNDLECAST_STORE_PUBLIC_URL (docs/OPERATIONS.md); else the listening URL.
        public_url=args.public_url or os.environ.get("BUNDLECAST_STORE_PUBLIC_URL") or None,
        workers=max(1, args.workers),
    )
    return 0


def _campaign_close(args: argparse.Namespace) -> int:
    from storefront.services import build_services

    services = build_services(StoreConfig.from_env(args.data_dir))
    try:
        state = services.campaigns.close(args.campaign_id)
        view = services.campaigns.view(args.campaign_id)
    finally:
        services.close()
    print(f"campaign {args.campaign_id}: {state} — {view['backers']} backers, {view['pledged_cents']} cents pledged")
    return 0


def _reconcile(args: argparse.Namespace) -> int:
    from storefront.services import build_services

    services = build_services(StoreConfig.from_env(args.data_dir))
    try:
        report = services.reconciler.run()
    finally:
        services.close()
    print(report)
    return 1 if report.problems else 0


def _refund(args: argparse.Namespace) -> int:
    from storefront.refunds import find_charge_id, refund_sale
    from storefront.services import build_services

    services = build_services(StoreConfig.from_env(args.data_dir))
    try:
        done = refund_sale(services.db, services.provider, find_charge_id(services.db, args.sale_id), by_account=None)
    finally:
        services.close()
    if done["status"] == "cancelled":
        print(done["message"])
        return 0
    print(
        f"refunded {done['charge_id']}: {done['amount_cents']} cents {done['currency']} back to the "
        f"{'buyer' if done['kind'] == 'sale' else 'backer'} of {done['bundle_id']}; their license is revoked"
        + ("" if done["refunded_now"] else " (it had been refunded before)")
    )
    return 0


def _backup(args: argparse.Namespace) -> int:
    from storefront.backup import backup

    print(f"backed up to {backup(StoreConfig.from_env(args.data_dir), args.to, with_content=args.with_content)}")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from storefront.backup import restore

    restore(StoreConfig.from_env(args.data_dir), args.source)
    print(f"restored {args.source} into {args.data_dir}")
    return 0


def _tracker_whitelist(args: argparse.Namespace) -> int:
    """opentracker's whitelist: each bundle's v1 hash and its v2 hash truncated to 20 bytes, hex, one a line."""
    from sqlalchemy import select

    from storefront.db import Database
    from storefront.models import Bundle

    db = Database(StoreConfig.from_env(args.data_dir).effective_database_url)
    try:
        with db.session() as session:
            rows = session.execute(select(Bundle.info_hash_v1, Bundle.info_hash_v2)).all()
    finally:
        db.dispose()
    for v1, v2 in rows:
        for value in (v1, (v2 or "")[:40]):
            if value:
                print(value)
    return 0


if __name__ == "__main__":
    sys.exit(main())
