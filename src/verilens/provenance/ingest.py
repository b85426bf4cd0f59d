"""Archive ingest: collect inputs, hash them (locally or on a Dask cluster), commit in batches.

Hashing (:func:`hash_file`) is a plain function of a path, so the same code runs in a
thread on a laptop and in a Dask worker on a cluster. Only the caller's process writes the
catalog, one transaction per batch; a re-run skips paths already recorded, so an ingest
interrupted at any point (even ``kill -9``) completes without duplicates or losses.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import queue
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Limits, usable_cpus
from ..errors import InputError, UnsupportedMedia, UsageError, VerilensError
from ..intake.collect import walk_folder
from ..intake.media import sha256_file
from ..intake.sniff import HEAD_BYTES, describe_unknown, sniff
from .archive import Archive, HashedItem, HashedPicture, hash_picture
from .catalog import normalise_time, seen_order
from .decode import REDUCED_SIDE, decode_reduced, encode_thumbnail

#: Keyframes hashed per video at most.
MAX_VIDEO_KEYFRAMES = 60
#: Seconds spent decoding one video for its keyframes at most.
VIDEO_BUDGET_S = 300.0
MANIFEST_SUFFIXES = (".csv", ".jsonl", ".ndjson")


@dataclass(frozen=True)
class Entry:
    """One file to add, with its sighting.

    ``in_folder``: found by walking a folder rather than named; such a file that is not a
    picture or video is passed over (counted), not reported as an error.
    """

    path: str
    source_url: str | None = None
    first_seen: str | None = None
    in_folder: bool = False


@dataclass
class IngestResult:
    """The contract's ``{"added", "skipped", "errors"}`` plus sightings recorded on known bytes
    (``sources_added``), known sightings given an earlier first-seen time (``updated``; both
    also counted as skipped, as nothing new is stored) and files met in folders that are not
    pictures or videos (``not_media``)."""

    added: int = 0
    skipped: int = 0
    sources_added: int = 0
    updated: int = 0
    not_media: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"added": self.added, "skipped": self.skipped, "errors": self.errors,
                "sources_added": self.sources_added, "updated": self.updated, "not_media": self.not_media,
                "warnings": self.warnings}


def _keyframes(path: str, limits: Limits) -> list[tuple[float, Any]]:
    """Keyframes of a video (shot detection plus interval frames, :mod:`verilens.video`) with their times."""
    import time

    from ..video.keyframes import extract_keyframes

    res = extract_keyframes(path, max_keyframes=MAX_VIDEO_KEYFRAMES, max_side=REDUCED_SIDE, limits=limits,
                            deadline=time.monotonic() + VIDEO_BUDGET_S)
    return [(float(k.time_s), k.rgb) for k in res.keyframes if k.rgb is not None]


def hash_file(path: str, side: int = REDUCED_SIDE, known: Callable[[str], bool] | None = None) -> HashedItem:
    """Hash one file for the archive (no catalog access of its own; runs in workers).

    Parameters
    ----------
    path : str
        A still picture or a video (keyframes), of a type :mod:`verilens.intake.sniff` recognises.
    side : int
        Longer side of the reduced decode, pixels.
    known : callable(sha256) -> bool, optional
        Whether the archive already holds these bytes: then nothing is decoded and the
        result, marked ``known``, carries only what a new sighting needs (a repost met again
        under another path or URL costs a read and a SHA-256).

    Returns
    -------
    HashedItem

    Raises
    ------
    InputError
        Unreadable, truncated, unsupported or over a limit.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{path}: no such file")
    limits = Limits.from_env()
    size = p.stat().st_size
    if size == 0:
        raise InputError(f"{p.name}: empty file")
    # one open: the head tells the type (a file of another kind is not read further, whatever
    # its size); a still is then read whole, sized from stat (a read sized by the limit asks
    # for the limit's worth of memory and costs a copy), one byte more than that so that a
    # file that grew or shrank since is caught
    with open(p, "rb") as fh:
        head = fh.read(HEAD_BYTES)
        sniffed = sniff(head)
        if sniffed is None:
            raise UnsupportedMedia(f"{p.name}: not a picture or video format verilens reads "
                                   f"({describe_unknown(head)})")
        if size > limits.max_file_bytes:
            raise InputError(f"{p.name}: {size} bytes is over the file-size limit")
        video = sniffed.kind == "video"
        if not video:
            if size > limits.max_image_bytes:
                raise InputError(f"{p.name}: {size} bytes is over the image-size limit")
            fh.seek(0)
            data = fh.read(size + 1)
    if not video and len(data) != size:
        raise InputError(f"{p.name}: the file changed size while being read; add it again once it is complete")
    sha = sha256_file(path) if video else hashlib.sha256(data).hexdigest()  # a still: hashed and decoded from memory
    kind = "video" if video else "image"
    if known is not None and known(sha):
        return HashedItem(sha, kind, str(path), None, None, None, (), known=True)
    if video:
        pics: list[HashedPicture] = []
        thumb = None
        for t, rgb in _keyframes(path, limits):
            pics.append(hash_picture(rgb, t))
            if thumb is None:
                thumb = encode_thumbnail(rgb)
        if not pics:
            raise InputError(f"{p.name}: no keyframe could be decoded")
        return HashedItem(sha, kind, str(path), None, None, thumb, tuple(pics))
    dec = decode_reduced(data, side=side, limits=limits, name=p.name)
    pic = hash_picture(dec.rgb)
    return HashedItem(sha, "image", str(path), dec.width, dec.height, encode_thumbnail(dec.rgb), (pic,))


def _hash_or_error(path: str, known: Callable[[str], bool] | None = None) -> HashedItem | dict[str, str]:
    try:
        return hash_file(path, known=known)
    except UnsupportedMedia as exc:
        return {"path": path, "state": "error", "error": str(exc), "unsupported": "true"}
    except VerilensError as exc:
        return {"path": path, "state": "error", "error": str(exc)}
    except MemoryError:
        return {"path": path, "state": "error", "error": "out of memory while decoding"}
    except Exception as exc:  # a decoder bug on a hostile file must not stop the ingest
        return {"path": path, "state": "error", "error": f"{type(exc).__name__}: {exc}"[:500]}


# ---------------------------------------------------------------------- collecting inputs
#: What a manifest line is read for, under its accepted names.
MANIFEST_FIELDS = {"path": "path", "file": "path", "source_url": "source_url", "url": "source_url",
                   "first_seen": "first_seen"}
#: Longest path, URL or time a manifest line may give, in characters. Checked here rather than
#: left to the csv module's field limit, which is process-wide and which other libraries raise
#: (reverse_geocoder sets it to the maximum when imported).
MANIFEST_FIELD_MAX = 65_536
#: Files named as inputs with these suffixes are taken for manifests in another format.
_NOT_MANIFEST_SUFFIXES = (".tsv", ".txt", ".json", ".xlsx", ".xls", ".ods")


def _hash_unless_archived(path: str, prefixes: Any = None) -> HashedItem | dict[str, str]:
    """:func:`_hash_or_error` on a worker away from the catalog: bytes whose SHA-256 begins
    like an archived one's (:meth:`Archive.known_prefixes`) are returned ``known``, undecoded
    (the caller confirms against the catalog and hashes them in full if they are not)."""
    if prefixes is None or not len(prefixes):
        return _hash_or_error(path)
    import numpy as np

    def known(sha256: str) -> bool:
        v = np.uint64(int(sha256[:16], 16))
        i = int(np.searchsorted(prefixes, v))
        return i < len(prefixes) and prefixes[i] == v

    return _hash_or_error(path, known)


def read_manifest(path: str | Path, warnings: list[str] | None = None) -> list[Entry]:
    """Entries from a CSV (header with ``path``, optional ``source_url``, ``first_seen``) or JSONL file.

    Relative paths are taken relative to the manifest's folder. ``file`` and ``url`` are
    accepted for ``path`` and ``source_url``.

    Parameters
    ----------
    path : str or Path
    warnings : list of str, optional
        Receives a line naming columns (or JSON fields) that are not read, e.g. a misspelt
        ``first_sen``, whose times would otherwise be dropped without a word.

    Raises
    ------
    UsageError
        No ``path`` column/field, or a malformed line (a ``first_seen`` that is not ISO 8601
        with an offset, or a date, included).
    """
    p = Path(path)
    base = p.parent.absolute()
    out: list[Entry] = []
    unread: dict[str, None] = {}

    def entry(row: dict[str, Any], where: str) -> Entry:
        for k in row:
            if k not in MANIFEST_FIELDS and len(unread) < 20:
                unread[str(k)[:60]] = None
        got: dict[str, str | None] = {}
        for k, field_ in MANIFEST_FIELDS.items():
            v = row.get(k)
            if v is not None and v != "" and not isinstance(v, str):
                raise UsageError(f"{p.name}{where}: '{k}' must be text, not {type(v).__name__}")
            if v and len(v) > MANIFEST_FIELD_MAX:
                raise UsageError(f"{p.name}{where}: '{k}' is {len(v):,} characters long, over the "
                                 f"{MANIFEST_FIELD_MAX:,} a manifest field may hold")
            if v and not _recordable(v):
                raise UsageError(f"{p.name}{where}: '{k}' holds text that is not valid Unicode (a lone surrogate)")
            got[field_] = got.get(field_) or v or None
        raw = got["path"]
        if not raw:
            raise UsageError(f"{p.name}{where}: no 'path'")
        fp = Path(raw)
        if not fp.is_absolute():
            fp = base / fp
        seen = got["first_seen"]
        if seen:
            try:
                normalise_time(seen)
            except UsageError as exc:  # said with its line, before any hashing
                raise UsageError(f"{p.name}{where}: {exc}") from exc
        return Entry(str(fp), got["source_url"], seen)

    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read manifest {p}: {exc}") from exc
    if p.suffix.lower() == ".csv":
        # newline="": quoted fields may hold line breaks, and only real line ends split rows
        reader = csv.DictReader(io.StringIO(text, newline=""))
        try:
            fields = reader.fieldnames
            if not fields or not ({"path", "file"} & {f.strip() for f in fields}):
                raise UsageError(f"{p.name}: the CSV header needs a 'path' column")
            for row in reader:
                where = f" line {reader.line_num}"
                if row.get(None):  # type: ignore[call-overload]
                    raise UsageError(f"{p.name}{where}: more fields than the header has (a comma in a "
                                     "value that is not quoted?)")
                out.append(entry({(k or "").strip(): (v or "").strip() for k, v in row.items()}, where))
        except csv.Error as exc:
            raise UsageError(f"{p.name} line {reader.line_num}: not CSV ({exc})") from exc
    else:
        # JSON Lines end at "\n" only: U+2028 and other Unicode line breaks are valid inside strings
        for n, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise UsageError(f"{p.name} line {n}: not JSON ({exc.msg})") from exc
            except RecursionError as exc:  # a hostile line of nested brackets
                raise UsageError(f"{p.name} line {n}: not a manifest line (nested too deeply)") from exc
            except ValueError as exc:  # e.g. an integer of more digits than Python converts
                raise UsageError(f"{p.name} line {n}: not a manifest line ({str(exc)[:100]})") from exc
            if not isinstance(row, dict):
                raise UsageError(f"{p.name} line {n}: not a JSON object")
            out.append(entry(row, f" line {n}"))
    unread.pop("", None)
    if unread and warnings is not None:
        warnings.append(f"{p.name}: column(s) not read: {', '.join(unread)} (a manifest reads path, source_url "
                        "and first_seen)")
    return out


def collect_entries(inputs: Sequence[str], source_url: str | None = None, first_seen: str | None = None
                    ) -> tuple[list[Entry], list[dict[str, str]], list[str]]:
    """Files, folders (recursive, hidden files skipped) and manifests to entries.

    ``source_url``/``first_seen`` apply to files and folders given directly; manifests
    carry their own per line (the options fill in what a line leaves empty). Paths are
    made absolute (the archive is read from other folders later).

    Returns
    -------
    entries, errors, warnings
    """
    entries: list[Entry] = []
    errors: list[dict[str, str]] = []
    warnings: list[str] = []

    def bad(raw: str, why: str) -> None:
        errors.append({"path": raw, "state": "error", "error": f"{raw}: {why}"})

    for raw in inputs:
        try:
            p = Path(raw).absolute()
            kind = _kind(p)
        except (OSError, ValueError) as exc:  # a name too long, a NUL byte
            bad(raw, f"cannot be read ({getattr(exc, 'strerror', None) or exc})")
            continue
        if kind == "dir":
            _walk(p, source_url, first_seen, entries, errors)
        elif kind == "file" and p.suffix.lower() in MANIFEST_SUFFIXES:
            for e in read_manifest(p, warnings):
                entries.append(Entry(e.path, e.source_url or source_url, e.first_seen or first_seen))
        elif kind == "file" and p.suffix.lower() in _NOT_MANIFEST_SUFFIXES:
            bad(raw, "not a picture or video; a manifest is a .csv, .jsonl or .ndjson file")
        elif kind == "file":
            if _recordable(str(p)):
                entries.append(Entry(str(p), source_url, first_seen))
            else:
                bad(raw, _UNRECORDABLE)
        else:
            bad(raw, kind)
    return entries, errors, warnings


_UNRECORDABLE = "the file name is not valid UTF-8, so the catalog cannot record it; rename the file"


def _recordable(path: str) -> bool:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes in a name come back as surrogates
        return False
    return True


def _kind(p: Path) -> str:
    """``file``, ``dir``, or why the path cannot be added."""
    if p.is_dir():
        return "dir"
    if p.is_file():
        return "file"
    if p.is_symlink():
        return "a broken link or a link loop"
    if p.exists():
        return "not a regular file (a pipe, device or socket)"
    return "no such file or folder"


def _walk(root: Path, source_url: str | None, first_seen: str | None, entries: list[Entry],
          errors: list[dict[str, str]]) -> None:
    """Files under a folder (:func:`verilens.intake.collect.walk_folder`); unreadable folders,
    links to folders and names the catalog cannot record are reported, not passed over."""
    for src in walk_folder(root):
        if src.error:
            errors.append({"path": src.text, "state": "error", "error": src.error})
        elif _recordable(src.text):
            entries.append(Entry(src.text, source_url, first_seen, in_folder=True))
        else:
            shown = os.fsencode(src.text).decode("utf-8", "backslashreplace")  # the bytes shown
            errors.append({"path": shown, "state": "error", "error": f"{shown}: {_UNRECORDABLE}"})


# ---------------------------------------------------------------------- running
def _already_recorded(e: Entry, recorded: Sequence[tuple[str | None, str | None, str]]) -> bool:
    """Whether a sighting of this path with this URL is recorded with the same or an earlier
    first-seen time, since the file last changed (new bytes at a known path are hashed again)."""
    if not recorded:
        return False
    seen = seen_order(normalise_time(e.first_seen)) if e.first_seen else None
    try:
        changed = dt.datetime.fromtimestamp(os.stat(e.path).st_mtime, dt.UTC).replace(microsecond=0).isoformat()
    except (OSError, ValueError, OverflowError):
        return False  # let hashing say what is wrong with it
    for url, first_seen, added_at in recorded:
        if (url == e.source_url and changed <= added_at
                and (seen is None or (first_seen is not None and seen_order(first_seen) <= seen))):
            return True
    return False


ProgressFn = Callable[[int, int], None]


#: Most hashing threads or local worker processes started when none are asked for.
MAX_DEFAULT_WORKERS = 8


def default_workers() -> int:
    """One hashing thread (or local Dask worker) per CPU this process may run on, at most
    :data:`MAX_DEFAULT_WORKERS`."""
    return max(1, min(MAX_DEFAULT_WORKERS, usable_cpus()))


def ingest(archive: Archive, entries: Sequence[Entry], *, dask: str | Any | None = None, workers: int | None = None,
           batch_size: int = 64, progress: ProgressFn | None = None, save_every: int = 20) -> IngestResult:
    """Hash entries and commit them to the archive in batches.

    Parameters
    ----------
    archive : Archive
    entries : sequence of Entry
    dask : None, "local", "tcp://host:port" or a ``dask.distributed.Client``
        None hashes in a local thread pool; ``local`` starts a ``LocalCluster``; an address
        connects to a running scheduler.
    workers : int, optional
        Threads (no Dask) or local worker processes (``local``); default :func:`default_workers`.
    batch_size : int
        Items per catalog transaction.
    progress : callable(done, total), optional
    save_every : int
        Save the indexes every this many batches (a crash loses only index work, which is
        rebuilt from the catalog on the next open).

    Returns
    -------
    IngestResult

    Notes
    -----
    Resumable: a path already recorded as a sighting with the same URL is skipped before
    any hashing, unless it now comes with an earlier first-seen time (then it is hashed and
    the sighting moved back: ``updated``). Bytes already archived under another path or URL
    are recorded as a new sighting, not stored twice; in threads they are recognised by
    their SHA-256 before decoding (Dask workers, away from the catalog, test it against the
    first 64 bits of every archived hash, sent to them once, and the catalog confirms).
    One process adds to an archive at a time: a second one waits before hashing
    (:meth:`Archive.hold_for_adding`) and then skips what the first recorded.
    """
    archive.hold_for_adding()  # before any hashing (another process adding is waited for)
    workers = default_workers() if workers is None else workers
    result = IngestResult()
    known = archive.known_sightings(e.path for e in entries)
    # one hashing per path; every sighting given for it (several manifest lines may name the
    # same file with other URLs or times) is recorded with the result
    by_path: dict[str, list[Entry]] = {}
    for e in entries:
        if _already_recorded(e, known.get(e.path, ())) or e in by_path.get(e.path, ()):
            result.skipped += 1
        else:
            by_path.setdefault(e.path, []).append(e)
    todo = [es[0] for es in by_path.values()]
    total = len(todo) + result.skipped
    done = result.skipped
    if progress:
        progress(done, total)
    pending: list[tuple[HashedItem, str | None, str | None]] = []
    batches = 0

    def flush() -> None:
        nonlocal pending, batches
        if not pending:
            return
        for o in archive.add_hashed(pending):
            if o.status == "added":
                result.added += 1
            elif o.status == "source_added":
                result.sources_added += 1
                result.skipped += 1
            elif o.status == "updated":
                result.updated += 1
                result.skipped += 1
            else:
                result.skipped += 1
        pending = []
        batches += 1
        if batches % save_every == 0:
            archive.save_indexes()

    def take(res: HashedItem | dict[str, str], path: str) -> None:
        nonlocal done
        done += 1
        if isinstance(res, dict):
            if res.pop("unsupported", None) and by_path[path][0].in_folder:
                result.not_media += 1
            else:
                result.errors.append(res)
        else:
            for e in by_path[path]:
                pending.append((res, e.source_url, e.first_seen))
            if len(pending) >= batch_size:
                flush()
        if progress:
            progress(done, total)

    paths = [e.path for e in todo]
    window = max(4 * batch_size, 2 * workers)
    if dask is None:
        # completions arrive on a queue: the loop's own work per file stays constant whatever
        # the window (waiting on the whole window each time held the interpreter lock against
        # the hashing threads)
        done_q: queue.SimpleQueue[tuple[Future[Any], str]] = queue.SimpleQueue()
        with archive.known_bytes() as known_bytes, \
                ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="hash") as pool:

            def submit(path: str) -> None:
                def arrived(f: Future[Any]) -> None:
                    done_q.put((f, path))

                pool.submit(_hash_or_error, path, known_bytes).add_done_callback(arrived)

            it = iter(paths)
            running = 0
            for p in it:
                submit(p)
                running += 1
                if running >= window:
                    break
            while running:
                f, p = done_q.get()
                running -= 1
                take(f.result(), p)
                nxt = next(it, None)
                if nxt is not None:
                    submit(nxt)
                    running += 1
    else:
        with archive.known_bytes() as known_bytes:
            _run_dask(dask, paths, take, workers, window, archive.known_prefixes(), known_bytes)
    flush()
    archive.save_indexes()
    return result


def _run_dask(dask: str | Any, paths: list[str], take: Callable[[Any, str], None], workers: int, window: int,
              prefixes: Any = None, archived: Callable[[str], bool] | None = None) -> None:
    """Hash ``paths`` on a Dask cluster, handing each result to ``take`` as it arrives.

    ``prefixes`` (sent to every worker once) lets workers return archived bytes undecoded;
    such a result is confirmed with ``archived`` and, when the bytes are not archived after
    all (another file sharing the first 64 bits of the hash), hashed again in full.
    """
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as exc:  # pragma: no cover - declared dependency
        raise VerilensError("Dask distributed is not installed") from exc
    own_client = None
    cluster = None
    if isinstance(dask, str):
        if dask == "local":
            cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=40)
            own_client = Client(cluster)
        elif dask.startswith(("tcp://", "tls://", "ucx://")):
            try:
                own_client = Client(dask, timeout=30)
            except Exception as exc:
                raise UsageError(f"cannot reach the Dask scheduler at {dask}: {exc}") from exc
        else:
            raise UsageError(f"--dask takes 'local' or a scheduler address like tcp://host:8786, not {dask!r}")
        client = own_client
    else:
        client = dask
    try:
        it = iter(paths)
        ac = as_completed()
        owner: dict[Any, str] = {}
        # sent to the workers once, not with every task
        known_set = client.scatter(prefixes, broadcast=True) if prefixes is not None and len(prefixes) else None

        def submit(path: str, full: bool = False) -> None:
            f = client.submit(_hash_unless_archived, path, None if full else known_set, pure=False)
            owner[f.key] = path
            ac.add(f)

        for _, p in zip(range(window), it, strict=False):
            submit(p)
        for f in ac:
            p = owner.pop(f.key)
            try:
                res = f.result()
            except Exception as exc:  # a worker died or the task failed outside hashing
                res = {"path": p, "state": "error", "error": f"worker failed: {type(exc).__name__}: {exc}"[:500]}
            f.release()
            if isinstance(res, HashedItem) and res.known and archived is not None and not archived(res.sha256):
                submit(p, full=True)  # only the first 64 bits agreed: hashed in full
                continue
            take(res, p)
            nxt = next(it, None)
            if nxt is not None:
                submit(nxt)
    finally:
        if own_client is not None:
            own_client.close()
        if cluster is not None:
            cluster.close()


__all__ = ["Entry", "IngestResult", "MANIFEST_FIELDS", "collect_entries", "default_workers", "hash_file", "ingest",
           "read_manifest"]
