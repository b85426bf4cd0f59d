"""Type sniffing from bytes (signatures from the format specifications)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from verilens.intake.sniff import describe_unknown, sniff


def _encode(fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(buf, format=fmt, **kw)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("fmt", "mime"),
    [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("GIF", "image/gif"), ("WEBP", "image/webp"),
     ("TIFF", "image/tiff"), ("BMP", "image/bmp")],
)
def test_images_recognised_from_bytes(fmt: str, mime: str) -> None:
    got = sniff(_encode(fmt)[:512])
    assert got is not None and got.mime == mime and got.kind == "image"


def test_heif_and_video_brands() -> None:
    assert sniff(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic").mime == "image/heic"
    assert sniff(b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf").mime == "image/avif"
    assert sniff(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2").mime == "video/mp4"
    assert sniff(b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  ").mime == "video/quicktime"
    assert sniff(b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm").mime == "video/webm"
    assert sniff(b"RIFF\x00\x00\x00\x00AVI LIST").kind == "video"


def test_extension_is_never_used_and_text_is_not_media() -> None:
    assert sniff(b"hello, this is a text file pretending to be a JPEG") is None
    assert sniff(b"") is None
    assert "empty" in describe_unknown(b"")
    assert "text" in describe_unknown(b"just some text")
    assert "PDF" in describe_unknown(b"%PDF-1.7 ...")
