"""The case document and its timeline, from cases made in code."""

from __future__ import annotations

from verilens.case.store import Case, CheckRunInfo, ClaimInfo, ItemInfo
from verilens.evidence import CheckResult, InputInfo, Question, Report, State
from verilens.report.document import build_timeline, case_document, methods


def _item(item_id: str, checks: list[CheckResult], acquired: str = "2026-01-01T00:00:00+00:00") -> ItemInfo:
    rep = Report(verilens_version="0", input=InputInfo(path="x", sha256="a" * 64, kind="image"), state="ok",
                 checks=checks)
    return ItemInfo(id=item_id, sha256="a" * 64, size_bytes=1, mime="image/jpeg", kind="image",
                    original_name="x.jpg", source_path=None, source_url=None, acquired_at=acquired,
                    acquisition_method="file", stored_path="/nonexistent", report=rep,
                    check_runs=[CheckRunInfo(check_id=c.id, question=c.question.value, state=c.state.value,
                                             score=None, summary="", version=c.version, parameters={},
                                             tool_versions={"exiftool": "13.0"}, ran_at=acquired, duration_s=0)
                                for c in checks])


def _case(items: list[ItemInfo], claim_time: str | None = "2022-11-11T10:00:00+02:00") -> Case:
    claim = ClaimInfo(id=1, text="c", time=claim_time, created_at="2026-01-01T00:00:00+00:00")
    return Case(id="c1", title="t", status="open", investigators=[], created_at="2026-01-01T00:00:00+00:00",
                updated_at="2026-01-01T00:00:00+00:00", claim=claim, claims=[claim], items=items)


TS = CheckResult(id="metadata.timestamps", question=Question.TIME, state=State.FOUND, summary="",
                 details={"timestamps": [
                     {"source": "ExifIFD:DateTimeOriginal", "value": "2022-11-11T09:30:00", "utc": None,
                      "offset": None, "kind": "capture", "local_copy_only": False},
                     {"source": "XMP:CreateDate", "value": "2022-11-11T09:30:00+03:00",
                      "utc": "2022-11-11T06:30:00+00:00", "offset": "+03:00", "kind": "xmp",
                      "local_copy_only": False}]})
ARCH = CheckResult(id="provenance.archive", question=Question.PROVENANCE, state=State.FOUND, summary="",
                   details={"matches": [], "predates_claim": True,
                            "earliest": {"id": 1, "path": "p", "source_url": "https://e.org/a",
                                         "first_seen": "2019-05-01T00:00:00+00:00"}})


def test_timeline_merges_sources_in_utc_order_without_converting_local_times() -> None:
    tl = build_timeline(_case([_item("i1", [TS, ARCH])]))
    labels = [(e["source"], e["utc"]) for e in tl]
    # earliest archive copy (2019) < XMP (06:30Z) < claim (08:00Z) < collection (2026)
    assert labels[0] == ("https://e.org/a", "2019-05-01T00:00:00+00:00")
    utc_order = [e["utc"] for e in tl if e["utc"]]
    assert utc_order == sorted(utc_order)
    assert ("claim", "2022-11-11T08:00:00+00:00") in labels
    local = next(e for e in tl if e["source"] == "ExifIFD:DateTimeOriginal")
    assert local["utc"] is None and local["local_only"] and local["time"] == "2022-11-11T09:30:00"


def test_timeline_check_events_take_precedence() -> None:
    # the shape time.timeline writes (verilens.time.timeline.Event.to_dict)
    tl_check = CheckResult(id="time.timeline", question=Question.TIME, state=State.FOUND, summary="", details={
        "events": [
            {"source": "GPS:GPSDateTime", "kind": "gps", "value": "2022-11-10T12:00:00Z",
             "utc": "2022-11-10T12:00:00+00:00", "origin": "metadata", "assumed": None, "local_copy_only": False},
            {"source": "System:FileModifyDate", "kind": "filesystem", "value": "2026-01-01T00:00:00+00:00",
             "utc": "2026-01-01T00:00:00+00:00", "origin": "metadata", "assumed": None, "local_copy_only": True},
            {"source": "claim", "kind": "claim", "value": "2022-11-11T10:00:00+02:00",
             "utc": "2022-11-11T08:00:00+00:00", "origin": "claim", "assumed": None, "local_copy_only": False}],
        "contradictions": [{"rule": "capture_after_first_seen", "summary": "captured after first seen",
                            "severity": "strong", "a": "x", "b": "y", "difference_s": 5.0}]})
    case = _case([_item("i1", [TS, tl_check])])
    tl = build_timeline(case)
    assert tl[0]["source"] == "GPS:GPSDateTime" and tl[0]["label"] == "gps time (metadata)"
    assert not any(e["source"] in ("ExifIFD:DateTimeOriginal", "System:FileModifyDate") for e in tl)
    assert sum(e["source"] == "claim" for e in tl) == 1
    assert case_document(case)["contradictions"][0]["item_id"] == "i1"


def test_document_methods_and_tools() -> None:
    case = _case([_item("i1", [TS, ARCH]), _item("i2", [TS])])
    doc = case_document(case, generated_at="2026-01-02T00:00:00+00:00")
    assert doc["generated_at"] == "2026-01-02T00:00:00+00:00"
    assert [m["id"] for m in methods(case)] == ["provenance.archive", "metadata.timestamps"]
    assert doc["tools"] == {"exiftool": "13.0"}
    assert doc["verdict"] is None and len(doc["items"]) == 2
