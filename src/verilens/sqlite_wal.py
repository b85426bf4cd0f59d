"""Putting a SQLite file in WAL mode while other processes may be writing to it.

Both SQLite stores of verilens (the archive catalog, a case file) run in WAL mode (readers
never block the writer) and are opened by several processes at once.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any


def set_wal(cur: Any, wait_s: float) -> None:
    """Put the file of a SQLite connection's cursor in WAL mode, waiting while another
    process writes to it.

    Parameters
    ----------
    cur : sqlite3.Cursor
    wait_s : float
        Give up (re-raise "database is locked") after this many seconds.

    Notes
    -----
    Changing the journal mode needs the file's exclusive lock, and SQLite answers "database
    is locked" at once, without its busy timeout, when another connection is writing (it
    cannot wait without risking a deadlock): two processes creating one file at once met
    this. A file already in WAL mode only reads the header.
    """
    deadline = time.monotonic() + wait_s
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


__all__ = ["set_wal"]
