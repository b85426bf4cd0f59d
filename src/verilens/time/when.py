"""When: the UTC time windows in which the sun at a place matches a shadow measurement.

For a place and a time span, the sun is computed with SPA on a regular time grid, the
instants whose elevation (± tolerance) and/or azimuth (± tolerance) match are gathered
into windows, and each window edge is refined by bisection to one second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from pvlib import spa

from .sun import ATMOS_REFRACT, delta_t_for, sun_position, to_utc_index, unix_seconds

#: Longest span scanned (days).
MAX_DAYS = 400


def angle_diff(a: Any, b: float) -> np.ndarray:
    """Smallest signed difference a − b between angles (degrees, in [−180, 180))."""
    return (np.asarray(a, dtype=np.float64) - b + 180.0) % 360.0 - 180.0


@dataclass(frozen=True)
class Window:
    """One interval (UTC) in which the sun matches."""

    start: datetime
    end: datetime
    branch: str  # "morning" | "afternoon" | "around_noon"
    solar_noon: datetime
    elevation_range: tuple[float, float]
    azimuth_range: tuple[float, float]

    def to_dict(self) -> dict[str, Any]:
        return {"start": iso(self.start), "end": iso(self.end), "branch": self.branch,
                "duration_s": round((self.end - self.start).total_seconds()),
                "solar_noon": iso(self.solar_noon),
                "elevation_range": [round(v, 3) for v in self.elevation_range],
                "azimuth_range": [round(v, 3) for v in self.azimuth_range]}


@dataclass
class WhenResult:
    """Windows plus what the reader needs to weigh them."""

    windows: list[Window]
    days: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    mirror_dates: list[dict[str, str]] = field(default_factory=list)
    scanned: tuple[datetime, datetime] | None = None
    step_s: int = 60

    def to_dict(self) -> dict[str, Any]:
        return {"windows": [w.to_dict() for w in self.windows], "days": self.days, "notes": self.notes,
                "mirror_dates": self.mirror_dates,
                "scanned": None if self.scanned is None else {"start": iso(self.scanned[0]), "end": iso(self.scanned[1])},
                "step_s": self.step_s}


def iso(t: datetime) -> str:
    """ISO 8601 UTC with ``+00:00``, to the second."""
    return t.astimezone(UTC).replace(microsecond=0).isoformat()


def _match(elev: np.ndarray, az: np.ndarray, elevation: float | None, tol: float,
           azimuth: float | None, az_tol: float) -> np.ndarray:
    ok = elev > 0.0
    if elevation is not None:
        ok &= np.abs(elev - elevation) <= tol
    if azimuth is not None:
        ok &= np.abs(angle_diff(az, azimuth)) <= az_tol
    return ok


def time_windows(lat: float, lon: float, start: datetime, end: datetime, *, elevation: float | None = None,
                 tolerance: float = 0.5, azimuth: float | None = None, azimuth_tolerance: float = 3.0,
                 apparent: bool = True, step_s: int | None = None,
                 pressure_hpa: float = 1013.25, temperature_c: float = 12.0) -> WhenResult:
    """Time windows (UTC) between ``start`` and ``end`` when the sun matches.

    Parameters
    ----------
    lat, lon : float
        Place (degrees, WGS84).
    start, end : datetime
        Aware datetimes bounding the scan (at most :data:`MAX_DAYS` apart).
    elevation : float, optional
        Sun elevation to match (degrees); apparent (with refraction) unless
        ``apparent=False``.
    tolerance : float
        ± degrees on elevation.
    azimuth : float, optional
        Sun azimuth to match (degrees from north) — a shadow's bearing minus 180°.
    azimuth_tolerance : float
        ± degrees on azimuth.
    apparent : bool
        Compare with apparent (refracted) elevation, which is what shadows show.
    step_s : int, optional
        Scan step; default 20 s up to two days, 60 s up to 31 days, 120 s beyond. Windows
        shorter than a step can be missed; edges are refined to 1 s.

    Returns
    -------
    WhenResult

    Notes
    -----
    A window containing solar noon is one window (``branch="around_noon"``): elevation is
    stationary there, so elevation alone cannot tell morning from afternoon and small
    measurement errors move the edges a lot; a note says so. Otherwise morning and
    afternoon windows are separate. Mirror dates (same solar declination on the other
    side of a solstice) are reported: the sun path there is nearly identical, so the
    shadow cannot tell those dates apart.

    References
    ----------
    Reda & Andreas (2004), NREL/TP-560-34302 (positions); pvlib ``sun_rise_set_transit_spa``.
    """
    if elevation is None and azimuth is None:
        raise ValueError("give an elevation and/or an azimuth to match")
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    if end <= start:
        raise ValueError("end must be after start")
    span = end - start
    if span > timedelta(days=MAX_DAYS):
        raise ValueError(f"scan at most {MAX_DAYS} days at once")
    step = int(step_s or (20 if span <= timedelta(days=2) else 60 if span <= timedelta(days=31) else 120))
    n = int(span.total_seconds() // step) + 1
    try:
        t0 = pd.Timestamp(start).tz_convert("UTC")
        pd.Timestamp(end).tz_convert("UTC").as_unit("ns")
        t0 = t0.as_unit("ns")
    except (pd.errors.OutOfBoundsDatetime, OverflowError, ValueError) as exc:
        raise ValueError("dates must lie between the years 1678 and 2261") from exc
    idx = pd.DatetimeIndex(t0 + pd.to_timedelta(np.arange(n) * step, unit="s"))
    pos = sun_position(idx, lat, lon, pressure_hpa=pressure_hpa, temperature_c=temperature_c)
    elev = pos.apparent_elevation if apparent else pos.elevation
    ok = _match(elev, pos.azimuth, elevation, tolerance, azimuth, azimuth_tolerance)

    def ok_many(ts: np.ndarray) -> np.ndarray:
        ti = pd.DatetimeIndex(pd.to_datetime(ts, unit="s", utc=True))
        p = sun_position(ti, lat, lon, pressure_hpa=pressure_hpa, temperature_c=temperature_c)
        e = p.apparent_elevation if apparent else p.elevation
        return _match(e, p.azimuth, elevation, tolerance, azimuth, azimuth_tolerance)

    def refine_all(outs: np.ndarray, ins: np.ndarray) -> np.ndarray:
        # each boundary lies between an outside and an inside instant: bisect all of them at
        # once (one vectorised SPA call per step) down to 1 s; return the first inside instants
        outs = outs.astype(np.float64).copy()
        ins = ins.astype(np.float64).copy()
        for _ in range(40):
            active = np.flatnonzero(np.abs(ins - outs) > 1.0)
            if active.size == 0:
                break
            mid = np.floor((outs[active] + ins[active]) / 2.0)
            okm = ok_many(mid)
            ins[active[okm]] = mid[okm]
            outs[active[~okm]] = mid[~okm]
        return ins

    def as_dt(u: float) -> datetime:
        return datetime.fromtimestamp(round(float(u)), tz=UTC)

    # days and solar noons
    days_idx = pd.date_range(t0.normalize(), pd.Timestamp(end).tz_convert("UTC").normalize(), freq="D")
    noons = [t for t in _transits(days_idx, lat, lon) if start <= t < end]
    ux = unix_seconds(idx)
    windows: list[Window] = []
    padded = np.concatenate([[False], ok, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    starts, ends = edges[0::2], edges[1::2] - 1
    s_ref = starts > 0
    e_ref = ends < n - 1
    ws_u = ux[starts].astype(np.float64)
    we_u = ux[ends].astype(np.float64)
    if s_ref.any():
        ws_u[s_ref] = refine_all(ux[starts[s_ref] - 1], ux[starts[s_ref]])
    if e_ref.any():
        we_u[e_ref] = refine_all(ux[ends[e_ref] + 1], ux[ends[e_ref]])
    noon_u = np.array([t.timestamp() for t in noons])
    for k, (s_i, e_i) in enumerate(zip(starts, ends, strict=True)):
        ws, we = as_dt(ws_u[k]), as_dt(we_u[k])
        mid = ws + (we - ws) / 2
        noon = noons[int(np.argmin(np.abs(noon_u - mid.timestamp())))] if noons else mid
        if ws <= noon <= we:
            branch = "around_noon"
        else:
            branch = "morning" if we < noon else "afternoon"
        sl = slice(s_i, e_i + 1)
        windows.append(Window(ws, we, branch, noon, (float(elev[sl].min()), float(elev[sl].max())),
                              (float(pos.azimuth[s_i]), float(pos.azimuth[e_i]))))
    notes: list[str] = []
    day_rows: list[dict[str, Any]] = []
    if noons:
        p_noon = sun_position(noons, lat, lon, pressure_hpa=pressure_hpa, temperature_c=temperature_c)
        e_noon = p_noon.apparent_elevation if apparent else p_noon.elevation
        for t, e in zip(noons, e_noon, strict=True):
            day_rows.append({"date": t.date().isoformat(), "solar_noon": iso(t), "max_elevation": round(float(e), 3)})
        if elevation is not None:
            maxe = float(np.max(e_noon))
            if elevation - tolerance > maxe:
                notes.append(f"the sun never reaches {elevation:.2f}° here in this span (highest {maxe:.2f}°)")
            near = [d for d in day_rows if abs(d["max_elevation"] - elevation) <= max(2 * tolerance, 1.0)]
            if near:
                notes.append(
                    f"the measured elevation is within {max(2 * tolerance, 1.0):.1f}° of the noon maximum "
                    f"({near[0]['max_elevation']:.2f}° on {near[0]['date']}): near solar noon elevation alone "
                    "is degenerate (it changes slowly and the same value holds before and after noon); "
                    "add the shadow's azimuth to tell morning from afternoon")
    if any(w.branch == "around_noon" for w in windows):
        notes.append("a window spans solar noon: morning and afternoon cannot be separated by elevation")
    if elevation is not None and azimuth is None and any(w.branch != "around_noon" for w in windows):
        notes.append("elevation alone matches once in the morning and once in the afternoon each day; "
                     "the azimuth of the shadow tells them apart")
    mirrors = mirror_dates(sorted({w.start.date() for w in windows}), lon)
    if span > timedelta(days=1, hours=1) and mirrors:
        notes.append("mirror dates (same solar declination on the other side of a solstice) give nearly "
                     "the same sun path; the shadow alone cannot tell them apart")
    return WhenResult(windows, day_rows, notes, mirrors, (start.astimezone(UTC), end.astimezone(UTC)), step)


def _transits(days: pd.DatetimeIndex, lat: float, lon: float) -> list[datetime]:
    if len(days) == 0:
        return []
    ut = unix_seconds(days)
    dt = delta_t_for(days)
    transit, _, _ = spa.transit_sunrise_sunset(ut, lat, lon, dt, 1)
    out = []
    for t in np.asarray(transit, dtype=np.float64):
        if math.isfinite(t):
            out.append(datetime.fromtimestamp(float(t), tz=UTC).replace(microsecond=0))
    return out


def declinations(days: pd.DatetimeIndex) -> np.ndarray:
    """Geocentric apparent solar declination (degrees) at the given instants (SPA)."""
    ut = unix_seconds(days)
    _, _, delta = spa.solar_position_numpy(ut, 0.0, 0.0, 0.0, 0.0, 0.0, delta_t_for(days), ATMOS_REFRACT, 1, sst=True)
    return np.asarray(delta, dtype=np.float64)


def mirror_dates(dates: list[Any], lon: float = 0.0) -> list[dict[str, str]]:
    """For each date, the date on the other side of the nearest solstice with the same declination.

    The declination is taken at local solar noon (≈ 12:00 UTC − lon/15 h). Within ~3 days
    of a solstice the mirror is the date itself (reported as such).
    """
    out: list[dict[str, str]] = []
    if not dates:
        return out
    ds = [pd.Timestamp(d).normalize() for d in dates]
    first = min(ds).tz_localize(None) - pd.Timedelta(days=190)
    n_days = (max(ds).tz_localize(None) - min(ds).tz_localize(None)).days + 381
    days = pd.DatetimeIndex([first + pd.Timedelta(days=k) for k in range(n_days)]).tz_localize("UTC")
    days = days + pd.Timedelta(hours=12 - lon / 15.0)
    dec = declinations(days)
    grad = np.gradient(dec)
    for d in ds:
        i0 = (d.tz_localize(None) - first).days
        lo, hi = i0 - 183, i0 + 184
        seg = np.arange(lo, hi)
        other = seg[np.sign(grad[seg]) != np.sign(grad[i0])]
        if other.size == 0:
            continue
        j = int(other[np.argmin(np.abs(dec[other] - dec[i0]))])
        out.append({"date": d.date().isoformat(), "mirror_date": days[j].date().isoformat(),
                    "declination": f"{dec[i0]:.3f}", "mirror_declination": f"{dec[j]:.3f}"})
    return out


def day_span(date_text: str, zone: str | None) -> tuple[datetime, datetime]:
    """The span of a local calendar date (or ``DATE/DATE``, ``DATE..DATE`` range) as UTC.

    Days are local to ``zone`` (UTC when None), end of the last day exclusive.
    """
    from zoneinfo import ZoneInfo

    s = date_text.strip()
    for sep in ("..", "/"):
        if sep in s:
            a, b = s.split(sep, 1)
            break
    else:
        a, b = s, s
    tz = ZoneInfo(zone) if zone else UTC
    d0 = datetime.fromisoformat(a.strip()).date()
    d1 = datetime.fromisoformat(b.strip()).date()
    if d1 < d0:
        raise ValueError("the range ends before it starts")
    start = datetime(d0.year, d0.month, d0.day, tzinfo=tz)
    end = datetime(d1.year, d1.month, d1.day, tzinfo=tz) + timedelta(days=1)
    return start.astimezone(UTC), end.astimezone(UTC)


__all__ = ["MAX_DAYS", "WhenResult", "Window", "angle_diff", "day_span", "declinations", "iso",
           "mirror_dates", "time_windows", "to_utc_index"]
