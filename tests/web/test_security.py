"""Safety of the web app: CSRF, Host checks, body limits, no traversal, CSP, URL intake."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import EXAMPLES, wait_job


def test_state_changes_need_the_csrf_token(client: Any) -> None:
    assert client.post("/api/cases", json={"title": "x"}).status_code == 403
    assert client.post("/api/cases", json={"title": "x"}, headers={"X-CSRF-Token": "wrong"}).status_code == 403
    assert client.post("/api/cases", json={"title": "x"}, headers={"X-CSRF-Token": client.token}).status_code == 201
    # a form post (what another site could make a browser send) without the field
    r = client.post("/api/intake", data={"new_case_title": "x", "url": "https://example.org/a.jpg"})
    assert r.status_code == 403
    r = client.post("/api/cases/abc/export", data={"format": "html", "csrf_token": "nope"})
    assert r.status_code == 403


def test_foreign_host_header_is_refused(client: Any) -> None:
    # DNS rebinding: a page on evil.example resolving to 127.0.0.1 must not read the API
    assert client.get("/api/csrf", headers={"Host": "evil.example"}).status_code == 421
    assert client.get("/api/csrf", headers={"Host": "127.0.0.1:8000"}).status_code == 200


def test_csp_forbids_inline_script(client: Any) -> None:
    r = client.get("/")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"


def test_upload_over_the_limit_is_refused_before_reading(store: Any) -> None:
    from verilens.web.app import WebConfig, create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    app = create_app(WebConfig(max_upload_bytes=10_000), store=store)
    with TestClient(app) as c:
        tok = c.get("/api/csrf").json()["token"]
        r = c.post("/api/intake", files=[("files", ("big.jpg", b"\xff\xd8\xff" + b"0" * 50_000, "image/jpeg"))],
                   data={"csrf_token": tok, "new_case_title": "big"})
        assert r.status_code == 413
        # other endpoints have a small cap of their own
        r = c.post("/api/cases", content=b"{" + b" " * (5 * 2**20) + b"}",
                   headers={"X-CSRF-Token": tok, "Content-Type": "application/json"})
        assert r.status_code == 413


def test_url_intake_refuses_loopback_and_private(client: Any) -> None:
    for url in ("http://127.0.0.1:9/x.jpg", "http://localhost/x.jpg", "http://10.0.0.1/x.jpg", "http://169.254.169.254/"):
        r = client.post("/api/intake", data={"csrf_token": client.token, "new_case_title": "u", "url": url})
        assert r.status_code == 400, (url, r.text)
        assert "refused" in r.json()["detail"]
    r = client.post("/api/intake", data={"csrf_token": client.token, "new_case_title": "u", "url": "file:///etc/passwd"})
    assert r.status_code == 422


def test_no_traversal_through_ids_or_artifacts(client: Any, tmp_path: Path) -> None:
    with open(EXAMPLES / "htc-desire.jpg", "rb") as f:
        res = client.post("/api/intake", files=[("files", ("a.jpg", f, "image/jpeg"))],
                          data={"csrf_token": client.token, "new_case_title": "t"}).json()
    job = wait_job(client, res["job_url"])
    cid, iid = res["case_id"], job["result"]["added"][0]
    base = f"/api/cases/{cid}/items/{iid}"
    for path in (f"{base}/artifacts/999", f"{base}/artifacts/-1", "/api/cases/..%2f..%2fetc/items/x",
                 f"/api/cases/{cid}/items/..%2F..%2Fpasswd/preview", "/static/../app.py", "/static/%2e%2e/app.py"):
        r = client.get(path)
        assert r.status_code in (404, 422), (path, r.status_code)
        assert b"root:" not in r.content and b"def create_app" not in r.content
    state = client.app.state.verilens
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    from verilens.web.backend import NotFound

    with pytest.raises(NotFound):
        state.known_file(str(outside))
    with pytest.raises(NotFound):
        state.known_file(str(state.home / ".." / ".." / "etc" / "passwd"))


def test_openapi_document_is_served(client: Any) -> None:
    doc = client.get("/openapi.json").json()
    paths = doc["paths"]
    for p in ("/api/intake", "/api/cases", "/api/cases/{case_id}", "/api/cases/{case_id}/verdict",
              "/api/cases/{case_id}/export", "/api/shadow", "/api/jobs/{job_id}", "/api/places"):
        assert p in paths, p


def test_json_endpoints_do_not_accept_forms_without_the_token(client: Any) -> None:
    # a cross-site <form> can only send form encodings or text/plain, never the header
    before = len(client.get("/api/cases").json()["cases"])
    for ctype in ("application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"):
        r = client.post("/api/cases", content=b'{"title": "forged"}', headers={"Content-Type": ctype})
        assert r.status_code in (403, 422), (ctype, r.status_code)
    assert len(client.get("/api/cases").json()["cases"]) == before


def test_tile_url_is_off_by_default_and_allowed_in_the_csp_when_set(store: Any) -> None:
    from verilens.web.app import WebConfig, create_app
    from verilens.web.security import csp, tile_origin

    assert "img-src 'self' data: blob:;" in csp(None)  # offline: no outside image source
    assert tile_origin("https://tile.example.org/{z}/{x}/{y}.png") == "https://tile.example.org"
    assert tile_origin("javascript:alert(1)") is None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    app = create_app(WebConfig(tile_url="https://tile.example.org/{z}/{x}/{y}.png"), store=store)
    with TestClient(app) as c:
        assert "https://tile.example.org" in c.get("/").headers["content-security-policy"]
        assert c.get("/api/basemap").json()["tile_url"].startswith("https://tile.example.org/")


def test_missing_pages_are_html_errors(client: Any) -> None:
    r = client.get("/cases/doesnotexist")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "no case" in r.text
