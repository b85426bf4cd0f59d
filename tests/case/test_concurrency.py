"""Ten processes adding items and notes to one case at once lose nothing.

SQLite (WAL, busy timeout, BEGIN IMMEDIATE) always; PostgreSQL when
``VERILENS_TEST_PG_URL`` names a server (the CI script starts one; the test fails instead
of skipping when ``CI`` is set).
"""

from __future__ import annotations

import multiprocessing
import os
import uuid
from pathlib import Path

import pytest

from tests.media import natural_image, write_jpeg
from verilens.case import CaseStore
from verilens.pipeline import CHECK_MODULES

WORKERS = 10
NOTES_EACH = 3
OPENERS = 10

def _worker(db: str, blobs: str, case_id: str, image: str, idx: int, notes_each: int) -> dict:
    """One writer process: add an item (running a check), then notes, each its own transaction."""
    from verilens.case import CaseStore
    from verilens.pipeline import Options

    store = CaseStore(db, blob_dir=blobs)
    try:
        res = store.add_media(case_id, [image], options=Options(checks={"metadata.basic"}, parallel=1))
        notes = [store.add_note(case_id, f"note {k} from worker {idx}", author=f"w{idx}").id
                 for k in range(notes_each)]
    finally:
        store.close()
    return {"added": res.added, "errors": res.errors, "notes": notes, "pid": os.getpid()}


def _entry(queue, *args) -> None:  # type: ignore[no-untyped-def]
    try:
        queue.put(_worker(*args))
    except BaseException as exc:  # report, never hang the test
        queue.put({"crash": f"{type(exc).__name__}: {exc}"})


def _run_workers(db: str, blobs: Path, case_id: str, tmp_path: Path) -> list[dict]:
    """Ten separate processes, started together by a fork server that has verilens
    imported already (a fresh interpreter each would spend most of the test importing)."""
    images = [write_jpeg(tmp_path / f"w{i}.jpg", natural_image(96, 64, seed=100 + i)) for i in range(WORKERS)]
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["verilens.case", "verilens.api", *CHECK_MODULES, "tests.case.test_concurrency"])
    queue = ctx.Queue()
    procs = [ctx.Process(target=_entry, args=(queue, db, str(blobs), case_id, str(img), i, NOTES_EACH))
             for i, img in enumerate(images)]
    for p in procs:
        p.start()
    try:
        outs = [queue.get(timeout=300) for _ in procs]
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
    assert not [o["crash"] for o in outs if "crash" in o]
    assert len({o["pid"] for o in outs}) == WORKERS
    return outs


def _check_nothing_lost(store: CaseStore, case_id: str, outs: list[dict]) -> None:
    assert all(not o["errors"] and len(o["added"]) == 1 for o in outs)
    case = store.get_case(case_id)
    assert len(case.items) == WORKERS
    assert {i.id for i in case.items} == {o["added"][0] for o in outs}
    assert len(case.notes) == WORKERS * NOTES_EACH
    assert len({n.text for n in case.notes}) == WORKERS * NOTES_EACH
    actions = [e.action for e in case.custody]
    assert actions.count("collected") == WORKERS and actions.count("analysed") == WORKERS
    assert actions.count("note") == WORKERS * NOTES_EACH
    assert [e.seq for e in case.custody] == list(range(1, len(case.custody) + 1))
    assert store.verify(case_id) == (True, [])


@pytest.mark.slow
def test_ten_processes_on_one_sqlite_case(tmp_path: Path) -> None:
    db = tmp_path / "cases.db"
    store = CaseStore(db)
    case = store.new_case("concurrent")
    outs = _run_workers(str(db), store.blobs.root, case.id, tmp_path)
    _check_nothing_lost(store, case.id, outs)
    store.close()


def _open_and_add(queue, db: str) -> None:  # type: ignore[no-untyped-def]
    try:
        with CaseStore(db) as s:
            queue.put("ok " + s.new_case("c").id)
    except BaseException as exc:
        queue.put(f"{type(exc).__name__}: {exc}")


@pytest.mark.slow
def test_ten_processes_open_a_fresh_sqlite_database_at_once(tmp_path: Path) -> None:
    """The first open migrates under a lock; concurrent first opens must not race."""
    db = tmp_path / "fresh.db"
    ctx = multiprocessing.get_context("forkserver")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_open_and_add, args=(queue, str(db))) for _ in range(OPENERS)]
    for p in procs:
        p.start()
    try:
        outs = [queue.get(timeout=120) for _ in procs]
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
    assert all(o.startswith("ok") for o in outs), outs
    with CaseStore(db) as store:
        assert len(store.list_cases()) == OPENERS


@pytest.fixture
def pg_url() -> str:
    url = os.environ.get("VERILENS_TEST_PG_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI is set but VERILENS_TEST_PG_URL is not: the PostgreSQL test must run in CI")
        pytest.skip("VERILENS_TEST_PG_URL not set (no PostgreSQL server for this test)")
    return url


@pytest.mark.postgres
@pytest.mark.slow
def test_ten_processes_on_one_postgresql_case(pg_url: str, tmp_path: Path) -> None:
    blobs = tmp_path / "blobs"
    store = CaseStore(pg_url, blob_dir=blobs)
    case = store.new_case(f"concurrent-pg-{uuid.uuid4().hex[:6]}")
    outs = _run_workers(pg_url, blobs, case.id, tmp_path)
    _check_nothing_lost(store, case.id, outs)
    store.close()


@pytest.mark.postgres
def test_postgresql_refuses_custody_updates_and_verify_detects_tampering(pg_url: str, tmp_path: Path) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    store = CaseStore(pg_url, blob_dir=tmp_path / "blobs")
    case = store.new_case("pg-tamper")
    store.add_note(case.id, "n")
    with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
        conn.execute(text("UPDATE case_custody SET actor='x' WHERE case_id=:c"), {"c": case.id})
    with store.engine.begin() as conn:  # someone with owner rights disables the trigger
        conn.execute(text("ALTER TABLE case_custody DISABLE TRIGGER case_custody_append_only"))
        conn.execute(text("UPDATE case_custody SET actor='mallory' WHERE case_id=:c AND seq=2"), {"c": case.id})
        conn.execute(text("ALTER TABLE case_custody ENABLE TRIGGER case_custody_append_only"))
    ok, problems = store.verify(case.id)
    assert not ok and any("#2" in p for p in problems)
    store.close()
