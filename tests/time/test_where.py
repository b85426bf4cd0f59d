"""Candidate places from a shadow at a given time (cases 2 and 3 of ../shared/data/sun-cases.md)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from verilens.maps import Bounds
from verilens.time import sun
from verilens.time.shadows import Measurement, measurement_from
from verilens.time.where import grid_axes, where_local, where_utc


def _lat_band_at_lon(res, lon: float) -> list[float]:
    lats, lons = grid_axes(res.bounds, res.step)
    c = int(np.argmin(np.abs(lons - lon)))
    return lats[res.mask[:, c]].tolist()


@pytest.mark.parametrize(("time", "h", "s", "elev", "lon", "north", "south"), [
    # Case 2: ShadowFinder README: 10/5 at 2024-02-29 13:59:59 UTC → 63.435°, ring crosses lon −26.90
    # at about 18.92°N and 34.21°S.
    ("2024-02-29T13:59:59", 10, 5, 63.435, -26.90, 18.92, -34.21),
    # Case 3: ShadowFinder notebook default: 10/8 at 12:00:00 UTC → 51.340°, crosses lon 3.10°E at
    # about 30.99°N and 46.33°S.
    ("2024-02-29T12:00:00", 10, 8, 51.340, 3.10, 30.99, -46.33),
])
def test_shadowfinder_cases(time: str, h: float, s: float, elev: float, lon: float, north: float,
                            south: float) -> None:
    m = measurement_from({"object_height": h, "shadow_length": s, "tolerance": 0.25})
    assert m is not None and m.elevation == pytest.approx(elev, abs=1e-3)
    t = datetime.fromisoformat(time).replace(tzinfo=UTC)
    res = where_utc(t, m, step=0.05)
    assert res.subsolar is not None and res.subsolar[1] == pytest.approx(lon, abs=0.01)
    crossings = res.meridian_crossings()
    assert crossings[0] == pytest.approx(north, abs=0.03)
    assert crossings[1] == pytest.approx(south, abs=0.03)
    band = _lat_band_at_lon(res, lon)
    assert min(abs(v - north) for v in band) < 0.05
    assert min(abs(v - south) for v in band) < 0.05
    # every matching cell's sun (full SPA) lies in the band
    lats, lons = grid_axes(res.bounds, res.step)
    r, c = np.nonzero(res.mask)
    rng = np.random.default_rng(3)
    for i in rng.integers(0, len(r), 20):
        p = sun.sun_position([t], lats[r[i]], lons[c[i]])
        assert abs(p.apparent_elevation[0] - m.elevation) <= m.tolerance + 0.003


def test_ring_is_a_thin_band_and_cells_outside_do_not_match() -> None:
    m = Measurement(elevation=40.0, tolerance=0.5)
    t = datetime(2022, 11, 11, 10, tzinfo=UTC)
    res = where_utc(t, m, step=0.2)
    g = sun.sun_grid(t, *grid_axes(res.bounds, 0.2))
    app = g.elevation + sun.refraction(g.elevation)
    inside = np.abs(app - 40.0) <= 0.5
    assert (res.mask == inside).mean() > 0.9999
    assert 0 < res.cells < res.mask.size * 0.05


def test_azimuth_narrows_the_ring() -> None:
    t = datetime(2022, 11, 11, 10, tzinfo=UTC)
    wide = where_utc(t, Measurement(elevation=25.62, tolerance=0.5), step=0.1)
    narrow = where_utc(t, Measurement(elevation=25.62, tolerance=0.5, azimuth=187.0, azimuth_tolerance=3.0), step=0.1)
    assert 0 < narrow.cells < wide.cells / 20
    assert not (narrow.mask & ~wide.mask).any()
    # Kherson (case 7: elevation 25.62°, azimuth 187.00° at this instant) is inside
    lats, lons = grid_axes(narrow.bounds, 0.1)
    r = int(np.argmin(np.abs(lats - 46.6354)))
    c = int(np.argmin(np.abs(lons - 32.6169)))
    assert narrow.mask[r, c]


def test_geojson_and_render() -> None:
    t = datetime(2024, 2, 29, 13, 59, 59, tzinfo=UTC)
    res = where_utc(t, Measurement(elevation=63.435, tolerance=0.5), step=0.5)
    gj = res.geojson()
    polys = gj["features"][0]["geometry"]["coordinates"]
    assert len(polys) > 0
    assert gj["features"][0]["properties"]["elevation"] == 63.435
    img = res.render(720)
    assert img.shape == (360, 720, 3)
    d = res.to_dict()
    assert d["cells"] == res.cells and d["bounds"]["north"] <= 90


def test_local_time_mode_shifts_by_zone() -> None:
    # Local clock 12:00 on 2022-11-11: in Kyiv's zone (+02:00) that is 10:00 UTC, so Kherson
    # (elevation 25.62° at 10:00 UTC, case 7) matches; in the UTC-mode map for 12:00 UTC it does not.
    box = Bounds(40.0, 20.0, 55.0, 45.0)
    m = Measurement(elevation=25.62, tolerance=0.3)
    loc = where_local(datetime(2022, 11, 11, 12, 0), m, step=0.1, bounds=box, apparent=False)
    utc = where_utc(datetime(2022, 11, 11, 12, 0, tzinfo=UTC), m, step=0.1, bounds=box, apparent=False)
    lats, lons = grid_axes(box, 0.1)
    r = int(np.argmin(np.abs(lats - 46.6354)))
    c = int(np.argmin(np.abs(lons - 32.6169)))
    assert loc.mask[r, c]
    assert not utc.mask[r, c]


def test_grid_limits() -> None:
    with pytest.raises(ValueError):
        grid_axes(Bounds(-90, -180, 90, 180), 0.001)
    with pytest.raises(ValueError):
        where_utc(datetime(2022, 1, 1), Measurement(elevation=30.0))
