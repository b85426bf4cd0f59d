"""Sun positions against published cases (../shared/data/sun-cases.md) and SPA itself."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from verilens.time import sun


def test_spa_reference_vector() -> None:
    # Case 1: Reda & Andreas, NREL/TP-560-34302, table A5.1 test vector:
    # topocentric zenith 50.11162° (refracted), azimuth 194.34024°.
    p = sun.sun_position("2003-10-17T12:30:30-07:00", 39.742476, -105.1786, altitude_m=1830.14,
                         pressure_hpa=820, temperature_c=11, delta_t=67)
    assert 90.0 - p.apparent_elevation[0] == pytest.approx(50.11162, abs=1e-4)
    assert p.azimuth[0] == pytest.approx(194.34024, abs=1e-4)


@pytest.mark.parametrize(
    ("case", "time", "lat", "lon", "azimuth", "elevation", "kind", "tol"),
    [
        # Case 4: Bucha satellite image 2022-03-19 (published debunk): SPA azimuth 161.50°, elevation 37.46°.
        ("bucha", "2022-03-19T09:08:31Z", 50.541771, 30.230175, 161.50, 37.46, "elevation", 0.005),
        # Case 5: Eiffel Tower shadow photo 2016-07-06 (Wikimedia Commons; Bellingcat toolkit SunCalc page).
        ("eiffel", "2016-07-06T12:35Z", 48.85837, 2.29448, 200.05, 62.62, "apparent_elevation", 0.005),
        # Case 6: Syntagma Square, Athens (published OSINT guide).
        ("syntagma", "2021-09-10T09:30Z", 37.9755, 23.7348, 157.14, 54.77, "apparent_elevation", 0.005),
        # Case 7: Kherson at 2022-11-11 10:00 UTC: elevation 25.62° (geometric), azimuth 187.00°.
        ("kherson", "2022-11-11T10:00Z", 46.6354, 32.6169, 187.00, 25.62, "elevation", 0.005),
        # Case 7: Luhansk at the same instant: 22.94° is the apparent elevation, azimuth 193.79°.
        ("luhansk", "2022-11-11T10:00Z", 48.574, 39.3078, 193.79, 22.94, "apparent_elevation", 0.005),
    ],
)
def test_published_cases(case: str, time: str, lat: float, lon: float, azimuth: float, elevation: float,
                         kind: str, tol: float) -> None:
    p = sun.sun_position(time, lat, lon)
    assert p.azimuth[0] == pytest.approx(azimuth, abs=tol), case
    assert getattr(p, kind)[0] == pytest.approx(elevation, abs=tol), case


def test_shadow_lengths_of_cases() -> None:
    # Case 5: 300 m tower → ~155 m shadow (171 m with 330 m antennas), bearing 20.05°.
    p = sun.sun_position("2016-07-06T12:35Z", 48.85837, 2.29448)
    assert 300 * p.shadow_ratio[0] == pytest.approx(155, abs=1)
    assert 330 * p.shadow_ratio[0] == pytest.approx(171, abs=1)
    assert p.shadow_bearing[0] == pytest.approx(20.05, abs=0.01)
    # Case 6: a 1.75 m person casts 1.2 m; shadow bearing 337°.
    p = sun.sun_position("2021-09-10T09:30Z", 37.9755, 23.7348)
    assert 1.75 * p.shadow_ratio[0] == pytest.approx(1.2, abs=0.05)
    assert p.shadow_bearing[0] == pytest.approx(337, abs=0.5)
    # Case 7: shadows per unit height, Kherson 2.08 and Luhansk 2.37. The source computed the
    # Luhansk shadow from the geometric elevation (1/tan 22.90° = 2.372), so check both forms.
    p = sun.sun_position("2022-11-11T10:00Z", 46.6354, 32.6169)
    assert p.shadow_ratio[0] == pytest.approx(2.08, abs=0.005)
    p = sun.sun_position("2022-11-11T10:00Z", 48.574, 39.3078)
    assert 1 / np.tan(np.radians(p.elevation[0])) == pytest.approx(2.37, abs=0.005)


def test_bucha_counter_claim() -> None:
    # Case 4: "sun elevation 42° so it was 1 April" fits 2022-04-01 08:57 UTC; at 11:57 UTC the
    # azimuth is 217.3°, far from the measured 161°.
    p = sun.sun_position(["2022-04-01T08:57Z", "2022-04-01T11:57Z"], 50.541771, 30.230175)
    assert p.apparent_elevation[0] == pytest.approx(42.0, abs=0.15)
    assert p.azimuth[1] == pytest.approx(217.3, abs=0.1)


def test_subsolar_point_case2() -> None:
    # Case 2: ShadowFinder README, 2024-02-29 13:59:59 UTC: subsolar point about (-7.64, -26.90).
    lat, lon = sun.sun_instant("2024-02-29T13:59:59Z").subsolar
    assert lat == pytest.approx(-7.64, abs=0.01)
    assert lon == pytest.approx(-26.90, abs=0.01)


def test_grid_matches_spa_at_sampled_cells() -> None:
    # The per-cell path must agree with pvlib's full SPA (the reference) to ≤ 0.003°.
    lats = np.arange(-89.5, 90, 1.0)
    lons = np.arange(-179.5, 180, 1.0)
    g = sun.sun_grid("2022-06-21T06:00Z", lats, lons, azimuth=True)
    assert g.azimuth is not None
    rng = np.random.default_rng(7)
    for r, c in zip(rng.integers(0, len(lats), 60), rng.integers(0, len(lons), 60), strict=True):
        p = sun.sun_position("2022-06-21T06:00Z", lats[r], lons[c])
        assert abs(g.elevation[r, c] - p.elevation[0]) <= 0.003
        if p.elevation[0] < 89.0:
            assert abs((g.azimuth[r, c] - p.azimuth[0] + 180) % 360 - 180) <= 0.003


def test_refraction_inverse_round_trip() -> None:
    for e in (0.5, 5.0, 25.0, 63.4, 89.0):
        g = sun.geometric_from_apparent(e)
        assert g + float(sun.refraction(g)) == pytest.approx(e, abs=1e-8)
        assert g < e


def test_microsecond_timestamps_are_exact() -> None:
    # Pitfall in sun-cases.md: a Python port returns wrong positions for microsecond-unit
    # timestamps. Equal instants in ns, us and s units must give the same sun.
    ns = pd.DatetimeIndex(["2022-11-11T10:00:00"], tz="UTC")
    us = ns.as_unit("us")
    s = ns.as_unit("s")
    a = [sun.sun_position(x, 46.6354, 32.6169).azimuth[0] for x in (ns, us, s)]
    assert a[0] == a[1] == a[2]
    assert sun.unix_seconds(us)[0] == 1668160800.0


def test_naive_times_are_utc_and_bad_input_raises() -> None:
    a = sun.sun_position("2022-11-11T10:00", 46.6354, 32.6169)
    b = sun.sun_position("2022-11-11T12:00+02:00", 46.6354, 32.6169)
    assert a.azimuth[0] == b.azimuth[0]
    with pytest.raises(ValueError):
        sun.sun_position("2022-11-11T10:00Z", 95.0, 0.0)
    with pytest.raises(ValueError):
        sun.sun_position("2022-11-11T10:00Z", float("nan"), 0.0)
    with pytest.raises(ValueError):
        sun.sun_position("not a time", 0.0, 0.0)


def test_night_has_no_shadow() -> None:
    p = sun.sun_position("2022-11-11T22:00Z", 46.6354, 32.6169)
    assert p.elevation[0] < 0
    assert np.isnan(p.shadow_ratio[0])
    assert p.row()["shadow_ratio"] is None


def test_solar_noon_case8() -> None:
    # Case 8: solar noon at Kherson on 2022-11-11 is about 09:33:20 UTC (max elevation 25.90°).
    t = sun.solar_noon("2022-11-11", 46.6354, 32.6169)
    ref = pd.Timestamp("2022-11-11T09:33:20Z").to_pydatetime()
    assert abs((t - ref).total_seconds()) <= 15
    assert sun.sun_position([t], 46.6354, 32.6169).elevation[0] == pytest.approx(25.90, abs=0.01)


def test_reference_values_come_from_the_shared_case_file(shared_data) -> None:  # type: ignore[no-untyped-def]
    # The expected numbers above are copied from ../shared/data/sun-cases.md; make sure they are
    # still the ones published there.
    text = (shared_data / "sun-cases.md").read_text(encoding="utf-8")
    for value in ("50.11162", "194.34024", "161.50", "37.46", "62.62", "200.05", "54.77", "157.14", "25.62",
                  "187.00", "22.94", "193.79", "63.435", "18.92", "34.21", "51.340", "30.99", "46.33",
                  "08:48:50", "10:17:40", "09:48:40", "10:11:20", "217.3"):
        assert value in text, value
