"""The check registry and the runner that turns one input into one report.

A check is a function ``(Context) -> Finding`` registered with :func:`register`. It
declares its id, question, version, the media kinds it applies to, a time budget, the
checks whose results it reads (``after``) and a "how to read this / what it cannot show"
text. The runner isolates each check: an exception becomes an ``error`` result with a
readable message, an overrun a ``timeout`` result, and the report always comes out.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .config import Settings
from .errors import CheckTimeout, CheckUnavailable, InputError, UsageError, VerilensError
from .evidence import (
    Artifact,
    ArtifactKind,
    CheckResult,
    Claim,
    Finding,
    MetadataSummary,
    Question,
    Report,
    State,
)
from .intake.media import MediaItem

log = logging.getLogger(__name__)

#: Modules that register checks when imported. Each domain owns one.
CHECK_MODULES = (
    "verilens.metadata.checks",
    "verilens.forensics.checks",
    "verilens.provenance.checks",
    "verilens.video.checks",
    "verilens.place.checks",
    "verilens.time.checks",
)


@dataclass(frozen=True)
class Check:
    """A registered check (see :func:`register`)."""

    id: str
    question: Question
    func: Callable[[Context], Finding]
    version: str = "1"
    applies_to: frozenset[str] = frozenset({"image"})
    caveat: str = ""
    budget_s: float = 30.0
    parameters: Mapping[str, Any] = field(default_factory=dict)
    after: tuple[str, ...] = ()
    default: bool = True


REGISTRY: dict[str, Check] = {}
_loaded = False
_load_lock = threading.Lock()


def register(
    id: str,
    question: Question,
    *,
    version: str = "1",
    applies_to: Iterable[str] = ("image",),
    caveat: str = "",
    budget_s: float = 30.0,
    parameters: Mapping[str, Any] | None = None,
    after: Iterable[str] = (),
    default: bool = True,
) -> Callable[[Callable[[Context], Finding]], Callable[[Context], Finding]]:
    """Register a check function under a stable dotted id.

    Parameters
    ----------
    id : str
        Stable dotted id (``forensics.ela``); the contract's ids never change.
    question : Question
        The question the check informs.
    version : str
        Bumped whenever the method or its thresholds change (recorded in every result).
    applies_to : iterable of {"image", "video"}
        Media kinds the check runs on; others get ``not_applicable`` without calling it.
    caveat : str
        How to read the result and what it cannot show, in plain words.
    budget_s : float
        Wall-time budget; past it the result is ``timeout``.
    parameters : mapping
        The check's parameters, recorded in every result.
    after : iterable of str
        Ids of checks whose results this one reads from ``ctx.results``.
    default : bool
        Run by default; False for checks that run only when asked for by id.
    """

    def deco(func: Callable[[Context], Finding]) -> Callable[[Context], Finding]:
        REGISTRY[id] = Check(
            id=id, question=question, func=func, version=version,
            applies_to=frozenset(applies_to), caveat=caveat, budget_s=budget_s,
            parameters=dict(parameters or {}), after=tuple(after), default=default,
        )
        return func

    return deco


def load_checks() -> dict[str, Check]:
    """Import every check module once and return the registry."""
    global _loaded
    with _load_lock:
        if not _loaded:
            for name in CHECK_MODULES:
                importlib.import_module(name)
            _loaded = True
    return REGISTRY


@dataclass
class Options:
    """What a run was asked to do besides its input.

    Attributes
    ----------
    archive : str or None
        Archive database (path or URL) for provenance search.
    references : list of Path
        Reference photos for place matching.
    shadow : dict or None
        Shadow measurements for the time question (see ``verilens.time``).
    checks : set of str or None
        Run only these check ids (and what they need); None runs every default check.
    skip : set of str
        Check ids not to run.
    parallel : int
        Checks run at once.
    extra : dict
        Anything else a check may read.
    """

    archive: str | None = None
    references: list[Path] = field(default_factory=list)
    shadow: dict[str, Any] | None = None
    checks: set[str] | None = None
    skip: set[str] = field(default_factory=set)
    parallel: int = 2
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    """What a check sees: the input, the claim, the options and earlier results.

    Checks must not write anywhere but through :meth:`save_image` / :meth:`save_file`, which
    write under the run's artifact folder.
    """

    media: MediaItem
    claim: Claim
    options: Options
    settings: Settings
    out_dir: Path
    results: dict[str, CheckResult] = field(default_factory=dict)
    check_id: str = ""
    deadline: float = float("inf")
    _cache: dict[str, Any] = field(default_factory=dict)
    _cache_lock: threading.RLock = field(default_factory=threading.RLock)

    def cached(self, key: str, make: Callable[[], Any]) -> Any:
        """Compute something once per input and share it between checks (thread-safe)."""
        with self._cache_lock:
            if key not in self._cache:
                self._cache[key] = make()
            return self._cache[key]

    def exif(self) -> dict[str, Any]:
        """All tags exiftool reads from the original (``Group:Tag`` keys, ``-n`` values)."""
        from .metadata.exiftool import bridge

        extra = ["-ee"] if self.media.kind == "video" else []
        return self.cached("exif", lambda: bridge().read_one(self.media.path, extra))

    def check_time(self) -> None:
        """Raise :class:`CheckTimeout` once the running check is past its budget."""
        if time.monotonic() > self.deadline:
            raise CheckTimeout(f"{self.check_id} ran out of its time budget")

    def artifact_path(self, name: str) -> Path:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
        return self.out_dir / f"{self.check_id}.{safe}" if self.check_id else self.out_dir / safe

    def save_image(self, name: str, image: Any, kind: ArtifactKind | str, caption: str | None = None) -> Artifact:
        """Write a PNG artifact (array or Pillow image) and return its description."""
        from PIL import Image

        path = self.artifact_path(name if name.endswith(".png") else name + ".png")
        im = image if isinstance(image, Image.Image) else Image.fromarray(np.asarray(image))
        im.save(path, format="PNG", optimize=False, compress_level=1)
        return Artifact(kind=ArtifactKind(kind), path=str(path), caption=caption)

    def save_file(self, name: str, data: bytes | str, kind: ArtifactKind | str = ArtifactKind.DATA,
                  caption: str | None = None) -> Artifact:
        path = self.artifact_path(name)
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
        return Artifact(kind=ArtifactKind(kind), path=str(path), caption=caption)


def _result(check: Check, finding: Finding, duration: float, error: str | None = None) -> CheckResult:
    return CheckResult(
        id=check.id, question=check.question, state=finding.state,
        score=None if finding.score is None else float(finding.score),
        summary=finding.summary, details=_jsonable(finding.details), artifacts=list(finding.artifacts),
        caveat=check.caveat, version=check.version, parameters=_jsonable(dict(check.parameters)),
        duration_s=round(duration, 4), error=error,
    )


def _jsonable(obj: Any) -> Any:
    """Make numpy scalars/arrays and paths JSON-friendly (recursively)."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def _run_one(check: Check, ctx: Context) -> CheckResult:
    start = time.monotonic()
    try:
        finding = check.func(ctx)
        return _result(check, finding, time.monotonic() - start)
    except CheckTimeout as exc:
        f = Finding(State.TIMEOUT, f"Stopped after its {check.budget_s:.0f} s budget.")
        return _result(check, f, time.monotonic() - start, error=str(exc))
    except CheckUnavailable as exc:
        f = Finding(State.ERROR, f"Could not run: {exc}")
        return _result(check, f, time.monotonic() - start, error=str(exc))
    except (VerilensError, MemoryError) as exc:
        f = Finding(State.ERROR, f"Failed: {exc or type(exc).__name__}")
        return _result(check, f, time.monotonic() - start, error=str(exc) or type(exc).__name__)
    except Exception as exc:  # isolation: a bug in one check never loses the report
        log.debug("check %s failed", check.id, exc_info=True)
        msg = f"{type(exc).__name__}: {exc}"
        f = Finding(State.ERROR, f"Failed with an internal error ({msg[:300]}).")
        return _result(check, f, time.monotonic() - start, error=msg[:2000])


def select_checks(kind: str, options: Options) -> list[Check]:
    """The checks that will run for an input of ``kind``, dependencies first."""
    registry = load_checks()
    validate_options(options)
    if options.checks is not None:
        wanted = set(options.checks)
        stack = list(wanted)
        while stack:  # pull in what the wanted checks read
            for dep in registry[stack.pop()].after:
                if dep in registry and dep not in wanted:
                    wanted.add(dep)
                    stack.append(dep)
        chosen = [c for c in registry.values() if c.id in wanted]
    else:
        chosen = [c for c in registry.values() if c.default]
    return [c for c in chosen if c.id not in options.skip]


def validate_options(options: Options) -> None:
    """Refuse unknown check ids (a usage error, reported before any input is opened)."""
    registry = load_checks()
    unknown = ((options.checks or set()) | options.skip) - registry.keys()
    if unknown:
        raise UsageError(f"unknown check id(s): {', '.join(sorted(unknown))} (see `verilens checks`)")


ProgressFn = Callable[[str, CheckResult], None]


def run_checks(ctx: Context, checks: list[Check], progress: ProgressFn | None = None) -> list[CheckResult]:
    """Run checks on one input, in parallel where ``after`` allows, each isolated.

    Notes
    -----
    A timed-out check's thread cannot be killed from Python; it is abandoned (its result
    discarded) and the run goes on. Long checks poll :meth:`Context.check_time` so they stop
    soon after their budget.
    """
    done: dict[str, CheckResult] = {}
    ids = {c.id for c in checks}
    pending = list(checks)
    running: dict[Future[CheckResult], tuple[Check, float]] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, ctx.options.parallel), thread_name_prefix="check")
    try:
        while pending or running:
            for c in list(pending):
                if any(d in ids and d not in done for d in c.after):
                    continue
                pending.remove(c)
                if ctx.media.kind not in c.applies_to:
                    done[c.id] = _result(c, Finding(State.NOT_APPLICABLE,
                                                    f"Does not apply to {ctx.media.kind} input."), 0.0)
                    continue
                sub = Context(
                    media=ctx.media, claim=ctx.claim, options=ctx.options, settings=ctx.settings,
                    out_dir=ctx.out_dir, results=dict(done), check_id=c.id,
                    deadline=time.monotonic() + c.budget_s, _cache=ctx._cache,
                    _cache_lock=ctx._cache_lock,
                )
                running[pool.submit(_run_one, c, sub)] = (c, time.monotonic() + c.budget_s + 1.0)
            if not running:
                if pending:  # a dependency cycle: run nothing more, say so
                    for c in pending:
                        done[c.id] = _result(c, Finding(State.ERROR, "Dependency cycle."), 0.0, "cycle")
                    pending.clear()
                break
            next_deadline = min(d for _, d in running.values())
            finished, _ = wait(list(running), timeout=max(0.0, next_deadline - time.monotonic()),
                               return_when=FIRST_COMPLETED)
            for fut in finished:
                c, _ = running.pop(fut)
                done[c.id] = fut.result()
                if progress:
                    progress(c.id, done[c.id])
            now = time.monotonic()
            for fut, (c, d) in list(running.items()):
                if now >= d and not fut.done():
                    running.pop(fut)
                    fut.cancel()
                    done[c.id] = _result(c, Finding(State.TIMEOUT, f"Stopped after its {c.budget_s:.0f} s budget."),
                                         now - d + c.budget_s + 1.0, error="time budget exceeded")
                    if progress:
                        progress(c.id, done[c.id])
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    order = {c.id: i for i, c in enumerate(checks)}
    return sorted(done.values(), key=lambda r: order.get(r.id, 0))


def error_report(source: str, message: str, *, path: str | None = None, url: str | None = None,
                 claim: Claim | None = None) -> Report:
    """The report of an input that could not be opened."""
    from .evidence import InputInfo

    return Report(
        verilens_version=__version__, input=InputInfo(path=path or (None if url else source), url=url),
        state="error", error=message, claim=claim or Claim(),
    )


def build_report(ctx: Context, results: list[CheckResult]) -> Report:
    from .questions import answer_all

    meta = ctx._cache.get("metadata_summary")
    if not isinstance(meta, MetadataSummary):
        meta = MetadataSummary()
    return Report(
        verilens_version=__version__, input=ctx.media.info(), state="ok", error=None,
        claim=ctx.claim, metadata=meta, checks=results, questions=answer_all(results),
    )


__all__ = ["CHECK_MODULES", "Check", "Context", "InputError", "Options", "REGISTRY", "build_report",
           "error_report", "load_checks", "register", "run_checks", "select_checks"]
