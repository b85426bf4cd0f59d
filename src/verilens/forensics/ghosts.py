"""JPEG ghosts: regions that were compressed before at a lower quality than the rest.

Pure functions on a luma array and its block DCT.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .blocks import requant_error
from .jpeg_structure import STD_LUMA, ijg_table


@dataclass(frozen=True)
class GhostResult:
    """Output of :func:`jpeg_ghosts`.

    Attributes
    ----------
    qualities : ndarray of int
        Qualities tried.
    curve : ndarray (Q,)
        Median requantisation error of the textured blocks per quality.
    dip : ndarray, float32, (H8, W8)
        Per block, how far its error curve dips below its own typical level at its best
        quality (0 = no dip, 1 = error vanishes): the ghost map. NaN where the block is too
        flat to speak.
    dip_quality : ndarray, int16, (H8, W8)
        The quality at which each block dips most.
    textured_frac : float
        Share of blocks with enough texture to speak.
    """

    qualities: np.ndarray
    curve: np.ndarray
    dip: np.ndarray
    dip_quality: np.ndarray
    textured_frac: float


def jpeg_ghosts(coef: np.ndarray, max_quality: float, qualities: range = range(40, 100, 3),
                min_ac_energy: float = 5.0, smooth: int = 3) -> GhostResult:
    """JPEG ghost maps over a range of qualities, computed in the DCT domain.

    Parameters
    ----------
    coef : ndarray (H8, W8, 8, 8)
        Block DCT of the luma on its compression grid (:func:`verilens.forensics.blocks.block_dct`).
    max_quality : float
        Only qualities at least 4 below this (the file's estimated quality) are searched: at
        and above it every block of a once-compressed picture dips.
    qualities : range
        IJG qualities tried.
    min_ac_energy : float
        Blocks whose mean squared AC coefficient is below this (grey levels²) are too flat
        to show a ghost and are left out.
    smooth : int
        Side (blocks) of the box filter applied to each error map.

    Returns
    -------
    GhostResult

    Notes
    -----
    Farid's difference images are computed by re-saving at each quality; here the
    requantisation error is taken in the DCT domain (Parseval), which is the same up to the
    decoder's rounding and is far cheaper. Each block's error curve is divided by the
    median curve of all textured blocks (removing the quality trend) and then by its own
    median over qualities (removing texture); a block compressed before at quality q1 shows
    a dip at q1. The search covers the grid the file is decoded on, so a pasted region
    whose own grid is misaligned does not show a ghost here (Farid shifts the image; the
    aligned grid is the common case after cropping-free splicing).

    References
    ----------
    .. [1] H. Farid, "Exposing digital forgeries from JPEG ghosts", IEEE Trans. Information
       Forensics and Security 4(1), 154-160, 2009.
    """
    qs = np.array([q for q in qualities if q <= max_quality - 4], dtype=int)
    h8, w8 = coef.shape[:2]
    empty = np.full((h8, w8), np.nan, dtype=np.float32)
    ac = (coef * coef).mean(axis=(2, 3)) - (coef[..., 0, 0] ** 2) / 64.0
    textured = ac > min_ac_energy
    tfrac = float(textured.mean()) if textured.size else 0.0
    if qs.size < 3 or textured.sum() < 16:
        return GhostResult(qs, np.zeros(len(qs)), empty, np.zeros((h8, w8), np.int16), tfrac)
    errs = np.empty((len(qs), h8, w8), dtype=np.float32)
    for i, q in enumerate(qs):
        e = requant_error(coef, ijg_table(STD_LUMA, int(q)))
        errs[i] = ndimage.uniform_filter(e, size=smooth, mode="nearest") if smooth > 1 else e
    curve = np.median(errs[:, textured], axis=1)
    rel = errs / np.maximum(curve, 1e-6)[:, None, None]
    own = np.median(rel, axis=0)
    norm = rel / np.maximum(own, 1e-6)[None]
    best = np.argmin(norm, axis=0)
    dip = np.clip(1.0 - np.take_along_axis(norm, best[None], 0)[0], 0.0, 1.0).astype(np.float32)
    tex_s = ndimage.uniform_filter(textured.astype(np.float32), size=smooth, mode="nearest") > 0.5
    dip[~tex_s] = np.nan
    return GhostResult(qs, curve, dip, qs[best].astype(np.int16), tfrac)


def ghost_regions(res: GhostResult, dip_threshold: float = 0.8, min_frac: float = 0.01) -> tuple[float, int | None, np.ndarray]:
    """The largest connected region of strong ghost dips at one quality.

    Parameters
    ----------
    res : GhostResult
    dip_threshold : float
        Blocks whose dip is at least this count.
    min_frac : float
        Unused in the computation (the caller compares the returned fraction with it);
        kept for the record.

    Returns
    -------
    frac : float
        Largest region's share of the textured blocks.
    quality : int or None
        The quality it dips at (the earlier compression's quality, approximately).
    mask : ndarray of bool (H8, W8)
    """
    d = np.nan_to_num(res.dip, nan=0.0)
    strong = d >= dip_threshold
    n_tex = max(int(np.isfinite(res.dip).sum()), 1)
    best_frac, best_q, best_mask = 0.0, None, np.zeros_like(strong)
    for q in np.unique(res.dip_quality[strong]) if strong.any() else []:
        m = strong & (res.dip_quality == q)
        m = ndimage.binary_opening(m, iterations=1)
        lab, n = ndimage.label(m)
        if n == 0:
            continue
        sizes = np.bincount(lab.ravel())[1:]
        k = int(np.argmax(sizes))
        frac = float(sizes[k]) / n_tex
        if frac > best_frac:
            best_frac, best_q, best_mask = frac, int(q), lab == k + 1
    return best_frac, best_q, best_mask
