"""Quality estimate against the IJG tables and the encoder signature table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from verilens.forensics.jpeg_parse import parse_jpeg_structure
from verilens.forensics.jpeg_structure import (
    STD_CHROMA,
    STD_LUMA,
    estimate_quality,
    ijg_table,
    load_signatures,
    match_signatures,
    table_key,
)


@pytest.mark.parametrize("q", [10, 50, 75, 90, 95, 100])
def test_ijg_tables_give_exact_quality(q: int) -> None:
    est = estimate_quality(ijg_table(STD_LUMA, q), ijg_table(STD_CHROMA, q))
    assert est.standard and est.quality == q and est.rms_error == 0


def test_ijg_scaling_reference_values() -> None:
    # libjpeg jcparam.c: quality 50 -> the Annex K table itself; quality 100 -> all ones
    assert np.array_equal(ijg_table(STD_LUMA, 50), STD_LUMA)
    assert np.all(ijg_table(STD_LUMA, 100) == 1)


def test_custom_table_is_not_standard_but_close() -> None:
    t = ijg_table(STD_LUMA, 85).copy()
    t[0, 0] += 1
    t[3, 4] += 2
    est = estimate_quality(t)
    assert not est.standard and abs(est.quality - 85) <= 2 and est.rms_error > 0


def test_signature_table_is_auditable() -> None:
    sig = load_signatures()
    assert sig["files_read"] > 50 and len(sig["entries"]) > 20
    for e in sig["entries"]:
        assert e["key"] and e["category"] in {"camera", "phone", "editor", "software", "mixed"} and e["examples"]


def test_camera_file_matches_its_own_signature(shared_data: Path) -> None:
    p = shared_data / "media-samples" / "jpg" / "Canon IXUS 300.jpg"
    s = parse_jpeg_structure(p.read_bytes())
    matches = match_signatures(s.qtables, load_signatures())
    assert any("IXUS 300" in m.encoder and m.category == "camera" for m in matches)
    assert table_key(s.qtables) == table_key(dict(s.qtables))


def test_local_platform_table_is_built_and_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A desk labels its own downloads from a platform; the check then names that re-encoder."""
    import subprocess
    import sys

    from PIL import Image

    from tests.media import natural_image
    from verilens.api import check
    from verilens.pipeline import Options

    # a custom table no camera in the shipped table uses: IJG 83 with two steps changed
    luma = ijg_table(STD_LUMA, 83).copy()
    luma[0, 0], luma[7, 7] = 3, 77
    tables = [luma.reshape(-1).tolist(), ijg_table(STD_CHROMA, 83).reshape(-1).tolist()]
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    for k in range(2):
        Image.fromarray(natural_image(200, 160, seed=k)).save(downloads / f"d{k}.jpg", qtables=tables)
    probe = tmp_path / "probe.jpg"
    Image.fromarray(natural_image(320, 240, seed=9)).save(probe, qtables=tables)

    table = tmp_path / "platform.json"
    builder = Path(__file__).resolve().parents[2] / "src" / "verilens" / "data" / "jpeg_signatures.py"
    subprocess.run([sys.executable, str(builder), str(downloads), "--encoder", "Example platform re-encode",
                    "--out", str(table)], check=True, capture_output=True)
    local = load_signatures([table])
    assert str(table) in local["tables"] and len(local["entries"]) == len(load_signatures()["entries"]) + 1
    assert [m.category for m in match_signatures(parse_jpeg_structure(probe.read_bytes()).qtables, local)] == ["platform"]

    def run() -> object:
        rep = next(check(probe, out=tmp_path / "out", options=Options(checks={"forensics.jpeg_structure"})))
        return next(c for c in rep.checks if c.id == "forensics.jpeg_structure")

    assert "Example platform" not in run().summary  # not known without the local table
    monkeypatch.setenv("VERILENS_JPEG_SIGNATURES", str(table))
    res = run()
    assert res.state.value == "inconclusive" and "Example platform re-encode" in res.summary
    table.write_text("not json", encoding="utf-8")
    res = run()
    assert res.state.value == "error" and "platform.json" in (res.error or res.summary)
