"""Checks of the time domain (registered on import by verilens.pipeline).

- ``time.sun``: does the sun at the claimed place and time match the shadow measured in
  the picture?
- ``time.timeline``: every known timestamp on one axis, and contradictions between them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from ..errors import UsageError
from ..evidence import ArtifactKind, Finding, Question, State
from ..pipeline import Context, register
from .shadows import measurement_from

SUN_PARAMS = {"default_tolerance_deg": 1.0, "default_azimuth_tolerance_deg": 3.0, "area_deg_per_km": 1 / 111.2,
              "map_radius_km": 1500, "map_step_deg": 0.05}


def _claim_instant(text: str) -> tuple[datetime | None, str | None]:
    """(instant, date) from the claim's time: an aware datetime, or a date string."""
    s = text.strip()
    if len(s) == 10:
        return None, s
    dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        raise UsageError("the claimed time has no offset")
    return dt, None


@register(
    "time.sun",
    Question.TIME,
    version="1",
    applies_to=("image", "video"),
    budget_s=60,
    parameters=SUN_PARAMS,
    caveat=(
        "How to read: compares the sun at the claimed place and time (NREL SPA) with the sun "
        "elevation/azimuth implied by a shadow you measured; 'inconsistent' means the shadow cannot "
        "have been cast there and then within the stated tolerance. What it cannot show: it is only as "
        "good as the measurement (vertical object, level ground, true north, a square-on view for "
        "pixel points); the same shadow recurs on mirror dates and at other places on a ring; near "
        "solar noon elevation alone barely changes with time. A consistent result does not prove the "
        "claim."
    ),
)
def sun_check(ctx: Context) -> Finding:
    from ..maps import Bounds, MapLayer, MapPoint, MapRing, render_map
    from .sun import sun_position
    from .timezones import zone_for
    from .when import angle_diff, day_span, time_windows
    from .where import where_utc

    place, claim_time = ctx.claim.place, ctx.claim.time
    if place is None or not claim_time:
        return Finding(State.NOT_APPLICABLE, "Needs a claimed place and a claimed time.")
    try:
        m = measurement_from(ctx.options.shadow, default_tolerance=SUN_PARAMS["default_tolerance_deg"])
    except UsageError as exc:
        return Finding(State.ERROR, f"The shadow measurement is not usable: {exc}", details={"shadow": ctx.options.shadow})
    try:
        instant, day = _claim_instant(claim_time)
    except (ValueError, UsageError) as exc:
        return Finding(State.ERROR, f"The claimed time {claim_time!r} cannot be read: {exc}")
    zone = zone_for(place.lat, place.lon, instant or datetime.fromisoformat(str(day)).replace(hour=12))
    details: dict[str, Any] = {"place": {"lat": place.lat, "lon": place.lon, "name": place.name,
                                         "radius_km": place.radius_km},
                               "claimed_time": claim_time, "zone": zone.to_dict()}
    if instant is not None:
        pos = sun_position([instant], place.lat, place.lon)
        details["sun"] = pos.row()
        details["time_utc"] = instant.astimezone(UTC).isoformat()
        if zone.utc_offset and instant.utcoffset() is not None:
            from .timezones import format_offset

            claimed_off = format_offset(instant.utcoffset())
            if claimed_off != zone.utc_offset:
                details["offset_note"] = (f"the claimed time carries offset {claimed_off} but clocks at the place "
                                          f"showed {zone.utc_offset} ({zone.zone}) then")
    if m is None:
        if instant is None:
            return Finding(State.NOT_APPLICABLE, "No shadow measurement given, and the claim is a whole day.",
                           details=details)
        s = details["sun"]
        txt = (f"Sun at the claimed place and time: azimuth {s['azimuth']:.1f}°, elevation {s['elevation']:.1f}°"
               + (f"; a vertical object's shadow points to {s['shadow_bearing']:.0f}° and is "
                  f"{s['shadow_ratio']:.2f}× its height" if s["shadow_ratio"] is not None else "; the sun is down")
               + ". Measure a shadow (--shadow-elevation/--object-height/--shadow-points) to compare.")
        return Finding(State.NOT_APPLICABLE, txt, details=details)
    details["measurement"] = m.to_dict()
    # widen the tolerance for a claimed area: the sun moves ≤ 1° per 111 km
    area = float(place.radius_km or 0.0) * SUN_PARAMS["area_deg_per_km"]
    tol_e = m.tolerance + area
    tol_a = m.azimuth_tolerance + area * 2.0
    details["effective_tolerance"] = {"elevation": round(tol_e, 4), "azimuth": round(tol_a, 4)}
    artifacts = []
    if instant is None:
        start, end = day_span(str(day), zone.zone)
        wres = time_windows(place.lat, place.lon, start, end, elevation=m.elevation, tolerance=tol_e,
                            azimuth=m.azimuth, azimuth_tolerance=tol_a)
        details["windows"] = [w.to_dict() for w in wres.windows]
        details["notes"] = wres.notes
        details["verdict"] = "consistent" if wres.windows else "inconsistent"
        if not wres.windows:
            return Finding(State.FOUND, f"On {day} the sun at the claimed place never matches the measured shadow "
                           f"(elevation {m.elevation}°±{tol_e:.2f}): inconsistent with the claim.", score=1.0,
                           details=details)
        spans = ", ".join(f"{w.start:%H:%M}–{w.end:%H:%M}" for w in wres.windows[:4])
        return Finding(State.NOT_FOUND, f"Consistent: on {day} the sun matches the shadow at {spans} UTC.",
                       score=0.0, details=details)
    s = details["sun"]
    reasons, excess = [], 0.0
    if s["apparent_elevation"] is None or s["apparent_elevation"] <= 0:
        details["verdict"] = "inconsistent"
        return Finding(State.FOUND, "The sun was below the horizon at the claimed place and time, yet the picture "
                       "shows a sun shadow: inconsistent.", score=1.0, details=details)
    if m.elevation is not None:
        de = s["apparent_elevation"] - m.elevation
        details["elevation_difference"] = round(de, 4)
        if abs(de) > tol_e:
            reasons.append(f"elevation {s['apparent_elevation']:.2f}° vs measured {m.elevation:.2f}°±{tol_e:.2f}")
            excess = max(excess, (abs(de) - tol_e) / tol_e)
    if m.azimuth is not None:
        da = float(angle_diff(s["azimuth"], m.azimuth))
        details["azimuth_difference"] = round(da, 4)
        if abs(da) > tol_a:
            reasons.append(f"azimuth {s['azimuth']:.1f}° vs measured {m.azimuth:.1f}°±{tol_a:.1f}")
            excess = max(excess, (abs(da) - tol_a) / tol_a)
    # the nearest matching window that day helps the reader
    try:
        start, end = day_span(instant.astimezone(UTC).date().isoformat(), None)
        wres = time_windows(place.lat, place.lon, start - timedelta(hours=12), end + timedelta(hours=12),
                            elevation=m.elevation, tolerance=tol_e, azimuth=m.azimuth, azimuth_tolerance=tol_a)
        details["windows_near_claim"] = [w.to_dict() for w in wres.windows]
        details["notes"] = wres.notes
    except ValueError:
        pass
    # a map of where the shadow fits at the claimed instant, around the claimed place
    try:
        box = Bounds.around(place.lat, place.lon, SUN_PARAMS["map_radius_km"])
        res = where_utc(instant, replace(m, tolerance=tol_e, azimuth_tolerance=tol_a),
                        step=SUN_PARAMS["map_step_deg"], bounds=box)
        pts = [MapPoint(place.lat, place.lon, place.name or "claimed place", color=(20, 60, 200))]
        rings = [MapRing(place.lat, place.lon, place.radius_km, color=(20, 60, 200))] if place.radius_km > 0 else []
        img = render_map(box, 900, layers=[MapLayer(res.mask, box, color=(220, 40, 20), alpha=0.6)], points=pts,
                         rings=rings, title=f"Where this shadow fits at {instant.astimezone(UTC):%Y-%m-%d %H:%M} UTC",
                         legend=[("sun matches the shadow", (220, 40, 20)), ("claimed place", (20, 60, 200))])
        artifacts.append(ctx.save_image("map", img, ArtifactKind.MAP, "Where the measured shadow fits at the claimed time"))
        details["map_cells"] = res.cells
    except (ValueError, MemoryError):
        pass
    extra = ""
    if details.get("offset_note"):
        extra = f" Note: {details['offset_note']}; if the claimed time was read off a local clock, recheck it."
    near = [w for w in details.get("windows_near_claim", []) if w["start"][:10] == details["time_utc"][:10]]
    if reasons:
        details["verdict"] = "inconsistent"
        fits = (" The shadow fits that day at " + ", ".join(f"{w['start'][11:16]}–{w['end'][11:16]}" for w in near[:3])
                + " UTC." if near else "")
        return Finding(State.FOUND, "Inconsistent: at the claimed place and time the sun had " + "; ".join(reasons)
                       + "." + fits + extra, score=float(min(1.0, 0.5 + excess / 2)), details=details,
                       artifacts=artifacts)
    details["verdict"] = "consistent"
    return Finding(State.NOT_FOUND,
                   f"Consistent: the sun at the claimed place and time (elevation {s['apparent_elevation']:.2f}°, "
                   f"azimuth {s['azimuth']:.1f}°) matches the measured shadow within tolerance." + extra,
                   score=0.0, details=details, artifacts=artifacts)


@register(
    "time.timeline",
    Question.TIME,
    version="2",
    applies_to=("image", "video"),
    budget_s=30,
    after=("metadata.timestamps", "c2pa.manifest", "provenance.archive"),
    parameters={"slack_s": 120, "claim_gap_s": 10800},
    caveat=(
        "How to read: every time known for the item (file metadata, GPS time, Content Credentials "
        "signing time, first appearance in the archive, the claim) on one UTC axis, with contradictions "
        "such as a capture time after the earliest first-seen time in the archive. What it cannot show: metadata "
        "times can be wrong (unset camera clocks, wrong zone) or edited, local times without an offset "
        "are placed with the claimed place's zone only as an assumption, and the archive knows only what "
        "was added to it. No contradiction is not proof of the claimed time."
    ),
)
def timeline_check(ctx: Context) -> Finding:
    from .timeline import build_timeline, strongest
    from .timezones import local_to_utc_offset, zone_for

    def details_of(cid: str) -> dict[str, Any] | None:
        r = ctx.results.get(cid)
        if r is None or r.state in (State.ERROR, State.TIMEOUT, State.NOT_APPLICABLE):
            return None
        return dict(r.details or {})

    ts, c2, ar = details_of("metadata.timestamps"), details_of("c2pa.manifest"), details_of("provenance.archive")
    zone_off = zone_label = None
    place = ctx.claim.place
    if place is not None:
        when = None
        if ctx.claim.time and len(ctx.claim.time) > 10:
            try:
                when = datetime.fromisoformat(ctx.claim.time.replace("Z", "+00:00"))
            except ValueError:
                when = None
        elif ctx.claim.time:
            when = datetime.fromisoformat(ctx.claim.time).replace(hour=12)
        z = zone_for(place.lat, place.lon, when)
        if z.zone:
            zone_off = local_to_utc_offset(z.zone, when or datetime.now(UTC))
            zone_label = z.zone + (f" (override: {z.override})" if z.override else "")
    tl = build_timeline(ts, c2, ar, ctx.claim.time, zone_off, zone_label)
    details = tl.to_dict()
    details["inputs"] = {"metadata.timestamps": ts is not None, "c2pa.manifest": c2 is not None,
                         "provenance.archive": ar is not None, "claim": bool(ctx.claim.time)}
    placed = [e for e in tl.events if e.utc and not e.local_copy_only]
    if tl.contradictions:
        top = strongest(tl.contradictions)
        assert top is not None
        n = len(tl.contradictions)
        score = 0.9 if top.severity == "strong" else 0.4
        lead = "The item's times contradict each other: " if n == 1 else \
            f"{n} contradictions between the item's times; the strongest: "
        return Finding(State.FOUND, f"{lead}{top.summary}.", score=score, details=details)
    if len(placed) < 2:
        return Finding(State.INCONCLUSIVE,
                       f"{len(placed)} time(s) could be placed on the axis ({len(tl.events)} known): too few to "
                       "compare.", details=details)
    span = f"{placed[0].utc} – {placed[-1].utc}"
    return Finding(State.NOT_FOUND, f"{len(placed)} times placed on one axis ({span}) with no contradiction.",
                   score=0.0, details=details)
