"""Schema migrations on SQLite: a fresh database is created at the newest version, a second start changes
nothing, and a database from a newer store is refused with a sentence saying what to do."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, update

from storefront.db import SCHEMA_VERSION, Database, DatabaseError
from storefront.models import SchemaVersion


def test_fresh_database_is_migrated_once(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        assert db.migrate() == 0
        assert db.migrate() == SCHEMA_VERSION
        tables = set(inspect(db.engine).get_table_names())
        assert {"accounts", "bundles", "bundle_documents", "charges", "licenses", "pledges"} <= tables
        with db.session() as session:
            assert session.get_one(SchemaVersion, 1).version == SCHEMA_VERSION
    finally:
        db.dispose()


def test_database_from_a_newer_store_is_refused(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        db.migrate()
        with db.write() as session:
            session.execute(update(SchemaVersion).values(version=SCHEMA_VERSION + 1))
        with pytest.raises(DatabaseError, match="upgrade the store"):
            db.migrate()
    finally:
        db.dispose()
