"""Moon position and phase with Skyfield and the JPL DE421 ephemeris shipped in skyfield-data.

Nothing is downloaded: the ephemeris file comes with the ``skyfield-data`` package and the
time scale uses Skyfield's built-in ΔT/leap-second tables.

References
----------
Rhodes, B. (2019), Skyfield: High precision research-grade positions for planets and Earth
satellites generator, Astrophysics Source Code Library ascl:1907.024.
Folkner, W. M. et al. (2008), The Planetary and Lunar Ephemeris DE 421, JPL IOM 343R-08-003.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import CheckUnavailable
from .sun import to_utc_index

#: DE421 covers 1899-07-29 .. 2053-10-09.
EPHEMERIS = "de421.bsp"

_PHASES = ("new moon", "waxing crescent", "first quarter", "waxing gibbous",
           "full moon", "waning gibbous", "last quarter", "waning crescent")


@lru_cache(maxsize=1)
def _sky() -> tuple[Any, Any]:
    import warnings

    from skyfield.api import Loader
    from skyfield_data import get_skyfield_data_path

    with warnings.catch_warnings():  # it warns that its Earth-orientation table is old; we use builtin
        warnings.simplefilter("ignore", RuntimeWarning)
        path = Path(get_skyfield_data_path())
    if not (path / EPHEMERIS).is_file():
        raise CheckUnavailable(f"the moon ephemeris {EPHEMERIS} is missing from skyfield-data ({path})")
    load = Loader(str(path), verbose=False)
    ts = load.timescale(builtin=True)
    eph = load(EPHEMERIS)
    return ts, eph


@dataclass(frozen=True)
class MoonPosition:
    """Moon seen from a place (arrays; degrees).

    Attributes
    ----------
    azimuth, elevation : ndarray
        Topocentric, clockwise from north; elevation without refraction.
    illuminated : ndarray
        Fraction of the disc lit (0..1).
    phase_angle : ndarray
        Ecliptic longitude of the moon minus that of the sun (0 new, 90 first quarter,
        180 full, 270 last quarter).
    phase_name : list of str
    """

    azimuth: np.ndarray
    elevation: np.ndarray
    illuminated: np.ndarray
    phase_angle: np.ndarray
    phase_name: list[str]

    def row(self, i: int = 0) -> dict[str, Any]:
        return {"azimuth": round(float(self.azimuth[i]), 4), "elevation": round(float(self.elevation[i]), 4),
                "illuminated": round(float(self.illuminated[i]), 4),
                "phase_angle": round(float(self.phase_angle[i]), 3), "phase": self.phase_name[i]}


def phase_name(phase_angle: float) -> str:
    """Name of the phase for a moon-minus-sun ecliptic longitude (degrees)."""
    return _PHASES[int(((phase_angle % 360.0) + 22.5) // 45.0) % 8]


def moon_position(times: Any, lat: float, lon: float, altitude_m: float = 0.0) -> MoonPosition:
    """Topocentric moon position, lit fraction and phase for times at one place.

    Parameters
    ----------
    times : instant(s)
        Naive values are UTC.
    lat, lon : float
        Degrees (WGS84).
    altitude_m : float
        Observer height (m).

    Returns
    -------
    MoonPosition

    Notes
    -----
    Accurate to well under an arcminute within DE421's span (1900-2053); outside it
    Skyfield raises and this function reports a ``ValueError``.
    """
    from skyfield.api import wgs84
    from skyfield.framelib import ecliptic_frame

    ts, eph = _sky()
    idx = to_utc_index(times)
    t = ts.from_datetimes(list(idx.to_pydatetime()))
    earth, moon, sun = eph["earth"], eph["moon"], eph["sun"]
    obs = earth + wgs84.latlon(lat, lon, elevation_m=altitude_m)
    try:
        app = obs.at(t).observe(moon).apparent()
    except Exception as exc:  # EphemerisRangeError and friends
        raise ValueError(f"moon position unavailable for these times: {exc}") from exc
    alt, az, _ = app.altaz()
    e = earth.at(t)
    _, slon, _ = e.observe(sun).apparent().frame_latlon(ecliptic_frame)
    _, mlon, _ = e.observe(moon).apparent().frame_latlon(ecliptic_frame)
    pa = np.atleast_1d((mlon.degrees - slon.degrees) % 360.0)
    lit = np.atleast_1d(app.fraction_illuminated(sun))
    return MoonPosition(azimuth=np.atleast_1d(az.degrees), elevation=np.atleast_1d(alt.degrees),
                        illuminated=lit, phase_angle=pa, phase_name=[phase_name(float(p)) for p in pa])


__all__ = ["MoonPosition", "moon_position", "phase_name"]
