"""``verilens case ...``: open a case, collect media into it, annotate, decide, export, verify."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from ..cli_common import command_errors as _command_errors
from ..cli_common import emit_json, err, out, safe_text, split_csv

case_app = typer.Typer(name="case", no_args_is_help=True,
                       help="Case files: claim, media and their evidence, notes, verdict, custody log, reports.")

DbOpt = Annotated[str | None, typer.Option("--db", help="Case database: a file path (default $VERILENS_HOME/cases.db) or a database URL.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


def _store(db: str | None):  # type: ignore[no-untyped-def]
    from .store import CaseStore

    return CaseStore(db)


@contextmanager
def command_errors() -> Iterator[None]:
    """The shared exit-code mapping, plus database failures reported as failures (exit 1)."""
    from sqlalchemy.exc import SQLAlchemyError

    from ..errors import VerilensError

    with _command_errors():
        try:
            yield
        except SQLAlchemyError as exc:
            raise VerilensError(f"case database error: {type(exc).__name__}: "
                                f"{str(exc).splitlines()[0][:300]}") from exc


@case_app.command("new")
def new_cmd(
    title: Annotated[str, typer.Argument(help="A short title for the case.")],
    investigator: Annotated[list[str] | None, typer.Option("--investigator", "-i", help="Investigator name (repeatable).")] = None,
    claim: Annotated[str | None, typer.Option("--claim", help="The claim under review (its text).")] = None,
    claimant: Annotated[str | None, typer.Option("--claimant", help="Who made the claim.")] = None,
    claim_place: Annotated[str | None, typer.Option("--claim-place", help="Claimed place: LAT,LON or a name.")] = None,
    claim_time: Annotated[str | None, typer.Option("--claim-time", help="Claimed time: ISO 8601 with offset, or a date.")] = None,
    first_appearance: Annotated[str | None, typer.Option("--first-appearance-url", help="Where the claim first appeared.")] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Open a new case (optionally with its claim)."""
    with command_errors():
        with _store(db) as store:
            case = store.new_case(title, investigators=investigator or ())
            if claim or claim_place or claim_time:
                store.add_claim(case.id, claim or title, claimant=claimant, place=claim_place, time=claim_time,
                                first_appearance_url=first_appearance)
                case = store.get_case(case.id)
            if json_out:
                emit_json({"id": case.id, "title": case.title, "status": case.status,
                           "investigators": case.investigators, "created_at": case.created_at,
                           "claim": case.claim.model_dump(mode="json") if case.claim else None})
            else:
                out.print(f"case [bold]{case.id}[/]  {safe_text(case.title)}")


@case_app.command("claim")
def claim_cmd(
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID")],
    text: Annotated[str, typer.Argument(help="The claim, as made.")],
    claimant: Annotated[str | None, typer.Option("--claimant")] = None,
    claim_place: Annotated[str | None, typer.Option("--claim-place", "--place", help="LAT,LON or a name.")] = None,
    claim_time: Annotated[str | None, typer.Option("--claim-time", "--time", help="ISO 8601 or a date.")] = None,
    first_appearance: Annotated[str | None, typer.Option("--first-appearance-url")] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Record (or replace) the claim under review."""
    with command_errors():
        with _store(db) as store:
            c = store.add_claim(case_id, text, claimant=claimant, place=claim_place, time=claim_time,
                                first_appearance_url=first_appearance)
            if json_out:
                emit_json(c)
            else:
                out.print(f"claim recorded for case {safe_text(case_id)}")


@case_app.command("add")
def add_cmd(
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID")],
    inputs: Annotated[list[str], typer.Argument(metavar="PATH_OR_URL...", help="Files, folders (recursive) or http(s) URLs.")],
    claim_place: Annotated[str | None, typer.Option("--claim-place", help="Override the case's claimed place.")] = None,
    claim_time: Annotated[str | None, typer.Option("--claim-time", help="Override the case's claimed time.")] = None,
    archive: Annotated[str | None, typer.Option("--archive", help="Archive database for provenance search.")] = None,
    checks: Annotated[str | None, typer.Option("--checks", help="Run only these check ids (comma-separated).")] = None,
    skip: Annotated[str | None, typer.Option("--skip", help="Check ids not to run (comma-separated).")] = None,
    allow_private_urls: Annotated[bool, typer.Option("--allow-private-urls")] = False,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Collect media into a case: keep the originals, run the checks, log custody."""
    from dataclasses import replace

    from ..config import Limits, Settings
    from ..pipeline import Options

    with command_errors():
        limits = Limits.from_env()
        if allow_private_urls:
            limits = replace(limits, allow_private_urls=True)
        options = Options(archive=archive, checks=split_csv(checks), skip=split_csv(skip) or set())
        with _store(db) as store:
            def progress(check_id: str, _r: object) -> None:
                err.print(f"[dim]· {check_id}[/]", highlight=False)

            res = store.add_media(case_id, inputs, claim_place=claim_place, claim_time=claim_time,
                                  options=options, progress=None if json_out else progress,
                                  settings=Settings(limits=limits))
            if json_out:
                emit_json(res)
            else:
                out.print(f"{len(res.added)} item(s) added to case {safe_text(case_id)}: {', '.join(res.added)}")
                for e in res.errors:
                    err.print(f"[red]✗[/] {safe_text(e['error'])}")


@case_app.command("list")
def list_cmd(db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """List the cases in the database."""
    with command_errors():
        with _store(db) as store:
            cases = store.list_cases()
            if json_out:
                emit_json([c.model_dump(mode="json") for c in cases])
                return
            from rich.table import Table

            t = Table("id", "title", "status", "items", "updated")
            for c in cases:
                t.add_row(c.id, safe_text(c.title), c.status, str(c.item_count), c.updated_at)
            out.print(t)


@case_app.command("show")
def show_cmd(case_id: Annotated[str, typer.Argument(metavar="CASE_ID")], db: DbOpt = None,
             json_out: JsonOpt = False) -> None:
    """Show a case: claim, items with their answers, notes, verdict, custody log."""
    with command_errors():
        with _store(db) as store:
            if json_out:
                from ..report.document import case_document

                emit_json(case_document(store.get_case(case_id)))
                return
            case = store.get_case(case_id)
            from rich.table import Table

            out.print(f"[bold]{safe_text(case.title)}[/]  case {case.id} · {case.status} · "
                      f"{', '.join(safe_text(i) for i in case.investigators) or 'no investigators'}")
            if case.claim:
                c = case.claim
                place = f"{c.place.name or c.place.query} ({c.place.lat:.4f}, {c.place.lon:.4f})" if c.place else "—"
                out.print(f"claim: {safe_text(c.text)}\n  claimant {safe_text(c.claimant or '—')} · place "
                          f"{safe_text(place)} · time {safe_text(c.time or '—')}")
            t = Table("item", "file", "manipulation", "provenance", "source", "place", "time")
            for it in case.items:
                qs = it.report.questions
                t.add_row(it.id, safe_text(it.original_name),
                          *[f"{qs[q].state.value}/{qs[q].confidence.value}" if q in qs else "—"
                            for q in ("manipulation", "provenance", "source", "place", "time")])
            out.print(t)
            for n in case.notes:
                out.print(f"note {n.id} ({safe_text(n.author or '')}{', item ' + n.item_id if n.item_id else ''}): "
                          f"{safe_text(n.text)}")
            v = case.verdict
            if v:
                out.print(f"verdict: [bold]{safe_text(v.rating)}[/] ({', '.join(v.categories)}): {safe_text(v.rationale)}")
            out.print(f"[dim]custody: {len(case.custody)} entries, last {case.custody[-1].action} "
                      f"{case.custody[-1].at}[/]" if case.custody else "[dim]custody: empty[/]")


@case_app.command("note")
def note_cmd(
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID")],
    text: Annotated[str, typer.Argument(help="The note.")],
    author: Annotated[str | None, typer.Option("--author")] = None,
    item: Annotated[str | None, typer.Option("--item", help="Attach the note to this item id.")] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Add a note to a case or one of its items."""
    with command_errors():
        with _store(db) as store:
            n = store.add_note(case_id, text, author=author, item_id=item)
            if json_out:
                emit_json(n)
            else:
                out.print(f"note {n.id} added")


@case_app.command("verdict")
def verdict_cmd(
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID")],
    category: Annotated[list[str], typer.Option("--category", "-c", help="MediaReview category (repeatable or comma-separated): OriginalMediaContent, DecontextualizedContent, EditedOrCroppedContent, TransformedContent, StagedContent, SatireOrParodyContent.")],
    rating: Annotated[str, typer.Option("--rating", help="Textual rating, e.g. 'Misleading'.")],
    rationale: Annotated[str, typer.Option("--rationale", help="Why, in a few sentences.")],
    item: Annotated[str | None, typer.Option("--item", help="A verdict on this item only.")] = None,
    author: Annotated[str | None, typer.Option("--author")] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Record the verdict: MediaReview categories, a rating and the rationale."""
    cats = [c for v in category for c in v.split(",")]
    with command_errors():
        with _store(db) as store:
            v = store.set_verdict(case_id, cats, rating, rationale, item_id=item, author=author)
            if json_out:
                emit_json(v)
            else:
                out.print(f"verdict {v.id}: {safe_text(v.rating)} ({', '.join(v.categories)})")


@case_app.command("status")
def status_cmd(
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID")],
    status: Annotated[str, typer.Argument(help="open | review | closed")],
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Set a case's status (open, review, closed)."""
    with command_errors():
        with _store(db) as store:
            store.set_status(case_id, status)
            if json_out:
                emit_json({"id": case_id, "status": status})
            else:
                out.print(f"case {safe_text(case_id)} is now {status}")


@case_app.command("export")
def export_cmd(
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="html | pdf | json | jsonld")],
    out_file: Annotated[Path, typer.Option("--out", "-o", help="Output file (or folder).")],
    base_url: Annotated[str | None, typer.Option("--base-url", help="Published URL of the fact-check (JSON-LD 'url').")] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Export the case report as self-contained HTML, PDF, JSON or ClaimReview/MediaReview JSON-LD."""
    with command_errors():
        with _store(db) as store:
            path = store.export(case_id, fmt, out_file, base_url=base_url)
            if json_out:
                emit_json({"path": str(path)})
            else:
                out.print(f"wrote {safe_text(path)}")


@case_app.command("verify")
def verify_cmd(case_id: Annotated[str, typer.Argument(metavar="CASE_ID")], db: DbOpt = None,
               json_out: JsonOpt = False) -> None:
    """Check the custody chain, the stored originals and every sealed record end to end."""
    with command_errors():
        with _store(db) as store:
            ok, problems = store.verify(case_id)
            if json_out:
                emit_json({"ok": ok, "problems": problems})
            elif ok:
                out.print(f"[green]✓[/] case {safe_text(case_id)}: custody chain, originals and records intact")
            else:
                out.print(f"[bold red]✗[/] case {safe_text(case_id)}: {len(problems)} problem(s)")
                for p in problems:
                    out.print(f"  - {safe_text(p)}")


def register(app: typer.Typer) -> None:
    """Add this domain's commands to the main app."""
    app.add_typer(case_app, name="case")
