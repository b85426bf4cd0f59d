"""The archive: catalog, indexes, two-stage search, sightings, video frames."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.provenance._fixtures import caption_bar, crop, embed, heavy_text, photo
from verilens.errors import VerilensError
from verilens.provenance import Archive


def _write(path: Path, rgb: np.ndarray, quality: int = 90) -> Path:
    Image.fromarray(rgb).save(path, format="JPEG", quality=quality)
    return path


@pytest.fixture
def filled(tmp_path: Path) -> tuple[Archive, list[Path]]:
    files = [_write(tmp_path / f"p{i}.jpg", photo(i)) for i in range(6)]
    arch = Archive.open(tmp_path / "a.db")
    for i, f in enumerate(files):
        arch.add_path(f, source_url=f"https://example.org/{i}", first_seen=f"2021-0{i + 1}-01T12:00:00+02:00")
    yield arch, files
    arch.close()


def test_default_location_is_verilens_home(tmp_path, monkeypatch):
    monkeypatch.setenv("VERILENS_HOME", str(tmp_path / "home"))
    with Archive.open() as a:
        assert a.name == str(tmp_path / "home" / "archive.db")


def test_exact_and_transformed_copies_are_found_with_their_sighting(filled):
    arch, files = filled
    rgb = photo(2)
    for query, stage in ((rgb, "pdq"), (rgb[:, ::-1], "pdq"), (np.rot90(rgb), "pdq"),
                         (crop(rgb, 0.3), "local_features"), (caption_bar(rgb), "local_features"),
                         (embed(rgb), "local_features")):
        m = arch.search_image(np.ascontiguousarray(query))
        assert len(m) == 1, stage
        assert m[0].path == str(files[2]) and m[0].stage == stage
        assert m[0].source_url == "https://example.org/2"
        assert m[0].first_seen == "2021-03-01T10:00:00+00:00"  # normalised to UTC
        assert m[0].frame_time_s is None and 0.5 <= m[0].similarity <= 1.0
        d = m[0].to_dict()
        assert {"id", "path", "source_url", "first_seen", "distance", "similarity", "transform"} <= set(d)
    assert "mirrored" in arch.search_image(np.ascontiguousarray(rgb[:, ::-1]))[0].transform


def test_unrelated_and_flat_queries_get_nothing(filled):
    arch, _ = filled
    for s in range(50, 55):
        assert arch.search_image(photo(s)) == []
    res = arch.query(np.full((300, 400, 3), 200, np.uint8))
    assert res.matches == [] and res.low_quality


def test_heavy_text_across_the_picture_is_found_by_the_overlay_pass(filled, monkeypatch):
    from verilens.provenance import archive as archive_mod

    arch, files = filled
    for i in (1, 2):
        query = heavy_text(photo(i))
        res = arch.query(query)
        assert res.overlay_pass and res.overlay_share is not None and res.overlay_share >= archive_mod.OVERLAY_TRIGGER
        assert [m.path for m in res.matches] == [str(files[i])]
        assert res.matches[0].stage == "local_features" and res.matches[0].inliers >= 15
        # control: the first keypoint pass alone finds nothing (the glyph corners take its keypoints)
        monkeypatch.setattr(archive_mod, "OVERLAY_TRIGGER", 1.01)
        assert arch.query(query).matches == []
        monkeypatch.undo()


def test_a_mirrored_crop_or_screenshot_is_found_by_the_mirrored_pass(filled, monkeypatch):
    arch, files = filled
    unmirrored = Archive._propose_and_verify

    def without_mirrored_pass(self, qf, lookups, reject=None, mirrored=False):  # type: ignore[no-untyped-def]
        return ({}, 0) if mirrored else unmirrored(self, qf, lookups, reject)

    for i, make in ((1, lambda a: crop(a, 0.2)), (3, embed)):
        query = np.ascontiguousarray(make(np.ascontiguousarray(photo(i)[:, ::-1])))
        res = arch.query(query)
        assert res.mirror_pass and [m.path for m in res.matches] == [str(files[i])]
        assert res.matches[0].stage == "local_features" and res.matches[0].transform.startswith("mirrored")
        # control: the passes before it find nothing (ORB descriptors are not mirror-invariant)
        monkeypatch.setattr(Archive, "_propose_and_verify", without_mirrored_pass)
        assert arch.query(query).matches == []
        monkeypatch.undo()
    found = arch.query(crop(photo(1), 0.2))
    assert not found.mirror_pass and not found.matches[0].transform.startswith("mirrored")


def test_the_best_scored_picture_alone_is_verified_from_one_vote_less(filled, monkeypatch):
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from verilens.provenance.catalog import HashRow, Item

    arch, files = filled
    with Session(arch.engine) as s:
        row = {p: h for h, p in s.execute(select(HashRow.id, Item.path).join(Item, HashRow.item_id == Item.id))}
    copy, other = row[str(files[1])], row[str(files[2])]
    query = crop(photo(1), 0.3)

    def votes_for(rows, votes):  # what the descriptor index answers, in every pass
        monkeypatch.setattr(arch._feat, "vote", lambda desc, k: (np.array(rows), np.array(votes), np.array([2.0, 1.9])))
        return arch.query(query)

    res = votes_for([copy, other], [2, 2])  # two votes, best scored: verified, found
    assert [m.path for m in res.matches] == [str(files[1])] and res.candidates_verified == 1
    res = votes_for([other, copy], [2, 2])  # two votes, second best: not even tried
    assert res.matches == [] and res.candidates_verified == 2  # the other picture, once per pass
    res = votes_for([other, copy], [3, 2])
    assert res.matches == [] and res.candidates_verified == 2


def test_overlay_pass_accepts_no_weaker_geometry_and_skips_plain_pictures(filled):
    arch, _ = filled
    for s in (50, 51, 52):
        res = arch.query(heavy_text(photo(s), lines=4))
        assert res.overlay_pass and res.matches == []  # same text, unrelated picture: nothing
        plain = arch.query(photo(s))
        assert not plain.overlay_pass and plain.matches == []  # no drawn strokes: no second pass


def test_same_bytes_are_stored_once_with_every_sighting(filled, tmp_path):
    arch, files = filled
    copy = tmp_path / "copy.jpg"
    copy.write_bytes(files[0].read_bytes())
    out = arch.add_path(copy, source_url="https://older.example/x", first_seen="2015-06-01")
    assert out.status == "source_added"
    assert arch.add_path(copy, source_url="https://older.example/x").status == "skipped"
    st = arch.stats()
    assert st["items"] == 6 and st["sources"] == 7 and st["hashed_pictures"] == 6
    m = arch.search_image(photo(0))[0]
    assert m.first_seen == "2015-06-01" and m.source_url == "https://older.example/x"  # a date stays a whole day
    assert [s["first_seen"] for s in m.sightings][0] == "2015-06-01" and len(m.sightings) == 2
    assert m.sources == 2 and m.path == str(files[0])  # the first path as added
    assert [s["source_url"] for s in arch.item_sources(m.id)][0] == "https://older.example/x"


def test_the_same_bytes_come_first_even_when_the_picture_cannot_be_hashed(filled, tmp_path):
    arch, files = filled
    flat = _write(tmp_path / "flat.jpg", np.full((300, 400, 3), 200, np.uint8))
    arch.add_path(flat, source_url="https://flat.example/1", first_seen="2018-01-01")
    res = arch.search_path(flat)  # PDQ flags it, ORB finds no corners: only its bytes can match
    assert res.low_quality and [(m.stage, m.transform, m.similarity) for m in res.matches] == [
        ("sha256", "identical file", 1.0)]
    assert res.matches[0].source_url == "https://flat.example/1" and res.matches[0].path == str(flat)
    res = arch.search_path(files[3])
    assert [m.path for m in res.matches] == [str(files[3])] and res.matches[0].stage == "sha256"
    assert res.matches[0].distance <= 8  # the query's own PDQ distance to the stored hash
    resaved = _write(tmp_path / "resaved.jpg", photo(3), quality=60)  # same picture, other bytes
    (m,) = arch.search_path(resaved).matches
    assert m.path == str(files[3]) and m.stage == "pdq" and m.transform == "same framing"
    assert arch.exact("0" * 64) is None and arch.exact("not a hash") is None
    assert arch.query(photo(3), sha256=res.matches[0].sha256, top_k=0).matches == []


def test_rows_up_to_an_id_are_counted_in_one_statement(filled):
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from verilens.provenance.archive import _rows_upto
    from verilens.provenance.catalog import HashRow

    arch, _ = filled
    with Session(arch.engine) as s:
        ids = s.scalars(select(HashRow.id)).all()
        for upto in (0, ids[2], max(ids), max(ids) + 5):
            assert _rows_upto(s, upto) == sum(i <= upto for i in ids)


def test_stats_count_the_pictures_pdq_cannot_hash(tmp_path):
    flat = np.full((300, 400, 3), 128, np.uint8)
    with Archive.open(tmp_path / "s.db") as arch:
        arch.add_video_frames(tmp_path / "clip.mp4", "cd" * 32, [(0.0, photo(33)), (2.0, flat), (4.0, flat + 1)])
        st = arch.stats()
        assert (st["hashed_pictures"], st["low_quality_pictures"]) == (3, 2)
    with Archive.open(tmp_path / "s.db") as arch:  # the same from the saved index
        assert not arch.rebuilt and arch.stats()["low_quality_pictures"] == 2


def test_a_catalog_made_before_the_summary_indexes_gets_them_from_its_first_summary(filled, tmp_path):
    import sqlite3

    arch, _ = filled
    db = Path(arch.name)
    arch.close()

    def plan_and_indexes() -> tuple[str, set[str]]:
        with sqlite3.connect(db) as con:
            plan = " ".join(r[-1] for r in con.execute("EXPLAIN QUERY PLAN SELECT min(first_seen), max(first_seen) "
                                                       "FROM vl_items"))
            names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'index' "
                                               "AND tbl_name = 'vl_items' AND sql IS NOT NULL")}
        return plan, names

    plan, names = plan_and_indexes()
    assert names == {"ix_vl_items_kind", "ix_vl_items_first_seen"} and "ix_vl_items_first_seen" in plan  # a new catalog
    with sqlite3.connect(db) as con:  # as catalogs were made before them
        con.execute("DROP INDEX ix_vl_items_kind")
        con.execute("DROP INDEX ix_vl_items_first_seen")
    assert "ix_vl_items" not in plan_and_indexes()[0]  # the summary would read every item
    keys = ("items", "images", "videos", "sources", "hashed_pictures", "first_seen_min", "first_seen_max")
    with Archive.open(db, read_only=True) as ro:  # read-only: summarised all the same, nothing added
        want = {k: ro.stats()[k] for k in keys}
    assert plan_and_indexes()[1] == set()
    told: list[str] = []
    with Archive.open(db) as again:
        assert {k: again.stats(notice=told.append)[k] for k in keys} == want
    assert len(told) == 1 and "adding 2 index(es)" in told[0]  # a long read is said before it starts
    plan, names = plan_and_indexes()
    assert names == {"ix_vl_items_kind", "ix_vl_items_first_seen"} and "ix_vl_items_first_seen" in plan
    with Archive.open(db) as third:  # nothing more to add, nothing said
        third.stats(notice=told.append)
    assert len(told) == 1
    assert (want["items"], want["images"], want["first_seen_min"]) == (6, 6, "2021-01-01T10:00:00+00:00")


def test_a_first_stage_hit_the_catalog_does_not_confirm_is_not_reported(filled, monkeypatch):
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from verilens.provenance.catalog import HashRow, Item
    from verilens.provenance.index import Hit

    arch, files = filled
    with Session(arch.engine) as s:
        row = s.execute(select(HashRow.id).join(Item).where(Item.path == str(files[1]))).scalar_one()
    (m,) = arch.query(photo(1)).matches  # the index and the catalog agree
    assert m.path == str(files[1]) and m.stage == "pdq" and m.transform == "same framing"
    # an index out of step with its catalog says an unrelated picture is that row at 0 bits
    monkeypatch.setattr(arch._pdq, "range", lambda codes, radius, threads=None: [Hit(0, row, 0)])
    assert arch.query(photo(40)).matches == []


def test_the_saved_index_of_another_catalog_once_under_the_name_is_not_searched(tmp_path):
    import shutil

    first, other = tmp_path / "first.db", tmp_path / "other.db"
    for db, seeds in ((first, (1, 2)), (other, (5, 6))):
        with Archive.open(db) as arch:
            for i in seeds:
                arch.add_path(_write(tmp_path / f"{db.stem}{i}.jpg", photo(i)))
    shutil.copyfile(other, first)  # as many pictures, other ones; the index saved beside it is first's
    with Archive.open(first) as arch:
        assert arch.rebuilt
        assert arch.search_image(photo(5))[0].path == str(tmp_path / "other5.jpg")
        assert arch.search_image(photo(1)) == []


def test_refresh_reads_another_catalog_under_the_same_name_anew(tmp_path):
    from sqlalchemy import delete

    from verilens.provenance.catalog import HashRow, Item, Source

    def archive_of(seeds: list[int]) -> None:
        with Archive.open(db) as other:
            for i in seeds:
                other.add_path(_write(tmp_path / f"p{i}.jpg", photo(i)))

    db = tmp_path / "a.db"
    archive_of([1, 2])
    with Archive.open(db) as arch:
        arch.refresh()  # nothing added: nothing to do
        assert arch.caught_up == 0 and arch.search_image(photo(2))
        with arch.engine.begin() as con:  # emptied and filled again: the new rows reuse the ids
            for table in (HashRow, Source, Item):
                con.execute(delete(table))
        archive_of([5, 6, 7])  # through another open archive
        arch.refresh()
        # indexed anew: found by the first stage too (the catalog's keypoints alone would verify a
        # stale index's candidates, but its PDQ codes would be the old pictures')
        assert [m.stage for m in arch.search_image(photo(5))] == ["pdq"] and arch.search_image(photo(7))
        assert not arch.search_image(photo(1)) and not arch.search_image(photo(2))


def test_video_frames_are_one_item_with_frame_times(tmp_path):
    with Archive.open(tmp_path / "v.db") as arch:
        frames = [(0.0, photo(30)), (4.5, photo(31)), (9.0, photo(32))]
        out = arch.add_video_frames(tmp_path / "clip.mp4", "ab" * 32, frames, source_url="https://v.example/1")
        assert out.status == "added"
        st = arch.stats()
        assert st["videos"] == 1 and st["hashed_pictures"] == 3
        m = arch.search_image(crop(photo(31), 0.2))
        assert len(m) == 1 and m[0].frame_time_s == 4.5 and m[0].kind == "video"
        m = arch.search_image(photo(32))
        assert m[0].frame_time_s == 9.0


def _index_file(folder: Path, part: str) -> Path:
    """The file of the index's base the state names, e.g. ``pdq.faiss``."""
    return folder / f"base-{json.loads((folder / 'state.json').read_text())['base']}.{part}"


def test_indexes_persist_and_are_rebuilt_or_caught_up(tmp_path):
    db = tmp_path / "a.db"
    with Archive.open(db) as a:
        for i in range(3):
            a.add_path(_write(tmp_path / f"p{i}.jpg", photo(i)))
    state = json.loads((tmp_path / "a.db.index" / "state.json").read_text())
    assert state["hash_rows"] == 3
    a = Archive.open(db)
    assert not a.rebuilt and a.caught_up == 0
    # rows committed after the index was saved (a crash before save): caught up on open
    a.add_path(_write(tmp_path / "p3.jpg", photo(3)))
    a.engine.dispose()  # "crash": no close(), no save
    b = Archive.open(db)
    assert b.caught_up == 1 and len(b.search_image(photo(3))) == 1
    b.close()
    # a corrupt index file: rebuilt from the catalog
    _index_file(tmp_path / "a.db.index", "pdq.faiss").write_bytes(b"junk")
    c = Archive.open(db)
    assert c.rebuilt and len(c.search_image(photo(1))) == 1
    c.close()


def test_any_damage_to_the_index_state_means_a_rebuild(tmp_path):
    db = tmp_path / "a.db"
    with Archive.open(db) as a:
        a.add_path(_write(tmp_path / "p0.jpg", photo(0)))
    state = tmp_path / "a.db.index" / "state.json"
    for text in ("[]", "null", '{"version": 2, "max_hash_id": 1e999, "hash_rows": 1}', '"x"', "{"):
        state.write_text(text)
        with Archive.open(db) as a:
            assert a.rebuilt and len(a.search_image(photo(0))) == 1, text
    owners = _index_file(tmp_path / "a.db.index", "pdq.owners.npy")
    np.save(owners, np.array([99], np.int64))  # a hit would name a row that does not exist
    with Archive.open(db) as a:
        assert a.rebuilt and len(a.search_image(photo(0))) == 1


def test_an_index_folder_that_cannot_be_written_does_not_stop_reading(tmp_path, caplog):
    db = tmp_path / "a.db"
    with Archive.open(db) as a:
        a.add_path(_write(tmp_path / "p0.jpg", photo(0)))
    shutil.rmtree(tmp_path / "a.db.index")
    (tmp_path / "a.db.index").write_text("a file where the index folder belongs")
    with Archive.open(db) as a:  # rebuilt in memory; saving on close fails and is logged
        assert len(a.search_image(photo(0))) == 1
        with pytest.raises(VerilensError, match="cannot write the archive's index files"):
            a.save_indexes()
    assert "cannot write the archive's index files" in caplog.text


def test_a_batch_that_meets_another_writer_is_retried(tmp_path, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    calls = []
    original = Archive._add_batch

    def racing(self, conn, batch, stamp):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:
            raise IntegrityError("INSERT INTO vl_items", {}, Exception("UNIQUE constraint failed: vl_items.sha256"))
        return original(self, conn, batch, stamp)

    monkeypatch.setattr(Archive, "_add_batch", racing)
    with Archive.open(tmp_path / "a.db") as a:
        assert a.add_path(_write(tmp_path / "p0.jpg", photo(0))).status == "added"
    assert len(calls) == 2


def test_hostile_files_are_input_errors(tmp_path):
    from verilens.errors import InputError

    good = _write(tmp_path / "g.jpg", photo(1))
    (tmp_path / "trunc.jpg").write_bytes(good.read_bytes()[:3000])
    (tmp_path / "text.jpg").write_text("<html>not a picture</html>")
    (tmp_path / "empty.jpg").write_bytes(b"")
    with Archive.open(tmp_path / "a.db") as a:
        for name in ("trunc.jpg", "text.jpg", "empty.jpg", "missing.jpg"):
            with pytest.raises(InputError):
                a.add_path(tmp_path / name)
        assert a.stats()["items"] == 0


def test_pixel_bomb_is_refused_before_decoding(tmp_path, monkeypatch):
    from verilens.errors import InputError

    monkeypatch.setenv("VERILENS_MAX_PIXELS", "10000")
    p = _write(tmp_path / "big.jpg", photo(1))
    with Archive.open(tmp_path / "a.db") as a, pytest.raises(InputError, match="pixel limit"):
        a.add_path(p)


def test_a_catalog_of_another_schema_version_is_refused_and_left_untouched(tmp_path):
    import sqlite3

    db = tmp_path / "a.db"
    Archive.open(db).close()
    with sqlite3.connect(db) as con:
        con.execute("UPDATE vl_meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    before = db.read_bytes()
    with pytest.raises(VerilensError, match="schema version '99'; this verilens reads version '1'"):
        Archive.open(db)
    assert db.read_bytes() == before


def test_bad_first_seen_is_a_usage_error(tmp_path):
    from verilens.errors import UsageError

    with Archive.open(tmp_path / "a.db") as a, pytest.raises(UsageError):
        a.add_path(_write(tmp_path / "g.jpg", photo(1)), first_seen="last tuesday")


def test_same_bytes_twice_in_one_batch(tmp_path):
    from verilens.provenance.ingest import hash_file

    a_path = _write(tmp_path / "a.jpg", photo(8))
    b_path = tmp_path / "b.jpg"
    b_path.write_bytes(a_path.read_bytes())
    with Archive.open(tmp_path / "x.db") as arch:
        ha, hb = hash_file(str(a_path)), hash_file(str(b_path))
        out = arch.add_hashed([(ha, "https://one", "2020-01-01"), (hb, "https://two", "2019-01-01"),
                               (ha, "https://one", None)])
        assert [o.status for o in out] == ["added", "source_added", "skipped"]
        assert len({o.item_id for o in out}) == 1
        st = arch.stats()
        assert (st["items"], st["sources"], st["hashed_pictures"]) == (1, 2, 1)
        m = arch.search_image(photo(8))[0]
        assert m.first_seen == "2019-01-01" and m.source_url == "https://two"


def test_the_earliest_sighting_gives_both_time_and_url(tmp_path):
    """An earlier copy recorded without a URL must not borrow a later copy's URL."""
    a_path = _write(tmp_path / "a.jpg", photo(9))
    b_path = tmp_path / "b.jpg"
    b_path.write_bytes(a_path.read_bytes())
    with Archive.open(tmp_path / "x.db") as arch:
        arch.add_path(a_path, source_url="https://later.example/post", first_seen="2023-05-01T10:00:00Z")
        assert arch.add_path(b_path, first_seen="2021-01-01").status == "source_added"
        m = arch.search_image(photo(9))[0]
        assert (m.first_seen, m.source_url) == ("2021-01-01", None)
        assert [(s["path"], s["source_url"]) for s in m.sightings] == [(str(b_path), None),
                                                                       (str(a_path), "https://later.example/post")]
        # an undated sighting with a URL does not attach its URL to the dated earliest one
        c_path = tmp_path / "c.jpg"
        c_path.write_bytes(a_path.read_bytes())
        arch.add_path(c_path, source_url="https://undated.example/")
        m = arch.search_image(photo(9))[0]
        assert (m.first_seen, m.source_url, m.sources) == ("2021-01-01", None, 3)


def test_a_known_sighting_given_an_earlier_time_is_moved_back(tmp_path):
    f = _write(tmp_path / "a.jpg", photo(10))
    with Archive.open(tmp_path / "x.db") as arch:
        arch.add_path(f, source_url="https://s.example/1", first_seen="2022-06-01T08:00:00+02:00")
        assert arch.add_path(f, source_url="https://s.example/1", first_seen="2023-01-01").status == "skipped"
        assert arch.add_path(f, source_url="https://s.example/1").status == "skipped"
        assert arch.add_path(f, source_url="https://s.example/1", first_seen="2020-02-02").status == "updated"
        m = arch.search_image(photo(10))[0]
        assert (m.first_seen, m.sources) == ("2020-02-02", 1)
        assert arch.item_sources(m.id)[0]["first_seen"] == "2020-02-02"


def test_first_seen_takes_an_offset_or_a_date(tmp_path):
    from verilens.errors import UsageError
    from verilens.provenance.catalog import normalise_time, seen_order

    assert normalise_time("2022-03-15T11:00+02:00") == "2022-03-15T09:00:00+00:00"
    assert normalise_time("2022-03-15") == "2022-03-15"
    with pytest.raises(UsageError, match="offset or Z"):
        normalise_time("2022-03-15T11:00")  # whose 11:00?
    # a date is the whole day in some zone: it sorts by its last possible moment (UTC-12), so the
    # earliest is the sighting certainly made first
    assert seen_order("2022-03-15T00:00:00Z") < seen_order("2022-03-15") < seen_order("2022-03-16T12:30:00+00:00")
    assert seen_order(None) > seen_order("9999-01-01T00:00:00Z")


def test_second_stage_with_a_vocabulary_finds_crops_and_survives_damaged_index_files(tmp_path):
    from verilens.provenance.archive import FEATURES_STORED
    from verilens.provenance.index import WORD_LOAD

    n = WORD_LOAD // FEATURES_STORED + 8  # enough descriptors for a vocabulary of several words
    db = tmp_path / "a.db"
    with Archive.open(db) as a:
        for i in range(n):
            a.add_path(_write(tmp_path / f"p{i}.jpg", photo(100 + i)))
    # closing saved the indexes after rebuilding them with a vocabulary learnt from the catalog
    a = Archive.open(db)
    assert not a.rebuilt and a._feat.n_words > 1 and a._feat.ntotal == n * FEATURES_STORED
    for i in (3, n - 2):
        m = a.search_image(crop(photo(100 + i), 0.3, ox=0.2, oy=0.8))
        assert len(m) == 1 and m[0].path == str(tmp_path / f"p{i}.jpg") and m[0].stage == "local_features"
    assert a.search_image(photo(7)) == []
    a.close()
    folder = tmp_path / "a.db.index"
    for part, cut in (("vocab.npz", lambda raw: b""), ("vocab.npz", lambda raw: raw[: len(raw) // 3]),
                      ("vocab.npz", lambda raw: b"PK\x03\x04" + bytes(200)), ("ids.npy", lambda raw: raw[:-4]),
                      ("sigs.npy", lambda raw: raw[:64]), ("ids.npy", lambda raw: raw[:128] + b"\xff" * (len(raw) - 128))):
        feat = _index_file(folder, f"feat.{part}")  # each save after a rebuild writes a new base
        feat.write_bytes(cut(feat.read_bytes()))
        b = Archive.open(db)
        assert b.rebuilt and b._feat.n_words > 1, part
        m = b.search_image(caption_bar(photo(105)))
        assert len(m) == 1 and m[0].path == str(tmp_path / "p5.jpg")
        b.close()
        assert not feat.exists()  # the damaged base was replaced


def _banner(rgb: np.ndarray) -> np.ndarray:
    """A channel's red 'BREAKING NEWS' band over the bottom of the picture."""
    import cv2

    out = rgb.copy()
    h, w = out.shape[:2]
    out[h - h // 6:] = (200, 16, 24)
    cv2.putText(out, "BREAKING NEWS 24", (20, h - h // 12 + 14), cv2.FONT_HERSHEY_DUPLEX, 1.6, (255, 255, 255), 3)
    return out


def test_different_pictures_under_the_same_banner_are_not_copies(tmp_path):
    """Keypoints on drawn text are not evidence: a channel's banner is on many pictures."""
    with Archive.open(tmp_path / "x.db") as arch:
        for i in (30, 31, 32):
            arch.add_path(_write(tmp_path / f"b{i}.jpg", _banner(photo(i))), first_seen="2019-03-01")
        assert arch.search_image(_banner(photo(33))) == []
        found = arch.search_image(_banner(crop(photo(31), 0.15)))  # a real copy still is one
        assert found and found[0].path == str(tmp_path / "b31.jpg")


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file's bytes, but SQLite's own coordination files (a reader may make them)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.endswith(("-wal", "-shm"))}


def test_a_read_only_archive_is_searched_without_writing_anything(tmp_path):
    db = tmp_path / "a.db"
    with Archive.open(db) as a:
        a.add_path(_write(tmp_path / "p0.jpg", photo(0)), source_url="https://example.org/0")
    (tmp_path / "a.db.index" / "state.json").unlink()  # indexes to rebuild: in memory only
    before = _snapshot(tmp_path)
    with Archive.open(db, read_only=True) as a:
        assert a.read_only and a.rebuilt and a.stats()["read_only"]
        assert [m.source_url for m in a.search_image(crop(photo(0), 0.2))] == ["https://example.org/0"]
        with pytest.raises(VerilensError, match="read-only"):
            a.add_path(tmp_path / "p0.jpg")
        with pytest.raises(VerilensError, match="read-only"):
            a.save_indexes()
    assert _snapshot(tmp_path) == before  # catalog and index files untouched


def test_an_archive_that_cannot_be_written_opens_read_only_by_itself(tmp_path, monkeypatch):
    import os

    db = tmp_path / "a.db"
    with Archive.open(db) as a:
        a.add_path(_write(tmp_path / "p0.jpg", photo(0)))
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if mode == os.W_OK else real_access(p, mode))
    with Archive.open(db) as a:
        assert a.read_only and len(a.search_image(photo(0))) == 1
    monkeypatch.setattr(os, "access", real_access)
    with Archive.open(db) as a:
        assert not a.read_only


@pytest.mark.parametrize("content", [b"", b"not a database at all, just text" * 20])
def test_read_only_open_of_something_that_is_not_an_archive_is_an_error(tmp_path, content):
    db = tmp_path / "x.db"
    db.write_bytes(content)
    with pytest.raises(VerilensError, match="not a verilens archive|cannot open the archive catalog"):
        Archive.open(db, read_only=True)
    assert db.read_bytes() == content
    with pytest.raises(VerilensError, match="no archive at"):
        Archive.open(tmp_path / "absent.db", read_only=True)
    assert not (tmp_path / "absent.db").exists()


def test_an_archive_on_a_read_only_file_system_is_searched(tmp_path):
    """A write-blocked medium or read-only share: SQLite cannot make its WAL files beside
    the catalog, so it is read as unchanging. Needs a read-only bind mount (root)."""
    import subprocess

    src, mnt = tmp_path / "src", tmp_path / "mnt"
    src.mkdir()
    mnt.mkdir()
    with Archive.open(src / "a.db") as a:
        a.add_path(_write(src / "p0.jpg", photo(0)))
    mounted = subprocess.run(["mount", "--bind", str(src), str(mnt)], capture_output=True).returncode == 0
    if not mounted:
        pytest.skip("a read-only bind mount cannot be made here (needs root and mount rights)")
    try:
        if subprocess.run(["mount", "-o", "remount,bind,ro", str(mnt)], capture_output=True).returncode != 0:
            pytest.skip("a bind mount cannot be made read-only here")
        before = _snapshot(src)
        with Archive.open(mnt / "a.db") as a:
            assert a.read_only and len(a.search_image(photo(0))) == 1
        assert _snapshot(src) == before
    finally:
        unmounted = subprocess.run(["umount", str(mnt)], capture_output=True).returncode == 0
    assert unmounted  # closing let go of the memory-mapped index files
    with pytest.raises(VerilensError, match="has been closed"):
        a.search_image(photo(0))


def test_index_files_of_another_size_than_the_state_names_are_rebuilt(tmp_path):
    db = tmp_path / "a.db"
    with Archive.open(db) as a:
        for i in range(3):
            a.add_path(_write(tmp_path / f"p{i}.jpg", photo(i)))
    state = tmp_path / "a.db.index" / "state.json"
    st = json.loads(state.read_text())
    assert st["pdq_entries"] == 3
    state.write_text(json.dumps({**st, "pdq_entries": 2}))  # another process's PDQ files beside this state
    with Archive.open(db) as a:
        assert a.rebuilt and len(a.search_image(photo(2))) == 1


def test_a_save_writes_what_was_added_as_a_segment_and_leaves_the_base_alone(tmp_path):
    db, folder = tmp_path / "a.db", tmp_path / "a.db.index"
    with Archive.open(db) as a:
        for i in range(3):
            a.add_path(_write(tmp_path / f"p{i}.jpg", photo(i)))
    base = _index_file(folder, "feat.ids.npy")
    before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.glob("base-*")}
    with Archive.open(db) as a:
        a.add_path(_write(tmp_path / "p3.jpg", photo(3)))
    st = json.loads((folder / "state.json").read_text())
    assert st["version"] == 3 and base.name.startswith(f"base-{st['base']}.")
    assert [(g["pdq"], g["feat"] > 0) for g in st["segments"]] == [(1, True)]
    assert {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.glob("base-*")} == before
    with Archive.open(db) as a:  # base and segment together, nothing rebuilt or caught up
        assert not a.rebuilt and a.caught_up == 0 and a.stats()["index"]["pdq"]["entries"] == 4
        assert isinstance(a._feat.ids, np.memmap)  # the descriptor lists are paged in as searches read them
        assert len(a.search_image(photo(1))) == 1 and len(a.search_image(photo(3))) == 1
        m = a.search_image(crop(photo(3), 0.3, ox=0.2, oy=0.8))
        assert len(m) == 1 and m[0].path == str(tmp_path / "p3.jpg") and m[0].stage == "local_features"


def _added_one_per_run(tmp_path: Path, n: int) -> tuple[Path, Path]:
    """An archive to which photos 0..n-1 were added one per run (open, add, close): the catalog and index folder."""
    db = tmp_path / "a.db"
    for i in range(n):
        with Archive.open(db) as a:
            a.add_path(_write(tmp_path / f"p{i}.jpg", photo(i)))
    return db, tmp_path / "a.db.index"


def test_segments_are_folded_into_a_new_base_and_old_files_removed(tmp_path, monkeypatch):
    import os
    import time

    from verilens.provenance import archive as archive_mod

    db, folder = _added_one_per_run(tmp_path, 2)
    first = json.loads((folder / "state.json").read_text())
    assert len(first["segments"]) == 1
    # leftovers of an interrupted save: a recent one may be another process's, an old one is removed
    recent, old = folder / "seg-0123456789ab.npz", folder / "seg-ba9876543210.npz"
    recent.write_bytes(b"x")
    old.write_bytes(b"x")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    monkeypatch.setattr(archive_mod, "SEGMENT_FLOOR", 0)  # any segment is now more than the base can carry
    with Archive.open(db) as a:
        a.add_path(_write(tmp_path / "p2.jpg", photo(2)))
    st = json.loads((folder / "state.json").read_text())
    assert st["base"] != first["base"] and st["segments"] == [] and st["pdq_entries"] == 3
    names = {p.name for p in folder.iterdir()}
    assert names == {"state.json", "adding.lock", recent.name} | {f"base-{st['base']}.{part}" for part in (
        "pdq.faiss", "pdq.owners.npy", "feat.vocab.npz", "feat.ids.npy", "feat.sigs.npy")}
    with Archive.open(db) as a:
        assert not a.rebuilt and all(len(a.search_image(photo(i))) == 1 for i in range(3))


@pytest.mark.parametrize("spoil", ["truncated", "missing", "outside", "base outside", "size", "not a number"])
def test_a_damaged_missing_or_misnamed_segment_means_a_rebuild(tmp_path, spoil):
    db, folder = _added_one_per_run(tmp_path, 2)
    st = json.loads((folder / "state.json").read_text())
    seg = folder / st["segments"][0]["file"]
    raw = seg.read_bytes()
    if spoil == "truncated":
        seg.write_bytes(raw[: len(raw) // 2])
    elif spoil == "missing":
        seg.unlink()
    elif spoil == "outside":  # a state naming a file outside the index folder is not followed
        (tmp_path / "outside.npz").write_bytes(raw)
        seg.unlink()
        st["segments"][0]["file"] = "../outside.npz"
    elif spoil == "base outside":
        st["base"] = "../../x"
    else:
        st["segments"][0]["feat"] = 3 if spoil == "size" else "many"
    (folder / "state.json").write_text(json.dumps(st))
    with Archive.open(db) as a:
        assert a.rebuilt and len(a.search_image(photo(1))) == 1 and len(a.search_image(photo(0))) == 1
    with Archive.open(db) as a:
        assert not a.rebuilt


def test_indexes_saved_in_the_older_single_file_layout_are_read_then_saved_anew(tmp_path):
    db, folder = tmp_path / "a.db", tmp_path / "a.db.index"
    with Archive.open(db) as a:
        for i in range(2):
            a.add_path(_write(tmp_path / f"p{i}.jpg", photo(i)))
        pdq, feat = a._pdq, a._feat
    st = json.loads((folder / "state.json").read_text())
    for p in folder.iterdir():
        p.unlink()
    (folder / "pdq.faiss").write_bytes(pdq.to_bytes())
    np.save(folder / "pdq.owners.npy", pdq.owners)
    np.savez(folder / "feat.npz", **feat.to_arrays())
    old = {k: st[k] for k in ("hash_rows", "max_hash_id", "pdq_kind", "pdq_params", "feat_kind", "feat_params",
                              "feat_entries", "pdq_entries")}
    (folder / "state.json").write_text(json.dumps({"version": 2, **old}))
    with Archive.open(db) as a:
        assert not a.rebuilt and len(a.search_image(photo(1))) == 1
        a.add_path(_write(tmp_path / "p2.jpg", photo(2)))
    st = json.loads((folder / "state.json").read_text())
    assert st["version"] == 3 and st["segments"] == [] and st["pdq_entries"] == 3
    assert not {"pdq.faiss", "pdq.owners.npy", "feat.npz"} & {p.name for p in folder.iterdir()}
    with Archive.open(db) as a:
        assert not a.rebuilt and all(len(a.search_image(photo(i))) == 1 for i in range(3))


def test_segments_of_files_added_one_at_a_time_are_merged(tmp_path, monkeypatch):
    from verilens.provenance import archive as archive_mod

    monkeypatch.setattr(archive_mod, "MAX_SEGMENTS", 2)
    db, folder = tmp_path / "a.db", tmp_path / "a.db.index"
    counts = []
    for i in range(5):  # one file per run, as a desk adding pictures as they come
        with Archive.open(db) as a:
            a.add_path(_write(tmp_path / f"p{i}.jpg", photo(i)))
        st = json.loads((folder / "state.json").read_text())
        counts.append([g["pdq"] for g in st["segments"]])
        assert {p.name for p in folder.glob("seg-*")} == {g["file"] for g in st["segments"]}
    # the first run saved a new base; then segments of one, two, and at the limit all in one
    assert counts == [[], [1], [1, 1], [3], [3, 1]]
    with Archive.open(db) as a:
        assert not a.rebuilt and a.caught_up == 0
        assert all(len(a.search_image(photo(i))) == 1 for i in range(5))


def test_a_segment_spoiled_while_open_makes_the_merge_save_a_new_base(tmp_path, monkeypatch):
    from verilens.provenance import archive as archive_mod

    monkeypatch.setattr(archive_mod, "MAX_SEGMENTS", 2)
    db, folder = _added_one_per_run(tmp_path, 3)
    st = json.loads((folder / "state.json").read_text())
    assert len(st["segments"]) == 2
    with Archive.open(db) as a:
        (folder / st["segments"][0]["file"]).write_bytes(b"spoiled")
        a.add_path(_write(tmp_path / "p3.jpg", photo(3)))
    after = json.loads((folder / "state.json").read_text())
    assert after["base"] != st["base"] and after["segments"] == [] and after["pdq_entries"] == 4
    with Archive.open(db) as a:
        assert not a.rebuilt and all(len(a.search_image(photo(i))) == 1 for i in range(4))


def test_a_new_base_saved_while_another_process_opens_is_read_not_rebuilt(tmp_path, monkeypatch):
    db, folder = _added_one_per_run(tmp_path, 2)
    original = Archive._read_index_files
    raced = []

    def racing(self, st, upto):  # type: ignore[no-untyped-def]
        if not raced:  # between reading the state and its files, a writer saves a new base
            raced.append(st["base"])
            with Archive.open(db) as w:
                w.save_indexes(whole=True)  # removes the files the state just read names
        return original(self, st, upto)

    monkeypatch.setattr(Archive, "_read_index_files", racing)
    with Archive.open(db) as a:
        assert raced and not a.rebuilt and all(len(a.search_image(photo(i))) == 1 for i in range(2))
    assert json.loads((folder / "state.json").read_text())["base"] != raced[0]


@pytest.mark.parametrize("adder_still_open", [True, False])
def test_a_search_that_caught_up_does_not_save_over_an_index_saved_since(tmp_path, adder_still_open):
    db, folder = _added_one_per_run(tmp_path, 2)
    w = Archive.open(db)
    w.add_path(_write(tmp_path / "p2.jpg", photo(2)))  # committed, saved later
    r = Archive.open(db)  # a search meanwhile: catches the new row up in memory
    assert r.caught_up == 1
    w.save_indexes(whole=True)  # a new base: the files r read are removed
    if not adder_still_open:
        w.close()
    r.close()  # r's index is older than the saved one (and names removed files): not saved
    w.close()
    with Archive.open(db) as a:
        assert not a.rebuilt and a.caught_up == 0 and all(len(a.search_image(photo(i))) == 1 for i in range(3))


def test_one_archive_adds_at_a_time_and_the_next_reads_what_it_saved(tmp_path):
    import os
    import threading
    import time

    db = tmp_path / "a.db"
    a = Archive.open(db)
    a.add_path(_write(tmp_path / "p0.jpg", photo(0)))
    with Archive.open(db) as same_thread:  # would wait for itself: refused
        with pytest.raises(VerilensError, match="already adding to the archive"):
            same_thread.add_path(_write(tmp_path / "p9.jpg", photo(9)))
        assert len(same_thread.search_image(photo(0))) == 1  # searching is not adding
    said: list[str] = []
    failed: list[BaseException] = []

    def other() -> None:
        try:
            with Archive.open(db) as b:  # opened before a saved anything
                b.hold_for_adding(waiting=said.append)
                b.add_path(_write(tmp_path / "p1.jpg", photo(1)))
        except BaseException as exc:  # reported by the main thread
            failed.append(exc)

    t = threading.Thread(target=other)
    t.start()
    for _ in range(600):
        if said:
            break
        time.sleep(0.05)
    assert said and f"another process (pid {os.getpid()}) is adding to the archive" in said[0]
    a.add_path(_write(tmp_path / "p2.jpg", photo(2)))  # still a's turn
    a.close()  # saves, then lets b go on: b reads the saved index before adding to it
    t.join(120)
    assert not t.is_alive() and not failed
    with Archive.open(db) as c:
        assert not c.rebuilt and c.caught_up == 0 and c.stats()["index"]["pdq"]["entries"] == 3
        assert all(len(c.search_image(photo(i))) == 1 for i in range(3))


def test_an_archive_dropped_without_closing_lets_others_add(tmp_path):
    import gc

    db = tmp_path / "a.db"
    a = Archive.open(db)
    a.add_path(_write(tmp_path / "p0.jpg", photo(0)))
    a.engine.dispose()
    del a  # never closed: its hold on adding goes with it
    gc.collect()
    with Archive.open(db) as b:
        assert b.add_path(_write(tmp_path / "p1.jpg", photo(1))).status == "added"


def test_a_file_system_without_locks_still_adds_and_saves(tmp_path, monkeypatch):
    import errno

    from verilens.provenance import archive as archive_mod

    def no_locks(fd, op):  # type: ignore[no-untyped-def]
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(archive_mod.fcntl, "flock", no_locks)
    db = tmp_path / "a.db"
    with Archive.open(db) as a:
        assert a.add_path(_write(tmp_path / "p0.jpg", photo(0))).status == "added"
    with Archive.open(db) as a:
        assert not a.rebuilt and a.caught_up == 0 and len(a.search_image(photo(0))) == 1


def test_indexing_from_the_catalog_reports_progress(tmp_path):
    db = tmp_path / "a.db"
    a = Archive.open(db)
    for i in range(3):
        a.add_path(_write(tmp_path / f"p{i}.jpg", photo(i)))
    a.save_indexes()
    a.add_path(_write(tmp_path / "p3.jpg", photo(3)))
    a.engine.dispose()  # a crash: the last row is not in the saved index
    del a
    said: list[tuple[str, int, int]] = []
    with Archive.open(db, progress=lambda *x: said.append(x)) as b:
        assert b.caught_up == 1
    assert said == [("catching up the archive's indexes", 0, 1), ("catching up the archive's indexes", 1, 1)]
    (tmp_path / "a.db.index" / "state.json").write_text("{")
    said.clear()
    with Archive.open(db, progress=lambda *x: said.append(x)) as c:
        assert c.rebuilt
    assert said[0] == ("rebuilding the archive's indexes from its catalog", 0, 4) and said[-1][1:] == (4, 4)


def test_a_catalog_another_process_is_writing_is_waited_for_when_put_in_wal_mode(tmp_path):
    import sqlite3
    import threading
    import time

    db = tmp_path / "a.db"
    Archive.open(db).close()
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=DELETE")  # as a new file is, before its first connection switches it
    con.close()
    writing, done = threading.Event(), threading.Event()

    def writer() -> None:  # another process in the middle of a write
        w = sqlite3.connect(db, isolation_level=None)
        w.execute("BEGIN IMMEDIATE")
        w.execute("insert into vl_meta(key, value) values ('note', 'x')")
        writing.set()
        time.sleep(0.5)
        w.execute("COMMIT")
        w.close()
        done.set()

    t = threading.Thread(target=writer)
    t.start()
    assert writing.wait(10)
    # switching to WAL meets "database is locked" at once (no busy timeout): waited out
    with Archive.open(db) as a:
        assert done.is_set() and a.stats()["items"] == 0
    t.join()


def test_opening_with_an_index_limit_refuses_long_indexing_and_says_how(tmp_path):
    import gc

    db, folder = _added_one_per_run(tmp_path, 3)
    a = Archive.open(db)
    a.add_path(_write(tmp_path / "p3.jpg", photo(3)))
    a.add_path(_write(tmp_path / "p4.jpg", photo(4)))
    a.engine.dispose()  # a crash, never closed: two rows not in the saved index
    del a
    gc.collect()
    with pytest.raises(VerilensError, match=r"must be caught up from its catalog first \(2 pictures"):
        Archive.open(db, index_limit=1)
    with Archive.open(db, index_limit=2) as b:
        assert b.caught_up == 2
    (folder / "state.json").write_text("{")
    with pytest.raises(VerilensError, match=r"must be rebuilt from its catalog first \(5 pictures, about 1 min\)"):
        Archive.open(db, index_limit=4)
    with Archive.open(db) as c:  # nothing was left open or half-done
        assert c.rebuilt and c.add_path(_write(tmp_path / "p5.jpg", photo(5))).status == "added"
