"""The ``verilens`` command line (Typer + Rich).

Data on stdout (``--json``: one JSON document per input, JSON Lines for several), progress
and human messages on stderr. Exit status: 0 ran (whatever it found), 2 usage error,
1 unrecoverable failure.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Annotated

import typer

from .cli_common import command_errors, emit_json, err, out, safe_text, split_csv

app = typer.Typer(
    name="verilens",
    help="Offline-first verification workbench: manipulation, provenance, source, place and time.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: Domains that add commands (each has a ``cli.register(app)``).
COMMAND_MODULES = (
    "verilens.metadata.cli",
    "verilens.forensics.cli",
    "verilens.provenance.cli",
    "verilens.video.cli",
    "verilens.time.cli",
    "verilens.place.cli",
    "verilens.case.cli",
    "verilens.web.cli",
)

_STATE_STYLE = {
    "found": "bold yellow", "not_found": "green", "inconclusive": "cyan",
    "not_applicable": "dim", "error": "bold red", "timeout": "red",
}


def _version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"verilens {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """verilens: evidence for the five questions a verification desk asks."""


def print_report_human(report: object) -> None:
    """A table per input: question, state, confidence, summary; then the checks."""
    from rich.table import Table

    from .evidence import Report

    assert isinstance(report, Report)
    name = report.input.url or report.input.path or "?"
    if report.state == "error":
        out.print(f"[bold red]✗[/] {safe_text(name)}: {safe_text(report.error)}")
        return
    i = report.input
    size = f"{i.width}×{i.height}" if i.width else ""
    dur = f", {i.duration_s:.1f} s" if i.duration_s else ""
    out.print(f"[bold]{safe_text(name)}[/]  {i.mime} {size}{dur}  sha256 {i.sha256}")
    table = Table(show_header=True, header_style="bold", expand=False)
    table.add_column("question")
    table.add_column("state")
    table.add_column("confidence")
    table.add_column("summary", overflow="fold", max_width=100)
    for q, a in report.questions.items():
        table.add_row(q.value, f"[{_STATE_STYLE.get(a.state.value, '')}]{a.state.value}[/]",
                      a.confidence.value, safe_text(a.summary))
    out.print(table)
    checks = Table(show_header=True, header_style="bold", expand=False, title="checks", title_justify="left")
    checks.add_column("check")
    checks.add_column("state")
    checks.add_column("summary", overflow="fold", max_width=100)
    for c in report.checks:
        checks.add_row(c.id, f"[{_STATE_STYLE.get(c.state.value, '')}]{c.state.value}[/]", safe_text(c.summary))
    out.print(checks)
    arts = [a for c in report.checks for a in c.artifacts]
    if arts:
        out.print(f"[dim]{len(arts)} artifact(s) in {safe_text(Path(arts[0].path).parent)}[/]")


@app.command("check")
def check_cmd(
    inputs: Annotated[list[str], typer.Argument(metavar="PATH_OR_URL...", help="Files, folders (recursive) or http(s) URLs.")],
    claim_place: Annotated[str | None, typer.Option("--claim-place", help="Claimed place: LAT,LON or a name.")] = None,
    claim_time: Annotated[str | None, typer.Option("--claim-time", help="Claimed time: ISO 8601 with offset, or a date.")] = None,
    archive: Annotated[str | None, typer.Option("--archive", help="Archive database (path or URL) for provenance search.")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Folder for artifacts and report.json files.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON report per input (JSON Lines).")] = False,
    reference: Annotated[list[Path] | None, typer.Option("--reference", help="Reference photo(s) of the claimed place.")] = None,
    checks: Annotated[str | None, typer.Option("--checks", help="Run only these check ids (comma-separated).")] = None,
    skip: Annotated[str | None, typer.Option("--skip", help="Check ids not to run (comma-separated).")] = None,
    parallel: Annotated[int, typer.Option("--parallel", min=1, max=32, help="Checks run at once.")] = 2,
    allow_private_urls: Annotated[bool, typer.Option("--allow-private-urls", help="Allow URLs on private/loopback addresses.")] = False,
    max_pixels: Annotated[int | None, typer.Option("--max-pixels", help="Largest image decoded (pixels).")] = None,
    max_file_mb: Annotated[float | None, typer.Option("--max-file-mb", help="Largest file accepted (MiB).")] = None,
    shadow_elevation: Annotated[float | None, typer.Option("--shadow-elevation", help="Sun elevation a shadow shows (degrees), for time.sun.")] = None,
    object_height: Annotated[float | None, typer.Option("--object-height", help="Height of a vertical object (with --shadow-length).")] = None,
    shadow_length: Annotated[float | None, typer.Option("--shadow-length", help="Length of its shadow (same unit).")] = None,
    shadow_points: Annotated[str | None, typer.Option("--shadow-points", help="Pixels 'BX,BY;TX,TY;SX,SY': object base; top; shadow tip.")] = None,
    shadow_azimuth: Annotated[float | None, typer.Option("--shadow-azimuth", help="Bearing the shadow points to (degrees from true north).")] = None,
    shadow_tolerance: Annotated[float | None, typer.Option("--shadow-tolerance", help="± degrees on the shadow's sun elevation (default 1).")] = None,
) -> None:
    """Run every applicable check and answer the five questions for each input."""
    from dataclasses import replace

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from .api import check
    from .config import Limits, Settings
    from .pipeline import Options

    with command_errors():
        limits = Limits.from_env()
        if allow_private_urls:
            limits = replace(limits, allow_private_urls=True)
        if max_pixels:
            limits = replace(limits, max_pixels=max_pixels)
        if max_file_mb:
            limits = replace(limits, max_file_bytes=int(max_file_mb * 2**20))
        shadow = {k: v for k, v in {"elevation": shadow_elevation, "object_height": object_height,
                                    "shadow_length": shadow_length, "points": shadow_points,
                                    "shadow_bearing": shadow_azimuth, "tolerance": shadow_tolerance}.items()
                  if v is not None} or None
        if shadow:
            from .time.shadows import measurement_from

            measurement_from(shadow)  # a usage error now rather than an error result per input
        options = Options(archive=archive, references=list(reference or []), checks=split_csv(checks),
                          skip=split_csv(skip) or set(), parallel=parallel, shadow=shadow)
        settings = Settings(limits=limits)
        n_ok = n_err = 0
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed} checks"),
                      TimeElapsedColumn(), console=err, transient=True) as progress:
            task = progress.add_task("starting", total=None)

            def on_result(check_id: str, _result: object) -> None:
                progress.update(task, advance=1, description=f"checking · {check_id} done")

            reports = check(inputs, claim_place=claim_place, claim_time=claim_time, archive=archive,
                            out=out_dir, options=options, settings=settings, progress=on_result)
            for report in reports:
                progress.update(task, completed=0, description="checking")
                if report.state == "ok":
                    n_ok += 1
                else:
                    n_err += 1
                if out_dir is not None and report.state == "ok" and report.input.sha256:
                    from .api import artifact_dir

                    folder = artifact_dir(out_dir, report.input.path or "input", report.input.sha256)
                    folder.mkdir(parents=True, exist_ok=True)
                    (folder / "report.json").write_text(report.model_dump_json(indent=2), encoding="utf-8")
                if json_out:
                    emit_json(report)
                else:
                    progress.stop()
                    print_report_human(report)
                    progress.start()
        err.print(f"[dim]{n_ok} input(s) checked, {n_err} could not be read[/]"
                  + (f"; reports in {safe_text(out_dir)}" if out_dir else ""))


@app.command("checks")
def list_checks(json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List every check: id, question, media kinds, version, and how to read it."""
    from .pipeline import load_checks

    registry = load_checks()
    rows = [{"id": c.id, "question": c.question.value, "applies_to": sorted(c.applies_to),
             "version": c.version, "default": c.default, "caveat": c.caveat} for c in registry.values()]
    if json_out:
        emit_json(rows)
        return
    from rich.table import Table

    table = Table("id", "question", "applies to", "default")
    for c in registry.values():
        table.add_row(c.id, c.question.value, ",".join(sorted(c.applies_to)), "yes" if c.default else "on request")
    out.print(table)


@app.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of the check report."""
    from .evidence import report_schema

    emit_json(report_schema())


def _register_domains() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)


_register_domains()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
