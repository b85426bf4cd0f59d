"""Open an input safely: sniff, hash, bound, decode once.

An original is only ever opened for reading. The decoded working copy (EXIF orientation
applied, converted to RGB) lives in memory; checks that need the original bytes (JPEG
structure, metadata) read the original path.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageFile, ImageOps

from ..config import Limits
from ..errors import InputError, LimitExceeded, UnsupportedMedia
from ..evidence import InputInfo
from ..imaging import to_rgb
from .sniff import HEAD_BYTES, Sniffed, describe_unknown, sniff

# Pillow's own bomb guard is replaced by ours (a clearer message, a configurable limit).
Image.MAX_IMAGE_PIXELS = None
ImageFile.LOAD_TRUNCATED_IMAGES = False

_heif_lock = threading.Lock()
_heif_ready = False


def _register_heif() -> None:
    global _heif_ready
    with _heif_lock:
        if not _heif_ready:
            try:
                import pillow_heif

                pillow_heif.register_heif_opener()
            except ImportError:  # pragma: no cover - declared dependency
                pass
            _heif_ready = True


def sha256_file(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, streamed (constant memory)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


@dataclass
class MediaItem:
    """One input, opened and bounded.

    Attributes
    ----------
    path : Path
        The original (never written to). For a URL, the downloaded copy in the working area.
    sniffed : Sniffed
        The type recognised from the bytes.
    sha256 : str
    size_bytes : int
    width, height : int or None
        Of the working copy (after EXIF orientation), or of the video stream.
    url : str or None
        Where it was downloaded from.
    notes : list of str
        Things intake noticed (orientation applied, orientation unreadable, ...).
    """

    path: Path
    sniffed: Sniffed
    sha256: str
    size_bytes: int
    width: int | None = None
    height: int | None = None
    frames: int | None = None
    duration_s: float | None = None
    fps: float | None = None
    url: str | None = None
    notes: list[str] = field(default_factory=list)
    video_info: dict[str, Any] = field(default_factory=dict)
    _pil: Image.Image | None = field(default=None, repr=False)
    _rgb: np.ndarray | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def kind(self) -> str:
        return self.sniffed.kind

    @property
    def mime(self) -> str:
        return self.sniffed.mime

    @property
    def is_jpeg(self) -> bool:
        return self.sniffed.mime == "image/jpeg"

    def image(self) -> Image.Image:
        """The decoded working copy as a Pillow image (RGB, orientation applied)."""
        if self._pil is None:
            raise InputError(f"{self.path.name}: no decoded image (kind {self.kind})")
        return self._pil

    def rgb(self) -> np.ndarray:
        """The working copy as a read-only ``uint8`` array of shape (H, W, 3)."""
        with self._lock:
            if self._rgb is None:
                arr = np.asarray(self.image(), dtype=np.uint8)
                arr.setflags(write=False)
                self._rgb = arr
            return self._rgb

    def gray(self) -> np.ndarray:
        """Luma (ITU-R BT.601) of the working copy as ``float32`` in 0..255."""
        rgb = self.rgb().astype(np.float32)
        return rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)

    def info(self) -> InputInfo:
        return InputInfo(
            path=str(self.path),
            url=self.url,
            sha256=self.sha256,
            mime=self.mime,
            kind=self.kind,  # type: ignore[arg-type]
            width=self.width,
            height=self.height,
            duration_s=self.duration_s,
            size_bytes=self.size_bytes,
            frames=self.frames,
        )


def _decode_image(path: Path, sniffed: Sniffed, limits: Limits, notes: list[str]) -> tuple[Image.Image, int]:
    if sniffed.mime in ("image/heic", "image/avif"):
        _register_heif()
    name = path.name
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            im: Image.Image = Image.open(path)
            w, h = im.size
            if w <= 0 or h <= 0:
                raise InputError(f"{name}: the image declares an empty size ({w} x {h})")
            if w * h > limits.max_pixels:
                raise LimitExceeded(
                    f"{name}: the image declares {w} x {h} = {w * h / 1e6:.0f} megapixels, over the "
                    f"limit of {limits.max_pixels / 1e6:.0f} megapixels (a possible decompression "
                    "bomb); raise the limit with --max-pixels if the file is genuine"
                )
            frames = int(getattr(im, "n_frames", 1) or 1)
            if frames > limits.max_frames:
                raise LimitExceeded(
                    f"{name}: {frames} frames, over the limit of {limits.max_frames} (--max-frames)"
                )
            im.load()
            try:
                oriented = ImageOps.exif_transpose(im)
                if oriented is not None and oriented is not im:
                    orientation = im.getexif().get(0x0112)
                    if orientation and orientation != 1:
                        notes.append(f"EXIF orientation {orientation} applied to the working copy")
                    im = oriented
            except Exception as exc:  # a hostile orientation tag is data, not a crash
                notes.append(f"EXIF orientation could not be read ({type(exc).__name__}); not applied")
            return to_rgb(im), frames  # high bit depths scaled, transparency over white
    except InputError:
        raise
    except MemoryError as exc:
        raise LimitExceeded(f"{name}: not enough memory to decode this image") from exc
    except Exception as exc:  # Pillow raises many types on hostile data
        msg = str(exc) or type(exc).__name__
        if "truncated" in msg.lower():
            raise InputError(f"{name}: the image data is truncated ({msg})") from exc
        raise InputError(f"{name}: the image data is corrupt and cannot be decoded ({msg})") from exc


def _probe_video(path: Path, limits: Limits) -> dict[str, Any]:
    import av

    name = path.name
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            duration = container.duration / 1e6 if container.duration else None
            streams = container.streams.video
            if not streams:
                raise InputError(f"{name}: the container holds no video stream")
            vs = streams[0]
            cc = vs.codec_context
            width, height = int(cc.width or 0), int(cc.height or 0)
            if duration is None and vs.duration and vs.time_base:
                duration = float(vs.duration * vs.time_base)
            fps = float(vs.average_rate) if vs.average_rate else None
            frames = int(vs.frames or 0) or None
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"{name}: the video cannot be opened ({exc or type(exc).__name__})") from exc
    if width <= 0 or height <= 0:
        raise InputError(f"{name}: the video stream declares no picture size")
    if width * height > limits.max_pixels:
        raise LimitExceeded(f"{name}: the video declares {width} x {height} pixels per frame, over the limit")
    if duration is not None and duration > limits.max_video_s:
        raise LimitExceeded(
            f"{name}: the video lasts {duration / 3600:.1f} h, over the limit of "
            f"{limits.max_video_s / 3600:.1f} h (--max-video-s)"
        )
    declared_cap = max(limits.max_frames, int(limits.max_video_s * 240))
    if frames is not None and frames > declared_cap:
        raise LimitExceeded(f"{name}: the video declares {frames} frames, over the limit of {declared_cap}")
    return {"width": width, "height": height, "duration_s": duration, "fps": fps, "frames": frames,
            "codec": cc.name}


def read_head(path: str | os.PathLike[str], limits: Limits) -> tuple[bytes, os.stat_result]:
    """The first :data:`~verilens.intake.sniff.HEAD_BYTES` of a file to be read, with its stat,
    after the checks every reader makes.

    Raises
    ------
    InputError
        Missing, a broken link, a folder, not a regular file (a pipe would block the read),
        unreadable or empty.
    LimitExceeded
        Over the file-size limit.
    """
    p = Path(path)
    name = p.name or str(p)
    if not p.exists():
        if p.is_symlink():
            raise InputError(f"{name}: a broken symbolic link (its target does not exist)")
        raise InputError(f"{name}: no such file")
    if p.is_dir():
        raise InputError(f"{name}: is a folder, not a file")
    try:
        st = p.stat()
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"{name}: not a regular file (a pipe, device or socket); refused")
        with open(p, "rb") as f:
            head = f.read(HEAD_BYTES)
    except PermissionError as exc:
        raise InputError(f"{name}: permission denied (the file cannot be read)") from exc
    except OSError as exc:
        raise InputError(f"{name}: cannot be read ({exc.strerror or exc})") from exc
    if st.st_size == 0:
        raise InputError(f"{name}: the file is empty (0 bytes)")
    if st.st_size > limits.max_file_bytes:
        raise LimitExceeded(
            f"{name}: {st.st_size / 2**20:.0f} MiB, over the limit of "
            f"{limits.max_file_bytes / 2**20:.0f} MiB (--max-file-mb)"
        )
    return head, st


def open_media(path: str | os.PathLike[str], limits: Limits | None = None, *, url: str | None = None) -> MediaItem:
    """Open one local file as a :class:`MediaItem`.

    Parameters
    ----------
    path : path-like
        A local file. It is only read.
    limits : Limits, optional
        Bounds; default :meth:`Limits.from_env`.
    url : str, optional
        The URL the file was downloaded from, recorded in the item.

    Returns
    -------
    MediaItem
        For an image, decoded once (orientation applied). For a video, probed (size,
        duration, frame rate), not decoded.

    Raises
    ------
    InputError
        Missing, unreadable, empty, truncated or corrupt input.
    UnsupportedMedia
        The bytes are not a supported format (the extension is ignored).
    LimitExceeded
        Over a configured limit, checked before decoding.
    """
    limits = limits or Limits.from_env()
    p = Path(path)
    name = p.name or str(p)
    head, st = read_head(p, limits)
    sniffed = sniff(head)
    if sniffed is None:
        raise UnsupportedMedia(f"{name}: not a supported image or video: {describe_unknown(head)}")
    if sniffed.kind == "image" and st.st_size > limits.max_image_bytes:
        raise LimitExceeded(
            f"{name}: a {st.st_size / 2**20:.0f} MiB still image, over the limit of "
            f"{limits.max_image_bytes / 2**20:.0f} MiB"
        )
    digest = sha256_file(p)
    item = MediaItem(path=p, sniffed=sniffed, sha256=digest, size_bytes=st.st_size, url=url)
    if sniffed.kind == "image":
        im, frames = _decode_image(p, sniffed, limits, item.notes)
        item._pil = im
        item.width, item.height = im.size
        item.frames = frames
    else:
        info = _probe_video(p, limits)
        item.width, item.height = info["width"], info["height"]
        item.duration_s, item.fps, item.frames = info["duration_s"], info["fps"], info["frames"]
        item.video_info = info
    return item
