"""Sun position with NREL SPA accuracy (pvlib), vectorised over times and over grids.

Two entry points:

- :func:`sun_position` — many times at one place: pvlib's NumPy implementation of the
  NREL Solar Position Algorithm, unchanged (±0.0003° over -2000..6000).
- :func:`sun_grid` — one instant over a latitude × longitude grid: the time-only part of
  SPA (nutation, aberration, sidereal time, right ascension, declination, radius vector)
  is computed once with pvlib, and each cell then needs only spherical trigonometry on
  separable row and column terms, plus the topocentric parallax correction in elevation.
  This is what makes a global 0.1° grid (6.5 M cells) cheap.

Angles are degrees; azimuths clockwise from true north; elevations above the horizon.
"Geometric" elevation is topocentric without atmospheric refraction; "apparent" adds
SPA's refraction model (what a shadow actually shows).

References
----------
Reda, I. and Andreas, A. (2004), Solar position algorithm for solar radiation
applications, Solar Energy 76(5), 577-589; NREL/TP-560-34302 (rev. 2008).
Holmgren, W. F., Hansen, C. W. and Mikofski, M. A. (2018), pvlib python, JOSS 3(29), 884.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from pvlib import spa

#: Standard atmosphere used when the local pressure/temperature are unknown.
STD_PRESSURE_HPA = 1013.25
STD_TEMPERATURE_C = 12.0
#: Sun's apparent radius plus horizon refraction (degrees), SPA's default ``atmos_refract``.
ATMOS_REFRACT = 0.5667


def to_utc_index(times: Any) -> pd.DatetimeIndex:
    """Times (datetimes, ISO strings, numpy datetime64, pandas) as a UTC DatetimeIndex.

    Naive values are taken as UTC. Raises ``ValueError`` for unparseable input.
    """
    if isinstance(times, (str, datetime, np.datetime64, pd.Timestamp)):
        times = [times]
    try:
        idx = pd.DatetimeIndex(pd.to_datetime(list(times) if not isinstance(times, pd.DatetimeIndex) else times,
                                              utc=True, format="ISO8601" if _all_str(times) else None))
    except (pd.errors.OutOfBoundsDatetime, OverflowError) as exc:
        raise ValueError("times must lie between the years 1678 and 2261") from exc
    if len(idx) and (idx.min().year < 1678 or idx.max().year > 2261):
        # pandas 3 parses such years; pvlib's SPA arithmetic still needs nanosecond times
        raise ValueError("times must lie between the years 1678 and 2261")
    return idx.tz_convert("UTC")


def _all_str(times: Any) -> bool:
    try:
        return all(isinstance(t, str) for t in times)
    except TypeError:
        return False


def unix_seconds(times: pd.DatetimeIndex) -> np.ndarray:
    """Seconds since 1970-01-01 UTC as float64 (exact to the microsecond, whatever the unit)."""
    return (times.tz_convert("UTC").tz_localize(None) - pd.Timestamp("1970-01-01")).total_seconds().to_numpy()


def delta_t_for(times: pd.DatetimeIndex) -> np.ndarray:
    """ΔT = TT − UT1 (seconds) from pvlib's polynomial (Espenak & Meeus)."""
    return np.asarray(spa.calculate_deltat(times.year.to_numpy(), times.month.to_numpy()), dtype=np.float64)


def refraction(e0: Any, pressure_hpa: float = STD_PRESSURE_HPA, temperature_c: float = STD_TEMPERATURE_C) -> np.ndarray:
    """SPA's atmospheric refraction correction (degrees) for geometric elevation ``e0``.

    Zero when the sun is below −(0.26667° + 0.5667°), as in SPA.
    """
    e0 = np.asarray(e0, dtype=np.float64)
    return np.asarray(spa.atmospheric_refraction_correction(pressure_hpa, temperature_c, e0, ATMOS_REFRACT))


def geometric_from_apparent(apparent: float, pressure_hpa: float = STD_PRESSURE_HPA,
                            temperature_c: float = STD_TEMPERATURE_C) -> float:
    """Invert SPA's refraction: the geometric elevation whose apparent elevation is ``apparent``.

    Solved by fixed-point iteration (the correction changes slowly with elevation);
    converges to 1e-9° above −0.5°.
    """
    g = float(apparent)
    for _ in range(50):
        nxt = float(apparent) - float(refraction(g, pressure_hpa, temperature_c))
        if abs(nxt - g) < 1e-10:
            return nxt
        g = nxt
    return g


@dataclass(frozen=True)
class SunPosition:
    """Sun positions (arrays of the same shape; degrees).

    Attributes
    ----------
    azimuth : ndarray
        Clockwise from true north.
    elevation : ndarray
        Topocentric geometric elevation (no refraction).
    apparent_elevation : ndarray
        With SPA's refraction for the given pressure and temperature.
    shadow_bearing : ndarray
        Direction in which a vertical object's shadow points (azimuth + 180°, mod 360).
    shadow_ratio : ndarray
        Shadow length per unit of object height, ``1 / tan(apparent elevation)``;
        NaN when the sun is at or below the horizon.
    equation_of_time_min : ndarray or None
        Equation of time (minutes), when computed.
    """

    azimuth: np.ndarray
    elevation: np.ndarray
    apparent_elevation: np.ndarray
    shadow_bearing: np.ndarray
    shadow_ratio: np.ndarray
    equation_of_time_min: np.ndarray | None = None

    def row(self, i: int = 0) -> dict[str, float | None]:
        """One position as the contract's ``verilens sun`` object (rounded to 1e-6)."""

        def f(a: np.ndarray) -> float | None:
            v = float(np.ravel(a)[i])
            return round(v, 6) if math.isfinite(v) else None

        return {"azimuth": f(self.azimuth), "elevation": f(self.elevation),
                "apparent_elevation": f(self.apparent_elevation),
                "shadow_bearing": f(self.shadow_bearing), "shadow_ratio": f(self.shadow_ratio)}


def shadow_ratio(apparent_elevation: Any) -> np.ndarray:
    """Shadow length per unit height of a vertical object on level ground (NaN at night)."""
    e = np.asarray(apparent_elevation, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = 1.0 / np.tan(np.radians(e))
    return np.where(e > 0, r, np.nan)


def sun_position(times: Any, lat: float, lon: float, *, altitude_m: float = 0.0,
                 pressure_hpa: float = STD_PRESSURE_HPA, temperature_c: float = STD_TEMPERATURE_C,
                 delta_t: float | Sequence[float] | None = None) -> SunPosition:
    """Sun position at one place for many times (NREL SPA via pvlib, NumPy).

    Parameters
    ----------
    times : datetime, str, array_like or pandas.DatetimeIndex
        Instants; naive values are UTC.
    lat, lon : float
        Observer latitude and longitude (degrees, WGS84, north/east positive).
    altitude_m : float
        Observer height above sea level (m).
    pressure_hpa, temperature_c : float
        Local air pressure (hPa) and temperature (°C) for refraction.
    delta_t : float, array_like or None
        TT − UT1 in seconds; None uses pvlib's Espenak–Meeus polynomial per time.

    Returns
    -------
    SunPosition

    Notes
    -----
    SPA's stated uncertainty is ±0.0003° for years −2000..6000, given exact ΔT.
    Refraction uses SPA's formula (Bennett-type) and is unreliable within ~1° of the
    horizon, where real refraction varies with the weather.

    References
    ----------
    Reda & Andreas (2004), NREL/TP-560-34302.
    """
    if not (-90 <= lat <= 90 and -180 <= lon <= 180 and math.isfinite(lat) and math.isfinite(lon)):
        raise ValueError("latitude must be within ±90 and longitude within ±180")
    idx = to_utc_index(times)
    ut = unix_seconds(idx)
    dt = delta_t_for(idx) if delta_t is None else np.broadcast_to(np.asarray(delta_t, dtype=np.float64), ut.shape)
    theta, theta0, e, e0, phi, eot = spa.solar_position_numpy(
        ut, lat, lon, altitude_m, pressure_hpa, temperature_c, dt, ATMOS_REFRACT, 1)
    e = np.asarray(e, dtype=np.float64)
    az = np.asarray(phi, dtype=np.float64)
    return SunPosition(azimuth=az, elevation=np.asarray(e0, dtype=np.float64), apparent_elevation=e,
                       shadow_bearing=(az + 180.0) % 360.0, shadow_ratio=shadow_ratio(e),
                       equation_of_time_min=np.asarray(eot, dtype=np.float64))


@dataclass(frozen=True)
class SunInstant:
    """The time-only part of SPA for one instant (degrees; ``radius_au`` in AU).

    ``sidereal`` is the apparent sidereal time at Greenwich, ``ra``/``dec`` the geocentric
    apparent right ascension and declination, ``parallax`` the equatorial horizontal
    parallax ξ, ``eot_min`` the equation of time (minutes).
    """

    time: datetime
    sidereal: float
    ra: float
    dec: float
    radius_au: float
    parallax: float
    eot_min: float

    @property
    def subsolar(self) -> tuple[float, float]:
        """(lat, lon) where the sun is in the geocentric zenith."""
        lon = (self.ra - self.sidereal + 180.0) % 360.0 - 180.0
        return self.dec, lon


def sun_instant(time: Any, delta_t: float | None = None) -> SunInstant:
    """Compute SPA's time-only quantities for one instant (see :class:`SunInstant`)."""
    idx = to_utc_index(time)
    if len(idx) != 1:
        raise ValueError("sun_instant takes exactly one instant")
    ut = unix_seconds(idx)
    dt = delta_t_for(idx) if delta_t is None else np.array([float(delta_t)])
    v, alpha, delta = spa.solar_position_numpy(ut, 0.0, 0.0, 0.0, 0.0, 0.0, dt, ATMOS_REFRACT, 1, sst=True)
    (radius,) = spa.solar_position_numpy(ut, 0.0, 0.0, 0.0, 0.0, 0.0, dt, ATMOS_REFRACT, 1, esd=True)
    *_, eot = spa.solar_position_numpy(ut, 0.0, 0.0, 0.0, STD_PRESSURE_HPA, STD_TEMPERATURE_C, dt, ATMOS_REFRACT, 1)
    r = float(np.ravel(radius)[0])
    return SunInstant(time=idx[0].to_pydatetime().astimezone(UTC), sidereal=float(np.ravel(v)[0]),
                      ra=float(np.ravel(alpha)[0]), dec=float(np.ravel(delta)[0]), radius_au=r,
                      parallax=8.794 / (3600.0 * r), eot_min=float(np.ravel(eot)[0]))


@dataclass(frozen=True)
class SunGrid:
    """Sun over a grid at one instant: arrays (rows = ``lats``, columns = ``lons``).

    ``elevation`` is topocentric geometric elevation (degrees, float32 to halve memory —
    its rounding, ≤ 4e-6°, is far below SPA's own uncertainty); ``azimuth`` is None when
    not asked for.
    """

    lats: np.ndarray
    lons: np.ndarray
    elevation: np.ndarray
    azimuth: np.ndarray | None
    instant: SunInstant


def sun_grid(time: Any | SunInstant, lats: Any, lons: Any, *, azimuth: bool = False,
             delta_t: float | None = None, chunk_rows: int = 64) -> SunGrid:
    """Sun elevation (and azimuth) at one instant over a latitude × longitude grid.

    Parameters
    ----------
    time : instant or SunInstant
        UTC instant (naive = UTC), or a precomputed :func:`sun_instant`.
    lats, lons : array_like, 1-D
        Row latitudes and column longitudes of the grid (degrees).
    azimuth : bool
        Also compute the azimuth (one ``arctan2`` per cell more).
    delta_t : float or None
        TT − UT1 (s); None uses pvlib's polynomial.
    chunk_rows : int
        Rows processed at once (keeps temporaries in cache).

    Returns
    -------
    SunGrid

    Notes
    -----
    The geocentric elevation follows from
    ``sin e = sin φ sin δ + cos φ cos δ cos H`` with the hour angle ``H`` depending on the
    column only and the latitude terms on the row only; SPA's topocentric parallax is
    then applied as ``e − ξ ρ cos e`` (ρ the geocentric distance of the sea-level observer
    in Earth radii), which matches SPA's exact parallax rotation to better than 1e-6°.
    Cells are at sea level (observer altitude only moves the sun by ~1e-7° per km).
    Azimuth uses SPA's astronomers' azimuth formula with the geocentric declination; the
    parallax changes azimuth by less than 1e-5°. Both degrade within ~0.01° of the zenith,
    where azimuth is undefined anyway.

    References
    ----------
    Reda & Andreas (2004), NREL/TP-560-34302, sections 3.12-3.14.
    """
    inst = time if isinstance(time, SunInstant) else sun_instant(time, delta_t)
    la = np.asarray(lats, dtype=np.float64).ravel()
    lo = np.asarray(lons, dtype=np.float64).ravel()
    d = math.radians(inst.dec)
    sin_d, cos_d, tan_d = math.sin(d), math.cos(d), math.tan(d)
    h = np.radians((inst.sidereal + lo - inst.ra) % 360.0)
    cos_h = np.cos(h)
    sin_h = np.sin(h)
    phi = np.radians(la)
    sin_p = np.sin(phi)
    cos_p = np.cos(phi)
    # geocentric distance of the sea-level observer (Earth radii), SPA's u/x/y terms
    u = np.arctan(0.99664719 * np.tan(phi))
    rho = np.hypot(np.cos(u), 0.99664719 * np.sin(u))
    xi = math.radians(inst.parallax)
    a_row = (sin_p * sin_d)[:, None]
    b_row = (cos_p * cos_d)[:, None]
    rho_xi = (rho * xi)[:, None]
    cos_h_c = cos_h[None, :]
    elev = np.empty((la.size, lo.size), dtype=np.float32)
    az = np.empty((la.size, lo.size), dtype=np.float32) if azimuth else None
    if azimuth:
        # float32 is enough here: rounding moves the azimuth by < 1e-4° except within ~0.1° of
        # the zenith, where the azimuth is undefined anyway
        c_row = sin_p[:, None].astype(np.float32)
        t_row = (tan_d * cos_p)[:, None].astype(np.float32)
        sin_h_c = sin_h[None, :].astype(np.float32)
        cos_h_c32 = cos_h[None, :].astype(np.float32)
    for r0 in range(0, la.size, max(1, chunk_rows)):
        r1 = min(la.size, r0 + chunk_rows)
        s = a_row[r0:r1] + b_row[r0:r1] * cos_h_c
        np.clip(s, -1.0, 1.0, out=s)
        e = np.arcsin(s)
        # parallax in elevation: e_topo = e - rho*xi*cos(e)
        e -= rho_xi[r0:r1] * np.sqrt(1.0 - s * s)
        elev[r0:r1] = np.degrees(e)
        if az is not None:
            g = np.arctan2(sin_h_c, cos_h_c32 * c_row[r0:r1] - t_row[r0:r1])
            g *= np.float32(180.0 / math.pi)
            g += np.float32(180.0)
            az[r0:r1] = g
    return SunGrid(lats=la, lons=lo, elevation=elev, azimuth=az, instant=inst)


def solar_noon(date_utc: Any, lat: float, lon: float, delta_t: float | None = None) -> datetime:
    """UTC time of the sun's transit at (lat, lon) on a UTC date (SPA transit).

    Returns
    -------
    datetime (aware, UTC)
    """
    import pvlib.solarposition as sp

    idx = to_utc_index(pd.Timestamp(date_utc).strftime("%Y-%m-%d"))
    dt = float(delta_t_for(idx)[0]) if delta_t is None else float(delta_t)
    res = sp.sun_rise_set_transit_spa(idx, lat, lon, delta_t=dt)
    t = pd.Timestamp(res["transit"].iloc[0]).tz_convert("UTC").round("s")
    return t.to_pydatetime()


__all__ = ["ATMOS_REFRACT", "STD_PRESSURE_HPA", "STD_TEMPERATURE_C", "SunGrid", "SunInstant", "SunPosition",
           "geometric_from_apparent", "refraction", "shadow_ratio", "solar_noon", "sun_grid", "sun_instant",
           "sun_position", "to_utc_index", "unix_seconds"]
