"""The case store: cases, claims, media items with their check runs, notes, verdicts and
the custody log, in one SQL database (SQLite file by default, PostgreSQL by URL).

Every change is written in one transaction together with its custody entry, so the log
and the data cannot drift apart. Originals are copied, before any check runs, into a
content-addressed, read-only store next to the database.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from .. import __version__
from ..claims import parse_place, parse_time
from ..config import Settings, home
from ..errors import UsageError, VerilensError
from ..evidence import CheckResult, Claim, Place, Report
from ..pipeline import Options
from . import custody as cust
from .blobs import BlobStore
from .db import make_engine, migrate, resolve_db, retrying
from .models import CaseRow, CheckRunRow, ClaimRow, CustodyRow, ItemRow, NoteRow, VerdictRow

#: MediaReview ``mediaAuthenticityCategory`` values (schema.org, MediaReview for fact-checkers).
CATEGORIES = (
    "OriginalMediaContent",
    "DecontextualizedContent",
    "EditedOrCroppedContent",
    "TransformedContent",
    "StagedContent",
    "SatireOrParodyContent",
)

#: A case's statuses.
STATUSES = ("open", "review", "closed")

ExportFormat = Literal["html", "pdf", "json", "jsonld"]
ProgressFn = Callable[[str, CheckResult], None]


class CaseNotFound(UsageError, LookupError):
    """No case (or item) with that id in this database."""


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _new_id() -> str:
    return uuid.uuid4().hex[:16]


# --------------------------------------------------------------------------- models out

_ro = ConfigDict(frozen=True)


class ClaimInfo(BaseModel):
    model_config = _ro
    id: int
    text: str
    claimant: str | None = None
    place: Place | None = None
    time: str | None = None
    first_appearance_url: str | None = None
    created_at: str


class NoteInfo(BaseModel):
    model_config = _ro
    id: int
    text: str
    author: str | None = None
    item_id: str | None = None
    created_at: str


class VerdictInfo(BaseModel):
    model_config = _ro
    id: int
    categories: list[str]
    rating: str
    rationale: str
    author: str | None = None
    item_id: str | None = None
    created_at: str


class CheckRunInfo(BaseModel):
    model_config = _ro
    check_id: str
    question: str
    state: str
    score: float | None
    summary: str
    version: str
    parameters: dict[str, Any]
    tool_versions: dict[str, Any]
    ran_at: str
    duration_s: float
    artifacts: list[dict[str, Any]] = Field(default_factory=list)


class ItemInfo(BaseModel):
    """One media item: where it came from, its original in the store, and its report."""

    model_config = _ro
    id: str
    sha256: str
    size_bytes: int
    mime: str | None
    kind: str | None
    original_name: str
    source_path: str | None
    source_url: str | None
    acquired_at: str
    acquisition_method: str
    stored_path: str
    report: Report
    check_runs: list[CheckRunInfo] = Field(default_factory=list)


class CustodyInfo(BaseModel):
    model_config = _ro
    seq: int
    at: str
    action: str
    actor: str | None
    item_id: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str


class CaseSummary(BaseModel):
    model_config = _ro
    id: str
    title: str
    status: str
    investigators: list[str]
    created_at: str
    updated_at: str
    item_count: int = 0


class Case(BaseModel):
    """A whole case as read from the store (see :meth:`CaseStore.get_case`)."""

    model_config = _ro
    id: str
    title: str
    status: str
    investigators: list[str]
    created_at: str
    updated_at: str
    claim: ClaimInfo | None = None
    claims: list[ClaimInfo] = Field(default_factory=list)
    items: list[ItemInfo] = Field(default_factory=list)
    notes: list[NoteInfo] = Field(default_factory=list)
    verdicts: list[VerdictInfo] = Field(default_factory=list)
    custody: list[CustodyInfo] = Field(default_factory=list)

    @property
    def verdict(self) -> VerdictInfo | None:
        """The newest case-level verdict (one not tied to an item)."""
        return next((v for v in reversed(self.verdicts) if v.item_id is None), None)


class AddResult(BaseModel):
    model_config = _ro
    added: list[str] = Field(default_factory=list)
    errors: list[dict[str, Any]] = Field(default_factory=list)


# --------------------------------------------------------------------------- helpers


@lru_cache(maxsize=1)
def tool_versions() -> dict[str, str]:
    """Versions of verilens and the tools its checks rely on (recorded with every run)."""
    versions: dict[str, str] = {"verilens": __version__}
    for dist in ("numpy", "scipy", "pillow", "opencv-python-headless", "scikit-image", "pyexiftool",
                 "c2pa-python", "pdqhash", "pvlib", "av", "pytesseract"):
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            pass
    exe = shutil.which("exiftool")
    if exe:
        try:
            versions["exiftool"] = subprocess.run([exe, "-ver"], capture_output=True, text=True,
                                                  timeout=20).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            pass
    return versions


def report_digest(report: Mapping[str, Any]) -> str:
    """SHA-256 of a stored report's canonical JSON (sealed in the custody log)."""
    return hashlib.sha256(cust.canonical(report)).hexdigest()


_RUN_FIELDS = ("check_id", "question", "state", "score", "summary", "version", "parameters", "details",
               "artifacts", "caveat", "duration_s", "error", "tool_versions", "ran_at")


def runs_digest(runs: Iterable[Mapping[str, Any]]) -> str:
    """SHA-256 of an item's check runs (canonical JSON, sorted by check id)."""
    rows = sorted(([r.get(f) for f in _RUN_FIELDS] for r in runs), key=lambda r: str(r[0]))
    return hashlib.sha256(cust.canonical(rows)).hexdigest()


def _text_digest(*parts: Any) -> str:
    return hashlib.sha256(cust.canonical(list(parts))).hexdigest()


def _coerce_place(place: str | Place | Mapping[str, Any] | None) -> Place | None:
    if place is None or place == "":
        return None
    if isinstance(place, Place):
        return place
    if isinstance(place, Mapping):
        return Place.model_validate(dict(place))
    return parse_place(str(place))


# --------------------------------------------------------------------------- the store


class CaseStore:
    """Cases in a SQL database, originals in a content-addressed store beside it.

    Parameters
    ----------
    db : str or path, optional
        An SQLite file path, or a SQLAlchemy URL (``postgresql+psycopg://user:pw@host/db``,
        ``postgresql://`` is accepted). Default ``$VERILENS_HOME/cases.db``.
    blob_dir : path, optional
        Where originals and report pictures are kept. Default: ``<db>.originals/`` beside an
        SQLite file, ``$VERILENS_HOME/case-originals`` for a server database.
    actor : str, optional
        Who is recorded in the custody log when a call gives no author (default: the OS user).

    Notes
    -----
    The schema is created/upgraded with the shipped Alembic migrations on open. Several
    processes may use one database at once: SQLite runs in WAL mode with a busy timeout and
    ``BEGIN IMMEDIATE`` write transactions; on PostgreSQL each case's custody log is
    serialised with a row lock on the case.
    """

    def __init__(self, db: str | os.PathLike[str] | None = None, *, blob_dir: str | os.PathLike[str] | None = None,
                 actor: str | None = None) -> None:
        url, sqlite_path = resolve_db(db)
        self.url = url
        self.engine = make_engine(url)
        try:
            migrate(self.engine, sqlite_path)
        except Exception as exc:
            self.engine.dispose()
            raise VerilensError(f"cannot open the case database {_redact(url)}: {exc}") from exc
        self._session = sessionmaker(self.engine, expire_on_commit=False)
        if blob_dir is None:
            blob_dir = (sqlite_path.with_name(sqlite_path.name + ".originals") if sqlite_path is not None
                        else home() / "case-originals")
        self.blobs = BlobStore(Path(blob_dir))
        self.actor = actor or os.environ.get("VERILENS_ACTOR") or _os_user()

    # -- lifecycle
    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> CaseStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals
    def _write(self, fn: Callable[[Session], Any]) -> Any:
        def attempt() -> Any:
            with self._session() as s, s.begin():
                return fn(s)
        try:
            return retrying(attempt)
        except SQLAlchemyError as exc:
            raise VerilensError(f"the case database refused the change ({_redact(self.url)}): "
                                f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}") from exc

    def _case_row(self, s: Session, case_id: str, lock: bool = False) -> CaseRow:
        q = select(CaseRow).where(CaseRow.id == case_id)
        if lock and self.engine.dialect.name == "postgresql":
            q = q.with_for_update()
        row = s.execute(q).scalar_one_or_none()
        if row is None:
            raise CaseNotFound(f"no case {case_id!r} in {_redact(self.url)}")
        return row

    def _append(self, s: Session, case: CaseRow, action: str, details: Mapping[str, Any],
                actor: str | None = None, item_id: str | None = None) -> CustodyRow:
        """Append one sealed custody entry (the caller holds the case lock)."""
        last = s.execute(select(CustodyRow.seq, CustodyRow.hash).where(CustodyRow.case_id == case.id)
                         .order_by(CustodyRow.seq.desc()).limit(1)).first()
        seq, prev = (last[0] + 1, last[1]) if last else (1, cust.GENESIS)
        at = now_iso()
        e = cust.seal(case.id, seq, at, action, actor or self.actor, item_id, dict(details), prev)
        row = CustodyRow(case_id=case.id, seq=e.seq, at=e.at, action=e.action, actor=e.actor,
                         item_id=e.item_id, details=dict(e.details), prev_hash=e.prev_hash, hash=e.hash)
        s.add(row)
        case.updated_at = at
        return row

    # -- cases
    def new_case(self, title: str, investigators: Iterable[str] = ()) -> Case:
        """Open a new case; its custody log starts with an ``opened`` entry."""
        title = _bounded((title or "").strip(), MAX_TITLE, "title")
        if not title:
            raise UsageError("a case needs a title")
        invs = [str(i).strip() for i in investigators if str(i).strip()]
        case_id = _new_id()

        def tx(s: Session) -> None:
            t = now_iso()
            row = CaseRow(id=case_id, title=title, status="open", investigators=invs, created_at=t, updated_at=t)
            s.add(row)
            s.flush()
            self._append(s, row, "opened", {"title": title, "investigators": invs})

        self._write(tx)
        return self.get_case(case_id)

    def list_cases(self) -> list[CaseSummary]:
        """Every case, newest first, with its item count."""
        with self._session() as s:
            counts = dict(s.execute(select(ItemRow.case_id, func.count()).group_by(ItemRow.case_id)).all())
            rows = s.execute(select(CaseRow).order_by(CaseRow.created_at.desc())).scalars().all()
            return [CaseSummary(id=r.id, title=r.title, status=r.status, investigators=list(r.investigators or []),
                                created_at=r.created_at, updated_at=r.updated_at, item_count=counts.get(r.id, 0))
                    for r in rows]

    def get_case(self, case_id: str) -> Case:
        """The whole case: claim(s), items with their reports and check runs, notes,
        verdicts and the custody log."""
        with self._session() as s:
            row = s.get(CaseRow, case_id)
            if row is None:
                raise CaseNotFound(f"no case {case_id!r} in {_redact(self.url)}")
            claims = [ClaimInfo(id=c.id, text=c.text, claimant=c.claimant,
                                place=Place.model_validate(c.place) if c.place else None, time=c.time,
                                first_appearance_url=c.first_appearance_url, created_at=c.created_at)
                      for c in s.execute(select(ClaimRow).where(ClaimRow.case_id == case_id)
                                         .order_by(ClaimRow.id)).scalars()]
            item_rows = s.execute(select(ItemRow).where(ItemRow.case_id == case_id)
                                  .order_by(ItemRow.created_at, ItemRow.id)).scalars().all()
            runs: dict[str, list[CheckRunInfo]] = {}
            if item_rows:
                for r in s.execute(select(CheckRunRow).where(CheckRunRow.item_id.in_([i.id for i in item_rows]))
                                   .order_by(CheckRunRow.id)).scalars():
                    runs.setdefault(r.item_id, []).append(CheckRunInfo(
                        check_id=r.check_id, question=r.question, state=r.state, score=r.score,
                        summary=r.summary, version=r.version, parameters=r.parameters or {},
                        tool_versions=r.tool_versions or {}, ran_at=r.ran_at, duration_s=r.duration_s,
                        artifacts=list(r.artifacts or [])))
            items = [ItemInfo(id=i.id, sha256=i.sha256, size_bytes=i.size_bytes, mime=i.mime, kind=i.kind,
                              original_name=i.original_name, source_path=i.source_path, source_url=i.source_url,
                              acquired_at=i.acquired_at, acquisition_method=i.acquisition_method,
                              stored_path=str(self.blobs.path_for(i.sha256)),
                              report=Report.model_validate(i.report), check_runs=runs.get(i.id, []))
                     for i in item_rows]
            notes = [NoteInfo(id=n.id, text=n.text, author=n.author, item_id=n.item_id, created_at=n.created_at)
                     for n in s.execute(select(NoteRow).where(NoteRow.case_id == case_id)
                                        .order_by(NoteRow.id)).scalars()]
            verdicts = [VerdictInfo(id=v.id, categories=list(v.categories), rating=v.rating, rationale=v.rationale,
                                    author=v.author, item_id=v.item_id, created_at=v.created_at)
                        for v in s.execute(select(VerdictRow).where(VerdictRow.case_id == case_id)
                                           .order_by(VerdictRow.id)).scalars()]
            log = [CustodyInfo(seq=c.seq, at=c.at, action=c.action, actor=c.actor, item_id=c.item_id,
                               details=dict(c.details or {}), prev_hash=c.prev_hash, hash=c.hash)
                   for c in s.execute(select(CustodyRow).where(CustodyRow.case_id == case_id)
                                      .order_by(CustodyRow.seq)).scalars()]
            return Case(id=row.id, title=row.title, status=row.status, investigators=list(row.investigators or []),
                        created_at=row.created_at, updated_at=row.updated_at,
                        claim=claims[-1] if claims else None, claims=claims, items=items, notes=notes,
                        verdicts=verdicts, custody=log)

    # -- claim
    def add_claim(self, case_id: str, text: str, claimant: str | None = None,
                  place: str | Place | Mapping[str, Any] | None = None, time: str | None = None,
                  first_appearance_url: str | None = None) -> ClaimInfo:
        """Record the claim under review (the newest claim is the case's claim).

        ``place`` is ``LAT,LON``, a gazetteer name, or a :class:`~verilens.evidence.Place`;
        ``time`` is ISO 8601 with an offset, or a date.
        """
        text = _bounded((text or "").strip(), MAX_TEXT, "text")
        if not text:
            raise UsageError("a claim needs its text")
        p = _coerce_place(place)
        t = parse_time(time) if time else None

        def tx(s: Session) -> ClaimInfo:
            case = self._case_row(s, case_id, lock=True)
            at = now_iso()
            row = ClaimRow(case_id=case_id, text=text, claimant=claimant, place=p.model_dump(mode="json") if p else None,
                           time=t, first_appearance_url=first_appearance_url, created_at=at)
            s.add(row)
            s.flush()
            self._append(s, case, "claim", {"claim_id": row.id, "sha256": _text_digest(
                text, claimant, row.place, t, first_appearance_url)})
            return ClaimInfo(id=row.id, text=text, claimant=claimant, place=p, time=t,
                             first_appearance_url=first_appearance_url, created_at=at)

        return self._write(tx)

    # -- media
    def add_media(self, case_id: str, sources: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
                  claim_place: str | None = None, claim_time: str | None = None,
                  options: Options | None = None, progress: ProgressFn | None = None,
                  settings: Settings | None = None, actor: str | None = None) -> AddResult:
        """Collect files, folders or URLs into a case and run the checks on each.

        Parameters
        ----------
        case_id : str
        sources : path, URL, or an iterable of them
            Folders are walked recursively; URLs are downloaded (http/https only, bounded).
        claim_place, claim_time : str, optional
            Override the case's claim for these checks (default: the case's claim).
        options : Options, optional
            Which checks run and their inputs (e.g. ``Options(checks={"metadata.basic"})``).
        progress : callable(check_id, CheckResult), optional
            Called after each check of each item.

        Returns
        -------
        AddResult
            ``added`` item ids in input order; ``errors`` as ``{"input", "error"}`` for the
            inputs that could not be read (the others go on).

        Notes
        -----
        Each original is copied into the read-only store (and its SHA-256 checked against the
        one intake computed) before the checks run; the item, its check runs and the
        ``collected`` and ``analysed`` custody entries are written in one transaction.
        """
        from ..api import check_item, open_source
        from ..claims import parse_claim
        from ..intake.collect import iter_sources

        if isinstance(sources, (str, os.PathLike)):
            sources = [sources]
        case = self.get_case(case_id)  # raises CaseNotFound early
        if claim_place or claim_time:
            claim = parse_claim(claim_place, claim_time)
        elif case.claim is not None:
            claim = Claim(place=case.claim.place, time=case.claim.time)
        else:
            claim = Claim()
        options = options or Options()
        if options.checks is not None:
            from ..pipeline import load_checks

            unknown = set(options.checks) - load_checks().keys()
            if unknown:
                raise UsageError(f"unknown check id(s): {', '.join(sorted(unknown))}")
        settings = settings or Settings()
        result = AddResult()
        for source in iter_sources(sources):
            try:
                item = open_source(source, settings)
            except VerilensError as exc:
                result.errors.append({"input": source.text, "error": str(exc)})
                continue
            except Exception as exc:  # never a traceback for one bad input
                result.errors.append({"input": source.text,
                                      "error": f"{source.text}: unexpected failure ({type(exc).__name__}: {exc})"})
                continue
            try:
                sha, size = self.blobs.put_file(item.path, expected_sha256=item.sha256)
                with tempfile.TemporaryDirectory(prefix="verilens-case-") as tmp:
                    report = check_item(item, claim, options, settings, Path(tmp), progress)
                    item_id = self._store_item(case_id, source, item, sha, size, report, actor)
                result.added.append(item_id)
            except VerilensError as exc:
                if isinstance(exc, CaseNotFound):
                    raise
                result.errors.append({"input": source.text, "error": str(exc)})
            except (OSError, ValueError) as exc:
                result.errors.append({"input": source.text, "error": f"{source.text}: {exc}"})
        return result

    def _store_item(self, case_id: str, source: Any, item: Any, sha: str, size: int, report: Report,
                    actor: str | None) -> str:
        """Keep the artifacts, then write item + check runs + custody in one transaction."""
        item_id = _new_id()
        versions = tool_versions()
        checks_out = []
        artifacts_by_check: dict[str, list[dict[str, Any]]] = {}
        for c in report.checks:
            arts = []
            kept = []
            for a in c.artifacts:
                p = Path(a.path)
                rec: dict[str, Any] = {"kind": a.kind.value, "caption": a.caption, "name": p.name}
                if p.is_file():
                    asha, _ = self.blobs.put_file(p)
                    rec["sha256"] = asha
                    rec["path"] = str(self.blobs.path_for(asha))
                else:
                    rec["sha256"] = None
                    rec["path"] = None
                arts.append(rec)
                kept.append(a.model_copy(update={"path": rec["path"] or a.path}))
            artifacts_by_check[c.id] = arts
            checks_out.append(c.model_copy(update={"artifacts": kept}))
        src_url = source.url or item.url
        stored_report = report.model_copy(update={
            "checks": checks_out,
            "input": report.input.model_copy(update={"path": str(self.blobs.path_for(sha)),
                                                     "url": src_url}),
        })
        report_json = stored_report.model_dump(mode="json")
        digest = report_digest(report_json)
        at = now_iso()
        original_name = (Path(source.url.split("?")[0]).name if source.url else Path(source.text).name) or "download"
        method = "download" if source.url else "file"

        runs = [{"check_id": c.id, "question": c.question.value, "state": c.state.value, "score": c.score,
                 "summary": c.summary, "version": c.version, "parameters": c.parameters, "details": c.details,
                 "artifacts": artifacts_by_check.get(c.id, []), "caveat": c.caveat, "duration_s": c.duration_s,
                 "error": c.error, "tool_versions": versions, "ran_at": at} for c in stored_report.checks]

        def tx(s: Session) -> str:
            case = self._case_row(s, case_id, lock=True)
            s.add(ItemRow(id=item_id, case_id=case_id, sha256=sha, size_bytes=size, mime=item.mime,
                          kind=item.kind, original_name=original_name[:500],
                          source_path=None if source.url else str(Path(source.text).resolve()),
                          source_url=src_url, acquired_at=at, acquisition_method=method,
                          report=report_json, created_at=at))
            s.flush()
            for run in runs:
                s.add(CheckRunRow(item_id=item_id, **run))
            self._append(s, case, "collected", {
                "sha256": sha, "size_bytes": size, "method": method, "source_url": src_url,
                "original_name": original_name[:500]}, actor=actor, item_id=item_id)
            self._append(s, case, "analysed", {
                "report_sha256": digest, "runs_sha256": runs_digest(runs), "verilens_version": __version__,
                "checks": {c.id: c.state.value for c in stored_report.checks},
                "artifacts": sorted({a["sha256"] for arts in artifacts_by_check.values() for a in arts
                                     if a.get("sha256")})}, actor=actor, item_id=item_id)
            return item_id

        return self._write(tx)

    def _item_exists(self, s: Session, case_id: str, item_id: str | None) -> None:
        if item_id is None:
            return
        row = s.get(ItemRow, item_id)
        if row is None or row.case_id != case_id:
            raise CaseNotFound(f"no item {item_id!r} in case {case_id!r}")

    # -- notes and verdicts
    def add_note(self, case_id: str, text: str, author: str | None = None, item_id: str | None = None) -> NoteInfo:
        """Add a note to the case (or to one of its items)."""
        text = _bounded((text or "").strip(), MAX_TEXT, "text")
        if not text:
            raise UsageError("a note needs text")

        def tx(s: Session) -> NoteInfo:
            case = self._case_row(s, case_id, lock=True)
            self._item_exists(s, case_id, item_id)
            at = now_iso()
            row = NoteRow(case_id=case_id, item_id=item_id, author=author, text=text, created_at=at)
            s.add(row)
            s.flush()
            self._append(s, case, "note", {"note_id": row.id, "sha256": _text_digest(text, author, item_id)},
                         actor=author, item_id=item_id)
            return NoteInfo(id=row.id, text=text, author=author, item_id=item_id, created_at=at)

        return self._write(tx)

    def set_verdict(self, case_id: str, categories: str | Iterable[str], rating: str, rationale: str,
                    item_id: str | None = None, author: str | None = None) -> VerdictInfo:
        """Record a verdict: MediaReview categories, a textual rating and the rationale.

        ``categories`` are ``mediaAuthenticityCategory`` values (:data:`CATEGORIES`; matched
        without regard to case). A later verdict supersedes an earlier one; both stay in the
        case and the custody log.
        """
        if isinstance(categories, str):
            categories = [c for c in categories.replace(";", ",").split(",")]
        lookup = {c.lower(): c for c in CATEGORIES}
        cats: list[str] = []
        for c in categories:
            key = str(c).strip().lower()
            if not key:
                continue
            if key not in lookup:
                raise UsageError(f"{c!r} is not a MediaReview category; use one of: {', '.join(CATEGORIES)}")
            if lookup[key] not in cats:
                cats.append(lookup[key])
        if not cats:
            raise UsageError(f"a verdict needs at least one category: {', '.join(CATEGORIES)}")
        rating = (rating or "").strip()
        rationale = _bounded((rationale or "").strip(), MAX_TEXT, "rationale")
        rating = _bounded(rating, MAX_TITLE, "rating")
        if not rating:
            raise UsageError("a verdict needs a textual rating (e.g. 'False', 'Misleading', 'Authentic')")
        if not rationale:
            raise UsageError("a verdict needs its rationale")

        def tx(s: Session) -> VerdictInfo:
            case = self._case_row(s, case_id, lock=True)
            self._item_exists(s, case_id, item_id)
            at = now_iso()
            row = VerdictRow(case_id=case_id, item_id=item_id, categories=cats, rating=rating, rationale=rationale,
                             author=author, created_at=at)
            s.add(row)
            s.flush()
            self._append(s, case, "verdict", {"verdict_id": row.id, "categories": cats, "rating": rating,
                                               "sha256": _text_digest(cats, rating, rationale, author, item_id)},
                         actor=author, item_id=item_id)
            return VerdictInfo(id=row.id, categories=cats, rating=rating, rationale=rationale, author=author,
                               item_id=item_id, created_at=at)

        return self._write(tx)

    def set_status(self, case_id: str, status: str, actor: str | None = None) -> None:
        """Move a case to ``open``, ``review`` or ``closed`` (logged)."""
        if status not in STATUSES:
            raise UsageError(f"{status!r} is not a case status; use one of: {', '.join(STATUSES)}")

        def tx(s: Session) -> None:
            case = self._case_row(s, case_id, lock=True)
            old = case.status
            case.status = status
            self._append(s, case, "status", {"from": old, "to": status}, actor=actor)

        self._write(tx)

    def log(self, case_id: str, action: str, details: Mapping[str, Any] | None = None,
            actor: str | None = None, item_id: str | None = None) -> CustodyInfo:
        """Append a custody entry for something done outside the store (e.g. a review)."""
        if not action or len(action) > 32:
            raise UsageError("a custody action is a short word (collected, analysed, exported, ...)")

        def tx(s: Session) -> CustodyInfo:
            case = self._case_row(s, case_id, lock=True)
            row = self._append(s, case, action, dict(details or {}), actor=actor, item_id=item_id)
            return CustodyInfo(seq=row.seq, at=row.at, action=row.action, actor=row.actor, item_id=row.item_id,
                               details=dict(row.details), prev_hash=row.prev_hash, hash=row.hash)

        return self._write(tx)

    # -- export and verify
    def export(self, case_id: str, fmt: ExportFormat | str, out_path: str | os.PathLike[str],
               base_url: str | None = None) -> Path:
        """Write the case as ``html`` (self-contained), ``pdf``, ``json`` or ``jsonld``
        (schema.org ClaimReview + MediaReview); the export is logged with its SHA-256.

        ``base_url`` is the published fact-check's URL (JSON-LD ``url``); when ``out_path``
        is a folder the file is named ``case-ID.FMT`` inside it.
        """
        from ..report import write_report

        fmt = str(fmt).lower()
        if fmt not in ("html", "pdf", "json", "jsonld"):
            raise UsageError(f"unknown export format {fmt!r}; use html, pdf, json or jsonld")
        case = self.get_case(case_id)
        out = Path(out_path)
        if out.is_dir():
            out = out / f"case-{case_id}.{fmt}"
        out.parent.mkdir(parents=True, exist_ok=True)
        write_report(case, fmt, out, base_url=base_url)
        from .blobs import sha256_file

        self.log(case_id, "exported", {"format": fmt, "sha256": sha256_file(out), "name": out.name})
        return out

    def verify(self, case_id: str) -> tuple[bool, list[str]]:
        """Check the case end to end.

        Checks the custody chain (every hash and link), that every original in the store
        still hashes to its recorded SHA-256, that every item, stored report, claim, note
        and verdict matches the custody entry that sealed it, and that no sealed item is
        missing.

        Returns
        -------
        (ok, problems)
        """
        with self._session() as s:
            if s.get(CaseRow, case_id) is None:
                raise CaseNotFound(f"no case {case_id!r} in {_redact(self.url)}")
            log = s.execute(select(CustodyRow).where(CustodyRow.case_id == case_id)
                            .order_by(CustodyRow.seq)).scalars().all()
            items = s.execute(select(ItemRow).where(ItemRow.case_id == case_id)).scalars().all()
            claims = s.execute(select(ClaimRow).where(ClaimRow.case_id == case_id)).scalars().all()
            notes = s.execute(select(NoteRow).where(NoteRow.case_id == case_id)).scalars().all()
            verdicts = s.execute(select(VerdictRow).where(VerdictRow.case_id == case_id)).scalars().all()
            run_rows: dict[str, list[dict[str, Any]]] = {}
            if items:
                for r in s.execute(select(CheckRunRow).where(CheckRunRow.item_id.in_([i.id for i in items]))
                                   ).scalars():
                    run_rows.setdefault(r.item_id, []).append({f: getattr(r, f) for f in _RUN_FIELDS})
            entries = [cust.Entry(case_id=r.case_id, seq=r.seq, at=r.at, action=r.action, actor=r.actor,
                                  item_id=r.item_id, details=dict(r.details or {}), prev_hash=r.prev_hash,
                                  hash=r.hash) for r in log]
        problems = cust.verify_chain(entries)
        if not entries or entries[0].action != "opened":
            problems.append("custody log does not start with the case being opened")
        collected = {e.item_id: e for e in entries if e.action == "collected"}
        analysed = {e.item_id: e for e in entries if e.action == "analysed"}
        seen = set()
        for it in items:
            seen.add(it.id)
            label = f"item {it.id} ({_short(it.original_name)})"
            c = collected.get(it.id)
            if c is None:
                problems.append(f"{label}: no custody entry records its collection")
            elif c.details.get("sha256") != it.sha256:
                problems.append(f"{label}: its recorded SHA-256 differs from the one sealed at collection")
            elif (c.details.get("source_url"), c.details.get("method"), c.details.get("size_bytes"),
                  c.details.get("original_name")) != (it.source_url, it.acquisition_method, it.size_bytes,
                                                      it.original_name):
                problems.append(f"{label}: its source or acquisition record differs from the one sealed "
                                "at collection")
            a = analysed.get(it.id)
            if a is None:
                problems.append(f"{label}: no custody entry records its analysis")
            elif a.details.get("report_sha256") != report_digest(it.report):
                problems.append(f"{label}: its stored report differs from the one sealed at analysis")
            elif a.details.get("runs_sha256") != runs_digest(run_rows.get(it.id, [])):
                problems.append(f"{label}: its check runs differ from the ones sealed at analysis")
            else:
                for asha in a.details.get("artifacts", []):
                    if (p := self.blobs.check(asha)) is not None:
                        problems.append(f"{label}: a check picture {p.removeprefix('original ')}")
            if (p := self.blobs.check(it.sha256)) is not None:
                problems.append(f"{label}: {p}")
        for item_id in collected.keys() - seen:
            problems.append(f"item {item_id}: sealed in the custody log but missing from the case")

        def sealed(action: str, key: str) -> dict[Any, cust.Entry]:
            return {e.details.get(key): e for e in entries if e.action == action}

        for rows, action, key, digest, what in (
            (claims, "claim", "claim_id",
             lambda r: _text_digest(r.text, r.claimant, r.place, r.time, r.first_appearance_url), "claim"),
            (notes, "note", "note_id", lambda r: _text_digest(r.text, r.author, r.item_id), "note"),
            (verdicts, "verdict", "verdict_id",
             lambda r: _text_digest(list(r.categories), r.rating, r.rationale, r.author, r.item_id), "verdict"),
        ):
            seals = sealed(action, key)
            for row in rows:
                e = seals.pop(row.id, None)
                if e is None:
                    problems.append(f"{what} {row.id}: not in the custody log")
                elif e.details.get("sha256") != digest(row):
                    problems.append(f"{what} {row.id}: altered after it was recorded")
            for rid in seals:
                problems.append(f"{what} {rid}: sealed in the custody log but missing from the case")
        return (not problems, problems)

    def original_path(self, sha256: str) -> Path:
        """Where the read-only original with this SHA-256 is kept."""
        return self.blobs.path_for(sha256)


#: Longest title or rating, and longest claim, note or rationale, in characters.
MAX_TITLE = 500
MAX_TEXT = 100_000


def _bounded(value: str, limit: int, what: str) -> str:
    if len(value) > limit:
        raise UsageError(f"the {what} is {len(value)} characters long; the limit is {limit}")
    return value


def _short(s: str, n: int = 60) -> str:
    s = "".join(ch if ch.isprintable() else "\ufffd" for ch in s)
    return s if len(s) <= n else s[: n - 1] + "…"


def _redact(url: str) -> str:
    """A database URL without its password."""
    import re

    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def _os_user() -> str:
    try:
        import getpass

        return getpass.getuser()
    except Exception:  # pragma: no cover
        return "unknown"
