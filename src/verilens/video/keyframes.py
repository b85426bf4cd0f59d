"""Keyframes of a video: decode once (bounded), detect shots, pick and hash keyframes.

:func:`extract_keyframes` is the one entry point other domains call (the archive ingest of
a video, the ``check`` pipeline, the ``keyframes`` command). It decodes with PyAV in a
single streaming pass: every frame is reduced to a small picture for PySceneDetect's
``AdaptiveDetector``; only the frames chosen as keyframes are converted to full RGB and
hashed (PDQ), and near-identical keyframes are collapsed into one.
"""

from __future__ import annotations

import math
import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..config import Limits
from ..errors import InputError, LimitExceeded
from .shots import (
    DETECT_WIDTH,
    DetectorParams,
    ShotDetector,
    keyframe_decision,
    near_duplicate_of,
    shots_from_cuts,
    small_bgr_from_yuv420,
)

#: Default spacing of keyframes inside one long shot (seconds).
INTERVAL_S = 2.0
#: Largest PDQ distance (bits of 256) at which two keyframes are one picture.
COLLAPSE_DISTANCE = 24
#: Most keyframes kept from one video.
MAX_KEYFRAMES = 150
#: Longest side of a keyframe picture (pixels); larger frames are scaled down.
MAX_SIDE = 1280
#: Videos declared longer than this are read in intra-only mode (encoder keyframes only).
FULL_DECODE_MAX_S = 1800.0
#: Consecutive undecodable packets after which decoding stops (a corrupt stream).
MAX_DECODE_ERRORS = 200

_YUV420 = {"yuv420p", "yuvj420p"}


@dataclass
class Keyframe:
    """One keyframe.

    Attributes
    ----------
    index : int
        Position in the list of kept keyframes (0, 1, 2...).
    frame : int
        Frame number in decode order of the video (0 = first frame).
    time_s : float
        Presentation time from the first frame (seconds).
    rgb : ndarray of uint8 (H, W, 3) or None
        The picture, rotated upright (display matrix applied), longest side at most
        ``max_side``; None when not kept in memory.
    reason : {"shot", "interval", "intra"}
        First frame of a shot, a periodic frame inside a long shot, or an encoder keyframe
        (intra-only mode).
    shot : int
        Index of the shot it belongs to.
    pdq : ndarray of 0/1, shape (256,)
        PDQ hash of the picture.
    pdq_quality : int
        PDQ quality (0..100); below 50 the picture is nearly flat and its hash weak.
    duplicates : list of float
        Times (s) of later keyframe candidates collapsed into this one.
    """

    index: int
    frame: int
    time_s: float
    rgb: np.ndarray | None
    reason: str
    shot: int
    pdq: np.ndarray
    pdq_quality: int
    duplicates: list[float] = field(default_factory=list)
    path: str | None = None

    def pdq_hex(self) -> str:
        bits = np.asarray(self.pdq, dtype=np.uint8)
        return np.packbits(bits).tobytes().hex()

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "time_s": round(self.time_s, 4), "path": self.path, "frame": self.frame,
                "reason": self.reason, "shot": self.shot, "pdq": self.pdq_hex(),
                "pdq_quality": self.pdq_quality, "duplicates_s": [round(t, 3) for t in self.duplicates]}


@dataclass
class KeyframeResult:
    """What :func:`extract_keyframes` found.

    Attributes
    ----------
    keyframes : list of Keyframe
    cuts : list of int
        Frame numbers where a new shot starts (hard cuts).
    cut_times_s : list of float
    shots : list of (float, float)
        Start and end time (s) of each shot.
    fps : float or None
        Average frame rate of the stream.
    duration_s : float or None
        Declared duration.
    frames_decoded : int
    analysed_s : float
        Time span actually decoded (s).
    complete : bool
        False when decoding stopped early (time budget, frame cap, corrupt data).
    mode : {"shots", "intra-only"}
    decode_errors : int
    notes : list of str
    elapsed_s : float
    """

    keyframes: list[Keyframe]
    cuts: list[int]
    cut_times_s: list[float]
    shots: list[tuple[float, float]]
    fps: float | None
    duration_s: float | None
    frames_decoded: int
    analysed_s: float
    complete: bool
    mode: str
    decode_errors: int
    notes: list[str]
    elapsed_s: float
    width: int | None = None
    height: int | None = None
    rotation_deg: float = 0.0

    def summary_dict(self) -> dict[str, Any]:
        return {
            "fps": self.fps, "duration_s": self.duration_s, "frames_decoded": self.frames_decoded,
            "analysed_s": round(self.analysed_s, 3), "complete": self.complete, "mode": self.mode,
            "cuts": self.cuts, "cut_times_s": [round(t, 4) for t in self.cut_times_s],
            "shots": [[round(a, 3), round(b, 3)] for a, b in self.shots], "decode_errors": self.decode_errors,
            "notes": self.notes, "elapsed_s": round(self.elapsed_s, 3), "rotation_deg": self.rotation_deg,
        }


def _plane(frame: Any, i: int, h: int, w: int) -> np.ndarray:
    p = frame.planes[i]
    buf = np.frombuffer(p, dtype=np.uint8)
    ls = int(p.line_size)
    rows = buf.size // ls
    return buf[: rows * ls].reshape(rows, ls)[:h, :w]


def _small(frame: Any) -> np.ndarray:
    """The small BGR picture shot detection looks at."""
    w, h = int(frame.width), int(frame.height)
    step = max(2, int(round(w / DETECT_WIDTH)))
    step += step % 2
    if frame.format.name in _YUV420 and w >= 4 and h >= 4:
        y = _plane(frame, 0, h, w)
        u = _plane(frame, 1, (h + 1) // 2, (w + 1) // 2)
        v = _plane(frame, 2, (h + 1) // 2, (w + 1) // 2)
        return small_bgr_from_yuv420(y, u, v, step)
    sw, sh = max(2, math.ceil(w / step)), max(2, math.ceil(h / step))
    return frame.reformat(width=sw, height=sh, format="bgr24", interpolation="FAST_BILINEAR").to_ndarray()


def _upright_rgb(frame: Any, max_side: int) -> np.ndarray:
    w, h = int(frame.width), int(frame.height)
    scale = min(1.0, max_side / max(w, h, 1))
    if scale < 1.0:
        rgb = frame.reformat(width=max(2, int(w * scale) // 2 * 2), height=max(2, int(h * scale) // 2 * 2),
                             format="rgb24", interpolation="AREA").to_ndarray()
    else:
        rgb = frame.to_ndarray(format="rgb24")
    rot = float(getattr(frame, "rotation", 0) or 0)
    k = int(round(rot / 90.0)) % 4
    if k:
        rgb = np.rot90(rgb, k=k)
    return np.ascontiguousarray(rgb)


#: Pictures are reduced to this longest side (pixels) before PDQ hashing.
PDQ_SIDE = 512


def pdq_hash(rgb: np.ndarray) -> tuple[np.ndarray, int]:
    """PDQ hash (256 bits as 0/1) and quality of an RGB picture.

    Notes
    -----
    Pictures larger than :data:`PDQ_SIDE` are first reduced (area averaging), as the PDQ
    paper suggests for speed; PDQ itself works on a 64×64 luma reduction, so the hash
    barely changes while the cost drops with the pixel count.

    References
    ----------
    Meta, "The TMK+PDQF Video-Hashing Algorithm and the PDQ Image Similarity Algorithm"
    (2019); ``pdqhash`` Python bindings of the reference C++ implementation.
    """
    import cv2
    import pdqhash

    h, w = rgb.shape[:2]
    scale = PDQ_SIDE / max(h, w, 1)
    if scale < 1.0:
        rgb = cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    bits, quality = pdqhash.compute(np.ascontiguousarray(rgb, dtype=np.uint8))
    return np.asarray(bits, dtype=np.uint8), int(quality)


def extract_keyframes(
    path: str | os.PathLike[str],
    *,
    interval_s: float = INTERVAL_S,
    collapse_distance: int = COLLAPSE_DISTANCE,
    max_keyframes: int = MAX_KEYFRAMES,
    max_side: int = MAX_SIDE,
    params: DetectorParams | None = None,
    deadline: float | None = None,
    limits: Limits | None = None,
    full_decode_max_s: float = FULL_DECODE_MAX_S,
    intra_only: bool | None = None,
    keep_rgb: bool = True,
    on_keyframe: Callable[[Keyframe], object] | None = None,
    progress: Callable[[float], None] | None = None,
) -> KeyframeResult:
    """Decode a video once and return its keyframes, shots and cuts.

    Parameters
    ----------
    path : path-like
        The video (only read).
    interval_s : float
        Inside a shot, a keyframe every ``interval_s`` seconds (0 = shot starts only).
    collapse_distance : int
        PDQ Hamming distance (bits of 256) at or under which a keyframe candidate is
        collapsed into an earlier keyframe (recorded in its ``duplicates``).
    max_keyframes : int
        Most keyframes kept; later candidates are counted in the notes, not kept.
    max_side : int
        Keyframe pictures are scaled so their longest side is at most this (pixels).
    params : DetectorParams, optional
        Shot detector parameters.
    deadline : float, optional
        ``time.monotonic()`` value after which decoding stops; the result is then
        ``complete=False`` with ``analysed_s`` saying how far it got.
    limits : Limits, optional
        Pixel cap applied to every decoded frame (a stream can change size mid-way).
    full_decode_max_s : float
        Videos declared longer than this are read in intra-only mode.
    intra_only : bool, optional
        Force (True) or forbid (False) intra-only mode: only the encoder's keyframes
        (I-frames) are decoded, ten to a hundred times faster, with no shot detection.
    keep_rgb : bool
        Keep each keyframe's picture in :attr:`Keyframe.rgb` (False saves memory when
        ``on_keyframe`` writes them out).
    on_keyframe : callable, optional
        Called with each new keyframe as soon as it is chosen (rgb still set).
    progress : callable, optional
        Called now and then with the time reached (s).

    Returns
    -------
    KeyframeResult

    Raises
    ------
    InputError
        No video stream, or not a readable container.
    LimitExceeded
        A decoded frame is larger than the pixel cap.

    Notes
    -----
    Frame numbers count decoded frames from 0; ``time_s`` is the presentation time
    relative to the first frame. Corrupt packets are skipped (counted in
    ``decode_errors``); after :data:`MAX_DECODE_ERRORS` consecutive failures decoding
    stops. Memory is bounded by the detector window (a few frames) plus the kept
    keyframes (``max_keyframes`` x ``max_side``² x 3 bytes at most).

    References
    ----------
    B. Castellano, PySceneDetect ``AdaptiveDetector``; PyAV (FFmpeg bindings).
    """
    import av

    t_start = time.monotonic()
    limits = limits or Limits.from_env()
    name = os.path.basename(os.fspath(path))
    try:
        container = av.open(os.fspath(path), metadata_errors="ignore")
    except Exception as exc:
        raise InputError(f"{name}: cannot be opened as a video ({exc or type(exc).__name__})") from exc
    notes: list[str] = []
    keyframes: list[Keyframe] = []
    kept_hashes: list[np.ndarray] = []
    cuts: set[int] = set()
    frame_times: dict[int, float] = {}
    decode_errors = 0
    frames = 0
    complete = True
    dropped = 0
    width = height = None
    rotation = 0.0
    with container:
        if not container.streams.video:
            raise InputError(f"{name}: the container holds no video stream")
        vs = container.streams.video[0]
        vs.thread_type = "AUTO"
        fps = float(vs.average_rate) if vs.average_rate else (float(vs.guessed_rate) if vs.guessed_rate else None)
        if fps is not None and not (0 < fps < 1000):
            notes.append(f"declared frame rate {fps:g} is implausible; 25 assumed for spacing")
            fps = None
        rate = fps or 25.0
        duration = container.duration / 1e6 if container.duration else (
            float(vs.duration * vs.time_base) if vs.duration and vs.time_base else None)
        if intra_only is None:
            intra_only = duration is not None and duration > full_decode_max_s
            if intra_only:
                notes.append(f"video lasts {duration:.0f} s (over {full_decode_max_s:.0f} s): only the encoder's "
                             "keyframes were decoded, no shot detection")
        mode = "intra-only" if intra_only else "shots"
        if intra_only:
            vs.codec_context.skip_frame = "NONKEY"
        detector = None if intra_only else ShotDetector(rate, params)
        lag = (detector.lag + 1) if detector is not None else 0
        interval_frames = int(round(interval_s * rate)) if interval_s > 0 else 0
        ring: deque[tuple[int, float, Any]] = deque()
        state: dict[str, Any] = {"last_kf": None, "last_t": 0.0, "shot": -1, "t0": None}

        def finalise(j: int, t: float, frame: Any) -> None:
            nonlocal dropped
            shot_start = j == 0 or j in cuts
            if shot_start:
                state["shot"] += 1
            if intra_only:
                decision = "intra" if (state["last_kf"] is None or t - state["last_t"] >= min(interval_s, 1.0) / 2) else None
            else:
                decision = keyframe_decision(j, shot_start, state["last_kf"], interval_frames)
            if decision is None:
                return
            state["last_kf"], state["last_t"] = j, t
            rgb = _upright_rgb(frame, max_side)
            bits, quality = pdq_hash(rgb)
            dup = near_duplicate_of(bits, kept_hashes, collapse_distance)
            if dup is not None:
                keyframes[dup].duplicates.append(t)
                return
            if len(keyframes) >= max_keyframes:
                dropped += 1
                return
            kf = Keyframe(index=len(keyframes), frame=j, time_s=t, rgb=rgb, reason=decision,
                          shot=max(state["shot"], 0), pdq=bits, pdq_quality=quality)
            keyframes.append(kf)
            kept_hashes.append(bits)
            if on_keyframe is not None:
                on_keyframe(kf)
            if not keep_rgb:
                kf.rgb = None

        packets = container.demux(vs)
        consecutive_errors = 0
        last_progress = 0.0
        stop = False
        while not stop:
            try:
                packet = next(packets)
            except StopIteration:
                break
            except av.FFmpegError as exc:
                notes.append(f"the container ends early or is damaged ({type(exc).__name__}); read up to there")
                complete = False
                break
            try:
                decoded = packet.decode()
                consecutive_errors = 0
            except av.FFmpegError:
                decode_errors += 1
                consecutive_errors += 1
                if consecutive_errors >= MAX_DECODE_ERRORS:
                    notes.append(f"{consecutive_errors} consecutive undecodable packets: stopped")
                    complete = False
                    break
                continue
            for frame in decoded:
                fw, fh = int(frame.width), int(frame.height)
                if fw * fh > limits.max_pixels:
                    raise LimitExceeded(f"{name}: a decoded frame is {fw} x {fh} pixels, over the limit")
                if width is None:
                    width, height = fw, fh
                    rotation = float(getattr(frame, "rotation", 0) or 0)
                ft = frame.time
                if state["t0"] is None:
                    state["t0"] = ft if ft is not None else 0.0
                t = (ft - state["t0"]) if ft is not None else frames / rate
                j = frames
                frames += 1
                frame_times[j] = t
                if detector is not None:
                    for c in detector.push(j, _small(frame)):
                        cuts.add(c)
                    ring.append((j, t, frame))
                    while ring and ring[0][0] <= j - lag:
                        finalise(*ring.popleft())
                else:
                    finalise(j, t, frame)
                if progress is not None and t - last_progress >= 5.0:
                    last_progress = t
                    progress(t)
                if frames > limits.max_video_s * 240:
                    notes.append("frame cap reached")
                    complete, stop = False, True
                    break
                if deadline is not None and time.monotonic() > deadline:
                    notes.append(f"time budget reached after {t:.1f} s of video")
                    complete, stop = False, True
                    break
        if detector is not None and frames:
            for c in detector.finish(frames - 1):
                cuts.add(c)
            while ring:
                finalise(*ring.popleft())
    if frames == 0:
        raise InputError(f"{name}: no picture could be decoded from the video stream")
    if decode_errors:
        notes.append(f"{decode_errors} packet(s) could not be decoded and were skipped")
    if dropped:
        notes.append(f"{dropped} more keyframe(s) past the cap of {max_keyframes} were not kept")
    cut_list = sorted(c for c in cuts if 0 < c < frames)
    analysed = frame_times[frames - 1] + (1.0 / rate)
    shots = [(frame_times[a], frame_times[b] + 1.0 / rate) for a, b in shots_from_cuts(cut_list, frames)]
    return KeyframeResult(
        keyframes=keyframes, cuts=cut_list, cut_times_s=[frame_times[c] for c in cut_list], shots=shots,
        fps=fps, duration_s=duration, frames_decoded=frames, analysed_s=analysed, complete=complete,
        mode=mode, decode_errors=decode_errors, notes=notes, elapsed_s=time.monotonic() - t_start,
        width=width, height=height, rotation_deg=rotation,
    )


def write_keyframe(kf: Keyframe, out_dir: str | os.PathLike[str], stem: str = "keyframe", fmt: str = "png") -> Path:
    """Write a keyframe picture to ``OUT_DIR/STEM-0003-12.345s.png`` and record the path.

    Parameters
    ----------
    kf : Keyframe
        With ``rgb`` set.
    out_dir : path-like
        Created if missing.
    fmt : {"png", "jpg"}
        PNG (lossless, default: adds no compression traces for later image checks) or JPEG
        (quality 95).
    """
    from PIL import Image

    if kf.rgb is None:
        raise ValueError("keyframe picture not kept in memory")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ext = "jpg" if fmt.lower() in ("jpg", "jpeg") else "png"
    p = out / f"{stem}-{kf.index:04d}-{kf.time_s:09.3f}s.{ext}"
    im = Image.fromarray(kf.rgb)
    if ext == "jpg":
        im.save(p, format="JPEG", quality=95)
    else:
        im.save(p, format="PNG", compress_level=1)
    kf.path = str(p)
    return p


__all__ = ["COLLAPSE_DISTANCE", "INTERVAL_S", "Keyframe", "KeyframeResult", "MAX_KEYFRAMES", "extract_keyframes",
           "pdq_hash", "write_keyframe"]
