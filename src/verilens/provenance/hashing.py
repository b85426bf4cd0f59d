"""Perceptual hashing with PDQ: the cheap first stage of provenance search.

Pure functions on arrays; no file I/O. PDQ turns a picture into 256 bits (a DCT of a
64 x 64 luminance image, median-thresholded) and a quality score (0..100, how much
gradient the picture has). Near-duplicates differ in few bits; unrelated pictures in about
half of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: PDQ's published match threshold: Hamming distance <= 31 of 256 bits.
PDQ_MATCH_THRESHOLD = 31
#: Pictures under this PDQ quality (flat, blank, nearly uniform) are flagged and not matched.
PDQ_MIN_QUALITY = 50
#: Names of the eight dihedral variants, in the order pdqhash returns them.
DIHEDRAL_NAMES = (
    "original", "rotated 90° clockwise", "rotated 180°", "rotated 90° counter-clockwise",
    "flipped vertically", "mirrored", "mirrored + rotated 90°", "mirrored + rotated 270°",
)


@dataclass(frozen=True)
class PdqHash:
    """A PDQ hash.

    Attributes
    ----------
    bits : bytes
        32 bytes (256 bits, most significant bit first, the order ``numpy.packbits`` uses).
    quality : int
        PDQ quality, 0..100; below :data:`PDQ_MIN_QUALITY` the hash is not trusted.
    """

    bits: bytes
    quality: int

    @property
    def hex(self) -> str:
        return self.bits.hex()

    @property
    def low_quality(self) -> bool:
        return self.quality < PDQ_MIN_QUALITY


#: PDQ input side: pictures are area-averaged to a 64 x 64 square before hashing.
CANONICAL_SIDE = 64


def _prepare(rgb: np.ndarray) -> np.ndarray:
    """The 64 x 64 PDQ input: luma (ITU-R BT.601, PDQ's own weights), area-averaged, as 3 equal channels."""
    import cv2

    from .features import to_gray

    arr = np.asarray(rgb)
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] >= 3)) or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"expected an (H, W, 3) image, got shape {arr.shape}")
    if arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    # luma first, then the reduction: a third of the pixels to average, and the same
    # luma PDQ would compute from the averaged colours (up to rounding)
    gray = np.ascontiguousarray(to_gray(arr))
    if gray.shape != (CANONICAL_SIDE, CANONICAL_SIDE):
        gray = cv2.resize(gray, (CANONICAL_SIDE, CANONICAL_SIDE), interpolation=cv2.INTER_AREA)
    return np.repeat(gray[:, :, None], 3, axis=2)


def _pack(vector: np.ndarray) -> bytes:
    return np.packbits(np.asarray(vector, dtype=np.uint8).reshape(-1)[:256]).tobytes()


def pdq_hash(rgb: np.ndarray) -> PdqHash:
    """PDQ hash of an RGB picture.

    Parameters
    ----------
    rgb : ndarray, shape (H, W, 3) or (H, W), uint8
        The picture, any size.

    Returns
    -------
    PdqHash

    Notes
    -----
    The picture's luma is first area-averaged to a 64 x 64 square (OpenCV ``INTER_AREA``)
    and handed to PDQ at that size, where PDQ's own Jarosz box filters are the identity. PDQ
    works on a 64 x 64 luminance image anyway; doing the reduction with a filter that is
    exactly symmetric makes the dihedral variants exact (a mirrored picture hashes to the
    mirrored variant, bit for bit), which PDQ's own offset box filters on non-square
    pictures do not (about 30 bits apart on real photos). Hashes are therefore not
    bit-identical to other PDQ implementations' hashes of the full-size picture.

    PDQ is robust to resizing, recompression, mild colour and brightness changes and
    grayscale conversion; it is nearly blind to crops of 5 % or more, added borders and
    caption bars, which is why :mod:`verilens.provenance.features` adds a second stage.

    References
    ----------
    .. [1] Facebook, "The TMK+PDQF Video-Hashing Algorithm and the PDQ Image Similarity
       Algorithm", 2019, github.com/facebook/ThreatExchange/blob/main/hashing/hashing.pdf
    """
    import pdqhash

    vec, quality = pdqhash.compute(_prepare(rgb))
    return PdqHash(_pack(vec), int(quality))


def pdq_dihedral(rgb: np.ndarray) -> list[tuple[str, PdqHash]]:
    """The PDQ hashes of the eight dihedral variants (rotations by 90° and mirrors).

    Parameters
    ----------
    rgb : ndarray, shape (H, W, 3), uint8

    Returns
    -------
    list of (name, PdqHash)
        Eight variants, ``original`` first, named as in :data:`DIHEDRAL_NAMES`; the name
        describes the transform that maps the archived picture to this query.

    Notes
    -----
    Computed at once from one DCT (the PDQ reference implementation's dihedral trick), so
    it costs about the same as one hash.

    References
    ----------
    .. [1] Facebook ThreatExchange, PDQ reference implementation, ``dct-output-dihedral``.
    """
    import pdqhash

    vecs, quals = pdqhash.compute_dihedral(_prepare(rgb))
    quality = int(quals)
    return [(DIHEDRAL_NAMES[i], PdqHash(_pack(v), quality)) for i, v in enumerate(vecs)]


_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def hamming(a: bytes | np.ndarray, b: bytes | np.ndarray) -> int:
    """Hamming distance in bits between two equal-length bit strings (packed bytes)."""
    x = np.frombuffer(a, dtype=np.uint8) if isinstance(a, bytes) else np.asarray(a, dtype=np.uint8)
    y = np.frombuffer(b, dtype=np.uint8) if isinstance(b, bytes) else np.asarray(b, dtype=np.uint8)
    if x.shape != y.shape:
        raise ValueError("bit strings of different lengths")
    return int(_POPCOUNT[np.bitwise_xor(x, y)].sum())


def pdq_similarity(distance: int) -> float:
    """A 0..1 reading of a PDQ distance: 1 identical, 0.52 at the match threshold, 0 at 64+ bits.

    Notes
    -----
    Unrelated pictures sit near 128 bits; the scale is clipped at 64 so that every
    non-match reads 0.
    """
    return float(max(0.0, min(1.0, 1.0 - distance / 64.0)))


__all__ = ["DIHEDRAL_NAMES", "PDQ_MATCH_THRESHOLD", "PDQ_MIN_QUALITY", "PdqHash", "hamming",
           "pdq_dihedral", "pdq_hash", "pdq_similarity"]
