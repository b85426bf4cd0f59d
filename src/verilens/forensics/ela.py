"""Error level analysis (ELA).

Re-save the picture as JPEG at a known quality and look at how much each part changes.
Regions that were compressed fewer times, or at another quality, than the rest can stand
out. It is a picture for a trained eye, not a detector: textures, edges and saturated
areas also light up.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image
from scipy import ndimage


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
        Robust z-score (median / MAD) of each block's log error relative to its own texture
        (mean absolute Laplacian), so that edges and fine texture alone do not stand out.
    mean_error : float
    """

    error: np.ndarray
    scaled: np.ndarray
    scale: float
    block_error: np.ndarray
    block_z: np.ndarray
    mean_error: float

    def region_frac(self, z_threshold: float) -> tuple[float, float]:
        """Largest connected region of blocks with ``block_z >= z_threshold``.

        Returns
        -------
        frac : float
            Share of all blocks.
        mean_z : float
            Mean z inside it (0 when there is none).
        """
        m = np.nan_to_num(self.block_z, nan=0.0) >= z_threshold
        lab, n = ndimage.label(m)
        if n == 0:
            return 0.0, 0.0
        sizes = np.bincount(lab.ravel())[1:]
        k = int(np.argmax(sizes))
        return float(sizes[k]) / max(m.size, 1), float(self.block_z[lab == k + 1].mean())


def error_level_analysis(rgb: np.ndarray, quality: int = 90, block: int = 16,
                         percentile: float = 99.5) -> ElaResult:
    """Error level analysis of an RGB image.

    Parameters
    ----------
    rgb : ndarray, uint8, (H, W, 3) or (H, W)
        Colour picture, or its luma (faster: one channel to re-save).
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
    arr = np.ascontiguousarray(np.clip(rgb, 0, 255), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="JPEG", quality=int(quality), subsampling=0)
    buf.seek(0)
    resaved = np.asarray(Image.open(buf).convert(Image.fromarray(arr).mode))
    diff8 = cv2.absdiff(arr, np.ascontiguousarray(resaved))
    if diff8.ndim == 3:  # per-pixel max over channels; numpy's axis reduce is ~10x slower here
        diff8 = np.maximum(np.maximum(diff8[..., 0], diff8[..., 1]), diff8[..., 2])
    diff = diff8.astype(np.float32)
    scale = float(np.percentile(diff[:: max(1, diff.shape[0] // 512), :: max(1, diff.shape[1] // 512)], percentile))
    scale = max(scale, 1.0)
    scaled = np.clip(diff / scale, 0.0, 1.0)
    luma8 = arr if arr.ndim == 2 else cv2.cvtColor(arr, cv2.COLOR_RGB2GRAY)
    texture = np.abs(cv2.Laplacian(luma8, cv2.CV_16S, ksize=1)).astype(np.float32)
    h, w = diff.shape
    hb, wb = h // block, w // block
    blocks: np.ndarray
    tex: np.ndarray
    if hb == 0 or wb == 0:
        blocks = np.array([[float(diff.mean())]], dtype=np.float32)
        tex = np.array([[float(texture.mean())]], dtype=np.float32)
    else:
        # block means: OpenCV's area resize by a whole factor (several times faster than numpy)
        blocks = cv2.resize(diff[: hb * block, : wb * block], (wb, hb), interpolation=cv2.INTER_AREA)
        tex = cv2.resize(texture[: hb * block, : wb * block], (wb, hb), interpolation=cv2.INTER_AREA)
    rel = np.log((blocks + 0.5) / (tex + 2.0))
    med = float(np.median(rel))
    mad = float(np.median(np.abs(rel - med))) * 1.4826
    z = (rel - med) / max(mad, 0.05)
    return ElaResult(diff, scaled, scale, blocks.astype(np.float32), z.astype(np.float32), float(diff.mean()))
