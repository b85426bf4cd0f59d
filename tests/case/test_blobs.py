"""The content-addressed store of originals."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from verilens.case.blobs import BlobStore


def test_put_is_content_addressed_read_only_and_deduplicated(tmp_path: Path) -> None:
    src = tmp_path / "a.bin"
    src.write_bytes(b"original bytes")
    store = BlobStore(tmp_path / "store")
    sha, size = store.put_file(src)
    assert sha == hashlib.sha256(b"original bytes").hexdigest() and size == 14
    dest = store.path_for(sha)
    assert dest == tmp_path / "store" / sha[:2] / sha[2:]
    assert dest.read_bytes() == b"original bytes"
    assert not (dest.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    assert store.put_file(src) == (sha, size)
    assert store.check(sha) is None
    assert [p.name for p in (tmp_path / "store").iterdir()] == [sha[:2]]  # no temp files left


def test_changed_source_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "a.bin"
    src.write_bytes(b"x")
    store = BlobStore(tmp_path / "store")
    with pytest.raises(ValueError, match="changed while being stored"):
        store.put_file(src, expected_sha256="0" * 64)
    assert not any(p.is_file() for p in (tmp_path / "store").rglob("*"))


def test_altered_or_missing_blob_is_reported(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "store")
    sha = store.put_bytes(b"evidence")
    p = store.path_for(sha)
    os.chmod(p, 0o644)
    p.write_bytes(b"evidencE")
    assert "altered" in (store.check(sha) or "")
    p.unlink()
    assert "missing" in (store.check(sha) or "")


def test_path_for_rejects_non_digests(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        BlobStore(tmp_path).path_for("../../etc/passwd")
