"""CLI commands of the metadata domain, added to the main app by verilens.cli.

``verilens metadata PATH... [--json] [--c2pa]``: normalised metadata of each file, read in
batches by long-running exiftool processes (:mod:`verilens.metadata.batch`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from .normalise import MAX_STRING, clean_str

#: Files per exiftool call.
BATCH = 256
#: File name endings read with ``-ee`` (embedded per-frame metadata such as GPS tracks).
VIDEO_SUFFIXES = frozenset(
    {".mp4", ".mov", ".m4v", ".3gp", ".3g2", ".mts", ".m2ts", ".avi", ".mkv", ".insv"}
)
#: Deepest nesting of exiftool values carried into ``raw``.
MAX_DEPTH = 8


def bounded(value: Any, depth: int = 0) -> Any:
    """An exiftool value with every string bounded and cleaned, and nesting limited."""
    if depth > MAX_DEPTH:
        return "… [nesting too deep]"
    if isinstance(value, str):
        return clean_str(value, MAX_STRING)
    if isinstance(value, dict):
        return {
            clean_str(k, 200) or "?": bounded(v, depth + 1) for k, v in list(value.items())[:5000]
        }
    if isinstance(value, list):
        return [bounded(v, depth + 1) for v in value[:1000]]
    return value


def _files(paths: list[str]) -> Iterator[tuple[str, str | None]]:
    """(path, error) for every input; folders are walked recursively in a stable order."""
    for p in paths:
        path = Path(p)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for f in sorted(files):
                    if not f.startswith("."):
                        yield str(Path(root) / f), None
        elif path.is_file():
            yield str(path), None
        elif path.exists():
            yield str(path), "not a regular file"
        else:
            yield str(path), "file not found"


def read_metadata(
    paths: list[str], with_c2pa: bool = False, video_embedded: bool = True
) -> Iterator[dict[str, Any]]:
    """One contract object per input: ``{"path", "sha256", "state", "metadata", "raw"}``.

    Parameters
    ----------
    paths : list of str
        Files or folders.
    with_c2pa : bool
        Also read and validate Content Credentials (adds ``metadata["c2pa"]``).
    video_embedded : bool
        Pass ``-ee`` to exiftool (embedded video metadata, e.g. per-frame GPS).

    Yields
    ------
    dict
        ``state`` is ``ok`` or ``error`` (with a readable ``error``); other inputs go on.
    """
    from ..errors import VerilensError
    from ..intake.media import sha256_file
    from .batch import read_many
    from .normalise import normalise

    items = list(_files(paths))
    for start in range(0, len(items), BATCH):
        chunk = items[start : start + BATCH]
        good = [p for p, e in chunk if e is None]
        rows: dict[str, dict[str, Any]] = {}
        batch_error = None
        if good:
            try:
                videos = [p for p in good if Path(p).suffix.lower() in VIDEO_SUFFIXES]
                others = [p for p in good if Path(p).suffix.lower() not in VIDEO_SUFFIXES]
                for p, row in zip(others, read_many(others), strict=True):
                    rows[p] = row
                extra = ["-ee"] if video_embedded else []
                for p, row in zip(videos, read_many(videos, extra), strict=True):
                    rows[p] = row
            except VerilensError as exc:
                batch_error = str(exc)
        for p, err in chunk:
            obj: dict[str, Any] = {
                "path": p,
                "sha256": None,
                "state": "ok",
                "error": None,
                "metadata": None,
                "raw": None,
            }
            if err is None:
                try:
                    obj["sha256"] = sha256_file(p)
                except OSError as exc:
                    err = f"cannot read the file: {exc.strerror or exc}"
            if err is None and batch_error:
                err = batch_error
            raw = rows.get(p)
            if err is None and raw is not None:
                meta = normalise(raw)
                if meta.get("error") and len(raw) <= 4:
                    err = f"exiftool could not read the file: {meta['error']}"
                else:
                    if with_c2pa:
                        from .c2pa_manifest import read_manifest

                        try:
                            meta["c2pa"] = read_manifest(p).to_dict()
                        except VerilensError as exc:
                            meta["c2pa"] = {"error": str(exc)}
                    obj["metadata"] = meta
                    obj["raw"] = bounded({k: v for k, v in raw.items() if k != "SourceFile"})
            if err is not None:
                obj["state"] = "error"
                obj["error"] = err
            yield obj


def register(app: typer.Typer) -> None:
    """Add this domain's commands to the main app."""

    @app.command("metadata")
    def metadata_cmd(
        paths: Annotated[list[str], typer.Argument(help="Files or folders (walked recursively).")],
        json_out: Annotated[
            bool, typer.Option("--json", help="One JSON object per input (JSON Lines).")
        ] = False,
        with_c2pa: Annotated[
            bool, typer.Option("--c2pa", help="Also validate Content Credentials.")
        ] = False,
    ) -> None:
        """Normalised metadata: times (with UTC), GPS, device, software, history, AI declarations."""
        from ..cli_common import command_errors, emit_json, err, out, safe_text

        with command_errors():
            for obj in read_metadata(paths, with_c2pa=with_c2pa):
                if json_out:
                    emit_json(obj)
                    continue
                if obj["state"] == "error":
                    out.print(f"[bold red]✗[/] {safe_text(obj['path'])}: {safe_text(obj['error'])}")
                    continue
                m = obj["metadata"]
                s = m["summary"]
                out.print(
                    f"[bold]{safe_text(obj['path'])}[/]  {safe_text(m['file']['mime'] or '?')}  "
                    f"sha256 {obj['sha256'][:16]}…"
                )
                dev = m.get("device") or {}
                if dev:
                    out.print(
                        f"  device    {safe_text(dev.get('make') or '')} {safe_text(dev.get('model') or '')}"
                        + (f"  serial {safe_text(dev['serial'])}" if dev.get("serial") else "")
                    )
                if s.get("capture_time"):
                    out.print(
                        f"  captured  {safe_text(s['capture_time'])} ({safe_text(s['capture_time_source'])})"
                    )
                ts = m["timestamps"]
                if ts.get("derived_utc_offset"):
                    out.print(
                        f"  offset    {safe_text(ts['derived_utc_offset'])} ({safe_text(ts['offset_basis'])})"
                    )
                for d in ts.get("disagreements", [])[:3]:
                    out.print(
                        f"  [yellow]time conflict[/] {safe_text(d['a'])} vs {safe_text(d['b'])}: "
                        f"{abs(d['difference_s']):.0f} s"
                    )
                g = m.get("gps")
                if g:
                    out.print(
                        f"  gps       {g['lat']:.6f}, {g['lon']:.6f}"
                        + (f"  alt {g['alt']:.1f} m" if g.get("alt") is not None else "")
                    )
                for sw in m.get("software", [])[:4]:
                    out.print(
                        f"  software  {safe_text(sw['value'])} \\[{safe_text(sw['category'])}]"
                    )
                for d in m.get("ai_declarations", [])[:3]:
                    out.print(
                        f"  [yellow]declared[/] {safe_text(d['label'])} ({safe_text(d['source'])})"
                    )
                if m.get("c2pa_present"):
                    out.print(
                        "  c2pa      Content Credentials present (verilens check or --c2pa to validate)"
                    )
            err.print("", end="")
