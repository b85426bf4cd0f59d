"""Shadow measurements → sun elevation."""

from __future__ import annotations

import math

import pytest

from verilens.errors import UsageError
from verilens.time import shadows


def test_lengths_case2_and_case3() -> None:
    # Case 2 (ShadowFinder README): height 10, shadow 5 → 63.435°. Case 3: 10 / 8 → 51.340°.
    assert shadows.elevation_from_lengths(10, 5) == pytest.approx(63.435, abs=1e-3)
    assert shadows.elevation_from_lengths(10, 8) == pytest.approx(51.340, abs=1e-3)


def test_points_square_on() -> None:
    # A 100 px object and its 100 px shadow at right angles → 45°.
    e = shadows.elevation_from_points((50, 200), (50, 100), (150, 200))
    assert e == pytest.approx(45.0)
    e = shadows.elevation_from_points((0, 0), (0, -173.2051), (100, 0))
    assert e == pytest.approx(60.0, abs=1e-4)


@pytest.mark.parametrize("bad", [(0, 1), (1, 0), (-1, 2), (float("nan"), 1), ("x", 1), (float("inf"), 2)])
def test_lengths_reject_bad_values(bad: tuple) -> None:
    with pytest.raises(UsageError):
        shadows.elevation_from_lengths(*bad)


def test_points_reject_degenerate() -> None:
    with pytest.raises(UsageError):
        shadows.elevation_from_points((0, 0), (0, 0), (10, 0))
    with pytest.raises(UsageError):
        shadows.elevation_from_points((0, 0), (0, "a"), (10, 0))


def test_parse_points() -> None:
    assert shadows.parse_points("1,2; 3,4;5,6") == {"base": [1.0, 2.0], "top": [3.0, 4.0], "tip": [5.0, 6.0]}
    for bad in ("1,2;3,4", "1,2;3;5,6", "a,b;c,d;e,f", "1,2;3,4;5,nan"):
        with pytest.raises(UsageError):
            shadows.parse_points(bad)


def test_measurement_from_spec() -> None:
    m = shadows.measurement_from({"object_height": 10, "shadow_length": 5, "tolerance": 0.5})
    assert m is not None and m.source == "lengths" and m.tolerance == 0.5
    assert m.elevation == pytest.approx(math.degrees(math.atan(2)))
    assert m.assumptions == shadows.ASSUMPTIONS_LENGTHS
    m = shadows.measurement_from({"points": "0,0;0,-100;100,0"})
    assert m is not None and m.source == "points" and m.elevation == pytest.approx(45.0)
    assert any("square-on" in a for a in m.assumptions)
    # a shadow bearing is turned into the sun's azimuth
    m = shadows.measurement_from({"elevation": 30, "shadow_bearing": 7})
    assert m is not None and m.azimuth == pytest.approx(187.0)
    m = shadows.measurement_from({"azimuth": 400})
    assert m is not None and m.elevation is None and m.azimuth == pytest.approx(40.0)
    assert shadows.measurement_from(None) is None
    assert shadows.measurement_from({}) is None


@pytest.mark.parametrize("spec", [
    {"elevation": 30, "object_height": 1, "shadow_length": 1},
    {"object_height": 1},
    {"elevation": -5},
    {"elevation": 30, "tolerance": 0},
    {"elevation": 30, "tolerance": "1e999"},
    {"points": {"base": [0, 0]}},
])
def test_measurement_from_rejects(spec: dict) -> None:
    with pytest.raises(UsageError):
        shadows.measurement_from(spec)


def test_tolerance_from_lengths() -> None:
    # d atan(r)/dr = 1/(1+r^2): r = 1, 10 % error → 0.05 rad·… = 2.865°
    assert shadows.elevation_tolerance_from_lengths(1, 1, 0.1) == pytest.approx(math.degrees(0.05))
