"""Matching a picture against a reference photo of a place: local features + geometry.

SIFT keypoints (RootSIFT descriptors) on both pictures, nearest-neighbour matches kept by
Lowe's ratio test, then geometric verification with RANSAC (MAGSAC++): a homography (one
plane, or the same viewpoint: crops, warps, re-encodes) and, failing that, a fundamental
matrix (a 3-D scene seen from elsewhere). The decision rests on the inlier count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..imaging import root_sift

__all__ = ["MatchParams", "MatchResult", "Features", "draw_matches", "extract", "match_features", "match_images"]


@dataclass(frozen=True)
class MatchParams:
    """Parameters of :func:`match_images` (recorded in every result).

    Attributes
    ----------
    max_side : int
        Pixels: pictures are shrunk to this longest side before feature detection.
    max_features : int
        Most SIFT keypoints kept per picture (strongest first).
    ratio : float
        Lowe's ratio test threshold (second-nearest / nearest distance).
    ransac_px : float
        RANSAC inlier threshold in working pixels (reprojection / epipolar distance).
    found_inliers : int
        Homography inliers for ``found``.
    found_inliers_f : int
        Fundamental-matrix inliers for ``found`` when no homography is found (higher, as
        random matches fit an epipolar geometry more easily).
    found_ratio_f : float
        Minimum inlier ratio of that fundamental matrix.
    inconclusive_inliers : int
        At or above this (and below ``found``) the result is ``inconclusive``.
    min_keypoints : int
        Fewer keypoints in either picture: ``inconclusive`` (textureless, tiny, blank).
    """

    max_side: int = 800
    max_features: int = 2000
    ratio: float = 0.8
    ransac_px: float = 4.0
    found_inliers: int = 20
    found_inliers_f: int = 50
    found_ratio_f: float = 0.5
    inconclusive_inliers: int = 10
    min_keypoints: int = 40

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Features:
    """Keypoints (N, 2) in working pixels, RootSIFT descriptors (N, 128) and the scale used."""

    points: np.ndarray
    descriptors: np.ndarray
    scale: float
    shape: tuple[int, int]


@dataclass
class MatchResult:
    """Outcome of matching a query picture against one reference.

    Attributes
    ----------
    state : {"found", "not_found", "inconclusive"}
    keypoints : tuple of int
        Keypoints in the query and the reference.
    matches : int
        Matches passing the ratio test.
    inliers : int
        Matches consistent with the verified geometry.
    inlier_ratio : float
        ``inliers / matches`` (0 when no matches).
    model : {"homography", "fundamental"} or None
    homography : list or None
        3×3 matrix mapping query pixels (original size) to reference pixels, when found.
    query_points, ref_points : ndarray
        Inlier coordinates (original pixels), for drawing.
    reason : str
        Plain words for the state.
    """

    state: str
    keypoints: tuple[int, int]
    matches: int = 0
    inliers: int = 0
    inlier_ratio: float = 0.0
    model: str | None = None
    homography: list[list[float]] | None = None
    query_points: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    ref_points: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "keypoints": list(self.keypoints), "matches": self.matches,
                "inliers": self.inliers, "inlier_ratio": round(self.inlier_ratio, 4), "model": self.model,
                "homography": self.homography, "reason": self.reason}


def _gray(image: np.ndarray) -> np.ndarray:
    import cv2

    a = np.asarray(image)
    if a.ndim == 3:
        return cv2.cvtColor(a[..., :3].astype(np.uint8), cv2.COLOR_RGB2GRAY)
    if a.ndim == 2:
        return a.astype(np.uint8)
    raise ValueError("image must be (H, W) or (H, W, 3)")


def extract(image: np.ndarray, params: MatchParams = MatchParams()) -> Features:
    """SIFT keypoints with RootSIFT descriptors on a shrunken grey copy.

    Parameters
    ----------
    image : ndarray
        RGB (H, W, 3) or grey (H, W) uint8.
    params : MatchParams

    Returns
    -------
    Features

    References
    ----------
    D. G. Lowe, "Distinctive image features from scale-invariant keypoints", IJCV 60 (2004).
    R. Arandjelović, A. Zisserman, "Three things everyone should know to improve object
    retrieval", CVPR 2012 (RootSIFT).
    """
    import cv2

    gray = _gray(image)
    h, w = gray.shape
    scale = min(1.0, params.max_side / max(h, w, 1))
    if scale < 1.0:
        gray = cv2.resize(gray, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    sift = cv2.SIFT_create(nfeatures=params.max_features)  # type: ignore[attr-defined]
    kps, desc = sift.detectAndCompute(gray, None)
    if desc is None or not kps:
        return Features(np.zeros((0, 2), np.float32), np.zeros((0, 128), np.float32), scale, (h, w))
    desc = root_sift(desc)
    pts = np.array([k.pt for k in kps], dtype=np.float32)
    return Features(pts, desc, scale, (h, w))


def match_features(a: Features, b: Features, ratio: float = 0.8) -> np.ndarray:
    """Mutual-candidate matches passing Lowe's ratio test.

    Parameters
    ----------
    a, b : Features
    ratio : float
        Nearest / second-nearest distance threshold.

    Returns
    -------
    ndarray of int, (M, 2)
        Index pairs (into ``a.points``, ``b.points``).
    """
    import cv2

    if len(a.points) < 2 or len(b.points) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    matcher = cv2.BFMatcher(cv2.NORM_L2)
    knn = matcher.knnMatch(a.descriptors, b.descriptors, k=2)
    pairs = [(m.queryIdx, m.trainIdx) for m, n in (p for p in knn if len(p) == 2) if m.distance < ratio * n.distance]
    if not pairs:
        return np.zeros((0, 2), dtype=np.int64)
    arr = np.array(pairs, dtype=np.int64)
    # one reference keypoint may take one query keypoint only (keep the first, i.e. any)
    _, keep = np.unique(arr[:, 1], return_index=True)
    return arr[np.sort(keep)]


def match_images(query: np.ndarray, reference: np.ndarray, params: MatchParams = MatchParams(), *,
                 query_features: Features | None = None, ref_features: Features | None = None) -> MatchResult:
    """Does the reference show the same scene as the query? Features + RANSAC geometry.

    Parameters
    ----------
    query, reference : ndarray
        RGB or grey uint8 pictures (any size; shrunk to ``params.max_side``).
    params : MatchParams
    query_features, ref_features : Features or None
        Precomputed :func:`extract` output (to match one query against many references).

    Returns
    -------
    MatchResult
        ``found`` at ``params.found_inliers`` homography inliers (or the stricter
        fundamental-matrix rule), ``inconclusive`` for a few inliers or too few keypoints,
        ``not_found`` otherwise.

    Notes
    -----
    Shows that the two pictures share a rigid, textured part of a scene; it cannot say
    where either was taken. Repetitive façades, logos, text overlays or watermarks common to
    both can match without the place being the same; seasons, night/day, strong viewpoint
    or scale changes (over ~4x) and featureless scenes lose matches. Thresholds set on the
    benchmark in docs/benchmarks/place_reference_match.md.

    References
    ----------
    D. G. Lowe, IJCV 60 (2004) (ratio test); M. A. Fischler, R. C. Bolles, "Random sample
    consensus", CACM 24 (1981); D. Baráth et al., "MAGSAC++", CVPR 2020; R. Hartley,
    A. Zisserman, *Multiple View Geometry*, 2nd ed. (2004), ch. 4 and 11.
    """
    import cv2

    fa = query_features or extract(query, params)
    fb = ref_features or extract(reference, params)
    kp = (len(fa.points), len(fb.points))
    if min(kp) < params.min_keypoints:
        return MatchResult("inconclusive", kp, reason=f"too few keypoints ({kp[0]} and {kp[1]}; "
                           f"{params.min_keypoints} needed): blank, tiny or featureless picture")
    pairs = match_features(fa, fb, params.ratio)
    n = len(pairs)
    if n < 4:
        return MatchResult("not_found", kp, matches=n, reason=f"only {n} distinctive matches")
    pa = fa.points[pairs[:, 0]].astype(np.float64)
    pb = fb.points[pairs[:, 1]].astype(np.float64)
    model: str | None = None
    mask = np.zeros(n, dtype=bool)
    hom = None
    h_mat, h_mask = cv2.findHomography(pa, pb, cv2.USAC_MAGSAC, params.ransac_px, maxIters=5000, confidence=0.999)
    if h_mat is not None and h_mask is not None and _plausible(h_mat):
        mask = h_mask.ravel().astype(bool)
        model = "homography"
    h_inl = int(mask.sum())
    if h_inl < params.found_inliers and n >= 8:
        f_mat, f_mask = cv2.findFundamentalMat(pa, pb, cv2.USAC_MAGSAC, params.ransac_px / 2, 0.999, 5000)
        if f_mat is not None and f_mask is not None and f_mat.shape == (3, 3):
            fm = f_mask.ravel().astype(bool)
            if int(fm.sum()) >= params.found_inliers_f and fm.mean() >= params.found_ratio_f:
                mask, model = fm, "fundamental"
    inl = int(mask.sum())
    ratio = inl / n if n else 0.0
    if model == "homography" and h_mat is not None:
        s_a, s_b = np.diag([fa.scale, fa.scale, 1.0]), np.diag([1 / fb.scale, 1 / fb.scale, 1.0])
        full = s_b @ h_mat @ s_a
        hom = (full / full[2, 2]).round(6).tolist() if abs(full[2, 2]) > 1e-12 else None
    if model == "fundamental" or (model == "homography" and inl >= params.found_inliers):
        state, reason = "found", f"{inl} of {n} matches fit one {model} ({ratio:.0%})"
    elif inl >= params.inconclusive_inliers:
        state, reason = "inconclusive", (f"{inl} of {n} matches fit one geometry: too few to decide "
                                         f"({params.found_inliers} needed)")
    else:
        state, reason = "not_found", f"{inl} of {n} matches fit one geometry (chance level)"
        model = None if inl < 4 else model
    return MatchResult(state, kp, matches=n, inliers=inl, inlier_ratio=ratio, model=model, homography=hom,
                       query_points=pa[mask] / fa.scale, ref_points=pb[mask] / fb.scale, reason=reason)


def _plausible(h: np.ndarray) -> bool:
    """Reject degenerate homographies (collapse, mirror flip or extreme scale)."""
    a = h[:2, :2] / h[2, 2] if abs(h[2, 2]) > 1e-12 else h[:2, :2]
    det = float(np.linalg.det(a))
    return bool(np.isfinite(h).all() and 1 / 50 < det < 50)


def draw_matches(query: np.ndarray, reference: np.ndarray, result: MatchResult, *, height: int = 720,
                 max_lines: int = 300) -> np.ndarray:
    """Side-by-side picture, query left and reference right, inlier matches drawn as lines.

    Parameters
    ----------
    query, reference : ndarray
        RGB uint8 pictures (grey accepted).
    result : MatchResult
    height : int
        Pixels: both pictures are scaled to this height.
    max_lines : int
        Most lines drawn (an even sample of the inliers).

    Returns
    -------
    ndarray
        RGB uint8 (height, W, 3).
    """
    import cv2

    def rgb(a: np.ndarray) -> np.ndarray:
        a = np.asarray(a)
        return np.repeat(a[..., None], 3, axis=2).astype(np.uint8) if a.ndim == 2 else a[..., :3].astype(np.uint8)

    qa, ra = rgb(query), rgb(reference)
    sq, sr = height / qa.shape[0], height / ra.shape[0]
    q = cv2.resize(qa, (max(1, round(qa.shape[1] * sq)), height), interpolation=cv2.INTER_AREA)
    r = cv2.resize(ra, (max(1, round(ra.shape[1] * sr)), height), interpolation=cv2.INTER_AREA)
    gap = 8
    canvas = np.full((height, q.shape[1] + gap + r.shape[1], 3), 255, np.uint8)
    canvas[:, : q.shape[1]] = q
    canvas[:, q.shape[1] + gap:] = r
    n = len(result.query_points)
    if n:
        idx = np.linspace(0, n - 1, min(n, max_lines)).round().astype(int)
        color = (40, 220, 60) if result.state == "found" else (255, 160, 0)
        for i in idx:
            x1, y1 = result.query_points[i] * sq
            x2, y2 = result.ref_points[i] * sr
            p1 = (int(round(x1)), int(round(y1)))
            p2 = (int(round(x2 + q.shape[1] + gap)), int(round(y2)))
            cv2.line(canvas, p1, p2, color, 1, cv2.LINE_AA)
            cv2.circle(canvas, p1, 3, color, -1, cv2.LINE_AA)
            cv2.circle(canvas, p2, 3, color, -1, cv2.LINE_AA)
    return canvas
