"""The case as one plain JSON document: what every report format is rendered from.

Pure functions over :class:`verilens.case.Case` (no file I/O): the JSON export is this
document; the HTML and PDF render it; the JSON-LD picks from it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .. import __version__

if TYPE_CHECKING:
    from ..case.store import Case

#: Version of the document layout (bumped when a key changes meaning).
FORMAT = "verilens-case/1"

QUESTION_ORDER = ("manipulation", "provenance", "source", "place", "time")

#: MediaReview categories with the short definitions schema.org gives them.
CATEGORY_TEXT = {
    "OriginalMediaContent": "Original: no evidence the footage has been misleadingly altered or manipulated.",
    "DecontextualizedContent": "Missing context: unaltered media presented with a false or misleading context.",
    "EditedOrCroppedContent": "Edited or cropped: changed by editing, cropping or splicing in a way that misleads.",
    "TransformedContent": "Transformed: parts manipulated to change the meaning (e.g. altered frames, faces).",
    "StagedContent": "Staged: created with actors or settings to mislead.",
    "SatireOrParodyContent": "Satire or parody: made to mock, shared as if real.",
}


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def build_timeline(case: Case) -> list[dict[str, Any]]:
    """Every dated event the case holds, sorted by time (UTC where known).

    Sources: the ``time.timeline`` check's events when it ran; otherwise the recorded
    timestamps of ``metadata.timestamps``, the C2PA signing time and the earliest archive
    copy (``provenance.archive``); and always the claim's time (once) and when each item was
    collected. File-system times of the local copy are left out (they date the copy, not
    the picture).

    Returns
    -------
    list of dict
        ``{"time", "utc", "label", "source", "item_id", "local_only"}``; ``utc`` is None when
        the time carries no offset (it is then sorted by its wall-clock text and marked).

    Notes
    -----
    A time without an offset is never converted: it is shown as recorded and flagged.
    """
    events: list[dict[str, Any]] = []

    def add(time: Any, label: str, source: str, item_id: str | None = None, utc: Any = None,
            local_only: bool = False) -> None:
        if not time:
            return
        t = str(time)
        if utc is None:
            utc = _to_utc(t)
        events.append({"time": t, "utc": utc, "label": label, "source": source, "item_id": item_id,
                       "local_only": bool(local_only or utc is None)})

    if case.claim is not None and case.claim.time:
        add(case.claim.time, "Claimed time", "claim")
    for item in case.items:
        tl = item.report.check("time.timeline")
        if tl is not None and tl.details:
            for ev in _timeline_events(tl.details):
                if ev.get("origin") == "claim" or ev.get("local_copy_only"):
                    continue  # the claim is shown once; times of the local copy say nothing
                label = str(ev.get("label") or ev.get("kind") or "event")
                if ev.get("origin") and not ev.get("label"):
                    label = f"{label} time ({ev['origin']})"
                if ev.get("assumed"):
                    label += f"; offset assumed: {ev['assumed']}"
                add(ev.get("time") or ev.get("value") or ev.get("utc"), label,
                    str(ev.get("source") or "time.timeline"), item.id, ev.get("utc"))
        else:
            ts = item.report.check("metadata.timestamps")
            for rec in (ts.details.get("timestamps", []) if ts is not None else []):
                if isinstance(rec, dict) and not rec.get("local_copy_only"):
                    add(rec.get("value"), f"{rec.get('kind') or 'recorded'} time in the file", str(rec.get("source")),
                        item.id, rec.get("utc"), bool(rec.get("local_copy_only")))
            if ts is None and item.report.metadata.capture_time:
                add(item.report.metadata.capture_time, "capture time in the file",
                    str(item.report.metadata.capture_time_source or "metadata"), item.id)
            c2 = item.report.check("c2pa.manifest")
            if c2 is not None and c2.details.get("signing_time"):
                add(c2.details["signing_time"], "Content Credentials signed", "c2pa.manifest", item.id)
            pa = item.report.check("provenance.archive")
            earliest = pa.details.get("earliest") if pa is not None else None
            if isinstance(earliest, dict) and earliest.get("first_seen"):
                add(earliest["first_seen"], "earliest archived copy first seen", str(earliest.get("source_url") or
                                                                                     "provenance.archive"), item.id)
        add(item.acquired_at, f"collected into the case ({item.acquisition_method})", "custody", item.id)
    events.sort(key=lambda e: (e["utc"] or e["time"]))
    return events


def contradictions(case: Case) -> list[dict[str, Any]]:
    """The contradictions ``time.timeline`` found, per item (``{"item_id", "rule", "summary",
    "severity", ...}``)."""
    out: list[dict[str, Any]] = []
    for item in case.items:
        tl = item.report.check("time.timeline")
        for c in (tl.details.get("contradictions", []) if tl is not None else []):
            if isinstance(c, dict):
                out.append({"item_id": item.id, **c})
    return out


def _timeline_events(details: dict[str, Any]) -> list[dict[str, Any]]:
    for key in ("events", "timeline", "entries"):
        v = details.get(key)
        if isinstance(v, list):
            return [e for e in v if isinstance(e, dict)]
    return []


def _to_utc(text: str) -> str | None:
    s = text.strip().replace("Z", "+00:00")
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        return None
    if dt.tzinfo is None:
        if len(s) == 10:  # a date: the whole day; keep it as the date
            return None
        return None
    return dt.astimezone(UTC).isoformat()


def methods(case: Case) -> list[dict[str, Any]]:
    """One row per check used in the case: id, question, version, parameters, caveat."""
    seen: dict[str, dict[str, Any]] = {}
    for item in case.items:
        for c in item.report.checks:
            key = f"{c.id}@{c.version}"
            if key not in seen:
                seen[key] = {"id": c.id, "question": c.question.value, "version": c.version,
                             "parameters": c.parameters, "caveat": c.caveat}
    return sorted(seen.values(), key=lambda m: (QUESTION_ORDER.index(m["question"])
                                                if m["question"] in QUESTION_ORDER else 9, m["id"]))


def tools(case: Case) -> dict[str, str]:
    """Tool versions recorded with the check runs (newest run wins)."""
    out: dict[str, str] = {}
    for item in case.items:
        for run in item.check_runs:
            out.update({str(k): str(v) for k, v in run.tool_versions.items()})
    return dict(sorted(out.items()))


def case_document(case: Case, generated_at: str | None = None) -> dict[str, Any]:
    """The whole case as a JSON-serialisable dict (the ``json`` export).

    Parameters
    ----------
    case : Case
        As returned by :meth:`verilens.case.CaseStore.get_case`.
    generated_at : str, optional
        ISO time of the export (default: now, UTC).
    """
    verdict = case.verdict
    items = []
    for item in case.items:
        rep = item.report.model_dump(mode="json")
        runs = {r.check_id: r for r in item.check_runs}
        for c in rep["checks"]:
            run = runs.get(c["id"])
            if run is not None:  # the stored artifacts carry their SHA-256
                c["artifacts"] = [dict(a, path=a.get("path")) for a in run.artifacts] or c["artifacts"]
        rep["questions"] = {q: rep["questions"][q] for q in QUESTION_ORDER if q in rep.get("questions", {})}
        items.append({
            "id": item.id, "sha256": item.sha256, "size_bytes": item.size_bytes, "mime": item.mime,
            "kind": item.kind, "original_name": item.original_name, "source_path": item.source_path,
            "source_url": item.source_url, "acquired_at": item.acquired_at,
            "acquisition_method": item.acquisition_method, "stored_path": item.stored_path,
            "report": rep,
            "notes": [n.model_dump(mode="json") for n in case.notes if n.item_id == item.id],
            "verdicts": [v.model_dump(mode="json") for v in case.verdicts if v.item_id == item.id],
        })
    return {
        "format": FORMAT,
        "verilens_version": __version__,
        "generated_at": generated_at or _utc_now(),
        "case": {"id": case.id, "title": case.title, "status": case.status,
                 "investigators": case.investigators, "created_at": case.created_at,
                 "updated_at": case.updated_at},
        "claim": case.claim.model_dump(mode="json") if case.claim else None,
        "claims": [c.model_dump(mode="json") for c in case.claims],
        "verdict": verdict.model_dump(mode="json") if verdict else None,
        "verdicts": [v.model_dump(mode="json") for v in case.verdicts],
        "notes": [n.model_dump(mode="json") for n in case.notes if n.item_id is None],
        "items": items,
        "timeline": build_timeline(case),
        "contradictions": contradictions(case),
        "methods": methods(case),
        "tools": tools(case),
        "custody": [e.model_dump(mode="json") for e in case.custody],
    }
