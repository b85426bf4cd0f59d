"""Traces of resampling (resizing, rotation) in the periodic spectrum of a predictor residue.

Pure functions on a luma array.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

#: Kirchner's fixed linear predictor (weights of the 8 neighbours).
PREDICTOR = np.array([[-0.25, 0.5, -0.25], [0.5, 0.0, 0.5], [-0.25, 0.5, -0.25]], dtype=np.float32)


@dataclass(frozen=True)
class ResamplingResult:
    """Output of :func:`resampling_map`.

    Attributes
    ----------
    block_score : ndarray, float32, (Nb_rows, Nb_cols)
        Per analysed block, the strongest spectral peak of its p-map over the median
        spectrum level (outside the JPEG/CFA frequencies); NaN for blocks not analysed.
    peak_freq : ndarray, float32, (Nb_rows, Nb_cols, 2)
        Normalised frequency (cycles/pixel, 0..0.5) of that peak, rows and columns.
    block : int
        Block side in pixels.
    analysed : int
        Blocks analysed.
    global_score : float
        Score of the spectrum averaged over all analysed blocks (a whole-picture resize).
    global_freq : tuple of float
    """

    block_score: np.ndarray
    peak_freq: np.ndarray
    block: int
    analysed: int
    global_score: float
    global_freq: tuple[float, float]


def _excluded(n: int, width: int = 2) -> np.ndarray:
    """Frequencies (per axis) that any JPEG or demosaiced photo has: multiples of n/8 (8×8 grid,
    including 1/4 and 1/2 of colour filter arrays) and the DC cross."""
    f = np.fft.fftfreq(n) * n
    bad = np.zeros(n, dtype=bool)
    for k in range(-4, 5):
        bad |= np.abs(f - k * n / 8) <= width
    return bad


def resampling_map(y: np.ndarray, block: int = 128, max_blocks: int = 96) -> ResamplingResult:
    """Periodic correlations left by interpolation, block by block.

    Parameters
    ----------
    y : ndarray (H, W)
        Luma, 0..255, at the picture's own resolution (never rescale before).
    block : int
        Block side in pixels (a power of two is fastest).
    max_blocks : int
        At most this many blocks, spread evenly, are analysed (bounds the cost).

    Returns
    -------
    ResamplingResult

    Notes
    -----
    Kirchner's fast detector: the residue of a fixed linear predictor (scaled by its robust
    spread in each block) is turned into a p-map ``exp(-e²/2)`` whose 2-D spectrum shows sharp peaks when the picture was
    interpolated (resized or rotated). The JPEG block grid and the colour filter array
    produce peaks at multiples of 1/8 cycle per pixel in every photo; those frequencies are
    left out, which also hides resampling factors whose peaks fall there (e.g. exactly 2×
    or 4/3×). Strong JPEG recompression after resampling, noise and downscaling weaken the
    peaks; flat blocks (sky) give no evidence.

    References
    ----------
    .. [1] M. Kirchner, "Fast and reliable resampling detection by spectral analysis of
       fixed linear predictor residue", ACM MM&Sec 2008, 11-20.
    .. [2] A. C. Popescu, H. Farid, "Exposing digital forgeries by detecting traces of
       resampling", IEEE Trans. Signal Processing 53(2), 758-767, 2005.
    """
    a = np.asarray(y, dtype=np.float32)
    H, W = a.shape
    nr, nc = H // block, W // block
    score = np.full((max(nr, 1), max(nc, 1)), np.nan, dtype=np.float32)
    freq = np.full((max(nr, 1), max(nc, 1), 2), np.nan, dtype=np.float32)
    if nr == 0 or nc == 0:
        return ResamplingResult(score, freq, block, 0, 0.0, (0.0, 0.0))
    cells = [(r, c) for r in range(nr) for c in range(nc)]
    if len(cells) > max_blocks:
        pick = np.linspace(0, len(cells) - 1, max_blocks).round().astype(int)
        cells = [cells[i] for i in pick]
    tiles = np.stack([a[r * block:(r + 1) * block, c * block:(c + 1) * block] for r, c in cells])
    pred = ndimage.correlate(tiles, PREDICTOR[None], mode="reflect")
    e = tiles - pred
    spread = np.median(np.abs(e), axis=(1, 2)) * 1.4826
    # smooth blocks (sky, ramps) cannot speak: the quantisation steps of a smooth ramp are
    # themselves periodic
    keep = (tiles.std(axis=(1, 2)) > 4.0) & (spread >= 1.0)
    cells = [cl for cl, k in zip(cells, keep, strict=True) if k]
    tiles, e, spread = tiles[keep], e[keep], spread[keep]
    if not cells:
        return ResamplingResult(score, freq, block, 0, 0.0, (0.0, 0.0))
    # residue in units of its own robust spread (per block), so that the p-map does not
    # saturate on strong texture nor vanish on weak
    scale = spread[:, None, None] + 0.5
    e = e / scale
    pmap = np.exp(-(e * e) / 2.0)
    pmap -= pmap.mean(axis=(1, 2), keepdims=True)
    win = np.outer(np.hanning(block), np.hanning(block)).astype(np.float32)
    spec = np.abs(np.fft.fft2(pmap * win[None], axes=(1, 2)))
    bad = _excluded(block)
    m2 = bad[:, None] & bad[None, :]  # lattice points only: (k/8, l/8)
    # only one half-plane (the spectrum of a real map is symmetric)
    fr = np.fft.fftfreq(block)
    m2 |= (fr[:, None] < 0)
    s = spec.copy()
    s[:, m2] = 0.0
    flat = s.reshape(len(cells), -1)
    med = np.median(spec.reshape(len(cells), -1)[:, ~m2.ravel()], axis=1)
    top = flat.argmax(axis=1)
    ratio = flat[np.arange(len(cells)), top] / np.maximum(med, 1e-9)
    fi, fj = np.unravel_index(top, (block, block))
    for (r, c), sc, i, j in zip(cells, ratio, fi, fj, strict=True):
        score[r, c] = sc
        freq[r, c] = (abs(fr[i]), abs(fr[j]))
    mean_spec = spec.mean(axis=0)
    ms = mean_spec.copy()
    ms[m2] = 0.0
    gi = int(ms.argmax())
    gmed = float(np.median(mean_spec[~m2]))
    gscore = float(ms.ravel()[gi] / max(gmed, 1e-9))
    i, j = np.unravel_index(gi, (block, block))
    return ResamplingResult(score, freq, block, len(cells), gscore, (float(abs(fr[i])), float(abs(fr[j]))))
