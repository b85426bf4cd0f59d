"""The web app driven by Debian's Chromium (Playwright): the whole desk workflow.

Upload a real photo, wait for the report, toggle an overlay, place three shadow points and
get the elevation and time windows, set a verdict, export HTML. With
``VERILENS_UPDATE_SCREENSHOTS=1`` the screenshots of each page are written to
docs/screenshots/ (otherwise to a temporary folder).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import EXAMPLES, ROOT, wait_until

pytestmark = pytest.mark.browser
PHOTO = EXAMPLES / "apple-iphone-6.jpg"


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    if os.environ.get("VERILENS_UPDATE_SCREENSHOTS"):
        out = ROOT / "docs" / "screenshots"
        out.mkdir(parents=True, exist_ok=True)
        return out
    return tmp_path


def test_desk_workflow(live: Any, page: Any, shots: Path, tmp_path: Path) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    # intake: upload a real photo with a claim, wait for the background job
    page.goto(live.url + "/")
    page.fill("#claim-text", "Soldiers in Kherson, 11 November 2022")
    page.fill("#claim-place", "46.6354,32.6169")
    page.fill("#claim-time", "2022-11-11")
    page.fill("#new-case-title", "Kherson liberation photo")
    page.set_input_files("#files", str(PHOTO))
    assert PHOTO.name in page.inner_text("#file-list")
    page.screenshot(path=str(shots / "intake.png"), full_page=True)
    page.click("#start")
    page.wait_for_selector("#intake-done", timeout=180_000)
    assert "checks done" in page.inner_text("#progress-text") or "done" in page.inner_text("#progress-text")

    # the item page: the report with its five answers
    page.click("a.item-link")
    page.wait_for_selector("#answers")
    answers = page.inner_text("#answers")
    for q in ("manipulation", "provenance", "source", "place", "time"):
        assert q in answers
    page.fill("#note-form textarea", "Leaves and light match late summer, not November.")
    page.click("#note-form button")
    page.wait_for_selector("#notes li:has-text('late summer')")
    wait_until(page, "document.getElementById('base-img').naturalWidth > 0")
    # toggle the first overlay (ELA heatmap) and check it is drawn over the picture
    toggle = page.locator(".overlay-toggle").first
    toggle.check()
    n = toggle.get_attribute("data-n")
    wait_until(page, f"(() => {{ const o = document.getElementById('overlay-{n}'); return o && !o.hidden && o.naturalWidth > 0; }})()")
    page.fill("#opacity", "40")
    page.dispatch_event("#opacity", "input")
    assert page.eval_on_selector(f"#overlay-{n}", "o => o.style.opacity") == "0.4"
    page.click("#zoom-in")
    assert "scale(" in page.eval_on_selector("#stage", "s => s.style.transform")
    page.check("#magnifier-toggle")
    vb = page.locator("#viewer").bounding_box()
    page.mouse.move(vb["x"] + vb["width"] / 2, vb["y"] + vb["height"] / 2)
    assert page.locator("#magnifier").is_visible()
    assert "url(" in page.eval_on_selector("#magnifier", "m => m.style.backgroundImage")
    page.uncheck("#magnifier-toggle")
    page.fill("#meta-search", "Make")
    page.dispatch_event("#meta-search", "input")
    assert page.locator(".meta-row:visible").count() >= 1
    page.fill("#meta-search", "")
    page.dispatch_event("#meta-search", "input")
    page.click("#zoom-reset")
    page.wait_for_timeout(300)
    page.screenshot(path=str(shots / "item.png"), full_page=True)

    # the shadow tool: three clicks, then the engine
    page.click("#open-shadow")
    wait_until(page, "document.getElementById('shadow-img').naturalWidth > 0")
    box = page.locator("#shadow-img").bounding_box()
    x0, y0, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.click(x0 + 0.30 * w, y0 + 0.80 * h)  # base
    page.mouse.click(x0 + 0.30 * w, y0 + 0.40 * h)  # top
    page.mouse.click(x0 + 0.62 * w, y0 + 0.80 * h)  # tip
    assert "Three points placed" in page.inner_text("#step")
    page.fill("#sh-date", "2022-06-21")
    page.fill("#sh-time", "2022-06-21T09:00+03:00")
    page.click("#shadow-go")
    page.wait_for_selector("#elevation")
    elev = page.inner_text("#elevation")
    assert "Sun elevation" in elev
    from verilens.web import backend

    if backend.sun_engine().windows is not None:
        page.wait_for_selector("#windows li")
        # an elevation below the June noon sun in Kherson is reached twice: morning and afternoon
        assert page.locator("#windows li.window").count() == 2
        assert "Europe/" in page.inner_text("#zone")
        if backend.sun_engine().ring is not None:
            page.wait_for_selector("#ring-summary")
            assert page.locator(".leaflet-overlay-pane path").count() > 1  # land + the ring cells
    else:  # the engine is not installed: the page says so instead of inventing windows
        assert "Time windows:" in page.inner_text("#windows-error")
    page.screenshot(path=str(shots / "shadow.png"), full_page=True)
    page.click("#shadow-note")
    page.wait_for_selector("#shadow-note:disabled")
    if backend.sun_engine().ring is not None:  # the item page now draws that ring on its map
        page.go_back()
        page.wait_for_selector("#map-note")
        wait_until(page, "document.getElementById('map-note').textContent.includes('Shadow ring')")
        page.go_forward()

    # the case page: verdict and export
    page.goto(page.url.rsplit("/items/", 1)[0])
    page.wait_for_selector("#verdict-form")
    assert "Shadow measurement: sun elevation" in page.inner_text("#notes")
    page.check("input[name=categories][value=DecontextualizedContent]")
    page.fill("#verdict-rating", "Misleading")
    page.fill("#verdict-rationale", "Camera GPS and capture time place this photo near London in September 2014, not in Kherson in November 2022.")
    page.click("#verdict-save")
    page.wait_for_selector("#verdicts li:has-text('Misleading')")
    page.screenshot(path=str(shots / "case.png"), full_page=True)
    with page.expect_download() as dl:
        page.click("#export-html")
    out = tmp_path / "export.html"
    dl.value.save_as(str(out))
    html = out.read_text(encoding="utf-8", errors="replace")
    assert "<html" in html.lower() and "Kherson liberation photo" in html
    assert "Misleading" in html
    assert not errors, errors


def test_drop_files_on_the_intake_page(live: Any, page: Any) -> None:
    import base64

    photo = EXAMPLES / "nikon-e950.jpg"
    page.goto(live.url + "/")
    data = base64.b64encode(photo.read_bytes()).decode()
    dt = page.evaluate_handle(
        """(b64) => { const bin = atob(b64); const bytes = new Uint8Array(bin.length);
             for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
             const dt = new DataTransfer(); dt.items.add(new File([bytes], "dropped.jpg", { type: "image/jpeg" }));
             return dt; }""", data)
    page.dispatch_event("#drop", "drop", {"dataTransfer": dt})
    assert "dropped.jpg" in page.inner_text("#file-list")
    page.fill("#new-case-title", "dropped")
    page.click("#start")
    page.wait_for_selector("#intake-done", timeout=180_000)
    page.click("a.item-link")
    page.wait_for_selector("#answers")
    assert "dropped.jpg" in page.inner_text("h1")
