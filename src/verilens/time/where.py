"""Where: the places on Earth whose sun matches a shadow measurement at a given time.

The sun is computed once per instant (SPA's time-only terms) and each grid cell needs only
a few trigonometric operations (:func:`verilens.time.sun.sun_grid`). The accepted band of
apparent elevations is turned into a band of geometric elevations once (inverting SPA's
refraction), so refraction costs nothing per cell.

In local-time mode the clock time is read in each cell's time zone (with the occupied-
territory overrides): cells are grouped by UTC offset and the sun computed once per group.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from ..maps import WORLD, Bounds, MapLayer, MapPoint, mask_to_geojson, render_map
from .shadows import Measurement
from .sun import SunInstant, geometric_from_apparent, sun_grid, sun_instant
from .when import angle_diff, iso

#: Finest grid step allowed (degrees) and the largest grid (cells).
MIN_STEP = 0.01
MAX_CELLS = 40_000_000


@dataclass
class WhereResult:
    """Cells whose sun matches, on a regular grid over ``bounds`` (row 0 = north)."""

    mask: np.ndarray
    bounds: Bounds
    step: float
    measurement: Measurement
    time_utc: datetime | None
    local_time: datetime | None = None
    subsolar: tuple[float, float] | None = None
    geometric_band: tuple[float, float] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def cells(self) -> int:
        return int(self.mask.sum())

    def match_bounds(self) -> dict[str, float] | None:
        """The box around the matching cells (degrees), or None when none match."""
        if not self.mask.any():
            return None
        rows = np.flatnonzero(self.mask.any(axis=1))
        cols = np.flatnonzero(self.mask.any(axis=0))
        b = self.bounds
        return {"south": round(b.north - (rows[-1] + 1) * self.step, 6), "west": round(b.west + cols[0] * self.step, 6),
                "north": round(b.north - rows[0] * self.step, 6), "east": round(b.west + (cols[-1] + 1) * self.step, 6)}

    def meridian_crossings(self) -> list[float]:
        """Latitudes where the ring crosses the subsolar meridian (geocentric; ±0.01°)."""
        if self.subsolar is None or self.geometric_band is None:
            return []
        e = sum(self.geometric_band) / 2
        dec = self.subsolar[0]
        out = [dec + (90.0 - e), dec - (90.0 - e)]
        return [round(v, 4) for v in out if -90.0 <= v <= 90.0]

    def to_dict(self) -> dict[str, Any]:
        return {"cells": self.cells, "bounds": self.match_bounds(), "grid": {**self.bounds.to_dict(), "step": self.step},
                "time": None if self.time_utc is None else iso(self.time_utc),
                "local_time": None if self.local_time is None else self.local_time.isoformat(),
                "subsolar": None if self.subsolar is None else {"lat": round(self.subsolar[0], 4),
                                                                "lon": round(self.subsolar[1], 4)},
                "subsolar_meridian_crossings": self.meridian_crossings(),
                "measurement": self.measurement.to_dict(),
                "geometric_elevation_band": None if self.geometric_band is None
                else [round(v, 5) for v in self.geometric_band],
                "notes": self.notes}

    def geojson(self) -> dict[str, Any]:
        props = {"time": None if self.time_utc is None else iso(self.time_utc),
                 "local_time": None if self.local_time is None else self.local_time.isoformat(),
                 "elevation": self.measurement.elevation, "tolerance": self.measurement.tolerance,
                 "azimuth": self.measurement.azimuth, "step_deg": self.step}
        return mask_to_geojson(self.mask, self.bounds, props)

    def render(self, width: int = 1440) -> np.ndarray:
        """The matching cells on the offline basemap (RGB ``uint8``)."""
        m = self.measurement
        what = f"sun elevation {m.elevation:.2f}±{m.tolerance:g}°" if m.elevation is not None else ""
        if m.azimuth is not None:
            what += f"{', ' if what else ''}azimuth {m.azimuth:.1f}±{m.azimuth_tolerance:g}°"
        when = (f"{self.local_time.isoformat()} local" if self.local_time is not None
                else iso(self.time_utc) if self.time_utc else "")
        points = []
        if self.subsolar is not None and self.bounds.contains(*self.subsolar):
            points.append(MapPoint(self.subsolar[0], self.subsolar[1], "subsolar point", color=(240, 180, 0)))
        return render_map(self.bounds, width, layers=[MapLayer(self.mask, self.bounds, color=(220, 40, 20), alpha=0.75)],
                          points=points, title=f"Where the sun matches: {what} at {when}",
                          legend=[(f"{self.cells} matching cells of {self.step:g}°", (220, 40, 20))])


def grid_axes(bounds: Bounds, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Cell-centre latitudes (north first) and longitudes of a ``step``-degree grid."""
    if not (MIN_STEP <= step <= 10):
        raise ValueError(f"grid step must be within [{MIN_STEP}, 10] degrees")
    rows = max(1, int(round(bounds.height_deg / step)))
    cols = max(1, int(round(bounds.width_deg / step)))
    if rows * cols > MAX_CELLS:
        raise ValueError(f"{rows * cols} cells is more than {MAX_CELLS}; use a coarser step or smaller bounds")
    lats = bounds.north - (np.arange(rows) + 0.5) * step
    lons = bounds.west + (np.arange(cols) + 0.5) * step
    return lats, lons


def _band(m: Measurement, apparent: bool) -> tuple[float, float] | None:
    if m.elevation is None:
        return None
    lo, hi = m.elevation - m.tolerance, m.elevation + m.tolerance
    if apparent:
        lo, hi = geometric_from_apparent(max(lo, -0.5)), geometric_from_apparent(hi)
    return lo, hi


def _match_grid(inst: SunInstant, lats: np.ndarray, lons: np.ndarray, m: Measurement,
                band: tuple[float, float] | None) -> np.ndarray:
    g = sun_grid(inst, lats, lons, azimuth=m.azimuth is not None)
    ok = g.elevation > 0.0
    if band is not None:
        ok &= (g.elevation >= band[0]) & (g.elevation <= band[1])
    if m.azimuth is not None and g.azimuth is not None:
        ok &= np.abs(angle_diff(g.azimuth, m.azimuth)) <= m.azimuth_tolerance
    return ok


def where_utc(time: datetime, m: Measurement, *, step: float = 0.1, bounds: Bounds = WORLD,
              apparent: bool = True) -> WhereResult:
    """Cells where the sun matches ``m`` at one UTC instant.

    Parameters
    ----------
    time : datetime
        Aware instant.
    m : Measurement
        Elevation ± tolerance (apparent) and/or azimuth ± tolerance.
    step : float
        Grid step (degrees).
    bounds : Bounds
        Area searched.
    apparent : bool
        Treat the measured elevation as apparent (refracted), as a shadow shows it.

    Returns
    -------
    WhereResult

    Notes
    -----
    Cells are at sea level; matching uses the sun at the cell centre. The ring of equal
    elevation is a circle of angular radius 90° − e around the subsolar point.
    """
    if time.tzinfo is None:
        raise ValueError("the time must be timezone-aware (or use where_local)")
    inst = sun_instant(time)
    lats, lons = grid_axes(bounds, step)
    band = _band(m, apparent)
    mask = _match_grid(inst, lats, lons, m, band)
    notes = []
    if m.elevation is not None and m.elevation > 85:
        notes.append("the sun is near the zenith: the ring shrinks to a small disc around the subsolar point")
    return WhereResult(mask, bounds, step, m, time.astimezone(UTC), None, inst.subsolar, band, notes)


def where_local(local: datetime, m: Measurement, *, step: float = 0.1, bounds: Bounds = WORLD,
                apparent: bool = True, zone_step: float = 0.5) -> WhereResult:
    """Cells where the sun matches ``m`` when each cell's clocks showed ``local``.

    Each cell's UTC offset comes from :func:`verilens.time.timezones.utc_offset_grid`
    (IANA zones on a ``zone_step`` grid plus the occupied-territory overrides); cells are
    grouped by offset and the sun computed once per group.

    Parameters
    ----------
    local : datetime
        Wall-clock time (any tzinfo is dropped).
    m : Measurement
    step : float
        Grid step (degrees).
    bounds : Bounds
    apparent : bool
        Treat the measured elevation as apparent (refracted).
    zone_step : float
        Resolution of the time-zone grid (degrees).

    Returns
    -------
    WhereResult
        ``time_utc`` is None (each cell has its own instant); ``local_time`` is set.

    Notes
    -----
    Zone borders are good to about ``zone_step`` degrees; cells without a zone (none on
    land) are left out.
    """
    from .timezones import utc_offset_grid

    naive = local.replace(tzinfo=None)
    lats, lons = grid_axes(bounds, step)
    offsets = utc_offset_grid(naive, lats, lons, step=zone_step)
    band = _band(m, apparent)
    mask = np.zeros(offsets.shape, dtype=bool)
    for off in np.unique(offsets[np.isfinite(offsets)]):
        group = offsets == off
        cols = np.flatnonzero(group.any(axis=0))
        rows = np.flatnonzero(group.any(axis=1))
        r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        t = (naive - timedelta(minutes=float(off))).replace(tzinfo=UTC)
        sub = _match_grid(sun_instant(t), lats[r0:r1], lons[c0:c1], m, band)
        mask[r0:r1, c0:c1] |= sub & group[r0:r1, c0:c1]
    notes = [f"local clock time {naive.isoformat()} read in each cell's time zone "
             f"(zone grid {zone_step:g}°, occupied-territory overrides applied)"]
    return WhereResult(mask, bounds, step, m, None, naive, None, band, notes)


def ring_latitudes(dec: float, elevation: float) -> list[float]:
    """Latitudes where a ring of equal sun elevation crosses the subsolar meridian."""
    return [v for v in (dec + 90.0 - elevation, dec - 90.0 + elevation) if -90.0 <= v <= 90.0 and math.isfinite(v)]


__all__ = ["MAX_CELLS", "WhereResult", "grid_axes", "ring_latitudes", "where_local", "where_utc"]
