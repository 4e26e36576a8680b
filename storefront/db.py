"""Database access: the engine and session factory for SQLite or PostgreSQL, and schema migrations.

``Database(url)`` builds a SQLAlchemy engine tuned for the backend (SQLite: WAL, a busy timeout, foreign keys;
PostgreSQL: psycopg 3). ``migrate()`` brings the schema to the newest version, one numbered step at a time,
under a lock (an advisory lock on PostgreSQL, SQLite's write lock otherwise) so several processes starting at
once do not race (FIELD-NOTES: concurrent ``create_all()`` on PostgreSQL kills one of them).
Sessions are short-lived and used on the thread that opened them (FastAPI's worker threads).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, create_engine, event, inspect, select, text
from sqlalchemy.orm import Session, sessionmaker

from storefront.errors import StoreError
from storefront.models import CREATOR_TABLES, LIVE_TABLES, Base, SchemaVersion, StripeEvent, StripePayment

log = logging.getLogger(__name__)

# PostgreSQL connections one process keeps: FastAPI runs sync routes on anyio's 40 worker threads, each using at
# most one connection at a time; the overflow covers the housekeeping task. Size max_connections for
# (PG_POOL_SIZE + PG_POOL_OVERFLOW) x workers (docs/OPERATIONS.md).
PG_POOL_SIZE = 40
PG_POOL_OVERFLOW = 10
_MIGRATION_LOCK_ID = 0x42C0DE  # any constant: the PostgreSQL advisory lock that serializes migrations


def _v1_initial(conn: Connection) -> None:
    Base.metadata.create_all(conn)


def _v2_stripe_ledger(conn: Connection) -> None:
    """The Stripe adapter's tables (issue 13); a fresh database already has them from v1's create_all."""
    for table in (StripePayment.__table__, StripeEvent.__table__):
        table.create(conn, checkfirst=True)  # type: ignore[attr-defined]


def _v3_creators(conn: Connection) -> None:
    """Issue 10's tables (creator role, publish drafts, tiers, updates, downloads per day): new tables only,
    created where missing, so the step is harmless on a fresh database that v1's create_all already built."""
    Base.metadata.create_all(conn, tables=[Base.metadata.tables[t.__tablename__] for t in CREATOR_TABLES])


def _v4_live(conn: Connection) -> None:
    """Issue 9's live events (a live bundle's stream, start time, on-air state): a new table, created if missing."""
    Base.metadata.create_all(conn, tables=[Base.metadata.tables[t.__tablename__] for t in LIVE_TABLES])


# Numbered steps; append, never edit a released one. Each runs in the migration's transaction.
MIGRATIONS: tuple[tuple[int, Callable[[Connection], None]], ...] = (
    (1, _v1_initial), (2, _v2_stripe_ledger), (3, _v3_creators), (4, _v4_live),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]


class DatabaseError(StoreError):
    code = "database_unavailable"
    status = 503


def normalize_url(url: str) -> str:
    """Accept the usual ``postgres://`` / ``postgresql://`` spellings; we drive PostgreSQL with psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Database:
    def __init__(self, url: str) -> None:
        self.url = normalize_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        if self.is_sqlite:
            self.engine: Engine = create_engine(
                self.url,
                connect_args={"check_same_thread": False, "timeout": 30},
                pool_size=20,
                max_overflow=80,
            )
            event.listen(self.engine, "connect", _sqlite_pragmas)
            # pysqlite's own transaction handling defers BEGIN; we emit BEGIN ourselves so a write
            # transaction can start IMMEDIATE: one that reads and then writes would otherwise fail with
            # "database is locked" when another writer committed in between (no busy wait on upgrade).
            event.listen(self.engine, "begin", _sqlite_begin)
        else:
            # Keep as many connections as the worker threads can use at once: with a smaller pool, every
            # connection past it was closed on check-in and opened again moments later (a new PostgreSQL backend,
            # its prepared statements lost) — 132 new connections in 15 s of bench/store_load.py at 40 users.
            # LIFO: the connections used last are used again, so only as many as are busy at once get warm (psycopg
            # prepares a statement on its 5th use on a connection, and PostgreSQL plans it afresh for 5 more before
            # it keeps a generic plan); FIFO cycled through all 40, each one cold — 40 % of the statements' time was
            # planning in 15-s runs of bench/store_load.py at 2 workers, each worker having ~20 requests in flight.
            self.engine = create_engine(
                self.url,
                pool_size=PG_POOL_SIZE,
                max_overflow=PG_POOL_OVERFLOW,
                pool_pre_ping=True,
                pool_use_lifo=True,
            )
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(
            self.engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False
        )
        # Reads on PostgreSQL without BEGIN and COMMIT: two round trips (and two statements for the server) fewer
        # per request; READ COMMITTED gave every statement its own snapshot anyway.
        self._read_sessions = (
            self._sessions
            if self.is_sqlite
            else sessionmaker(self.engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False)
        )

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A read session (and writes that need no read-modify-write); commits on success."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session that only reads (the catalog, a bundle's page): each statement stands alone on PostgreSQL, so
        two statements may see different moments — use ``session()`` when they must agree or when anything writes."""
        with self._read_sessions() as session, session.begin():
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction that will write: on SQLite it takes the write lock up front (BEGIN IMMEDIATE)."""
        with self._write_sessions() as session, session.begin():
            yield session

    def migrate(self) -> int:
        """Bring the schema to ``SCHEMA_VERSION``; returns the version found before."""
        with self.engine.begin() as conn:
            if not self.is_sqlite:
                conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
            found = 0
            if inspect(conn).has_table(SchemaVersion.__tablename__):
                row = conn.execute(select(SchemaVersion.version).where(SchemaVersion.id == 1)).scalar()
                found = int(row or 0)
            else:
                SchemaVersion.__table__.create(conn)  # type: ignore[attr-defined]
            if found > SCHEMA_VERSION:
                raise DatabaseError(
                    f"the database is at schema version {found}, newer than this store ({SCHEMA_VERSION}); "
                    "upgrade the store"
                )
            for version, step in MIGRATIONS:
                if version > found:
                    log.info("migrating the store database to schema version %d", version)
                    step(conn)
            if found == 0:
                conn.execute(SchemaVersion.__table__.insert().values(id=1, version=SCHEMA_VERSION))  # type: ignore[attr-defined]
            elif found < SCHEMA_VERSION:
                conn.execute(
                    SchemaVersion.__table__.update().where(SchemaVersion.id == 1).values(version=SCHEMA_VERSION)  # type: ignore[attr-defined]
                )
            return found

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across process crashes
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
    # Hand transaction control to SQLAlchemy's "begin" event (see Database.__init__).
    dbapi_conn.isolation_level = None  # type: ignore[attr-defined]


def _sqlite_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")
