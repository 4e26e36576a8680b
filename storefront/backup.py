"""Backups of a store and their restore: ``python -m storefront backup --to DIR`` / ``restore --from DIR``.

A backup holds what cannot be made again: the database (SQLite: an online, consistent copy through SQLite's
backup API; PostgreSQL: ``pg_dump --format=custom``), the key files (the signing key every license and manifest
is verified with, and the wrap key of every bundle key — without them the database is useless, and with them
anyone can issue licenses: keep backups as secret as the keys), the published .torrents and covers, and with
``--with-content`` the bundles' content (the web seed's files; large, and re-creatable by publishing again).
``backup.json`` records the schema version and what is inside. Restore refuses a data dir that already holds a
store, copies the files back (keys 0600 in a 0700 folder) and loads the database (PostgreSQL: ``pg_restore`` into
the ``DATABASE_URL`` database). Blocking; the CLI's main thread. The store may keep running during a backup.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from storefront.config import StoreConfig
from storefront.db import SCHEMA_VERSION
from storefront.errors import StoreError

_FOLDERS = ("torrents", "covers")


def _sqlite_path(config: StoreConfig) -> Path:
    return Path(config.effective_database_url.removeprefix("sqlite:///"))


def backup(config: StoreConfig, dest: Path, *, with_content: bool = False) -> Path:
    if dest.exists() and any(dest.iterdir()):
        raise StoreError(f"{dest} is not empty; back up into a new folder.")
    dest.mkdir(parents=True, exist_ok=True)
    dest.chmod(0o700)
    dumped_with = ""
    if config.is_sqlite:
        with sqlite3.connect(_sqlite_path(config)) as source, sqlite3.connect(dest / "store.db") as copy:
            source.backup(copy)
        database = "store.db"
    else:
        database = "store.pgdump"
        dumped_with = _run_pg(
            config, "pg_dump", "--format=custom", "--no-owner", f"--file={dest / database}", _libpq_url(config)
        )
    keys = dest / "keys"
    keys.mkdir(mode=0o700)
    for key in (config.effective_signing_key_path, config.effective_wrap_key_path):
        shutil.copy2(key, keys / key.name)
        (keys / key.name).chmod(0o600)
    for folder in (*_FOLDERS, *(("content",) if with_content else ())):
        if (config.data_dir / folder).is_dir():
            shutil.copytree(config.data_dir / folder, dest / folder, symlinks=False)
    info = {
        "schema_version": SCHEMA_VERSION,
        "database": database,
        "with_content": with_content,
        **({"dumped_with": dumped_with} if dumped_with else {}),
        "store_id": config.store_id,
        "taken_at": dt.datetime.now(dt.UTC).isoformat(),
    }
    (dest / "backup.json").write_text(json.dumps(info, indent=2))
    return dest


def restore(config: StoreConfig, source: Path) -> None:
    info = json.loads((source / "backup.json").read_text())
    if info["schema_version"] > SCHEMA_VERSION:
        raise StoreError("This backup is from a newer store; upgrade the store before restoring it.")
    if config.effective_signing_key_path.exists() or (config.is_sqlite and _sqlite_path(config).exists()):
        raise StoreError(f"{config.data_dir} already holds a store; restore into an empty data folder.")
    config.ensure_dirs()
    for key in (config.effective_signing_key_path, config.effective_wrap_key_path):
        shutil.copy2(source / "keys" / key.name, key)
        key.chmod(0o600)
    for folder in (*_FOLDERS, "content"):
        if (source / folder).is_dir():
            shutil.copytree(source / folder, config.data_dir / folder, dirs_exist_ok=True)
    if info["database"] == "store.db":
        if not config.is_sqlite:
            raise StoreError("This backup holds a SQLite database; unset DATABASE_URL to restore it.")
        shutil.copy2(source / "store.db", _sqlite_path(config))
    else:
        _run_pg(
            config,
            "pg_restore",
            "--no-owner",
            "--exit-on-error",
            f"--dbname={_libpq_url(config)}",
            str(source / "store.pgdump"),
        )


def _libpq_url(config: StoreConfig) -> str:
    return config.effective_database_url.replace("postgresql+psycopg://", "postgresql://")


def _pg_tool(config: StoreConfig, tool: str) -> str:
    """``pg_dump``/``pg_restore`` of the server's major version: pg_dump refuses a newer server ("server version
    mismatch"), and Debian's wrapper in PATH picks the newest client installed, not the server's. Debian and
    PGDG install each version's tools in /usr/lib/postgresql/<major>/bin; ``BUNDLECAST_PG_BINDIR`` overrides."""
    override = os.environ.get("BUNDLECAST_PG_BINDIR")
    if override:
        return str(Path(override) / tool)
    import psycopg  # the optional "postgres" extra: only a PostgreSQL store gets here

    with psycopg.connect(_libpq_url(config), connect_timeout=30) as conn:
        major = int(conn.info.server_version) // 10000
    versioned = Path(f"/usr/lib/postgresql/{major}/bin/{tool}")
    return str(versioned) if versioned.exists() else tool


def _run_pg(config: StoreConfig, tool: str, *args: str) -> str:
    """Run ``tool`` (the server's version of it); its path. A failure is a StoreError with the tool's own words."""
    path = _pg_tool(config, tool)
    done = subprocess.run([path, *args], capture_output=True, text=True, timeout=3600, check=False)
    if done.returncode != 0:
        raise StoreError(f"{tool} failed: {done.stderr.strip()[-2000:]}")
    return path
