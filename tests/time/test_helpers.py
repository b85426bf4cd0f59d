"""The plain-dict helpers the web app's shadow tool calls (verilens.time.time_windows / shadow_ring)."""

from __future__ import annotations

import json

import pytest

from verilens import time as vtime


def test_time_windows_helper_case8() -> None:
    # Case 8 (sun-cases.md) through the helper, apparent elevation: same window within a minute.
    d = vtime.time_windows(lat=46.6354, lon=32.6169, date="2022-11-11", elevation=25.62, tolerance=0.5)
    assert len(d["windows"]) == 1 and d["windows"][0]["start"].startswith("2022-11-11T08:4")
    assert d["zone"]["zone"] == "Europe/Kyiv"
    json.dumps(d)  # plain JSON


def test_shadow_ring_helper_utc_and_local() -> None:
    # Case 2 (ShadowFinder README) at a coarse step: the ring crosses the subsolar meridian near 18.9°N.
    d = vtime.shadow_ring(time="2024-02-29T13:59:59Z", elevation=63.435, tolerance=0.5, step=0.5)
    assert d["cells"] > 0 and d["subsolar_meridian_crossings"][0] == pytest.approx(18.93, abs=0.05)
    assert d["geojson"]["type"] == "FeatureCollection"
    json.dumps(d)
    loc = vtime.shadow_ring(time="2024-02-29T13:59:59", elevation=63.435, tolerance=0.5, step=1.0)
    assert loc["local_time"] == "2024-02-29T13:59:59" and loc["cells"] > 0
