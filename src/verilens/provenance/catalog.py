"""The archive catalog: SQLAlchemy tables, engine creation (SQLite file or database URL).

The catalog is the truth of the archive; the faiss indexes beside it are derived from the
``hashes`` table. One row in ``items`` per distinct file content (sha256); every place the
same bytes were seen is a row in ``sources``; every hashed picture (a still, or a video
keyframe with its time) is a row in ``hashes``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import (
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ..claims import parse_time, time_bounds
from ..config import home
from ..errors import UsageError
from ..sqlite_wal import set_wal

SCHEMA_VERSION = "1"


class Base(DeclarativeBase):
    pass


class Item(Base):
    """A distinct file content (sha256): a still picture or a video."""

    __tablename__ = "vl_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(8), nullable=False, default="image", index=True)
    path: Mapped[str] = mapped_column(Text, nullable=False)
    source_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    first_seen: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    added_at: Mapped[str] = mapped_column(String(40), nullable=False)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    quality: Mapped[int | None] = mapped_column(Integer, nullable=True)
    thumbnail: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


class Source(Base):
    """One sighting of an item: where it was found, under which URL, first seen when."""

    __tablename__ = "vl_sources"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("vl_items.id"), nullable=False, index=True)
    path: Mapped[str] = mapped_column(Text, nullable=False)
    source_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    first_seen: Mapped[str | None] = mapped_column(String(40), nullable=True)
    added_at: Mapped[str] = mapped_column(String(40), nullable=False)
    __table_args__ = (Index("ix_vl_sources_path", "path"),)


class HashRow(Base):
    """A hashed picture: a still, or one keyframe of a video (``frame_time_s``)."""

    __tablename__ = "vl_hashes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("vl_items.id"), nullable=False, index=True)
    frame_time_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    pdq: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    quality: Mapped[int] = mapped_column(Integer, nullable=False)
    features: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


class Meta(Base):
    __tablename__ = "vl_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)


def default_db() -> Path:
    """``$VERILENS_HOME/archive.db``."""
    return home() / "archive.db"


def is_url(db: str | Path) -> bool:
    return isinstance(db, str) and "://" in db


#: How long a connection waits for the write lock of a catalog file another process holds.
SQLITE_BUSY_S = 30.0


def make_engine(db: str | Path | None, read_only: bool = False, immutable: bool = False) -> tuple[Engine, str]:
    """An engine for a path (SQLite, WAL) or a SQLAlchemy URL; returns (engine, display name).

    Parameters
    ----------
    db : str or Path, optional
        A file path or a URL; default :func:`default_db`.
    read_only : bool
        A file is opened with SQLite's read-only mode (it must exist; nothing beside it is
        created). A URL's engine is the same either way (the caller does not write).
    immutable : bool
        With ``read_only``: the file is declared unchanging (SQLite ``immutable=1``), the only
        way to read a WAL catalog on a read-only medium; a writer elsewhere would go unseen.

    Raises
    ------
    UsageError
        A malformed URL or an unsupported driver; a read-only catalog that does not exist.
    """
    if db is None:
        db = default_db()
    if is_url(db):
        try:
            url = make_url(str(db))
        except Exception as exc:
            raise UsageError(f"not a database URL: {db!r}") from exc
        if url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
        try:
            engine = create_engine(url, pool_pre_ping=True, future=True)
        except Exception as exc:
            raise UsageError(f"cannot use database URL {url.render_as_string(hide_password=True)}: {exc}") from exc
        if engine.dialect.name == "sqlite":
            _sqlite_pragmas(engine)
        return engine, url.render_as_string(hide_password=True)
    path = Path(db).expanduser()
    if path.exists() and path.is_dir():
        raise UsageError(f"{path} is a folder; give the archive database file")
    if read_only:
        if not path.is_file():
            raise UsageError(f"no archive at {path}")
        flags = "mode=ro&immutable=1" if immutable else "mode=ro"
        engine = create_engine(f"sqlite:///file:{quote(str(path.resolve()))}?{flags}&uri=true", future=True,
                               connect_args={"timeout": SQLITE_BUSY_S})
        _sqlite_pragmas(engine, read_only=True)
        return engine, str(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file where a folder should be, a name too long, no permission
        raise UsageError(f"cannot make the folder of the archive {path}: {exc.strerror or exc}") from exc
    engine = create_engine(f"sqlite:///{path}", future=True, connect_args={"timeout": SQLITE_BUSY_S})
    _sqlite_pragmas(engine)
    return engine, str(path)


def _sqlite_pragmas(engine: Engine, read_only: bool = False) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _rec) -> None:  # type: ignore[no-untyped-def]
        cur = dbapi_conn.cursor()
        if not read_only:
            set_wal(cur, SQLITE_BUSY_S)
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_S * 1000)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def normalise_time(value: str | None) -> str | None:
    """A first-seen time as stored: an instant as a UTC ISO string, a date kept as that whole day.

    Takes what the contract's ``TIME`` takes: ISO 8601 with an offset or ``Z``, or a date
    alone (the whole day; compared through :func:`verilens.claims.time_bounds`).

    Raises
    ------
    UsageError
        Not an ISO 8601 date or time, or a time without an offset (its meaning depends on a
        zone the user must state).
    """
    if value is None or value == "":
        return None
    s = parse_time(str(value))
    if len(s) == 10:
        return s
    try:
        return dt.datetime.fromisoformat(s).astimezone(dt.UTC).isoformat()
    except (OverflowError, ValueError) as exc:  # year 1 at +14:00, year 9999 at -14:00
        raise UsageError(f"{str(value)[:60]!r}: out of the calendar's range once put in UTC") from exc


def seen_order(value: str | None) -> tuple[int, float, float]:
    """Sort key for first-seen values: earliest first, unknown last.

    Ordered by the latest moment each can mean (a date: the end of that day in the
    westernmost zone), then the first: the earliest is the sighting that was certainly made
    first, the one that shows a picture existed before a claimed time if any does.
    """
    b = time_bounds(value)
    if b is None:
        return (1, 0.0, 0.0)
    return (0, b[1].timestamp(), b[0].timestamp())


__all__ = ["Base", "HashRow", "Item", "Meta", "SCHEMA_VERSION", "Source", "default_db", "is_url",
           "make_engine", "normalise_time", "now_iso", "seen_order"]
