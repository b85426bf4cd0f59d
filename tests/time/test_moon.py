"""Moon position and phase (Skyfield + shipped DE421)."""

from __future__ import annotations

import socket

import pytest

from verilens.time import moon


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_full_and_new_moon(no_network: None) -> None:
    # USNO phases: full moon 2024-04-23 23:49 UTC; new moon (total solar eclipse) 2024-04-08 18:21 UTC.
    m = moon.moon_position(["2024-04-23T23:49Z", "2024-04-08T18:21Z"], 50.45, 30.52)
    assert m.illuminated[0] > 0.99 and m.phase_name[0] == "full moon"
    assert m.illuminated[1] < 0.01 and m.phase_name[1] == "new moon"
    assert abs((m.phase_angle[0] - 180.0 + 180) % 360 - 180) < 0.5


def test_eclipse_moon_sits_on_the_sun() -> None:
    # 2024-04-08 total eclipse near Dallas (32.78 N, 96.80 W) at 18:42 UTC: moon and sun coincide.
    from verilens.time.sun import sun_position

    m = moon.moon_position("2024-04-08T18:42Z", 32.78, -96.80)
    s = sun_position("2024-04-08T18:42Z", 32.78, -96.80)
    assert abs(m.elevation[0] - s.elevation[0]) < 0.3
    assert abs(m.azimuth[0] - s.azimuth[0]) < 0.6


def test_phase_names() -> None:
    assert moon.phase_name(0) == "new moon"
    assert moon.phase_name(90) == "first quarter"
    assert moon.phase_name(200) == "full moon"
    assert moon.phase_name(270) == "last quarter"
    assert moon.phase_name(320) == "waning crescent"


def test_outside_ephemeris_span() -> None:
    with pytest.raises(ValueError):
        moon.moon_position("2100-01-01T00:00Z", 0.0, 0.0)
