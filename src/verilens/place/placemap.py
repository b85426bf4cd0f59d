"""The place map: claimed place (with its area), GPS position and place names read in the picture."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..maps import Bounds, MapLine, MapPoint, MapRing, render_map

CLAIM_COLOR = (200, 30, 30)
GPS_COLOR = (20, 90, 220)
OCR_COLOR = (30, 150, 60)


@dataclass(frozen=True)
class Located:
    """A labelled position to draw (decimal degrees)."""

    lat: float
    lon: float
    label: str


def _bounds(points: Sequence[tuple[float, float]], rings: Sequence[tuple[float, float, float]]) -> Bounds:
    """A box holding the points and rings, padded, with a width/height in km between 1 and 1.6."""
    import math

    from .geo import destination

    pts = list(points)
    for lat, lon, r in rings:
        if r > 0:
            pts += [destination(lat, lon, az, r) for az in (0.0, 90.0, 180.0, 270.0)]
    if len(points) == 1 and not any(r > 0 for *_, r in rings):
        return Bounds.around(points[0][0], points[0][1], 25.0, margin=1.6)
    lats = [p[0] for p in pts]
    lons = [p[1] for p in pts]
    s, n, w, e = min(lats), max(lats), min(lons), max(lons)
    mid = math.radians((s + n) / 2)
    coslat = max(math.cos(mid), 0.05)
    h_km = max((n - s) * 111.2, 5.0)
    w_km = max((e - w) * 111.2 * coslat, 5.0)
    if w_km < h_km:
        w_km = h_km
    if w_km > 1.6 * h_km:
        h_km = w_km / 1.6
    h_km *= 1.25
    w_km *= 1.25
    clat, clon = (s + n) / 2, (w + e) / 2
    dlat = h_km / 2 / 111.2
    dlon = min(180.0, w_km / 2 / (111.2 * coslat))
    return Bounds(max(-90.0, clat - dlat), max(-180.0, clon - dlon), min(90.0, clat + dlat), min(180.0, clon + dlon))


def place_map(*, claimed: Located | None = None, claimed_radius_km: float = 0.0, gps: Located | None = None,
              ocr: Sequence[Located] = (), width: int = 1000) -> np.ndarray | None:
    """Draw the place evidence on the offline basemap.

    Parameters
    ----------
    claimed : Located or None
        The claimed place (red), with ``claimed_radius_km`` (km) drawn as a ring.
    gps : Located or None
        The position the file records (blue); a line joins it to the claimed place.
    ocr : sequence of Located
        Places named in text read in the picture (green).
    width : int
        Pixels.

    Returns
    -------
    ndarray or None
        RGB uint8, or None when there is nothing to draw.

    Notes
    -----
    Plate carrée basemap from :mod:`verilens.maps` (coarse land mask: coastlines are only
    approximate at city scale).
    """
    pts: list[tuple[float, float]] = []
    points: list[MapPoint] = []
    rings: list[MapRing] = []
    lines: list[MapLine] = []
    legend: list[tuple[str, tuple[int, int, int]]] = []
    if claimed is not None:
        pts.append((claimed.lat, claimed.lon))
        points.append(MapPoint(claimed.lat, claimed.lon, f"claimed: {claimed.label}", CLAIM_COLOR, 6))
        if claimed_radius_km > 0:
            rings.append(MapRing(claimed.lat, claimed.lon, claimed_radius_km, None, CLAIM_COLOR, 2))
        legend.append(("claimed place", CLAIM_COLOR))
    if gps is not None:
        pts.append((gps.lat, gps.lon))
        points.append(MapPoint(gps.lat, gps.lon, f"GPS: {gps.label}", GPS_COLOR, 6))
        legend.append(("GPS in the file", GPS_COLOR))
        if claimed is not None:
            lines.append(MapLine([(claimed.lat, claimed.lon), (gps.lat, gps.lon)], GPS_COLOR, 2))
    from .geo import geodesic

    for o in ocr[:10]:
        pts.append((o.lat, o.lon))
        label: str | None = f"text: {o.label}"
        for k, pt in enumerate(points):  # a name read at the claimed/GPS place: one label, not two on top
            if pt.label and geodesic(pt.lat, pt.lon, o.lat, o.lon).distance_km < 2.0:
                points[k] = MapPoint(pt.lat, pt.lon, f"{pt.label} + text: {o.label}", pt.color, pt.radius_px)
                label = None
                break
        points.append(MapPoint(o.lat, o.lon, label, OCR_COLOR, 4))
    if ocr:
        legend.append(("named in the picture", OCR_COLOR))
    if not pts:
        return None
    rings_ll = [(claimed.lat, claimed.lon, claimed_radius_km)] if claimed is not None else []
    bounds = _bounds(pts, rings_ll)
    return render_map(bounds, width, rings=rings, lines=lines, points=points, title="Place evidence",
                      legend=legend)
