"""Noise residual and block-wise noise-level inconsistency.

Pure functions on a luma array.
"""

from __future__ import annotations

from dataclasses import dataclass

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
        Robust z-score of log(sigma) against all valid blocks.
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


def noise_levels(y: np.ndarray, block: int = 64, low: float = 8.0, high: float = 247.0) -> NoiseResult:
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
    valid = np.isfinite(sigma) & (sigma > 0.05)
    if valid.sum() < 8:
        nan = np.full_like(sigma, np.nan)
        return NoiseResult(sigma, nan, np.abs(hh), float(np.nanmedian(sigma)) if valid.any() else float("nan"),
                           float(valid.mean()), block)
    ls = np.log(np.where(valid, sigma, np.nan))
    med = float(np.nanmedian(ls))
    mad = float(np.nanmedian(np.abs(ls - med))) * 1.4826
    z = ((ls - med) / max(mad, 0.05)).astype(np.float32)
    return NoiseResult(sigma, z, np.abs(hh), float(np.exp(med)), float(valid.mean()), block)


def inconsistent_region(z: np.ndarray, z_threshold: float = 3.0) -> tuple[float, float, np.ndarray]:
    """The largest connected region of blocks whose noise deviates in one direction.

    Parameters
    ----------
    z : ndarray (Hb, Wb)
        From :func:`noise_levels`.
    z_threshold : float
        |z| needed for a block to count.

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
        if frac > best[0]:
            reg = lab == k + 1
            best = (frac, float(zz[reg].mean()), reg)
    return best
