"""Many files through a small pool of long-running exiftool processes.

One ``exiftool -stay_open`` process pays Perl's start-up once; a pool of them (one per core
by default, at most 4) reads chunks of files in parallel. Order is preserved and every file
gets a row (``ExifTool:Error`` for one exiftool cannot read).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..config import usable_cpus
from .exiftool import ExifToolBridge, bridge

#: Files per exiftool call.
CHUNK = 32

_pool: list[ExifToolBridge] = []
_pool_lock = threading.Lock()


def default_workers() -> int:
    """exiftool processes used by :func:`read_many` (``VERILENS_EXIFTOOL_WORKERS``, else cores, 1-4)."""
    env = os.environ.get("VERILENS_EXIFTOOL_WORKERS", "")
    if env.isdigit() and int(env) > 0:
        return min(int(env), 8)
    return max(1, min(4, usable_cpus()))


def _bridges(n: int) -> list[ExifToolBridge]:
    import atexit

    with _pool_lock:
        while len(_pool) < n - 1:
            b = ExifToolBridge()
            atexit.register(b.close)
            _pool.append(b)
        return [bridge(), *_pool[: n - 1]]


def read_many(
    paths: Sequence[str | os.PathLike[str]],
    extra_args: Sequence[str] = (),
    workers: int | None = None,
    chunk: int = CHUNK,
) -> list[dict[str, Any]]:
    """exiftool tags of many files, read by a pool of long-running processes.

    Parameters
    ----------
    paths : sequence of path-like
    extra_args : sequence of str
        More exiftool options (``-ee`` ...).
    workers : int, optional
        exiftool processes (default :func:`default_workers`).
    chunk : int
        Files per exiftool call.

    Returns
    -------
    list of dict
        One ``Group:Tag`` dict per path, in input order.

    Raises
    ------
    CheckUnavailable
        exiftool is missing or failed for a whole chunk.
    """
    items = list(paths)
    if not items:
        return []
    n = max(1, workers or default_workers())
    chunks = [items[i : i + chunk] for i in range(0, len(items), chunk)]
    if n == 1 or len(chunks) == 1:
        return [row for c in chunks for row in bridge().read(c, extra_args)]
    bridges = _bridges(min(n, len(chunks)))
    lanes: list[list[int]] = [
        list(range(i, len(chunks), len(bridges))) for i in range(len(bridges))
    ]
    out: list[list[dict[str, Any]] | None] = [None] * len(chunks)

    def run(lane: int) -> None:
        for ci in lanes[lane]:
            out[ci] = bridges[lane].read(chunks[ci], extra_args)

    with ThreadPoolExecutor(max_workers=len(bridges), thread_name_prefix="exiftool") as ex:
        for fut in [ex.submit(run, i) for i in range(len(bridges))]:
            fut.result()
    return [row for part in out if part is not None for row in part]


def close_pool() -> None:
    """Stop the extra exiftool processes (the shared bridge stays)."""
    with _pool_lock:
        for b in _pool:
            b.close()
        _pool.clear()


__all__ = ["CHUNK", "close_pool", "default_workers", "read_many"]
