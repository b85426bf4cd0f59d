"""The time.sun and time.timeline checks, through the pipeline and with fake upstream results."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from verilens.api import check
from verilens.evidence import CheckResult, Claim, Place, Question, State
from verilens.pipeline import Options
from verilens.time.checks import timeline_check


def _run(path: Path, tmp_path: Path, claim_place: str | None, claim_time: str | None, shadow: dict | None):
    opts = Options(checks={"time.sun"}, shadow=shadow)
    (report,) = list(check([str(path)], claim_place=claim_place, claim_time=claim_time, out=tmp_path / "out",
                           options=opts))
    return report.check("time.sun")


def test_consistent_claim(jpeg_file: Path, tmp_path: Path) -> None:
    # Case 7: Kherson 2022-11-11 10:00 UTC, shadow 2.08 × height pointing to 7° → consistent.
    r = _run(jpeg_file, tmp_path, "46.6354,32.6169", "2022-11-11T10:00:00Z",
             {"object_height": 1, "shadow_length": 2.08, "shadow_bearing": 7.0, "tolerance": 0.5})
    assert r.state == State.NOT_FOUND and r.details["verdict"] == "consistent"
    assert abs(r.details["elevation_difference"]) < 0.1
    assert any(a.kind == "map" and Path(a.path).is_file() for a in r.artifacts)


def test_inconsistent_claim_wrong_place(jpeg_file: Path, tmp_path: Path) -> None:
    # Case 7: the Kherson shadow (2.08) claimed to be in Luhansk (sun gave 2.37 there) with a tight
    # tolerance → inconsistent.
    r = _run(jpeg_file, tmp_path, "48.574,39.3078", "2022-11-11T10:00:00Z",
             {"object_height": 1, "shadow_length": 2.08, "shadow_bearing": 7.0, "tolerance": 0.5})
    assert r.state == State.FOUND and r.details["verdict"] == "inconsistent"
    assert "azimuth" in r.summary and "elevation" in r.summary


def test_bucha_wrong_date_claim(jpeg_file: Path, tmp_path: Path) -> None:
    # Case 4: the measured sun heading 161° fits 2022-03-19 09:08:31 UTC; the counter-claim
    # (1 April, 11:57 UTC) gives azimuth 217.3° → inconsistent.
    shadow = {"azimuth": 161.0, "azimuth_tolerance": 2.0}
    ok = _run(jpeg_file, tmp_path, "50.541771,30.230175", "2022-03-19T09:08:31Z", shadow)
    bad = _run(jpeg_file, tmp_path, "50.541771,30.230175", "2022-04-01T11:57:00Z", shadow)
    assert ok.state == State.NOT_FOUND and bad.state == State.FOUND


def test_day_claim_gives_windows(jpeg_file: Path, tmp_path: Path) -> None:
    r = _run(jpeg_file, tmp_path, "46.6354,32.6169", "2022-11-11", {"elevation": 25.6, "tolerance": 0.5})
    assert r.state == State.NOT_FOUND and r.details["windows"]
    r = _run(jpeg_file, tmp_path, "46.6354,32.6169", "2022-11-11", {"elevation": 40.0, "tolerance": 0.5})
    assert r.state == State.FOUND and r.details["windows"] == []


def test_not_applicable_and_bad_measurement(jpeg_file: Path, tmp_path: Path) -> None:
    r = _run(jpeg_file, tmp_path, None, None, {"elevation": 30})
    assert r.state == State.NOT_APPLICABLE
    r = _run(jpeg_file, tmp_path, "46.6354,32.6169", "2022-11-11T10:00:00Z", None)
    assert r.state == State.NOT_APPLICABLE and r.details["sun"]["azimuth"] == pytest.approx(187.0, abs=0.01)
    r = _run(jpeg_file, tmp_path, "46.6354,32.6169", "2022-11-11T10:00:00Z", {"elevation": -4})
    assert r.state == State.ERROR
    r = _run(jpeg_file, tmp_path, "46.6354,32.6169", "2022-11-11T22:00:00Z", {"elevation": 20})
    assert r.state == State.FOUND and "below the horizon" in r.summary


def _result(cid: str, details: dict, state: State = State.FOUND) -> CheckResult:
    return CheckResult(id=cid, question=Question.TIME, state=state, summary="", details=details)


def test_timeline_with_fake_upstream_results() -> None:
    # The interface of metadata.timestamps, c2pa.manifest and provenance.archive details.
    results = {
        "metadata.timestamps": _result("metadata.timestamps", {"timestamps": [
            {"source": "ExifIFD:DateTimeOriginal", "value": "2022-03-20T10:00:00", "utc": None, "offset": None,
             "kind": "capture", "local_copy_only": False}], "derived_utc_offset": None}),
        "c2pa.manifest": _result("c2pa.manifest", {"validation_state": None, "signing_time": None}, State.NOT_FOUND),
        "provenance.archive": _result("provenance.archive", {"matches": [], "earliest": {
            "id": 3, "path": "/a/b.jpg", "source_url": "https://t.me/x/1", "first_seen": "2022-03-19T12:00:00Z"},
            "predates_claim": True}),
    }
    claim = Claim(place=Place(query="Kyiv", lat=50.45, lon=30.52), time="2022-03-19")
    ctx = SimpleNamespace(results=results, claim=claim)
    f = timeline_check(ctx)  # type: ignore[arg-type]
    assert f.state == State.FOUND
    rules = {c["rule"] for c in f.details["contradictions"]}
    assert "capture_after_first_seen" in rules
    cap = next(e for e in f.details["events"] if e["kind"] == "capture")
    assert cap["utc"] == "2022-03-20T08:00:00+00:00" and cap["assumed"]


def test_timeline_inconclusive_without_times() -> None:
    ctx = SimpleNamespace(results={}, claim=Claim())
    f = timeline_check(ctx)  # type: ignore[arg-type]
    assert f.state == State.INCONCLUSIVE


def test_timeline_through_pipeline(jpeg_file: Path, tmp_path: Path) -> None:
    (report,) = list(check([str(jpeg_file)], claim_place="50.45,30.52", claim_time="2022-03-19T10:00:00+02:00",
                           out=tmp_path / "o", options=Options(checks={"time.timeline"})))
    r = report.check("time.timeline")
    assert r is not None and r.state in (State.INCONCLUSIVE, State.NOT_FOUND)
    assert any(e["kind"] == "claim" for e in r.details["events"])


def test_points_and_offset_note(jpeg_file: Path, tmp_path: Path) -> None:
    # Kherson under occupation (2022-10-01): clocks ran on Moscow time (+03:00). A claim written with
    # +02:00 gets a note; the pixel-point measurement carries its assumptions.
    from verilens.time.sun import sun_position

    p = sun_position("2022-10-01T10:00:00Z", 46.6354, 32.6169)
    tip_x = 100 + 100 * float(p.shadow_ratio[0])
    shadow = {"points": f"100,300;100,200;{tip_x:.2f},300", "tolerance": 0.5}
    r = _run(jpeg_file, tmp_path, "46.6354,32.6169", "2022-10-01T12:00:00+02:00", shadow)
    assert r.state == State.NOT_FOUND
    assert r.details["measurement"]["source"] == "points" and r.details["measurement"]["assumptions"]
    assert "+03:00" in r.details["offset_note"] and "Note:" in r.summary
    # the same shadow an hour later does not fit, and the summary says when it would
    r = _run(jpeg_file, tmp_path, "46.6354,32.6169", "2022-10-01T13:00:00+02:00", shadow)
    assert r.state == State.FOUND and "fits that day at 09:" in r.summary
