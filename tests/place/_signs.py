"""Signs rendered in code with a Cyrillic-capable font (DejaVu), for OCR tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


def font(size: int) -> ImageFont.FreeTypeFont:
    if not DEJAVU.is_file():
        pytest.skip("DejaVu fonts not installed (Debian fonts-dejavu-core)")
    return ImageFont.truetype(str(DEJAVU), size)


def sign(lines: list[str], *, size: int = 56, bg: tuple[int, int, int] = (20, 90, 160),
         fg: tuple[int, int, int] = (255, 255, 255), pad: int = 40) -> np.ndarray:
    """A road-sign-like RGB picture with the given lines of text."""
    f = font(size)
    widths = [int(f.getlength(t)) for t in lines]
    w = max(widths) + 2 * pad
    h = len(lines) * int(size * 1.4) + 2 * pad
    im = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(im)
    for i, t in enumerate(lines):
        d.text((pad, pad + i * int(size * 1.4)), t, font=f, fill=fg)
    return np.asarray(im)


def in_scene(sign_rgb: np.ndarray, width: int = 1200, height: int = 900, seed: int = 0) -> np.ndarray:
    """The sign pasted on a textured, photo-like background."""
    from tests.media import natural_image

    bg = natural_image(width, height, seed=seed).copy()
    sh, sw = sign_rgb.shape[:2]
    y, x = (height - sh) // 3, (width - sw) // 4
    bg[y:y + sh, x:x + sw] = sign_rgb
    return bg
