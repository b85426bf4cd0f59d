"""Shot boundaries and keyframe choice: pure functions and a streaming detector.

Nothing here opens a file: frames arrive as arrays (small BGR pictures for detection) and
decisions come out as frame indices. :mod:`verilens.video.keyframes` does the decoding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Width (pixels) of the pictures shot detection looks at; PySceneDetect's own default
#: minimum working width is 256.
DETECT_WIDTH = 256


@dataclass(frozen=True)
class DetectorParams:
    """Parameters of the shot detector (PySceneDetect ``AdaptiveDetector``).

    Attributes
    ----------
    adaptive_threshold : float
        Ratio of a frame's content change to the mean change of its neighbours needed to
        call a cut (PySceneDetect default 3.0).
    min_content_val : float
        Minimum content change (mean HSV difference, 0..255) for a cut (default 15).
    window_width : int
        Neighbours on each side averaged (frames; default 2). Cuts are reported this many
        frames late.
    min_scene_len_s : float
        Shortest shot accepted (seconds); converted to frames with the stream's rate.
    """

    adaptive_threshold: float = 3.0
    min_content_val: float = 15.0
    window_width: int = 2
    min_scene_len_s: float = 0.4


class ShotDetector:
    """Streaming shot-cut detector over small BGR frames.

    Wraps PySceneDetect's ``AdaptiveDetector`` (content change in HSV, compared with a
    rolling window of neighbouring frames so that camera motion raises the bar).

    Parameters
    ----------
    fps : float
        Frame rate used to turn ``min_scene_len_s`` into frames.
    params : DetectorParams

    Notes
    -----
    Hard cuts are found at the exact first frame of the new shot. Gradual transitions
    (dissolves, fades) spread the change over many frames and are usually not reported as
    cuts; the periodic keyframes (:func:`keyframe_decision`) cover the new shot anyway.

    References
    ----------
    B. Castellano, PySceneDetect, ``scenedetect.detectors.AdaptiveDetector``,
    https://www.scenedetect.com/docs/latest/api/detectors.html
    """

    def __init__(self, fps: float, params: DetectorParams | None = None) -> None:
        from scenedetect.detectors import AdaptiveDetector

        self.params = params or DetectorParams()
        p = self.params
        min_len = max(1, int(round(p.min_scene_len_s * max(fps, 1.0))))
        self._det = AdaptiveDetector(adaptive_threshold=p.adaptive_threshold, min_scene_len=min_len,
                                     window_width=p.window_width, min_content_val=p.min_content_val)
        self.lag = p.window_width

    def push(self, index: int, small_bgr: np.ndarray) -> list[int]:
        """Feed frame ``index`` (consecutive from 0); return the cut frames now known."""
        return [int(c) for c in self._det.process_frame(index, small_bgr)]

    def finish(self, last_index: int) -> list[int]:
        """Flush the detector at the end of the stream."""
        return [int(c) for c in (self._det.post_process(last_index) or [])]


def keyframe_decision(index: int, shot_start: bool, last_keyframe: int | None, interval_frames: int) -> str | None:
    """Whether frame ``index`` becomes a keyframe, and why.

    Parameters
    ----------
    index : int
        Frame index.
    shot_start : bool
        The frame opens a shot (the first frame of the video, or the first after a cut).
    last_keyframe : int or None
        Index of the previous keyframe.
    interval_frames : int
        Inside one shot, a keyframe every this many frames.

    Returns
    -------
    {"shot", "interval"} or None
    """
    if shot_start or last_keyframe is None:
        return "shot"
    if interval_frames > 0 and index - last_keyframe >= interval_frames:
        return "interval"
    return None


def shots_from_cuts(cuts: Sequence[int], n_frames: int) -> list[tuple[int, int]]:
    """Shots as ``(first, last)`` frame indices (inclusive) from cut positions.

    Parameters
    ----------
    cuts : sequence of int
        First frame of every shot after the first.
    n_frames : int
        Frames in the analysed span.
    """
    bounds = [0] + sorted({c for c in cuts if 0 < c < n_frames}) + [n_frames]
    return [(a, b - 1) for a, b in zip(bounds[:-1], bounds[1:], strict=False) if b > a]


def hamming(a: np.ndarray, b: np.ndarray) -> int:
    """Hamming distance between two bit vectors (0/1 arrays of equal length)."""
    return int(np.count_nonzero(np.asarray(a, dtype=bool) != np.asarray(b, dtype=bool)))


def near_duplicate_of(bits: np.ndarray, kept: Sequence[np.ndarray], max_distance: int) -> int | None:
    """Position in ``kept`` of the first hash within ``max_distance`` bits of ``bits``.

    Parameters
    ----------
    bits : ndarray of 0/1, shape (256,)
        PDQ hash of the candidate.
    kept : sequence of ndarray
        Hashes of keyframes already kept.
    max_distance : int
        Largest Hamming distance still called a near-duplicate (PDQ bits; 31 is the
        reference implementation's "same picture" threshold, a collapse uses a stricter one).

    Returns
    -------
    int or None

    References
    ----------
    Meta, "The TMK+PDQF Video-Hashing Algorithm and the PDQ Image Similarity Algorithm"
    (2019), hashing.pdf in facebook/ThreatExchange.
    """
    if not kept:
        return None
    stack = np.asarray(kept, dtype=bool)
    d = np.count_nonzero(stack != np.asarray(bits, dtype=bool)[None, :], axis=1)
    i = int(np.argmin(d))
    return i if int(d[i]) <= max_distance else None


def small_bgr_from_yuv420(y: np.ndarray, u: np.ndarray, v: np.ndarray, step: int) -> np.ndarray:
    """A small BGR picture from YUV 4:2:0 planes by point sampling (no full-size conversion).

    Parameters
    ----------
    y, u, v : ndarray of uint8
        Luma plane (H, W) and chroma planes (H/2, W/2), cropped to the picture.
    step : int
        Even sampling step in luma pixels (2, 4, 6, ...).

    Returns
    -------
    ndarray of uint8, shape (ceil(H/step), ceil(W/step), 3)

    Notes
    -----
    Point sampling aliases fine texture, which does not matter for shot detection (a
    whole-frame change measure); it is what makes detection cost a fraction of decoding.
    Colours use OpenCV's ``COLOR_YUV2BGR`` (full-range matrix), so limited-range video comes
    out slightly flat; shot detection compares frames with each other, not with true colours.
    """
    import cv2

    step = max(2, step - (step % 2))
    ys = y[::step, ::step]
    cs = step // 2
    us = u[::cs, ::cs][: ys.shape[0], : ys.shape[1]]
    vs = v[::cs, ::cs][: ys.shape[0], : ys.shape[1]]
    h, w = min(ys.shape[0], us.shape[0], vs.shape[0]), min(ys.shape[1], us.shape[1], vs.shape[1])
    yuv = np.dstack([ys[:h, :w], us[:h, :w], vs[:h, :w]])
    return cv2.cvtColor(np.ascontiguousarray(yuv), cv2.COLOR_YUV2BGR)


__all__ = ["DETECT_WIDTH", "DetectorParams", "ShotDetector", "hamming", "keyframe_decision",
           "near_duplicate_of", "shots_from_cuts", "small_bgr_from_yuv420"]
