"""Time: sun and moon positions (NREL SPA, Skyfield), shadows → time windows and candidate
places, time zones with occupied-territory overrides, and the timeline of an item.

Modules: :mod:`.sun`, :mod:`.moon`, :mod:`.shadows`, :mod:`.when`, :mod:`.where`,
:mod:`.timezones`, :mod:`.timeline`; the checks ``time.sun`` and ``time.timeline`` live in
:mod:`.checks`. The two functions below are plain-dict conveniences for the web app.
"""

from __future__ import annotations

from typing import Any


def time_windows(*, lat: float, lon: float, date: str, elevation: float | None = None, tolerance: float = 1.0,
                 azimuth: float | None = None, azimuth_tolerance: float = 3.0) -> dict[str, Any]:
    """UTC windows on a local date (or ``DATE..DATE``) when the sun matches; see :func:`.when.time_windows`."""
    from datetime import datetime

    from .timezones import zone_for
    from .when import day_span
    from .when import time_windows as _tw

    first = datetime.fromisoformat(date.replace("..", "/").split("/")[0].strip()).replace(hour=12)
    z = zone_for(lat, lon, first)
    start, end = day_span(date, z.zone)
    doc = _tw(lat, lon, start, end, elevation=elevation, tolerance=tolerance, azimuth=azimuth,
              azimuth_tolerance=azimuth_tolerance).to_dict()
    doc["zone"] = z.to_dict()
    return doc


def shadow_ring(*, time: str, elevation: float, tolerance: float = 1.0, step: float = 0.25,
                azimuth: float | None = None, azimuth_tolerance: float = 3.0) -> dict[str, Any]:
    """Places where the sun matches at an instant: summary plus the cells as GeoJSON.

    ``time`` is ISO 8601 with an offset (UTC mode) or without one (local clock time).
    """
    from datetime import datetime

    from .shadows import Measurement
    from .where import where_local, where_utc

    t = datetime.fromisoformat(time.strip().replace("Z", "+00:00"))
    m = Measurement(elevation, tolerance, azimuth, azimuth_tolerance, "elevation")
    res = where_local(t, m, step=step) if t.tzinfo is None else where_utc(t, m, step=step)
    doc = res.to_dict()
    doc["geojson"] = res.geojson()
    return doc


__all__ = ["shadow_ring", "time_windows"]
