"""The HTML renderer on hostile content: escaped strings, unreadable or oversized pictures."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from tests.report.test_document import _case, _item
from verilens.evidence import Artifact, ArtifactKind, CheckResult, Question, State
from verilens.report.document import case_document
from verilens.report.html import embed_image, render_html

EVIL = "</pre><script>alert(1)</script>\u202egnp.exe\x00<a href='http://evil.test/'>x</a>"


def _png_bomb(path: Path, w: int = 100_000, h: int = 100_000) -> Path:
    """A PNG header declaring a huge size (the pixels are never there)."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))
    return path


def test_embed_image_downscales_and_refuses_what_it_cannot_read(tmp_path: Path) -> None:
    big = tmp_path / "big.png"
    Image.fromarray(np.full((3000, 2000, 3), 200, np.uint8)).save(big)
    uri = embed_image(big, max_side=500)
    assert uri and uri.startswith("data:image/png;base64,")
    import base64
    import io
    im = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert max(im.size) == 500
    garbage = tmp_path / "g.png"
    garbage.write_bytes(b"\x89PNG not really")
    assert embed_image(garbage) is None
    assert embed_image(tmp_path / "missing.png") is None
    assert embed_image(_png_bomb(tmp_path / "bomb.png")) is None
    assert embed_image(None) is None


def test_hostile_strings_and_pictures_in_a_report(tmp_path: Path) -> None:
    good = tmp_path / "heat.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (40, 60, 3), dtype=np.uint8)).save(good)
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a picture")
    check = CheckResult(id="forensics.ela", question=Question.MANIPULATION, state=State.FOUND, score=0.7,
                        summary=EVIL, caveat=EVIL, details={EVIL: [EVIL] * 3, "n": 1},
                        artifacts=[Artifact(kind=ArtifactKind.HEATMAP, path=str(good), caption=EVIL),
                                   Artifact(kind=ArtifactKind.MASK, path=str(bad), caption=EVIL),
                                   Artifact(kind=ArtifactKind.MAP, path=str(_png_bomb(tmp_path / "b.png")))])
    case = _case([_item("i1", [check])])
    doc = case_document(case)
    doc["case"]["title"] = EVIL
    html = render_html(doc)
    assert "<script" not in html.lower() and "http://evil.test" not in html.replace("&#39;", "'").split(
        "&lt;a href=")[0]
    assert not re.search(r"<a\s+href=['\"]http", html)
    assert "\u202e" not in html and "\x00" not in html  # control characters neutralised
    assert html.count('src="data:image/') == 1  # the good picture only (a heatmap: JPEG)
    assert html.count('src="data:image/jpeg') == 1
    assert html.count("picture could not be embedded") == 2
    assert "&lt;/pre&gt;&lt;script&gt;" in html
