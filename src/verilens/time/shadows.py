"""Shadow measurements → sun elevation (and its uncertainty).

Three ways in: a measured elevation, an object height with its shadow length, or three
pixel points in a picture (the base and top of a vertical object and the tip of its
shadow). Each becomes a :class:`Measurement` carrying the apparent sun elevation, a
tolerance in degrees, an optional shadow azimuth, and the assumptions it rests on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import UsageError

#: Default tolerance (degrees) when none is given.
DEFAULT_TOLERANCE = 1.0

ASSUMPTIONS_LENGTHS = (
    "the object is vertical and the ground it casts its shadow on is level",
    "the shadow length is measured from the object's foot to the shadow of its highest point",
)
ASSUMPTIONS_POINTS = (
    "the object is vertical and the ground is level",
    "the camera looks square-on at both the object and its shadow (both lie in a plane "
    "parallel to the picture): any tilt or foreshortening biases the ratio",
    "no lens distortion near the points; base, top and shadow tip are marked precisely",
)


@dataclass(frozen=True)
class Measurement:
    """What the shadow says about the sun.

    Attributes
    ----------
    elevation : float or None
        Apparent sun elevation (degrees) the shadow implies.
    tolerance : float
        ± degrees around ``elevation`` to accept.
    azimuth : float or None
        Sun azimuth (degrees from north), i.e. shadow bearing − 180°, when measured.
    azimuth_tolerance : float
    source : str
        ``elevation``, ``lengths`` or ``points``.
    assumptions : tuple of str
    inputs : dict
    """

    elevation: float | None
    tolerance: float = DEFAULT_TOLERANCE
    azimuth: float | None = None
    azimuth_tolerance: float = 3.0
    source: str = "elevation"
    assumptions: tuple[str, ...] = ()
    inputs: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"elevation": None if self.elevation is None else round(self.elevation, 6),
                "tolerance": self.tolerance, "azimuth": self.azimuth,
                "azimuth_tolerance": self.azimuth_tolerance, "source": self.source,
                "assumptions": list(self.assumptions), "inputs": self.inputs}


def _finite(name: str, v: Any) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"{name} must be a number, not {v!r}") from exc
    if not math.isfinite(f):
        raise UsageError(f"{name} must be a finite number")
    return f


def elevation_from_lengths(object_height: float, shadow_length: float) -> float:
    """Sun elevation (degrees) from a vertical object's height and its shadow's length.

    ``atan(height / length)``; units cancel (use the same for both).
    """
    h = _finite("object height", object_height)
    s = _finite("shadow length", shadow_length)
    if h <= 0 or s <= 0:
        raise UsageError("object height and shadow length must both be positive")
    return math.degrees(math.atan2(h, s))


def elevation_tolerance_from_lengths(object_height: float, shadow_length: float, rel_error: float) -> float:
    """± degrees of elevation for a relative error ``rel_error`` on the height/length ratio.

    d(atan r) = dr / (1 + r²), with dr = r · rel_error.
    """
    r = object_height / shadow_length
    return math.degrees(r * rel_error / (1.0 + r * r))


def elevation_from_points(base: Sequence[float], top: Sequence[float], tip: Sequence[float]) -> float:
    """Sun elevation (degrees) from pixel points of a vertical object and its shadow.

    Parameters
    ----------
    base, top, tip : (x, y)
        Pixel coordinates of the object's foot, its top, and the tip of its shadow.

    Returns
    -------
    float
        ``atan(|top − base| / |tip − base|)``.

    Notes
    -----
    Valid only under :data:`ASSUMPTIONS_POINTS`: a square-on view in which object and
    shadow are not foreshortened. A picture taken from above shortens the object and a
    shadow running towards or away from the camera is shortened: the error can be many
    degrees. Prefer measured lengths (or a satellite image's known sun elevation).
    """
    try:
        bx, by = (float(v) for v in base)
        tx, ty = (float(v) for v in top)
        sx, sy = (float(v) for v in tip)
    except (TypeError, ValueError) as exc:
        raise UsageError("points must be [x, y] pairs of numbers") from exc
    if not all(math.isfinite(v) for v in (bx, by, tx, ty, sx, sy)):
        raise UsageError("points must be finite")
    h = math.hypot(tx - bx, ty - by)
    s = math.hypot(sx - bx, sy - by)
    if h < 1 or s < 1:
        raise UsageError("object and shadow must each be at least one pixel long")
    return math.degrees(math.atan2(h, s))


def parse_points(text: str) -> dict[str, list[float]]:
    """``"bx,by;tx,ty;sx,sy"`` (base; top; shadow tip, pixels) → dict of points."""
    parts = [p for p in str(text).replace(" ", "").split(";") if p]
    if len(parts) != 3:
        raise UsageError("--shadow-points wants 'BASE_X,BASE_Y;TOP_X,TOP_Y;TIP_X,TIP_Y' (pixels)")
    pts = []
    for p in parts:
        xy = p.split(",")
        if len(xy) != 2:
            raise UsageError(f"bad point {p!r}: want X,Y")
        pts.append([_finite("point coordinate", xy[0]), _finite("point coordinate", xy[1])])
    return {"base": pts[0], "top": pts[1], "tip": pts[2]}


def measurement_from(spec: Mapping[str, Any] | None, *, default_tolerance: float = DEFAULT_TOLERANCE) -> Measurement | None:
    """Build a :class:`Measurement` from a shadow dict (``Options.shadow`` shape).

    Keys: ``elevation``; or ``object_height`` + ``shadow_length``; or ``points``
    (``{"base": [x, y], "top": [x, y], "tip": [x, y]}``); optional ``tolerance``,
    ``azimuth`` (sun azimuth) or ``shadow_bearing``, ``azimuth_tolerance``.
    Returns None when the dict holds no elevation information and no azimuth.

    Raises
    ------
    UsageError
        Contradictory or malformed values.
    """
    if not spec:
        return None
    tol = _finite("tolerance", spec.get("tolerance", default_tolerance))
    if not 0 < tol <= 45:
        raise UsageError("tolerance must be within (0, 45] degrees")
    az = spec.get("azimuth")
    if az is None and spec.get("shadow_bearing") is not None:
        az = (_finite("shadow bearing", spec["shadow_bearing"]) + 180.0) % 360.0
    az_f = None if az is None else _finite("azimuth", az) % 360.0
    az_tol = _finite("azimuth tolerance", spec.get("azimuth_tolerance", 3.0))
    has_e = spec.get("elevation") is not None
    has_l = spec.get("object_height") is not None or spec.get("shadow_length") is not None
    has_p = spec.get("points") is not None
    if has_e + has_l + has_p > 1:
        raise UsageError("give the elevation, or object height + shadow length, or points: only one of them")
    inputs = {k: spec[k] for k in ("elevation", "object_height", "shadow_length", "points") if spec.get(k) is not None}
    if has_e:
        e = _finite("elevation", spec["elevation"])
        if not 0 < e <= 90:
            raise UsageError("elevation must be within (0, 90] degrees: a shadow needs the sun above the horizon")
        return Measurement(e, tol, az_f, az_tol, "elevation", (), inputs)
    if has_l:
        if spec.get("object_height") is None or spec.get("shadow_length") is None:
            raise UsageError("give both the object height and the shadow length")
        e = elevation_from_lengths(spec["object_height"], spec["shadow_length"])
        return Measurement(e, tol, az_f, az_tol, "lengths", ASSUMPTIONS_LENGTHS, inputs)
    if has_p:
        pts = spec["points"]
        if isinstance(pts, str):
            pts = parse_points(pts)
        if not isinstance(pts, Mapping) or not {"base", "top", "tip"} <= set(pts):
            raise UsageError("points need base, top and tip")
        e = elevation_from_points(pts["base"], pts["top"], pts["tip"])
        inputs["points"] = {k: list(pts[k]) for k in ("base", "top", "tip")}
        return Measurement(e, tol, az_f, az_tol, "points", ASSUMPTIONS_POINTS, inputs)
    if az_f is not None:
        return Measurement(None, tol, az_f, az_tol, "azimuth", (), inputs)
    return None


__all__ = ["ASSUMPTIONS_LENGTHS", "ASSUMPTIONS_POINTS", "DEFAULT_TOLERANCE", "Measurement",
           "elevation_from_lengths", "elevation_from_points", "elevation_tolerance_from_lengths",
           "measurement_from", "parse_points"]
