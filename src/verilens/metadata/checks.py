"""Metadata checks (source question)."""

from __future__ import annotations

from ..evidence import Finding, Question, State
from ..pipeline import Context, register
from .normalise import summarize


@register(
    "metadata.basic",
    Question.SOURCE,
    version="1",
    applies_to=("image", "video"),
    budget_s=60,
    caveat=(
        "Reads what the file says about itself (exiftool). Metadata is easy to edit or strip: "
        "it can support a story but never proves one, and its absence proves nothing."
    ),
)
def metadata_basic(ctx: Context) -> Finding:
    raw = ctx.exif()
    if "ExifTool:Error" in raw and len(raw) <= 3:
        return Finding(State.ERROR, f"exiftool could not read the file: {raw['ExifTool:Error']}")
    summary = summarize(raw)
    ctx.cached("metadata_summary", lambda: summary)
    facts = []
    if summary.device:
        facts.append(f"device {summary.device.make or ''} {summary.device.model or ''}".strip())
    if summary.capture_time:
        facts.append(f"capture time {summary.capture_time} ({summary.capture_time_source})")
    if summary.gps:
        facts.append(f"GPS {summary.gps.lat:.5f}, {summary.gps.lon:.5f}")
    if summary.software:
        facts.append(f"software {summary.software!r}")
    tags = sum(1 for k in raw if not k.startswith(("System:", "ExifTool:", "File:", "SourceFile")))
    details = {"tag_count": tags, "metadata": summary.model_dump(mode="json")}
    if not facts:
        return Finding(State.NOT_FOUND, f"The file records no device, capture time, GPS or software ({tags} tags).",
                       details=details)
    return Finding(State.FOUND, "The file records " + "; ".join(facts) + ".", details=details)
