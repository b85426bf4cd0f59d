"""Parse the claim a user gives: a place (``LAT,LON`` or a name) and a time (ISO 8601)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from .errors import UsageError
from .evidence import Claim, Place

_LATLON = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*[, ]\s*([+-]?\d+(?:\.\d+)?)\s*$")


def parse_place(text: str) -> Place:
    """``LAT,LON`` (decimal degrees, WGS84) or a place name from the offline gazetteer.

    Raises
    ------
    UsageError
        Coordinates out of range, or a name the gazetteer does not know.
    """
    m = _LATLON.match(text)
    if m:
        lat, lon = float(m.group(1)), float(m.group(2))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise UsageError(f"{text!r}: latitude must be within ±90 and longitude within ±180")
        return Place(query=text, name=None, lat=lat, lon=lon, radius_km=0.0)
    from .place.gazetteer import resolve_place

    return resolve_place(text)


def parse_time(text: str) -> str:
    """Validate an ISO 8601 time (with an offset or ``Z``) or a date; return it normalised.

    A date alone means the whole day; a time without an offset is refused because its
    meaning depends on a time zone the user must state.
    """
    s = text.strip()
    shown = repr(text[:60]) + ("…" if len(text) > 60 else "")  # hostile manifests hold any length
    try:
        if len(s) == 10:
            return date.fromisoformat(s).isoformat()
        dt = datetime.fromisoformat(s.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise UsageError(f"{shown}: not an ISO 8601 date or time (e.g. 2023-04-17 or 2023-04-17T10:00+03:00)") from exc
    if dt.tzinfo is None:
        raise UsageError(f"{shown}: give the time with an offset or Z (e.g. {s}+03:00 or {s}Z)")
    return dt.isoformat()


#: A date alone is a whole day somewhere on Earth: it begins at 00:00 in UTC+14 and ends at
#: 24:00 in UTC-12, when the zone it was reckoned in is not known.
DAY_BEGINS_BEFORE_UTC = timedelta(hours=14)
DAY_ENDS_AFTER_UTC = timedelta(hours=36)


def time_bounds(value: object) -> tuple[datetime, datetime] | None:
    """The earliest and latest instant (UTC) an ISO 8601 value can mean; None when unreadable or empty.

    An instant with an offset means itself. A date alone means the whole day in an unknown
    zone (see :data:`DAY_BEGINS_BEFORE_UTC`). A time without an offset (written by older
    versions, or by files) is read as UTC.

    Notes
    -----
    Comparisons that raise a flag ("seen before the claimed time") use the bounds so that a
    date never contradicts a time on the same day: a date predates an instant only when its
    latest moment does.
    """
    if not isinstance(value, str | date) or not value:
        return None
    if isinstance(value, datetime):
        t = value
    elif isinstance(value, date):
        t = None
        day = value
    else:
        s = value.strip()
        if len(s) > 64:
            return None
        try:
            if len(s) == 10:
                t, day = None, date.fromisoformat(s)
            else:
                t = datetime.fromisoformat(s.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return None
    try:
        if t is None:
            start = datetime.combine(day, time(0), tzinfo=UTC)
            return start - DAY_BEGINS_BEFORE_UTC, start + DAY_ENDS_AFTER_UTC
        t = t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
    except (OverflowError, ValueError):  # dates at the ends of the calendar
        return None
    return t, t


def parse_claim(place: str | None, time: str | None) -> Claim:
    return Claim(place=parse_place(place) if place else None, time=parse_time(time) if time else None)
