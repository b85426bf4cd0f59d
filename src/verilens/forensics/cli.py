"""CLI commands of the forensics domain, added to the main app by verilens.cli."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer


def forensics_json(report: Any) -> dict[str, Any]:
    """The contract's per-input object: ``{"path", "state", "checks": [...]}`` (+ ``error``)."""
    from ..cli_common import to_jsonable

    doc: dict[str, Any] = {"path": report.input.path or report.input.url, "state": report.state,
                           "checks": [to_jsonable(c) for c in report.checks]}
    if report.state == "error":
        doc["error"] = report.error
    else:
        doc["sha256"] = report.input.sha256
    return doc


def register(app: typer.Typer) -> None:
    """Add this domain's commands to the main app."""

    @app.command("forensics")
    def forensics_cmd(
        inputs: Annotated[list[str], typer.Argument(metavar="PATH...", help="Image files or folders (recursive).")],
        out_dir: Annotated[Path | None, typer.Option("--out", help="Folder for heatmaps and masks.")] = None,
        json_out: Annotated[bool, typer.Option("--json", help="One JSON object per input (JSON Lines).")] = False,
        checks: Annotated[str | None, typer.Option("--checks", help="Only these forensic check ids (comma-separated).")] = None,
        model: Annotated[Path | None, typer.Option("--model", help="Config of a local ONNX learned detector.")] = None,
        parallel: Annotated[int, typer.Option("--parallel", min=1, max=32, help="Checks run at once.")] = 2,
    ) -> None:
        """Forensic analyses only (manipulation): heatmaps, masks and scores for each input."""
        from ..api import check
        from ..cli_common import command_errors, emit_json, err, out, safe_text, split_csv
        from ..errors import UsageError
        from ..pipeline import Options
        from .checks import FORENSIC_CHECKS

        with command_errors():
            wanted = split_csv(checks) or set(FORENSIC_CHECKS)
            unknown = wanted - set(FORENSIC_CHECKS)
            if unknown:
                raise UsageError(f"not forensic check ids: {', '.join(sorted(unknown))} "
                                 f"(choose from {', '.join(FORENSIC_CHECKS)})")
            extra: dict[str, Any] = {}
            if model is not None:
                extra["forensics_model"] = str(model)
            options = Options(checks=wanted, parallel=parallel, extra=extra)
            n = 0
            for report in check(inputs, out=out_dir, options=options):
                n += 1
                doc = forensics_json(report)
                if json_out:
                    emit_json(doc)
                    continue
                if report.state == "error":
                    out.print(f"[bold red]✗[/] {safe_text(doc['path'])}: {safe_text(report.error)}")
                    continue
                out.print(f"[bold]{safe_text(doc['path'])}[/]")
                for c in report.checks:
                    arts = ", ".join(safe_text(a.path) for a in c.artifacts)
                    out.print(f"  {c.id:<26} {c.state.value:<15} {safe_text(c.summary)}"
                              + (f"\n  {'':<26} [dim]{arts}[/]" if arts else ""))
            err.print(f"[dim]{n} input(s) analysed[/]")
