"""Tests of verilens.maps: the offline land mask, basemap and render_map."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from verilens import maps
from verilens.maps import WORLD, Bounds, MapLayer, MapPoint, MapRing


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_is_land_known_places() -> None:
    # Well-known land and open-ocean points (any atlas).
    lat = [48.8566, 51.5072, -33.8688, 50.4501, -80.0, 0.0, 40.0, -40.0, 30.0]
    lon = [2.3522, -0.1276, 151.2093, 30.5234, 0.0, 0.0, -30.0, -120.0, -140.0]
    expect = [True, True, True, True, True, False, False, False, False]
    assert maps.is_land(lat, lon).tolist() == expect


def test_land_fraction_of_globe() -> None:
    # About 29 % of the Earth's surface is land (incl. Antarctica); area-weight the cells.
    lats, lons = maps.pixel_centres(WORLD, 720, 360)
    m = maps.land_mask(WORLD, 720, 360)
    w = np.cos(np.radians(lats))[:, None] * np.ones((1, 720))
    frac = float((m * w).sum() / w.sum())
    assert 0.27 < frac < 0.31


def test_longitude_wraps() -> None:
    assert maps.is_land(48.8566, 2.3522 + 360.0) == maps.is_land(48.8566, 2.3522)


def test_bounds_validation_and_around() -> None:
    with pytest.raises(ValueError):
        Bounds(10, 0, 5, 1)
    with pytest.raises(ValueError):
        Bounds(float("nan"), 0, 5, 1)
    b = Bounds.around(46.6, 32.6, 100.0, margin=1.0)
    assert b.contains(46.6, 32.6)
    assert b.north - 46.6 == pytest.approx(np.degrees(100.0 / maps.EARTH_RADIUS_KM), rel=1e-6)
    assert b.leaflet() == [[b.south, b.west], [b.north, b.east]]


def test_destination_point_quarter_circumference() -> None:
    # From the equator due north by a quarter of the circumference reaches the pole.
    lat, _ = maps.destination_point(0.0, 10.0, 0.0, np.pi / 2 * maps.EARTH_RADIUS_KM)
    assert float(lat) == pytest.approx(90.0, abs=1e-9)
    lat, lon = maps.destination_point(0.0, 179.0, 90.0, 2 * np.pi / 360 * 2 * maps.EARTH_RADIUS_KM)
    assert float(lat) == pytest.approx(0.0, abs=1e-9)
    assert float(lon) == pytest.approx(-179.0, abs=1e-9)


def test_render_map_draws_layers_points_and_rings(no_network: None) -> None:
    mask = np.zeros((180, 360), dtype=bool)
    mask[40:50, 200:210] = True  # 40..50°N, 20..30°E
    base = maps.render_map(WORLD, 720, attribution=False)
    img = maps.render_map(WORLD, 720, layers=[MapLayer(mask, WORLD, color=(255, 0, 255), alpha=1.0)],
                          points=[MapPoint(-20.0, -100.0, "x\x00<b>label", color=(0, 255, 0), radius_px=4)],
                          rings=[MapRing(0.0, 0.0, 1000.0, color=(255, 0, 0))], title="t", attribution=False)
    assert img.shape == (360, 720, 3) and img.dtype == np.uint8
    # the masked cells are magenta, the rest untouched there
    x, y = maps.to_pixels(45.0, 25.0, WORLD, 720, 360)
    assert tuple(img[int(y), int(x)]) == (255, 0, 255)
    x, y = maps.to_pixels(-20.0, -100.0, WORLD, 720, 360)
    assert tuple(img[int(y), int(x)]) == (0, 255, 0)
    # a red ring of 1000 km crosses the equator ~9° east of the centre
    x, y = maps.to_pixels(0.0, np.degrees(1000.0 / maps.EARTH_RADIUS_KM), WORLD, 720, 360)
    patch = img[int(y) - 2:int(y) + 3, int(x) - 2:int(x) + 3].reshape(-1, 3)
    assert any(tuple(p) == (255, 0, 0) for p in patch)
    # the far south-east Pacific is untouched
    assert tuple(img[300, 100]) == tuple(base[300, 100])


def test_render_map_regional_aspect_and_caps() -> None:
    b = Bounds(45.0, 30.0, 48.0, 36.0)
    w, h = maps.map_size(b, 600)
    assert h == pytest.approx(600 * 3 / (6 * np.cos(np.radians(46.5))), abs=1)
    img = maps.render_map(b, 100000, 100000)
    assert img.shape[:2] == (8192, 8192)


def test_render_map_rejects_bad_layer() -> None:
    with pytest.raises(ValueError):
        maps.render_map(WORLD, 100, layers=[MapLayer(np.zeros(5), WORLD)])


def test_mask_to_geojson_covers_exact_cells() -> None:
    b = Bounds(0.0, 0.0, 2.0, 4.0)
    m = np.array([[1, 1, 0, 1], [0, 0, 0, 0]], dtype=bool)
    gj = maps.mask_to_geojson(m, b, {"k": 1})
    polys = gj["features"][0]["geometry"]["coordinates"]
    assert gj["features"][0]["properties"] == {"k": 1}
    assert len(polys) == 2
    assert polys[0][0][0] == [0.0, 1.0] and polys[0][0][2] == [2.0, 2.0]
    assert polys[1][0][0] == [3.0, 1.0] and polys[1][0][2] == [4.0, 2.0]
    with pytest.raises(ValueError):
        maps.mask_to_geojson(np.ones((3, 3), bool), b, max_rects=2)


def test_land_geojson_agrees_with_mask(no_network: None) -> None:
    gj = maps.land_geojson()
    assert gj["type"] == "FeatureCollection" and len(gj["features"]) > 50
    rng = np.random.default_rng(0)
    lat = rng.uniform(-60, 75, 400)
    lon = rng.uniform(-180, 180, 400)
    in_poly = np.zeros(400, dtype=bool)
    for f in gj["features"]:
        rings = f["geometry"]["coordinates"]
        inside = maps.points_in_polygon(lat, lon, [(y, x) for x, y in rings[0]])
        for hole in rings[1:]:
            inside &= ~maps.points_in_polygon(lat, lon, [(y, x) for x, y in hole])
        in_poly |= inside
    agree = float((in_poly == maps.is_land(lat, lon)).mean())
    assert agree > 0.95  # 0.25° polygons vs the 0.05° mask: only coasts may differ


def test_points_in_polygon_square_and_triangle() -> None:
    square = [(0.0, 0.0), (0.0, 2.0), (2.0, 2.0), (2.0, 0.0)]
    assert maps.points_in_polygon([1.0, 3.0, 1.0], [1.0, 1.0, -0.5], square).tolist() == [True, False, False]
    tri = [(0.0, 0.0), (0.0, 4.0), (4.0, 0.0)]
    assert maps.points_in_polygon([1.0, 3.0], [1.0, 3.0], tri).tolist() == [True, False]


def test_basemap_png_is_png() -> None:
    data, bounds = maps.basemap_png(WORLD, 256)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert bounds == [[-90.0, -180.0], [90.0, 180.0]]
