"""Turn what the user typed (files, folders, URLs) into a list of inputs."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .url import is_url


@dataclass(frozen=True)
class Source:
    """One input to open: a local path or a URL; ``error`` when it cannot even be listed."""

    text: str
    path: Path | None = None
    url: str | None = None
    error: str | None = None


def iter_sources(items: Iterable[str | os.PathLike[str]]) -> Iterator[Source]:
    """Expand files, folders (recursively, sorted, hidden files skipped) and URLs.

    A folder that cannot be listed, or a missing path, is yielded as a ``Source`` with an
    ``error`` so that the batch goes on and the problem is reported against that input.
    """
    for item in items:
        text = os.fspath(item)
        if isinstance(item, str) and is_url(text):
            yield Source(text=text, url=text)
            continue
        p = Path(text)
        try:
            is_dir, there = p.is_dir(), p.exists() or p.is_symlink()
        except (OSError, ValueError) as exc:  # a name too long, a NUL byte
            yield Source(text=text, path=None, error=f"{text}: cannot be read ({getattr(exc, 'strerror', None) or exc})")
            continue
        if is_dir:
            yield from walk_folder(p)
        elif there:
            yield Source(text=text, path=p)
        else:
            yield Source(text=text, path=p, error=f"{text}: no such file or folder")


def walk_folder(root: Path) -> Iterator[Source]:
    """The files under a folder, sorted, hidden ones skipped; a folder that cannot be read and
    a link to a folder (not followed: links can loop) come as a ``Source`` with an ``error``."""
    errors: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=errors.append, followlinks=False):
        keep = []
        for d in sorted(dirnames):
            if d.startswith("."):
                continue
            sub = Path(dirpath) / d
            if sub.is_symlink():
                yield Source(text=str(sub), path=sub,
                             error=f"{sub}: a link to a folder, not followed (give the folder itself to read it)")
            else:
                keep.append(d)
        dirnames[:] = keep
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = Path(dirpath) / name
            yield Source(text=str(path), path=path)
        yield from _drain(errors, dirpath)
    yield from _drain(errors, str(root))


def _drain(errors: list[OSError], fallback: str) -> Iterator[Source]:
    while errors:
        exc = errors.pop(0)
        where = exc.filename or fallback
        yield Source(
            text=str(where), path=Path(where),
            error=f"{where}: the folder cannot be read ({exc.strerror or exc})",
        )
