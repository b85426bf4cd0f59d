"""The forensic checks through the pipeline and ``verilens forensics`` (contract.md)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from PIL import Image
from typer.testing import CliRunner

from tests.media import natural_image, write_jpeg
from verilens.api import check
from verilens.cli import app
from verilens.forensics.checks import FORENSIC_CHECKS
from verilens.forensics.learned import parse_model_config, read_model_config, run_detector
from verilens.pipeline import Options

JPEG_ONLY = ("forensics.jpeg_structure", "forensics.ghosts", "forensics.double_quant")


def _run(path: Path, out: Path, extra: dict | None = None) -> dict:
    rep = next(check(path, out=out, options=Options(checks=set(FORENSIC_CHECKS), extra=extra or {})))
    return {c.id: c for c in rep.checks}


def test_png_gives_not_applicable_for_jpeg_only_checks(tmp_path: Path) -> None:
    p = tmp_path / "pic.png"
    Image.fromarray(natural_image(320, 240)).save(p)
    res = _run(p, tmp_path / "out")
    for cid in JPEG_ONLY:
        assert res[cid].state == "not_applicable", cid
    assert res["forensics.ela"].state == "inconclusive"
    assert res["forensics.learned"].state == "not_applicable"
    assert all(res[c].caveat for c in FORENSIC_CHECKS)


def test_clean_gradient_gives_no_finding(tmp_path: Path) -> None:
    y, x = np.mgrid[0:480, 0:640]
    g = ((x + 2 * y) / (640 + 960) * 255).astype(np.uint8)
    p = write_jpeg(tmp_path / "grad.jpg", np.repeat(g[..., None], 3, 2), quality=90)
    res = _run(p, tmp_path / "out")
    assert not [c for c in res.values() if c.state == "found"]
    assert res["forensics.copy_move"].state == "inconclusive"  # too little texture to speak
    assert res["forensics.jpeg_structure"].state == "inconclusive"  # standard libjpeg tables
    assert res["forensics.jpeg_structure"].details["quality_estimate"] == 90


@pytest.mark.parametrize("size", [(8, 8), (640, 1), (40, 300)])
def test_too_small_pictures_are_inconclusive_not_errors(tmp_path: Path, size: tuple[int, int]) -> None:
    w, h = size
    p = write_jpeg(tmp_path / "small.jpg", natural_image(max(w, 16), max(h, 16))[:h, :w], quality=90)
    res = _run(p, tmp_path / "out")
    assert not [c.id for c in res.values() if c.state in ("error", "timeout", "found")]
    # minimum sides: ELA 64 px (4 blocks), noise 128 (2 blocks), ghosts 32, double quantisation 64
    for cid, need in (("forensics.ela", 64), ("forensics.noise", 128), ("forensics.ghosts", 32),
                      ("forensics.double_quant", 64)):
        if min(w, h) < need:
            assert res[cid].state == "inconclusive" and "too small" in res[cid].summary, cid
        else:
            assert "too small" not in res[cid].summary, cid


def test_clone_writes_a_mask_of_the_image_size(tmp_path: Path) -> None:
    from tests.forensics.test_copy_move import _textured
    from verilens.forensics.synth import copy_move

    fg = copy_move(_textured(), np.random.default_rng(3), size_frac=0.25)
    p = write_jpeg(tmp_path / "clone.jpg", fg.rgb, quality=92)
    cm = _run(p, tmp_path / "out")["forensics.copy_move"]
    assert cm.state == "found"
    mask = [a for a in cm.artifacts if a.kind == "mask"][0]
    im = Image.open(mask.path)
    assert im.mode == "L" and im.size == (fg.rgb.shape[1], fg.rgb.shape[0])
    m = np.asarray(im) > 0
    assert (m & fg.mask).sum() / fg.mask.sum() > 0.6


def test_camera_original_is_not_flagged(shared_data: Path, tmp_path: Path) -> None:
    res = _run(shared_data / "media-samples" / "jpg" / "Canon IXUS 300.jpg", tmp_path / "out")
    assert not [c.id for c in res.values() if c.state == "found"]
    assert res["forensics.jpeg_structure"].state == "not_found"


def test_cli_json_contract_and_bad_input(tmp_path: Path) -> None:
    good = write_jpeg(tmp_path / "a.jpg", natural_image(320, 240))
    bad = tmp_path / "b.jpg"
    bad.write_bytes(good.read_bytes()[:300])
    r = CliRunner().invoke(app, ["forensics", str(good), str(bad), "--out", str(tmp_path / "o"), "--json"])
    assert r.exit_code == 0, r.output
    docs = [json.loads(line) for line in r.stdout.strip().splitlines()]
    assert len(docs) == 2
    assert docs[0]["state"] == "ok" and {c["id"] for c in docs[0]["checks"]} == set(FORENSIC_CHECKS)
    assert all({"id", "question", "state", "summary", "artifacts"} <= set(c) for c in docs[0]["checks"])
    assert docs[1]["state"] == "error" and docs[1]["error"]
    r2 = CliRunner().invoke(app, ["forensics", str(good), "--checks", "time.sun", "--json"])
    assert r2.exit_code == 2


# ---------------------------------------------------------------- learned detector

def _tiny_model(path: Path, kind: str) -> None:
    """A model that outputs the mean of the input (score) or the first channel (map)."""
    x = helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 32, 32])
    if kind == "score":
        y = helper.make_tensor_value_info("score", TensorProto.FLOAT, [1, 1])
        nodes = [helper.make_node("ReduceMean", ["image"], ["m"], axes=[1, 2, 3], keepdims=0),
                 helper.make_node("Unsqueeze", ["m", "ax"], ["score"])]
        init = [helper.make_tensor("ax", TensorProto.INT64, [1], [1])]
    else:
        y = helper.make_tensor_value_info("map", TensorProto.FLOAT, [1, 1, 32, 32])
        nodes = [helper.make_node("ReduceMean", ["image"], ["map"], axes=[1], keepdims=1)]
        init = []
    graph = helper.make_graph(nodes, "tiny", [x], [y], initializer=init)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def test_learned_detector_score_and_map(tmp_path: Path) -> None:
    _tiny_model(tmp_path / "s.onnx", "score")
    cfg = {"name": "tiny", "model": "s.onnx", "input": {"size": [32, 32], "scale": 1 / 255},
           "output": {"kind": "score", "threshold": 0.5, "meaning": "mean brightness"}}
    (tmp_path / "s.json").write_text(json.dumps(cfg))
    bright = np.full((40, 50, 3), 230, np.uint8)
    out = run_detector(bright, read_model_config(tmp_path / "s.json"))
    assert out.score == pytest.approx(230 / 255, abs=1e-3)
    _tiny_model(tmp_path / "m.onnx", "map")
    cfg["model"], cfg["output"] = "m.onnx", {"kind": "map", "threshold": 0.5}
    (tmp_path / "m.json").write_text(json.dumps(cfg))
    img = np.zeros((64, 64, 3), np.uint8)
    img[:, 32:] = 255
    m = run_detector(img, read_model_config(tmp_path / "m.json"))
    assert m.map is not None and m.map.shape == (32, 32) and m.map[:, :15].max() < 0.01 and m.map[:, 17:].min() > 0.99
    # through the pipeline: found when the declared threshold is passed, with a heatmap
    p = write_jpeg(tmp_path / "w.jpg", np.full((64, 64, 3), 250, np.uint8))
    res = _run(p, tmp_path / "out", {"forensics_model": str(tmp_path / "m.json")})["forensics.learned"]
    assert res.state == "found" and res.artifacts and res.details["model"] == "tiny"


def test_learned_config_is_validated(tmp_path: Path) -> None:
    from verilens.errors import CheckUnavailable

    with pytest.raises(CheckUnavailable, match="local path"):
        parse_model_config(json.dumps({"model": "https://example.org/m.onnx"}), tmp_path)
    with pytest.raises(CheckUnavailable):
        parse_model_config("{not json", tmp_path)
    with pytest.raises(CheckUnavailable):
        parse_model_config(json.dumps({"model": "m.onnx", "input": {"size": [1, 99999]}}), tmp_path)
    p = write_jpeg(tmp_path / "w.jpg", natural_image(64, 64))
    res = _run(p, tmp_path / "out", {"forensics_model": str(tmp_path / "missing.json")})["forensics.learned"]
    assert res.state == "error" and "does not exist" in res.summary
