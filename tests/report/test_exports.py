"""The demo case from the bundled examples exports to all four formats."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.report.conftest import HOSTILE, Demo
from verilens.report import validate_jsonld


def test_json_export_holds_the_whole_case(demo: Demo) -> None:
    out = demo.store.export(demo.case_id, "json", demo.tmp / "case.json")
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["format"] == "verilens-case/1" and doc["case"]["id"] == demo.case_id
    assert doc["claim"]["text"].endswith(HOSTILE)  # data is kept verbatim; escaping is the renderer's job
    assert [i["id"] for i in doc["items"]] == demo.items
    ela = next(c for c in doc["items"][0]["report"]["checks"] if c["id"] == "forensics.ela")
    assert ela["artifacts"] and all(re.fullmatch(r"[0-9a-f]{64}", a["sha256"]) for a in ela["artifacts"])
    assert set(doc["items"][0]["report"]["questions"]) == {"manipulation", "provenance", "source", "place", "time"}
    assert {m["id"] for m in doc["methods"]} == {"metadata.basic", "forensics.ela"}
    assert doc["tools"]["verilens"] and doc["verdict"]["categories"] == ["DecontextualizedContent"]
    # timeline: the claimed day and the capture times from the files
    sources = {e["source"] for e in doc["timeline"]}
    assert "claim" in sources and "custody" in sources
    assert doc["custody"][0]["action"] == "opened"


def test_jsonld_has_google_required_fields(demo: Demo) -> None:
    out = demo.store.export(demo.case_id, "jsonld", demo.tmp / "case.jsonld")
    text = out.read_text(encoding="utf-8")
    assert "<" not in text and ">" not in text  # safe inside <script type="application/ld+json">
    data = json.loads(text)
    assert data["@context"] == "https://schema.org"
    assert HOSTILE in data["@graph"][0]["claimReviewed"]  # the same value after parsing
    assert validate_jsonld(data) == []
    graph = data["@graph"]
    cr = [n for n in graph if n["@type"] == "ClaimReview"]
    mr = [n for n in graph if n["@type"] == "MediaReview"]
    assert len(cr) == 1 and len(mr) == len(demo.items)
    assert cr[0]["claimReviewed"].startswith("Shows Kyiv") and cr[0]["reviewRating"]["alternateName"] == "Misleading"
    assert cr[0]["itemReviewed"]["@type"] == "Claim" and cr[0]["itemReviewed"]["firstAppearance"]["url"]
    assert cr[0]["author"]["name"] and re.fullmatch(r"\d{4}-\d\d-\d\d", cr[0]["datePublished"])
    for m in mr:
        assert m["mediaAuthenticityCategory"] == "DecontextualizedContent"
        assert m["originalMediaContextDescription"]
        app = m["itemReviewed"]["mediaItemAppearance"][0]
        assert app["@type"] == "ImageObject" and len(app["sha256"]) == 64


def test_validate_jsonld_reports_missing_required_fields() -> None:
    bad = {"@graph": [{"@type": "ClaimReview", "url": "u", "author": {"name": "a"}, "reviewRating": {}},
                      {"@type": "MediaReview", "mediaAuthenticityCategory": "DecontextualizedContent"}]}
    problems = validate_jsonld(bad)
    assert any("claimReviewed" in p for p in problems)
    assert any("alternateName" in p for p in problems)
    assert any("originalMediaContextDescription" in p for p in problems)
    assert any("MediaReview: url" in p for p in problems)


def test_html_is_self_contained_and_escaped(demo: Demo) -> None:
    out = demo.store.export(demo.case_id, "html", demo.tmp / "case.html")
    html = out.read_text(encoding="utf-8")
    assert "<script" not in html.lower()  # hostile strings never become markup
    assert "&lt;script&gt;alert(" in html
    assert not re.search(r"""<img[^>]+onerror""", html, re.I)
    srcs = re.findall(r"""\b(?:src|href)\s*=\s*["']([^"']*)""", html, re.I)
    assert srcs and all(s.startswith(("data:image/", "#")) for s in srcs), {s[:40] for s in srcs}
    import html as htmllib

    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp and "default-src 'none'" in htmllib.unescape(csp.group(1))
    n_images = html.count('src="data:image/')
    # one original per item + one ELA heatmap per item
    assert n_images >= 2 * len(demo.items)
    for section in ("Claim", "Verdict", "The five questions", "Timeline", "Methods and versions", "Custody log"):
        assert f">{section}</h2>" in html
    assert "confidence" in html and "forensics.ela" in html


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils not installed")
def test_pdf_renders_to_pages(demo: Demo, tmp_path: Path) -> None:
    from verilens.report.pdf import find_chromium

    if find_chromium() is None:
        pytest.skip("no Chromium")
    out = demo.store.export(demo.case_id, "pdf", demo.tmp / "case.pdf")
    assert out.read_bytes()[:5] == b"%PDF-"
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(out), str(tmp_path / "page")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    # the summary, one page (at least) per item, methods: each item starts a new page
    assert len(pages) >= len(demo.items) + 2
    first = np.asarray(Image.open(pages[0]).convert("L"), dtype=np.float32)
    assert first.std() > 10 and (first < 128).mean() > 0.005  # text on a white page
    picture_pages = [np.asarray(Image.open(p).convert("RGB"), dtype=np.int16) for p in pages[1:]]
    colourful = [p for p in picture_pages if (np.abs(p[..., 0] - p[..., 2]) > 40).mean() > 0.01]
    assert colourful, "no page shows an embedded picture"
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, timeout=60).stdout
    assert "Custody log" in text and "Misleading" in text and "<script>alert" in text


def test_exports_are_logged_and_the_case_still_verifies(demo: Demo) -> None:
    before = sum(e.action == "exported" for e in demo.store.get_case(demo.case_id).custody)
    demo.store.export(demo.case_id, "json", demo.tmp)  # a folder: named after the case
    assert (demo.tmp / f"case-{demo.case_id}.json").is_file()
    log = demo.store.get_case(demo.case_id).custody
    assert sum(e.action == "exported" for e in log) == before + 1
    assert log[-1].details["format"] == "json" and len(log[-1].details["sha256"]) == 64
    assert demo.store.verify(demo.case_id) == (True, [])
