"""Timeline: every timestamp known for an item on one axis, and the contradictions between them.

Pure functions over plain dicts (the ``details`` of ``metadata.timestamps``,
``c2pa.manifest`` and ``provenance.archive``, and the claim): no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ..claims import time_bounds

#: Clock slack (s) before "A after B" counts as a contradiction: camera clocks drift and
#: platforms round upload times.
SLACK_S = 120.0
#: A claimed time this far from the recorded capture time is reported (s).
CLAIM_GAP_S = 3 * 3600.0
#: Events kept (a hostile file can hold thousands of dates).
MAX_EVENTS = 200


@dataclass
class Event:
    """One timestamp on the axis.

    ``utc`` is None when the moment cannot be placed in UTC (a local time with no known
    offset); ``assumed`` says when it was placed with an offset the file does not record.
    """

    source: str
    kind: str
    value: str
    utc: str | None
    origin: str  # metadata | c2pa | archive | claim
    assumed: str | None = None
    local_copy_only: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Contradiction:
    rule: str
    summary: str
    severity: str  # strong | weak
    a: str
    b: str
    difference_s: float

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["difference_s"] = round(self.difference_s, 1)
        return d


@dataclass
class Timeline:
    events: list[Event] = field(default_factory=list)
    contradictions: list[Contradiction] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"events": [e.to_dict() for e in self.events],
                "contradictions": [c.to_dict() for c in self.contradictions], "notes": self.notes}


def parse_iso(value: Any) -> datetime | None:
    """An ISO 8601 string to a datetime (aware or naive); None when unparseable."""
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    s = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        return None
    return dt


def _utc(dt: datetime | None) -> datetime | None:
    if dt is None or dt.tzinfo is None:
        return None
    try:
        return dt.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _fmt(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat()


def build_timeline(
    timestamps: Mapping[str, Any] | None = None,
    c2pa: Mapping[str, Any] | None = None,
    archive: Mapping[str, Any] | None = None,
    claim_time: str | None = None,
    zone_offset: timedelta | None = None,
    zone_label: str | None = None,
    now: datetime | None = None,
) -> Timeline:
    """Gather every timestamp and find contradictions.

    Parameters
    ----------
    timestamps : mapping, optional
        ``metadata.timestamps`` details (``{"timestamps": [...], "derived_utc_offset"}``).
    c2pa : mapping, optional
        ``c2pa.manifest`` details (``signing_time``, ``validation_state``).
    archive : mapping, optional
        ``provenance.archive`` details (``earliest``, ``matches``).
    claim_time : str, optional
        The claimed time (ISO 8601 with offset, or a date = that whole day).
    zone_offset : timedelta, optional
        UTC offset of the clocks in use at the claimed place, used to place local
        timestamps that carry no offset (marked ``assumed``).
    zone_label : str, optional
        Name of that zone, for the notes.
    now : datetime, optional
        The present (UTC); timestamps after it are reported.

    Returns
    -------
    Timeline
        Events sorted by UTC (unplaceable ones last) and contradictions.

    Notes
    -----
    Rules (each with :data:`SLACK_S` of clock slack): capture after the archive's earliest
    first-seen time (strong; a first-seen date counts by its latest moment, in any zone);
    capture after the C2PA signing time (strong when the manifest validates, weak
    otherwise); claimed time after that first-seen time (strong); claimed time far from
    the recorded capture time (weak: camera clocks are often wrong); a modification time
    before the capture time (weak); timestamps in the future (weak). File-system times
    describe only this copy and never raise a contradiction.
    """
    tl = Timeline()
    now = now or datetime.now(UTC)
    ts = dict(timestamps or {})
    offset_txt = ts.get("derived_utc_offset")
    for t in list(ts.get("timestamps") or [])[:MAX_EVENTS]:
        if not isinstance(t, Mapping):
            continue
        value = str(t.get("value") or "")[:64]
        dt = parse_iso(value)
        utc = _utc(parse_iso(t.get("utc"))) or _utc(dt)
        assumed = None
        if utc is None and dt is not None and dt.tzinfo is None and zone_offset is not None:
            try:
                utc = (dt - zone_offset).replace(tzinfo=UTC)
            except OverflowError:
                utc = None
            if utc is not None:
                assumed = f"local time read in {zone_label or 'the claimed place zone'}"
        tl.events.append(Event(source=str(t.get("source") or "?")[:80], kind=str(t.get("kind") or "other")[:20],
                               value=value, utc=None if utc is None else _fmt(utc), origin="metadata",
                               assumed=assumed, local_copy_only=bool(t.get("local_copy_only"))))
    if offset_txt and zone_offset is not None:
        tl.notes.append(f"file's UTC offset {offset_txt}; clocks at the claimed place: {zone_label}")
    c2 = dict(c2pa or {})
    sig = _utc(parse_iso(c2.get("signing_time")))
    if sig is not None:
        tl.events.append(Event("c2pa:signing_time", "signing", str(c2.get("signing_time"))[:64], _fmt(sig), "c2pa"))
    ar = dict(archive or {})
    earliest = ar.get("earliest") if isinstance(ar.get("earliest"), Mapping) else None
    first_seen = None
    if earliest:
        # a first-seen date is the whole day in some zone: its latest moment is what the
        # rules compare with (a capture or claim on that day is not "after first seen")
        bounds = time_bounds(earliest.get("first_seen"))
        if bounds is not None:
            first_seen = bounds[1]
            day = f"a date: any time from {_fmt(bounds[0])} to {_fmt(bounds[1])}" if bounds[0] != bounds[1] else None
            tl.events.append(Event(f"archive:{str(earliest.get('source_url') or earliest.get('path') or earliest.get('id'))[:120]}",
                                   "first_seen", str(earliest.get("first_seen"))[:64], _fmt(bounds[0]), "archive",
                                   assumed=day))
    claim_dt = parse_iso(claim_time) if claim_time else None
    claim_is_day = bool(claim_time) and len(str(claim_time).strip()) == 10
    claim_utc = _utc(claim_dt)
    claim_day_end = None
    if claim_is_day and claim_dt is not None:
        if zone_offset is not None:  # the day at the claimed place
            claim_utc = (claim_dt - zone_offset).replace(tzinfo=UTC)
            claim_day_end = claim_utc + timedelta(days=1)
        else:  # a day somewhere: from its start at UTC+14 to its end at UTC-12
            day_bounds = time_bounds(str(claim_time).strip())
            if day_bounds is not None:
                claim_utc, claim_day_end = day_bounds
    if claim_time:
        tl.events.append(Event("claim", "claim", str(claim_time)[:64], None if claim_utc is None else _fmt(claim_utc),
                               "claim", assumed=(("start of the claimed day" + ("" if zone_offset is not None else " in the easternmost zone, UTC+14"))
                                        if claim_is_day else None)))

    def ev_utc(e: Event) -> datetime | None:
        return _utc(parse_iso(e.utc)) if e.utc else None

    meta = [e for e in tl.events if e.origin == "metadata" and not e.local_copy_only]
    captures = [e for e in meta if e.kind in ("capture", "digitized", "gps", "quicktime") and ev_utc(e)]
    capture = min(captures, key=lambda e: ev_utc(e) or now) if captures else None
    cap_t = ev_utc(capture) if capture else None

    def add(rule: str, severity: str, a: Event, b: Event, diff: float, summary: str) -> None:
        tl.contradictions.append(Contradiction(rule, summary, severity, a.source, b.source, diff))

    fs_ev = next((e for e in tl.events if e.kind == "first_seen"), None)
    if cap_t and first_seen and capture and fs_ev:
        d = (cap_t - first_seen).total_seconds()
        if d > SLACK_S:
            add("capture_after_first_seen", "weak" if capture.assumed else "strong", capture, fs_ev, d,
                f"recorded capture time {capture.utc} is {_human(d)} after the earliest first-seen time in the "
                f"archive ({fs_ev.value}): the capture time is wrong or edited, or this is a re-shoot")
    sig_ev = next((e for e in tl.events if e.kind == "signing"), None)
    if cap_t and sig and capture and sig_ev:
        d = (cap_t - sig).total_seconds()
        if d > SLACK_S:
            valid = c2.get("validation_state") in ("Valid", "Trusted")
            add("capture_after_signing", "strong" if valid else "weak", capture, sig_ev, d,
                f"recorded capture time {capture.utc} is {_human(d)} after the Content Credentials were signed ({sig_ev.utc})")
    claim_ev = next((e for e in tl.events if e.kind == "claim"), None)
    if claim_ev and claim_utc and first_seen and fs_ev:
        d = (claim_utc - first_seen).total_seconds()
        if d > SLACK_S:
            add("claim_after_first_seen", "strong", claim_ev, fs_ev, d,
                f"the claimed time ({claim_time}) is {_human(d)} after the earliest first-seen time in the "
                f"archive ({fs_ev.value}): it cannot show an event at the claimed time")
    if claim_ev and claim_utc and captures:
        # the claim agrees when any capture-type time (camera clock, GPS, QuickTime) fits it
        best: tuple[float, Event] | None = None
        for cand in captures:
            ct = ev_utc(cand)
            if ct is None:
                continue
            if claim_is_day and claim_day_end is not None:
                inside = claim_utc - timedelta(seconds=SLACK_S) <= ct < claim_day_end + timedelta(seconds=SLACK_S)
                d = 0.0 if inside else min(abs((ct - claim_utc).total_seconds()), abs((ct - claim_day_end).total_seconds()))
            else:
                d = abs((ct - claim_utc).total_seconds())
                d = 0.0 if d <= CLAIM_GAP_S else d
            if best is None or d < best[0]:
                best = (d, cand)
        if best is not None and best[0] > 0:
            d, cand = best
            add("claim_vs_capture", "weak", claim_ev, cand, d,
                f"the claimed time ({claim_time}) and the nearest recorded capture time ({cand.utc}, {cand.source}) "
                f"are {_human(d)} apart (camera clocks are often wrong or in another zone; weigh with other evidence)")
    if cap_t and capture:
        for e in meta:
            if e.kind == "modified" and ev_utc(e) and (cap_t - (ev_utc(e) or cap_t)).total_seconds() > SLACK_S:
                add("modified_before_capture", "weak", e, capture, (cap_t - (ev_utc(e) or cap_t)).total_seconds(),
                    f"{e.source} ({e.utc}) is before the capture time ({capture.utc})")
                break
    for e in tl.events:
        t = ev_utc(e)
        if t and (t - now).total_seconds() > 86400 and e.origin != "claim":
            tl.contradictions.append(Contradiction("in_the_future", f"{e.source} ({e.utc}) lies in the future", "weak",
                                                   e.source, "now", (t - now).total_seconds()))
    unplaced = [e for e in meta if e.utc is None]
    if unplaced:
        tl.notes.append(f"{len(unplaced)} timestamp(s) without a UTC offset could not be placed on the axis"
                        + ("" if zone_offset is not None else " (no claimed place to borrow a zone from)"))
    tl.events.sort(key=lambda e: (e.utc is None, e.utc or "", e.source))
    return tl


def _human(seconds: float) -> str:
    s = abs(seconds)
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    if s < 172800:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} days"


def strongest(contradictions: Sequence[Contradiction]) -> Contradiction | None:
    strong = [c for c in contradictions if c.severity == "strong"]
    pool = strong or list(contradictions)
    return max(pool, key=lambda c: c.difference_s) if pool else None


__all__ = ["CLAIM_GAP_S", "Contradiction", "Event", "SLACK_S", "Timeline", "build_timeline", "parse_iso",
           "strongest"]
