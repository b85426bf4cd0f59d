"""Offline maps: a shipped land mask, a plain basemap and :func:`render_map`.

Nothing here touches the network. The basemap is drawn from a land/sea raster shipped in
``verilens/data/land_mask.npz`` (1/60° ≈ 1.9 km cells, derived from the GLOBE 30" land mask
packaged by ``global-land-mask``) and the web app can draw the same coastlines from
:func:`land_geojson` (polygons traced from a 0.25° version of that raster).

All maps are plate carrée (equirectangular): x is linear in longitude, y linear in
latitude, so a Leaflet map in ``L.CRS.EPSG4326`` or a plain image overlay with
:meth:`Bounds.leaflet` lines up with them. Coordinates are decimal degrees (WGS84),
latitude first, east and north positive.

Public API (stable; other domains and the web app call it):

- :class:`Bounds`, :data:`WORLD`
- :func:`is_land`, :func:`land_mask`, :func:`basemap`, :func:`basemap_png`
- :class:`MapPoint`, :class:`MapRing`, :class:`MapLayer`, :class:`MapLine`
- :func:`render_map`, :func:`to_pixels`, :func:`map_size`
- :func:`land_geojson`, :func:`mask_to_geojson`, :func:`ring_polygon`, :func:`destination_point`

References
----------
Hastings, D. A. and Dunbar, P. K. (1999), Global Land One-kilometer Base Elevation (GLOBE),
NOAA National Geophysical Data Center (public domain), as packaged in ``global-land-mask``
(Karin, T., MIT licence).
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

#: Mean Earth radius (km), IUGG.
EARTH_RADIUS_KM = 6371.0088

LAND_MASK_FILE = "land_mask.npz"
LAND_GEOJSON_FILE = "land_0p25.geojson"
ATTRIBUTION = ("Land mask: GLOBE (NOAA NGDC, public domain) via global-land-mask; "
               "drawn offline by verilens")

SEA = (170, 200, 222)
LAND = (238, 234, 220)
COAST = (120, 120, 110)
GRID = (150, 175, 195)
INK = (30, 30, 30)

Color = tuple[int, int, int]


@dataclass(frozen=True)
class Bounds:
    """A latitude/longitude box (degrees). ``west < east``; no antimeridian crossing."""

    south: float
    west: float
    north: float
    east: float

    def __post_init__(self) -> None:
        vals = (self.south, self.west, self.north, self.east)
        if not all(math.isfinite(v) for v in vals):
            raise ValueError("bounds must be finite numbers")
        if not (-90 <= self.south < self.north <= 90 and -180 <= self.west < self.east <= 180):
            raise ValueError(f"invalid bounds {vals}: need -90 <= south < north <= 90, -180 <= west < east <= 180")

    @classmethod
    def around(cls, lat: float, lon: float, radius_km: float, margin: float = 1.3) -> Bounds:
        """A box that holds a circle of ``radius_km`` around (lat, lon), clipped to the world."""
        r = max(radius_km, 1.0) * margin
        dlat = math.degrees(r / EARTH_RADIUS_KM)
        coslat = max(math.cos(math.radians(lat)), 0.05)
        dlon = min(180.0, dlat / coslat)
        return cls(max(-90.0, lat - dlat), max(-180.0, lon - dlon), min(90.0, lat + dlat), min(180.0, lon + dlon))

    @classmethod
    def of_points(cls, points: Iterable[tuple[float, float]], pad_deg: float = 1.0) -> Bounds:
        """The box around (lat, lon) points, padded by ``pad_deg``."""
        pts = list(points)
        if not pts:
            return WORLD
        lats = [p[0] for p in pts]
        lons = [p[1] for p in pts]
        return cls(max(-90.0, min(lats) - pad_deg), max(-180.0, min(lons) - pad_deg),
                   min(90.0, max(lats) + pad_deg), min(180.0, max(lons) + pad_deg))

    @property
    def width_deg(self) -> float:
        return self.east - self.west

    @property
    def height_deg(self) -> float:
        return self.north - self.south

    def contains(self, lat: float, lon: float) -> bool:
        return self.south <= lat <= self.north and self.west <= lon <= self.east

    def to_dict(self) -> dict[str, float]:
        return {"south": self.south, "west": self.west, "north": self.north, "east": self.east}

    def leaflet(self) -> list[list[float]]:
        """``[[south, west], [north, east]]`` as Leaflet's ``imageOverlay`` wants it."""
        return [[self.south, self.west], [self.north, self.east]]


WORLD = Bounds(-90.0, -180.0, 90.0, 180.0)


@dataclass(frozen=True)
class MapPoint:
    """A marker: position (degrees), optional label, colour and radius (pixels)."""

    lat: float
    lon: float
    label: str | None = None
    color: Color = (200, 30, 30)
    radius_px: int = 5


@dataclass(frozen=True)
class MapRing:
    """A circle of ``radius_km`` around a point (drawn as a geodesic polygon)."""

    lat: float
    lon: float
    radius_km: float
    label: str | None = None
    color: Color = (200, 30, 30)
    width_px: int = 2


@dataclass(frozen=True)
class MapLine:
    """A polyline through (lat, lon) vertices."""

    points: Sequence[tuple[float, float]]
    color: Color = (30, 30, 200)
    width_px: int = 2
    label: str | None = None


@dataclass(frozen=True)
class MapLayer:
    """A raster over ``bounds``: a boolean cell mask or values in 0..1 (NaN = nothing).

    Row 0 is the northern edge, as in an image.
    """

    values: np.ndarray
    bounds: Bounds
    color: Color = (230, 60, 20)
    alpha: float = 0.7
    label: str | None = None


# ---------------------------------------------------------------------------------------
# the shipped land mask


@dataclass(frozen=True)
class _Mask:
    packed: np.ndarray  # np.packbits of the (rows, cols) raster, row 0 = north edge
    shape: tuple[int, int]
    step: float  # degrees per cell


@lru_cache(maxsize=1)
def _land() -> _Mask:
    ref = resources.files("verilens").joinpath("data", LAND_MASK_FILE)
    with resources.as_file(ref) as p, np.load(p) as f:
        rows, cols = (int(v) for v in f["shape"])
        packed = np.asarray(f["packed"], dtype=np.uint8)
        step = float(f["step"])
    if packed.size * 8 < rows * cols:
        raise ValueError(f"{LAND_MASK_FILE} is truncated")
    return _Mask(packed, (rows, cols), step)


def is_land(lat: Any, lon: Any) -> np.ndarray:
    """Whether points are on land (nearest 1/60° cell of the shipped mask).

    Parameters
    ----------
    lat, lon : array_like
        Degrees; longitudes are wrapped into [-180, 180).

    Returns
    -------
    numpy.ndarray of bool, broadcast shape of the inputs.

    Notes
    -----
    A cell is land when at least half of its GLOBE 30" cells are; small islands and
    narrow spits under ~2 km can be missed. Inland water bodies the GLOBE mask treats as
    land (most lakes) are land here.
    """
    m = _land()
    la = np.clip(np.asarray(lat, dtype=np.float64), -90.0, 90.0)
    lo = (np.asarray(lon, dtype=np.float64) + 180.0) % 360.0 - 180.0
    rows, cols = m.shape
    r = np.clip(((90.0 - la) / m.step).astype(np.int64), 0, rows - 1)
    c = np.clip(((lo + 180.0) / m.step).astype(np.int64), 0, cols - 1)
    idx = r * cols + c
    return ((m.packed[idx >> 3] >> (7 - (idx & 7)).astype(np.uint8)) & 1).astype(bool)


def pixel_centres(bounds: Bounds, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Latitudes (rows, north first) and longitudes (columns) of pixel centres."""
    lats = bounds.north - (np.arange(height) + 0.5) * (bounds.height_deg / height)
    lons = bounds.west + (np.arange(width) + 0.5) * (bounds.width_deg / width)
    return lats, lons


def land_mask(bounds: Bounds, width: int, height: int) -> np.ndarray:
    """The land mask resampled to a ``height`` × ``width`` raster over ``bounds`` (bool)."""
    lats, lons = pixel_centres(bounds, width, height)
    return is_land(lats[:, None], lons[None, :])


def map_size(bounds: Bounds, width: int) -> tuple[int, int]:
    """(width, height) in pixels of a plate-carrée map of ``bounds`` ``width`` pixels wide.

    The world keeps 2:1; a regional map is stretched by 1/cos(mid-latitude) so that
    distances look right near its centre.
    """
    if bounds == WORLD:
        return width, max(1, width // 2)
    mid = math.radians((bounds.north + bounds.south) / 2)
    aspect = bounds.height_deg / (bounds.width_deg * max(math.cos(mid), 0.2))
    return width, int(min(max(round(width * aspect), 16), 4 * width))


def basemap(bounds: Bounds = WORLD, width: int = 1440, height: int | None = None,
            graticule_deg: float | None = None) -> np.ndarray:
    """A plain land/sea picture of ``bounds`` (RGB ``uint8``, row 0 = north).

    Parameters
    ----------
    bounds : Bounds
    width, height : int
        Pixels; ``height`` defaults to :func:`map_size`. Capped at 8192 each.
    graticule_deg : float, optional
        Spacing of latitude/longitude lines; default chosen from the extent (0 = none).
    """
    width = int(min(max(width, 8), 8192))
    height = int(min(max(height or map_size(bounds, width)[1], 8), 8192))
    land = land_mask(bounds, width, height)
    img = np.empty((height, width, 3), dtype=np.uint8)
    img[:] = SEA
    img[land] = LAND
    # coastline: land pixels with a sea neighbour
    edge = np.zeros_like(land)
    edge[1:, :] |= land[1:, :] != land[:-1, :]
    edge[:, 1:] |= land[:, 1:] != land[:, :-1]
    img[edge & land] = COAST
    if graticule_deg is None:
        span = max(bounds.width_deg, bounds.height_deg)
        graticule_deg = next(s for s in (30, 10, 5, 2, 1, 0.5, 0.2, 0.1, 0.05, 0.01, 0.0) if span / max(s, 1e-9) >= 4 or s == 0.0)
    if graticule_deg and graticule_deg > 0:
        lats, lons = pixel_centres(bounds, width, height)
        px_lat = bounds.height_deg / height
        px_lon = bounds.width_deg / width
        rows = np.abs((lats + 1e-9) - np.round(lats / graticule_deg) * graticule_deg) < px_lat / 2
        cols = np.abs((lons + 1e-9) - np.round(lons / graticule_deg) * graticule_deg) < px_lon / 2
        g = rows[:, None] | cols[None, :]
        img[g] = (img[g].astype(np.uint16) + GRID) // 2
    return img


def basemap_png(bounds: Bounds = WORLD, width: int = 2048) -> tuple[bytes, list[list[float]]]:
    """The basemap as PNG bytes and its Leaflet bounds (``[[south, west], [north, east]]``).

    Notes
    -----
    The picture is plate carrée: use it with ``crs: L.CRS.EPSG4326`` (or accept a small
    north-south distortion over a Web-Mercator map).
    """
    buf = io.BytesIO()
    Image.fromarray(basemap(bounds, width)).save(buf, format="PNG", optimize=True)
    return buf.getvalue(), bounds.leaflet()


@lru_cache(maxsize=1)
def land_geojson() -> dict[str, Any]:
    """Land polygons (GeoJSON FeatureCollection, lon/lat order) for the web app's map.

    Traced from a 0.25° version of the shipped land mask (see :func:`build_land_geojson`),
    so coastlines are good to about 25 km: enough to orient, not to measure.
    """
    ref = resources.files("verilens").joinpath("data", LAND_GEOJSON_FILE)
    data: dict[str, Any] = json.loads(ref.read_text(encoding="utf-8"))
    return data


# ---------------------------------------------------------------------------------------
# geometry helpers


def destination_point(lat: float, lon: float, bearing_deg: Any, distance_km: float) -> tuple[np.ndarray, np.ndarray]:
    """Points ``distance_km`` from (lat, lon) along initial bearings (spherical Earth).

    Returns
    -------
    (lat, lon) : arrays in degrees, longitude wrapped into [-180, 180).

    References
    ----------
    Williams, E., Aviation Formulary V1.47, "Lat/lon given radial and distance".
    """
    p1, l1 = math.radians(lat), math.radians(lon)
    b = np.radians(np.asarray(bearing_deg, dtype=np.float64))
    d = distance_km / EARTH_RADIUS_KM
    p2 = np.arcsin(np.sin(p1) * np.cos(d) + np.cos(p1) * np.sin(d) * np.cos(b))
    l2 = l1 + np.arctan2(np.sin(b) * np.sin(d) * np.cos(p1), np.cos(d) - np.sin(p1) * np.sin(p2))
    return np.degrees(p2), (np.degrees(l2) + 180.0) % 360.0 - 180.0


def ring_polygon(lat: float, lon: float, radius_km: float, n: int = 180) -> list[tuple[float, float]]:
    """A circle of ``radius_km`` around (lat, lon) as ``n + 1`` (lat, lon) vertices, closed."""
    la, lo = destination_point(lat, lon, np.linspace(0.0, 360.0, n + 1), radius_km)
    return list(zip(la.tolist(), lo.tolist(), strict=True))


def to_pixels(lat: Any, lon: Any, bounds: Bounds, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates (x, y; floats, origin top-left) of (lat, lon) on a map of ``bounds``."""
    x = (np.asarray(lon, dtype=np.float64) - bounds.west) / bounds.width_deg * width
    y = (bounds.north - np.asarray(lat, dtype=np.float64)) / bounds.height_deg * height
    return x, y


def points_in_polygon(lat: Any, lon: Any, polygon: Sequence[tuple[float, float]]) -> np.ndarray:
    """Whether points lie inside a simple polygon of (lat, lon) vertices (even-odd rule).

    Planar test in degrees (fine for polygons that do not cross the antimeridian or a pole).
    """
    y = np.asarray(lat, dtype=np.float64)
    x = np.asarray(lon, dtype=np.float64)
    inside = np.zeros(np.broadcast(y, x).shape, dtype=bool)
    pts = list(polygon)
    n = len(pts)
    for i in range(n):
        y1, x1 = pts[i]
        y2, x2 = pts[(i + 1) % n]
        if y1 == y2:
            continue
        cond = (y1 > y) != (y2 > y)
        xc = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
        inside ^= cond & (x < xc)
    return inside


def mask_to_geojson(mask: np.ndarray, bounds: Bounds, properties: dict[str, Any] | None = None,
                    max_rects: int = 200_000) -> dict[str, Any]:
    """A boolean cell mask over ``bounds`` as one GeoJSON MultiPolygon feature.

    Each run of true cells along a row becomes one rectangle, so the polygons cover
    exactly the true cells (row 0 = north edge).

    Raises
    ------
    ValueError
        More than ``max_rects`` runs (coarsen the grid first).
    """
    m = np.asarray(mask, dtype=bool)
    h, w = m.shape
    dlat = bounds.height_deg / h
    dlon = bounds.width_deg / w
    padded = np.zeros((h, w + 2), dtype=np.int8)
    padded[:, 1:-1] = m
    diff = np.diff(padded, axis=1)
    rows_s, cols_s = np.nonzero(diff == 1)
    rows_e, cols_e = np.nonzero(diff == -1)
    if len(rows_s) > max_rects:
        raise ValueError(f"{len(rows_s)} runs is more than {max_rects}; use a coarser grid")
    polys = []
    for r, c0, c1 in zip(rows_s.tolist(), cols_s.tolist(), cols_e.tolist(), strict=True):
        n = round(bounds.north - r * dlat, 6)
        s = round(bounds.north - (r + 1) * dlat, 6)
        w0 = round(bounds.west + c0 * dlon, 6)
        e0 = round(bounds.west + c1 * dlon, 6)
        polys.append([[[w0, s], [e0, s], [e0, n], [w0, n], [w0, s]]])
    feature = {"type": "Feature", "properties": dict(properties or {}),
               "geometry": {"type": "MultiPolygon", "coordinates": polys}}
    return {"type": "FeatureCollection", "features": [feature]}


# ---------------------------------------------------------------------------------------
# drawing


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                 "/usr/share/fonts/dejavu/DejaVuSans.ttf"):
        if Path(path).is_file():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default()


def _clean_label(text: str, limit: int = 80) -> str:
    s = "".join(ch if ch.isprintable() else "?" for ch in str(text))
    return s[:limit]


def _split_wrap(xs: np.ndarray, ys: np.ndarray, width: int) -> list[list[tuple[float, float]]]:
    """Split a polyline where it jumps across the antimeridian (more than half the map)."""
    parts: list[list[tuple[float, float]]] = [[]]
    for i in range(len(xs)):
        if i and abs(xs[i] - xs[i - 1]) > width / 2:
            parts.append([])
        parts[-1].append((float(xs[i]), float(ys[i])))
    return [p for p in parts if len(p) >= 2]


def _blend_layer(img: np.ndarray, layer: MapLayer, bounds: Bounds) -> None:
    h, w = img.shape[:2]
    vals = np.asarray(layer.values)
    if vals.ndim != 2 or vals.size == 0:
        raise ValueError("a MapLayer's values must be a non-empty 2-D array")
    lats, lons = pixel_centres(bounds, w, h)
    lb = layer.bounds
    r = np.floor((lb.north - lats) / lb.height_deg * vals.shape[0]).astype(np.int64)
    c = np.floor((lons - lb.west) / lb.width_deg * vals.shape[1]).astype(np.int64)
    rin = (r >= 0) & (r < vals.shape[0])
    cin = (c >= 0) & (c < vals.shape[1])
    sub = vals[np.clip(r, 0, vals.shape[0] - 1)][:, np.clip(c, 0, vals.shape[1] - 1)]
    if sub.dtype == bool:
        a = sub.astype(np.float32)
    else:
        a = np.nan_to_num(np.clip(sub.astype(np.float32), 0.0, 1.0), nan=0.0)
    a = a * (rin[:, None] & cin[None, :]) * float(np.clip(layer.alpha, 0.0, 1.0))
    col = np.asarray(layer.color, dtype=np.float32)
    img[:] = (img.astype(np.float32) * (1 - a[..., None]) + col * a[..., None]).astype(np.uint8)


def render_map(
    bounds: Bounds = WORLD,
    width: int = 1440,
    height: int | None = None,
    *,
    layers: Sequence[MapLayer] = (),
    rings: Sequence[MapRing] = (),
    lines: Sequence[MapLine] = (),
    points: Sequence[MapPoint] = (),
    title: str | None = None,
    legend: Sequence[tuple[str, Color]] = (),
    attribution: bool = True,
) -> np.ndarray:
    """Draw layers, rings, lines and labelled points on the offline basemap.

    Parameters
    ----------
    bounds : Bounds
        Area shown (plate carrée).
    width, height : int
        Pixels; ``height`` defaults to :func:`map_size` (capped at 8192).
    layers : sequence of MapLayer
        Cell masks or 0..1 rasters blended over the basemap (first drawn first).
    rings : sequence of MapRing
        Geodesic circles (e.g. a claimed place's radius).
    lines : sequence of MapLine
    points : sequence of MapPoint
        Markers with optional labels (labels are sanitised and cut at 80 characters).
    title : str, optional
        Printed top-left.
    legend : sequence of (text, colour)
        Swatches printed bottom-left.
    attribution : bool
        Print the data attribution bottom-right.

    Returns
    -------
    numpy.ndarray
        RGB ``uint8`` (height, width, 3); row 0 is ``bounds.north``.

    Notes
    -----
    Pure: no file or network I/O (the land mask ships with the package).
    """
    width = int(min(max(width, 16), 8192))
    height = int(min(max(height or map_size(bounds, width)[1], 16), 8192))
    img = basemap(bounds, width, height)
    for layer in layers:
        _blend_layer(img, layer, bounds)
    im = Image.fromarray(img)
    draw = ImageDraw.Draw(im)
    font = _font(max(10, min(18, width // 80)))

    def poly(vertices: Sequence[tuple[float, float]], color: Color, w: int) -> None:
        if not vertices:
            return
        la = np.array([v[0] for v in vertices])
        lo = np.array([v[1] for v in vertices])
        xs, ys = to_pixels(la, lo, bounds, width, height)
        for part in _split_wrap(xs, ys, width):
            draw.line(part, fill=color, width=max(1, w))

    for ring in rings:
        poly(ring_polygon(ring.lat, ring.lon, ring.radius_km), ring.color, ring.width_px)
        if ring.label:
            rx, ry = to_pixels(ring.lat, ring.lon, bounds, width, height)
            draw.text((float(rx) + 6, float(ry) + 6), _clean_label(ring.label), fill=ring.color, font=font)
    for line in lines:
        poly(list(line.points), line.color, line.width_px)
    for p in points:
        if not (math.isfinite(p.lat) and math.isfinite(p.lon)):
            continue
        px, py = to_pixels(p.lat, p.lon, bounds, width, height)
        x, y = float(px), float(py)
        r = max(1, p.radius_px)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=p.color, outline=(255, 255, 255))
        if p.label:
            text = _clean_label(p.label)
            tx, ty = x + r + 3, y - r - 2
            draw.text((tx + 1, ty + 1), text, fill=(255, 255, 255), font=font)
            draw.text((tx, ty), text, fill=INK, font=font)
    if title:
        t = _clean_label(title, 160)
        box = draw.textbbox((6, 4), t, font=font)
        draw.rectangle([box[0] - 3, box[1] - 2, box[2] + 3, box[3] + 2], fill=(255, 255, 255))
        draw.text((6, 4), t, fill=INK, font=font)
    ly: float = height - 6
    for text, color in reversed(list(legend)):
        t = _clean_label(text)
        bb = draw.textbbox((0, 0), t, font=font)
        th = bb[3] - bb[1] + 4
        ly -= th
        draw.rectangle((6, ly, 6 + th - 4, ly + th - 4), fill=(int(color[0]), int(color[1]), int(color[2])), outline=INK)
        draw.text((10 + th, ly - 2), t, fill=INK, font=font)
    if attribution:
        small = _font(10)
        bb = draw.textbbox((0, 0), ATTRIBUTION, font=small)
        tw = bb[2] - bb[0]
        if tw < width - 20:
            draw.text((width - tw - 4, height - 14), ATTRIBUTION, fill=(90, 90, 90), font=small)
    return np.asarray(im)


# ---------------------------------------------------------------------------------------
# building the shipped data files (run once by a maintainer; not at run time)


def downsample_mask(fine: np.ndarray, factor: int) -> np.ndarray:
    """Majority-downsample a boolean raster by an integer ``factor`` (cell is land if ≥ half)."""
    h, w = fine.shape
    h2, w2 = h // factor, w // factor
    acc = np.zeros((h2, w2), dtype=np.uint16)
    for i in range(factor):
        for j in range(factor):
            acc += fine[i: h2 * factor: factor, j: w2 * factor: factor]
    return acc * 2 >= factor * factor


def build_land_geojson(mask: np.ndarray, step: float, tolerance_deg: float = 0.1) -> dict[str, Any]:
    """Trace a global boolean raster (row 0 at 90°N, ``step`` degrees) into land polygons.

    Outer rings and holes are told apart by orientation and each hole is attached to the
    smallest outer ring that contains it.
    """
    from matplotlib.path import Path as MplPath
    from skimage.measure import approximate_polygon, find_contours

    padded = np.pad(mask.astype(np.float32), 1)
    rings = []
    for c in find_contours(padded, 0.5):
        c = approximate_polygon(c, tolerance_deg / step)
        if len(c) < 4:
            continue
        lat = 90.0 - (c[:, 0] - 0.5) * step
        lon = -180.0 + (c[:, 1] - 0.5) * step
        lat = np.clip(lat, -90, 90)
        lon = np.clip(lon, -180, 180)
        xy = np.stack([lon, lat], axis=1)
        area = 0.5 * float(np.sum(xy[:-1, 0] * xy[1:, 1] - xy[1:, 0] * xy[:-1, 1]))
        if abs(area) < (2 * step) ** 2:
            continue
        rings.append((xy, area))
    # find_contours keeps high values (land) on a fixed side: decide which sign is "outer"
    # by the biggest ring, which is always a continent's outline.
    sign = np.sign(max(rings, key=lambda r: abs(r[1]))[1])
    outers = [(xy, abs(a)) for xy, a in rings if np.sign(a) == sign]
    holes = [xy for xy, a in rings if np.sign(a) != sign]
    polys: list[list[np.ndarray]] = [[xy] for xy, _ in outers]
    paths = [MplPath(xy) for xy, _ in outers]
    areas = [a for _, a in outers]
    for h in holes:
        inside = [i for i, p in enumerate(paths) if p.contains_point(h[0]) and p.contains_point(h[len(h) // 2])]
        if inside:
            polys[min(inside, key=lambda i: areas[i])].append(h)
    features = []
    for poly in polys:
        coords = []
        for k, ring in enumerate(poly):
            r = ring if k == 0 else ring[::-1]
            pts = [[round(float(x), 3), round(float(y), 3)] for x, y in r]
            if pts[0] != pts[-1]:
                pts.append(pts[0])
            coords.append(pts)
        features.append({"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": coords}})
    return {"type": "FeatureCollection", "attribution": ATTRIBUTION, "features": features}


def _build_data_files(out_dir: Path) -> None:  # pragma: no cover - maintainer tool
    from global_land_mask import globe

    fine = ~np.asarray(globe._mask, dtype=bool)  # the package stores ocean=True; 21600 × 43200, 1/120°, row 0 = 90°N
    step = 1.0 / 60.0
    coarse = downsample_mask(fine, 2)
    np.savez_compressed(out_dir / LAND_MASK_FILE, packed=np.packbits(coarse.ravel()),
                        shape=np.array(coarse.shape), step=np.float64(step))
    quarter = downsample_mask(fine, 30)
    gj = build_land_geojson(quarter, 0.25)
    (out_dir / LAND_GEOJSON_FILE).write_text(json.dumps(gj, separators=(",", ":")), encoding="utf-8")


__all__ = [
    "ATTRIBUTION", "Bounds", "EARTH_RADIUS_KM", "MapLayer", "MapLine", "MapPoint", "MapRing", "WORLD",
    "basemap", "basemap_png", "destination_point", "is_land", "land_geojson", "land_mask", "map_size",
    "mask_to_geojson", "pixel_centres", "points_in_polygon", "render_map", "ring_polygon", "to_pixels",
]


if __name__ == "__main__":  # pragma: no cover
    import sys

    if sys.argv[1:] == ["build-data"]:
        _build_data_files(Path(__file__).parent / "data")
    else:
        print("usage: python -m verilens.maps build-data", file=sys.stderr)
