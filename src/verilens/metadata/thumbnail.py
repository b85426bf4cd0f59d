"""Embedded thumbnail vs. main image (pure functions on arrays, no I/O).

Cameras write a small thumbnail (EXIF IFD1, typically 160x120) of the picture they took.
Many editors change the pixels but carry the old EXIF block, thumbnail included, into the
saved file; the thumbnail then shows the picture as it was before the edit.

References
----------
Kee, E., Johnson, M. K., Farid, H. (2011). Digital image authentication from JPEG
headers. IEEE Trans. Information Forensics and Security 6(3), 1066-1075 (thumbnail and
header consistency as an authentication cue). Wang, Z., Bovik, A. C., Sheikh, H. R.,
Simoncelli, E. P. (2004). Image quality assessment: from error visibility to structural
similarity. IEEE Trans. Image Processing 13(4), 600-612 (SSIM).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from PIL import Image

#: Below this global SSIM the thumbnail is judged to show a different picture.
SSIM_DIFFERENT = 0.45
#: A block whose mean absolute difference (0..255, after matching brightness) exceeds this
#: many times the median block difference, and this absolute floor, is a local change.
BLOCK_RATIO = 4.0
BLOCK_FLOOR = 28.0
#: Relative aspect-ratio difference above which the picture was cropped or reframed.
ASPECT_TOLERANCE = 0.04

#: EXIF Orientation -> Pillow transpose operations that make the stored pixels upright.
_ORIENT = {
    2: [Image.Transpose.FLIP_LEFT_RIGHT],
    3: [Image.Transpose.ROTATE_180],
    4: [Image.Transpose.FLIP_TOP_BOTTOM],
    5: [Image.Transpose.TRANSPOSE],
    6: [Image.Transpose.ROTATE_270],
    7: [Image.Transpose.TRANSVERSE],
    8: [Image.Transpose.ROTATE_90],
}


@dataclass
class ThumbComparison:
    """How an embedded thumbnail compares with the main image.

    Attributes
    ----------
    ssim : float
        Structural similarity of the two at thumbnail size (grey, 0..1; 1 = same).
    mean_abs_diff : float
        Mean absolute grey difference (0..255) after matching brightness and contrast.
    max_block_diff : float
        Largest 8x8-block mean absolute difference (0..255).
    local_change_fraction : float
        Fraction of blocks flagged as locally changed.
    aspect_main, aspect_thumb : float
        Width/height of the main image and of the thumbnail's picture area.
    letterbox : tuple of int
        Rows/columns of uniform border removed from the thumbnail (top, bottom, left, right).
    verdict : str
        ``match``, ``different_picture``, ``local_change``, ``cropped_or_reframed`` or
        ``too_small``.
    rotated : int
        Degrees the thumbnail had to be turned to fit (a thumbnail not rotated with the
        picture is common and not a sign of editing).
    diff_map : ndarray
        Per-pixel |difference| at thumbnail size, 0..1 (not serialised).
    """

    ssim: float
    mean_abs_diff: float
    max_block_diff: float
    local_change_fraction: float
    aspect_main: float
    aspect_thumb: float
    letterbox: tuple[int, int, int, int]
    verdict: str
    diff_map: np.ndarray
    rotated: int = 0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("diff_map")
        for k in (
            "ssim",
            "mean_abs_diff",
            "max_block_diff",
            "local_change_fraction",
            "aspect_main",
            "aspect_thumb",
        ):
            d[k] = round(float(d[k]), 4)
        d["letterbox"] = list(self.letterbox)
        return d


def orient(thumb: np.ndarray, orientation: int | None) -> np.ndarray:
    """Apply an EXIF Orientation value (1-8) to a thumbnail, as intake does to the main image."""
    ops = _ORIENT.get(int(orientation or 1), [])
    if not ops:
        return thumb
    im = Image.fromarray(thumb)
    for op in ops:
        im = im.transpose(op)
    return np.asarray(im)


def trim_letterbox(
    gray: np.ndarray, level: float = 12.0
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Remove uniform dark (or light) bars a camera adds to fit a 4:3 thumbnail frame."""
    h, w = gray.shape

    def flat(line: np.ndarray, ref: float) -> bool:
        return bool(abs(float(line.mean()) - ref) < level and float(line.std()) < level / 2)

    ref = float(np.median(np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])))
    if not (ref < 24 or ref > 231):
        return gray, (0, 0, 0, 0)
    top = 0
    while top < h // 3 and flat(gray[top], ref):
        top += 1
    bottom = 0
    while bottom < h // 3 and flat(gray[h - 1 - bottom], ref):
        bottom += 1
    left = 0
    while left < w // 3 and flat(gray[:, left], ref):
        left += 1
    right = 0
    while right < w // 3 and flat(gray[:, w - 1 - right], ref):
        right += 1
    return gray[top : h - bottom, left : w - right], (top, bottom, left, right)


def _gray(rgb: np.ndarray) -> np.ndarray:
    a = np.asarray(rgb)
    if a.ndim == 2:
        return a.astype(np.float32)
    return a[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


def compare_thumbnail(main_rgb: np.ndarray, thumb_rgb: np.ndarray) -> ThumbComparison:
    """Compare an (upright) thumbnail with the main image.

    Parameters
    ----------
    main_rgb : ndarray, uint8, (H, W, 3)
        The main image, orientation applied.
    thumb_rgb : ndarray, uint8, (h, w, 3)
        The embedded thumbnail, orientation applied (:func:`orient`).

    Returns
    -------
    ThumbComparison

    Notes
    -----
    The main image is reduced to the thumbnail's picture area with an area filter, both
    are blurred slightly and brightness/contrast are matched (cameras process thumbnails
    differently), then compared by SSIM and by 8x8-block differences. The main image is
    squeezed to the thumbnail's shape (some cameras store a fixed 160x120 frame); the
    thumbnail is also tried turned by 90 and 270 degrees. A thumbnail smaller
    than 24 pixels a side cannot speak (``too_small``). Thresholds were set on the camera
    files of ../shared/data (all ``match``) and synthetic edits (tests/metadata).
    """
    best: ThumbComparison | None = None
    for k in (0, 1, 3):
        cand = _compare(main_rgb, np.rot90(thumb_rgb, k) if k else thumb_rgb)
        if best is None or cand.ssim > best.ssim + 0.05:
            best = cand
            best.rotated = 90 * k
        if best.verdict == "match" and k == 0:
            break
    assert best is not None
    return best


def _compare(main_rgb: np.ndarray, thumb_rgb: np.ndarray) -> ThumbComparison:
    from scipy.ndimage import gaussian_filter
    from skimage.metrics import structural_similarity

    tg, box = trim_letterbox(_gray(thumb_rgb))
    th, tw = tg.shape
    mh, mw = main_rgb.shape[:2]
    aspect_main = mw / max(mh, 1)
    aspect_thumb = tw / max(th, 1)
    empty = np.zeros((max(th, 1), max(tw, 1)), dtype=np.float32)
    if th < 24 or tw < 24:
        return ThumbComparison(
            0.0, 0.0, 0.0, 0.0, aspect_main, aspect_thumb, box, "too_small", empty
        )
    small = np.asarray(
        Image.fromarray(np.ascontiguousarray(main_rgb[..., :3])).resize(
            (tw, th), Image.Resampling.BOX
        )
    )
    mg = _gray(small)
    a = gaussian_filter(mg, 0.8)
    b = gaussian_filter(tg, 0.8)
    # match brightness/contrast (thumbnails get their own tone curve)
    b = (b - b.mean()) / (b.std() + 1e-6) * (a.std() + 1e-6) + a.mean()
    ssim = float(
        structural_similarity(
            a, b, data_range=255.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False
        )
    )
    diff = np.abs(a - b)
    bh, bw = th // 8, tw // 8
    blocks = diff[: bh * 8, : bw * 8].reshape(bh, 8, bw, 8).mean(axis=(1, 3))
    med = float(np.median(blocks))
    flagged = blocks > max(BLOCK_FLOOR, BLOCK_RATIO * med)
    frac = float(flagged.mean())
    reframed = abs(aspect_main - aspect_thumb) / aspect_main > ASPECT_TOLERANCE
    if ssim < SSIM_DIFFERENT:
        verdict = "cropped_or_reframed" if reframed else "different_picture"
    elif flagged.any():
        verdict = "local_change"
    else:
        verdict = "match"
    return ThumbComparison(
        ssim,
        float(diff.mean()),
        float(blocks.max()),
        frac,
        aspect_main,
        aspect_thumb,
        box,
        verdict,
        np.clip(diff / 64.0, 0, 1).astype(np.float32),
    )


def side_by_side(
    main_rgb: np.ndarray, thumb_rgb: np.ndarray, diff_map: np.ndarray, height: int = 320
) -> np.ndarray:
    """A picture for the reader: thumbnail | main image | difference heatmap, same height."""
    from ..imaging import heatmap_rgb

    def fit(a: np.ndarray) -> np.ndarray:
        h, w = a.shape[:2]
        nw = max(1, round(w * height / max(h, 1)))
        return np.asarray(Image.fromarray(a).resize((nw, height), Image.Resampling.BILINEAR))

    parts = [
        fit(np.ascontiguousarray(thumb_rgb[..., :3])),
        fit(np.ascontiguousarray(main_rgb[..., :3])),
        fit(heatmap_rgb(diff_map)),
    ]
    gap = np.full((height, 8, 3), 255, dtype=np.uint8)
    out = [parts[0], gap, parts[1], gap, parts[2]]
    return np.concatenate(out, axis=1)


__all__ = [
    "ASPECT_TOLERANCE",
    "SSIM_DIFFERENT",
    "ThumbComparison",
    "compare_thumbnail",
    "orient",
    "side_by_side",
    "trim_letterbox",
]
