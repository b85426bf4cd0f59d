"""Pure parts of shot detection and keyframe choice."""

from __future__ import annotations

import cv2
import numpy as np

from verilens.video.shots import (
    keyframe_decision,
    near_duplicate_of,
    shots_from_cuts,
    small_bgr_from_yuv420,
)


def test_shots_from_cuts_covers_every_frame_once() -> None:
    shots = shots_from_cuts([40, 73, 73, 0, 500], 240)
    assert shots == [(0, 39), (40, 72), (73, 239)]
    assert sum(b - a + 1 for a, b in shots) == 240


def test_shots_from_cuts_single_shot() -> None:
    assert shots_from_cuts([], 10) == [(0, 9)]


def test_keyframe_decision_shot_start_and_interval() -> None:
    assert keyframe_decision(0, True, None, 50) == "shot"
    assert keyframe_decision(10, False, 0, 50) is None
    assert keyframe_decision(50, False, 0, 50) == "interval"
    assert keyframe_decision(51, True, 50, 50) == "shot"
    assert keyframe_decision(500, False, 0, 0) is None  # interval 0: shot starts only


def test_near_duplicate_threshold() -> None:
    rng = np.random.default_rng(0)
    a = rng.integers(0, 2, 256)
    b = a.copy()
    b[:20] ^= 1  # 20 bits away
    c = 1 - a  # 256 bits away
    assert near_duplicate_of(b, [c, a], 24) == 1
    assert near_duplicate_of(b, [c, a], 19) is None
    assert near_duplicate_of(a, [], 24) is None


def test_small_bgr_is_the_sampled_full_conversion() -> None:
    """Point sampling of 4:2:0 planes lines chroma up with luma: equal to converting the full
    picture (chroma upsampled by repetition) and then sampling it."""
    rng = np.random.default_rng(1)
    h, w = 96, 128
    y = rng.integers(16, 235, (h, w), dtype=np.uint8)
    u = rng.integers(60, 200, (h // 2, w // 2), dtype=np.uint8)
    v = rng.integers(60, 200, (h // 2, w // 2), dtype=np.uint8)
    up = lambda c: np.repeat(np.repeat(c, 2, axis=0), 2, axis=1)  # noqa: E731
    full = cv2.cvtColor(np.dstack([y, up(u), up(v)]), cv2.COLOR_YUV2BGR)
    small = small_bgr_from_yuv420(y, u, v, 4)
    assert small.shape == (24, 32, 3)
    assert np.array_equal(small, full[::4, ::4])
    # odd steps are rounded down to even so chroma stays aligned
    assert small_bgr_from_yuv420(y, u, v, 5).shape == (24, 32, 3)
