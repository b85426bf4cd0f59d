"""Geodesic distance and bearing on the WGS84 ellipsoid (pure functions)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from pyproj import Geod


@lru_cache(maxsize=1)
def _geod() -> Geod:
    return Geod(ellps="WGS84")


@dataclass(frozen=True)
class Leg:
    """The geodesic from one point to another.

    Attributes
    ----------
    distance_km : float
        Geodesic length in kilometres (WGS84 ellipsoid).
    bearing_deg : float
        Initial azimuth at the start point, degrees clockwise from true north, 0..360.
    """

    distance_km: float
    bearing_deg: float


def geodesic(lat1: float, lon1: float, lat2: float, lon2: float) -> Leg:
    """Distance and initial bearing from point 1 to point 2.

    Parameters
    ----------
    lat1, lon1 : float
        Start point, decimal degrees (WGS84), north and east positive.
    lat2, lon2 : float
        End point, decimal degrees (WGS84).

    Returns
    -------
    Leg
        Distance in km and initial bearing in degrees (0..360, clockwise from north).

    Raises
    ------
    ValueError
        Coordinates not finite or out of range.

    Notes
    -----
    Solved with Karney's algorithm (pyproj's ``Geod.inv``), accurate to nanometres on the
    ellipsoid; the limit is the accuracy of the coordinates themselves (consumer GPS: metres
    to tens of metres). For coincident points the bearing is 0.

    References
    ----------
    C. F. F. Karney, "Algorithms for geodesics", J. Geodesy 87, 43-55 (2013).
    """
    for lat, lon in ((lat1, lon1), (lat2, lon2)):
        if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180:
            raise ValueError(f"coordinates out of range: {lat}, {lon}")
    az12, _az21, dist_m = _geod().inv(lon1, lat1, lon2, lat2)
    if dist_m == 0:
        az12 = 0.0
    return Leg(distance_km=float(dist_m) / 1000.0, bearing_deg=float(az12) % 360.0)


def destination(lat: float, lon: float, bearing_deg: float, distance_km: float) -> tuple[float, float]:
    """The point reached from (lat, lon) along a geodesic (for tests and map rings).

    Parameters
    ----------
    lat, lon : float
        Start, decimal degrees.
    bearing_deg : float
        Initial azimuth, degrees clockwise from north.
    distance_km : float
        Length, km.

    Returns
    -------
    (lat, lon) : tuple of float
    """
    lon2, lat2, _ = _geod().fwd(lon, lat, bearing_deg, distance_km * 1000.0)
    return float(lat2), float(lon2)


_COMPASS = ("N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW")


def compass(bearing_deg: float) -> str:
    """16-point compass name of a bearing (``"NE"`` for 45°)."""
    return _COMPASS[int((bearing_deg % 360) / 22.5 + 0.5) % 16]
