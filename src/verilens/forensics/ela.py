"""Error level analysis (ELA).

Re-save the picture as JPEG at a known quality and look at how much each part changes.
Regions that were compressed fewer times, or at another quality, than the rest can stand
out. It is a picture for a trained eye, not a detector: textures, edges and saturated
areas also light up.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class ElaResult:
    """Output of :func:`error_level_analysis`.

    Attributes
    ----------
    error : ndarray, float32, (H, W)
        Per-pixel absolute error (max over R, G, B), 0..255.
    scaled : ndarray, float32, (H, W)
        ``error`` divided by the image's own high percentile, clipped to 0..1 (the heatmap).
    scale : float
        The percentile value used for scaling.
    block_error : ndarray, float32, (H//B, W//B)
        Mean error per block.
    block_z : ndarray, float32
        Robust z-score of each block's error against all blocks (median / MAD).
    mean_error : float
    """

    error: np.ndarray
    scaled: np.ndarray
    scale: float
    block_error: np.ndarray
    block_z: np.ndarray
    mean_error: float


def error_level_analysis(rgb: np.ndarray, quality: int = 90, block: int = 16,
                         percentile: float = 99.5) -> ElaResult:
    """Error level analysis of an RGB image.

    Parameters
    ----------
    rgb : ndarray, uint8, (H, W, 3)
    quality : int
        JPEG quality of the re-save (libjpeg scale, 1..100).
    block : int
        Block size in pixels for the block statistics.
    percentile : float
        Percentile of the error distribution that maps to 1.0 in ``scaled``: the heatmap is
        scaled to the image's own errors, not to a fixed constant.

    Returns
    -------
    ElaResult

    Notes
    -----
    Meaningful mainly for JPEG originals saved once or twice. Heavy recompression
    equalises error levels everywhere and ELA then cannot speak; high-frequency texture
    shows high error whether or not it was edited.

    References
    ----------
    .. [1] N. Krawetz, "A Picture's Worth... Digital Image Analysis and Forensics",
       Black Hat Briefings, 2007.
    """
    arr = np.ascontiguousarray(rgb, dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="JPEG", quality=int(quality), subsampling=0)
    buf.seek(0)
    resaved = np.asarray(Image.open(buf).convert("RGB"))
    diff = np.abs(arr.astype(np.int16) - resaved.astype(np.int16)).max(axis=2).astype(np.float32)
    scale = float(np.percentile(diff[:: max(1, diff.shape[0] // 512), :: max(1, diff.shape[1] // 512)], percentile))
    scale = max(scale, 1.0)
    scaled = np.clip(diff / scale, 0.0, 1.0)
    h, w = diff.shape
    hb, wb = h // block, w // block
    if hb == 0 or wb == 0:
        blocks = np.array([[float(diff.mean())]], dtype=np.float32)
    else:
        blocks = diff[: hb * block, : wb * block].reshape(hb, block, wb, block).mean(axis=(1, 3))
    med = float(np.median(blocks))
    mad = float(np.median(np.abs(blocks - med))) * 1.4826
    z = (blocks - med) / max(mad, 0.25)
    return ElaResult(diff, scaled, scale, blocks.astype(np.float32), z.astype(np.float32), float(diff.mean()))
