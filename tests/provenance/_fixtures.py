"""Pictures made in code for the provenance tests."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def photo(seed: int, width: int = 720, height: int = 540) -> np.ndarray:
    """A textured picture with many corners (rectangles, ellipses, lines and noise).

    Distinct seeds give unrelated pictures.
    """
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([128 + 50 * np.sin(x / (20 + seed % 17) + seed) * np.cos(y / 31.0),
                     128 + 50 * np.sin((x - y) / (23 + seed % 11)),
                     128 + 50 * np.cos(x / 19.0 + y / (37 + seed % 7))], axis=-1)
    im = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(im)
    for _ in range(60):
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        x1, y1 = x0 + int(rng.integers(10, width // 5)), y0 + int(rng.integers(10, height // 5))
        col = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            d.rectangle((x0, y0, x1, y1), fill=col)
        else:
            d.ellipse((x0, y0, x1, y1), fill=col, outline=(0, 0, 0))
    arr = np.asarray(im).astype(np.float32) + rng.normal(0, 4, (height, width, 3))
    return np.clip(arr, 0, 255).astype(np.uint8)


def crop(rgb: np.ndarray, frac: float, ox: float = 0.5, oy: float = 0.5) -> np.ndarray:
    """Keep (1 - frac) of each side, the removed part split ox/oy before the kept window."""
    h, w = rgb.shape[:2]
    kw, kh = int(round(w * (1 - frac))), int(round(h * (1 - frac)))
    x0, y0 = int((w - kw) * ox), int((h - kh) * oy)
    return np.ascontiguousarray(rgb[y0:y0 + kh, x0:x0 + kw])


def caption_bar(rgb: np.ndarray, frac: float = 0.15) -> np.ndarray:
    h, w = rgb.shape[:2]
    bar = np.full((int(h * frac), w, 3), 250, np.uint8)
    im = Image.fromarray(bar)
    ImageDraw.Draw(im).text((10, 5), "BREAKING: yesterday's visit", fill=(0, 0, 0))
    return np.concatenate([np.asarray(im), rgb], axis=0)


def embed(rgb: np.ndarray, scale: float = 0.6) -> np.ndarray:
    """The picture reduced and pasted inside a larger grey 'screenshot' with UI bars."""
    h, w = rgb.shape[:2]
    small = np.asarray(Image.fromarray(rgb).resize((int(w * scale), int(h * scale)), Image.Resampling.BILINEAR))
    canvas = np.full((int(h * 1.1), int(w * 1.0), 3), 230, np.uint8)
    canvas[:40] = (40, 60, 120)
    y0, x0 = 60, (canvas.shape[1] - small.shape[1]) // 2
    canvas[y0:y0 + small.shape[0], x0:x0 + small.shape[1]] = small
    return canvas


def heavy_text(rgb: np.ndarray, lines: int = 3, colour: tuple[int, int, int] = (255, 255, 255)) -> np.ndarray:
    """Lines of large outlined text across the whole picture (a heavy caption/meme overlay)."""
    im = Image.fromarray(rgb)
    w, h = im.size
    d = ImageDraw.Draw(im)
    try:
        f = ImageFont.truetype(FONT, h // 9)
    except OSError:  # the font comes with fonts-dejavu-core (setup.sh)
        import pytest

        pytest.skip("DejaVu font not installed")
    for k in range(lines):
        d.text((int(w * 0.03), int(h * (0.08 + 0.9 / lines * k))), "BREAKING NEWS ТЕРМІНОВО", fill=colour, font=f,
               stroke_width=2, stroke_fill=(0, 0, 0))
    return np.asarray(im)
