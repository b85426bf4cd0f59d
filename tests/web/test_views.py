"""What the pages draw from a report (verilens.web.views)."""

from __future__ import annotations

from verilens.web import views


def _report(**checks: dict) -> dict:
    return {"checks": [{"id": k, **v} for k, v in checks.items()], "questions": {}, "claim": {}, "metadata": {}}


def test_valid_c2pa_is_never_called_trusted() -> None:
    valid = views.c2pa_panel(_report(**{"c2pa.manifest": {"state": "found", "details": {"validation_state": "Valid"}}}))
    trusted = views.c2pa_panel(_report(**{"c2pa.manifest": {"state": "found", "details": {"validation_state": "Trusted"}}}))
    invalid = views.c2pa_panel(_report(**{"c2pa.manifest": {"state": "found", "details": {"validation_state": "Invalid"}}}))
    assert valid["label"] == "valid" and "not on a trust list" in valid["text"].lower() and "Valid is not Trusted" in valid["text"]
    assert trusted["label"] == "trusted"
    assert invalid["label"] == "invalid"
    none = views.c2pa_panel(_report(**{"c2pa.manifest": {"state": "not_found", "details": {"validation_state": None}}}))
    assert none["label"] == "none" and "says nothing" in none["text"]
    assert views.c2pa_panel(_report())["label"] == "not checked"


def test_overlays_are_heatmaps_and_masks_numbered_in_report_order() -> None:
    rep = _report(**{
        "forensics.ela": {"artifacts": [{"kind": "heatmap", "path": "/x/a"}]},
        "place.reference_match": {"artifacts": [{"kind": "image", "path": "/x/b"}]},
        "forensics.copy_move": {"artifacts": [{"kind": "mask", "path": "/x/c"}]},
    })
    ov = views.overlays(rep)
    assert [(o["n"], o["kind"]) for o in ov] == [(0, "heatmap"), (2, "mask")]
    assert all(o["legend"] for o in ov)


def test_timeline_sorts_by_time_and_keeps_sources() -> None:
    rep = _report(**{
        "metadata.timestamps": {"details": {"timestamps": [
            {"source": "ExifIFD:DateTimeOriginal", "value": "2022-11-11T10:00:00", "utc": "2022-11-11T08:00:00+00:00", "kind": "capture"},
            {"source": "XMP:ModifyDate", "value": "2023-01-02T00:00:00", "utc": None, "kind": "modified"},
        ]}},
        "provenance.archive": {"details": {"matches": [{"id": 1, "first_seen": "2021-05-01T00:00:00+00:00", "source_url": "https://a.example/x"}]}},
    })
    rep["claim"] = {"time": "2022-11-12"}
    t = views.timeline(rep)
    assert [e["kind"] for e in t] == ["archive", "capture", "claim", "modified"]
    assert t[1]["note"] == "UTC" and t[3]["note"].startswith("as recorded")


def test_map_points_from_claim_gps_and_place_checks() -> None:
    rep = _report(**{"place.ocr": {"details": {"hits": [{"text": "Херсон", "lat": 46.6, "lon": 32.6}, {"text": "no coords"}]}}})
    rep["claim"] = {"place": {"query": "Kherson", "name": "Kherson", "lat": 46.63, "lon": 32.61, "radius_km": 12}}
    rep["metadata"] = {"gps": {"lat": 50.45, "lon": 30.52, "source": "GPS"}}
    pts = views.map_points(rep)
    assert [p["kind"] for p in pts] == ["claim", "gps", "ocr"]
    assert pts[0]["radius_km"] == 12


def test_metadata_groups_and_bounds_long_values() -> None:
    g = views.group_metadata({"SourceFile": "x", "IFD0:Make": "NIKON", "IFD0:Model": "E950", "File:Comment": "a" * 5000, "Bare": 3})
    names = [x["group"] for x in g]
    assert names == ["File", "IFD0", "Other"]
    comment = dict(g[0]["tags"])["Comment"]
    assert len(comment) < 2100 and "5000 characters" in comment
