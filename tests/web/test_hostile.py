"""A file whose metadata holds markup and script runs no script in the pages."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.media import exiftool_write, natural_image, write_jpeg

pytestmark = pytest.mark.browser

HOSTILE = {
    "Comment": "<script>window.__pwned = 'comment'; alert(1)</script>",
    "IFD0:Artist": "<img src=x onerror=\"window.__pwned='artist'\">",
    "IFD0:ImageDescription": "\"><svg onload=\"window.__pwned='desc'\"></svg>",
    "XMP-dc:Title": "</script><script>window.__pwned='title'</script>",
    "IFD0:Make": "{{7*7}} ${7*7} <b>bold</b>",
    "IFD0:Software": "javascript:alert(1)",
}


@pytest.fixture
def hostile_jpeg(tmp_path: Path) -> Path:
    if not shutil.which("exiftool"):
        pytest.skip("exiftool not installed")
    p = write_jpeg(tmp_path / "hostile <script>.jpg", natural_image(320, 240, seed=3))
    exiftool_write(p, *[f"-{k}={v}" for k, v in HOSTILE.items()])
    return p


def test_hostile_metadata_is_shown_as_text_and_runs_nothing(live: Any, page: Any, hostile_jpeg: Path) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(live.url + "/")
    page.fill("#new-case-title", "<script>window.__pwned='title'</script> case")
    page.fill("#claim-text", "<img src=x onerror=\"window.__pwned='claim'\">")
    page.set_input_files("#files", str(hostile_jpeg))
    page.click("#start")
    page.wait_for_selector("#intake-done", timeout=180_000)
    page.click("#case-link")
    page.wait_for_selector("#items")
    case_html = page.content()
    page.click("a.item-link") if page.locator("a.item-link").count() else page.locator("#items h3 a").first.click()
    page.wait_for_selector("#metadata")
    page.wait_for_timeout(500)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert dialogs == []
    text = page.inner_text("#metadata")
    for value in HOSTILE.values():  # shown literally, as text
        assert value in text
    # no element was created from the metadata
    assert page.locator("#metadata script, #metadata img, #metadata svg, #metadata b").count() == 0
    html = page.content()
    assert "<script>window.__pwned" not in html and "<script>window.__pwned" not in case_html
    assert "&lt;script&gt;window.__pwned" in html
