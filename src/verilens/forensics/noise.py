"""Noise residual and block-wise noise-level inconsistency.

Pure functions on a luma array.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage


@dataclass(frozen=True)
class NoiseResult:
    """Output of :func:`noise_levels`.

    Attributes
    ----------
    sigma : ndarray, float32, (Hb, Wb)
        Robust noise standard deviation per block (grey levels); NaN for blocks that cannot
        speak (clipped, too dark or too bright).
    z : ndarray, float32, (Hb, Wb)
        Robust z-score of log(sigma) against all valid blocks, after removing what the
        block's brightness explains (robust quadratic regression); the most textured 30 %
        of blocks are left out (NaN).
    residual : ndarray, float32, (H/2, W/2)
        Magnitude of the diagonal high-pass (HH) residual, for display.
    median_sigma : float
    valid_frac : float
    block : int
        Block side in pixels of the input.
    """

    sigma: np.ndarray
    z: np.ndarray
    residual: np.ndarray
    median_sigma: float
    valid_frac: float
    block: int


def haar_hh(y: np.ndarray) -> np.ndarray:
    """Diagonal detail sub-band of a one-level orthonormal Haar wavelet transform.

    Parameters
    ----------
    y : ndarray (H, W)

    Returns
    -------
    ndarray, float32, (H//2, W//2)
    """
    a = np.asarray(y, dtype=np.float32)
    h2, w2 = a.shape[0] // 2, a.shape[1] // 2
    a = a[: 2 * h2, : 2 * w2]
    return 0.5 * (a[0::2, 0::2] - a[0::2, 1::2] - a[1::2, 0::2] + a[1::2, 1::2])


def hh_source_lowpass(a: np.ndarray) -> np.ndarray:
    """Approximation band (2×2 means) of a one-level Haar transform, at half resolution."""
    h2, w2 = a.shape[0] // 2, a.shape[1] // 2
    b = a[: 2 * h2, : 2 * w2]
    return 0.25 * (b[0::2, 0::2] + b[0::2, 1::2] + b[1::2, 0::2] + b[1::2, 1::2])


def noise_levels(y: np.ndarray, block: int = 64, low: float = 8.0, high: float = 247.0,
                 min_sigma: float = 0.6) -> NoiseResult:
    """Block-wise noise level from the median absolute wavelet HH coefficient.

    Parameters
    ----------
    y : ndarray (H, W)
        Luma, 0..255.
    block : int
        Block side in pixels (even).
    low, high : float
        Blocks with more than 10 % of pixels below ``low`` or above ``high`` are left out
        (clipping hides noise).
    min_sigma : float
        Blocks whose estimate is below this (grey levels) are left out: there JPEG
        quantisation, not the sensor, decides the residual, and flat areas of any
        compressed photo would look "too clean".

    Returns
    -------
    NoiseResult

    Notes
    -----
    sigma = median(|HH|) / 0.6745 (Donoho's robust estimator) in each block, as in
    Mahdian & Saic, who use the finest diagonal wavelet sub-band; a Haar wavelet is used
    here for speed. Texture and edges leak into HH and raise the estimate; JPEG compression
    and in-camera denoising lower it in flat areas; noise depends on brightness. The
    z-score compares each block with the whole picture; the caller decides how strong a
    connected deviation must be.

    References
    ----------
    .. [1] B. Mahdian, S. Saic, "Using noise inconsistencies for blind image forensics",
       Image and Vision Computing 27(10), 1497-1503, 2009.
    .. [2] D. L. Donoho, I. M. Johnstone, "Ideal spatial adaptation by wavelet shrinkage",
       Biometrika 81(3), 425-455, 1994.
    """
    a = np.asarray(y, dtype=np.float32)
    hh = haar_hh(a)
    b2 = max(2, block // 2)
    hb, wb = hh.shape[0] // b2, hh.shape[1] // b2
    if hb < 2 or wb < 2:
        nan = np.full((max(hb, 1), max(wb, 1)), np.nan, dtype=np.float32)
        return NoiseResult(nan, nan, np.abs(hh), float("nan"), 0.0, block)
    tiles = np.abs(hh[: hb * b2, : wb * b2]).reshape(hb, b2, wb, b2).transpose(0, 2, 1, 3).reshape(hb, wb, -1)
    sigma = (np.median(tiles, axis=2) / 0.6745).astype(np.float32)
    pix = a[: hb * block, : wb * block].reshape(hb, block, wb, block)
    clipped = ((pix < low) | (pix > high)).mean(axis=(1, 3))
    sigma[clipped > 0.1] = np.nan
    valid = np.isfinite(sigma) & (sigma >= min_sigma)
    if valid.sum() < 8:
        nan = np.full_like(sigma, np.nan)
        return NoiseResult(sigma, nan, np.abs(hh), float(np.nanmedian(sigma)) if valid.any() else float("nan"),
                           float(valid.mean()), block)
    ls = np.log(np.where(valid, sigma, np.nan))
    # what texture and brightness explain is removed first: log(sigma) is regressed on the
    # block's horizontal/vertical detail (texture leaks into HH) and its mean brightness
    # (sensor noise depends on it); the z-score is taken on what is left
    # texture = gradient magnitude of a smoothed copy (sensor noise is mostly removed by the
    # smoothing, so a noisier region is not explained away as "texture")
    # the same 33-tap kernel and reflected border as scipy's gaussian_filter, several times faster
    sm = cv2.GaussianBlur(hh_source_lowpass(a), (33, 33), 4.0, borderType=cv2.BORDER_REFLECT)
    gy, gx = np.gradient(sm)
    grad = np.hypot(gx, gy)[: hb * b2, : wb * b2]
    tex = np.median(grad.reshape(hb, b2, wb, b2).transpose(0, 2, 1, 3).reshape(hb, wb, -1), axis=2)
    bright = pix.mean(axis=(1, 3)) / 255.0
    # the most textured 30 % of blocks are left out (texture leaks into HH), then log(sigma)
    # is regressed on brightness (sensor noise depends on it) and the z-score is taken on
    # what is left
    valid &= tex <= np.nanpercentile(np.where(valid, tex, np.nan), 70)
    ls = np.where(valid, ls, np.nan)
    X = np.stack([np.ones_like(bright), bright, bright * bright], axis=-1)
    v = valid.ravel()
    Xv, yv = X.reshape(-1, 3)[v], ls.ravel()[v]
    keep = np.ones(yv.size, dtype=bool)
    beta = np.zeros(3)
    for _ in range(3):  # least squares with the worst 10 % trimmed each round
        beta = np.linalg.lstsq(Xv[keep], yv[keep], rcond=None)[0]
        r = yv - Xv @ beta
        keep = np.abs(r) <= np.quantile(np.abs(r), 0.9)
    resid = ls - (X @ beta)
    med = float(np.nanmedian(resid))
    mad = float(np.nanmedian(np.abs(resid - med))) * 1.4826
    z = ((resid - med) / max(mad, 0.05)).astype(np.float32)
    return NoiseResult(sigma, z, np.abs(hh), float(np.exp(np.nanmedian(ls))), float(np.isfinite(sigma).mean()), block)


def inconsistent_region(z: np.ndarray, z_threshold: float = 3.0, sigma: np.ndarray | None = None,
                        min_ratio: float = 2.0) -> tuple[float, float, np.ndarray]:
    """The largest connected region of blocks whose noise deviates in one direction.

    Parameters
    ----------
    z : ndarray (Hb, Wb)
        From :func:`noise_levels`.
    z_threshold : float
        |z| needed for a block to count.
    sigma : ndarray, optional
        Block noise levels; when given, a region counts only if its median level differs
        from the rest by at least ``min_ratio`` times (an effect size, not only a z-score).
    min_ratio : float

    Returns
    -------
    frac : float
        Region size as a share of the valid blocks.
    mean_z : float
        Mean z inside the region (sign: + noisier, - cleaner than the rest).
    mask : ndarray of bool
    """
    finite = np.isfinite(z)
    zz = np.nan_to_num(z, nan=0.0)
    best = (0.0, 0.0, np.zeros(z.shape, dtype=bool))
    for sign in (1.0, -1.0):
        m = sign * zz >= z_threshold
        lab, n = ndimage.label(m)
        if n == 0:
            continue
        sizes = np.bincount(lab.ravel())[1:]
        k = int(np.argmax(sizes))
        frac = float(sizes[k]) / max(int(finite.sum()), 1)
        reg = lab == k + 1
        if sigma is not None:
            inside = float(np.nanmedian(sigma[reg]))
            rest = sigma[finite & ~reg]
            outside = float(np.nanmedian(rest)) if rest.size else inside
            ratio = max(inside, outside) / max(min(inside, outside), 1e-6)
            if ratio < min_ratio:
                continue
        if frac > best[0]:
            best = (frac, float(zz[reg].mean()), reg)
    return best


#: Immerkær's noise operator: the difference of two discrete Laplacians, zero on planes and
#: ramps; on white noise of standard deviation s its output has standard deviation 6 s.
_NOISE_OPERATOR = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float32)


def estimate_noise(gray: np.ndarray, block: int = 32, max_blocks: int = 400, percentile: float = 10.0) -> float:
    """Standard deviation of additive white noise in a grey picture (grey levels).

    Parameters
    ----------
    gray : ndarray (H, W)
        Luma, 0..255, at its own resolution (before any resizing).
    block : int
        Side of the blocks the estimate is made in (pixels).
    max_blocks : int
        At most this many blocks, spread evenly over the picture, are measured.
    percentile : float
        The estimate is this percentile of the blocks' estimates.

    Returns
    -------
    float
        0 when the picture is too small or every block is clipped.

    Notes
    -----
    Immerkær's operator [1]_ cancels planes and ramps, so in a block without texture its
    mean absolute output is ``6 s sqrt(2 / pi)`` for white gaussian noise of standard
    deviation ``s``. Texture and edges add to it, so the blocks where it is smallest are
    the ones to trust (the homogeneous-block approach of block-based estimators [2]_): the
    estimate is a low percentile over the blocks. Blocks mostly clipped at 0 or 255 are
    left out (clipping removes noise). Noise that is not white and not additive (JPEG
    quantisation, demosaicking) is seen only in part: the estimate errs low, which is the
    safe side for its use in :func:`verilens.forensics.copy_move.detect_copy_move`.

    References
    ----------
    .. [1] J. Immerkær, "Fast noise variance estimation", Computer Vision and Image
       Understanding 64(2), 300-302, 1996.
    .. [2] S. I. Olsen, "Estimation of noise in images: an evaluation", CVGIP: Graphical
       Models and Image Processing 55(4), 319-323, 1993.
    """
    g = np.asarray(gray, dtype=np.float32)
    H, W = g.shape
    b = block + 2
    if H < b or W < b:
        return 0.0
    ny, nx = (H - 2) // block, (W - 2) // block
    step = max(1, int(np.ceil(np.sqrt(ny * nx / max_blocks))))
    ys = np.arange(0, ny, step) * block
    xs = np.arange(0, nx, step) * block
    blocks = np.stack([g[y:y + b, x:x + b] for y in ys for x in xs])
    clipped = ((blocks <= 2) | (blocks >= 253)).mean(axis=(1, 2)) > 0.5
    blocks = blocks[~clipped]
    if blocks.shape[0] == 0:
        return 0.0
    r = np.zeros((blocks.shape[0], block, block), dtype=np.float32)
    for dy in range(3):
        for dx in range(3):
            r += _NOISE_OPERATOR[dy, dx] * blocks[:, dy:dy + block, dx:dx + block]
    sigma = np.sqrt(np.pi / 2) * np.abs(r).mean(axis=(1, 2)) / 6.0
    return float(np.percentile(sigma, percentile))
