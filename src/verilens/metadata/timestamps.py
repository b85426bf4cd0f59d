"""Every timestamp a file records, reconciled to UTC where the file allows it.

Pure functions on exiftool's ``Group:Tag`` dict (``-G1 -n``); no I/O.

A photo can carry a dozen times: EXIF DateTimeOriginal / CreateDate / ModifyDate in the
camera's local time (with ``OffsetTime*`` since EXIF 2.31), the GPS receiver's date and time
in UTC, XMP and IPTC dates (sometimes with an offset), QuickTime ``CreateDate`` (UTC by the
QuickTime specification), PNG ``tIME`` (UTC by the PNG specification) and the file-system
times, which describe only the copy on this disk.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from .normalise import clean_str

#: Default tolerance between two times that should describe the same moment, in seconds.
DEFAULT_TOLERANCE_S = 120.0

#: Most timestamps carried into a report (a hostile file can hold thousands of date tags).
MAX_TIMESTAMPS = 200

Kind = str  # "capture|digitized|modified|gps|xmp|iptc|quicktime|filesystem|other"


@dataclass(frozen=True)
class TimeTag:
    """How to read one date tag: its kind, offset tag, sub-second tag and time basis.

    ``basis`` is ``"local"`` (wall-clock time where the picture was taken, offset unknown
    unless recorded), ``"utc"`` (UTC by specification) or ``"recorded"`` (the value carries
    its own offset when it has one, otherwise local).
    """

    tag: str
    kind: Kind
    offset_tag: str | None = None
    subsec_tag: str | None = None
    basis: str = "local"
    creation: bool = True  # describes the moment of capture/creation (vs. a later edit)


#: Known date tags, most trusted first.
TIME_TAGS: tuple[TimeTag, ...] = (
    TimeTag(
        "ExifIFD:DateTimeOriginal",
        "capture",
        "ExifIFD:OffsetTimeOriginal",
        "ExifIFD:SubSecTimeOriginal",
    ),
    TimeTag(
        "ExifIFD:CreateDate",
        "digitized",
        "ExifIFD:OffsetTimeDigitized",
        "ExifIFD:SubSecTimeDigitized",
    ),
    TimeTag(
        "IFD0:ModifyDate", "modified", "ExifIFD:OffsetTime", "ExifIFD:SubSecTime", creation=False
    ),
    TimeTag("XMP-exif:DateTimeOriginal", "xmp", basis="recorded"),
    TimeTag("XMP-exif:DateTimeDigitized", "xmp", basis="recorded"),
    TimeTag("XMP-photoshop:DateCreated", "xmp", basis="recorded"),
    TimeTag("XMP-xmp:CreateDate", "xmp", basis="recorded"),
    TimeTag("XMP-xmp:ModifyDate", "xmp", basis="recorded", creation=False),
    TimeTag("XMP-xmp:MetadataDate", "xmp", basis="recorded", creation=False),
    TimeTag("IPTC:DateCreated", "iptc", basis="recorded"),
    TimeTag("IPTC:DigitalCreationDate", "iptc", basis="recorded"),
    TimeTag("Keys:CreationDate", "quicktime", basis="recorded"),
    TimeTag("QuickTime:CreationDate", "quicktime", basis="recorded"),
    TimeTag("QuickTime:CreateDate", "quicktime", basis="utc"),
    TimeTag("QuickTime:ModifyDate", "quicktime", basis="utc", creation=False),
    TimeTag("Track1:MediaCreateDate", "quicktime", basis="utc"),
    TimeTag("Track1:TrackCreateDate", "quicktime", basis="utc"),
    TimeTag("PNG:CreationTime", "other", basis="recorded"),
    TimeTag("PNG:ModifyDate", "other", basis="utc", creation=False),
    TimeTag("System:FileModifyDate", "filesystem", basis="recorded", creation=False),
    TimeTag("System:FileCreateDate", "filesystem", basis="recorded", creation=False),
    TimeTag("System:FileInodeChangeDate", "filesystem", basis="recorded", creation=False),
)
_KNOWN = {t.tag for t in TIME_TAGS} | {
    "IPTC:TimeCreated",
    "IPTC:DigitalCreationTime",
    "GPS:GPSDateStamp",
    "GPS:GPSTimeStamp",
    "System:FileAccessDate",  # changes every time the file is read: never evidence
}
_IPTC_TIME = {
    "IPTC:DateCreated": "IPTC:TimeCreated",
    "IPTC:DigitalCreationDate": "IPTC:DigitalCreationTime",
}

_DT = re.compile(
    r"^\s*(\d{4})[:-](\d{1,2})[:-](\d{1,2})(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?(\.\d+)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?\s*$"
)
_TIME = re.compile(r"^\s*(\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$")
_OFF = re.compile(r"^\s*([+-])(\d{1,2}):?(\d{2})\s*$")


@dataclass
class Timestamp:
    """One recorded time (the interface that ``time.timeline`` reads).

    Attributes
    ----------
    source : str
        exiftool ``Group:Tag`` it came from.
    value : str
        As recorded, in ISO 8601 (offset only when the file records one).
    utc : str or None
        The same moment in UTC (``+00:00``) when an offset, the tag's specification or the
        GPS-derived offset allows it.
    offset : str or None
        The offset recorded with it (``+01:00``), or None.
    kind : str
        capture, digitized, modified, gps, xmp, iptc, quicktime, filesystem or other.
    local_copy_only : bool
        True for file-system times: they describe this copy, not the picture.
    utc_basis : str or None
        Why ``utc`` is what it is: ``recorded offset``, ``UTC by specification``,
        ``offset derived from GPS time`` or None.
    creation : bool
        Describes the moment of capture/creation (False for modify/metadata dates).
    """

    source: str
    value: str
    utc: str | None
    offset: str | None
    kind: str
    local_copy_only: bool = False
    utc_basis: str | None = None
    creation: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TimestampReport:
    """All timestamps of one file and what they say together."""

    timestamps: list[Timestamp] = field(default_factory=list)
    derived_utc_offset: str | None = None
    offset_basis: str | None = None
    disagreements: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    gps_vs_local_s: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "timestamps": [t.to_dict() for t in self.timestamps],
            "derived_utc_offset": self.derived_utc_offset,
            "offset_basis": self.offset_basis,
            "disagreements": self.disagreements,
            "notes": self.notes,
            "gps_vs_local_s": self.gps_vs_local_s,
        }


def parse_offset(value: Any) -> timedelta | None:
    """``+01:00`` / ``-0530`` / ``Z`` as a timedelta; None when absent or implausible."""
    if value is None:
        return None
    s = str(value).strip()
    if s == "Z":
        return timedelta(0)
    m = _OFF.match(s)
    if not m:
        return None
    hours, minutes = int(m.group(2)), int(m.group(3))
    if hours > 14 or minutes > 59:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return -delta if m.group(1) == "-" else delta


def format_offset(delta: timedelta) -> str:
    """A timedelta as ``+HH:MM``."""
    total = int(round(delta.total_seconds() / 60))
    sign = "-" if total < 0 else "+"
    total = abs(total)
    return f"{sign}{total // 60:02d}:{total % 60:02d}"


def parse_datetime(value: Any, subsec: Any = None) -> tuple[datetime, bool] | None:
    """An exiftool/ISO date-time as a datetime and whether it carried an offset.

    Parameters
    ----------
    value : str
        ``YYYY:MM:DD HH:MM:SS[.ss][Z|±HH:MM]`` or ISO-like.
    subsec : str or number, optional
        An EXIF ``SubSecTime*`` value: the decimal digits of the second's fraction.

    Returns
    -------
    (datetime, bool) or None
        Naive when no offset was recorded, aware otherwise; None for empty, zeroed or
        impossible values (``0000:00:00 00:00:00``, month 13, day 259).
    """
    if value is None or isinstance(value, (dict, list)):
        return None
    s = str(value)[:64]
    m = _DT.match(s)
    if not m:
        return None
    y, mo, d, hh, mi, ss, frac, tz = m.groups()
    try:
        micro = 0
        if frac:
            micro = int(round(float(frac) * 1e6))
        elif subsec is not None and str(subsec).strip().isdigit():
            digits = str(subsec).strip()[:6]
            micro = int(round(float("0." + digits) * 1e6))
        micro = min(micro, 999_999)
        dt = datetime(int(y), int(mo), int(d), int(hh or 0), int(mi or 0), int(ss or 0), micro)
    except (ValueError, OverflowError):
        return None
    if dt.year < 1800:
        return None
    if tz:
        off = parse_offset(tz)
        if off is None:
            return None
        return dt.replace(tzinfo=timezone(off)), True
    return dt, False


def iso(dt: datetime) -> str:
    """ISO 8601 without microseconds when they are zero."""
    return dt.isoformat(timespec="milliseconds" if dt.microsecond else "seconds")


def _gps_datetime(raw: dict[str, Any], notes: list[str]) -> datetime | None:
    """GPS date + time (UTC); None when absent. The time alone is returned on 1900-01-01."""
    t = raw.get("GPS:GPSTimeStamp")
    if t is None:
        return None
    m = _TIME.match(str(t)[:32])
    if not m:
        notes.append(f"GPS time stamp unreadable: {clean_str(t, 40)!r}")
        return None
    hh, mi, ss, frac, _ = m.groups()
    if int(hh) > 23 or int(mi) > 59 or int(ss) > 60:
        notes.append(f"GPS time stamp impossible: {clean_str(t, 40)!r}")
        return None
    micro = min(int(round(float(frac) * 1e6)), 999_999) if frac else 0
    date = raw.get("GPS:GPSDateStamp")
    parsed = parse_datetime(date) if date is not None else None
    if parsed is None:
        if date is not None:
            notes.append(
                f"GPS date stamp unreadable: {clean_str(date, 40)!r}; GPS time of day used alone"
            )
        return datetime(1900, 1, 1, int(hh), int(mi), min(int(ss), 59), micro, tzinfo=UTC)
    d = parsed[0]
    return datetime(d.year, d.month, d.day, int(hh), int(mi), min(int(ss), 59), micro, tzinfo=UTC)


def _nearest_quarter_hour(seconds: float) -> float:
    return round(seconds / 900.0) * 900.0


def derive_offset(
    local: datetime, gps_utc: datetime, tolerance_s: float = DEFAULT_TOLERANCE_S
) -> tuple[timedelta | None, float]:
    """The UTC offset implied by a local capture time and the GPS (UTC) time.

    Parameters
    ----------
    local : datetime
        Naive local capture time (EXIF DateTimeOriginal).
    gps_utc : datetime
        GPS date/time, aware UTC. A GPS time without a usable date (year 1900) is matched
        to the local date, the day before or the day after, whichever is closest.
    tolerance_s : float
        Largest distance, in seconds, from a whole quarter-hour offset still accepted (GPS
        time stamps can lag the shutter when the fix is old).

    Returns
    -------
    (timedelta or None, float)
        The offset (``local - utc``), rounded to 15 minutes and within -12 h..+14 h, or
        None when the difference is not close to any real offset; and the raw difference in
        seconds.

    Notes
    -----
    Real UTC offsets are whole quarter hours between -12:00 and +14:00 (IANA tz database).
    A GPS time that is minutes away from one means a stale fix or a wrong camera clock.
    """
    g = gps_utc.replace(tzinfo=None)
    if g.year == 1900:
        best = None
        for days in (-1, 0, 1):
            cand = datetime.combine(local.date() + timedelta(days=days), g.time())
            diff = (local - cand).total_seconds()
            if best is None or abs(diff - _nearest_quarter_hour(diff)) + abs(diff) / 1e6 < (
                abs(best - _nearest_quarter_hour(best)) + abs(best) / 1e6
            ):
                if -12 * 3600 - tolerance_s <= diff <= 14 * 3600 + tolerance_s:
                    best = diff
        if best is None:
            return None, float("nan")
        diff = best
    else:
        diff = (local - g).total_seconds()
    rounded = _nearest_quarter_hour(diff)
    if abs(diff - rounded) > tolerance_s or not (-12 * 3600 <= rounded <= 14 * 3600):
        return None, diff
    return timedelta(seconds=rounded), diff


def collect_timestamps(
    raw: dict[str, Any], tolerance_s: float = DEFAULT_TOLERANCE_S
) -> TimestampReport:
    """Every timestamp in an exiftool dict, with UTC where it can be known.

    Parameters
    ----------
    raw : dict
        exiftool output for one file (``-G1 -n`` keys).
    tolerance_s : float
        Seconds two creation times may differ before they are reported as disagreeing.

    Returns
    -------
    TimestampReport

    Notes
    -----
    - EXIF times are the camera's wall clock; they become UTC only with a recorded
      ``OffsetTime*`` tag or an offset derived from GPS time (``derive_offset``).
    - QuickTime ``CreateDate`` is UTC by specification, but many cameras write local time
      there; a disagreement with another creation time of a whole number of hours is the
      usual sign (reported, not corrected).
    - XMP/IPTC dates carry their own offset when they have one; without one they are local.
    - File-system times describe this copy only (``local_copy_only``) and never count as
      evidence about the picture.
    - Disagreements are reported between creation times (capture, digitized, GPS, XMP/IPTC
      creation dates, QuickTime creation) whose UTC is known, or between two local times;
      modify dates later than capture are normal (editing) and listed as notes only.

    References
    ----------
    CIPA DC-008-2023 (Exif 3.0) §4.6.5 (DateTimeOriginal, OffsetTimeOriginal, GPSTimeStamp
    is UTC); Apple QuickTime File Format Specification (movie header creation time, seconds
    since 1904-01-01 UTC); W3C PNG Specification §11.3.6.1 (tIME is UTC); XMP Specification
    Part 1 §8.2.1.6 (Date).
    """
    rep = TimestampReport()
    notes = rep.notes
    entries: list[tuple[Timestamp, datetime, bool]] = []  # (ts, dt, aware)
    date_only: set[str] = set()

    def add(
        tag: TimeTag,
        value: Any,
        offset_value: Any = None,
        subsec: Any = None,
        value_text: str | None = None,
    ) -> None:
        parsed = parse_datetime(value, subsec)
        if parsed is None:
            if value is not None and str(value).strip() and not str(value).startswith("0000"):
                notes.append(f"{tag.tag}: unreadable date {clean_str(value, 60)!r}")
            return
        dt, aware = parsed
        if _DT.match(str(value)[:64]) and _DT.match(str(value)[:64]).group(4) is None:  # type: ignore[union-attr]
            date_only.add(tag.tag)
        offset = None
        if not aware and offset_value is not None:
            off = parse_offset(offset_value)
            if off is not None:
                dt, aware = dt.replace(tzinfo=timezone(off)), True
            else:
                notes.append(f"{tag.offset_tag}: unreadable offset {clean_str(offset_value, 20)!r}")
        utc = None
        basis = None
        if aware:
            off = dt.utcoffset() or timedelta(0)
            offset = format_offset(off)
            if tag.basis == "utc" and off == timedelta(0):
                offset = None  # exiftool added nothing; the tag is UTC by definition
            utc = iso(dt.astimezone(UTC))
            basis = "recorded offset"
        elif tag.basis == "utc":
            utc = iso(dt.replace(tzinfo=UTC))
            basis = "UTC by specification"
        value_out = value_text or (dt.date().isoformat() if tag.tag in date_only else iso(dt))
        ts = Timestamp(
            source=tag.tag,
            value=value_out,
            utc=utc,
            offset=offset,
            kind=tag.kind,
            local_copy_only=tag.kind == "filesystem",
            utc_basis=basis,
            creation=tag.creation,
        )
        entries.append((ts, dt, aware))

    for tag in TIME_TAGS:
        if tag.tag not in raw:
            continue
        value = raw.get(tag.tag)
        if tag.tag in _IPTC_TIME and raw.get(_IPTC_TIME[tag.tag]) is not None:
            value = f"{value} {raw.get(_IPTC_TIME[tag.tag])}"
        add(
            tag,
            value,
            raw.get(tag.offset_tag) if tag.offset_tag else None,
            raw.get(tag.subsec_tag) if tag.subsec_tag else None,
        )

    gps = _gps_datetime(raw, notes)
    if gps is not None:
        if gps.year == 1900:
            value_text = (
                gps.time().isoformat(timespec="milliseconds" if gps.microsecond else "seconds")
                + "+00:00"
            )
            utc_text = None
        else:
            value_text = iso(gps)
            utc_text = iso(gps)
        entries.append(
            (
                Timestamp(
                    source="GPS:GPSDateStamp/GPSTimeStamp",
                    value=value_text,
                    utc=utc_text,
                    offset="+00:00",
                    kind="gps",
                    utc_basis="UTC by specification",
                ),
                gps,
                True,
            )
        )

    # Other date-looking tags (maker notes, sidecar-style XMP), bounded.
    for key, value in raw.items():
        if len(entries) >= MAX_TIMESTAMPS:
            notes.append(f"more than {MAX_TIMESTAMPS} timestamps; the rest left out")
            break
        if key in _KNOWN or not isinstance(value, str) or ":" not in key:
            continue
        name = key.split(":", 1)[1]
        if not re.search(r"(Date|DateTime)$", name) or key.startswith(("Composite:", "ExifTool:")):
            continue
        if len(value) > 64:
            continue
        track = re.match(r"^Track\d+:(Track|Media)(Create|Modify)Date$", key) is not None
        add(
            TimeTag(
                key,
                "quicktime" if track else "other",
                basis="utc" if track else "recorded",
                creation=False,
            ),
            value,
        )

    # The camera's offset: recorded, else derived from GPS time.
    capture = next((e for e in entries if e[0].kind == "capture"), None)
    if capture is None:
        capture = next((e for e in entries if e[0].kind == "digitized"), None)
    if capture is not None and capture[2]:
        rep.derived_utc_offset = capture[0].offset
        rep.offset_basis = f"recorded ({capture[0].source})"
    gps_entry = next((e for e in entries if e[0].kind == "gps"), None)
    if capture is not None and gps_entry is not None:
        local = capture[1].replace(tzinfo=None)
        if capture[2]:  # compare wall clocks: local time minus its own offset vs GPS
            local = (capture[1].astimezone(UTC)).replace(tzinfo=None) + (
                capture[1].utcoffset() or timedelta(0)
            )
        off, diff = derive_offset(local, gps_entry[1], tolerance_s)
        rep.gps_vs_local_s = None if diff != diff else round(diff, 3)
        if off is None:
            if diff == diff:
                rep.disagreements.append(
                    {
                        "a": capture[0].source,
                        "b": gps_entry[0].source,
                        "difference_s": round(diff, 3),
                        "reason": "local capture time and GPS time (UTC) are not a whole time-zone offset apart",
                    }
                )
        elif capture[2]:
            recorded = capture[1].utcoffset() or timedelta(0)
            if abs((recorded - off).total_seconds()) > tolerance_s:
                rep.disagreements.append(
                    {
                        "a": capture[0].source,
                        "b": gps_entry[0].source,
                        "difference_s": round((recorded - off).total_seconds(), 3),
                        "reason": f"recorded offset {format_offset(recorded)} but GPS time implies {format_offset(off)}",
                    }
                )
        else:
            rep.derived_utc_offset = format_offset(off)
            rep.offset_basis = f"derived: {capture[0].source} minus GPS time (UTC)"

    # Local EXIF times become UTC with the derived offset.
    if rep.derived_utc_offset and rep.offset_basis and rep.offset_basis.startswith("derived"):
        off = parse_offset(rep.derived_utc_offset)
        assert off is not None
        for ts, dt, aware in entries:
            if not aware and ts.kind in ("capture", "digitized", "modified") and ts.utc is None:
                ts.utc = iso((dt - off).replace(tzinfo=UTC))
                ts.utc_basis = "offset derived from GPS time"

    # Disagreements between creation times.
    creation = [
        (ts, dt, aware)
        for ts, dt, aware in entries
        if ts.creation and not ts.local_copy_only and ts.kind != "gps"
    ]
    if gps_entry is not None and gps_entry[0].utc:
        creation.append(gps_entry)
    seen: set[tuple[str, str]] = set()
    for i, (a, adt, aaw) in enumerate(creation):
        for b, bdt, baw in creation[i + 1 :]:
            if (a.kind == "gps" or b.kind == "gps") and any(
                d["a"] in (a.source, b.source) and d["b"] in (a.source, b.source)
                for d in rep.disagreements
            ):
                continue
            if a.source in date_only or b.source in date_only:
                days = abs((adt.date() - bdt.date()).days)
                if days > 1 and (a.source, b.source) not in seen:  # a day either way: time zones
                    seen.add((a.source, b.source))
                    rep.disagreements.append(
                        {
                            "a": a.source,
                            "b": b.source,
                            "difference_s": round(
                                (adt - bdt.replace(tzinfo=adt.tzinfo)).total_seconds(), 3
                            ),
                            "reason": f"creation dates disagree by {days} days (one is a date only)",
                        }
                    )
                continue
            if a.utc and b.utc:
                diff = (
                    datetime.fromisoformat(a.utc) - datetime.fromisoformat(b.utc)
                ).total_seconds()
            elif not aaw and not baw and a.utc is None and b.utc is None:
                diff = (adt - bdt).total_seconds()
            elif {a.kind, b.kind} <= {
                "capture",
                "digitized",
                "xmp",
                "iptc",
                "modified",
            } and aaw != baw:
                # a local time vs. the same wall clock written with an offset: compare clocks
                diff = (adt.replace(tzinfo=None) - bdt.replace(tzinfo=None)).total_seconds()
            else:
                continue
            if abs(diff) > tolerance_s and (a.source, b.source) not in seen:
                seen.add((a.source, b.source))
                reason = "creation times disagree"
                if (
                    3600 - tolerance_s <= abs(diff) <= 14 * 3600 + tolerance_s
                    and abs(diff - _nearest_quarter_hour(diff)) <= tolerance_s
                ):
                    reason += " by a whole time-zone-like offset (a local time written where UTC is expected?)"
                rep.disagreements.append(
                    {"a": a.source, "b": b.source, "difference_s": round(diff, 3), "reason": reason}
                )
    # Modified after capture (an edit), reported as a note.
    if capture is not None:
        for ts, dt, aware in entries:
            if ts.kind == "modified" and aware == capture[2]:
                diff = (dt - capture[1]).total_seconds()
                if diff > tolerance_s:
                    notes.append(
                        f"{ts.source} is {diff:.0f} s after {capture[0].source} (saved again after capture)"
                    )
                elif diff < -tolerance_s:
                    rep.disagreements.append(
                        {
                            "a": ts.source,
                            "b": capture[0].source,
                            "difference_s": round(diff, 3),
                            "reason": "modified before it was taken",
                        }
                    )
    if len(rep.disagreements) > 50:
        notes.append(f"{len(rep.disagreements) - 50} more disagreements left out")
        rep.disagreements = rep.disagreements[:50]
    rep.timestamps = [e[0] for e in entries]
    return rep


__all__ = [
    "DEFAULT_TOLERANCE_S",
    "TIME_TAGS",
    "TimeTag",
    "Timestamp",
    "TimestampReport",
    "collect_timestamps",
    "derive_offset",
    "format_offset",
    "iso",
    "parse_datetime",
    "parse_offset",
]
