"""Reduced-size decoding: DCT scaling, orientation, limits, hostile files, thumbnails."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageOps

from tests.provenance._fixtures import photo
from verilens.config import Limits
from verilens.errors import InputError, LimitExceeded, UnsupportedMedia
from verilens.provenance.decode import decode_reduced, encode_thumbnail


def _jpeg(rgb: np.ndarray, orientation: int | None = None, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality, exif=exif.tobytes())
    return buf.getvalue()


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_is_applied_as_pillow_does(orientation):
    rgb = photo(1, 90, 60)  # under the reduced side: decoded as stored, then turned upright
    data = _jpeg(rgb, orientation)
    want = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB"))
    got = decode_reduced(data)
    assert np.array_equal(got.rgb, want)
    assert (got.width, got.height) == (want.shape[1], want.shape[0])
    assert np.array_equal(decode_reduced(data, orient=False).rgb, np.asarray(Image.open(io.BytesIO(data))))


def test_jpeg_is_reduced_to_the_side_and_the_full_size_reported():
    rgb = photo(2, 960, 640)
    data = _jpeg(rgb, 6)
    d = decode_reduced(data, side=320)
    assert d.rgb.shape == (320, 213, 3) and (d.width, d.height) == (640, 960)
    # the reduced copy looks like the picture: close to an area average of the full decode
    full = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB"), dtype=np.float32)
    small = np.asarray(Image.fromarray(full.astype(np.uint8)).resize((213, 320), Image.Resampling.BOX), np.float32)
    assert np.abs(small - d.rgb).mean() < 6


def test_transparent_png_is_composited_on_white():
    rgba = np.zeros((50, 80, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[:, 40:, 3] = 255  # right half opaque red, left half transparent
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, "PNG")
    d = decode_reduced(buf.getvalue())
    assert tuple(d.rgb[25, 10]) == (255, 255, 255) and tuple(d.rgb[25, 70]) == (200, 0, 0)


def test_hostile_and_oversized_inputs_are_refused_cleanly(tmp_path):
    data = _jpeg(photo(3, 400, 300))
    with pytest.raises(InputError):
        decode_reduced(data[: len(data) // 3], name="cut.jpg")
    with pytest.raises(UnsupportedMedia, match="notes.txt"):
        decode_reduced(b"just some text, not a picture", name="notes.txt")
    with pytest.raises(LimitExceeded):
        decode_reduced(data, limits=Limits(max_pixels=1000))
    with pytest.raises(InputError, match="no such file"):
        decode_reduced(tmp_path / "missing.jpg")
    # formats Pillow could read but verilens does not take (its other decoders never see
    # hostile bytes), and a video handed to the still decoder
    for fmt in ("TGA", "PCX", "ICO", "PPM"):
        buf = io.BytesIO()
        Image.fromarray(photo(3, 160, 120)).save(buf, fmt)
        with pytest.raises(UnsupportedMedia, match="not a picture format that can be hashed"):
            decode_reduced(buf.getvalue(), name=f"x.{fmt.lower()}")
    with pytest.raises(UnsupportedMedia, match="video, not a still picture"):
        decode_reduced(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2mp41" + bytes(100), name="clip.mp4")
    # a broken EXIF block does not stop the decode: the stored orientation is kept
    broken = data.replace(b"Exif\x00\x00", b"Exif\x00\x00\xff\xff\xff", 1)
    assert decode_reduced(broken).rgb.shape[:2] == (240, 320)


def test_multi_picture_jpeg_is_decoded_at_reduced_size_too(tmp_path, monkeypatch):
    from PIL import JpegImagePlugin

    frames = [Image.fromarray(photo(6, 1600, 1200)), Image.fromarray(photo(7, 1600, 1200))]
    frames[0].save(tmp_path / "depth.jpg", "MPO", save_all=True, append_images=frames[1:], quality=90)
    assert Image.open(tmp_path / "depth.jpg").format == "MPO"  # phones' photos with a depth map
    asked = []
    real = JpegImagePlugin.JpegImageFile.draft
    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft",
                        lambda self, mode, size: asked.append(size) or real(self, mode, size))
    dec = decode_reduced(tmp_path / "depth.jpg")
    assert asked[0] == (320, 240)  # libjpeg's DCT scaling asked for before decoding, as for any JPEG
    assert dec.rgb.shape[:2] == (240, 320) and (dec.width, dec.height) == (1600, 1200)


def test_thumbnail_is_a_small_jpeg():
    t = encode_thumbnail(photo(4, 320, 213))
    im = Image.open(io.BytesIO(t))
    assert im.format == "JPEG" and max(im.size) == 128


def test_large_png_is_reduced_like_a_jpeg():
    rgb = photo(5, 1000, 700)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "PNG")
    d = decode_reduced(buf.getvalue(), side=320)
    assert d.rgb.shape == (224, 320, 3) and (d.width, d.height) == (1000, 700)
    box = np.asarray(Image.fromarray(rgb).resize((320, 224), Image.Resampling.BOX), np.float32)
    assert np.abs(box - d.rgb).mean() < 4


def test_sixteen_bit_grey_is_decoded_like_the_check_does_and_found_from_its_8_bit_copy(tmp_path):
    from verilens.intake import open_media
    from verilens.provenance import Archive

    grey = photo(5).mean(axis=2)
    deep = (grey / 255 * 4095).astype(np.uint16)  # a 12-bit scan stored in 16 bits
    Image.fromarray(deep).save(tmp_path / "scan16.png")
    assert Image.open(tmp_path / "scan16.png").mode == "I;16"
    dec = decode_reduced(tmp_path / "scan16.png", side=4096)
    assert 100 < dec.rgb.mean() < 160  # not clipped to white
    assert np.array_equal(dec.rgb, open_media(tmp_path / "scan16.png").rgb())  # the check's working copy
    Image.fromarray(grey.astype(np.uint8)).save(tmp_path / "scan8.jpg", quality=90)
    with Archive.open(tmp_path / "a.db") as arch:
        arch.add_path(tmp_path / "scan16.png")
        (m,) = arch.search_path(tmp_path / "scan8.jpg").matches
        assert m.path == str(tmp_path / "scan16.png") and m.stage == "pdq"
