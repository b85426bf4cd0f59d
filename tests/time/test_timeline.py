"""Timeline assembly and contradiction rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from verilens.time.timeline import build_timeline

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _ts(*items: dict) -> dict:
    return {"timestamps": list(items), "derived_utc_offset": None}


def _t(source: str, value: str, utc: str | None, kind: str = "capture", local: bool = False) -> dict:
    return {"source": source, "value": value, "utc": utc, "offset": None, "kind": kind, "local_copy_only": local}


def test_capture_after_first_seen_is_strong() -> None:
    tl = build_timeline(
        _ts(_t("ExifIFD:DateTimeOriginal", "2022-03-20T10:00:00+02:00", "2022-03-20T08:00:00+00:00")),
        archive={"earliest": {"id": 1, "path": "a.jpg", "source_url": "https://x.example/p/1",
                              "first_seen": "2022-03-19T12:00:00+00:00"}},
        now=NOW)
    rules = {c.rule: c for c in tl.contradictions}
    assert "capture_after_first_seen" in rules and rules["capture_after_first_seen"].severity == "strong"
    assert rules["capture_after_first_seen"].difference_s == 20 * 3600
    assert [e.kind for e in tl.events] == ["first_seen", "capture"]


def test_consistent_times_raise_nothing() -> None:
    tl = build_timeline(
        _ts(_t("ExifIFD:DateTimeOriginal", "2022-03-19T10:00:00+02:00", "2022-03-19T08:00:00+00:00"),
            _t("GPS:GPSDateStamp", "2022-03-19T08:00:01Z", "2022-03-19T08:00:01+00:00", "gps"),
            _t("System:FileModifyDate", "2025-01-01T00:00:00+00:00", "2025-01-01T00:00:00+00:00", "filesystem", True)),
        c2pa={"signing_time": "2022-03-19T09:00:00Z", "validation_state": "Valid"},
        archive={"earliest": {"id": 1, "path": "a.jpg", "source_url": None, "first_seen": "2022-03-19T12:00:00Z"}},
        claim_time="2022-03-19T10:30:00+02:00", now=NOW)
    assert tl.contradictions == []
    assert len(tl.events) == 6


def test_claim_after_first_seen_and_far_from_capture() -> None:
    tl = build_timeline(
        _ts(_t("ExifIFD:DateTimeOriginal", "2014-09-16T14:05:12+01:00", "2014-09-16T13:05:12+00:00")),
        archive={"earliest": {"id": 1, "path": "a.jpg", "source_url": None, "first_seen": "2015-01-01T00:00:00Z"}},
        claim_time="2022-03-19", now=NOW)
    rules = {c.rule for c in tl.contradictions}
    assert {"claim_after_first_seen", "claim_vs_capture"} <= rules


def test_claimed_day_contains_capture() -> None:
    tl = build_timeline(_ts(_t("ExifIFD:DateTimeOriginal", "2022-03-19T23:30:00+02:00", "2022-03-19T21:30:00+00:00")),
                        claim_time="2022-03-19", zone_offset=timedelta(hours=2), now=NOW)
    assert tl.contradictions == []


def test_signing_rule_severity_depends_on_validation() -> None:
    ts = _ts(_t("ExifIFD:DateTimeOriginal", "2023-05-02T10:00:00Z", "2023-05-02T10:00:00+00:00"))
    strong = build_timeline(ts, c2pa={"signing_time": "2023-05-01T10:00:00Z", "validation_state": "Valid"}, now=NOW)
    weak = build_timeline(ts, c2pa={"signing_time": "2023-05-01T10:00:00Z", "validation_state": "Invalid"}, now=NOW)
    assert strong.contradictions[0].severity == "strong" and weak.contradictions[0].severity == "weak"


def test_local_times_use_the_claimed_zone_as_assumption() -> None:
    ts = _ts(_t("ExifIFD:DateTimeOriginal", "2022-11-01T12:00:00", None))
    tl = build_timeline(ts, zone_offset=timedelta(hours=3), zone_label="Europe/Moscow (override: kherson)", now=NOW)
    e = tl.events[0]
    assert e.utc == "2022-11-01T09:00:00+00:00" and "Europe/Moscow" in (e.assumed or "")
    tl = build_timeline(ts, now=NOW)
    assert tl.events[0].utc is None and any("could not be placed" in n for n in tl.notes)


def test_modified_before_capture_and_future() -> None:
    tl = build_timeline(_ts(
        _t("ExifIFD:DateTimeOriginal", "2022-01-02T00:00:00Z", "2022-01-02T00:00:00+00:00"),
        _t("IFD0:ModifyDate", "2022-01-01T00:00:00Z", "2022-01-01T00:00:00+00:00", "modified"),
        _t("XMP:CreateDate", "2030-01-01T00:00:00Z", "2030-01-01T00:00:00+00:00", "xmp")), now=NOW)
    rules = {c.rule for c in tl.contradictions}
    assert {"modified_before_capture", "in_the_future"} <= rules


def test_hostile_values_do_not_crash() -> None:
    tl = build_timeline({"timestamps": [None, 5, {"value": "x" * 10_000, "utc": "9999-99-99"},
                                        {"value": "0001-01-01T00:00:00+14:00", "kind": "capture"}] * 100},
                        c2pa={"signing_time": ["not", "a", "string"]},
                        archive={"earliest": "bogus"}, claim_time="garbage", now=NOW)
    assert len(tl.events) <= 201


def test_claim_agrees_with_gps_even_when_camera_clock_is_off() -> None:
    # Camera clock a day behind GPS (as in the real DSCN0010.jpg sample): a claim at the GPS time
    # is not contradicted.
    ts = _ts(_t("ExifIFD:DateTimeOriginal", "2008-10-22T16:28:39", None),
             _t("GPS:GPSDateStamp/GPSTimeStamp", "2008-10-23T14:27:07+00:00", "2008-10-23T14:27:07+00:00", "gps"))
    tl = build_timeline(ts, claim_time="2008-10-23T16:27:00+02:00", zone_offset=timedelta(hours=2), now=NOW)
    assert tl.contradictions == []
    tl = build_timeline(ts, claim_time="2008-11-23T16:27:00+02:00", zone_offset=timedelta(hours=2), now=NOW)
    assert [c.rule for c in tl.contradictions] == ["claim_vs_capture"]


def test_a_first_seen_date_is_the_whole_day() -> None:
    day = {"earliest": {"id": 1, "path": "a.jpg", "source_url": None, "first_seen": "2022-03-15"}}
    same_day = build_timeline(archive=day, claim_time="2022-03-15T11:00:00+02:00", now=NOW)
    assert same_day.contradictions == []
    fs = next(e for e in same_day.events if e.kind == "first_seen")
    assert fs.value == "2022-03-15" and fs.assumed and "2022-03-16T12:00:00+00:00" in fs.assumed
    later = build_timeline(archive=day, claim_time="2022-03-18T11:00:00+02:00", now=NOW)
    c = next(c for c in later.contradictions if c.rule == "claim_after_first_seen")
    assert c.difference_s == 45 * 3600  # from the latest moment of the 15th (16th 12:00 UTC) to 18th 09:00 UTC
    assert "earliest first-seen time in the archive (2022-03-15)" in c.summary
    capture = _ts(_t("ExifIFD:DateTimeOriginal", "2022-03-15T20:00:00+00:00", "2022-03-15T20:00:00+00:00"))
    assert build_timeline(capture, archive=day, now=NOW).contradictions == []


def test_a_claimed_day_without_a_place_spans_every_zone() -> None:
    seen = {"earliest": {"id": 1, "path": "a.jpg", "source_url": None, "first_seen": "2023-04-16T20:00:00Z"}}
    tl = build_timeline(archive=seen, claim_time="2023-04-17", now=NOW)  # the 17th began at 10:00 UTC on the 16th
    assert tl.contradictions == []
    assert build_timeline(archive=seen, claim_time="2023-04-18", now=NOW).contradictions
