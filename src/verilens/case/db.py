"""Open a case database: SQLite file by default (WAL, busy timeout), PostgreSQL by URL.

Opening runs the shipped Alembic migrations up to head, once, under a lock (a file lock
for SQLite, an advisory lock for PostgreSQL), so several processes may open the same
database at the same time.
"""

from __future__ import annotations

import fcntl
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import OperationalError

from ..config import home
from ..errors import UsageError
from ..sqlite_wal import set_wal

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "case_alembic_version"
#: SQLite waits this long (ms) for another writer before giving up.
BUSY_TIMEOUT_MS = 60_000
_PG_LOCK_KEY = 0x76_6C_63_61_73_65  # "vlcase"

T = TypeVar("T")


def is_url(db: str) -> bool:
    return bool(re.match(r"^[a-z][a-z0-9+.-]*://", db))


def resolve_db(db: str | os.PathLike[str] | None) -> tuple[str, Path | None]:
    """The SQLAlchemy URL for ``db`` and, for SQLite files, the file path.

    ``None`` means ``$VERILENS_HOME/cases.db``; a plain path means an SQLite file; anything
    with a scheme (``postgresql+psycopg://...``, ``sqlite:///...``) is used as given.
    """
    if db is None:
        path = home() / "cases.db"
    else:
        s = os.fspath(db)
        if is_url(s):
            if s.startswith("sqlite:///") and len(s) > len("sqlite:///"):
                return s, Path(s[len("sqlite:///"):])
            if s.startswith("postgres://"):
                s = "postgresql+psycopg://" + s[len("postgres://"):]
            elif s.startswith("postgresql://"):
                s = "postgresql+psycopg://" + s[len("postgresql://"):]
            return s, None
        path = Path(s).expanduser()
    if path.is_dir():
        raise UsageError(f"{path}: is a folder; give the case database file (e.g. {path / 'cases.db'})")
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path.resolve()}", path.resolve()


def make_engine(url: str) -> Engine:
    """An engine with the pragmas and transaction mode the case store relies on.

    Notes
    -----
    SQLite: WAL journal (readers never block the writer), ``busy_timeout`` and every
    transaction opened with ``BEGIN IMMEDIATE`` so that two writers queue on the busy
    handler instead of failing on a read-to-write lock upgrade (which SQLite refuses
    without waiting, to avoid a deadlock).
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000,
                                                  "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            set_wal(cur, BUSY_TIMEOUT_MS / 1000)  # (changing the mode does not wait on the busy timeout)
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn):  # type: ignore[no-untyped-def]
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=2)


def _at_head(engine: Engine, head: str) -> bool:
    with engine.connect() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return False
        rev = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
        return rev == head


def migrate(engine: Engine, sqlite_path: Path | None = None) -> None:
    """Upgrade the schema to the newest shipped migration (no-op when already there)."""
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    if _at_head(engine, head):
        return

    def run() -> None:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    if sqlite_path is not None:
        lock_path = sqlite_path.with_name(sqlite_path.name + ".migrate.lock")
        with open(lock_path, "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                if not _at_head(engine, head):
                    run()
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
    elif engine.dialect.name == "postgresql":
        with engine.connect() as lock_conn:
            lock_conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_LOCK_KEY})
            try:
                if not _at_head(engine, head):
                    run()
            finally:
                lock_conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK_KEY})
                lock_conn.commit()
    else:
        run()


def retrying(fn: Callable[[], T], attempts: int = 8) -> T:
    """Run a write transaction again when the database reports a transient conflict.

    SQLite "database is locked" past the busy timeout, PostgreSQL serialization failures or
    deadlocks, and a custody-sequence collision (unique constraint) are retried with backoff.
    """
    from sqlalchemy.exc import IntegrityError

    delay = 0.05
    for i in range(attempts):
        try:
            return fn()
        except (OperationalError, IntegrityError) as exc:
            msg = str(exc).lower()
            transient = ("locked" in msg or "deadlock" in msg or "serializ" in msg
                         or "uq_case_custody_seq" in msg or "case_custody.case_id, case_custody.seq" in msg)
            if not transient or i == attempts - 1:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
    raise AssertionError("unreachable")  # pragma: no cover
