"""From three points clicked on a picture to a sun elevation (pure geometry, no I/O).

The shadow tool of the web app asks the analyst to click the base and the top of a vertical
object and the tip of its shadow. This module turns those pixel positions into the object
height and shadow length in pixels, the sun elevation they imply, and an uncertainty that
grows when the segments are short (a click is never exact).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

#: Click uncertainty assumed for each point, in pixels of the original picture (1-sigma).
CLICK_SIGMA_PX = 2.0
#: Smallest tolerance reported, in degrees: the flat-ground / no-perspective assumptions
#: below are never exact, so the engine always gets at least this much slack.
MIN_TOLERANCE_DEG = 2.0


@dataclass(frozen=True)
class ShadowGeometry:
    """What three clicked points say about the sun.

    Attributes
    ----------
    object_height_px : float
        Distance from base to top, in image pixels.
    shadow_length_px : float
        Distance from base to shadow tip, in image pixels.
    elevation_deg : float
        Sun elevation implied by ``atan(height / length)``, in degrees above the horizon.
    tolerance_deg : float
        Half-width of the elevation interval to search, in degrees: the larger of the
        requested tolerance, :data:`MIN_TOLERANCE_DEG` and twice the click-error propagation.
    click_error_deg : float
        One-sigma elevation error from :data:`CLICK_SIGMA_PX` on each point, in degrees.
    shadow_direction_image_deg : float
        Direction of the shadow in the picture, degrees clockwise from the picture's "up".
        Not a compass bearing: turning it into one needs the camera heading.
    notes : list of str
        The assumptions behind the numbers, in plain words.
    """

    object_height_px: float
    shadow_length_px: float
    elevation_deg: float
    tolerance_deg: float
    click_error_deg: float
    shadow_direction_image_deg: float
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "object_height_px": round(self.object_height_px, 2),
            "shadow_length_px": round(self.shadow_length_px, 2),
            "elevation": round(self.elevation_deg, 3),
            "tolerance": round(self.tolerance_deg, 3),
            "click_error_deg": round(self.click_error_deg, 3),
            "shadow_direction_image_deg": round(self.shadow_direction_image_deg, 1),
            "notes": list(self.notes),
        }


def _point(p: Sequence[float], name: str) -> tuple[float, float]:
    if len(p) != 2:
        raise ValueError(f"{name}: a point is [x, y]")
    x, y = float(p[0]), float(p[1])
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ValueError(f"{name}: coordinates must be finite numbers")
    return x, y


def elevation_from_points(base: Sequence[float], top: Sequence[float], tip: Sequence[float],
                          tolerance_deg: float | None = None,
                          click_sigma_px: float = CLICK_SIGMA_PX) -> ShadowGeometry:
    """Sun elevation from the base and top of a vertical object and the tip of its shadow.

    Parameters
    ----------
    base, top, tip : sequence of two floats
        ``[x, y]`` in pixels of the original picture (x to the right, y down).
    tolerance_deg : float, optional
        Elevation tolerance the analyst asks for, in degrees.
    click_sigma_px : float
        Assumed one-sigma click error on each point, in pixels.

    Returns
    -------
    ShadowGeometry

    Raises
    ------
    ValueError
        A point is not two finite numbers, or the object or the shadow is shorter than
        3 pixels (nothing can be measured).

    Notes
    -----
    ``tan(elevation) = height / shadow length`` holds for a vertical object on flat, level
    ground with the shadow falling on that ground. Measured in the picture, both lengths
    are also assumed to be at the same image scale: true when the camera looks square-on
    at the plane holding the object and its shadow, increasingly wrong with perspective
    foreshortening (a shadow pointing towards or away from the camera looks shorter than it
    is). The returned tolerance covers click error only; widen it for oblique views. The
    azimuth of the sun cannot be recovered from the picture alone (it needs the camera
    heading), so only the elevation is derived.

    References
    ----------
    .. [1] Meeus, J. (1998). *Astronomical Algorithms*, 2nd ed., ch. 13 (altitude of a body).
    .. [2] Bellingcat ShadowFinder (2024): shadow length / object height to sun elevation.
    """
    bx, by = _point(base, "base")
    tx, ty = _point(top, "top")
    sx, sy = _point(tip, "tip")
    height = math.hypot(tx - bx, ty - by)
    length = math.hypot(sx - bx, sy - by)
    if height < 3 or length < 3:
        raise ValueError("the object and its shadow must each be at least 3 pixels long")
    elevation = math.degrees(math.atan2(height, length))
    # error propagation: dE/dH = L/(H^2+L^2), dE/dL = -H/(H^2+L^2); each length has two clicks
    sigma_len = math.sqrt(2.0) * click_sigma_px
    denom = height**2 + length**2
    click_err = math.degrees(math.sqrt((length * sigma_len) ** 2 + (height * sigma_len) ** 2) / denom)
    tol = max(MIN_TOLERANCE_DEG, 2.0 * click_err, float(tolerance_deg or 0.0))
    direction = (math.degrees(math.atan2(sx - bx, -(sy - by))) + 360.0) % 360.0
    notes = [
        "Assumes a vertical object on flat, level ground with its shadow on that ground.",
        "Assumes the object and its shadow are seen at the same scale (no perspective "
        "foreshortening); widen the tolerance for oblique views.",
        "The sun's azimuth is not derived: it needs the camera heading.",
    ]
    return ShadowGeometry(height, length, elevation, tol, click_err, direction, notes)
