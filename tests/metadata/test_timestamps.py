"""Timestamps: parsing, UTC reconciliation, GPS-derived offsets, disagreements.

References: CIPA DC-008-2023 (Exif 3.0) — DateTimeOriginal is local wall-clock time,
OffsetTimeOriginal its UTC offset, GPSDateStamp/GPSTimeStamp are UTC; QuickTime File Format
(creation time in UTC). Real UTC offsets are whole quarter hours (IANA tz database).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.media import exiftool_write, natural_image, requires_exiftool, write_jpeg
from verilens.metadata.exiftool import bridge
from verilens.metadata.timestamps import (
    collect_timestamps,
    derive_offset,
    parse_datetime,
    parse_offset,
)


def test_parse_datetime_forms() -> None:
    assert parse_datetime("2014:09:16 14:05:12") == (datetime(2014, 9, 16, 14, 5, 12), False)
    dt, aware = parse_datetime("2014:09:16 14:05:12+01:00")  # type: ignore[misc]
    assert aware and dt.utcoffset() == timedelta(hours=1)
    dt, _ = parse_datetime("2014:09:16 14:05:12", subsec="133")  # type: ignore[misc]
    assert dt.microsecond == 133000
    assert parse_datetime("2012:12:31 04:35:10Z")[0].utcoffset() == timedelta(0)  # type: ignore[index]
    for bad in (
        "0000:00:00 00:00:00",
        "2014:09:259",
        "2014:13:01 00:00:00",
        "    :  :     :  :  ",
        "",
        None,
        "x" * 10_000,
        "2014:02:30 10:00:00",
    ):
        assert parse_datetime(bad) is None, bad


def test_parse_offset() -> None:
    assert parse_offset("+05:30") == timedelta(hours=5, minutes=30)
    assert parse_offset("-0800") == timedelta(hours=-8)
    assert parse_offset("Z") == timedelta(0)
    assert parse_offset("+25:00") is None and parse_offset("garbage") is None


def test_derive_offset_whole_and_half_hours() -> None:
    off, diff = derive_offset(
        datetime(2020, 6, 1, 17, 30, 5), datetime(2020, 6, 1, 12, 0, 0, tzinfo=UTC)
    )
    assert off == timedelta(hours=5, minutes=30) and diff == pytest.approx(19805)
    # GPS time without a usable date: matched to the closest day (crossing midnight)
    off, _ = derive_offset(
        datetime(2020, 6, 2, 0, 30, 0), datetime(1900, 1, 1, 22, 30, 0, tzinfo=UTC)
    )
    assert off == timedelta(hours=2)
    # 20 minutes off any real offset: a stale GPS fix or a wrong clock, not an offset
    off, diff = derive_offset(
        datetime(2020, 6, 1, 12, 20, 0), datetime(2020, 6, 1, 12, 0, 0, tzinfo=UTC)
    )
    assert off is None and diff == pytest.approx(1200)


def _raw(**tags: object) -> dict:
    return {k.replace("__", ":"): v for k, v in tags.items()}


def test_gps_derived_offset_turns_local_times_into_utc() -> None:
    raw = _raw(
        ExifIFD__DateTimeOriginal="2014:09:16 14:05:12",
        ExifIFD__CreateDate="2014:09:16 14:05:12",
        GPS__GPSDateStamp="2014:09:16",
        GPS__GPSTimeStamp="13:05:11",
    )
    rep = collect_timestamps(raw)
    assert rep.derived_utc_offset == "+01:00" and rep.offset_basis.startswith("derived")
    cap = next(t for t in rep.timestamps if t.source == "ExifIFD:DateTimeOriginal")
    assert cap.value == "2014-09-16T14:05:12" and cap.offset is None  # as recorded, never converted
    assert (
        cap.utc == "2014-09-16T13:05:12+00:00" and cap.utc_basis == "offset derived from GPS time"
    )
    assert not rep.disagreements


def test_recorded_offset_wins_and_is_checked_against_gps() -> None:
    raw = _raw(
        ExifIFD__DateTimeOriginal="2021:03:01 10:00:00",
        ExifIFD__OffsetTimeOriginal="+02:00",
        GPS__GPSDateStamp="2021:03:01",
        GPS__GPSTimeStamp="08:00:30",
    )
    rep = collect_timestamps(raw)
    assert rep.derived_utc_offset == "+02:00" and rep.offset_basis.startswith("recorded")
    assert rep.timestamps[0].value == "2021-03-01T10:00:00+02:00"
    assert rep.timestamps[0].utc == "2021-03-01T08:00:00+00:00"
    assert not rep.disagreements
    raw["GPS:GPSTimeStamp"] = "05:00:00"  # implies +05:00
    rep = collect_timestamps(raw)
    assert rep.disagreements and "implies +05:00" in rep.disagreements[0]["reason"]


def test_filesystem_times_are_local_copy_only() -> None:
    rep = collect_timestamps(
        _raw(
            System__FileModifyDate="2026:11:25 00:27:27+00:00",
            System__FileAccessDate="2026:11:25 00:27:27+00:00",
        )
    )
    assert [t.source for t in rep.timestamps] == [
        "System:FileModifyDate"
    ]  # access time is never evidence
    assert rep.timestamps[0].local_copy_only and rep.timestamps[0].kind == "filesystem"


def test_quicktime_is_utc_by_specification() -> None:
    rep = collect_timestamps(
        _raw(
            QuickTime__CreateDate="2019:07:24 08:25:57",
            Keys__CreationDate="2019:07:24 11:25:40+03:00",
        )
    )
    qt = next(t for t in rep.timestamps if t.source == "QuickTime:CreateDate")
    assert qt.utc == "2019-07-24T08:25:57+00:00" and qt.utc_basis == "UTC by specification"
    assert not rep.disagreements  # 17 s apart, within tolerance
    # a camera writing local time into the UTC field shows up as a whole-hour disagreement
    rep = collect_timestamps(
        _raw(
            QuickTime__CreateDate="2019:07:24 11:25:57",
            Keys__CreationDate="2019:07:24 11:25:40+03:00",
        )
    )
    assert rep.disagreements and "time-zone-like" in rep.disagreements[0]["reason"]


def test_hostile_values_stay_bounded() -> None:
    raw = {f"XMP-x:Evil{i}Date": "2020:01:01 00:00:00" for i in range(1000)}
    raw["ExifIFD:DateTimeOriginal"] = "<script>" + "9" * 100000
    rep = collect_timestamps(raw)
    assert len(rep.timestamps) <= 200
    assert all(len(n) < 400 for n in rep.notes)


@requires_exiftool
def test_conflicting_times_in_a_real_file(tmp_path: Path) -> None:
    f = write_jpeg(tmp_path / "conflict.jpg", natural_image(320, 240))
    exiftool_write(
        f,
        "-DateTimeOriginal=2022:05:01 10:00:00",
        "-CreateDate=2022:05:01 10:00:00",
        "-XMP-photoshop:DateCreated=2022:05:03 18:30:00",
        "-IPTC:DateCreated=2022:05:01",
        "-IPTC:TimeCreated=10:00:00+03:00",
        "-OffsetTimeOriginal=+03:00",
    )
    rep = collect_timestamps(bridge().read_one(f))
    pairs = {(d["a"], d["b"]) for d in rep.disagreements}
    assert ("ExifIFD:DateTimeOriginal", "XMP-photoshop:DateCreated") in pairs
    assert ("ExifIFD:DateTimeOriginal", "IPTC:DateCreated") not in pairs  # IPTC agrees with EXIF
    assert ("ExifIFD:DateTimeOriginal", "ExifIFD:CreateDate") not in pairs
    iptc = next(t for t in rep.timestamps if t.source == "IPTC:DateCreated")
    assert iptc.utc == "2022-05-01T07:00:00+00:00"


@requires_exiftool
def test_gps_time_vs_local_time_with_known_offset(tmp_path: Path) -> None:
    # Kyiv in summer is UTC+03:00: local 15:42:10, GPS 12:42:09 UTC
    f = write_jpeg(tmp_path / "gps.jpg", natural_image(320, 240))
    exiftool_write(
        f,
        "-DateTimeOriginal=2023:07:14 15:42:10",
        "-GPSDateStamp=2023:07:14",
        "-GPSTimeStamp=12:42:09",
        "-GPSLatitude=50.45",
        "-GPSLatitudeRef=N",
        "-GPSLongitude=30.52",
        "-GPSLongitudeRef=E",
    )
    rep = collect_timestamps(bridge().read_one(f))
    assert rep.derived_utc_offset == "+03:00"
    assert rep.gps_vs_local_s == pytest.approx(3 * 3600 + 1, abs=0.01)
    gps = next(t for t in rep.timestamps if t.kind == "gps")
    assert gps.utc == "2023-07-14T12:42:09+00:00"
