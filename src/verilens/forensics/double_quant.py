"""Aligned double-quantisation (A-DJPG) probability map from DCT coefficient histograms.

Pure functions on the block DCT of the luma and the file's luma table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
from scipy import ndimage

from .jpeg_parse import ZIGZAG


@dataclass(frozen=True)
class DqResult:
    """Output of :func:`double_quant_map`.

    Attributes
    ----------
    prob : ndarray, float32, (H8, W8)
        Per 8×8 block, the probability that it does NOT follow the double-quantisation
        pattern of the rest (high = candidate for a region compressed only once, e.g.
        pasted from elsewhere), smoothed. NaN where no usable frequency.
    periods : dict of int to int
        Zig-zag index -> detected histogram period (frequencies with a period ≥ 2 only).
    strengths : dict of int to float
        Zig-zag index -> spectral peak strength of the period.
    double_compressed : bool
        At least ``min_freqs`` frequencies show a periodic histogram.
    """

    prob: np.ndarray
    periods: dict[int, int] = field(default_factory=dict)
    strengths: dict[int, float] = field(default_factory=dict)
    double_compressed: bool = False


def histogram_period(values: np.ndarray, max_abs: int = 40, min_strength: float = 4.0) -> tuple[int, float]:
    """The period of the double-quantisation artefacts in a histogram of integer coefficients.

    Parameters
    ----------
    values : ndarray of int
        Quantised coefficients of one frequency (all blocks).
    max_abs : int
        Histogram bins -max_abs..max_abs (the zero bin is left out).
    min_strength : float
        Peak of the magnitude spectrum over its median needed to accept a period.

    Returns
    -------
    period : int
        1 when no periodicity is found.
    strength : float
    """
    v = values[(values != 0) & (np.abs(values) <= max_abs)]
    if v.size < 500:
        return 1, 0.0
    h = np.bincount(np.abs(v), minlength=max_abs + 1)[1:].astype(np.float64)  # |k| = 1..max_abs
    nz = np.flatnonzero(h)
    if nz.size < 6:
        return 1, 0.0
    h = h[: nz[-1] + 1]
    if h.size < 8:
        return 1, 0.0
    # remove the smooth (Laplacian-like) envelope so that only the periodic ripple remains
    env = ndimage.uniform_filter1d(h, size=5, mode="nearest")
    ripple = (h - env) / np.maximum(env, 1.0)
    spec = np.abs(np.fft.rfft(ripple * np.hanning(ripple.size)))
    if spec.size < 3:
        return 1, 0.0
    spec[0] = 0.0
    k = int(np.argmax(spec[1:]) + 1)
    strength = float(spec[k] / max(np.median(spec[1:]), 1e-9))
    period = int(round(ripple.size / k))
    if strength < min_strength or period < 2 or period > ripple.size // 3:
        return 1, strength
    return period, strength


def double_quant_map(coef: np.ndarray, table: np.ndarray, n_freqs: int = 12, min_freqs: int = 2,
                     smooth: int = 5) -> DqResult:
    """Lin et al.'s aligned double-quantisation map on the file's own grid.

    Parameters
    ----------
    coef : ndarray (H8, W8, 8, 8)
        Block DCT of the decoded luma on the file's grid.
    table : ndarray (8, 8)
        The file's luma quantisation table (natural order).
    n_freqs : int
        Low AC frequencies used (zig-zag 1..n_freqs).
    min_freqs : int
        Frequencies with a periodic histogram needed to call the picture double-compressed.
    smooth : int
        Median filter side (blocks) for the map.

    Returns
    -------
    DqResult

    Notes
    -----
    The quantised integers are recovered as ``round(coef / table)``. In a picture
    compressed twice on the same grid, each frequency's histogram is periodic; for a bin
    ``k`` inside a period of length ``p`` the chance that a block belongs to the doubly
    compressed part is proportional to ``h(k) / sum(period)``, while a region compressed
    once (pasted from another picture, or from a non-aligned source) spreads uniformly
    (``1/p``). Per block the likelihood ratios of the usable frequencies are multiplied
    (zero coefficients carry no evidence and are skipped). It cannot speak when the
    picture shows no double compression, when the second quality is much lower than the
    first (the periodic pattern vanishes) or for regions too flat to have non-zero
    coefficients.

    References
    ----------
    .. [1] Z. Lin, J. He, X. Tang, C.-K. Tang, "Fast, automatic and fine-grained tampered
       JPEG image detection via DCT coefficient analysis", Pattern Recognition 42(11),
       2492-2501, 2009.
    """
    h8, w8 = coef.shape[:2]
    flat_coef = coef.reshape(h8, w8, 64)
    flat_table = np.asarray(table, dtype=np.float32).reshape(64)
    log_ratio = np.zeros((h8, w8), dtype=np.float32)
    informative = np.zeros((h8, w8), dtype=np.int16)
    periods: dict[int, int] = {}
    strengths: dict[int, float] = {}
    for zz in range(1, n_freqs + 1):
        idx = int(ZIGZAG[zz])
        k = np.round(flat_coef[..., idx] / flat_table[idx]).astype(np.int32)
        p, s = histogram_period(k.ravel())
        strengths[zz] = round(s, 2)
        if p < 2:
            continue
        periods[zz] = p
        a = np.abs(k)
        top = int(min(a.max(), 400))
        h = np.bincount(np.minimum(a, top).ravel(), minlength=top + 1).astype(np.float64)
        # period window centred on each bin: sum of h over [k - p//2, k - p//2 + p)
        c = np.concatenate([[0.0], np.cumsum(h)])
        lo = np.clip(np.arange(top + 1) - p // 2, 1, None)
        hi = np.clip(lo + p, None, top + 1)
        win = (c[hi] - c[lo]) * p / np.maximum(hi - lo, 1)
        pu = h / np.maximum(win, 1e-9)  # P(bin | doubly compressed) relative to the period
        ratio = np.clip(pu * p, 1e-3, 1e3)  # (h/sum)/(1/p)
        ratio[0] = 1.0
        r = ratio[np.minimum(a, top)]
        log_ratio += np.log(r).astype(np.float32)
        informative += (a > 0).astype(np.int16)
    dq = len(periods) >= min_freqs
    if not periods:
        return DqResult(np.full((h8, w8), np.nan, dtype=np.float32), periods, strengths, False)
    prob = 1.0 / (1.0 + np.exp(np.clip(log_ratio, -30, 30)))
    prob = np.where(informative > 0, prob, np.nan)
    filled = np.where(np.isfinite(prob), prob, 0.5)
    filled = filled.astype(np.float32)
    # OpenCV's median (replicated border, like mode="nearest") takes float32 only for sizes 3 and 5
    sm = cv2.medianBlur(filled, smooth) if smooth in (3, 5) else ndimage.median_filter(filled, size=smooth, mode="nearest")
    sm[~np.isfinite(prob) & (ndimage.uniform_filter(np.isfinite(prob).astype(np.float32), smooth) < 0.3)] = np.nan
    return DqResult(sm, periods, strengths, dq)


def dq_region(prob: np.ndarray, threshold: float = 0.85, min_blocks: int = 64) -> tuple[float, np.ndarray]:
    """Largest connected region of blocks whose map value is at least ``threshold``.

    Returns
    -------
    frac : float
        Share of the informative blocks.
    mask : ndarray of bool
    """
    finite = np.isfinite(prob)
    m = np.nan_to_num(prob, nan=0.0) >= threshold
    m = ndimage.binary_opening(m, iterations=2)
    lab, n = ndimage.label(m)
    if n == 0:
        return 0.0, np.zeros_like(m)
    sizes = np.bincount(lab.ravel())[1:]
    k = int(np.argmax(sizes))
    if sizes[k] < min_blocks:
        return 0.0, np.zeros_like(m)
    return float(sizes[k]) / max(int(finite.sum()), 1), lab == k + 1
