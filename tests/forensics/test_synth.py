"""Forgery builders: the masks they return are exact, whatever the region's shape or place."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from verilens.forensics.synth import clone_region, random_region


@pytest.mark.parametrize("shape", ["polygon", "ellipse", "rectangle", "blob"])
def test_random_region_has_the_asked_area_and_stays_inside(shape: str) -> None:
    rng = np.random.default_rng(4)
    for frac in (0.01, 0.04, 0.08):
        r = random_region(512, 512, rng, frac, shape=shape)
        assert r.shape == (512, 512) and r.dtype == bool
        assert abs(r.mean() - frac) < 0.25 * frac
        assert not (r[:2].any() or r[-2:].any() or r[:, :2].any() or r[:, -2:].any())
        assert cv2.connectedComponents(r.astype(np.uint8))[0] == 2  # one piece


@pytest.mark.parametrize("kind", [dict(), dict(rotation=75.0), dict(scale=0.7), dict(scale=1.5, rotation=-120.0),
                                  dict(mirror=True)])
def test_clone_region_mask_is_exact(kind: dict) -> None:
    rng = np.random.default_rng(9)
    rgb = rng.integers(0, 256, (384, 512, 3), dtype=np.uint8)
    region = random_region(384, 512, rng, 0.03)
    fg = clone_region(rgb, region, rng, **kind)
    assert fg is not None
    changed = (fg.rgb != rgb).any(axis=2)
    dst = fg.mask & ~region
    # every changed pixel is in the destination; the source is untouched and apart from it
    assert not (changed & ~dst).any()
    assert changed[dst].mean() > 0.95
    assert not (dst & region).any()
    # the destination is the source mapped by the recorded similarity
    M = np.array(fg.params["matrix"])
    ys, xs = np.nonzero(region)
    s = np.sqrt(abs(np.linalg.det(M[:, :2])))
    assert s == pytest.approx(kind.get("scale", 1.0), rel=1e-3)
    assert dst.sum() == pytest.approx(region.sum() * s * s, rel=0.1)
    if kind.get("mirror"):
        assert np.linalg.det(M[:, :2]) < 0
    # a pixel inside the source, copied by translation only, keeps its value
    if not kind:
        y, x = ys[len(ys) // 2], xs[len(xs) // 2]
        tx, ty = M[0, 2], M[1, 2]
        assert np.array_equal(fg.rgb[int(round(y + ty)), int(round(x + tx))], rgb[y, x])


def test_clone_region_gives_up_when_nothing_fits() -> None:
    rng = np.random.default_rng(0)
    rgb = np.zeros((64, 64, 3), np.uint8)
    region = np.zeros((64, 64), bool)
    region[4:60, 4:60] = True
    assert clone_region(rgb, region, rng, tries=20) is None
