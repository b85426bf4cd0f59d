"""The archive on PostgreSQL (runs only with VERILENS_TEST_PG_URL set, as CI does)."""

from __future__ import annotations

import os
import uuid

import pytest
from PIL import Image

from tests.provenance._fixtures import crop, photo
from verilens.provenance import Archive

PG_URL = os.environ.get("VERILENS_TEST_PG_URL")
pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(not PG_URL, reason="VERILENS_TEST_PG_URL not set (no PostgreSQL server)")]


@pytest.fixture
def url():
    """An archive URL on a schema of its own, dropped afterwards."""
    from sqlalchemy import create_engine, text

    schema = "vl_" + uuid.uuid4().hex[:10]
    admin = create_engine(PG_URL)
    with admin.begin() as con:
        con.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as con:
            con.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def _photos(folder, n):
    for i in range(n):
        Image.fromarray(photo(i)).save(folder / f"p{i}.jpg", quality=90)
    return [folder / f"p{i}.jpg" for i in range(n)]


def test_archive_on_postgres(tmp_path, url):
    from sqlalchemy import inspect, text

    _photos(tmp_path, 3)
    with Archive.open(url) as a:
        assert a.add_path(tmp_path / "p1.jpg", source_url="https://pg.example/1",
                          first_seen="2021-05-05T10:00:00+03:00").status == "added"
        a.add_path(tmp_path / "p0.jpg")
        assert a.add_path(tmp_path / "p1.jpg", source_url="https://pg.example/1").status == "skipped"
    with Archive.open(url) as a:  # indexes saved under VERILENS_HOME, loaded again
        assert not a.rebuilt
        m = a.search_image(crop(photo(1), 0.2))
        assert len(m) == 1 and m[0].first_seen == "2021-05-05T07:00:00+00:00"
        assert a.stats()["items"] == 2
        with a.engine.begin() as con:  # as catalogs were made before the summary indexes
            con.execute(text("DROP INDEX ix_vl_items_kind"))
            con.execute(text("DROP INDEX ix_vl_items_first_seen"))
    told: list[str] = []
    with Archive.open(url) as a:  # the first summary adds them, and says so first
        assert a.stats(notice=told.append)["first_seen_min"] == "2021-05-05T07:00:00+00:00"
        assert len(told) == 1 and "adding 2 index(es)" in told[0]
        names = {ix["name"] for ix in inspect(a.engine).get_indexes("vl_items")}
        assert {"ix_vl_items_kind", "ix_vl_items_first_seen"} <= names


def test_two_machines_adding_in_turn_keep_their_indexes_whole(tmp_path, url, monkeypatch):
    files = _photos(tmp_path, 3)

    def desk(name):  # each machine keeps its index of a server's catalog under its own home
        monkeypatch.setenv("VERILENS_HOME", str(tmp_path / name))
        return Archive.open(url)

    a, b = desk("a"), desk("b")
    a.add_path(files[0])
    b.add_path(files[1])  # after a's row: b indexes it before its own
    a.add_path(files[2])  # after b's row: likewise
    b.close()
    a.close()
    for name in ("a", "b"):
        with desk(name) as arch:  # the saved index is taken, not rebuilt, and holds every picture
            assert not arch.rebuilt
            assert [arch.search_image(crop(photo(i), 0.2))[0].path for i in range(3)] == [str(f) for f in files]
