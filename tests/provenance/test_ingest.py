"""Ingest: inputs, manifests, Dask, resumability, kill -9 in the middle."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.provenance._fixtures import photo
from verilens.errors import UsageError
from verilens.provenance import Archive
from verilens.provenance.ingest import (
    MAX_DEFAULT_WORKERS,
    Entry,
    collect_entries,
    default_workers,
    ingest,
    read_manifest,
)

ROOT = Path(__file__).resolve().parents[2]


def _folder(tmp_path: Path, n: int, size: tuple[int, int] = (480, 360)) -> Path:
    d = tmp_path / "photos"
    (d / "sub").mkdir(parents=True)
    for i in range(n):
        target = d / "sub" if i % 3 == 0 else d
        Image.fromarray(photo(i, *size)).save(target / f"img{i:04d}.jpg", quality=88)
    return d


def _reposts(tmp_path: Path, originals: list[Path], new: int) -> tuple[Path, list[str], Callable[..., Any]]:
    """A folder of copies of ``originals`` under new names and ``new`` new photos (new.jpg,
    new2.jpg, ...), with a stand-in decoder that records the names of the files it decodes."""
    import shutil

    import verilens.provenance.ingest as ingest_mod

    reposts = tmp_path / "reposts"
    reposts.mkdir()
    for p in originals:
        shutil.copy(p, reposts / f"repost-{p.name}")
    for i in range(new):
        Image.fromarray(photo(50 + i, 480, 360)).save(reposts / f"new{i + 1 if i else ''}.jpg", quality=88)
    decoded: list[str] = []
    real = ingest_mod.decode_reduced

    def counting(data, *a, **k):  # type: ignore[no-untyped-def]
        decoded.append(k.get("name", ""))
        return real(data, *a, **k)

    return reposts, decoded, counting


def test_manifests_csv_and_jsonl(tmp_path):
    d = _folder(tmp_path, 3)
    (tmp_path / "m.csv").write_text("path,source_url,first_seen\nphotos/img0001.jpg,https://a.example/1,2020-01-02\n"
                                    f"{d / 'img0002.jpg'},,\n")
    (tmp_path / "m.jsonl").write_text(json.dumps({"path": "photos/img0001.jpg", "first_seen": "2019-01-01T00:00:00Z"}) + "\n\n")
    e = read_manifest(tmp_path / "m.csv")
    assert e[0].path == str(tmp_path / "photos" / "img0001.jpg") and e[0].source_url == "https://a.example/1"
    assert e[1].source_url is None and e[1].first_seen is None
    assert read_manifest(tmp_path / "m.jsonl")[0].first_seen == "2019-01-01T00:00:00Z"
    (tmp_path / "bad.csv").write_text("name,url\nx,y\n")
    with pytest.raises(UsageError):
        read_manifest(tmp_path / "bad.csv")
    (tmp_path / "bad.jsonl").write_text("{not json\n")
    with pytest.raises(UsageError):
        read_manifest(tmp_path / "bad.jsonl")
    (tmp_path / "deep.jsonl").write_text("[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(UsageError, match="deep.jsonl line 1: not a manifest line"):
        read_manifest(tmp_path / "deep.jsonl")
    (tmp_path / "late.csv").write_text("path,first_seen\na.jpg,2020-01-02\nb.jpg,last tuesday\n")
    with pytest.raises(UsageError, match="late.csv line 3: 'last tuesday': not an ISO 8601 date or time"):
        read_manifest(tmp_path / "late.csv")
    entries, errors, _ = collect_entries([str(d), str(tmp_path / "m.csv"), str(tmp_path / "nope")], source_url="https://s")
    assert len(entries) == 5 and len(errors) == 1
    assert {e.source_url for e in entries[:3]} == {"https://s"}


def test_thread_ingest_is_resumable_and_reports_errors(tmp_path):
    d = _folder(tmp_path, 8)
    (d / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")
    (d / "notes.txt").write_text("a sidecar note, not media")
    entries, _, _ = collect_entries([str(d)])
    big = d / "backup.zip"  # not media and over the size limits: passed over unread
    with open(big, "wb") as fh:  # sparse
        fh.write(b"PK\x03\x04")
        fh.truncate(300 * 2**20)
    with Archive.open(tmp_path / "a.db") as a:
        r = ingest(a, entries + [Entry(str(big), in_folder=True)], batch_size=3)
        # in a folder, files that are not pictures or videos are counted, not errors
        assert (r.added, r.skipped, r.not_media, len(r.errors)) == (8, 0, 2, 1)
        assert "broken.jpg" in r.errors[0]["path"] and set(r.errors[0]) == {"path", "state", "error"}
        # the message (what the CLI prints) names the file, not just "input"
        assert r.errors[0]["error"].startswith("broken.jpg: ")
        named = ingest(a, [Entry(str(d / "notes.txt"))])  # named by the user: an error that says why
        assert named.not_media == 0 and named.errors[0]["error"] == (
            "notes.txt: not a picture or video format verilens reads (text, not an image or video)")
        r2 = ingest(a, entries, batch_size=3)
        assert (r2.added, r2.skipped) == (0, 8)
        assert a.stats()["items"] == 8


def test_dask_local_cluster_ingest(tmp_path):
    from dask.distributed import Client, LocalCluster

    d = _folder(tmp_path, 6)
    entries, _, _ = collect_entries([str(d)], first_seen="2020-05-05")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client, Archive.open(tmp_path / "a.db") as a:
        seen: list[int] = []
        r = ingest(a, entries, dask=client, batch_size=4, progress=lambda done, total: seen.append(done))
        assert r.added == 6 and not r.errors
        assert seen[-1] == 6
        assert len(a.search_image(photo(4, 480, 360))) == 1


def test_dask_workers_record_reposts_without_decoding_and_confirm_with_the_catalog(tmp_path, monkeypatch):
    import numpy as np
    from dask.distributed import Client, LocalCluster

    import verilens.provenance.ingest as ingest_mod

    d = _folder(tmp_path, 3)
    reposts, decoded, counting = _reposts(tmp_path, sorted(d.rglob("*.jpg")), 2)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client, Archive.open(tmp_path / "a.db") as a:
        assert ingest(a, [Entry(str(p)) for p in sorted(d.rglob("*.jpg"))], dask=client).added == 3
        prefixes = a.known_prefixes()
        assert prefixes.dtype == np.uint64 and len(prefixes) == 3
        # new2.jpg shares the first 64 bits of its hash with an archived file: the catalog says
        # it is not archived, so it is hashed in full, not recorded as a sighting of nothing
        sha2 = hashlib.sha256((reposts / "new2.jpg").read_bytes()).hexdigest()
        monkeypatch.setattr(Archive, "known_prefixes",
                            lambda self: np.sort(np.append(prefixes, np.uint64(int(sha2[:16], 16)))))
        monkeypatch.setattr(ingest_mod, "decode_reduced", counting)
        res = ingest(a, [Entry(str(p), "https://repost.example/x") for p in sorted(reposts.iterdir())], dask=client)
        assert (res.added, res.sources_added, res.errors) == (2, 3, [])
        assert sorted(decoded) == ["new.jpg", "new2.jpg"]
        assert a.search_path(reposts / "new2.jpg").matches[0].sources == 1


def test_bad_dask_address_is_a_usage_error(tmp_path):
    d = _folder(tmp_path, 1)
    entries, _, _ = collect_entries([str(d)])
    with Archive.open(tmp_path / "a.db") as a, pytest.raises(UsageError):
        ingest(a, entries, dask="nonsense")


def _count(db: Path) -> int:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return int(con.execute("select count(*) from vl_items").fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_kill_9_in_the_middle_then_rerun_completes_without_duplicates(tmp_path):
    n = 150
    d = _folder(tmp_path, n, size=(640, 480))
    db = tmp_path / "a.db"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    cmd = [sys.executable, "-m", "verilens", "archive", "add", str(d), "--archive", str(db),
           "--batch-size", "5", "--workers", "1", "--json"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    at_kill = 0
    try:
        while time.monotonic() < deadline:
            at_kill = _count(db)
            if at_kill >= 10 or proc.poll() is not None:
                break
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the ingest finished before it could be killed"
    assert 0 < at_kill < n
    # the catalog opens (the index, saved or not, is caught up from it)
    with Archive.open(db) as a:
        partial = a.stats()["items"]
        assert at_kill <= partial < n
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["added"] == n - partial and out["skipped"] == partial and out["errors"] == []
    con = sqlite3.connect(db)
    try:
        assert con.execute("select count(*), count(distinct sha256) from vl_items").fetchone() == (n, n)
        assert con.execute("select count(*) from vl_hashes").fetchone()[0] == n
        assert con.execute("select count(*) from vl_sources").fetchone()[0] == n
    finally:
        con.close()
    with Archive.open(db) as a:
        assert a.stats()["index"]["pdq"]["entries"] == n
        for i in (0, n // 2, n - 1):
            m = a.search_image(photo(i, 640, 480))
            assert len(m) == 1 and Path(m[0].path).name == f"img{i:04d}.jpg"


def test_size_limits_are_checked_before_a_still_is_read_whole(tmp_path, monkeypatch):
    from verilens.config import Limits
    from verilens.errors import InputError
    from verilens.provenance import ingest as ingest_mod

    d = _folder(tmp_path, 1)
    f = d / "sub" / "img0000.jpg"
    size = f.stat().st_size
    assert ingest_mod.hash_file(str(f)).sha256  # under the default limits
    monkeypatch.setattr(ingest_mod.Limits, "from_env", classmethod(lambda cls: Limits(max_image_bytes=size - 1)))
    with pytest.raises(InputError, match="image-size limit"):
        ingest_mod.hash_file(str(f))
    monkeypatch.setattr(ingest_mod.Limits, "from_env", classmethod(lambda cls: Limits(max_file_bytes=size - 1)))
    with pytest.raises(InputError, match="file-size limit"):
        ingest_mod.hash_file(str(f))


def test_a_still_that_changes_size_while_being_read_is_refused_not_hashed_in_part(tmp_path, monkeypatch):
    from verilens.errors import InputError
    from verilens.intake.sniff import sniff
    from verilens.provenance import ingest as ingest_mod

    f = _folder(tmp_path, 1) / "sub" / "img0000.jpg"
    whole = ingest_mod.hash_file(str(f))

    def sniff_while_it_grows(head: bytes):  # runs after the size is taken, before the read
        with open(f, "ab") as out:
            out.write(b"\0" * 100)
        return sniff(head)

    def sniff_while_it_shrinks(head: bytes):
        os.truncate(f, f.stat().st_size - 50)
        return sniff(head)

    for change in (sniff_while_it_grows, sniff_while_it_shrinks):
        monkeypatch.setattr(ingest_mod, "sniff", change)
        with pytest.raises(InputError, match="changed size while being read"):
            ingest_mod.hash_file(str(f))
    monkeypatch.undo()
    assert ingest_mod.hash_file(str(f)).sha256 != whole.sha256  # settled now: hashed whole


def test_hostile_manifests_are_usage_errors_with_their_line(tmp_path):
    cases = {
        "extra.csv": ("path,source_url\na.jpg,https://x.example/a,b,c\n", "line 2: more fields than the header"),
        "huge.csv": ("path\n" + "a" * 200_000 + ".jpg\n", "huge.csv line"),
        "types.jsonl": (json.dumps({"path": "a.jpg", "source_url": {"nested": [1]}}) + "\n", "'source_url' must be text"),
        "zero.jsonl": (json.dumps({"path": "a.jpg", "first_seen": 0}) + "\n", "'first_seen' must be text"),
        "digits.jsonl": ('{"path": "a.jpg", "n": ' + "9" * 5000 + "}\n", "digits.jsonl line 1: not a manifest line"),
        "far.csv": ("path,first_seen\na.jpg,9999-12-31T23:59:59-14:00\n", "line 2:"),
    }
    for name, (text, said) in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(UsageError, match=re.escape(said)):
            read_manifest(tmp_path / name)


def test_a_long_manifest_field_is_refused_whatever_the_csv_module_allows(tmp_path):
    import csv
    import sys

    old = csv.field_size_limit(sys.maxsize)  # what importing reverse_geocoder does, process-wide
    try:
        (tmp_path / "long.csv").write_text("path\n" + "a" * 100_000 + ".jpg\n")
        with pytest.raises(UsageError, match="long.csv line 2: 'path' is 100,004 characters long"):
            read_manifest(tmp_path / "long.csv")
    finally:
        csv.field_size_limit(old)
    (tmp_path / "long.jsonl").write_text(json.dumps({"path": "a.jpg", "source_url": "u" * 70_000}) + "\n")
    with pytest.raises(UsageError, match="long.jsonl line 1: 'source_url' is 70,000 characters long"):
        read_manifest(tmp_path / "long.jsonl")


def test_manifest_lines_end_only_at_real_line_ends(tmp_path):
    (tmp_path / "m.jsonl").write_text(json.dumps({"path": "a\u2028b.jpg"}, ensure_ascii=False) + "\n"
                                      + json.dumps({"path": "c.jpg"}) + "\n", encoding="utf-8")
    assert [Path(e.path).name for e in read_manifest(tmp_path / "m.jsonl")] == ["a\u2028b.jpg", "c.jpg"]
    (tmp_path / "m.csv").write_text('path,source_url\n"x\ny.jpg",https://a\nz\u0085.jpg,\n', encoding="utf-8")
    assert [Path(e.path).name for e in read_manifest(tmp_path / "m.csv")] == ["x\ny.jpg", "z\u0085.jpg"]


def test_inputs_that_cannot_be_added_are_reported_not_crashed_on_or_passed_over(tmp_path):
    d = _folder(tmp_path, 2)
    os.mkfifo(tmp_path / "pipe.jpg")
    (tmp_path / "loop.jpg").symlink_to(tmp_path / "loop.jpg")
    other = tmp_path / "elsewhere"
    other.mkdir()
    (d / "linked").symlink_to(other, target_is_directory=True)
    bad_name = os.fsencode(str(d)) + b"/bad\xff.jpg"
    with open(bad_name, "wb") as fh:
        fh.write((d / "img0001.jpg").read_bytes())
    entries, errors, _ = collect_entries([str(d), str(tmp_path / "pipe.jpg"), str(tmp_path / "loop.jpg"),
                                          str(tmp_path / ("x" * 300 + ".jpg"))])
    said = {Path(e["path"]).name[:20]: e["error"] for e in errors}
    assert len(entries) == 2 and all(Path(e.path).is_absolute() for e in entries)
    assert "not valid UTF-8" in said["bad\\xff.jpg"]
    assert "not followed" in said["linked"]
    assert "not a regular file" in said["pipe.jpg"] and "link loop" in said["loop.jpg"]
    assert "cannot be read" in said["x" * 20]


def test_new_bytes_at_a_known_path_are_added_on_the_next_run(tmp_path):
    d = _folder(tmp_path, 2)
    with Archive.open(tmp_path / "a.db") as a:
        assert ingest(a, collect_entries([str(d)])[0]).added == 2
        target = d / "img0001.jpg"
        Image.fromarray(photo(40)).save(target, quality=88)
        later = time.time() + 5  # the file changed after it was recorded
        os.utime(target, (later, later))
        r = ingest(a, collect_entries([str(d)])[0])
        assert (r.added, r.skipped) == (1, 1)
        assert a.search_image(photo(40))


def test_every_line_naming_one_file_is_recorded_in_one_run(tmp_path):
    d = _folder(tmp_path, 1)
    (tmp_path / "m.csv").write_text("path,source_url,first_seen\nphotos/sub/img0000.jpg,https://late.example,2023-05-01\n"
                                    "photos/sub/img0000.jpg,https://early.example,2023-01-01\n"
                                    "photos/sub/img0000.jpg,https://early.example,2023-01-01\n")
    with Archive.open(tmp_path / "a.db") as a:
        r = ingest(a, collect_entries([str(tmp_path / "m.csv")])[0])
        assert (r.added, r.sources_added, r.skipped) == (1, 1, 2)
        m = a.search_image(photo(0, 480, 360))[0]
        assert (m.first_seen, m.source_url, m.sources) == ("2023-01-01", "https://early.example", 2)
    assert d.exists()


def test_text_that_is_not_valid_unicode_in_a_manifest_is_a_usage_error(tmp_path):
    (tmp_path / "m.jsonl").write_text('{"path": "a.jpg", "source_url": "http://x/\\ud800"}\n')
    with pytest.raises(UsageError, match="line 1: 'source_url' holds text that is not valid Unicode"):
        read_manifest(tmp_path / "m.jsonl")


def test_reposts_of_archived_bytes_are_recorded_without_decoding(tmp_path, monkeypatch):
    import verilens.provenance.ingest as ingest_mod
    from verilens.errors import VerilensError
    from verilens.provenance.archive import HashedItem

    d = _folder(tmp_path, 3)
    with Archive.open(tmp_path / "a.db") as arch:
        assert ingest(arch, [Entry(str(p)) for p in sorted(d.glob("*.jpg"))], workers=2).added == 2
        reposts, decoded, counting = _reposts(tmp_path, sorted(d.glob("*.jpg")), 1)
        monkeypatch.setattr(ingest_mod, "decode_reduced", counting)
        res = ingest(arch, [Entry(str(p), "https://repost.example/x") for p in sorted(reposts.iterdir())], workers=2)
        assert (res.added, res.sources_added) == (1, 2) and decoded == ["new.jpg"]
        first = next(iter(sorted(reposts.glob("repost-*"))))
        assert [m.sources for m in arch.search_path(first).matches[:1]] == [2]
        # a 'known' result whose bytes are not archived is refused, never stored without hashes
        with pytest.raises(VerilensError, match="were archived when hashed"):
            arch.add_hashed([(HashedItem("0" * 64, "image", "/x.jpg", None, None, None, (), known=True), None, None)])


def test_archive_add_says_it_waits_for_another_process_adding_then_skips_what_that_one_added(tmp_path):
    d = _folder(tmp_path, 4)
    db = tmp_path / "a.db"
    held = Archive.open(db)
    held.hold_for_adding()  # another process adding (this one)
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    proc = subprocess.Popen([sys.executable, "-m", "verilens", "archive", "add", str(d), "--archive", str(db), "--json"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()  # the first thing it says, before hashing anything
        assert f"another process (pid {os.getpid()}) is adding to the archive" in line and "waiting" in line
        ingest(held, [Entry(str(p)) for p in sorted(d.rglob("*.jpg"))[:2]])
    finally:
        held.close()
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    assert {k: json.loads(stdout)[k] for k in ("added", "skipped")} == {"added": 2, "skipped": 2}
    with Archive.open(db) as a:
        assert not a.rebuilt and a.caught_up == 0 and a.stats()["items"] == 4


def test_two_processes_adding_the_same_files_at_once_record_each_sighting_once(tmp_path):
    n = 120
    d = _folder(tmp_path, n, size=(320, 240))
    go = tmp_path / "go"
    script = (
        "import json, os, sys, time\n"
        "from verilens.provenance import Archive\n"
        "from verilens.provenance.ingest import Entry, collect_entries, ingest\n"
        "entries, _, _ = collect_entries([sys.argv[1]], source_url=sys.argv[4] or None)\n"
        "while not os.path.exists(sys.argv[3]):\n"
        "    time.sleep(0.005)\n"
        "with Archive.open(sys.argv[2]) as a:\n"
        "    print(json.dumps(ingest(a, entries, workers=1, batch_size=2).to_dict()))\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))

    def both(db: Path, url: str) -> list[dict]:
        go.unlink(missing_ok=True)
        procs = [subprocess.Popen([sys.executable, "-c", script, str(d), str(db), str(go), url], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        time.sleep(3)  # both have imported and read the folder: they start together
        go.touch()
        outs = []
        for p in procs:
            stdout, stderr = p.communicate(timeout=600)
            assert p.returncode == 0, stderr
            outs.append(json.loads(stdout))
        assert all(o["errors"] == [] for o in outs)
        return outs

    db = tmp_path / "new.db"  # created by whichever process comes first
    assert sum(o["added"] for o in both(db, "")) == n
    with Archive.open(db) as a:  # one waited for the other: the saved index holds what both added
        assert not a.rebuilt and a.caught_up == 0 and a.stats()["index"]["pdq"]["entries"] == n
    # the same files seen again on a channel: each new sighting is recorded once, not by both
    assert sum(o["sources_added"] for o in both(db, "https://channel.example/")) == n
    con = sqlite3.connect(db)
    try:
        assert con.execute("select count(*), count(distinct sha256) from vl_items").fetchone() == (n, n)
        assert con.execute("select count(*), count(distinct path || ifnull(source_url, '')) "
                           "from vl_sources").fetchone() == (2 * n, 2 * n)
        assert con.execute("select count(*) from vl_hashes").fetchone()[0] == n
    finally:
        con.close()
    with Archive.open(db) as a:
        assert not a.rebuilt and a.stats()["index"]["pdq"]["entries"] == n
        assert [Path(m.path).name for m in a.search_image(photo(7, 320, 240))] == ["img0007.jpg"]


def test_default_workers_follow_the_cpus_this_process_may_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(3)), raising=False)
    assert default_workers() == 3
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    assert default_workers() == MAX_DEFAULT_WORKERS

    def unavailable(pid: int) -> set[int]:
        raise OSError("no affinity here")

    monkeypatch.setattr(os, "sched_getaffinity", unavailable, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert default_workers() == 1
