"""CaseStore: the API the CLI and the web app call, and its guarantees."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import inspect

from tests.case.conftest import FAST
from verilens.case import CATEGORIES, CaseNotFound, CaseStore
from verilens.errors import UsageError


def test_schema_is_made_by_the_shipped_migrations_and_sqlite_runs_in_wal(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    CaseStore(db).close()
    store = CaseStore(db)  # second open: already at head, no error
    insp = inspect(store.engine)
    assert {"case_cases", "case_items", "case_check_runs", "case_custody", "case_alembic_version"} <= set(
        insp.get_table_names())
    store.close()
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("SELECT version_num FROM case_alembic_version").fetchone()[0] == "0001"


def test_default_database_lives_in_verilens_home(tmp_path: Path) -> None:
    with CaseStore() as store:
        store.new_case("x")
    assert (Path(os.environ["VERILENS_HOME"]) / "cases.db").is_file()


def test_full_case_round_trip(store: CaseStore, photos: list[Path], tmp_path: Path) -> None:
    case = store.new_case("Flood photo", investigators=["Ann", " ", "Bo"])
    assert case.investigators == ["Ann", "Bo"] and case.status == "open"
    store.add_claim(case.id, "Shows Kyiv on 11 Nov", claimant="@someone", place="50.45,30.52",
                    time="2022-11-11T10:00+02:00", first_appearance_url="https://example.org/p/1")
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(photos[0].read_bytes()[:200])
    res = store.add_media(case.id, [str(photos[0]), str(bad), str(photos[1]), str(tmp_path / "missing.jpg")],
                          options=FAST)
    assert len(res.added) == 2
    assert [os.path.basename(e["input"]) for e in res.errors] == ["broken.jpg", "missing.jpg"]
    n = store.add_note(case.id, "EXIF looks untouched", author="Ann", item_id=res.added[0])
    v = store.set_verdict(case.id, ["decontextualizedcontent", "EditedOrCroppedContent"], "Misleading",
                          "An older photo, cropped.", author="Bo")
    assert v.categories == ["DecontextualizedContent", "EditedOrCroppedContent"]

    got = store.get_case(case.id)
    assert got.claim is not None and got.claim.place is not None and got.claim.place.lat == pytest.approx(50.45)
    assert got.claim.time == "2022-11-11T10:00:00+02:00"
    assert [i.id for i in got.items] == res.added
    item = got.items[0]
    assert item.original_name == "p0.jpg" and item.acquisition_method == "file"
    assert Path(item.stored_path).read_bytes() == photos[0].read_bytes()
    assert item.report.check("metadata.basic") is not None
    # the case's claim is what the checks saw
    assert item.report.claim.place is not None and item.report.claim.time == "2022-11-11T10:00:00+02:00"
    run = item.check_runs[0]
    assert run.check_id == "metadata.basic" and run.tool_versions["verilens"] and run.version
    assert got.notes == [n] and got.verdict == v
    assert [e.action for e in got.custody] == ["opened", "claim", "collected", "analysed", "collected",
                                               "analysed", "note", "verdict"]
    assert store.verify(case.id) == (True, [])
    assert [c.id for c in store.list_cases()] == [case.id] and store.list_cases()[0].item_count == 2


def test_input_validation(store: CaseStore) -> None:
    case = store.new_case("v")
    with pytest.raises(UsageError, match="MediaReview category"):
        store.set_verdict(case.id, ["Fake"], "False", "x")
    with pytest.raises(UsageError):
        store.set_verdict(case.id, [], "False", "x")
    with pytest.raises(UsageError):
        store.set_verdict(case.id, [CATEGORIES[0]], "", "x")
    with pytest.raises(UsageError):
        store.add_claim(case.id, "c", time="2022-11-11T10:00")  # no offset
    with pytest.raises(UsageError):
        store.new_case("  ")
    with pytest.raises(UsageError, match="limit"):
        store.add_note(case.id, "x" * 100_001)
    with pytest.raises(CaseNotFound):
        store.add_note("nope", "x")
    with pytest.raises(CaseNotFound):
        store.add_note(case.id, "x", item_id="nope")
    with pytest.raises(CaseNotFound):
        store.get_case("nope")
    # nothing half-written: the log holds only the opening
    assert [e.action for e in store.get_case(case.id).custody] == ["opened"]


def test_custody_log_is_append_only_in_the_database(store: CaseStore) -> None:
    case = store.new_case("t")
    con = sqlite3.connect(store.url.removeprefix("sqlite:///"))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("UPDATE case_custody SET action='x'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("DELETE FROM case_custody")
    con.close()
    assert store.verify(case.id)[0]


def _tampered_case(store: CaseStore, photos: list[Path]) -> tuple[str, str]:
    case = store.new_case("tamper")
    res = store.add_media(case.id, [str(p) for p in photos], options=FAST)
    store.add_note(case.id, "first note")
    assert store.verify(case.id) == (True, [])
    return case.id, res.added[0]


def test_verify_detects_an_altered_original(store: CaseStore, photos: list[Path]) -> None:
    case_id, item_id = _tampered_case(store, photos)
    original = Path(store.get_case(case_id).items[0].stored_path)
    os.chmod(original, 0o644)
    data = bytearray(original.read_bytes())
    data[len(data) // 2] ^= 0x01
    original.write_bytes(bytes(data))
    ok, problems = store.verify(case_id)
    assert not ok and any(item_id in p and "altered" in p for p in problems)


def test_verify_detects_a_deleted_original(store: CaseStore, photos: list[Path]) -> None:
    case_id, _ = _tampered_case(store, photos)
    Path(store.get_case(case_id).items[1].stored_path).unlink()
    ok, problems = store.verify(case_id)
    assert not ok and any("missing" in p for p in problems)


def _raw(store: CaseStore) -> sqlite3.Connection:
    con = sqlite3.connect(store.url.removeprefix("sqlite:///"), isolation_level=None)
    con.execute("DROP TRIGGER case_custody_no_update")  # someone with direct write access
    con.execute("DROP TRIGGER case_custody_no_delete")
    return con


def test_verify_detects_an_altered_custody_entry(store: CaseStore, photos: list[Path]) -> None:
    case_id, _ = _tampered_case(store, photos)
    con = _raw(store)
    con.execute("UPDATE case_custody SET actor='mallory' WHERE case_id=? AND seq=3", (case_id,))
    con.close()
    ok, problems = store.verify(case_id)
    assert not ok and any("#3" in p and "altered" in p for p in problems)


def test_verify_detects_a_removed_custody_entry_and_an_edited_note(store: CaseStore, photos: list[Path]) -> None:
    case_id, _ = _tampered_case(store, photos)
    con = _raw(store)
    con.execute("DELETE FROM case_custody WHERE case_id=? AND action='note'", (case_id,))  # the newest entry
    con.close()
    ok, problems = store.verify(case_id)  # truncation keeps a valid chain, the cross-check catches it
    assert not ok and any("note 1" in p and "not in the custody log" in p for p in problems)

    case2, _ = _tampered_case(store, photos)
    con = sqlite3.connect(store.url.removeprefix("sqlite:///"), isolation_level=None)
    con.execute("UPDATE case_notes SET text='rewritten' WHERE case_id=?", (case2,))
    con.close()
    ok, problems = store.verify(case2)
    assert not ok and any("altered after it was recorded" in p for p in problems)


def test_verify_detects_an_edited_stored_report(store: CaseStore, photos: list[Path]) -> None:
    case_id, item_id = _tampered_case(store, photos)
    con = sqlite3.connect(store.url.removeprefix("sqlite:///"), isolation_level=None)
    con.execute("UPDATE case_items SET report=json_set(report, '$.checks[0].summary', 'nothing') WHERE id=?",
                (item_id,))
    con.close()
    ok, problems = store.verify(case_id)
    assert not ok and any(item_id in p and "stored report" in p for p in problems)


def test_originals_are_never_modified(store: CaseStore, photos: list[Path]) -> None:
    before = [(p.read_bytes(), p.stat().st_mtime_ns) for p in photos]
    case = store.new_case("ro")
    store.add_media(case.id, [str(p) for p in photos], options=FAST)
    assert [(p.read_bytes(), p.stat().st_mtime_ns) for p in photos] == before


def test_hostile_strings_are_stored_verbatim(store: CaseStore) -> None:
    nasty = "<script>alert(1)</script>\u202e\x00 '; DROP TABLE case_cases; --"
    case = store.new_case(nasty, investigators=[nasty])
    store.add_note(case.id, nasty, author=nasty)
    got = store.get_case(case.id)
    assert got.title == nasty.strip() and got.notes[0].text == nasty.strip()
    assert store.verify(case.id)[0]


def test_add_media_from_a_url_records_the_download(store: CaseStore, photos: list[Path]) -> None:
    import functools
    import http.server
    import threading

    from verilens.config import Limits, Settings

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(photos[0].parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/p1.jpg"
        case = store.new_case("url")
        refused = store.add_media(case.id, [url], options=FAST)  # private address: refused by default
        assert refused.added == [] and "127.0.0.1" in refused.errors[0]["error"]
        res = store.add_media(case.id, [url], options=FAST,
                              settings=Settings(limits=Limits(allow_private_urls=True)))
    finally:
        server.shutdown()
        server.server_close()
    assert len(res.added) == 1, res.errors
    item = store.get_case(case.id).items[0]
    assert item.acquisition_method == "download" and item.source_url == url and item.original_name == "p1.jpg"
    assert Path(item.stored_path).read_bytes() == photos[1].read_bytes()
    collected = next(e for e in store.get_case(case.id).custody if e.action == "collected")
    assert collected.details["source_url"] == url and collected.details["method"] == "download"
    assert store.verify(case.id) == (True, [])


def test_unknown_check_id_is_a_usage_error(store: CaseStore, photos: list[Path]) -> None:
    from verilens.pipeline import Options

    case = store.new_case("x")
    with pytest.raises(UsageError, match="unknown check"):
        store.add_media(case.id, [str(photos[0])], options=Options(checks={"nope.nothing"}))


def test_a_video_from_the_corpus_becomes_a_video_item(store: CaseStore, shared_data: Path, tmp_path: Path) -> None:
    import json

    video = shared_data / "media-samples" / "video" / "with-gps.mp4"
    if not video.is_file():
        pytest.skip("corpus video missing")
    case = store.new_case("video")
    res = store.add_media(case.id, [str(video)], options=FAST)
    assert len(res.added) == 1, res.errors
    item = store.get_case(case.id).items[0]
    assert item.kind == "video" and item.mime and item.mime.startswith("video/")
    store.set_verdict(case.id, ["OriginalMediaContent"], "Authentic", "Matches the claim.")
    out = store.export(case.id, "jsonld", tmp_path / "v.jsonld")
    node = json.loads(out.read_text())["@graph"][-1]
    assert node["@type"] == "MediaReview"
    assert node["itemReviewed"]["mediaItemAppearance"][0]["@type"] == "VideoObject"
    html = store.export(case.id, "html", tmp_path / "v.html").read_text()
    assert "with-gps.mp4" in html and store.verify(case.id)[0]


def test_status_changes_are_logged(store: CaseStore) -> None:
    case = store.new_case("s")
    store.set_status(case.id, "closed")
    got = store.get_case(case.id)
    assert got.status == "closed" and got.custody[-1].details == {"from": "open", "to": "closed"}
    with pytest.raises(UsageError):
        store.set_status(case.id, "archived")
    assert store.verify(case.id)[0]


def test_verify_detects_edited_check_runs_and_sources(store: CaseStore, photos: list[Path]) -> None:
    case_id, item_id = _tampered_case(store, photos)
    con = sqlite3.connect(store.url.removeprefix("sqlite:///"), isolation_level=None)
    con.execute("UPDATE case_check_runs SET summary='edited' WHERE item_id=?", (item_id,))
    con.execute("UPDATE case_items SET source_url='https://elsewhere.test/' WHERE case_id=? AND id<>?",
                (case_id, item_id))
    con.close()
    ok, problems = store.verify(case_id)
    assert not ok
    assert any(item_id in p and "check runs" in p for p in problems), problems
    assert any("acquisition record" in p for p in problems)
