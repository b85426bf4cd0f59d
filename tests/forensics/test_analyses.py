"""Noise, ghosts, double quantisation, resampling and ELA on pictures whose answer is known."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from tests.media import natural_image
from verilens.forensics.blocks import block_dct, blockiness_offset, requant_error
from verilens.forensics.double_quant import double_quant_map, dq_region, histogram_period
from verilens.forensics.ela import error_level_analysis
from verilens.forensics.ghosts import ghost_regions, jpeg_ghosts
from verilens.forensics.jpeg_parse import parse_jpeg_structure
from verilens.forensics.noise import haar_hh, inconsistent_region, noise_levels
from verilens.forensics.resampling import resampling_map


def _save(arr: np.ndarray, q: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "JPEG", quality=q)
    return buf.getvalue()


def _luma(data: bytes) -> np.ndarray:
    im = Image.open(io.BytesIO(data))
    im.draft("L", im.size)
    return np.asarray(im.convert("L"), dtype=np.float32)


def _gray_texture(h: int = 512, w: int = 512, seed: int = 0) -> np.ndarray:
    rgb = natural_image(w, h, seed=seed)
    return np.asarray(Image.fromarray(rgb).convert("L"))


# ---------------------------------------------------------------- blocks

def test_parseval_requant_error_matches_pixel_error() -> None:
    # orthonormal DCT (ITU-T T.81 A.3.3): coefficient-domain squared error == pixel-domain
    rng = np.random.default_rng(0)
    y = rng.uniform(0, 255, (64, 64)).astype(np.float32)
    c = block_dct(y)
    t = np.full((8, 8), 10.0, np.float32)
    err = requant_error(c, t)
    import scipy.fft as sfft
    rec = sfft.idctn(t * np.round(c / t), axes=(2, 3), norm="ortho")
    direct = ((c.astype(np.float64) - sfft.dctn(rec, axes=(2, 3), norm="ortho")) ** 2).mean(axis=(2, 3))
    assert np.allclose(err, direct, atol=1e-3)


def test_grid_offset_of_a_cropped_jpeg() -> None:
    y = _luma(_save(np.repeat(_gray_texture()[..., None], 3, 2), 60))
    assert blockiness_offset(y)[0] == (0, 0)
    off, strength = blockiness_offset(y[3:, 5:])
    assert off == (5, 3) and strength > 1.2


# ---------------------------------------------------------------- noise

def test_noise_estimate_matches_known_sigma() -> None:
    # Donoho's MAD estimator on white Gaussian noise returns its standard deviation
    rng = np.random.default_rng(1)
    y = 128 + rng.normal(0, 5.0, (512, 512))
    res = noise_levels(y, block=64)
    assert abs(res.median_sigma - 5.0) < 0.3
    assert haar_hh(y).shape == (256, 256)


def test_noisier_region_is_found_and_even_noise_is_not() -> None:
    rng = np.random.default_rng(2)
    yy, xx = np.mgrid[0:768, 0:768]
    base = 60 + 0.15 * xx + 0.1 * yy
    even = base + rng.normal(0, 2.0, base.shape)
    assert inconsistent_region(noise_levels(even).z, 5.0, noise_levels(even).sigma)[0] < 0.02
    spliced = even.copy()
    spliced[256:512, 256:512] += rng.normal(0, 8.0, (256, 256))
    res = noise_levels(spliced)
    inside = np.nanmean(res.z[4:8, 4:8])
    outside = np.nanmean(np.concatenate([res.z[:3].ravel(), res.z[9:].ravel()]))
    assert inside > outside + 2.0
    assert abs(np.nanmedian(res.sigma[4:8, 4:8]) - np.sqrt(4 + 64)) < 1.0


def test_clipped_picture_cannot_speak() -> None:
    assert noise_levels(np.full((512, 512), 255.0)).valid_frac == 0.0


# ---------------------------------------------------------------- ghosts

def test_ghost_of_a_region_saved_before_at_low_quality() -> None:
    # Farid 2009: a region compressed at q1 then the whole at q2 > q1 dips at q1
    g = _gray_texture(512, 512, seed=3)
    rgb = np.repeat(g[..., None], 3, 2)
    low = np.asarray(Image.open(io.BytesIO(_save(rgb, 60))).convert("RGB"))
    comp = rgb.copy()
    comp[128:384, 128:384] = low[128:384, 128:384]  # grid-aligned paste
    data = _save(comp, 95)
    res = jpeg_ghosts(block_dct(_luma(data)), 95.0)
    frac, q, mask = ghost_regions(res, 0.6)
    assert frac > 0.1 and 52 <= q <= 67
    assert mask[32, 32] and not mask[2, 2]
    clean = jpeg_ghosts(block_dct(_luma(_save(rgb, 95))), 95.0)
    assert ghost_regions(clean, 0.6)[0] < 0.02


# ---------------------------------------------------------------- double quantisation

def test_histogram_period_of_double_quantised_values() -> None:
    # q1 = 7 then q2 = 3: every value k*3 reachable from multiples of 7 -> periodic gaps
    rng = np.random.default_rng(4)
    x = rng.laplace(0, 25, 200_000)
    single = np.round(x / 3)
    double = np.round(np.round(x / 7) * 7 / 3)
    assert histogram_period(single.astype(int))[0] == 1
    p, strength = histogram_period(double.astype(int))
    assert p in (2, 3, 7) and strength > 4


def test_dq_map_flags_a_region_compressed_once() -> None:
    g = _gray_texture(768, 768, seed=5)
    rgb = np.repeat(g[..., None], 3, 2)
    first = np.asarray(Image.open(io.BytesIO(_save(rgb, 60))).convert("RGB"))
    comp = first.copy()
    comp[256:512, 256:512] = rgb[256:512, 256:512]  # never compressed before
    data = _save(comp, 85)
    res = double_quant_map(block_dct(_luma(data)), parse_jpeg_structure(data).qtables[0])
    assert res.double_compressed
    frac, mask = dq_region(res.prob, 0.85)
    assert frac > 0.03 and mask[48, 48]
    once = _save(rgb, 85)
    res1 = double_quant_map(block_dct(_luma(once)), parse_jpeg_structure(once).qtables[0])
    assert not res1.double_compressed


# ---------------------------------------------------------------- resampling

def test_upscaled_picture_shows_a_periodic_peak() -> None:
    # Kirchner 2008: interpolation by 1.3 leaves a peak at 1 - 1/1.3 = 0.23 cycles/pixel
    rng = np.random.default_rng(6)
    y = rng.normal(128, 30, (400, 400)).astype(np.float32)
    up = np.asarray(Image.fromarray(y, mode="F").resize((520, 520), Image.BILINEAR))  # factor 1.3
    res_up = resampling_map(up)
    res_orig = resampling_map(rng.normal(128, 30, (640, 640)))
    assert res_up.global_score > 2 * res_orig.global_score
    assert res_up.global_score > 25


# ---------------------------------------------------------------- ELA

def test_ela_scales_to_its_own_errors_and_sees_a_pasted_region() -> None:
    g = _gray_texture(512, 512, seed=7)
    rgb = np.repeat(g[..., None], 3, 2)
    resaved = np.asarray(Image.open(io.BytesIO(_save(rgb, 90))).convert("RGB"))
    comp = resaved.copy()
    comp[192:320, 192:320] = rgb[192:320, 192:320]  # fresh pixels, never saved at 90
    res = error_level_analysis(comp)
    assert 0 <= res.scaled.min() and res.scaled.max() <= 1
    inside = res.block_error[12:20, 12:20].mean()
    outside = res.block_error[:8, :8].mean()
    assert inside > 2 * outside
    frac, zmean = res.region_frac(3.0)
    assert frac > 0.02 and zmean > 3
