import json

import cv2
import numpy as np
from typer.testing import CliRunner

from tests.media import natural_image, write_jpeg
from verilens.cli import app

runner = CliRunner()


def test_place_lookup_json():
    r = runner.invoke(app, ["place", "Херсон", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["place"]["name"] == "Kherson, Kherson, Ukraine" and doc["candidates"][0]["country"] == "UA"


def test_place_ambiguous_and_unknown():
    r = runner.invoke(app, ["place", "Springfield", "--json", "--limit", "3"])
    doc = json.loads(r.stdout)
    assert r.exit_code == 0 and doc["place"] is None and "ambiguous" in doc["error"] and len(doc["candidates"]) == 3
    r = runner.invoke(app, ["place", "Qqqqzzzzxx", "--json"])
    assert r.exit_code == 2


def test_place_reverse():
    r = runner.invoke(app, ["place", "48.57,39.31", "--json"])
    assert json.loads(r.stdout)["nearest"]["name"] == "Luhansk"
    assert runner.invoke(app, ["place", "95,10"]).exit_code == 2


def test_match_json_lines(tmp_path):
    a = natural_image(800, 600, seed=4)
    rng = np.random.default_rng(1)
    for _ in range(120):
        x, y = (int(v) for v in rng.integers(0, 560, 2))
        cv2.circle(a, (x + 100, y), 9, tuple(int(v) for v in rng.integers(0, 255, 3)), -1)
    q = write_jpeg(tmp_path / "q.jpg", a)
    same = write_jpeg(tmp_path / "same.jpg", a[40:560, 60:740])
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image")
    r = runner.invoke(app, ["match", str(q), str(same), str(bad), "--json", "--out", str(tmp_path / "m")])
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [row["state"] for row in rows] == ["found", "error"]
    assert rows[0]["inliers"] >= 20 and rows[0]["picture"].endswith(".png")
    assert (tmp_path / "m").is_dir()
