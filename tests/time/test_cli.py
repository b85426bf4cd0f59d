"""verilens sun | when | where, per contract.md; where draws its map with the network blocked."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from verilens.cli import app

runner = CliRunner()


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def _json(args: list[str]) -> dict:
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_sun_contract_keys(no_network: None) -> None:
    # Case 5 (Eiffel Tower, 2016-07-06 12:35 UTC): apparent elevation 62.62°, azimuth 200.05°.
    d = _json(["sun", "--lat", "48.85837", "--lon", "2.29448", "--time", "2016-07-06T12:35Z", "--json"])
    assert {"azimuth", "elevation", "apparent_elevation", "shadow_bearing", "shadow_ratio"} <= d.keys()
    assert d["apparent_elevation"] == pytest.approx(62.62, abs=0.005)
    assert d["azimuth"] == pytest.approx(200.05, abs=0.005)
    assert d["shadow_bearing"] == pytest.approx(20.05, abs=0.005)
    assert d["moon"]["phase"] and d["zone"]["zone"] == "Europe/Paris"


def test_sun_override_note() -> None:
    d = _json(["sun", "--lat", "48.0159", "--lon", "37.8028", "--time", "2020-01-10T10:00Z", "--json"])
    assert d["zone"]["zone"] == "Europe/Moscow" and d["zone"]["override"] == "ordlo-2014"


def test_when_case8(no_network: None) -> None:
    d = _json(["when", "--lat", "46.6354", "--lon", "32.6169", "--date", "2022-11-11", "--elevation", "25.62",
               "--tolerance", "0.5", "--azimuth", "187", "--azimuth-tolerance", "3", "--geometric", "--json"])
    assert len(d["windows"]) == 1
    assert d["windows"][0]["start"].startswith("2022-11-11T09:48")
    assert d["windows"][0]["end"].startswith("2022-11-11T10:11")


def test_when_lengths_and_points() -> None:
    d = _json(["when", "--lat", "46.6354", "--lon", "32.6169", "--date", "2022-11-11", "--object-height", "1",
               "--shadow-length", "2.08", "--json"])
    assert d["measurement"]["source"] == "lengths" and d["windows"]
    d = _json(["when", "--lat", "46.6354", "--lon", "32.6169", "--date", "2022-11-11", "--shadow-points",
               "100,300;100,200;308,300", "--json"])
    assert d["measurement"]["source"] == "points" and d["measurement"]["assumptions"]


def test_where_offline_png_and_geojson(tmp_path: Path, no_network: None) -> None:
    out = tmp_path / "ring.png"
    gj = tmp_path / "ring.geojson"
    d = _json(["where", "--time", "2024-02-29T13:59:59Z", "--object-height", "10", "--shadow-length", "5",
               "--tolerance", "0.5", "--out", str(out), "--geojson", str(gj), "--step", "0.25", "--width", "720",
               "--json"])
    assert d["map"] == str(out) and d["cells"] > 0 and d["bounds"]["north"] > 18
    im = Image.open(out)
    assert im.size == (720, 360)
    g = json.loads(gj.read_text())
    assert g["features"][0]["geometry"]["type"] == "MultiPolygon"


def test_where_local_needs_flag(tmp_path: Path) -> None:
    res = runner.invoke(app, ["where", "--time", "2024-02-29T13:59:59", "--elevation", "40", "--out",
                              str(tmp_path / "x.png")])
    assert res.exit_code == 2


@pytest.mark.parametrize("args", [
    ["sun", "--lat", "95", "--lon", "0", "--time", "2022-01-01T00:00Z"],
    ["sun", "--lat", "0", "--lon", "0", "--time", "yesterday"],
    ["sun", "--lat", "0", "--lon", "0", "--time", "2022-01-01"],
    ["when", "--lat", "0", "--lon", "0", "--date", "2022-01-01"],
    ["when", "--lat", "0", "--lon", "0", "--date", "2020-01-01..2022-01-01", "--elevation", "30"],
    ["when", "--lat", "0", "--lon", "0", "--date", "soon", "--elevation", "30"],
    ["when", "--lat", "0", "--lon", "0", "--date", "2022-01-01", "--elevation", "nan"],
    ["when", "--lat", "0", "--lon", "0", "--date", "3000-01-01", "--elevation", "30"],
    ["sun", "--lat", "0", "--lon", "0", "--time", "3000-01-01T00:00Z"],
    ["where", "--time", "2022-01-01T00:00Z", "--elevation", "30", "--out", "/tmp/x.png", "--step", "0.0001"],
    ["where", "--time", "2022-01-01T00:00Z", "--elevation", "30", "--out", "/tmp/x.png", "--bounds", "1,2,3"],
])
def test_usage_errors_exit_2(args: list[str]) -> None:
    res = runner.invoke(app, args)
    assert res.exit_code == 2, res.output


def test_check_shadow_options(jpeg_file: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["check", str(jpeg_file), "--claim-place", "46.6354,32.6169", "--claim-time",
                              "2022-11-11T10:00:00Z", "--object-height", "1", "--shadow-length", "2.08",
                              "--shadow-azimuth", "7", "--checks", "time.sun", "--out", str(tmp_path / "o"), "--json"])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.stdout.strip().splitlines()[-1])
    sun = next(c for c in rep["checks"] if c["id"] == "time.sun")
    assert sun["state"] == "not_found" and sun["details"]["verdict"] == "consistent"
    res = runner.invoke(app, ["check", str(jpeg_file), "--shadow-elevation", "-3"])
    assert res.exit_code == 2
