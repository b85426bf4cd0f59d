"""Keyframe extraction on videos made in code with known cuts, fades and long shots."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from tests.video.synth import Shot, cut_frames, iter_frames, make_video, write_video
from verilens.config import Limits
from verilens.errors import InputError, LimitExceeded
from verilens.video.keyframes import extract_keyframes, pdq_hash, write_keyframe

EDITED = [Shot(1, 40), Shot(2, 33), Shot(3, 60, pan=(4, 3)), Shot(4, 50, fade_in=20), Shot(5, 27),
          Shot(6, 45, pan=(-3, 2)), Shot(1, 30)]


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("v") / "edited.mp4", EDITED, fps=25)


def _assert_cuts_within_one_frame(found: list[int], truth: list[int]) -> None:
    for c in truth:
        assert min(abs(c - f) for f in found) <= 1, (c, found)


def test_every_hard_cut_within_one_frame(edited: Path) -> None:
    res = extract_keyframes(edited)
    truth = cut_frames(EDITED)
    _assert_cuts_within_one_frame(res.cuts, truth)
    # no false cut: the gradual fade gives at most one extra boundary
    assert len(res.cuts) <= len(truth) + 1
    assert res.complete and res.mode == "shots" and res.frames_decoded == sum(s.frames for s in EDITED)
    assert res.cut_times_s[0] == pytest.approx(40 / 25)


def test_cuts_at_other_frame_rate_and_codec(tmp_path: Path) -> None:
    shots = [Shot(11, 31), Shot(12, 29), Shot(13, 47), Shot(14, 20)]
    path = make_video(tmp_path / "mpeg4.mp4", shots, width=352, height=288, fps=30, codec="mpeg4")
    res = extract_keyframes(path)
    _assert_cuts_within_one_frame(res.cuts, cut_frames(shots))
    assert len(res.cuts) == 3
    assert res.fps == pytest.approx(30.0)


def test_keyframe_per_shot_and_timing(edited: Path) -> None:
    res = extract_keyframes(edited, interval_s=0)
    shot_kfs = [k for k in res.keyframes if k.reason == "shot"]
    assert shot_kfs[0].frame == 0 and shot_kfs[0].time_s == 0.0
    for k in shot_kfs:
        assert k.time_s == pytest.approx(k.frame / 25, abs=1e-6)
        assert k.rgb is not None and k.rgb.shape == (240, 320, 3)


def test_recurring_shot_is_collapsed(edited: Path) -> None:
    """The last shot repeats the first: one keyframe, with the repeat's time recorded."""
    res = extract_keyframes(edited, interval_s=0)
    last_cut_t = res.cut_times_s[-1]
    first = res.keyframes[0]
    assert any(abs(t - last_cut_t) < 0.05 for t in first.duplicates)
    assert all(abs(k.time_s - last_cut_t) > 0.05 for k in res.keyframes)


def test_fade_content_is_covered_by_periodic_keyframes(edited: Path) -> None:
    """Shot 4 enters by a 20-frame dissolve: whether or not a cut is called, a keyframe shows
    its content after the dissolve, and that keyframe is the decoded picture of its frame."""
    res = extract_keyframes(edited, interval_s=2.0)
    start = sum(s.frames for s in EDITED[:3])
    clean_from, end = start + EDITED[3].fade_in, start + EDITED[3].frames
    frames = list(iter_frames(EDITED, 320, 240))
    inside = [k for k in res.keyframes if clean_from <= k.frame < end]
    assert inside
    for k in inside:
        target, _ = pdq_hash(frames[k.frame])
        assert int(np.count_nonzero(k.pdq != target)) <= 16
    # no cut is called inside the dissolve itself except at most one
    assert sum(1 for c in res.cuts if start < c < clean_from) <= 1


def test_single_long_shot_yields_periodic_keyframes(tmp_path: Path) -> None:
    shot = [Shot(21, 250, pan=(3, 2))]  # 10 s, slow pan, no cut
    path = make_video(tmp_path / "long.mp4", shot, fps=25)
    res = extract_keyframes(path, interval_s=2.0, collapse_distance=0)
    assert res.cuts == []
    assert len(res.shots) == 1
    times = [k.time_s for k in res.keyframes]
    assert times[0] == 0.0
    assert np.allclose(np.diff(times), 2.0)
    assert len(times) == 5
    assert {k.reason for k in res.keyframes[1:]} == {"interval"}


def test_static_long_shot_collapses(tmp_path: Path) -> None:
    path = make_video(tmp_path / "static.mp4", [Shot(22, 200, pan=(0, 0))], fps=25)
    res = extract_keyframes(path, interval_s=1.0)
    assert len(res.keyframes) == 1
    assert len(res.keyframes[0].duplicates) == 7


def test_write_keyframe(tmp_path: Path, edited: Path) -> None:
    from PIL import Image

    res = extract_keyframes(edited, max_keyframes=2)
    p = write_keyframe(res.keyframes[1], tmp_path / "out", "clip")
    assert p.exists() and res.keyframes[1].path == str(p)
    assert np.array_equal(np.asarray(Image.open(p)), res.keyframes[1].rgb)
    assert len(res.keyframes) == 2 and any("cap" in n for n in res.notes)


def test_keep_rgb_false_and_callback(edited: Path) -> None:
    seen = []
    res = extract_keyframes(edited, keep_rgb=False, on_keyframe=lambda k: seen.append(k.rgb.shape))
    assert len(seen) == len(res.keyframes) and all(k.rgb is None for k in res.keyframes)


# ---------------------------------------------------------------- hostile and bounded

def test_truncated_video_reads_what_is_there(tmp_path: Path, edited: Path) -> None:
    data = edited.read_bytes()
    cut = tmp_path / "truncated.mp4"
    cut.write_bytes(data[: len(data) // 2])
    try:
        res = extract_keyframes(cut)
    except InputError as exc:  # moov atom at the end: nothing decodable is an error, not a crash
        assert "truncated.mp4" in str(exc)
    else:
        assert res.frames_decoded < sum(s.frames for s in EDITED)


def test_truncated_fragment_with_header_first(tmp_path: Path) -> None:
    """A stream whose header comes first (MPEG-TS) cut mid-way: the first half decodes."""
    frames = iter_frames([Shot(31, 50), Shot(32, 50)], 320, 240)
    ts = write_video(tmp_path / "clip.ts", frames, fps=25)
    data = ts.read_bytes()
    cut = tmp_path / "cut.ts"
    cut.write_bytes(data[: int(len(data) * 0.6)] + b"\x47" + bytes(range(256)) * 20)
    res = extract_keyframes(cut)
    assert 30 <= res.frames_decoded < 100
    assert res.cuts == [50] or res.frames_decoded <= 52


def test_garbage_with_video_extension(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-video.mp4"
    bad.write_bytes(np.random.default_rng(0).integers(0, 256, 50_000, dtype=np.uint8).tobytes())
    with pytest.raises(InputError):
        extract_keyframes(bad)


def test_zero_length(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(InputError):
        extract_keyframes(empty)


def test_pixel_cap_applies_to_decoded_frames(edited: Path) -> None:
    with pytest.raises(LimitExceeded):
        extract_keyframes(edited, limits=Limits(max_pixels=320 * 200))


def test_deadline_stops_early_and_says_so(tmp_path: Path) -> None:
    path = make_video(tmp_path / "longer.mp4", [Shot(41, 400, pan=(2, 1))], fps=25)
    res = extract_keyframes(path, deadline=time.monotonic() - 1)
    assert not res.complete
    assert res.frames_decoded < 400
    assert any("time budget" in n for n in res.notes)


def test_hours_long_video_is_read_intra_only_in_bounded_time(tmp_path: Path) -> None:
    """A 2.5-hour file (tiny, 1 fps) goes to intra-only mode: encoder keyframes, bounded time."""
    rng = np.random.default_rng(5)
    blocks = [rng.integers(0, 255, (48, 64, 3), dtype=np.uint8) for _ in range(6)]
    frames = (blocks[(i // 1500) % 6] for i in range(9000))
    path = write_video(tmp_path / "hours.mp4", frames, fps=1, preset="ultrafast", gop=300)
    t0 = time.monotonic()
    res = extract_keyframes(path)
    assert time.monotonic() - t0 < 30
    assert res.mode == "intra-only"
    assert res.duration_s == pytest.approx(9000, rel=0.01)
    assert res.frames_decoded <= 9000 / 300 + 10  # only I-frames decoded
    assert 1 <= len(res.keyframes) <= 6  # six distinct pictures, repeats collapsed
    assert any("encoder's keyframes" in n for n in res.notes)
