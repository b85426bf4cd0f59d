"""The HTML report opens in headless Chromium with no console error and no network request."""

from __future__ import annotations

import os

import pytest

from tests.report.conftest import HOSTILE, Demo

CHROMIUM = "/usr/bin/chromium"


@pytest.mark.browser
def test_html_report_in_headless_chromium(demo: Demo) -> None:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip("Chromium not installed at /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    out = demo.store.export(demo.case_id, "html", demo.tmp / "browser.html")
    page_url = out.resolve().as_uri()
    requests: list[str] = []
    errors: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--headless", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(page_url, wait_until="load")
            page.wait_for_timeout(300)
            n_images = page.evaluate("document.images.length")
            decoded = page.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
            scripts = page.evaluate("document.scripts.length")
            title = page.evaluate("document.querySelector('h1').textContent")
        finally:
            browser.close()
    outside = [u for u in requests if u != page_url and not u.startswith("data:")]
    assert outside == [], f"network requests: {outside[:5]}"
    assert errors == [], errors[:5]
    assert dialogs == [] and scripts == 0
    assert n_images >= 2 * len(demo.items) and decoded
    assert HOSTILE in title  # shown as text, not run
