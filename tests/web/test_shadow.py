"""Three clicked points to a sun elevation (verilens.web.shadow)."""

from __future__ import annotations

import math

import pytest

from verilens.web.shadow import MIN_TOLERANCE_DEG, elevation_from_points


def test_equal_lengths_give_45_degrees() -> None:
    # tan(45°) = 1: object and shadow of the same length (right-triangle definition of tan)
    g = elevation_from_points([100, 400], [100, 200], [300, 400])
    assert g.object_height_px == pytest.approx(200)
    assert g.shadow_length_px == pytest.approx(200)
    assert g.elevation_deg == pytest.approx(45.0)
    assert g.shadow_direction_image_deg == pytest.approx(90.0)  # shadow points right in the picture


def test_three_four_five_triangle() -> None:
    # height 300 px, shadow 400 px: atan(3/4) = 36.8699° (3-4-5 right triangle)
    g = elevation_from_points([0, 300], [0, 0], [-400, 300])
    assert g.elevation_deg == pytest.approx(math.degrees(math.atan2(3, 4)), abs=1e-9)
    assert g.elevation_deg == pytest.approx(36.8699, abs=1e-4)
    assert g.shadow_direction_image_deg == pytest.approx(270.0)


def test_agrees_with_the_time_engine_when_present() -> None:
    shadows = pytest.importorskip("verilens.time.shadows")
    ours = elevation_from_points([10, 500], [40, 120], [420, 520]).elevation_deg
    assert ours == pytest.approx(shadows.elevation_from_points([10, 500], [40, 120], [420, 520]), abs=1e-6)


def test_short_segments_widen_the_tolerance() -> None:
    long = elevation_from_points([0, 1000], [0, 0], [1000, 1000])
    short = elevation_from_points([0, 20], [0, 0], [20, 20])
    assert long.tolerance_deg == pytest.approx(MIN_TOLERANCE_DEG)
    assert short.click_error_deg > 10 * long.click_error_deg
    assert short.tolerance_deg > long.tolerance_deg


def test_requested_tolerance_is_kept_when_larger() -> None:
    g = elevation_from_points([0, 1000], [0, 0], [1000, 1000], tolerance_deg=7.5)
    assert g.tolerance_deg == 7.5


@pytest.mark.parametrize("pts", [
    ([0, 0], [0, 1], [50, 0]),          # object too short
    ([0, 0], [0, 100], [1, 1]),         # shadow too short
    ([0, float("nan")], [0, 100], [50, 0]),
    ([0], [0, 100], [50, 0]),
])
def test_unmeasurable_points_are_refused(pts: tuple[list[float], list[float], list[float]]) -> None:
    with pytest.raises(ValueError):
        elevation_from_points(*pts)
