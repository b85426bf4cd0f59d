"""Time zones with the occupied-territory overrides (sun-cases.md, 'Pitfalls')."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from verilens.time import timezones as tz


def test_iana_zones() -> None:
    assert tz.iana_zone_at(50.45, 30.52) == "Europe/Kyiv"
    assert tz.iana_zone_at(48.8566, 2.3522) == "Europe/Paris"
    assert tz.iana_zone_at(0.0, -30.0) == "Etc/GMT+2"
    with pytest.raises(ValueError):
        tz.iana_zone_at(91, 0)


def test_kyiv_no_override() -> None:
    z = tz.zone_for(50.45, 30.52, datetime(2022, 1, 10, 12))
    assert z.zone == "Europe/Kyiv" and z.override is None and z.note is None and z.utc_offset == "+02:00"


def test_donetsk_and_luhansk_moscow_time_since_2014() -> None:
    # IANA puts Donetsk and Luhansk in Europe/Kyiv; clocks there ran on Moscow time since 2014-10-26.
    for lat, lon in ((48.0159, 37.8028), (48.574, 39.3078)):
        z = tz.zone_for(lat, lon, datetime(2020, 1, 10, 12))
        assert z.iana_zone == "Europe/Kyiv"
        assert z.zone == "Europe/Moscow" and z.override == "ordlo-2014"
        assert z.utc_offset == "+03:00" and "IANA says Europe/Kyiv" in (z.note or "")
        before = tz.zone_for(lat, lon, datetime(2013, 1, 10, 12))
        assert before.zone == "Europe/Kyiv" and before.override is None and "not at this date" in (before.note or "")


def test_kherson_only_during_occupation() -> None:
    during = tz.zone_for(46.6354, 32.6169, datetime(2022, 10, 1, 12))
    after = tz.zone_for(46.6354, 32.6169, datetime(2022, 12, 1, 12))
    assert during.zone == "Europe/Moscow" and during.override == "kherson-right-bank-2022"
    assert after.zone == "Europe/Kyiv"
    # Melitopol (occupied Zaporizhzhia oblast) stays on Moscow time after 2022
    assert tz.zone_for(46.8489, 35.3653, datetime(2023, 1, 1, 12)).zone == "Europe/Moscow"
    # Crimea: IANA already has Europe/Simferopol on Moscow time; no override needed
    z = tz.zone_for(44.95, 34.10, datetime(2023, 1, 1, 12))
    assert z.zone == z.iana_zone == "Europe/Simferopol" and z.override is None


def test_local_to_utc_and_offsets() -> None:
    assert tz.local_to_utc(datetime(2022, 11, 11, 12), "Europe/Kyiv") == datetime(2022, 11, 11, 10, tzinfo=UTC)
    assert tz.local_to_utc_offset("Europe/Kyiv", datetime(2022, 7, 1, 12)) == timedelta(hours=3)
    assert tz.local_to_utc_offset("No/Such_Zone", datetime(2022, 7, 1)) is None
    assert tz.format_offset(timedelta(hours=-3, minutes=-30)) == "-03:30"


def test_offset_grid_applies_overrides() -> None:
    lats = np.array([50.45, 48.0159, 46.6354])
    lons = np.array([30.52, 37.8028, 32.6169])
    g = tz.utc_offset_grid(datetime(2022, 10, 1, 12), lats, lons)
    assert g[0, 0] == 180.0  # Kyiv summer time on 1 October
    g = tz.utc_offset_grid(datetime(2022, 1, 10, 12), lats, lons)
    assert g[0, 0] == 120.0  # Kyiv in winter
    assert g[1, 1] == 180.0  # Donetsk on Moscow time
    assert g[2, 2] == 120.0  # Kherson before occupation


def test_zone_grid_cache_round_trip() -> None:
    tz.zone_name_grid.cache_clear()
    codes, names = tz.zone_name_grid(5.0)
    assert tz._grid_cache_path(5.0).is_file()
    again = tz._read_grid_cache(5.0, *codes.shape)
    assert again is not None and (again[0] == codes).all() and again[1] == names
    # a corrupt cache is ignored, not trusted
    tz._grid_cache_path(5.0).write_bytes(b"not an npz")
    assert tz._read_grid_cache(5.0, *codes.shape) is None
    tz.zone_name_grid.cache_clear()
