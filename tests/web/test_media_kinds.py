"""Items other than plain photos: a video (keyframe strip) and a C2PA-signed picture."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest


def _add(client: Any, store: Any, path: Path, checks: set[str]) -> tuple[str, str]:
    from verilens.pipeline import Options, load_checks

    missing = checks - set(load_checks())
    if missing:
        pytest.skip(f"checks not installed: {sorted(missing)}")
    case = store.new_case("kinds")
    res = store.add_media(case.id, [str(path)], options=Options(checks=checks))
    assert res.added, res.errors
    return case.id, res.added[0]


def test_video_item_shows_its_keyframes(client: Any, store: Any, shared_data: Path) -> None:
    video = shared_data / "media-samples" / "video" / "sample_mpeg4.mp4"
    cid, iid = _add(client, store, video, {"video.keyframes"})
    view = client.get(f"/api/cases/{cid}/items/{iid}").json()
    assert view["kind"] == "video"
    assert view["keyframes"], "the keyframe check found no keyframe"
    for k in view["keyframes"][:3]:
        r = client.get(k["url"])
        assert r.status_code == 200 and r.content[:3] == b"\xff\xd8\xff"
    assert client.get(view["preview"]).status_code == 200  # the first keyframe stands in
    page = client.get(view["url"]).text
    assert 'id="keyframes"' in page
    assert len(re.findall(r'alt="keyframe \d+"', page)) == len(view["keyframes"])


def test_c2pa_panel_uses_the_guidance_wording(client: Any, store: Any, shared_data: Path) -> None:
    photo = shared_data / "c2pa-testfiles" / "image" / "jpeg" / "adobe-20220124-CA.jpg"
    cid, iid = _add(client, store, photo, {"c2pa.manifest"})
    view = client.get(f"/api/cases/{cid}/items/{iid}").json()
    c2 = view["c2pa"]
    state = (view["report"]["checks"][0]["details"] or {}).get("validation_state")
    assert c2["present"] is (state in ("Valid", "Trusted", "Invalid"))
    if state == "Valid":  # a test certificate: valid, and never shown as trusted
        assert c2["label"] == "valid" and "Valid is not Trusted" in c2["text"]
    page = client.get(view["url"]).text
    assert f"c2pa-{c2['label']}" in page
    if c2["label"] != "trusted":
        assert "<strong>trusted</strong>" not in page


def test_intake_page_lists_cases_and_pages_escape_titles(client: Any) -> None:
    h = {"X-CSRF-Token": client.token}
    cid = client.post("/api/cases", json={"title": "<script>alert(1)</script> & co"}, headers=h).json()["id"]
    for url in ("/", f"/cases/{cid}"):
        html = client.get(url).text
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
        assert "<script>alert(1)</script>" not in html
