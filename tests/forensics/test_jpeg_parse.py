"""JPEG marker walk (ITU-T T.81 Annex B syntax) on files written by libjpeg through Pillow."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from tests.media import natural_image
from verilens.forensics.jpeg_parse import parse_jpeg_structure
from verilens.forensics.jpeg_structure import STD_CHROMA, STD_LUMA, ijg_table


def _jpeg(**kw: object) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(natural_image(128, 96)).save(buf, format="JPEG", **kw)
    return buf.getvalue()


def test_tables_frame_and_subsampling() -> None:
    s = parse_jpeg_structure(_jpeg(quality=75))
    # libjpeg writes the Annex K tables scaled for quality 75 (jcparam.c)
    assert np.array_equal(s.qtables[0], ijg_table(STD_LUMA, 75))
    assert np.array_equal(s.qtables[1], ijg_table(STD_CHROMA, 75))
    assert s.frame == "baseline" and s.subsampling == "4:2:0"
    assert (s.width, s.height) == (128, 96)
    assert s.eoi and s.markers[0] == "SOI" and s.markers[-1] == "EOI" and s.anomalies == []


def test_progressive_and_444() -> None:
    s = parse_jpeg_structure(_jpeg(quality=90, progressive=True, subsampling=0))
    assert s.frame == "progressive" and s.subsampling == "4:4:4" and s.scans > 1


def test_hostile_inputs_never_raise() -> None:
    good = _jpeg(quality=80)
    trunc = parse_jpeg_structure(good[: len(good) // 2])
    assert not trunc.eoi and any("truncated" in a or "ends" in a for a in trunc.anomalies)
    assert parse_jpeg_structure(b"not a jpeg").anomalies
    bad_len = good[:2] + b"\xff\xe1\xff\xff" + b"\x00" * 10
    assert any("past the end" in a for a in parse_jpeg_structure(bad_len).anomalies)
    trailing = parse_jpeg_structure(good + b"EXTRA")
    assert trailing.trailing_bytes == 5
    # endless fill bytes / tiny segments are bounded
    many = b"\xff\xd8" + b"\xff\xfe\x00\x02" * 10000
    assert any("segments" in a for a in parse_jpeg_structure(many, max_segments=100).anomalies)
