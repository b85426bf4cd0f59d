"""8×8 block DCT helpers shared by the JPEG-domain analyses (ghosts, double quantisation).

Pure array functions. The decoded luma of a JPEG, cut on the grid it was compressed on,
gives back the dequantised DCT coefficients up to the decoder's rounding: dividing by the
file's luma table and rounding recovers the quantised integers the file stores (exactly
for all but a few coefficients of tables with steps of 1), without a coefficient-level
JPEG reader.
"""

from __future__ import annotations

import numpy as np
import scipy.fft as sfft


def block_dct(y: np.ndarray, offset: tuple[int, int] = (0, 0)) -> np.ndarray:
    """Orthonormal 2-D DCT-II of every full 8×8 block of a luma image.

    Parameters
    ----------
    y : ndarray (H, W)
        Luma, 0..255 (any float or integer dtype).
    offset : (int, int)
        (row, column) where the grid starts, 0..7.

    Returns
    -------
    ndarray, float32, (H8, W8, 8, 8)
        Coefficients of ``y - 128`` per block, natural order (``[.., u, v]``).

    References
    ----------
    .. [1] ITU-T T.81, A.3.3 (FDCT).
    """
    r, c = offset
    a = np.asarray(y, dtype=np.float32)[r:, c:]
    h8, w8 = a.shape[0] // 8, a.shape[1] // 8
    if h8 == 0 or w8 == 0:
        return np.zeros((0, 0, 8, 8), dtype=np.float32)
    b = (a[: h8 * 8, : w8 * 8] - 128.0).reshape(h8, 8, w8, 8).transpose(0, 2, 1, 3)
    return sfft.dctn(b, axes=(2, 3), norm="ortho", workers=2).astype(np.float32, copy=False)


def blockiness_offset(y: np.ndarray, max_side: int = 1024) -> tuple[tuple[int, int], float]:
    """Where the 8×8 JPEG grid of a decoded image lies, from its blocking artefacts.

    Parameters
    ----------
    y : ndarray (H, W)
        Luma.
    max_side : int
        Only a central crop up to this size is used (pixels), which bounds the cost.

    Returns
    -------
    offset : (int, int)
        (row, column) phase 0..7 of the strongest grid.
    strength : float
        Ratio of the boundary discontinuity at that phase to the median over phases; about
        1 means no visible grid (never compressed, or smoothed/resampled afterwards).

    References
    ----------
    .. [1] W. Luo, Z. Qu, J. Huang, G. Qiu, "A novel method for detecting cropped and
       recompressed image block", ICASSP 2007.
    """
    a = np.asarray(y, dtype=np.float32)
    h, w = a.shape
    r0, c0 = max(0, (h - max_side) // 2) // 8 * 8, max(0, (w - max_side) // 2) // 8 * 8
    a = a[r0:r0 + max_side, c0:c0 + max_side]
    dv = np.abs(np.diff(a, axis=0)).mean(axis=1)  # between row i and i+1
    dh = np.abs(np.diff(a, axis=1)).mean(axis=0)
    if dv.size < 16 or dh.size < 16:
        return (0, 0), 1.0
    pv = np.array([dv[(k + 7) % 8::8].mean() for k in range(8)])  # boundary before row k
    ph = np.array([dh[(k + 7) % 8::8].mean() for k in range(8)])
    rv, rh = int(np.argmax(pv)), int(np.argmax(ph))
    sv = pv[rv] / max(float(np.median(pv)), 1e-6)
    sh = ph[rh] / max(float(np.median(ph)), 1e-6)
    return (rv, rh), float(min(sv, sh))


def requant_error(coef: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Mean squared pixel error per block after requantising coefficients with ``table``.

    By Parseval's theorem (orthonormal DCT) the squared error of the coefficients equals the
    squared pixel error of the re-saved block, before the decoder's rounding and clipping.

    Parameters
    ----------
    coef : ndarray (H8, W8, 8, 8)
    table : ndarray (8, 8)
        Quantisation steps.

    Returns
    -------
    ndarray, float32, (H8, W8)
    """
    t = np.asarray(table, dtype=np.float32)
    d = np.asarray(coef, dtype=np.float32) / t
    np.rint(d, out=d)
    d *= t
    np.subtract(coef, d, out=d)
    d = d.reshape(*d.shape[:2], 64)
    out: np.ndarray = np.einsum("ijk,ijk->ij", d, d) / np.float32(64)  # ~2x faster than a mean over two axes
    return out
