"""The shipped migrations build exactly the schema the models describe."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from verilens.case.db import VERSION_TABLE, make_engine, migrate, resolve_db
from verilens.case.models import Base


def _diff(url: str) -> list:
    engine = make_engine(url)
    try:
        migrate(engine)
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
            return [d for d in compare_metadata(ctx, Base.metadata)
                    if not (isinstance(d, tuple) and d[0] == "remove_table" and not d[1].name.startswith("case_"))]
    finally:
        engine.dispose()


def test_sqlite_schema_matches_the_models(tmp_path: Path) -> None:
    assert _diff(f"sqlite:///{tmp_path / 'm.db'}") == []


@pytest.mark.postgres
def test_postgresql_schema_matches_the_models() -> None:
    url = os.environ.get("VERILENS_TEST_PG_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI is set but VERILENS_TEST_PG_URL is not")
        pytest.skip("VERILENS_TEST_PG_URL not set")
    assert _diff(url) == []


def test_resolve_db_forms(tmp_path: Path) -> None:
    url, path = resolve_db(tmp_path / "x.db")
    assert url == f"sqlite:///{(tmp_path / 'x.db').resolve()}" and path == (tmp_path / "x.db").resolve()
    assert resolve_db("postgresql://u:p@h/db") == ("postgresql+psycopg://u:p@h/db", None)
    assert resolve_db("postgres://u:p@h/db")[0] == "postgresql+psycopg://u:p@h/db"
    assert resolve_db(f"sqlite:///{tmp_path}/y.db")[1] == Path(f"{tmp_path}/y.db")
