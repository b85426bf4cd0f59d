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


def test_archive_on_postgres(tmp_path):
    from sqlalchemy import create_engine, text

    schema = "vl_" + uuid.uuid4().hex[:10]
    admin = create_engine(PG_URL)
    with admin.begin() as con:
        con.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    try:
        for i in range(3):
            Image.fromarray(photo(i)).save(tmp_path / f"p{i}.jpg", quality=90)
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
    finally:
        with admin.begin() as con:
            con.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
