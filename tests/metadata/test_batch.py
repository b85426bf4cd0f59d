"""The batch reader: a pool of long-running exiftool processes, order preserved."""

from __future__ import annotations

from pathlib import Path

from tests.media import exiftool_write, natural_image, requires_exiftool, write_jpeg
from verilens.metadata.batch import close_pool, read_many


@requires_exiftool
def test_pool_preserves_order_and_matches_single_process(tmp_path: Path) -> None:
    files = []
    for i in range(9):
        f = write_jpeg(tmp_path / f"f{i}.jpg", natural_image(48, 32, seed=i))
        exiftool_write(f, f"-ImageDescription=file number {i}")
        files.append(f)
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(bytes(range(256)) * 4)
    files.insert(4, bad)
    try:
        pooled = read_many(files, workers=3, chunk=2)
        single = read_many(files, workers=1, chunk=4)
    finally:
        close_pool()
    assert [r["SourceFile"] for r in pooled] == [str(f) for f in files]
    described = [r.get("IFD0:ImageDescription") for r in pooled]
    assert described[:4] == [f"file number {i}" for i in range(4)] and described[4] is None
    assert "ExifTool:Error" in pooled[4]
    strip = {"System:FileAccessDate", "System:FileInodeChangeDate"}
    assert [{k: v for k, v in r.items() if k not in strip} for r in pooled] == [
        {k: v for k, v in r.items() if k not in strip} for r in single
    ]
    assert read_many([]) == []
