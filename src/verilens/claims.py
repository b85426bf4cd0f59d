"""Parse the claim a user gives: a place (``LAT,LON`` or a name) and a time (ISO 8601)."""

from __future__ import annotations

import re
from datetime import date, datetime

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
    try:
        if len(s) == 10:
            return date.fromisoformat(s).isoformat()
        dt = datetime.fromisoformat(s.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise UsageError(f"{text!r}: not an ISO 8601 date or time (e.g. 2023-04-17 or 2023-04-17T10:00+03:00)") from exc
    if dt.tzinfo is None:
        raise UsageError(f"{text!r}: give the time with an offset or Z (e.g. {s}+03:00 or {s}Z)")
    return dt.isoformat()


def parse_claim(place: str | None, time: str | None) -> Claim:
    return Claim(place=parse_place(place) if place else None, time=parse_time(time) if time else None)
