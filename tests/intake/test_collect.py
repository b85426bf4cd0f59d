"""Expanding files, folders and URLs into inputs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from verilens.intake.collect import iter_sources


def test_folders_recursive_sorted_hidden_skipped(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.jpg").write_bytes(b"x")
    (tmp_path / "1.jpg").write_bytes(b"x")
    (tmp_path / ".hidden.jpg").write_bytes(b"x")
    got = [Path(s.text).relative_to(tmp_path).as_posix() for s in iter_sources([tmp_path])]
    assert got == ["1.jpg", "b/2.jpg"]


def test_missing_and_url(tmp_path: Path) -> None:
    srcs = list(iter_sources([str(tmp_path / "nope.jpg"), "https://example.org/a.jpg"]))
    assert srcs[0].error and "no such file" in srcs[0].error
    assert srcs[1].url == "https://example.org/a.jpg" and srcs[1].path is None


def test_unreadable_folder_reported_not_raised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "a.jpg").write_bytes(b"x")
    (tmp_path / "ok.jpg").write_bytes(b"x")
    real_scandir = os.scandir

    def scandir(path: object = ".") -> object:  # root can read any folder: simulate EACCES
        if Path(os.fspath(path)) == locked:  # type: ignore[arg-type]
            raise PermissionError(13, "Permission denied", os.fspath(path))  # type: ignore[arg-type]
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    srcs = list(iter_sources([tmp_path]))
    assert [Path(s.text).name for s in srcs if not s.error] == ["ok.jpg"]
    bad = [s for s in srcs if s.error]
    assert len(bad) == 1 and "cannot be read" in bad[0].error and "locked" in bad[0].error


def test_a_link_to_a_folder_is_reported_not_followed(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.jpg").write_bytes(b"x")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "b.jpg").write_bytes(b"x")
    (tmp_path / "d" / "loop").symlink_to(tmp_path / "d", target_is_directory=True)
    (tmp_path / "d" / "link").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    out = list(iter_sources([str(tmp_path / "d")]))
    assert [s.text for s in out if not s.error] == [str(tmp_path / "d" / "a.jpg")]
    assert sorted(Path(s.text).name for s in out if s.error and "not followed" in s.error) == ["link", "loop"]
