"""Shared image helpers: conversion of every picture mode to 8-bit RGB."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from verilens.imaging import to_rgb

RAMP16 = np.linspace(0, 4095, 64 * 48).reshape(48, 64).astype(np.uint16)  # 12-bit data in 16 bits


@pytest.mark.parametrize("mode", ["I;16", "I;16B", "I"])
def test_high_bit_depth_grey_is_scaled_not_clipped(mode: str) -> None:
    im = Image.fromarray(RAMP16).convert(mode) if mode != "I;16" else Image.fromarray(RAMP16)
    if mode == "I;16B":
        im = Image.frombytes("I;16B", im.size, RAMP16.astype(">u2").tobytes())
    assert im.mode == mode
    out = np.asarray(to_rgb(im))
    assert out.shape == (48, 64, 3) and out.dtype == np.uint8
    assert out[0, 0].tolist() == [0, 0, 0] and out[-1, -1].tolist() == [255, 255, 255]
    mid = out[24, 32, 0]
    assert abs(int(mid) - round(RAMP16[24, 32] / 4095 * 255)) <= 1  # linear, not clipped at 255
    assert (np.diff(out[:, :, 0].ravel().astype(int)) >= 0).all()
    assert np.array_equal(out[:, :, 0], out[:, :, 2])


def test_float_pictures_with_nan_and_negatives_read_black_there() -> None:
    a = np.linspace(-1.0, 3.0, 100, dtype=np.float32).reshape(10, 10)
    a[0, 5] = np.nan
    out = np.asarray(to_rgb(Image.fromarray(a, "F")))[:, :, 0]
    assert out[0, 0] == 0 and out[0, 5] == 0 and out[-1, -1] == 255
    assert np.asarray(to_rgb(Image.fromarray(np.zeros((4, 4), np.uint16)))).max() == 0  # all black stays black


def test_transparency_over_white_and_other_modes_by_pillow() -> None:
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[:2, :, 3] = 255  # top half opaque red, bottom half transparent
    out = np.asarray(to_rgb(Image.fromarray(rgba, "RGBA")))
    assert out[0, 0].tolist() == [255, 0, 0] and out[3, 0].tolist() == [255, 255, 255]
    la = np.asarray(to_rgb(Image.fromarray(np.stack([np.zeros((4, 4), np.uint8)] * 2, -1), "LA")))
    assert la[0, 0].tolist() == [255, 255, 255]
    p = Image.new("P", (4, 4), 1)
    p.putpalette([0, 0, 0, 10, 20, 30] + [0] * 762)
    p.info["transparency"] = 0
    assert np.asarray(to_rgb(p))[0, 0].tolist() == [10, 20, 30]
    cmyk = Image.new("CMYK", (2, 2), (0, 255, 255, 0))
    assert np.asarray(to_rgb(cmyk))[0, 0].tolist() == [255, 0, 0]
    rgb = Image.new("RGB", (2, 2))
    assert to_rgb(rgb) is rgb
