"""CLI commands of the provenance domain, added to the main app by verilens.cli.

``verilens archive add|search|stats``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from ..cli_common import command_errors, emit_json, err, out, safe_text

archive_app = typer.Typer(
    name="archive",
    help="A searchable archive of every picture and video the newsroom has seen.",
    no_args_is_help=True,
)

ArchiveOpt = Annotated[str | None, typer.Option(
    "--archive", help="Archive database: a file path (SQLite) or a URL (postgresql+psycopg://...). "
                      "Default $VERILENS_HOME/archive.db.")]


#: Without a terminal, a progress line on stderr this often (seconds).
PROGRESS_EVERY_S = 10.0


@contextmanager
def _catalog_errors(db: str) -> Iterator[None]:
    """Database errors of the catalog (a damaged page, a read-only file, a lost server) as clear errors."""
    from sqlalchemy.exc import SQLAlchemyError

    from ..errors import VerilensError
    from .archive import first_line

    try:
        yield
    except SQLAlchemyError as exc:
        raise VerilensError(f"the archive catalog {db} cannot be read or written: {first_line(exc)}") from exc


#: Pictures to index from the catalog before opening an archive shows progress.
PROGRESS_FROM_ROWS = 5000


@contextmanager
def _progress() -> Iterator[Callable[[str, int, int, str], None]]:
    """``report(what, done, total, unit)``: a bar per ``what`` on a terminal; without one (a
    log file, a pipe) a line every PROGRESS_EVERY_S."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err, transient=True, disable=not err.is_terminal) as bar:
        tasks: dict[str, Any] = {}
        said: dict[str, float] = {}

        def report(what: str, done: int, total: int, unit: str) -> None:
            if what not in tasks:
                tasks[what] = bar.add_task(what, total=total or None)
                said[what] = time.monotonic()
            bar.update(tasks[what], completed=done, total=total or None)
            if not err.is_terminal and total and time.monotonic() - said[what] >= PROGRESS_EVERY_S:
                said[what] = time.monotonic()
                err.print(f"{what}: {done:,}/{total:,} {unit}", soft_wrap=True)

        yield report


def _open(db: str) -> Any:
    """Open an archive, saying so when its indexes are rebuilt or caught up from the catalog
    (after a crash, a copied catalog: minutes at a million pictures), with progress."""
    from .archive import Archive

    with _progress() as report:
        shown: set[str] = set()

        def progress(what: str, done: int, total: int) -> None:
            if what not in shown:  # a step begins: said when it is long
                if total < PROGRESS_FROM_ROWS:
                    return
                shown.add(what)
                err.print(f"{what} ({total:,} pictures)…", soft_wrap=True)
            report(what, done, total, "pictures")

        with _catalog_errors(db):
            arch = Archive.open(db, progress=progress)
    arch.progress = None  # the bars are gone: later work does not report into them
    return arch


def _db(archive: str | None) -> str:
    from .catalog import default_db

    return archive or str(default_db())


@archive_app.command("add")
def add_cmd(
    inputs: Annotated[list[str], typer.Argument(metavar="PATH...", help="Files, folders (recursive), or CSV/JSONL "
                                                "manifests with columns path, source_url, first_seen.")],
    source_url: Annotated[str | None, typer.Option("--source-url", help="Where these files were found.")] = None,
    first_seen: Annotated[str | None, typer.Option("--first-seen", help="When they were first seen (ISO 8601).")] = None,
    archive: ArchiveOpt = None,
    dask: Annotated[str | None, typer.Option("--dask", help="Hash on Dask: 'local' or a scheduler tcp://host:8786.")] = None,
    workers: Annotated[int | None, typer.Option("--workers", min=1, max=256, help="Hashing threads / local Dask "
                                                "workers (default: one per CPU, at most 8).")] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, max=10000, help="Items per catalog commit.")] = 64,
    json_out: Annotated[bool, typer.Option("--json", help="Print the result as one JSON document.")] = False,
) -> None:
    """Add files to the archive (resumable: a re-run skips what is already there)."""
    from .catalog import is_url, normalise_time
    from .ingest import collect_entries, ingest

    with command_errors():
        normalise_time(first_seen)  # a bad time is a usage error before any work (manifests check their lines)
        entries, errors, warnings = collect_entries(inputs, source_url=source_url, first_seen=first_seen)
        for w in warnings:
            err.print(f"[yellow]warning:[/] {safe_text(w)}")
        db = _db(archive)
        if not is_url(db) and not Path(db).expanduser().exists():
            err.print(f"creating a new archive at {safe_text(db)}")
        arch = _open(db)
        try:
            arch.hold_for_adding(waiting=lambda why: err.print(f"[yellow]{safe_text(why)}[/]", soft_wrap=True))
            with _progress() as report:
                def progress(done: int, total: int) -> None:
                    report("hashing", done, total, "files")

                with _catalog_errors(db):
                    result = ingest(arch, entries, dask=dask, workers=workers, batch_size=batch_size,
                                    progress=progress)
        finally:
            arch.close()
        result.errors = errors + result.errors
        result.warnings = warnings
    if json_out:
        emit_json(result.to_dict())
        return
    passed_over = (f", {result.not_media} file(s) in the folders that are not pictures or videos passed over"
                   if result.not_media else "")
    notes = [f"{result.sources_added} new sighting(s) of archived files recorded" if result.sources_added else "",
             f"{result.updated} sighting(s) given an earlier first-seen time" if result.updated else ""]
    known = "; ".join(n for n in notes if n)
    out.print(f"added {result.added}, skipped {result.skipped}"
              f"{f' (already archived: {known})' if known else ''}{passed_over}, errors {len(result.errors)}")
    for bad in result.errors[:50]:
        out.print(f"  [red]✗[/] {safe_text(bad.get('error'))}")


def _search_one(arch: Any, path: str, top: int) -> dict[str, Any]:
    from ..errors import VerilensError
    from ..intake.media import sha256_file
    from ..intake.sniff import HEAD_BYTES, sniff
    from .ingest import _keyframes

    q: dict[str, Any] = {"path": path}
    try:
        p = Path(path)
        if not p.is_file():
            raise VerilensError(f"{path}: {'not a regular file' if p.exists() else 'no such file'}")
        q["sha256"] = sha256_file(p)
        with open(p, "rb") as fh:
            sniffed = sniff(fh.read(HEAD_BYTES))
        if sniffed is not None and sniffed.kind == "video":
            from ..config import Limits

            best: dict[int, dict[str, Any]] = {}
            same = arch.exact(q["sha256"])
            if same is not None:  # the very same file
                best[same.id] = same.to_dict()
            frames = _keyframes(str(p), Limits.from_env())
            for t, rgb in frames:
                for m in arch.search_image(rgb, top_k=top):
                    d = m.to_dict()
                    d["query_time_s"] = t
                    if m.id not in best or d["similarity"] > best[m.id]["similarity"]:
                        best[m.id] = d
            q.update({"kind": "video", "keyframes": len(frames)})
            matches = sorted(best.values(), key=lambda d: (d["stage"] != "sha256", -d["similarity"], d["distance"],
                                                           d["id"]))[:top]
        else:
            res = arch.search_path(p, top_k=top, sha256=q["sha256"])
            q.update({"kind": "image", "pdq": res.pdq, "pdq_quality": res.quality, "low_quality": res.low_quality,
                      "keypoints": res.keypoints})
            matches = [m.to_dict() for m in res.matches]
        return {"query": q, "state": "ok", "matches": matches}
    except VerilensError as exc:
        return {"query": q, "state": "error", "error": str(exc), "matches": []}
    except Exception as exc:  # a hostile file: report it, go on with the others
        return {"query": q, "state": "error", "error": f"{type(exc).__name__}: {exc}"[:500], "matches": []}


@archive_app.command("search")
def search_cmd(
    inputs: Annotated[list[str], typer.Argument(metavar="PATH...", help="Pictures, videos or folders of them to look for.")],
    top: Annotated[int, typer.Option("--top", min=1, max=1000, help="Most matches per query.")] = 10,
    archive: ArchiveOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON object per query (JSON Lines).")] = False,
) -> None:
    """Find earlier copies of pictures (and video keyframes) in the archive.

    Only items judged to be copies are listed: the same bytes (SHA-256), PDQ within 31 bits
    (any rotation/mirror), or at least 15 keypoints agreeing with one similarity transform.
    """
    from ..errors import UsageError
    from ..intake.collect import iter_sources
    from .catalog import is_url

    with command_errors():
        db = _db(archive)
        if not is_url(db) and not Path(db).is_file():
            raise UsageError(f"no archive at {db} (create it with 'verilens archive add')")
        arch = _open(db)
        given = set(inputs)
        passed_over = 0
        try:
            for src in iter_sources(inputs):
                path = src.text
                if src.path is not None and not src.error and path not in given and not _is_media(src.path):
                    passed_over += 1  # met in a folder, not a picture or video: not a query
                    continue
                if src.error or src.url:
                    error = src.error or (f"{path}: URLs are not searched directly; download the file, or run "
                                          "'verilens check URL --archive DB'")
                    res: dict[str, Any] = {"query": {"path": path}, "state": "error", "error": error, "matches": []}
                else:
                    res = _search_one(arch, path, top)
                if json_out:
                    emit_json(res)
                    continue
                if res["state"] == "error":
                    said = res["error"] if str(res["error"]).startswith(path) else f"{path}: {res['error']}"
                    out.print(f"[bold red]✗[/] {safe_text(said)}")
                    continue
                out.print(f"[bold]{safe_text(path)}[/]: {len(res['matches'])} copy(ies)")
                for m in res["matches"]:
                    when = m["first_seen"] or "first seen unknown"
                    t = f" @ {m['frame_time_s']:.2f} s" if m.get("frame_time_s") is not None else ""
                    out.print(f"  {m['similarity']:.2f}  {safe_text(m['transform'])}  {safe_text(m['path'])}{t}  "
                              f"{safe_text(when)}  {safe_text(m['source_url'] or '')}")
        finally:
            arch.close()
        if passed_over:
            err.print(f"{passed_over} file(s) in the folders that are not pictures or videos passed over")


def _is_media(path: Path) -> bool:
    from ..intake.sniff import HEAD_BYTES, sniff

    try:
        with open(path, "rb") as fh:
            return sniff(fh.read(HEAD_BYTES)) is not None
    except OSError:
        return True  # let the search say why it cannot be read


@archive_app.command("stats")
def stats_cmd(
    archive: ArchiveOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Counts, first-seen range and index shape of the archive."""
    from ..errors import UsageError
    from .catalog import is_url

    with command_errors():
        db = _db(archive)
        if not is_url(db) and not Path(db).is_file():
            raise UsageError(f"no archive at {db}")
        arch = _open(db)
        with _catalog_errors(db):
            try:
                st = arch.stats(notice=lambda what: err.print(f"{what}…", soft_wrap=True))
            finally:
                arch.close()
    if json_out:
        emit_json(st)
        return
    idx = st.pop("index")
    for k, v in st.items():
        out.print(f"{k}: {safe_text(v)}")
    pdq, feat = idx["pdq"], idx["features"]
    out.print(f"first-stage index: {pdq['kind']}, {pdq['entries']:,} hashes, {pdq['memory_bytes'] / 2**20:.1f} MB")
    out.print(f"keypoint index: {feat['kind']}, {feat['entries']:,} descriptors in {feat['words']:,} visual words, "
              f"{feat['memory_bytes'] / 2**20:.1f} MB")
    out.print(f"index files: {safe_text(idx['path'])}")


def register(app: typer.Typer) -> None:
    """Add this domain's commands to the main app."""
    app.add_typer(archive_app, name="archive")
