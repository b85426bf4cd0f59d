"""The library face: ``check()`` runs every applicable check on files, folders or URLs."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from .claims import parse_claim
from .config import Settings, home
from .errors import InputError, VerilensError
from .evidence import CheckResult, Claim, Report
from .intake.collect import Source, iter_sources
from .intake.media import MediaItem, open_media
from .intake.url import download
from .pipeline import (
    Context,
    Options,
    build_report,
    error_report,
    run_checks,
    select_checks,
    validate_options,
)


def artifact_dir(base: Path | None, name: str | Path, sha256: str) -> Path:
    """Where one input's artifacts go: ``BASE/<name>-<sha12>/`` (default in the working area)."""
    root = Path(base) if base is not None else home() / "runs"
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).stem)[:60] or "input"
    return root / f"{stem}-{sha256[:12]}"


def open_source(source: Source, settings: Settings) -> MediaItem:
    """Open a :class:`Source` (downloading a URL into the working area first)."""
    if source.error:
        raise InputError(source.error)
    if source.url:
        dl = download(source.url, settings.workdir / "downloads", settings.limits)
        return open_media(dl.path, settings.limits, url=source.url)
    assert source.path is not None
    return open_media(source.path, settings.limits)


def check_item(item: MediaItem, claim: Claim | None = None, options: Options | None = None,
               settings: Settings | None = None, out: Path | None = None,
               progress: Callable[[str, CheckResult], None] | None = None) -> Report:
    """Run the checks on an opened item and return its report."""
    options = options or Options()
    settings = settings or Settings()
    ctx = Context(media=item, claim=claim or Claim(), options=options, settings=settings,
                  out_dir=artifact_dir(out, item.path, item.sha256))
    checks = select_checks(item.kind, options)
    return build_report(ctx, run_checks(ctx, checks, progress))


def check(
    inputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    claim_place: str | None = None,
    claim_time: str | None = None,
    archive: str | None = None,
    out: str | os.PathLike[str] | None = None,
    options: Options | None = None,
    settings: Settings | None = None,
    progress: Callable[[str, CheckResult], None] | None = None,
) -> Iterator[Report]:
    """Check files, folders (recursively) or http(s) URLs; yield one report per input.

    Parameters
    ----------
    inputs : path, URL, or an iterable of them
    claim_place : str, optional
        ``LAT,LON`` or a place name (offline gazetteer).
    claim_time : str, optional
        ISO 8601 with an offset, or a date.
    archive : str, optional
        Archive database for provenance search.
    out : path, optional
        Folder for artifacts (heatmaps, masks, maps). Default: the working area.
    options : Options, optional
        Check selection, references, shadow measurements, parallelism.

    Yields
    ------
    Report
        ``state == "error"`` with a readable message for an input that cannot be opened;
        the others go on.

    Raises
    ------
    UsageError
        The claim cannot be parsed.
    """
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    claim = parse_claim(claim_place, claim_time)
    options = options or Options()
    validate_options(options)
    if archive is not None:
        options.archive = archive
    settings = settings or Settings()
    out_path = Path(out) if out is not None else None
    for source in iter_sources(inputs):
        try:
            item = open_source(source, settings)
        except VerilensError as exc:
            yield error_report(source.text, str(exc), path=str(source.path) if source.path else None,
                               url=source.url, claim=claim)
            continue
        except Exception as exc:  # never a traceback for one bad input
            yield error_report(source.text, f"{source.text}: unexpected failure ({type(exc).__name__}: {exc})",
                               path=str(source.path) if source.path else None, url=source.url, claim=claim)
            continue
        yield check_item(item, claim, options, settings, out_path, progress)
