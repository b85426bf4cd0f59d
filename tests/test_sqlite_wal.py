"""WAL mode for SQLite files other processes are writing."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from verilens.sqlite_wal import set_wal


def _writing(db: Path, hold_s: float) -> threading.Thread:
    """Another connection in the middle of a write to a rollback-journal file, for ``hold_s``."""
    con = sqlite3.connect(db)
    con.execute("create table t(x)")
    con.commit()
    con.close()
    writing = threading.Event()

    def writer() -> None:
        w = sqlite3.connect(db, isolation_level=None)
        w.execute("BEGIN IMMEDIATE")
        w.execute("insert into t values (1)")
        writing.set()
        time.sleep(hold_s)
        w.execute("COMMIT")
        w.close()

    t = threading.Thread(target=writer)
    t.start()
    assert writing.wait(10)
    return t


def test_the_switch_waits_for_a_writer_instead_of_failing_at_once(tmp_path):
    db = tmp_path / "a.db"
    t = _writing(db, 0.4)
    con = sqlite3.connect(db, timeout=5, isolation_level=None)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):  # what SQLite does by itself
            con.execute("PRAGMA journal_mode=WAL")
        start = time.monotonic()
        set_wal(con.cursor(), wait_s=10)
        assert time.monotonic() - start > 0.1
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        con.close()
        t.join()


def test_it_gives_up_after_the_wait(tmp_path):
    db = tmp_path / "a.db"
    t = _writing(db, 1.5)
    con = sqlite3.connect(db, isolation_level=None)
    try:
        start = time.monotonic()
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            set_wal(con.cursor(), wait_s=0.2)
        assert time.monotonic() - start < 1.4
    finally:
        con.close()
        t.join()
