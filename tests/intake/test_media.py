"""Opening inputs safely: hashing, limits, hostile files, orientation."""

from __future__ import annotations

import hashlib
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.media import natural_image, write_jpeg
from verilens.config import Limits
from verilens.errors import InputError, LimitExceeded, UnsupportedMedia
from verilens.intake import open_media


def png_bomb(path: Path, width: int = 50_000, height: int = 50_000) -> Path:
    """A small PNG whose header declares ``width`` x ``height`` pixels (PNG spec chunks)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (1 + 3 * width) * 16, 9)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", rows) + chunk(b"IEND", b""))
    return path


def test_sha256_streamed_and_original_untouched(tmp_path: Path) -> None:
    path = write_jpeg(tmp_path / "a.jpg", natural_image())
    before = path.read_bytes()
    mtime = path.stat().st_mtime_ns
    item = open_media(path)
    assert item.sha256 == hashlib.sha256(before).hexdigest()
    assert item.kind == "image" and item.mime == "image/jpeg"
    assert (item.width, item.height) == (640, 480)
    assert item.rgb().shape == (480, 640, 3) and not item.rgb().flags.writeable
    assert path.read_bytes() == before and path.stat().st_mtime_ns == mtime


def test_type_from_bytes_not_extension(tmp_path: Path) -> None:
    png_named_jpg = tmp_path / "really-a-png.jpg"
    Image.fromarray(natural_image(64, 48)).save(png_named_jpg, format="PNG")
    assert open_media(png_named_jpg).mime == "image/png"


def test_text_named_jpg_is_unsupported(tmp_path: Path) -> None:
    fake = tmp_path / "fake.jpg"
    fake.write_text("<html>not a picture</html>")
    with pytest.raises(UnsupportedMedia, match="not a supported image or video"):
        open_media(fake)


def test_zero_byte_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        open_media(empty)


def test_truncated_jpeg(tmp_path: Path) -> None:
    full = write_jpeg(tmp_path / "full.jpg", natural_image(800, 600)).read_bytes()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(full[: len(full) // 3])
    with pytest.raises(InputError, match="truncated|corrupt"):
        open_media(cut)


def test_png_decompression_bomb_refused_before_decoding(tmp_path: Path) -> None:
    bomb = png_bomb(tmp_path / "bomb.png")
    assert bomb.stat().st_size < 200_000
    with pytest.raises(LimitExceeded, match="50000 x 50000.*decompression bomb"):
        open_media(bomb)


def test_limits_are_configurable(tmp_path: Path) -> None:
    path = write_jpeg(tmp_path / "a.jpg", natural_image(200, 100))
    with pytest.raises(LimitExceeded, match="megapixels"):
        open_media(path, Limits(max_pixels=10_000))
    with pytest.raises(LimitExceeded, match="MiB"):
        open_media(path, Limits(max_file_bytes=100))
    assert open_media(path, Limits(max_pixels=20_000)).width == 200


def test_animated_frame_limit(tmp_path: Path) -> None:
    frames = [Image.fromarray(natural_image(32, 32, seed=i)) for i in range(5)]
    gif = tmp_path / "anim.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=50)
    assert open_media(gif).frames == 5
    with pytest.raises(LimitExceeded, match="frames"):
        open_media(gif, Limits(max_frames=3))


def test_exif_orientation_applied_to_working_copy_only(tmp_path: Path) -> None:
    arr = natural_image(120, 60)
    im = Image.fromarray(arr)
    exif = im.getexif()
    exif[0x0112] = 6  # rotate 90 CW to display
    path = tmp_path / "rotated.jpg"
    im.save(path, format="JPEG", exif=exif.tobytes(), quality=95)
    before = path.read_bytes()
    item = open_media(path)
    assert (item.width, item.height) == (60, 120)
    assert any("orientation 6" in n for n in item.notes)
    assert path.read_bytes() == before


def test_fifo_and_broken_link_are_clean_errors(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        open_media(fifo)  # must not block reading a pipe
    link = tmp_path / "dangling.jpg"
    link.symlink_to(tmp_path / "nowhere.jpg")
    with pytest.raises(InputError, match="broken symbolic link"):
        open_media(link)


def test_rgba_png_composited(tmp_path: Path) -> None:
    rgba = np.zeros((10, 10, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[..., 3] = 0
    path = tmp_path / "alpha.png"
    Image.fromarray(rgba).save(path)
    item = open_media(path)
    assert item.rgb()[0, 0].tolist() == [255, 255, 255]


def test_corrupt_video_is_clean_error(tmp_path: Path) -> None:
    bad = tmp_path / "clip.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 100)
    with pytest.raises(InputError, match="video"):
        open_media(bad)


@pytest.mark.parametrize(("fmt", "mime"), [("HEIF", "image/heic"), ("AVIF", "image/avif")])
def test_heif_family_decoded(tmp_path: Path, fmt: str, mime: str) -> None:
    import pillow_heif

    pillow_heif.register_heif_opener()
    pillow_heif.register_avif_opener() if hasattr(pillow_heif, "register_avif_opener") else None
    path = tmp_path / "photo.bin"
    Image.fromarray(natural_image(64, 48)).save(path, format=fmt, quality=90)
    item = open_media(path)
    assert item.mime == mime and (item.width, item.height) == (64, 48)


def test_video_probed(tmp_path: Path) -> None:
    import av

    path = tmp_path / "clip.bin"
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(20):
            frame = av.VideoFrame.from_ndarray(natural_image(64, 48, seed=i), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    item = open_media(path)
    assert item.kind == "video" and item.mime == "video/mp4"
    assert (item.width, item.height) == (64, 48)
    assert item.duration_s == pytest.approx(2.0, abs=0.25)
    with pytest.raises(LimitExceeded, match="lasts"):
        open_media(path, Limits(max_video_s=1.0))
