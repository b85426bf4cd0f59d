import math

import pytest

from verilens.place.geo import compass, destination, geodesic


def test_karney_reference_geodesic():
    # GeographicLib documentation, worked example of the inverse problem (Karney 2013):
    # Wellington NZ (-41.32, 174.81) to Salamanca (40.96, -5.50): s12 = 19959679.267 m,
    # azi1 = 161.06766998615°.
    leg = geodesic(-41.32, 174.81, 40.96, -5.50)
    assert leg.distance_km == pytest.approx(19959.679267, abs=1e-5)
    assert leg.bearing_deg == pytest.approx(161.06766998615, abs=1e-8)


def test_meridian_degree_length():
    # One degree of latitude at the equator on WGS84 is 110.574 km (NIMA TR8350.2 table).
    leg = geodesic(0.0, 30.0, 1.0, 30.0)
    assert leg.distance_km == pytest.approx(110.574, abs=0.001)
    assert leg.bearing_deg == pytest.approx(0.0, abs=1e-9)


def test_destination_round_trip_and_bearing():
    lat, lon = destination(46.63695, 32.61458, 77.0, 123.4)
    leg = geodesic(46.63695, 32.61458, lat, lon)
    assert leg.distance_km == pytest.approx(123.4, abs=1e-6)
    assert leg.bearing_deg == pytest.approx(77.0, abs=1e-6)


def test_coincident_points_and_bad_input():
    assert geodesic(10, 10, 10, 10).distance_km == 0
    assert geodesic(10, 10, 10, 10).bearing_deg == 0
    for bad in ((91, 0, 0, 0), (0, 181, 0, 0), (math.nan, 0, 0, 0), (0, 0, math.inf, 0)):
        with pytest.raises(ValueError):
            geodesic(*bad)


@pytest.mark.parametrize(("deg", "name"), [(0, "N"), (44, "NE"), (90, "E"), (181, "S"), (359, "N"), (292.5, "WNW")])
def test_compass(deg, name):
    assert compass(deg) == name
