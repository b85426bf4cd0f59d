"""Videos made in code with PyAV, with known shot boundaries (for tests and benchmarks)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from tests.media import natural_image


@dataclass(frozen=True)
class Shot:
    """One synthetic shot: a picture (by seed) panned slowly for ``frames`` frames."""

    seed: int
    frames: int
    fade_in: int = 0  # frames of cross-dissolve from the previous shot
    pan: tuple[int, int] = (2, 1)  # pixels per frame (x, y)


def _canvas(seed: int, width: int, height: int, margin: int) -> np.ndarray:
    return natural_image(width + 2 * margin, height + 2 * margin, seed=seed)


def iter_frames(shots: Sequence[Shot], width: int, height: int, margin: int = 120) -> Iterator[np.ndarray]:
    """RGB frames of the shot list (pan inside a larger canvas, so motion is real)."""
    canvases = {s.seed: _canvas(s.seed, width, height, margin) for s in shots}
    prev_last: np.ndarray | None = None
    for s in shots:
        big = canvases[s.seed]
        last = None
        for i in range(s.frames):
            dx = _tri(i * s.pan[0], 2 * margin)
            dy = _tri(i * s.pan[1], 2 * margin)
            frame = big[dy:dy + height, dx:dx + width]
            if prev_last is not None and i < s.fade_in:
                a = (i + 1) / (s.fade_in + 1)
                frame = (a * frame.astype(np.float32) + (1 - a) * prev_last.astype(np.float32)).astype(np.uint8)
            last = frame
            yield frame
        prev_last = last


def _tri(x: int, period: int) -> int:
    """Triangle wave in 0..period (a pan that turns back instead of jumping)."""
    x %= 2 * period
    return x if x <= period else 2 * period - x


def cut_frames(shots: Sequence[Shot]) -> list[int]:
    """First frame of every hard cut (shots without a fade)."""
    out, pos = [], 0
    for k, s in enumerate(shots):
        if k > 0 and s.fade_in == 0:
            out.append(pos)
        pos += s.frames
    return out


def write_video(path: Path, frames: Iterator[np.ndarray] | Sequence[np.ndarray], fps: int = 25,
                codec: str = "libx264", crf: int = 23, preset: str = "veryfast",
                gop: int | None = None) -> Path:
    """Encode RGB frames into an MP4 (H.264 by default)."""
    it = iter(frames)
    first = next(it)
    h, w = first.shape[:2]
    with av.open(str(path), "w") as out:
        st = out.add_stream(codec, rate=fps)
        st.width, st.height = w, h
        st.pix_fmt = "yuv420p"
        opts = {"preset": preset, "crf": str(crf)} if codec == "libx264" else {}
        if gop:
            opts["g"] = str(gop)
        st.options = opts
        for arr in _chain(first, it):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(arr), format="rgb24")
            for p in st.encode(frame):
                out.mux(p)
        for p in st.encode():
            out.mux(p)
    return path


def _chain(first: np.ndarray, rest: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    yield first
    yield from rest


def make_video(path: Path, shots: Sequence[Shot], width: int = 320, height: int = 240, fps: int = 25,
               **kw: object) -> Path:
    return write_video(path, iter_frames(shots, width, height), fps=fps, **kw)  # type: ignore[arg-type]
