"""Time windows from a shadow (case 8 of ../shared/data/sun-cases.md and behaviour)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from verilens.time import when


def _t(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def _close(a: datetime, b: str, tol_s: float) -> bool:
    return abs((a - _t(b)).total_seconds()) <= tol_s


def test_case8_elevation_only() -> None:
    # Case 8: Kherson 2022-11-11, geometric elevation 25.62 ± 0.5°: one window 08:48:50–10:17:40 UTC
    # spanning solar noon 09:33:20 (the source's values are on a 10 s grid).
    s, e = when.day_span("2022-11-11", "Europe/Kyiv")
    r = when.time_windows(46.6354, 32.6169, s, e, elevation=25.62, tolerance=0.5, apparent=False)
    assert len(r.windows) == 1
    w = r.windows[0]
    assert _close(w.start, "2022-11-11T08:48:50Z", 15) and _close(w.end, "2022-11-11T10:17:40Z", 15)
    assert w.branch == "around_noon"
    assert _close(w.solar_noon, "2022-11-11T09:33:20Z", 15)
    assert r.days[0]["max_elevation"] == pytest.approx(25.90, abs=0.01)
    assert any("solar noon" in n for n in r.notes)


def test_case8_with_azimuth() -> None:
    # Case 8: with shadow azimuth 187 ± 3° as well: 09:48:40–10:11:20 UTC.
    s, e = when.day_span("2022-11-11", "Europe/Kyiv")
    r = when.time_windows(46.6354, 32.6169, s, e, elevation=25.62, tolerance=0.5, azimuth=187,
                          azimuth_tolerance=3, apparent=False)
    assert len(r.windows) == 1
    w = r.windows[0]
    assert _close(w.start, "2022-11-11T09:48:40Z", 15) and _close(w.end, "2022-11-11T10:11:20Z", 15)
    assert w.branch == "afternoon"


def test_morning_and_afternoon_are_separate() -> None:
    # Well below the noon maximum, elevation alone matches twice: once each side of noon.
    s, e = when.day_span("2022-06-21", "Europe/Kyiv")
    r = when.time_windows(50.45, 30.52, s, e, elevation=30.0, tolerance=0.5)
    assert [w.branch for w in r.windows] == ["morning", "afternoon"]
    noon = r.windows[0].solar_noon
    assert r.windows[0].end < noon < r.windows[1].start
    assert any("azimuth" in n for n in r.notes)
    # each edge really is where the elevation crosses the band
    from verilens.time.sun import sun_position

    p = sun_position([r.windows[0].start, r.windows[1].end], 50.45, 30.52)
    assert p.apparent_elevation[0] == pytest.approx(29.5, abs=0.01)
    assert p.apparent_elevation[1] == pytest.approx(29.5, abs=0.01)


def test_never_reached_gives_no_window_and_a_note() -> None:
    s, e = when.day_span("2022-12-21", None)
    r = when.time_windows(60.0, 30.0, s, e, elevation=40.0, tolerance=1.0)
    assert r.windows == []
    assert any("never reaches" in n for n in r.notes)


def test_range_scan_reports_mirror_dates() -> None:
    # The sun on 2022-05-01 has the same declination as on about 2022-08-12 (symmetry about the
    # June solstice); a range scan reports this.
    s, e = when.day_span("2022-04-28..2022-05-03", "Europe/Kyiv")
    r = when.time_windows(50.45, 30.52, s, e, elevation=40.0, tolerance=0.3, azimuth=120, azimuth_tolerance=5)
    assert r.windows
    md = {m["date"]: m["mirror_date"] for m in r.mirror_dates}
    assert "2022-05-01" in md
    mirror = datetime.fromisoformat(md["2022-05-01"]).date()
    assert abs((mirror - datetime(2022, 8, 12).date()).days) <= 2
    assert any("mirror" in n for n in r.notes)


def test_day_span_local_and_range() -> None:
    s, e = when.day_span("2022-11-11", "Europe/Kyiv")
    assert s == datetime(2022, 11, 10, 22, tzinfo=UTC) and e == datetime(2022, 11, 11, 22, tzinfo=UTC)
    s, e = when.day_span("2022-01-01..2022-01-03", None)
    assert (e - s).days == 3
    with pytest.raises(ValueError):
        when.day_span("2022-01-03..2022-01-01", None)


def test_bad_spans() -> None:
    s = datetime(2022, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError):
        when.time_windows(0, 0, s, s, elevation=10)
    with pytest.raises(ValueError):
        when.time_windows(0, 0, s, s.replace(year=2024), elevation=10)
    with pytest.raises(ValueError):
        when.time_windows(0, 0, s, s.replace(day=2))
    with pytest.raises(ValueError):
        when.time_windows(0, 0, s.replace(tzinfo=None), s.replace(day=2, tzinfo=None), elevation=10)


def test_angle_diff() -> None:
    assert float(when.angle_diff(359.0, 1.0)) == pytest.approx(-2.0)
    assert float(when.angle_diff(1.0, 359.0)) == pytest.approx(2.0)
