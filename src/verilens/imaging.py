"""Small, pure image helpers shared by checks: colour maps, overlays, display sizes, 8-bit RGB."""

from __future__ import annotations

import numpy as np
from PIL import Image

# Anchors of a perceptually ordered dark-to-bright map (black, purple, red, orange, pale yellow).
_ANCHORS = np.array(
    [[0, 0, 4], [40, 11, 84], [101, 21, 110], [159, 42, 99], [212, 72, 66],
     [245, 125, 21], [250, 193, 39], [252, 255, 164]], dtype=np.float64
)
LUT = np.stack(
    [np.interp(np.linspace(0, 1, 256), np.linspace(0, 1, len(_ANCHORS)), _ANCHORS[:, c]) for c in range(3)],
    axis=1,
).astype(np.uint8)


def heatmap_rgb(values: np.ndarray) -> np.ndarray:
    """Colour a 2-D array of values in 0..1 (clipped; NaN shown black) with :data:`LUT`."""
    v = np.nan_to_num(np.asarray(values, dtype=np.float32), nan=0.0)
    idx = np.clip(v * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return LUT[idx]


def fit_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """The (width, height) that fits in ``max_side`` keeping the aspect ratio (never upscales)."""
    scale = min(1.0, max_side / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def to_rgb(im: Image.Image) -> Image.Image:
    """An 8-bit RGB copy of a decoded picture of any Pillow mode (the picture itself if RGB).

    Parameters
    ----------
    im : PIL.Image.Image
        A loaded picture.

    Returns
    -------
    PIL.Image.Image
        Mode ``RGB``.

    Notes
    -----
    High-bit-depth grey pictures (16- and 32-bit integer, floating point: scientific and
    satellite imagery, some scans) are scaled so that their maximum is white and zero black
    (negative values and NaN read as black); Pillow's own conversion clips at 255 and
    turns them nearly all white. Transparent pixels are composited over white. Other modes
    (CMYK, YCbCr, palette, 1-bit, grey) are converted by Pillow.
    """
    if im.mode == "RGB":
        return im
    if im.mode.startswith("I") or im.mode == "F":
        arr = np.asarray(im)
        if arr.dtype.kind == "f":
            arr = np.nan_to_num(arr, nan=0.0, posinf=0.0, neginf=0.0)
        top = float(arr.max()) if arr.size else 0.0
        if top <= 0:
            grey = np.zeros(arr.shape[:2], np.uint8)
        elif arr.dtype.kind == "u" and arr.dtype.itemsize == 2:  # a table: 1 byte per pixel more, not 8
            grey = np.minimum(np.arange(65536, dtype=np.uint64) * 255 // int(top), 255).astype(np.uint8)[arr]
        else:
            grey = (np.clip(arr, 0, top).astype(np.float32) * np.float32(255.0 / top)).astype(np.uint8)
        return Image.fromarray(grey, "L").convert("RGB")
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info:
        rgba = im.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba).convert("RGB")
    return im.convert("RGB")


def resize(array: np.ndarray, size: tuple[int, int], nearest: bool = False) -> np.ndarray:
    """Resize an ``uint8`` or float array to ``size`` = (width, height)."""
    arr = np.asarray(array)
    if (arr.shape[1], arr.shape[0]) == size:
        return arr
    if arr.dtype == np.uint8:
        im = Image.fromarray(arr)
        return np.asarray(im.resize(size, Image.Resampling.NEAREST if nearest else Image.Resampling.BILINEAR))
    im = Image.fromarray(arr.astype(np.float32), mode="F")
    return np.asarray(im.resize(size, Image.Resampling.NEAREST if nearest else Image.Resampling.BILINEAR))


def display_heatmap(values: np.ndarray, max_side: int = 2048) -> Image.Image:
    """A heatmap ready to save: a palette PNG image no larger than ``max_side`` pixels.

    Values in 0..1 are area-averaged down to the display size (OpenCV) and stored as
    palette indices into :data:`LUT`, a third of the bytes of an RGB picture to compress.
    """
    import cv2

    v: np.ndarray = np.nan_to_num(np.asarray(values, dtype=np.float32), nan=0.0)
    h, w = v.shape[:2]
    size = fit_size(w, h, max_side)
    if size != (w, h):
        v = cv2.resize(v, size, interpolation=cv2.INTER_AREA)
    idx = np.ascontiguousarray(np.clip(v * 255.0 + 0.5, 0, 255).astype(np.uint8))
    im = Image.frombytes("P", (idx.shape[1], idx.shape[0]), idx.tobytes())
    im.putpalette(LUT.tobytes())
    return im


def overlay(rgb: np.ndarray, values: np.ndarray, alpha: float = 0.55) -> np.ndarray:
    """Blend a 0..1 map over a picture (the map resized to the picture)."""
    h, w = rgb.shape[:2]
    heat = heatmap_rgb(resize(np.asarray(values, dtype=np.float32), (w, h)))
    a = np.clip(resize(np.asarray(values, dtype=np.float32), (w, h)), 0, 1)[..., None] * alpha
    return (rgb.astype(np.float32) * (1 - a) + heat.astype(np.float32) * a).astype(np.uint8)


def root_sift(descriptors: np.ndarray) -> np.ndarray:
    """RootSIFT: L1-normalise SIFT descriptors, then take the square root.

    Euclidean distance between RootSIFT vectors is the Hellinger kernel on the originals,
    which matches better than plain SIFT.

    References
    ----------
    .. [1] R. Arandjelović and A. Zisserman, "Three things everyone should know to improve
       object retrieval", CVPR 2012.
    """
    d = np.asarray(descriptors, dtype=np.float32).copy()
    d /= np.maximum(d.sum(axis=1, keepdims=True), 1e-7)
    return np.sqrt(d)


def round_robin(cells: np.ndarray, response: np.ndarray) -> np.ndarray:
    """Keypoint indices taken round-robin over cells, each cell's strongest first.

    Every cell's strongest keypoint comes before any cell's second, and so on; within one
    round, stronger first. Any prefix of the result is therefore spread over the picture
    rather than gathered where texture is strongest.

    Parameters
    ----------
    cells : ndarray, shape (n,), int
        Cell id of each keypoint.
    response : ndarray, shape (n,)
        Detector response (higher is stronger).
    """
    response = np.asarray(response)
    order = np.argsort(-response, kind="stable")
    grouped_cells = cells[order]
    by_cell = np.argsort(grouped_cells, kind="stable")
    sorted_cells = grouped_cells[by_cell]
    rank = np.empty(len(cells), np.int64)
    rank[order[by_cell]] = np.arange(len(cells)) - np.searchsorted(sorted_cells, sorted_cells, side="left")
    return np.lexsort((-response, rank))
