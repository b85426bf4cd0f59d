"""``verilens archive add|search|stats`` and ``check --archive`` (contract.md)."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image
from typer.testing import CliRunner

from tests.provenance._fixtures import crop, photo
from verilens.cli import app

runner = CliRunner()


def _lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def _setup(tmp_path: Path) -> tuple[Path, Path]:
    d = tmp_path / "seen"
    d.mkdir()
    for i in range(4):
        Image.fromarray(photo(i)).save(d / f"p{i}.jpg", quality=90)
    db = tmp_path / "arch.db"
    r = runner.invoke(app, ["archive", "add", str(d), "--archive", str(db), "--source-url", "https://x.example/a",
                            "--first-seen", "2020-02-02T10:00:00Z", "--json"])
    assert r.exit_code == 0, r.output
    assert _lines(r.stdout)[0] == {"added": 4, "skipped": 0, "errors": [], "sources_added": 0, "updated": 0, "not_media": 0,
                                      "warnings": []}
    return d, db


def test_add_search_stats(tmp_path):
    d, db = _setup(tmp_path)
    Image.fromarray(crop(photo(1), 0.2)).save(tmp_path / "q.jpg", quality=40)
    Image.fromarray(photo(99)).save(tmp_path / "other.jpg")
    (tmp_path / "bad.jpg").write_bytes(b"\xff\xd8\xffjunk")
    r = runner.invoke(app, ["archive", "search", str(tmp_path / "q.jpg"), str(tmp_path / "other.jpg"),
                            str(tmp_path / "bad.jpg"), "--archive", str(db), "--json", "--top", "5"])
    assert r.exit_code == 0, r.output
    q, other, bad = _lines(r.stdout)
    assert q["query"]["path"] == str(tmp_path / "q.jpg")
    assert [m["path"] for m in q["matches"]] == [str(d / "p1.jpg")]
    m = q["matches"][0]
    assert m["source_url"] == "https://x.example/a" and m["first_seen"] == "2020-02-02T10:00:00+00:00"
    assert "crop" in m["transform"] and isinstance(m["distance"], int) and 0 < m["similarity"] <= 1
    assert other["matches"] == []
    assert bad["state"] == "error" and bad["error"] and bad["matches"] == []
    r = runner.invoke(app, ["archive", "stats", "--archive", str(db), "--json"])
    st = _lines(r.stdout)[0]
    assert st["items"] == 4 and st["index"]["pdq"]["entries"] == 4


def test_search_takes_folders_and_reports_each_bad_input(tmp_path):
    d, db = _setup(tmp_path)
    (d / "NOTES.md").write_text("where these came from")  # in the folder: passed over, not a query
    (tmp_path / "named.txt").write_text("named: an error")
    r = runner.invoke(app, ["archive", "search", str(d), str(tmp_path / "missing.jpg"), "https://x.example/q.jpg",
                            str(tmp_path / "named.txt"), "--archive", str(db), "--json"])
    assert r.exit_code == 0, r.output
    assert "1 file(s) in the folders that are not pictures or videos passed over" in r.stderr
    *found, missing, url, named = _lines(r.stdout)
    assert named["state"] == "error"
    assert [q["query"]["path"] for q in found] == [str(d / f"p{i}.jpg") for i in range(4)]
    assert all(q["matches"][0]["path"] == q["query"]["path"] for q in found)
    assert all(q["matches"][0]["transform"] == "identical file" for q in found)  # the very files archived
    assert missing["state"] == "error" and "no such file" in missing["error"]
    assert url["state"] == "error" and "URL" in url["error"] and url["matches"] == []


def test_usage_errors_exit_2(tmp_path):
    r = runner.invoke(app, ["archive", "search", str(tmp_path / "x.jpg"), "--archive", str(tmp_path / "none.db")])
    assert r.exit_code == 2
    r = runner.invoke(app, ["archive", "add", str(tmp_path), "--archive", str(tmp_path / "a.db"),
                            "--first-seen", "yesterday"])
    assert r.exit_code == 2


def test_check_with_archive_reports_earliest_and_recycling(tmp_path):
    d, db = _setup(tmp_path)
    Image.fromarray(photo(2)[:, ::-1]).save(tmp_path / "q.jpg", quality=70)
    r = runner.invoke(app, ["check", str(tmp_path / "q.jpg"), "--archive", str(db), "--claim-time", "2023-04-17",
                            "--checks", "provenance.archive", "--json"])
    assert r.exit_code == 0, r.output
    rep = _lines(r.stdout)[0]
    c = next(c for c in rep["checks"] if c["id"] == "provenance.archive")
    assert c["state"] == "found"
    det = c["details"]
    assert det["matches"][0]["path"] == str(d / "p2.jpg") and "frame_time_s" in det["matches"][0]
    assert det["earliest"]["first_seen"] == "2020-02-02T10:00:00+00:00"
    assert det["predates_claim"] is True and "recycled" in c["summary"]
    r = runner.invoke(app, ["check", str(tmp_path / "q.jpg"), "--archive", str(db), "--claim-time", "2019-01-01",
                            "--checks", "provenance.archive", "--json"])
    c = next(c for c in _lines(r.stdout)[0]["checks"] if c["id"] == "provenance.archive")
    assert c["details"]["predates_claim"] is False
    assert not c["details"]["matches"][0]["identical_file"]
    r = runner.invoke(app, ["check", str(d / "p2.jpg"), "--archive", str(db), "--checks", "provenance.archive",
                            "--json"])
    c = next(c for c in _lines(r.stdout)[0]["checks"] if c["id"] == "provenance.archive")
    top = c["details"]["matches"][0]
    assert top["identical_file"] and top["stage"] == "sha256" and "(identical file)" in c["summary"]


def test_a_check_counts_the_archive_without_reading_every_item(tmp_path, monkeypatch):
    from verilens.provenance.archive import Archive

    d, db = _setup(tmp_path)

    def whole_summary(self):  # type: ignore[no-untyped-def]
        raise AssertionError("a check read every item for the archive's summary")

    monkeypatch.setattr(Archive, "stats", whole_summary)  # kinds and first-seen range: a scan of every item
    Image.fromarray(photo(9)).save(tmp_path / "new.jpg", quality=90)
    for query, state in ((d / "p2.jpg", "found"), (tmp_path / "new.jpg", "not_found")):
        r = runner.invoke(app, ["check", str(query), "--archive", str(db), "--checks", "provenance.archive", "--json"])
        c = next(c for c in _lines(r.stdout)[0]["checks"] if c["id"] == "provenance.archive")
        assert c["state"] == state and c["details"]["archive_items"] == 4, c
    assert "among the 4 item(s) of the archive" in c["summary"]


def test_check_and_search_read_a_query_alike(tmp_path):
    d, db = _setup(tmp_path)
    Image.fromarray(crop(photo(3), 0.2)).resize((1600, 1200), Image.Resampling.BICUBIC).save(tmp_path / "q.jpg",
                                                                                              quality=85)
    r = runner.invoke(app, ["archive", "search", str(tmp_path / "q.jpg"), "--archive", str(db), "--json"])
    found = _lines(r.stdout)[0]["matches"]
    r = runner.invoke(app, ["check", str(tmp_path / "q.jpg"), "--archive", str(db), "--checks", "provenance.archive",
                            "--json"])
    checked = next(c for c in _lines(r.stdout)[0]["checks"] if c["id"] == "provenance.archive")["details"]["matches"]
    assert [m["path"] for m in found] == [str(d / "p3.jpg")]
    assert [{k: v for k, v in m.items() if k != "identical_file"} for m in checked] == found


def test_opening_an_archive_whose_indexes_are_rebuilt_says_so_with_progress(tmp_path, monkeypatch):
    from verilens.provenance import cli as provenance_cli

    d, db = _setup(tmp_path)
    state = tmp_path / "arch.db.index" / "state.json"
    state.write_text("{")  # damaged: rebuilt from the catalog on opening
    r = runner.invoke(app, ["archive", "stats", "--archive", str(db), "--json"])
    assert r.exit_code == 0 and "rebuilding" not in r.stderr  # 4 pictures: too quick to mention
    state.write_text("{")
    monkeypatch.setattr(provenance_cli, "PROGRESS_FROM_ROWS", 1)
    monkeypatch.setattr(provenance_cli, "PROGRESS_EVERY_S", 0.0)
    r = runner.invoke(app, ["archive", "stats", "--archive", str(db), "--json"])
    assert r.exit_code == 0 and _lines(r.stdout)[0]["items"] == 4
    assert "rebuilding the archive's indexes from its catalog (4 pictures)…" in r.stderr
    assert "rebuilding the archive's indexes from its catalog: 4/4 pictures" in r.stderr
    state.write_text("{")
    arch = provenance_cli._open(str(db))  # its bars are closed once it is open: later work does not report into them
    try:
        assert arch.rebuilt and arch.progress is None
    finally:
        arch.close()


def test_a_check_does_not_rebuild_a_large_index_inside_its_budget_but_says_how(tmp_path, monkeypatch):
    from verilens.provenance import checks as provenance_checks

    d, db = _setup(tmp_path)
    (tmp_path / "arch.db.index" / "state.json").write_text("{")  # the index must be rebuilt
    monkeypatch.setattr(provenance_checks, "CHECK_INDEX_LIMIT", 3)  # 4 pictures: "too many" for this test
    args = ["check", str(d / "p1.jpg"), "--archive", str(db), "--checks", "provenance.archive", "--json"]
    r = runner.invoke(app, args)
    c = next(c for c in _lines(r.stdout)[0]["checks"] if c["id"] == "provenance.archive")
    summary = " ".join(c["summary"].split())
    assert c["state"] == "error" and "must be rebuilt from its catalog first (4 pictures" in summary
    assert f"verilens archive stats --archive {db}" in summary
    assert runner.invoke(app, ["archive", "stats", "--archive", str(db)]).exit_code == 0  # rebuilds and saves
    r = runner.invoke(app, args)
    c = next(c for c in _lines(r.stdout)[0]["checks"] if c["id"] == "provenance.archive")
    assert c["state"] == "found"


def test_check_without_archive_says_how_to_enable(tmp_path):
    Image.fromarray(photo(2)).save(tmp_path / "q.jpg")
    r = runner.invoke(app, ["check", str(tmp_path / "q.jpg"), "--checks", "provenance.archive", "--json"])
    c = next(c for c in _lines(r.stdout)[0]["checks"] if c["id"] == "provenance.archive")
    assert c["state"] == "not_applicable" and "--archive" in c["summary"]
    r = runner.invoke(app, ["check", str(tmp_path / "q.jpg"), "--checks", "provenance.archive", "--json",
                            "--archive", str(tmp_path / "missing.db")])
    c = next(c for c in _lines(r.stdout)[0]["checks"] if c["id"] == "provenance.archive")
    assert c["state"] == "error" and "no archive" in c["summary"]
    assert not (tmp_path / "missing.db").exists()


def test_a_file_that_is_not_an_archive_is_a_clear_error(tmp_path):
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"this is not a database" * 100)
    Image.fromarray(photo(2)).save(tmp_path / "q.jpg")
    r = runner.invoke(app, ["archive", "search", str(tmp_path / "q.jpg"), "--archive", str(bogus), "--json"])
    assert r.exit_code == 1 and "cannot open the archive catalog" in r.output
    r = runner.invoke(app, ["check", str(tmp_path / "q.jpg"), "--checks", "provenance.archive", "--json",
                            "--archive", str(bogus)])
    assert r.exit_code == 0
    c = next(c for c in _lines(r.stdout)[0]["checks"] if c["id"] == "provenance.archive")
    assert c["state"] == "error" and "archive" in c["summary"]
    assert bogus.read_bytes() == b"this is not a database" * 100  # never modified


def test_a_database_of_something_else_is_refused_and_left_as_it_is(tmp_path):
    import sqlite3

    other = tmp_path / "messages.db"  # say, an app's database under investigation
    con = sqlite3.connect(other)
    con.execute("create table messages(id integer primary key, body text)")
    con.execute("insert into messages(body) values ('hello')")
    con.commit()
    con.close()
    before = other.read_bytes()
    Image.fromarray(photo(2)).save(tmp_path / "q.jpg")
    for args in (["archive", "search", str(tmp_path / "q.jpg")], ["archive", "add", str(tmp_path / "q.jpg")],
                 ["archive", "stats"]):
        r = runner.invoke(app, [*args, "--archive", str(other), "--json"])
        said = " ".join(r.output.split())  # (wrapped to the console's width)
        assert r.exit_code == 1 and "is not a verilens archive" in said and "(tables messages)" in said, args
    r = runner.invoke(app, ["check", str(tmp_path / "q.jpg"), "--checks", "provenance.archive", "--json",
                            "--archive", str(other)])
    c = next(c for c in _lines(r.stdout)[0]["checks"] if c["id"] == "provenance.archive")
    assert c["state"] == "error" and "not a verilens archive" in c["summary"]
    assert other.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["messages.db", "q.jpg"]


def test_check_searches_the_default_archive_when_none_is_given(tmp_path, monkeypatch):
    monkeypatch.setenv("VERILENS_HOME", str(tmp_path / "home"))
    d = tmp_path / "seen"
    d.mkdir()
    Image.fromarray(photo(5)).save(d / "p5.jpg", quality=90)
    r = runner.invoke(app, ["archive", "add", str(d), "--first-seen", "2022-03-15"])
    assert r.exit_code == 0 and "creating a new archive at" in r.stderr
    Image.fromarray(crop(photo(5), 0.2)).save(tmp_path / "q.jpg", quality=85)
    r = runner.invoke(app, ["check", str(tmp_path / "q.jpg"), "--checks", "provenance.archive", "--json",
                            "--claim-time", "2022-03-15T11:00:00+02:00"])
    c = next(c for c in _lines(r.stdout)[0]["checks"] if c["id"] == "provenance.archive")
    assert c["state"] == "found" and c["details"]["archive"] == str(tmp_path / "home" / "archive.db")
    # first seen that very day: not before the claimed time (the date is the whole day)
    assert c["details"]["predates_claim"] is False and "recycled" not in c["summary"]
    assert c["details"]["matches"][0]["sightings"][0]["first_seen"] == "2022-03-15"


def test_add_warns_of_unread_manifest_columns_records_earlier_times_and_reports_progress(tmp_path, monkeypatch):
    from verilens.provenance import cli as pcli

    d, db = _setup(tmp_path)
    (tmp_path / "m.csv").write_text("path,source_url,first_sen\nseen/p1.jpg,https://x.example/a,2019-05-05\n")
    r = runner.invoke(app, ["archive", "add", str(tmp_path / "m.csv"), "--archive", str(db), "--json"])
    assert "column(s) not read: first_sen" in r.stderr
    assert _lines(r.stdout)[0]["warnings"] == ["m.csv: column(s) not read: first_sen (a manifest reads path, "
                                               "source_url and first_seen)"]
    assert _lines(r.stdout)[0]["skipped"] == 1  # nothing new: the same path and URL, no time
    (tmp_path / "m.csv").write_text("path,source_url,first_seen\nseen/p1.jpg,https://x.example/a,2019-05-05\n")
    monkeypatch.setattr(pcli, "PROGRESS_EVERY_S", 0.0)  # no terminal here: progress comes as lines
    r = runner.invoke(app, ["archive", "add", str(tmp_path / "m.csv"), "--archive", str(db)])
    assert r.exit_code == 0, r.output
    assert "hashing: 1/1 files" in r.stderr
    assert "1 sighting(s) given an earlier first-seen time" in r.stdout
    (tmp_path / "m.tsv").write_text("path\tsource_url\n")
    r = runner.invoke(app, ["archive", "add", str(tmp_path / "m.tsv"), "--archive", str(db), "--json"])
    assert "a manifest is a .csv, .jsonl or .ndjson file" in _lines(r.stdout)[0]["errors"][0]["error"]
    r = runner.invoke(app, ["archive", "search", str(tmp_path / "seen" / "p1.jpg"), "--archive", str(db), "--json"])
    m = _lines(r.stdout)[0]["matches"][0]
    assert m["first_seen"] == "2019-05-05" and m["distance"] == 0 and m["stage"] == "sha256"


def test_a_damaged_catalog_or_an_impossible_path_is_a_clear_error(tmp_path):
    d, db = _setup(tmp_path)
    raw = bytearray(db.read_bytes())
    for page in range(2, len(raw) // 4096):  # every page but the header's: a badly damaged file
        raw[page * 4096:(page + 1) * 4096] = bytes(range(256)) * 16
    db.write_bytes(bytes(raw))
    for args in (["archive", "stats"], ["archive", "search", str(d / "p1.jpg")], ["archive", "add", str(d)]):
        r = runner.invoke(app, [*args, "--archive", str(db)])
        assert r.exit_code == 1 and "archive catalog" in r.stderr, (args, r.output)
        assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    (tmp_path / "afile").write_text("x")
    r = runner.invoke(app, ["archive", "add", str(d), "--archive", str(tmp_path / "afile" / "sub" / "a.db")])
    assert r.exit_code == 2 and "cannot make the folder of the archive" in r.stderr


def test_an_archive_that_cannot_be_written_is_searched_and_adding_is_refused(tmp_path, monkeypatch):
    import os

    d, db = _setup(tmp_path)
    before = db.read_bytes()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if mode == os.W_OK else real_access(p, mode))
    Image.fromarray(crop(photo(1), 0.2)).save(tmp_path / "q.jpg", quality=60)
    r = runner.invoke(app, ["archive", "search", str(tmp_path / "q.jpg"), "--archive", str(db), "--json"])
    assert r.exit_code == 0 and _lines(r.stdout)[0]["matches"][0]["path"].endswith("p1.jpg"), r.output
    r = runner.invoke(app, ["archive", "stats", "--archive", str(db), "--json"])
    assert _lines(r.stdout)[0]["read_only"] is True
    r = runner.invoke(app, ["archive", "add", str(tmp_path / "q.jpg"), "--archive", str(db)])
    assert r.exit_code == 1 and "read-only" in r.output and "nothing can be added" in r.output
    assert db.read_bytes() == before
