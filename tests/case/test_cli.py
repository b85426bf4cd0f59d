"""``verilens case ...`` per the contract: JSON on stdout, exit 0 ran / 2 usage / 1 failure."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from verilens.cli import app

runner = CliRunner()


def _json(args: list[str]) -> dict:
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_case_commands_end_to_end(tmp_path: Path, photos: list[Path]) -> None:
    db = str(tmp_path / "c.db")
    new = _json(["case", "new", "CLI case", "--investigator", "Ann", "--claim", "Shows Kyiv",
                 "--claim-place", "50.45,30.52", "--claim-time", "2022-11-11", "--db", db, "--json"])
    cid = new["id"]
    assert new["claim"]["place"]["lat"] == 50.45
    added = _json(["case", "add", cid, str(photos[0].parent), str(tmp_path / "nope.jpg"), "--checks",
                   "metadata.basic", "--db", db, "--json"])
    assert len(added["added"]) == 2 and len(added["errors"]) == 1 and "nope.jpg" in added["errors"][0]["error"]
    assert _json(["case", "note", cid, "checked EXIF", "--item", added["added"][0], "--db", db, "--json"])["id"] == 1
    v = _json(["case", "verdict", cid, "-c", "OriginalMediaContent", "--rating", "Authentic",
               "--rationale", "Matches", "--db", db, "--json"])
    assert v["categories"] == ["OriginalMediaContent"]
    out = tmp_path / "r.jsonld"
    assert _json(["case", "export", cid, "--format", "jsonld", "--out", str(out), "--db", db, "--json"]) == {
        "path": str(out)}
    assert json.loads(out.read_text())["@graph"][0]["@type"] == "ClaimReview"
    shown = _json(["case", "show", cid, "--db", db, "--json"])
    assert shown["case"]["id"] == cid and len(shown["items"]) == 2
    assert _json(["case", "verify", cid, "--db", db, "--json"]) == {"ok": True, "problems": []}
    human = runner.invoke(app, ["case", "show", cid, "--db", db])
    assert human.exit_code == 0 and "Authentic" in human.stdout
    listed = _json(["case", "list", "--db", db, "--json"])
    assert listed[0]["id"] == cid and listed[0]["item_count"] == 2


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    assert runner.invoke(app, ["case", "verify", "nope", "--db", db, "--json"]).exit_code == 2
    cid = _json(["case", "new", "x", "--db", db, "--json"])["id"]
    assert runner.invoke(app, ["case", "verdict", cid, "-c", "Bogus", "--rating", "r", "--rationale", "x",
                               "--db", db]).exit_code == 2
    assert runner.invoke(app, ["case", "export", cid, "--format", "docx", "--out", str(tmp_path / "x"),
                               "--db", db]).exit_code == 2
    assert runner.invoke(app, ["case", "new", "x", "--db", str(tmp_path)]).exit_code == 2  # a folder


def test_verify_reports_problems_with_exit_0(tmp_path: Path, photos: list[Path]) -> None:
    db = str(tmp_path / "c.db")
    cid = _json(["case", "new", "x", "--db", db, "--json"])["id"]
    _json(["case", "add", cid, str(photos[0]), "--checks", "metadata.basic", "--db", db, "--json"])
    blobs = tmp_path / "c.db.originals"
    stored = next(p for p in blobs.rglob("*") if p.is_file() and p.read_bytes() == photos[0].read_bytes())
    stored.chmod(0o644)
    stored.write_bytes(b"replaced")
    res = _json(["case", "verify", cid, "--db", db, "--json"])
    assert res["ok"] is False and any("altered" in p for p in res["problems"])


def test_a_file_that_is_not_a_database_fails_cleanly(tmp_path: Path) -> None:
    bogus = tmp_path / "cases.db"
    bogus.write_bytes(b"\x00not sqlite at all" * 100)
    res = runner.invoke(app, ["case", "new", "x", "--db", str(bogus), "--json"])
    assert res.exit_code == 1 and "cannot open the case database" in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
