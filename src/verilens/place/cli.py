"""CLI commands of the place domain, added to the main app by verilens.cli."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this domain's commands to the main app."""
