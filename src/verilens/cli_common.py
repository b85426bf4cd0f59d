"""What every CLI command shares: consoles, JSON output, exit codes."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import typer
from rich.console import Console

from .errors import UsageError, VerilensError

#: Human output and progress go to stderr when --json is on; data goes to stdout.
err = Console(stderr=True, highlight=False)
out = Console(highlight=False, soft_wrap=True)

T = TypeVar("T")


def to_jsonable(obj: Any) -> Any:
    """Pydantic models, dataclasses and paths to plain JSON values."""
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    return obj


def emit_json(obj: Any) -> None:
    """Print one JSON document (one line) on stdout and flush it."""
    sys.stdout.write(json.dumps(to_jsonable(obj), ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def fail_usage(message: str) -> None:
    """Exit with status 2 and a message (a usage error)."""
    err.print(f"[red]error:[/red] {message}", markup=True, highlight=False)
    raise typer.Exit(2)


@contextmanager
def command_errors() -> Iterator[None]:
    """Map project errors to the contract's exit codes: usage 2, unrecoverable 1."""
    try:
        yield
    except UsageError as exc:
        fail_usage(str(exc))
    except VerilensError as exc:
        err.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(1) from exc


def split_csv(value: str | None) -> set[str] | None:
    if not value:
        return None
    return {v.strip() for v in value.split(",") if v.strip()}


def safe_text(value: Any) -> str:
    """Text from a file, escaped for Rich markup and stripped of control characters."""
    from rich.markup import escape

    s = "".join(ch if ch.isprintable() else "\ufffd" for ch in str(value))
    return escape(s)


def run_guarded(fn: Callable[[], T]) -> T:
    with command_errors():
        return fn()
    raise AssertionError("unreachable")  # pragma: no cover
