"""The long-running exiftool bridge: batches, hostile names, restarts."""

from __future__ import annotations

import threading
from pathlib import Path

from tests.media import exiftool_write, natural_image, write_jpeg
from verilens.metadata.exiftool import ExifToolBridge


def test_batch_in_order_with_errors_per_file(tmp_path: Path) -> None:
    a = write_jpeg(tmp_path / "a.jpg", natural_image(32, 32))
    exiftool_write(a, "-Make=TestMake", "-Model=TestModel")
    b = write_jpeg(tmp_path / "b.jpg", natural_image(32, 32, seed=1))
    missing = tmp_path / "missing.jpg"
    bridge = ExifToolBridge()
    try:
        rows = bridge.read([a, missing, b])
        assert [r["SourceFile"] for r in rows] == [str(a), str(missing), str(b)]
        assert rows[0]["IFD0:Make"] == "TestMake" and "IFD0:Make" not in rows[2]
        assert "ExifTool:Error" in rows[1]
        pid = bridge._et._process.pid
        # calls from short-lived threads must not kill the long-running process
        t = threading.Thread(target=lambda: bridge.read([a]))
        t.start()
        t.join()
        assert bridge.read_one(a)["IFD0:Model"] == "TestModel"
        assert bridge._et._process.pid == pid
    finally:
        bridge.close()


def test_newline_in_name_and_restart_after_kill(tmp_path: Path) -> None:
    odd = write_jpeg(tmp_path / "line\nbreak.jpg", natural_image(32, 32))
    bridge = ExifToolBridge()
    try:
        assert bridge.read_one(odd)["File:FileType"] == "JPEG"
        bridge._kill()  # what the watchdog does to a hung call
        assert bridge.read_one(odd)["File:FileType"] == "JPEG"
    finally:
        bridge.close()
