"""Copy-move (cloning) detection: keypoints, geometric verification and a dense pixel mask.

Pure functions on a grey image; no file I/O.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from scipy import ndimage

from ..imaging import root_sift

#: Descriptor index permutation that turns a SIFT descriptor into the descriptor of the
#: horizontally mirrored patch (OpenCV layout: 4 rows x 4 columns x 8 orientation bins,
#: in the keypoint's own frame): rows reversed, orientation bin o -> (8 - o) mod 8.
MIRROR_PERM = np.arange(128).reshape(4, 4, 8)[::-1, :, (8 - np.arange(8)) % 8].ravel()


@dataclass(frozen=True)
class CopyMoveParams:
    """Bounds and thresholds of :func:`detect_copy_move`.

    Attributes
    ----------
    max_side : int
        The image is downscaled (area) so its longer side is at most this (pixels).
    max_keypoints : int
        SIFT keypoint cap (strongest kept).
    ratio : float
        Generalised 2-NN ratio (d_i / d_{i+1} below it keeps neighbour i).
    k : int
        Neighbours examined per keypoint.
    min_shift : float
        Minimum distance between matched keypoints (pixels at the working scale).
    ransac_px : float
        RANSAC reprojection threshold (working-scale pixels).
    min_inliers : int
        Inliers needed for a transform to count.
    max_models : int
        Transforms searched for.
    ncc_threshold : float
        Local normalised correlation needed for a pixel to count as copied.
    ncc_window : int
        Side of the correlation window (pixels).
    min_std : float
        Local standard deviation (grey levels) below which correlation is not trusted.
    min_region_frac : float
        Smallest destination region, as a share of the picture, reported as a clone.
    min_keypoints : int
        Fewer keypoints than this: too little texture to speak.
    contrast_threshold : float
        SIFT contrast threshold (lower finds more keypoints in weak texture); a third of it
        is tried when the first pass finds fewer than half the keypoint cap.
    max_upscale : float
        Pictures smaller than ``max_side`` are enlarged by up to this factor first.
    min_median_ncc : float
        Median correlation inside the destination needed to report it: copied pixels
        correlate almost perfectly, natural look-alikes (symmetric objects) less.
    periodic_ncc : float
        A candidate whose destination also correlates above this with the content two
        steps back along the map is periodic texture, not a clone, and is dropped.
    """

    max_side: int = 1024
    max_keypoints: int = 4000
    ratio: float = 0.7
    k: int = 8
    min_shift: float = 16.0
    ransac_px: float = 3.0
    min_inliers: int = 5
    max_models: int = 4
    ncc_threshold: float = 0.88
    ncc_window: int = 9
    min_std: float = 2.5
    min_region_frac: float = 0.0015
    min_keypoints: int = 60
    contrast_threshold: float = 0.02
    max_upscale: float = 1.6
    periodic_ncc: float = 0.7
    min_median_ncc: float = 0.96

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class CloneMatch:
    """One verified clone: the affine map from source to destination and its support."""

    matrix: np.ndarray  # 2x3, full-resolution pixels, source -> destination
    inliers: int
    mirrored: bool
    dst_frac: float
    mean_ncc: float
    src_bbox: tuple[int, int, int, int]
    dst_bbox: tuple[int, int, int, int]

    def to_dict(self) -> dict[str, Any]:
        a = self.matrix[:, :2]
        scale = float(np.sqrt(abs(np.linalg.det(a))))
        angle = float(np.degrees(np.arctan2(a[1, 0] - (a[0, 1] if self.mirrored else -a[0, 1]),
                                            a[0, 0] + (-a[1, 1] if self.mirrored else a[1, 1]))))
        return {"inliers": self.inliers, "mirrored": self.mirrored, "scale": round(scale, 3),
                "rotation_deg": round(angle, 1), "shift_px": [round(float(self.matrix[0, 2]), 1),
                                                             round(float(self.matrix[1, 2]), 1)],
                "matrix": np.round(self.matrix, 4).tolist(), "destination_frac": round(self.dst_frac, 5),
                "median_ncc": round(self.mean_ncc, 3),
                "source_bbox_xywh": list(self.src_bbox), "destination_bbox_xywh": list(self.dst_bbox)}


@dataclass
class CopyMoveResult:
    """Output of :func:`detect_copy_move`.

    Attributes
    ----------
    mask : ndarray of uint8 (H, W)
        255 where pixels were copied (source and destination), full resolution.
    clones : list of CloneMatch
    keypoints : int
    matches : int
        Candidate matches after the 2-NN test.
    scale : float
        Working scale (working pixels per original pixel).
    low_texture : bool
        Too few keypoints to speak.
    stopped_early : bool
        The time budget ran out before every model was verified.
    timings : dict
    """

    mask: np.ndarray
    clones: list[CloneMatch] = field(default_factory=list)
    keypoints: int = 0
    matches: int = 0
    scale: float = 1.0
    low_texture: bool = False
    stopped_early: bool = False
    rejected_periodic: int = 0
    timings: dict[str, float] = field(default_factory=dict)


def _knn(query: np.ndarray, base: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest neighbours (Euclidean) by one matrix product; rows sorted by distance."""
    qq = (query * query).sum(1)[:, None]
    bb = (base * base).sum(1)[None, :]
    d2 = np.maximum(qq + bb - 2.0 * (query @ base.T), 0.0)
    k = min(k, base.shape[0])
    idx = np.argpartition(d2, k - 1, axis=1)[:, :k]
    dd = np.take_along_axis(d2, idx, 1)
    order = np.argsort(dd, axis=1)
    return np.sqrt(np.take_along_axis(dd, order, 1)), np.take_along_axis(idx, order, 1)


def _g2nn_pairs(dist: np.ndarray, idx: np.ndarray, ratio: float, skip_first: bool) -> tuple[np.ndarray, np.ndarray]:
    """Generalised 2-NN test (Amerini et al.): keep neighbours before the ratio jump."""
    start = 1 if skip_first else 0
    d = dist[:, start:]
    j = idx[:, start:]
    if d.shape[1] < 2:
        return np.zeros(0, int), np.zeros(0, int)
    r = d[:, :-1] / np.maximum(d[:, 1:], 1e-9)
    ok = np.cumprod(r < ratio, axis=1).astype(bool)  # neighbours 0..i kept while ratios stay low
    q, n = np.nonzero(ok)
    return q, j[q, n]


def _local_ncc(a: np.ndarray, b: np.ndarray, win: int, min_std: float) -> np.ndarray:
    """Normalised cross-correlation of two images over a sliding window (NaN where flat)."""
    k = (win, win)
    ma = cv2.boxFilter(a, cv2.CV_32F, k)
    mb = cv2.boxFilter(b, cv2.CV_32F, k)
    va = cv2.boxFilter(a * a, cv2.CV_32F, k) - ma * ma
    vb = cv2.boxFilter(b * b, cv2.CV_32F, k) - mb * mb
    cab = cv2.boxFilter(a * b, cv2.CV_32F, k) - ma * mb
    sa, sb = np.sqrt(np.maximum(va, 0)), np.sqrt(np.maximum(vb, 0))
    ncc = cab / np.maximum(sa * sb, 1e-6)
    ncc[(sa < min_std) | (sb < min_std)] = np.nan
    return ncc


def _bbox(mask: np.ndarray, inv_scale: float) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        return (0, 0, 0, 0)
    x0, y0, x1, y1 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
    return (int(x0 * inv_scale), int(y0 * inv_scale), int((x1 - x0) * inv_scale), int((y1 - y0) * inv_scale))


def _plausible(m: np.ndarray) -> bool:
    a = m[:, :2]
    det = float(np.linalg.det(a))
    if not np.all(np.isfinite(m)) or abs(det) < 0.25 or abs(det) > 4.0:
        return False
    sv = np.linalg.svd(a, compute_uv=False)
    return bool(sv[0] / max(sv[1], 1e-9) < 1.6)  # near-similarity (no strong shear)


def detect_copy_move(gray: np.ndarray, params: CopyMoveParams | None = None,
                     deadline: Callable[[], bool] | None = None) -> CopyMoveResult:
    """Find regions copied inside the same picture, with rotation, scaling and mirroring.

    Parameters
    ----------
    gray : ndarray (H, W)
        Luma, 0..255.
    params : CopyMoveParams, optional
    deadline : callable, optional
        Returns True when the time budget is spent; the search then stops and says so.

    Returns
    -------
    CopyMoveResult

    Notes
    -----
    1. Downscale to ``max_side`` and detect at most ``max_keypoints`` SIFT keypoints
       (RootSIFT descriptors). 2. Match every keypoint against all others with the
       generalised 2-NN test, and against the mirrored descriptors of all others (a
       permutation of the SIFT bins) for flipped copies. 3. Geometric verification: RANSAC
       affine fits (``cv2.estimateAffine2D``) one model at a time on the pairs (both
       directions), removing each model's inliers; implausible maps (strong shear, scale
       outside 0.5..2) are rejected. 4. Dense verification: the picture is warped by each
       model and compared with itself by local normalised correlation; correlated pixels
       connected to the inliers form the destination, and the inverse map gives the source.
       Limits: flat or very small copied regions have too few keypoints (reported as
       inconclusive when the whole picture has little texture); naturally repeated
       structures (windows, tiles, text) can match each other, which the dense correlation
       threshold only partly separates from true clones; heavy recompression, blur, noise
       or strong scaling lower the correlation and shrink the mask.

    References
    ----------
    .. [1] I. Amerini, L. Ballan, R. Caldelli, A. Del Bimbo, G. Serra, "A SIFT-based
       forensic method for copy-move attack detection and transformation recovery", IEEE
       Trans. Information Forensics and Security 6(3), 1099-1110, 2011.
    .. [2] R. Arandjelović, A. Zisserman, "Three things everyone should know to improve
       object retrieval" (RootSIFT), CVPR 2012.
    .. [3] V. Christlein, C. Riess, J. Jordan, C. Riess, E. Angelopoulou, "An evaluation of
       popular copy-move forgery detection approaches", IEEE TIFS 7(6), 1841-1854, 2012.
    """
    p = params or CopyMoveParams()
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    g = np.asarray(gray)
    if g.dtype != np.uint8:
        g = np.clip(g, 0, 255).astype(np.uint8)
    H, W = g.shape
    full_mask = np.zeros((H, W), dtype=np.uint8)
    scale = min(p.max_upscale, p.max_side / max(H, W, 1))
    if abs(scale - 1.0) < 0.05:
        scale = 1.0
    work = cv2.resize(g, (max(1, round(W * scale)), max(1, round(H * scale))),
                      interpolation=cv2.INTER_AREA if scale < 1.0 else cv2.INTER_CUBIC) if scale != 1.0 else g
    h, w = work.shape
    sift = cv2.SIFT_create(nfeatures=p.max_keypoints, contrastThreshold=p.contrast_threshold)  # type: ignore[attr-defined]
    kps, des = sift.detectAndCompute(work, None)
    if len(kps) < p.max_keypoints // 2:
        # weakly textured picture: look again with a lower contrast threshold, so that the
        # copied object still gets keypoints (bounded by the same cap)
        sift = cv2.SIFT_create(nfeatures=p.max_keypoints,  # type: ignore[attr-defined]
                               contrastThreshold=p.contrast_threshold / 3)
        kps, des = sift.detectAndCompute(work, None)
    timings["keypoints_s"] = time.perf_counter() - t0
    n = len(kps)
    res = CopyMoveResult(mask=full_mask, keypoints=n, scale=scale, timings=timings)
    if n < p.min_keypoints or des is None:
        res.low_texture = True
        return res
    pts = np.array([kp.pt for kp in kps], dtype=np.float32)
    d = root_sift(des)
    dm = d[:, MIRROR_PERM]
    t1 = time.perf_counter()
    dist, idx = _knn(d, d, p.k + 1)
    q1, m1 = _g2nn_pairs(dist, idx, p.ratio, skip_first=True)
    dist2, idx2 = _knn(dm, d, p.k)
    q2, m2 = _g2nn_pairs(dist2, idx2, p.ratio, skip_first=False)
    timings["matching_s"] = time.perf_counter() - t1
    groups = []
    for q, m, mirrored in ((q1, m1, False), (q2, m2, True)):
        if q.size == 0:
            continue
        sep = np.linalg.norm(pts[q] - pts[m], axis=1) >= p.min_shift
        q, m = q[sep], m[sep]
        if q.size:
            # a pair a-b and b-a is the same match: keep one of each, then add both directions
            key = np.unique(np.stack([np.minimum(q, m), np.maximum(q, m)], 1), axis=0)
            groups.append((key, mirrored))
    res.matches = int(sum(k.shape[0] for k, _ in groups))
    ncc_cache: dict[bytes, np.ndarray] = {}
    # the comparison is made on a lightly smoothed copy: a copy that was interpolated
    # (rotated, scaled, shifted by a fraction of a pixel) differs from its source mostly at
    # the finest scale, natural look-alikes at every scale
    workf = cv2.GaussianBlur(work.astype(np.float32), (0, 0), 1.0)
    t2 = time.perf_counter()
    union = np.zeros((h, w), dtype=bool)
    for key, mirrored in groups:
        remaining = key
        for _ in range(p.max_models):
            if remaining.shape[0] < p.min_inliers:
                break
            if deadline is not None and deadline():
                res.stopped_early = True
                break
            src = np.concatenate([pts[remaining[:, 0]], pts[remaining[:, 1]]])
            dst = np.concatenate([pts[remaining[:, 1]], pts[remaining[:, 0]]])
            # a similarity (rotation, uniform scale, shift) is fitted: far more stable than a
            # full affine from a few dozen points; mirroring is handled by flipping x first
            if mirrored:
                src = src * np.array([-1.0, 1.0], dtype=np.float32)
            M, inl = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=p.ransac_px,
                                                 maxIters=2000, confidence=0.995, refineIters=10)
            if M is None or inl is None:
                break
            if mirrored:
                M = M.copy()
                M[:, 0] = -M[:, 0]
            inl_b = np.asarray(inl).ravel().astype(bool)
            pair_in = np.logical_or(inl_b[: remaining.shape[0]], inl_b[remaining.shape[0]:])
            n_in = int(pair_in.sum())
            if n_in < p.min_inliers:
                break
            fwd = inl_b[: remaining.shape[0]]
            used = remaining[pair_in]
            remaining = remaining[~pair_in]
            if not _plausible(M):
                continue
            if mirrored != (np.linalg.det(M[:, :2]) < 0):
                continue  # a mirrored match must give a reflecting map, and vice versa
            # dense verification: compare each pixel with where the map says it came from
            warped = cv2.warpAffine(workf, M, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                                    borderValue=np.nan)
            ncc = _local_ncc(workf, np.nan_to_num(warped, nan=0.0), p.ncc_window, p.min_std)
            ncc[np.isnan(warped)] = np.nan
            yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
            Minv = cv2.invertAffineTransform(M)
            sx = Minv[0, 0] * xx + Minv[0, 1] * yy + Minv[0, 2]
            sy = Minv[1, 0] * xx + Minv[1, 1] * yy + Minv[1, 2]
            near = np.hypot(sx - xx, sy - yy) < p.min_shift / 2
            cand = np.nan_to_num(ncc, nan=0.0) >= p.ncc_threshold
            cand &= ~near
            cand = ndimage.binary_closing(cand, structure=np.ones((5, 5), bool), iterations=1)
            cand = ndimage.binary_fill_holes(cand)
            cand = ndimage.binary_opening(cand, structure=np.ones((3, 3), bool))
            lab, nl = ndimage.label(cand)
            if nl == 0:
                continue
            # destination keypoints of the inliers (whichever direction fitted)
            dpts = np.where(fwd[pair_in, None], pts[used[:, 1]], pts[used[:, 0]])
            dx = np.clip(np.round(dpts[:, 0]).astype(int), 0, w - 1)
            dy = np.clip(np.round(dpts[:, 1]).astype(int), 0, h - 1)
            hit = np.unique(lab[dy, dx])
            hit = hit[hit > 0]
            if hit.size == 0:
                continue
            dst_mask = np.isin(lab, hit)
            src_mask = cv2.warpAffine(dst_mask.astype(np.uint8), Minv, (w, h), flags=cv2.INTER_NEAREST) > 0
            frac = float(dst_mask.mean())
            if frac < p.min_region_frac:
                continue
            inside = ncc[dst_mask]
            inside = inside[np.isfinite(inside)]
            mean_ncc = float(np.median(inside)) if inside.size else 0.0
            if mean_ncc < p.min_median_ncc:
                continue
            # periodic texture (fences, tiles, brickwork) matches itself one period away, and
            # also two periods away; a clone matches its source but not what lies one more
            # step beyond it
            M3 = np.vstack([M, [0.0, 0.0, 1.0]])
            periodic = False
            for step in ((M3 @ M3)[:2], cv2.invertAffineTransform(M)):  # two steps back, one step on
                w2 = cv2.warpAffine(workf, step, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                                    borderValue=np.nan)
                n2 = _local_ncc(workf, np.nan_to_num(w2, nan=0.0), p.ncc_window, p.min_std)
                n2[np.isnan(w2)] = np.nan
                vals2 = n2[dst_mask]
                vals2 = vals2[np.isfinite(vals2)]
                if vals2.size > 0.3 * dst_mask.sum() and float(np.median(vals2)) > p.periodic_ncc:
                    periodic = True
                    break
            if periodic:
                res.rejected_periodic += 1
                continue
            inv = 1.0 / scale
            S = np.array([[inv, 0, 0], [0, inv, 0]], dtype=np.float64)
            Mfull = M.astype(np.float64).copy()
            Mfull[:, 2] *= inv
            del S
            union |= dst_mask | src_mask
            res.clones.append(CloneMatch(Mfull, n_in, mirrored, frac, mean_ncc, _bbox(src_mask, inv),
                                         _bbox(dst_mask, inv)))
            ncc_cache.clear()
        if res.stopped_early:
            break
    timings["verification_s"] = time.perf_counter() - t2
    if union.any():
        big = cv2.resize(union.astype(np.uint8) * 255, (W, H), interpolation=cv2.INTER_NEAREST) if scale != 1.0 \
            else union.astype(np.uint8) * 255
        res.mask = big
    timings["total_s"] = time.perf_counter() - t0
    return res
