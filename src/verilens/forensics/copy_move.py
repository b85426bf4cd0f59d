"""Copy-move (cloning) detection: keypoints, geometric verification and a dense pixel mask.

Pure functions on a grey image; no file I/O.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import cv2
import numpy as np

from ..imaging import root_sift, round_robin
from .noise import estimate_noise

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
        SIFT keypoint cap.
    strong_share : float
        Share of the cap given to the strongest keypoints; the rest is spread evenly over
        the picture (cells of ``cell`` pixels), so weakly textured areas keep keypoints too.
    cell : int
        Side of the cells the spread keypoints are drawn from (working-scale pixels).
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
    seed_ncc : float
        Local correlation that seeds a region for the dense refinement of the map.
    ncc_threshold : float
        Local normalised correlation (after refinement) needed for a pixel to count as copied.
    ncc_window : int
        Side of the correlation window (pixels).
    min_std : float
        Local standard deviation of the signal (grey levels, noise removed) below which
        correlation is not trusted.
    exact_window : int
        Side of the windows compared for exact (pixel-identical) copies moved without
        rotation or scaling (pixels, original resolution).
    exact_max_pixels : int
        Pictures larger than this (pixels) skip the exact search: it runs at the
        original resolution.
    exact_min_std : float
        Windows flatter than this (standard deviation, grey levels) are not compared
        exactly (a constant or clipped patch equals every other one).
    noise_aware : bool
        Estimate the picture's white noise and correct the correlation for it.
    min_snr : float
        Windows whose signal variance is below this multiple of the estimated noise
        variance are not trusted either: there the noise, not the content, sets the
        correlation. The correlation of the others is corrected for the noise (see
        :func:`estimate_noise` and the Notes of :func:`detect_copy_move`).
    min_region_frac : float
        Smallest destination region, as a share of the picture, reported as a clone.
    min_keypoints : int
        Fewer keypoints than this: too little texture to speak.
    contrast_threshold : float
        SIFT contrast threshold (low, so that weak texture has keypoints; the cap bounds
        the work).
    max_upscale : float
        Pictures smaller than ``max_side`` are enlarged by up to this factor first.
    min_median_ncc : float
        Median correlation inside the destination needed to report it: copied pixels
        correlate almost perfectly, natural look-alikes (symmetric objects) less. It must
        hold both over the whole destination and over its two-dimensionally textured
        windows alone (see ``min_eig_ratio``).
    min_eig_ratio : float
        A correlation window is two-dimensionally textured when the smaller eigenvalue of
        its structure tensor is at least this share of the larger one; 0.05 is the
        Harris-Stephens corner condition det - k trace^2 > 0 with k = 0.045. Only such
        windows pin a map in both directions: along an edge, a line or a stripe any shift
        correlates (the aperture problem).
    periodic_ncc : float
        A candidate whose destination also correlates above this with the content two
        steps back along the map is periodic texture, not a clone, and is dropped.
    """

    max_side: int = 1024
    max_keypoints: int = 6000
    strong_share: float = 0.67
    cell: int = 32
    ratio: float = 0.7
    k: int = 8
    min_shift: float = 16.0
    ransac_px: float = 3.0
    min_inliers: int = 5
    max_models: int = 4
    seed_ncc: float = 0.8
    ncc_threshold: float = 0.88
    ncc_window: int = 9
    min_std: float = 2.5
    exact_window: int = 8
    exact_max_pixels: int = 4_200_000
    exact_min_std: float = 1.0
    noise_aware: bool = True
    min_snr: float = 1.0
    min_region_frac: float = 0.0015
    min_keypoints: int = 60
    contrast_threshold: float = 0.005
    max_upscale: float = 1.6
    periodic_ncc: float = 0.7
    min_median_ncc: float = 0.96
    min_eig_ratio: float = 0.05

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
    median_ncc_2d: float = 0.0  # over the two-dimensionally textured windows of the destination
    method: str = "keypoints"  # or "exact": pixel-identical windows, found without keypoints

    def to_dict(self) -> dict[str, Any]:
        a = self.matrix[:, :2]
        scale = float(np.sqrt(abs(np.linalg.det(a))))
        angle = float(np.degrees(np.arctan2(a[1, 0] - (a[0, 1] if self.mirrored else -a[0, 1]),
                                            a[0, 0] + (-a[1, 1] if self.mirrored else a[1, 1]))))
        return {"inliers": self.inliers, "mirrored": self.mirrored, "scale": round(scale, 3),
                "rotation_deg": round(angle, 1), "shift_px": [round(float(self.matrix[0, 2]), 1),
                                                             round(float(self.matrix[1, 2]), 1)],
                "matrix": np.round(self.matrix, 4).tolist(), "destination_frac": round(self.dst_frac, 5),
                "median_ncc": round(self.mean_ncc, 3), "median_ncc_textured": round(self.median_ncc_2d, 3),
                "method": self.method,
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
    rejected_periodic : int
        Candidates dropped as periodic texture.
    rejected_edges : int
        Candidates that correlate well only along edges, lines or stripes (their
        two-dimensionally textured windows do not agree).
    noise_std : float
        Estimated white noise of the picture (grey levels, original resolution; see
        :func:`estimate_noise`).
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
    rejected_edges: int = 0
    noise_std: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


def _knn(query: np.ndarray, base: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest neighbours (Euclidean, brute force by faiss); rows sorted by distance."""
    import faiss

    k = min(k, base.shape[0])
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)  # checks already run side by side: one thread each is fastest
    try:
        d2, idx = faiss.knn(np.ascontiguousarray(query, dtype=np.float32),
                            np.ascontiguousarray(base, dtype=np.float32), k)
    finally:
        faiss.omp_set_num_threads(threads)
    return np.sqrt(np.maximum(d2, 0.0)), idx.astype(np.int64)


def _select(pts: np.ndarray, response: np.ndarray, n: int, strong: int, cell: int) -> np.ndarray:
    """Indices of at most ``n`` keypoints: the ``strong`` strongest, then the rest spread out.

    The spread part is drawn round-robin over square cells of side ``cell``: every cell's
    strongest remaining keypoint comes before any cell's second, and so on.
    """
    if len(pts) <= n:
        return np.arange(len(pts))
    by_resp = np.argsort(-response, kind="stable")
    head, rest = by_resp[:strong], by_resp[strong:]
    ncols = int(pts[:, 0].max() // cell) + 1
    cid = (pts[rest, 1] // cell).astype(np.int64) * ncols + (pts[rest, 0] // cell).astype(np.int64)
    spread = rest[round_robin(cid, response[rest])[: n - strong]]
    return np.concatenate([head, spread])


def _g2nn_pairs(dist: np.ndarray, idx: np.ndarray, ratio: float) -> tuple[np.ndarray, np.ndarray]:
    """Generalised 2-NN test (Amerini et al.): keep neighbours before the ratio jump."""
    if dist.shape[1] < 2:
        return np.zeros(0, int), np.zeros(0, int)
    r = dist[:, :-1] / np.maximum(dist[:, 1:], 1e-9)
    ok = np.cumprod(r < ratio, axis=1).astype(bool)  # neighbours 0..i kept while ratios stay low
    q, n = np.nonzero(ok)
    return q, idx[q, n]


def _drop_self(dist: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Remove each query's own entry from its neighbour list (one column fewer)."""
    own = idx == np.arange(idx.shape[0])[:, None]
    dist = np.where(own, np.inf, dist)
    order = np.argsort(dist, axis=1, kind="stable")[:, :-1]
    return np.take_along_axis(dist, order, 1), np.take_along_axis(idx, order, 1)


#: Gaussian blur (sigma, working pixels) of the copy pixels are compared on.
_COMPARE_BLUR = 1.0


@lru_cache(maxsize=64)
def _noise_gain(scale: float, blur: float) -> float:
    """Standard deviation, after the resize to the working scale and the comparison blur, of
    unit white noise at the original resolution (a fixed simulation: exact for white noise
    whatever the interpolation does)."""
    n: np.ndarray = np.random.default_rng(0).standard_normal((256, 256)).astype(np.float32)
    if scale != 1.0:
        side = max(16, round(256 * scale))
        n = cv2.resize(n, (side, side), interpolation=cv2.INTER_AREA if scale < 1.0 else cv2.INTER_CUBIC)
    n = cv2.GaussianBlur(n, (0, 0), blur)
    m = 8
    return float(n[m:-m, m:-m].std())


class _Correlator:
    """Local normalised correlation of a picture with warped copies of itself.

    The window statistics of the picture are computed once and shared by every map.
    """

    def __init__(self, img: np.ndarray, win: int, min_std: float, noise_var: float = 0.0,
                 min_snr: float = 1.0) -> None:
        self.img, self.k, self.min_std = img, (win, win), min_std
        self.noise_var, self.min_snr = float(noise_var), min_snr
        self.mean = cv2.boxFilter(img, cv2.CV_32F, self.k)
        self.var = np.maximum(cv2.boxFilter(img * img, cv2.CV_32F, self.k) - self.mean * self.mean, 0)
        self.std = np.sqrt(self.var)
        self.untrusted = self._untrusted(self.var)
        #: share of each window's variance that is signal (the picture's side of the noise correction)
        self.rel = np.maximum(self.var - self.noise_var, 1e-6) / np.maximum(self.var, 1e-6)
        h, w = img.shape
        self.yy, self.xx = np.mgrid[0:h, 0:w].astype(np.float32)

    def _untrusted(self, var: np.ndarray) -> np.ndarray:
        """Windows too flat to vouch: little signal, or less signal than noise."""
        signal = var - self.noise_var
        return (signal < self.min_std ** 2) | (signal < self.min_snr * self.noise_var)

    @cached_property
    def eig_ratio(self) -> np.ndarray:
        """Smaller over larger eigenvalue of every window's structure tensor (0: an edge, 1: isotropic)."""
        gx = cv2.Sobel(self.img, cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(self.img, cv2.CV_32F, 0, 1, ksize=3)
        jxx, jyy, jxy = (cv2.boxFilter(a, cv2.CV_32F, self.k) for a in (gx * gx, gy * gy, gx * gy))
        half = 0.5 * (jxx + jyy)
        disc = np.sqrt(0.25 * (jxx - jyy) ** 2 + jxy * jxy)
        out: np.ndarray = (half - disc) / np.maximum(half + disc, 1e-6)
        return out

    def __call__(self, M: np.ndarray, min_shift: float = 0.0) -> np.ndarray:
        """Correlation of every pixel's window with the window the map ``M`` says it came from.

        NaN where either window is flat (or mostly noise), where the source falls outside
        the picture, and where the map moves a pixel by less than ``min_shift`` (compared
        with itself). With a noise variance, the correlation is corrected for the noise.
        """
        img = self.img
        h, w = img.shape
        b = cv2.warpAffine(img, M, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                           borderValue=np.nan)
        invalid = np.isnan(b)
        b[invalid] = 0.0
        mb = cv2.boxFilter(b, cv2.CV_32F, self.k)
        vb = np.maximum(cv2.boxFilter(b * b, cv2.CV_32F, self.k) - mb * mb, 0)
        ncc = (cv2.boxFilter(img * b, cv2.CV_32F, self.k) - self.mean * mb) / np.maximum(self.std * np.sqrt(vb), 1e-6)
        if self.noise_var > 0:
            # correction for attenuation (Spearman): noise of variance n in both windows
            # lowers the correlation of identical content by sqrt(rel_a rel_b), where
            # rel = (var - n) / var is the share of a window's variance that is signal
            rel = self.rel * np.maximum(vb - self.noise_var, 1e-6) / np.maximum(vb, 1e-6)
            ncc = np.minimum(ncc / np.sqrt(rel), 1.0)
        invalid |= self.untrusted | self._untrusted(vb)
        if min_shift > 0:
            inv = cv2.invertAffineTransform(M)
            ex = inv[0, 0] * self.xx + inv[0, 1] * self.yy + (inv[0, 2] - self.xx)
            ey = inv[1, 0] * self.xx + inv[1, 1] * self.yy + (inv[1, 2] - self.yy)
            invalid |= ex * ex + ey * ey < min_shift * min_shift
        ncc[invalid] = np.nan
        return ncc


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    """``mask`` with every background area not connected to the border filled."""
    h, w = mask.shape
    pad = np.zeros((h + 2, w + 2), np.uint8)
    pad[1:-1, 1:-1] = mask.astype(np.uint8) * 2
    cv2.floodFill(pad, None, (0, 0), 1, flags=4)
    return pad[1:-1, 1:-1] != 1


def _refine(img: np.ndarray, M: np.ndarray, region: np.ndarray, iterations: int = 12) -> np.ndarray | None:
    """Refine a similarity map ``M`` (source -> destination) by dense alignment on a region.

    Gauss-Newton on the intensities of the destination ``region`` and of where the map
    says they came from, with a gain and an offset (so that what is maximised is their
    correlation, as in ECC), over the four parameters of a similarity (rotation, scale,
    shift; mirroring is kept fixed), first on a more blurred copy (a wider basin), then on
    ``img``. Returns None when the solve is degenerate.
    """
    ys, xs = np.nonzero(region)
    if ys.size < 16:
        return None
    out: np.ndarray | None = M
    for sigma in (2.0, 0.0):
        if out is None:
            break
        out = _gauss_newton(cv2.GaussianBlur(img, (0, 0), sigma) if sigma else img, out, ys, xs, iterations)
    return out


def _sample(img: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Bilinear samples of ``img`` at points (x, y) (reflected at the border), as float64."""
    n = x.size
    cols = 1024
    pad = (-n) % cols
    mx = np.pad(x.astype(np.float32), (0, pad)).reshape(-1, cols)
    my = np.pad(y.astype(np.float32), (0, pad)).reshape(-1, cols)
    out = cv2.remap(img, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return out.ravel()[:n].astype(np.float64)


def _gauss_newton(img: np.ndarray, M: np.ndarray, ys: np.ndarray, xs: np.ndarray, iterations: int) -> np.ndarray | None:
    gy, gx = np.gradient(img)
    inv = cv2.invertAffineTransform(M).astype(np.float64)  # destination -> source
    flip = np.linalg.det(inv[:, :2]) < 0
    c = np.array([xs.mean(), ys.mean()])
    u, v = xs - c[0], ys - c[1]
    if flip:
        u = -u
    t_val = img[ys, xs].astype(np.float64)
    # parameters of inv in the centred, unflipped frame: src = [[a, -b], [b, a]] (F (x - c)) + t
    A = inv[:, :2] @ (np.diag([-1.0, 1.0]) if flip else np.eye(2))
    a, b = (A[0, 0] + A[1, 1]) / 2, (A[1, 0] - A[0, 1]) / 2
    t = inv[:, :2] @ c + inv[:, 2]
    for _ in range(iterations):
        sx = (a * u - b * v + t[0]).astype(np.float32)
        sy = (b * u + a * v + t[1]).astype(np.float32)
        val, ix, iy = (_sample(im, sx, sy) for im in (img, gx, gy))
        # model: t_val = gain * I(W(x; a, b, tx, ty)) + offset
        A_ = np.stack([val, np.ones_like(val)], 1)
        gain, offset = np.linalg.lstsq(A_, t_val, rcond=None)[0]
        r = t_val - gain * val - offset
        J = np.stack([gain * (ix * u + iy * v), gain * (-ix * v + iy * u), gain * ix, gain * iy, val,
                      np.ones_like(val)], 1)
        try:
            step = np.linalg.solve(J.T @ J + 1e-6 * np.eye(6), J.T @ r)
        except np.linalg.LinAlgError:
            return None
        a, b, t = a + step[0], b + step[1], t + step[2:4]
        if not np.all(np.isfinite([a, b, *t])):
            return None
        if abs(step[2]) < 1e-3 and abs(step[3]) < 1e-3 and abs(step[0]) < 1e-5 and abs(step[1]) < 1e-5:
            break
    A = np.array([[a, -b], [b, a]]) @ (np.diag([-1.0, 1.0]) if flip else np.eye(2))
    out = np.hstack([A, (t - A @ c)[:, None]])
    return cv2.invertAffineTransform(out)


def _regions_at(mask: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The connected regions (4-connected) of ``mask`` that contain any of the points (x, y)."""
    nl, lab = cv2.connectedComponents(mask.astype(np.uint8), connectivity=4)
    hit = np.unique(lab[y, x])
    hit = hit[hit > 0]
    if nl <= 1 or hit.size == 0:
        return np.zeros(mask.shape, bool)
    keep = np.zeros(nl, bool)
    keep[hit] = True
    return keep[lab]


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


@dataclass
class _Verified:
    matrix: np.ndarray  # working scale, source -> destination
    dst: np.ndarray  # bool mask, working scale
    src: np.ndarray
    median_ncc: float
    median_ncc_2d: float  # over the two-dimensionally textured windows only


def _median(values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    return float(np.median(values)) if values.size else 0.0


def _verify(corr: _Correlator, M: np.ndarray, dpts: np.ndarray, p: CopyMoveParams) -> _Verified | str:
    """Dense verification of one map: the copied region, or the reason there is none."""
    h, w = corr.img.shape
    dx = np.clip(np.round(dpts[:, 0]).astype(int), 0, w - 1)
    dy = np.clip(np.round(dpts[:, 1]).astype(int), 0, h - 1)
    near = p.min_shift / 2  # a pixel compared with itself or its neighbours says nothing
    # 1. seed: pixels around the inliers that the keypoint map already correlates
    ncc = corr(M, near)
    seed = _regions_at(ncc >= p.seed_ncc, dx, dy)
    if not seed.any():
        return "no correlated pixels at the matched keypoints"
    # 2. the keypoint map is only as precise as the keypoints: refine it densely on the
    # seed, and keep whichever map correlates more pixels
    cand = ncc >= p.ncc_threshold
    refined = _refine(corr.img, M, seed)
    if refined is not None and _plausible(refined) and (np.linalg.det(refined[:, :2]) < 0) == (np.linalg.det(M[:, :2]) < 0):
        ncc_r = corr(refined, near)
        cand_r = ncc_r >= p.ncc_threshold
        if cand_r.sum() > cand.sum():
            M, cand, ncc = refined, cand_r, ncc_r
    c8 = cv2.morphologyEx(cand.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    c8 = _fill_holes(c8).astype(np.uint8)
    c8 = cv2.morphologyEx(c8, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    core = _regions_at(c8 > 0, dx, dy)
    if not core.any():
        return "no correlated region at the matched keypoints"
    med = _median(ncc[core])
    med_2d = _median(ncc[core & (corr.eig_ratio >= p.min_eig_ratio)])
    # every pixel of a well-correlated window was copied: grow the region by half a window
    dst = cv2.dilate(core.astype(np.uint8), np.ones((p.ncc_window, p.ncc_window), np.uint8)) > 0
    src = cv2.warpAffine(dst.astype(np.uint8), cv2.invertAffineTransform(M), (w, h), flags=cv2.INTER_NEAREST) > 0
    return _Verified(M, dst, src, med, med_2d)


def _periodic(corr: _Correlator, M: np.ndarray, dst: np.ndarray, p: CopyMoveParams) -> bool:
    """Periodic texture matches itself two steps back along the map, and one step on; a clone does not."""
    M3 = np.vstack([M, [0.0, 0.0, 1.0]])
    for step in ((M3 @ M3)[:2], cv2.invertAffineTransform(M)):
        vals = corr(step)[dst]
        vals = vals[np.isfinite(vals)]
        if vals.size > 0.3 * dst.sum() and float(np.median(vals)) > p.periodic_ncc:
            return True
    return False


def _window_keys(g8: np.ndarray, win: int) -> np.ndarray:
    """An int64 key of every ``win`` x ``win`` window (anchored at its top-left pixel).

    Three projections on fixed pseudo-random integer kernels, exact in float32 (sums of
    integers below 2**24), packed into 21 bits each: identical windows have identical
    keys; different windows share one by chance about once in 2**60.
    """
    rng = np.random.default_rng(12345)
    g = g8.astype(np.float32)
    key = np.zeros(g.shape, dtype=np.int64)
    for i in range(3):
        k = rng.integers(-15, 16, (win, win)).astype(np.float32)
        r = cv2.filter2D(g, cv2.CV_32F, k, anchor=(0, 0), borderType=cv2.BORDER_CONSTANT)
        key |= ((r.astype(np.int64) + (1 << 20)) & ((1 << 21) - 1)) << (21 * i)
    return key


def _exact_copies(g8: np.ndarray, p: CopyMoveParams) -> list[tuple[tuple[int, int], np.ndarray, np.ndarray]]:
    """Regions copied by a whole-pixel shift, found as runs of pixel-identical windows.

    Returns (shift dx dy, source mask, destination mask) per copy, at full resolution.
    """
    H, W = g8.shape
    win = p.exact_window
    if H <= 2 * win or W <= 2 * win:
        return []
    key = _window_keys(g8, win)[: H - win + 1, : W - win + 1]
    gf = g8.astype(np.float32)
    m = cv2.boxFilter(gf, cv2.CV_32F, (win, win), anchor=(0, 0), normalize=True, borderType=cv2.BORDER_CONSTANT)
    v = cv2.boxFilter(gf * gf, cv2.CV_32F, (win, win), anchor=(0, 0), normalize=True, borderType=cv2.BORDER_CONSTANT)
    ok = (v - m * m >= p.exact_min_std ** 2)[: H - win + 1, : W - win + 1]
    ys, xs = np.nonzero(ok)
    if ys.size < 2:
        return []
    kk = key[ys, xs]
    order = np.argsort(kk, kind="stable")
    ks = kk[order]
    same = ks[1:] == ks[:-1]
    # only keys held by exactly two windows: a window equal to many others (periodic or
    # synthetic patterns) says nothing about where it came from
    first = np.r_[True, ~same]
    run_id = np.cumsum(first) - 1
    run_len = np.bincount(run_id)
    pair = np.nonzero(same & (run_len[run_id[1:]] == 2))[0]
    if pair.size == 0:
        return []
    a, b = order[pair], order[pair + 1]
    dx, dy = xs[b] - xs[a], ys[b] - ys[a]
    flip = (dy < 0) | ((dy == 0) & (dx < 0))
    dx, dy = np.where(flip, -dx, dx), np.where(flip, -dy, dy)
    # a JPEG decoder turns blocks with the same quantised coefficients into the same
    # pixels, so shifts along the 8-pixel block grid repeat windows by compression alone
    far = (dx * dx + dy * dy >= p.min_shift ** 2) & ~((dx % 8 == 0) & (dy % 8 == 0))
    dx, dy = dx[far], dy[far]
    if dx.size == 0:
        return []
    shifts, votes = np.unique(np.stack([dx, dy], 1), axis=0, return_counts=True)
    min_area = max(p.min_region_frac * H * W, 4.0 * win * win)
    out = []
    for i in np.argsort(-votes)[: p.max_models]:
        if votes[i] < min_area / 4:
            break
        sx, sy = int(shifts[i, 0]), int(shifts[i, 1])
        h2, w2 = key.shape
        # windows at q and q + (sx, sy) identical and both textured
        y0, y1 = max(0, -sy), min(h2, h2 - sy)
        x0, x1 = max(0, -sx), min(w2, w2 - sx)
        if y1 <= y0 or x1 <= x0:
            continue
        eq: np.ndarray = np.zeros((h2, w2), dtype=np.uint8)
        eq[y0:y1, x0:x1] = ((key[y0:y1, x0:x1] == key[y0 + sy:y1 + sy, x0 + sx:x1 + sx])
                            & ok[y0:y1, x0:x1] & ok[y0 + sy:y1 + sy, x0 + sx:x1 + sx])
        eq = cv2.morphologyEx(eq, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
        nl, lab, stats, _ = cv2.connectedComponentsWithStats(eq, connectivity=8)
        keep = np.zeros(nl, bool)
        keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_area / 4
        if not keep.any():
            continue
        anchors = np.zeros((H, W), dtype=np.uint8)
        anchors[:h2, :w2] = keep[lab]
        # every pixel of an identical window was copied: grow the anchors by the window
        src = cv2.dilate(anchors, np.ones((win, win), np.uint8), anchor=(win - 1, win - 1)) > 0
        if src.sum() < min_area:
            continue
        dst = np.zeros_like(src)
        dst[max(0, sy):H + min(0, sy), max(0, sx):W + min(0, sx)] = src[max(0, -sy):H - max(0, sy),
                                                                          max(0, -sx):W - max(0, sx)]
        out.append(((sx, sy), src, dst))
    return out


def _same_shift(M: np.ndarray, shift_map: np.ndarray, tol: float = 1.5) -> bool:
    """True when ``M`` is (nearly) the pure translation ``shift_map``, in either direction."""
    if not np.allclose(M[:, :2], np.eye(2), atol=0.02):
        return False
    t, s = M[:, 2], shift_map[:, 2]
    return bool(np.abs(t - s).max() <= tol or np.abs(t + s).max() <= tol)


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
    1. Downscale to ``max_side``; detect SIFT keypoints at a low contrast threshold and
       keep at most ``max_keypoints``: the strongest ``strong_share`` of them, the rest
       spread evenly over the picture so that weakly textured objects keep keypoints
       (RootSIFT descriptors). 2. Match every keypoint against all others (exact k-NN,
       faiss) with the generalised 2-NN test [1]_, and the mirrored descriptor of every
       keypoint (a permutation of the SIFT bins) against all others for flipped copies; a
       keypoint never matches itself. 3. Geometric verification: RANSAC similarity fits one
       model at a time on the pairs (both directions), removing each model's inliers;
       implausible maps (strong shear, scale outside 0.5..2) are rejected. 4. Dense
       verification [3]_: the picture is warped by each map and compared with itself by
       local normalised correlation; the map is then refined on the correlated seed by
       Gauss-Newton alignment of a similarity with gain and offset (the correlation that
       ECC [4]_ maximises), kept when it correlates more pixels; correlated pixels
       connected to the inliers, grown by half a correlation window, form the
       destination, and the inverse map gives the source. Guards: a median correlation
       near 1 inside the destination, also over its two-dimensionally textured windows
       alone, and no periodic self-similarity along the map. The second guard answers the
       aperture problem: a window whose structure tensor [5]_ has one small eigenvalue
       (an edge, a line, a stripe) correlates under any shift along it, so look-alikes
       matched along window frames, ledges, outlines or strokes correlate well there; only
       windows whose smaller eigenvalue is at least ``min_eig_ratio`` of the larger (a
       corner by the Harris-Stephens condition [6]_) pin the map in both directions, and
       in a look-alike these disagree.
       Noise added to the whole picture after the copy was made (sensor noise of a
       recompressed photo, or deliberate noise to hide a clone) is independent in the copy
       and its source, and lowers their correlation below what any fixed threshold near 1
       expects. Its standard deviation is estimated on the picture as given
       (:func:`estimate_noise`, Immerkær's operator [7]_), carried through the resize and
       the comparison blur (a fixed white-noise simulation), and every window's correlation
       is corrected for attenuation [8]_: divided by ``sqrt(rel_a rel_b)``, with ``rel`` the
       share of the window's variance that is signal. Windows with less signal than noise
       (``min_snr``) are not trusted at all, as flat ones are. On clean pictures the
       estimate is small and nothing changes; it errs low on structured noise (JPEG), where
       the correction is then partial.
       Keypoints miss copies of weakly textured areas (sky, walls, road), yet a copy moved
       by a whole number of pixels and saved without loss carries the area's faint noise
       along, which no other place repeats. Pictures up to ``exact_max_pixels`` are
       therefore also searched for pixel-identical windows at the original resolution, as
       in the exact-match block method of Fridrich et al. [9]_ (window keys from integer
       projections, sorted; a key held by exactly two textured windows gives a shift;
       shifts backed by enough windows form regions). Windows flatter than
       ``exact_min_std`` and shifts along the 8-pixel JPEG block grid (where a decoder
       repeats flat blocks by itself) are not used, so a copy moved by a multiple of 8 in
       both directions is left to the keypoints; any post-processing that changes copy and
       source differently (JPEG off the grid, noise, resampling) defeats this search.
       Limits: flat or very small copied regions have too few keypoints (reported as
       inconclusive when the whole picture has little texture), and a copy's flat parts
       (sky, walls) correlate with nothing and stay out of the mask; naturally repeated
       structures (windows, tiles, text, symmetric objects) can match each other, which
       the guards only partly separate from true clones: pixel-identical repeats such as
       the glyphs of a burnt-in caption are copies in every sense these tests can measure
       and are reported; a clone of purely one-dimensional content (a piece of a striped
       or corrugated surface with nothing else in it) is dropped with the look-alikes; heavy
       recompression, blur, noise or strong scaling lower the correlation and shrink the
       mask.

    References
    ----------
    .. [1] I. Amerini, L. Ballan, R. Caldelli, A. Del Bimbo, G. Serra, "A SIFT-based
       forensic method for copy-move attack detection and transformation recovery", IEEE
       Trans. Information Forensics and Security 6(3), 1099-1110, 2011.
    .. [2] R. Arandjelović, A. Zisserman, "Three things everyone should know to improve
       object retrieval" (RootSIFT), CVPR 2012.
    .. [3] V. Christlein, C. Riess, J. Jordan, C. Riess, E. Angelopoulou, "An evaluation of
       popular copy-move forgery detection approaches", IEEE TIFS 7(6), 1841-1854, 2012.
    .. [4] G. D. Evangelidis, E. Z. Psarakis, "Parametric image alignment using enhanced
       correlation coefficient maximization", IEEE TPAMI 30(10), 1858-1865, 2008.
    .. [5] J. Shi, C. Tomasi, "Good features to track", CVPR 1994, 593-600.
    .. [6] C. Harris, M. Stephens, "A combined corner and edge detector", Alvey Vision
       Conference 1988, 147-151.
    .. [7] J. Immerkær, "Fast noise variance estimation", Computer Vision and Image
       Understanding 64(2), 300-302, 1996.
    .. [8] C. Spearman, "The proof and measurement of association between two things",
       American Journal of Psychology 15(1), 72-101, 1904 (correction for attenuation).
    .. [9] J. Fridrich, D. Soukal, J. Lukáš, "Detection of copy-move forgery in digital
       images", Digital Forensic Research Workshop (DFRWS), 2003.
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
    sift = cv2.SIFT_create(contrastThreshold=p.contrast_threshold)  # type: ignore[attr-defined]
    found = sift.detect(work, None)
    des = None
    if len(found) >= p.min_keypoints:
        pts_all = np.array([kp.pt for kp in found], dtype=np.float32)
        resp = np.array([kp.response for kp in found], dtype=np.float32)
        keep = _select(pts_all, resp, p.max_keypoints, int(p.max_keypoints * p.strong_share), p.cell)
        kps, des = sift.compute(work, [found[i] for i in keep])
    else:
        kps = list(found)
    timings["keypoints_s"] = time.perf_counter() - t0
    n = len(kps)
    res = CopyMoveResult(mask=full_mask, keypoints=n, scale=scale, timings=timings)
    # pixel-identical copies moved by a whole-pixel shift need no keypoints: they are
    # found even in weakly textured areas (sky, walls), where sensor or compression noise
    # is copied along with the content
    exact: list[tuple[tuple[int, int], np.ndarray, np.ndarray]] = []
    if H * W <= p.exact_max_pixels:
        te = time.perf_counter()
        exact = _exact_copies(g, p)
        timings["exact_s"] = time.perf_counter() - te
    exact_union = np.zeros((H, W), dtype=bool)
    for (sx, sy), src_m, dst_m in exact:
        exact_union |= src_m | dst_m
        M = np.array([[1.0, 0.0, float(sx)], [0.0, 1.0, float(sy)]])
        res.clones.append(CloneMatch(M, int(src_m.sum()), False, float(dst_m.mean()), 1.0, _bbox(src_m, 1.0),
                                     _bbox(dst_m, 1.0), 1.0, method="exact"))
    if exact_union.any():
        res.mask = exact_union.astype(np.uint8) * 255
    if n < p.min_keypoints or des is None:
        res.low_texture = not res.clones
        return res
    pts = np.array([kp.pt for kp in kps], dtype=np.float32)
    d = root_sift(des)
    t1 = time.perf_counter()
    kk = min(p.k + 1, n)
    q1, m1 = _g2nn_pairs(*_drop_self(*_knn(d, d, kk)), p.ratio)
    # mirrored copies: the mirrored descriptor of every keypoint against all others
    q2, m2 = _g2nn_pairs(*_drop_self(*_knn(np.ascontiguousarray(d[:, MIRROR_PERM]), d, kk)), p.ratio)
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
    # the comparison is made on a lightly smoothed copy: a copy that was interpolated
    # (rotated, scaled, shifted by a fraction of a pixel) differs from its source mostly at
    # the finest scale, natural look-alikes at every scale
    workf = cv2.GaussianBlur(work.astype(np.float32), (0, 0), _COMPARE_BLUR)
    # added noise lowers the correlation of a true copy: it is measured on the picture as
    # given and carried through the resize and the blur, and the correlation corrected for it
    res.noise_std = estimate_noise(g) if p.noise_aware else 0.0
    noise_var = (res.noise_std * _noise_gain(scale, _COMPARE_BLUR)) ** 2
    corr = _Correlator(workf, p.ncc_window, p.min_std, noise_var, p.min_snr)
    t2 = time.perf_counter()
    union = np.zeros((h, w), dtype=bool)
    inv = 1.0 / scale
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
            # destination keypoints of the inliers (whichever direction fitted)
            dpts = np.where(fwd[pair_in, None], pts[used[:, 1]], pts[used[:, 0]])
            v = _verify(corr, M, dpts, p)
            if isinstance(v, str):
                continue
            frac = float(v.dst.mean())
            if frac < p.min_region_frac or v.median_ncc < p.min_median_ncc:
                continue
            if v.median_ncc_2d < p.min_median_ncc:
                res.rejected_edges += 1
                continue
            if _periodic(corr, v.matrix, v.dst, p):
                res.rejected_periodic += 1
                continue
            union |= v.dst | v.src
            Mfull = v.matrix.astype(np.float64).copy()
            Mfull[:, 2] *= inv
            if any(_same_shift(Mfull, c.matrix) for c in res.clones if c.method == "exact"):
                continue  # already reported by the exact search (its pixels are in the mask)
            res.clones.append(CloneMatch(Mfull, n_in, mirrored, frac, v.median_ncc, _bbox(v.src, inv),
                                         _bbox(v.dst, inv), v.median_ncc_2d))
        if res.stopped_early:
            break
    timings["verification_s"] = time.perf_counter() - t2
    if union.any():
        big = cv2.resize(union.astype(np.uint8) * 255, (W, H), interpolation=cv2.INTER_NEAREST) if scale != 1.0 \
            else union.astype(np.uint8) * 255
        res.mask = np.maximum(res.mask, big)
    timings["total_s"] = time.perf_counter() - t0
    return res
