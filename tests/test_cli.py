"""The `verilens check` command as a pipeline drives it: JSON Lines, exit codes, stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from tests.media import natural_image, write_jpeg

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "docs" / "schema" / "report.schema.json").read_text())
FAST = "metadata.basic,forensics.ela"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "verilens", *args], capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL)


def test_check_json_lines_one_per_input_and_batch_goes_on(tmp_path: Path) -> None:
    good = write_jpeg(tmp_path / "good.jpg", natural_image())
    bad = tmp_path / "bad.jpg"
    bad.write_text("not a picture")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    proc = run("check", str(good), str(bad), str(empty), "--json", "--checks", FAST, "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 3
    reports = [json.loads(line) for line in lines]
    for rep in reports:
        jsonschema.validate(rep, SCHEMA)
    ok, err1, err2 = reports
    assert ok["state"] == "ok" and ok["input"]["kind"] == "image" and len(ok["input"]["sha256"]) == 64
    assert {c["id"] for c in ok["checks"]} == {"metadata.basic", "forensics.ela"}
    assert set(ok["questions"]) == {"manipulation", "provenance", "source", "place", "time"}
    ela = next(c for c in ok["checks"] if c["id"] == "forensics.ela")
    assert ela["artifacts"] and Path(ela["artifacts"][0]["path"]).is_file()
    assert ela["caveat"] and ela["version"]
    assert err1["state"] == "error" and "not a supported image or video" in err1["error"]
    assert err2["state"] == "error" and "empty" in err2["error"]
    assert list((tmp_path / "out").glob("*/report.json"))


def test_hostile_batch_each_input_a_clean_error(tmp_path: Path) -> None:
    from tests.intake.test_media import png_bomb

    folder = tmp_path / "tip"
    folder.mkdir()
    png_bomb(folder / "bomb.png")
    full = write_jpeg(folder / "full.jpg", natural_image(800, 600)).read_bytes()
    (folder / "truncated.jpg").write_bytes(full[: len(full) // 3])
    (folder / "notes.jpg").write_text("a text file named .jpg")
    (folder / "zero.jpg").write_bytes(b"")
    (folder / "dangling.jpg").symlink_to(folder / "gone.jpg")
    proc = run("check", str(folder), "--json", "--checks", FAST)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    reports = {Path(r["input"]["path"]).name: r for r in map(json.loads, proc.stdout.splitlines())}
    assert set(reports) == {"bomb.png", "full.jpg", "truncated.jpg", "notes.jpg", "zero.jpg", "dangling.jpg"}
    assert reports["full.jpg"]["state"] == "ok"
    for name, pattern in [("bomb.png", "decompression bomb"), ("truncated.jpg", "truncated|corrupt"),
                          ("notes.jpg", "text"), ("zero.jpg", "empty"), ("dangling.jpg", "broken")]:
        assert reports[name]["state"] == "error", name
        assert __import__("re").search(pattern, reports[name]["error"]), reports[name]["error"]


def test_usage_errors_exit_2() -> None:
    assert run("check").returncode == 2
    assert run("check", "x.jpg", "--claim-time", "yesterday").returncode == 2
    assert run("check", "x.jpg", "--claim-place", "95,200").returncode == 2
    assert run("check", "x.jpg", "--checks", "no.such_check").returncode == 2


def test_human_output_escapes_hostile_names(tmp_path: Path) -> None:
    path = write_jpeg(tmp_path / "[blink]evil.jpg", natural_image(64, 48))
    proc = run("check", str(path), "--checks", "forensics.ela")
    assert proc.returncode == 0, proc.stderr
    assert "[blink]evil.jpg" in proc.stdout


def test_checks_and_schema_commands() -> None:
    listing = json.loads(run("checks", "--json").stdout)
    ids = {c["id"] for c in listing}
    assert {"metadata.basic", "forensics.ela"} <= ids
    assert all(c["caveat"] for c in listing), "every check says how to read it"
    assert json.loads(run("schema").stdout) == SCHEMA


@pytest.mark.parametrize("flag", ["--version"])
def test_version(flag: str) -> None:
    proc = run(flag)
    assert proc.returncode == 0 and proc.stdout.startswith("verilens ")
