"""Synthetic media made in code, for tests and benchmarks."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image


def exiftool_available() -> bool:
    return shutil.which("exiftool") is not None


requires_exiftool = pytest.mark.skipif(not exiftool_available() and not os.environ.get("CI"),
                                       reason="exiftool not installed (run ./setup.sh)")


def natural_image(width: int = 640, height: int = 480, seed: int = 0) -> np.ndarray:
    """A textured, photo-like RGB test image (smooth gradients, shapes and noise)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([
        128 + 60 * np.sin(x / 37.0 + seed) * np.cos(y / 53.0),
        128 + 60 * np.sin((x + y) / 41.0),
        128 + 60 * np.cos(x / 29.0 - y / 61.0 + seed),
    ], axis=-1)
    for _ in range(25):
        cx, cy, r = rng.integers(0, width), rng.integers(0, height), rng.integers(8, max(9, width // 8))
        colour = rng.integers(0, 255, 3)
        mask = (x - cx) ** 2 + (y - cy) ** 2 < r**2
        base[mask] = base[mask] * 0.4 + colour * 0.6
    base += rng.normal(0, 6, base.shape)
    return np.clip(base, 0, 255).astype(np.uint8)


def write_jpeg(path: Path, rgb: np.ndarray, quality: int = 92, **kw: object) -> Path:
    Image.fromarray(rgb).save(path, format="JPEG", quality=quality, **kw)
    return path


def exiftool_write(path: Path, *args: str) -> None:
    """Write tags with exiftool (in place, no backup)."""
    subprocess.run(["exiftool", "-q", "-overwrite_original", *args, str(path)], check=True)


