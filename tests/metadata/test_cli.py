"""``verilens metadata PATH... --json`` per the contract, with hostile metadata."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image
from PIL.PngImagePlugin import PngInfo
from typer.testing import CliRunner

from tests.media import exiftool_write, natural_image, requires_exiftool, write_jpeg
from verilens.cli import app
from verilens.metadata.cli import bounded


def _lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


@requires_exiftool
def test_metadata_json_contract(tmp_path: Path) -> None:
    f = write_jpeg(tmp_path / "a.jpg", natural_image(200, 150))
    exiftool_write(
        f,
        "-Make=Apple",
        "-Model=iPhone 13",
        "-DateTimeOriginal=2024:02:24 06:30:00",
        "-OffsetTimeOriginal=+02:00",
        "-GPSLatitude=50.4501",
        "-GPSLatitudeRef=N",
        "-GPSLongitude=30.5234",
        "-GPSLongitudeRef=E",
        "-GPSImgDirection=123.5",
        "-SerialNumber=XYZ1",
    )
    before = f.read_bytes()
    res = CliRunner().invoke(app, ["metadata", str(f), str(tmp_path / "missing.jpg"), "--json"])
    assert res.exit_code == 0, res.output
    objs = _lines(res.stdout)
    assert [o["state"] for o in objs] == ["ok", "error"]
    ok, bad = objs
    assert set(ok) >= {"path", "sha256", "state", "metadata", "raw"}
    assert ok["metadata"]["summary"]["capture_time"] == "2024-02-24T06:30:00+02:00"
    assert (
        ok["metadata"]["gps"]["lat"] == 50.4501 and ok["metadata"]["gps"]["direction_deg"] == 123.5
    )
    assert ok["metadata"]["device"]["serial"] == "XYZ1"
    assert ok["raw"]["IFD0:Make"] == "Apple"
    ts = ok["metadata"]["timestamps"]["timestamps"][0]
    assert ts["utc"] == "2024-02-24T04:30:00+00:00" and ts["offset"] == "+02:00"
    assert bad["error"] == "file not found"
    assert f.read_bytes() == before  # the original is never modified


def test_hostile_strings_stay_data(tmp_path: Path) -> None:
    info = PngInfo()
    info.add_text("Software", "<script>alert('x')</script>\x1b[2J" + "A" * 200_000)
    info.add_text("Comment", "[bold red]rich markup[/]")
    f = tmp_path / "evil.png"
    Image.fromarray(natural_image(32, 32)).save(f, pnginfo=info)
    res = CliRunner().invoke(app, ["metadata", str(f), "--json"])
    obj = _lines(res.stdout)[0]
    sw = obj["raw"]["PNG:Software"]
    assert len(sw) < 2100 and "\x1b" not in sw and "more characters" in sw
    human = CliRunner().invoke(app, ["metadata", str(f)])
    assert human.exit_code == 0 and "\x1b[2J" not in human.stdout


def test_bounded_limits_depth_and_size() -> None:
    deep: object = "x"
    for _ in range(50):
        deep = [deep]
    out = bounded({"k": deep, "s": "y" * 10_000})
    assert len(out["s"]) < 2100
    node, depth = out["k"], 0
    while isinstance(node, list):
        node, depth = node[0], depth + 1
    assert depth <= 9 and "too deep" in node
