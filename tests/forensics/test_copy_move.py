"""Copy-move detection: cloned patches are found and masked; clean pictures are not flagged."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.media import natural_image
from verilens.forensics.copy_move import MIRROR_PERM, CopyMoveParams, detect_copy_move
from verilens.forensics.synth import copy_move, pixel_f1


def _textured(h: int = 600, w: int = 800, seed: int = 0) -> np.ndarray:
    """Random multi-scale texture: no two regions alike, rich in keypoints."""
    rng = np.random.default_rng(seed)
    img = np.zeros((h, w), np.float32)
    for s in (2, 3, 6, 12, 48):
        small = rng.normal(0, 1, (h // s + 2, w // s + 2)).astype(np.float32)
        img += np.asarray(Image.fromarray(small, mode="F").resize((w + 2 * s, h + 2 * s), Image.BICUBIC))[:h, :w] * s
    img = (img - img.min()) / (img.max() - img.min()) * 255
    return np.repeat(img[..., None], 3, axis=2).astype(np.uint8)


def _recompress(rgb: np.ndarray, q: int = 90) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=q)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("L"))


@pytest.mark.parametrize("kind", [dict(), dict(rotation=35.0), dict(scale=1.2), dict(mirror=True)])
def test_clone_is_found_and_masked(kind: dict) -> None:
    rng = np.random.default_rng(3)
    fg = copy_move(_textured(), rng, size_frac=0.25, **kind)
    res = detect_copy_move(_recompress(fg.rgb))
    assert res.clones, kind
    assert res.mask.shape == fg.mask.shape and res.mask.dtype == np.uint8
    assert pixel_f1(res.mask, fg.mask) >= 0.7
    # both the source and the destination are covered
    src = np.zeros_like(fg.mask)
    sx, sy = fg.params["src"]
    side = int(min(fg.mask.shape) * 0.25)
    src[sy:sy + side, sx:sx + side] = True
    assert (res.mask[src & fg.mask] > 0).mean() > 0.5
    dst = fg.mask & ~src
    assert (res.mask[dst] > 0).mean() > 0.5
    assert res.clones[0].mirrored == bool(kind.get("mirror"))


def test_clean_pictures_are_not_flagged() -> None:
    assert not detect_copy_move(_recompress(_textured(seed=5))).clones
    assert not detect_copy_move(_recompress(natural_image(640, 480, seed=2))).clones


def test_flat_gradient_is_low_texture_not_clean() -> None:
    y, x = np.mgrid[0:480, 0:640]
    res = detect_copy_move(((x + y) / 1120 * 255).astype(np.uint8))
    assert res.low_texture and not res.clones and not res.mask.any()


def _ledges(seed: int = 0, h: int = 600, w: int = 800) -> np.ndarray:
    """Faint texture crossed by four bands of the same horizontal line profile (ledges, shutters).

    Each band's ends jitter row by row on their own, as the ends of natural look-alikes
    differ: the bands agree along their lines, and nowhere in two dimensions.
    """
    import cv2

    rng = np.random.default_rng(seed)
    base = _textured(h, w, seed)[..., 0].astype(np.float32)
    img = 128 + (base - base.mean()) * 0.25
    prof = cv2.GaussianBlur(rng.normal(0, 1, (110, 1)).astype(np.float32), (0, 0), 1.0).ravel()
    prof /= prof.std()
    x = np.arange(w)
    for x0, y0 in ((60, 60), (330, 110), (520, 300), (150, 420)):
        for r in range(110):
            j1, j2 = rng.normal(0, 2.0, 2)
            img[y0 + r] += 40 * prof[r] * ((x >= x0 + j1) & (x < x0 + 200 + j2))
    img = np.clip(cv2.GaussianBlur(img, (0, 0), 0.7), 0, 255).astype(np.uint8)
    return np.repeat(img[..., None], 3, axis=2)


def test_lines_that_agree_only_along_one_direction_are_not_a_clone() -> None:
    # the aperture problem: along a line any shift correlates, so only windows textured in
    # two directions (structure tensor, Harris & Stephens 1988; Shi & Tomasi 1994) may vouch
    g = _recompress(_ledges())
    without_guard = detect_copy_move(g, CopyMoveParams(min_eig_ratio=0.0))
    assert without_guard.clones  # the bands do fool the correlation alone
    res = detect_copy_move(g)
    assert not res.clones and res.rejected_edges >= 1
    # a textured clone in the same picture is still found
    fg = copy_move(_textured(seed=10), np.random.default_rng(0), size_frac=0.25)
    rgb = _ledges()
    rgb[fg.mask] = fg.rgb[fg.mask]
    res = detect_copy_move(_recompress(rgb))
    assert res.clones and pixel_f1(res.mask, fg.mask) >= 0.8


def test_real_fence_is_not_a_clone(shared_data: Path) -> None:
    # a chain-link fence matches itself one mesh away; the two-step test must reject it
    p = shared_data / "media-samples" / "jpg" / "Canon EOS REBEL T3i.jpg"
    res = detect_copy_move(np.asarray(Image.open(p).convert("L")))
    assert not res.clones


def test_mirror_permutation_is_an_involution() -> None:
    assert np.array_equal(np.arange(128)[MIRROR_PERM][MIRROR_PERM], np.arange(128))


def test_deadline_stops_early() -> None:
    rng = np.random.default_rng(1)
    fg = copy_move(_textured(), rng, size_frac=0.25)
    res = detect_copy_move(_recompress(fg.rgb), deadline=lambda: True)
    assert res.stopped_early and not res.clones


def test_keypoint_selection_keeps_the_strongest_and_spreads_the_rest() -> None:
    from verilens.forensics.copy_move import _select

    rng = np.random.default_rng(0)
    # 900 strong keypoints crowded in one corner cell, 100 weak ones spread over the picture
    pts = np.vstack([rng.uniform(0, 30, (900, 2)), rng.uniform(0, 320, (100, 2))]).astype(np.float32)
    resp = np.r_[rng.uniform(1, 2, 900), rng.uniform(0, 0.5, 100)].astype(np.float32)
    keep = _select(pts, resp, n=200, strong=100, cell=32)
    assert keep.size == 200 and np.unique(keep).size == 200
    assert set(np.argsort(-resp)[:100]) <= set(keep.tolist())  # the strongest are all kept
    # the spread half reaches the weak keypoints outside the crowded cell
    assert (keep >= 900).sum() >= 50


def test_dense_refinement_recovers_a_subpixel_map() -> None:
    import cv2

    from verilens.forensics.copy_move import _refine

    img = cv2.GaussianBlur(_textured(300, 400, seed=2)[..., 0].astype(np.float32), (0, 0), 1.5)
    true = np.array([[0.96, -0.26, 140.0], [0.26, 0.96, 20.0]])  # rotation 15°, scale ~1
    start = true + np.array([[0.01, 0.005, 0.9], [-0.005, 0.01, -0.7]])  # a keypoint-grade guess
    region = np.zeros(img.shape, bool)
    region[120:200, 200:280] = True
    # make the region a copy under ``true`` so that the refined map must come back to it
    warped = cv2.warpAffine(img, true, (400, 300), flags=cv2.INTER_CUBIC)
    img = np.where(region, warped, img).astype(np.float32)
    out = _refine(img, start, region)
    assert out is not None
    ys, xs = np.nonzero(region)
    pts = np.stack([xs, ys, np.ones_like(xs)], 1).astype(np.float64)
    inv_t, inv_o = cv2.invertAffineTransform(true), cv2.invertAffineTransform(out)
    err = np.abs(pts @ inv_t.T - pts @ inv_o.T).max()
    err0 = np.abs(pts @ inv_t.T - pts @ cv2.invertAffineTransform(start).T).max()
    assert err < 0.2 < err0


@pytest.mark.parametrize("sigma", [0.0, 4.0, 12.0])
def test_noise_estimate_follows_added_white_noise(sigma: float) -> None:
    # Immerkær (1996): on white gaussian noise the operator's mean absolute output is
    # 6 sigma sqrt(2/pi); texture only adds, so the low-percentile estimate is close from below
    from verilens.forensics.noise import estimate_noise

    g = _textured(seed=4)[..., 0].astype(np.float32)
    g = cv2_blur(g)
    noisy = np.clip(g + np.random.default_rng(1).normal(0, sigma, g.shape), 0, 255)
    est = estimate_noise(noisy)
    assert abs(est - sigma) <= 0.15 * sigma + 1.0


def cv2_blur(g: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.GaussianBlur(g, (0, 0), 2.0)


def test_clone_under_strong_noise_is_found_only_with_the_noise_correction() -> None:
    # noise added after the copy is independent in copy and source: it lowers their
    # correlation (attenuation, Spearman 1904) unless the estimated noise is allowed for
    rng = np.random.default_rng(7)
    fg = copy_move(_textured(seed=6), rng, size_frac=0.3)
    rgb = np.clip(fg.rgb.astype(np.float32) + rng.normal(0, 10, fg.rgb.shape), 0, 255).astype(np.uint8)
    g = np.asarray(Image.fromarray(rgb).convert("L"))
    res = detect_copy_move(g)
    assert res.noise_std > 4  # ~10 per channel, ~6.7 in the luma
    assert res.clones and pixel_f1(res.mask, fg.mask) >= 0.6
    assert not detect_copy_move(g, CopyMoveParams(noise_aware=False)).clones
    # the same noise on a clean picture does not make a clone
    clean = np.clip(_textured(seed=6).astype(np.float32) + rng.normal(0, 10, fg.rgb.shape), 0, 255).astype(np.uint8)
    assert not detect_copy_move(np.asarray(Image.fromarray(clean).convert("L"))).clones


def _flat_noisy(h: int = 480, w: int = 640, seed: int = 3) -> np.ndarray:
    """A smooth gradient with faint sensor-like noise (std ~2): almost no keypoints."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    g = 90 + 60 * x / w + 20 * y / h + rng.normal(0, 2.0, (h, w))
    return np.clip(np.rint(g), 0, 255).astype(np.uint8)


def test_pixel_identical_copy_of_a_flat_area_is_found_without_keypoints() -> None:
    # exact-match block comparison (Fridrich, Soukal & Lukáš 2003): a whole-pixel shift
    # copies the noise too, which no other part of the picture repeats
    g = _flat_noisy()
    clean = detect_copy_move(g)
    assert not clean.clones
    forged = g.copy()
    forged[300:380, 400:500] = g[60:140, 90:190]
    truth = np.zeros(g.shape, bool)
    truth[300:380, 400:500] = truth[60:140, 90:190] = True
    res = detect_copy_move(forged)
    exact = [c for c in res.clones if c.method == "exact"]
    assert exact and exact[0].to_dict()["shift_px"] in ([310.0, 240.0], [-310.0, -240.0])
    assert len(res.clones) == 1  # the keypoints, if they see it too, do not report it twice
    assert pixel_f1(res.mask, truth) >= 0.9


def test_exact_copies_along_the_jpeg_block_grid_are_not_evidence() -> None:
    # flat JPEG blocks with the same quantised coefficients decode to the same pixels, so
    # windows repeat along the 8-pixel grid by compression alone: such shifts are ignored
    # (a copy moved by a multiple of 8 in both directions is left to the keypoint search)
    from verilens.forensics.copy_move import _exact_copies

    g = _flat_noisy()
    on_grid, off_grid = g.copy(), g.copy()
    on_grid[300:380, 400:500] = g[60:140, 88:188]  # shift (312, 240): both multiples of 8
    off_grid[300:380, 400:500] = g[60:140, 90:190]  # shift (310, 240)
    assert _exact_copies(on_grid, CopyMoveParams()) == []
    found = _exact_copies(off_grid, CopyMoveParams())
    assert [s for s, _, _ in found] == [(310, 240)]
