"""Reduced-size decoding of stills for hashing (the I/O edge of the hashing pipeline).

Only the still formats :mod:`verilens.intake.sniff` recognises are decoded. JPEGs (and
multi-picture JPEGs, MPO) are decoded with libjpeg's DCT scaling (Pillow ``draft`` mode:
1/2, 1/4 or 1/8 of the size, the smallest whose longer side still covers the target),
which skips most of the inverse DCT work; other formats are decoded in full. What remains
above the target is reduced in Pillow (box, then bilinear), and the EXIF orientation is
applied to the reduced copy. Hashes and keypoints are computed on it, so archive and query
sides see pictures of comparable size.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ..config import Limits
from ..errors import InputError, LimitExceeded, UnsupportedMedia
from ..imaging import fit_size, to_rgb
from ..intake.sniff import HEAD_BYTES, describe_unknown, sniff

#: Longer side of the reduced copy, pixels: the archive's keypoint side, so that hashing
#: needs no second resampling.
REDUCED_SIDE = 320


@dataclass(frozen=True)
class Decoded:
    """A reduced working copy.

    Attributes
    ----------
    rgb : ndarray, shape (h, w, 3), uint8
        Orientation applied, longer side at most the requested size.
    width, height : int
        Size of the original picture (after orientation), pixels.
    """

    rgb: np.ndarray
    width: int
    height: int


def _open(source: str | Path | bytes, name: str) -> Image.Image:
    try:
        if isinstance(source, bytes):
            return Image.open(io.BytesIO(source))
        return Image.open(source)
    except FileNotFoundError as exc:
        raise InputError(f"{source!s}: no such file") from exc
    except Image.UnidentifiedImageError as exc:
        raise UnsupportedMedia(f"{name}: not a picture format that can be hashed") from exc
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc})") from exc


#: The EXIF orientations (TIFF tag 274) as array operations that display the picture upright
#: (the ones Pillow's ``ImageOps.exif_transpose`` applies), done on the reduced copy.
_ORIENT = {
    1: lambda a: a,
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.swapaxes(0, 1),
    6: lambda a: a.swapaxes(0, 1)[:, ::-1],
    7: lambda a: a.swapaxes(0, 1)[::-1, ::-1],
    8: lambda a: a.swapaxes(0, 1)[::-1],
}


def _orientation(im: Image.Image) -> int:
    try:
        value = int(im.getexif().get(0x0112, 1))
    except Exception:  # a broken EXIF block: keep the stored orientation
        return 1
    return value if value in _ORIENT else 1


def decode_reduced(source: str | Path | bytes, side: int = REDUCED_SIDE, limits: Limits | None = None,
                   orient: bool = True, name: str | None = None) -> Decoded:
    """Decode a still picture at reduced size.

    Parameters
    ----------
    source : path or bytes
        The file (read only) or its bytes.
    side : int
        Longer side of the result, pixels.
    limits : Limits, optional
        Pixel cap checked on the declared size before any pixel is decoded.
    orient : bool
        Apply the EXIF orientation.
    name : str, optional
        Name used in error messages (default: the file name, or "input" for bytes).

    Returns
    -------
    Decoded

    Raises
    ------
    InputError, UnsupportedMedia, LimitExceeded
        Unreadable, truncated, not a picture, or over the pixel cap.
    """
    limits = limits or Limits()
    name = name or ("input" if isinstance(source, bytes) else Path(source).name)
    if isinstance(source, bytes):
        head = source[:HEAD_BYTES]
    else:
        from ..intake.media import read_head

        head, _ = read_head(source, limits)
    # the formats the rest of verilens reads, recognised from the bytes: no other decoder
    # of Pillow's sees hostile input
    sniffed = sniff(head)
    if sniffed is None:
        raise UnsupportedMedia(f"{name}: not a picture format that can be hashed ({describe_unknown(head)})")
    if sniffed.kind != "image":
        raise UnsupportedMedia(f"{name}: a {sniffed.label} video, not a still picture")
    if sniffed.mime in ("image/heic", "image/avif"):
        from ..intake.media import _register_heif

        _register_heif()
    im = _open(source, name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w, h = im.size
            if w <= 0 or h <= 0:
                raise InputError(f"{name}: the picture declares an empty size")
            if w * h > limits.max_pixels:
                raise LimitExceeded(f"{name}: {w} x {h} pixels is over the {limits.max_pixels:,} pixel limit")
            if im.format in ("JPEG", "MPO"):  # DCT scaling to the smallest size that still covers the target
                im.draft("RGB", fit_size(w, h, side))
            if getattr(im, "n_frames", 1) > 1:
                im.seek(0)
            im.load()
            orientation = _orientation(im) if orient else 1
            # a box reduction by the integer factor the thumbnail below would use, made before
            # any conversion: a large PNG with transparency is not copied at full size four
            # times over (what is left for the thumbnail is then under twice the target)
            tw, th = fit_size(*im.size, side)
            k = int(min(im.size[0] / (2 * tw), im.size[1] / (2 * th)))
            if k >= 2 and im.mode in ("RGB", "RGBA", "L", "LA"):
                im = im.reduce(k)
            im = to_rgb(im)  # high bit depths scaled, transparency over white
            if max(im.size) > side:  # box reduction to under twice the side, then bilinear
                im.thumbnail((side, side), Image.Resampling.BILINEAR, reducing_gap=2.0)
            arr = np.ascontiguousarray(_ORIENT[orientation](np.asarray(im, dtype=np.uint8)))
            ow, oh = (h, w) if orientation >= 5 else (w, h)
    except (InputError, LimitExceeded):
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise InputError(f"{name}: cannot decode ({exc})") from exc
    finally:
        im.close()
    if arr.ndim != 3 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise InputError(f"{name}: decoded to an empty picture")
    return Decoded(arr, int(ow), int(oh))


def encode_thumbnail(rgb: np.ndarray, side: int = 128, quality: int = 70) -> bytes:
    """A small JPEG of the reduced copy, stored in the catalog for result lists.

    Reduced by an integer box average (OpenCV's fast area path; up to ``k - 1`` edge pixels
    dropped) and then bilinearly by a factor under 2, which does not alias.
    """
    import cv2

    arr = np.ascontiguousarray(rgb[:, :, :3])
    h, w = arr.shape[:2]
    k = max(h, w) // side
    if k >= 2 and h >= k and w >= k:
        arr = cv2.resize(arr[:h - h % k, :w - w % k], (w // k, h // k), interpolation=cv2.INTER_AREA)
        h, w = arr.shape[:2]
    size = fit_size(w, h, side)
    if size != (w, h):
        arr = cv2.resize(arr, size, interpolation=cv2.INTER_LINEAR)
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(arr, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    return bytes(buf.tobytes()) if ok else b""


__all__ = ["Decoded", "REDUCED_SIDE", "decode_reduced", "encode_thumbnail"]
