"""The REST API end to end over a real case store (in-process client)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import EXAMPLES, wait_job

PHOTO = EXAMPLES / "nikon-e950.jpg"


def _intake(client: Any, path: Path = PHOTO, **data: str) -> dict[str, Any]:
    with open(path, "rb") as f:
        r = client.post("/api/intake", files=[("files", (path.name, f, "image/jpeg"))],
                        data={"csrf_token": client.token, **data})
    assert r.status_code == 202, r.text
    return r.json()


def test_intake_runs_checks_in_the_background_and_stores_the_item(client: Any) -> None:
    res = _intake(client, new_case_title="Kherson visit", claim_text="Taken in Kherson",
                  claim_place="46.6354,32.6169", claim_time="2022-11-11")
    job = wait_job(client, res["job_url"])
    assert job["state"] == "done", job
    assert job["checks_done"] >= 1 and job["events"] and job["checks_total"] >= job["checks_done"]
    # the upload folder is gone: the case store keeps the original
    assert not any((client.app.state.verilens.uploads).rglob("*.jpg"))
    assert len(job["result"]["added"]) == 1 and job["result"]["errors"] == []
    case = client.get(f"/api/cases/{res['case_id']}").json()
    assert case["title"] == "Kherson visit"
    assert case["claims"][0]["text"] == "Taken in Kherson"
    item = case["items"][0]
    assert item["state"] == "ok" and [q["question"] for q in item["questions"]] == [
        "manipulation", "provenance", "source", "place", "time"]

    view = client.get(f"/api/cases/{res['case_id']}/items/{item['id']}").json()
    assert view["report"]["input"]["sha256"] == item["sha256"]
    assert view["claim"]["place"]["lat"] == pytest.approx(46.6354)
    assert any(o["kind"] == "heatmap" and o["check"] == "forensics.ela" for o in view["overlays"])
    # every artifact and the preview are served by id
    for a in view["artifacts"]:
        r = client.get(a["url"])
        assert r.status_code == 200 and len(r.content) > 100
    ov = client.get(view["overlays"][0]["url"])
    assert ov.headers["content-type"] == "image/png"
    pv = client.get(view["preview"])
    assert pv.status_code == 200 and pv.content[:3] == b"\xff\xd8\xff"
    md = client.get(f"/api/cases/{res['case_id']}/items/{item['id']}/metadata").json()
    groups = {g["group"]: dict(g["tags"]) for g in md["groups"]}
    assert groups["IFD0"]["Make"].startswith("NIKON")


def test_notes_verdict_export_verify(client: Any) -> None:
    res = _intake(client, new_case_title="Case B")
    job = wait_job(client, res["job_url"])
    cid, iid = res["case_id"], job["result"]["added"][0]
    h = {"X-CSRF-Token": client.token}
    assert client.post(f"/api/cases/{cid}/notes", json={"text": "asked the photographer", "item_id": iid}, headers=h).status_code == 201
    r = client.post(f"/api/cases/{cid}/verdict", json={"categories": ["DecontextualizedContent"], "rating": "Misleading",
                                                     "rationale": "older photo"}, headers=h)
    assert r.status_code == 201, r.text
    bad = client.post(f"/api/cases/{cid}/verdict", json={"categories": ["Fake"], "rating": "x", "rationale": "y"}, headers=h)
    assert bad.status_code == 422
    case = client.get(f"/api/cases/{cid}").json()
    assert case["notes"][0]["text"] == "asked the photographer" and case["notes"][0]["item_id"] == iid
    assert case["verdicts"][0]["rating"] == "Misleading"
    for fmt, needle in (("html", b"<html"), ("json", b"{"), ("jsonld", b"MediaReview")):
        r = client.post(f"/api/cases/{cid}/export", data={"format": fmt, "csrf_token": client.token})
        assert r.status_code == 200, r.text
        assert "attachment" in r.headers["content-disposition"]
        assert needle in r.content[:200_000]
    v = client.get(f"/api/cases/{cid}/verify").json()
    assert v == {"ok": True, "problems": []}


def test_bad_claims_and_unknown_things_are_client_errors(client: Any) -> None:
    with open(PHOTO, "rb") as f:
        r = client.post("/api/intake", files=[("files", ("a.jpg", f, "image/jpeg"))],
                        data={"csrf_token": client.token, "new_case_title": "x", "claim_time": "yesterday"})
    assert r.status_code == 422 and "ISO 8601" in r.json()["detail"]
    r = client.post("/api/intake", data={"csrf_token": client.token, "new_case_title": "x"})
    assert r.status_code == 422
    assert client.get("/api/cases/nope").status_code == 404
    assert client.get("/api/jobs/nope").status_code == 404
    assert client.get("/cases/nope").status_code == 404


def test_a_broken_file_is_an_error_of_that_input_not_of_the_job(client: Any, tmp_path: Path) -> None:
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(PHOTO.read_bytes()[:300])
    res = _intake(client, bad, new_case_title="broken")
    job = wait_job(client, res["job_url"])
    assert job["state"] == "done"
    assert job["result"]["added"] == [] and len(job["result"]["errors"]) == 1


def test_places_autocomplete_accepts_coordinates(client: Any) -> None:
    r = client.get("/api/places", params={"q": "46.6354, 32.6169"}).json()
    assert r["candidates"][0]["kind"] == "coordinates" and r["candidates"][0]["lat"] == pytest.approx(46.6354)
    r = client.get("/api/places", params={"q": "Kherson"}).json()
    if r["available"]:
        assert any(c["country"] == "UA" for c in r["candidates"])
    else:
        assert r["reason"]


def test_shadow_endpoint_measures_and_reports_engine_state(client: Any) -> None:
    h = {"X-CSRF-Token": client.token}
    r = client.post("/api/shadow", json={"base": {"x": 0, "y": 300}, "top": {"x": 0, "y": 0}, "tip": {"x": 400, "y": 300},
                                         "lat": 46.6354, "lon": 32.6169, "date": "2022-06-21"}, headers=h)
    assert r.status_code == 200
    body = r.json()
    assert body["geometry"]["elevation"] == pytest.approx(36.87, abs=0.01)
    if body["windows"] is None:
        assert body["windows_error"]
    else:  # 36.9° is reached twice on a June day in Kherson (morning and afternoon)
        ws = body["windows"]["windows"] if isinstance(body["windows"], dict) else body["windows"]
        assert len(ws) == 2
        # the shadow points west-north-west: the sun is in the east-south-east, the morning window
        r = client.post("/api/shadow", json={"base": {"x": 0, "y": 300}, "top": {"x": 0, "y": 0}, "tip": {"x": 400, "y": 300},
                                             "lat": 46.6354, "lon": 32.6169, "date": "2022-06-21", "shadow_bearing": 280},
                        headers=h)
        one = r.json()["windows"]["windows"]
        assert len(one) == 1 and one[0]["branch"] == "morning"
        assert r.json()["azimuth"]["sun_azimuth"] == pytest.approx(100.0)
    r = client.post("/api/shadow", json={"base": {"x": 0, "y": 0}, "top": {"x": 0, "y": 1}, "tip": {"x": 4, "y": 0}}, headers=h)
    assert r.status_code == 422


def test_reference_photos_given_at_intake_reach_the_reference_check(client: Any, tmp_path: Path) -> None:
    from verilens.pipeline import load_checks

    if "place.reference_match" not in load_checks():
        pytest.skip("place.reference_match not installed")
    client.app.state.verilens.config.checks = {"place.reference_match"}
    from PIL import Image

    ref = tmp_path / "ref.jpg"
    with Image.open(PHOTO) as im:  # the same scene, cropped and rescaled
        w, h = im.size
        im.crop((w // 8, h // 8, w - w // 8, h - h // 8)).resize((w // 2, h // 2)).save(ref, quality=85)
    with open(PHOTO, "rb") as f, open(ref, "rb") as r:
        res = client.post("/api/intake", files=[("files", (PHOTO.name, f, "image/jpeg")), ("references", ("ref.jpg", r, "image/jpeg"))],
                          data={"csrf_token": client.token, "new_case_title": "refs"})
    assert res.status_code == 202, res.text
    job = wait_job(client, res.json()["job_url"])
    cid, iid = res.json()["case_id"], job["result"]["added"][0]
    view = client.get(f"/api/cases/{cid}/items/{iid}").json()
    check = next(c for c in view["report"]["checks"] if c["id"] == "place.reference_match")
    assert check["state"] == "found", check["summary"]
    assert view["references"] and client.get(view["references"][0]["url"]).status_code == 200
    assert 'id="references"' in client.get(view["url"]).text


def test_ring_endpoint(client: Any) -> None:
    from verilens.web import backend

    r = client.get("/api/ring", params={"time": "2022-06-21T09:00+03:00", "elevation": 43.2, "tolerance": 3})
    if backend.sun_engine().ring is None:
        assert r.status_code == 503
        return
    ring = r.json()["ring"]
    assert ring["cells"] > 0 and ring["geojson"]["type"] == "FeatureCollection"
    assert client.get("/api/ring", params={"time": "not a time at all", "elevation": 43}).status_code == 422
    assert client.get("/api/ring", params={"time": "2022-06-21T09:00Z", "elevation": 95}).status_code == 422


def test_archive_matches_are_shown_side_by_side(store: Any, tmp_path: Path) -> None:
    import warnings

    from verilens.pipeline import load_checks

    if "provenance.archive" not in load_checks():
        pytest.skip("provenance.archive not installed")
    from verilens.provenance import Archive
    from verilens.web.app import WebConfig, create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    db = tmp_path / "archive.db"
    archive = Archive.open(db)
    try:
        archive.add_path(PHOTO, source_url="https://news.example/2019/story", first_seen="2019-05-01T12:00:00+00:00")
    finally:
        archive.close()
    app = create_app(WebConfig(archive=str(db), checks={"provenance.archive"}), store=store)
    with TestClient(app) as c:
        assert c.get("/api/status").json()["archive"] == {"available": True, "archive": str(db), "reason": None}
        tok = c.get("/api/csrf").json()["token"]
        with open(PHOTO, "rb") as f:
            res = c.post("/api/intake", files=[("files", ("copy.jpg", f, "image/jpeg"))],
                         data={"csrf_token": tok, "new_case_title": "recycled?"}).json()
        job = wait_job(c, res["job_url"])
        view = c.get(f"/api/cases/{res['case_id']}/items/{job['result']['added'][0]}").json()
        assert view["matches"], view["report"]["checks"]
        m = view["matches"][0]
        assert m["source_url"] == "https://news.example/2019/story"
        assert c.get(m["preview"]).content[:3] == b"\xff\xd8\xff"
        assert any(e["kind"] == "archive" and e["time"].startswith("2019-05-01") for e in view["timeline"])
        page = c.get(view["url"]).text
        assert 'id="matches"' in page and "news.example/2019/story" in page
        assert "the same bytes" in page and "distance" not in page.split('id="matches"')[1].split("</section>")[0]
