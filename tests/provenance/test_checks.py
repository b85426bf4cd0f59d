"""The provenance checks' reading of first-seen and claimed times, and the archive they search."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.provenance._fixtures import photo
from verilens.errors import CheckUnavailable
from verilens.provenance import Archive
from verilens.provenance import checks as pc
from verilens.provenance.checks import archive_for_check, earliest_and_predates


def _m(i: int, seen: str | None, url: str | None = None) -> dict:
    return {"id": i, "path": f"/a/{i}.jpg", "source_url": url, "first_seen": seen}


def test_the_earliest_copy_is_found_across_dates_and_instants():
    ms = [_m(1, "2022-03-20T00:00:00+00:00"), _m(2, None, "https://x"), _m(3, "2022-03-15", "https://y")]
    earliest, predates = earliest_and_predates(ms, None)
    assert earliest == {"id": 3, "path": "/a/3.jpg", "source_url": "https://y", "first_seen": "2022-03-15"}
    assert predates is None
    assert earliest_and_predates([_m(2, None)], "2022-03-15") == (None, None)


def test_a_first_seen_date_predates_only_claims_after_that_whole_day():
    ms = [_m(1, "2022-03-15")]
    assert earliest_and_predates(ms, "2022-03-15T11:00+02:00")[1] is False  # the same day: not recycled
    assert earliest_and_predates(ms, "2022-03-16T09:00+00:00")[1] is False  # still the 15th west of UTC-9
    assert earliest_and_predates(ms, "2022-03-16T13:00+00:00")[1] is True
    assert earliest_and_predates(ms, "2022-03-16")[1] is False  # a claimed day begins at UTC+14
    assert earliest_and_predates(ms, "2022-03-18")[1] is True


def test_instants_compare_as_instants():
    ms = [_m(1, "2022-03-15T09:00:00+00:00")]
    assert earliest_and_predates(ms, "2022-03-15T11:00+02:00")[1] is False  # the same moment
    assert earliest_and_predates(ms, "2022-03-15T11:01+02:00")[1] is True
    assert earliest_and_predates(ms, "2022-03-15")[1] is False


def test_the_earliest_copy_is_the_one_certainly_seen_first():
    ms = [_m(1, "2023-04-10", "https://day"), _m(2, "2023-04-09T12:00:00Z", "https://instant")]
    earliest, predates = earliest_and_predates(ms, "2023-04-11T06:00:00Z")
    assert earliest is not None and earliest["id"] == 2 and predates is True


def _archive_of(db: Path, seeds: list[int]) -> None:
    from PIL import Image

    with Archive.open(db) as arch:
        for s in seeds:
            f = db.parent / f"{db.stem}-{s}.jpg"
            Image.fromarray(photo(s)).save(f, quality=90)
            arch.add_path(f)


def test_checks_keep_an_archive_open_and_see_what_was_added_since(tmp_path):
    pc._let_go(everything=True)
    db = tmp_path / "a.db"
    _archive_of(db, [1, 2])
    with archive_for_check(str(db)) as first:
        assert first is not None and first.search_image(photo(2))
    _archive_of(db, [3])  # added by another open archive (another process) meanwhile
    with archive_for_check(str(db)) as again:
        assert again is first  # not opened again
        assert again.caught_up == 1 and again.search_image(photo(3))[0].path == str(tmp_path / "a-3.jpg")
    with pytest.raises(CheckUnavailable, match="no archive at"):
        with archive_for_check(str(tmp_path / "typo.db")):
            pass
    assert not (tmp_path / "typo.db").exists()  # a check never creates one


def test_a_replaced_catalog_is_opened_anew_and_few_are_kept(tmp_path, monkeypatch):
    pc._let_go(everything=True)
    monkeypatch.setattr(pc, "KEPT_OPEN", 1)
    db = tmp_path / "a.db"
    _archive_of(db, [1])
    with archive_for_check(str(db)) as first:
        pass
    db.unlink()
    _archive_of(db, [5])  # another catalog under the same name
    with archive_for_check(str(db)) as second:
        assert second is not first and first._closed
        assert second.search_image(photo(5)) and not second.search_image(photo(1))
    other = tmp_path / "b.db"
    _archive_of(other, [7])
    with archive_for_check(str(other)) as third:
        assert third.search_image(photo(7))
    assert second._closed and list(pc._kept) == [str(other.absolute())]  # the least recently used let go
    pc._let_go(everything=True)
    assert third._closed and not pc._kept
