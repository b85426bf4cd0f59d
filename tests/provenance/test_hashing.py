"""PDQ hashing (first stage)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from tests.provenance._fixtures import photo
from verilens.provenance.hashing import (
    DIHEDRAL_NAMES,
    PDQ_MATCH_THRESHOLD,
    hamming,
    pdq_dihedral,
    pdq_hash,
    pdq_similarity,
)


def test_hash_is_256_bits_and_stable_under_resize_and_jpeg(tmp_path):
    rgb = photo(1)
    h = pdq_hash(rgb)
    assert len(h.bits) == 32 and h.quality >= 50 and not h.low_quality
    small = np.asarray(Image.fromarray(rgb).resize((360, 270), Image.Resampling.BILINEAR))
    Image.fromarray(small).save(tmp_path / "q.jpg", quality=30)
    recompressed = np.asarray(Image.open(tmp_path / "q.jpg").convert("RGB"))
    # PDQ paper: near-duplicates under resize/recompression stay well under 31 bits
    assert hamming(h.bits, pdq_hash(recompressed).bits) <= PDQ_MATCH_THRESHOLD


def test_unrelated_pictures_are_about_half_the_bits_apart():
    d = [hamming(pdq_hash(photo(i)).bits, pdq_hash(photo(i + 100)).bits) for i in range(4)]
    # uncorrelated 256-bit codes: mean 128, sd 8; anything near the 31-bit threshold is a bug
    assert min(d) > 70


def test_flat_picture_is_low_quality():
    assert pdq_hash(np.full((200, 200, 3), 128, np.uint8)).low_quality


def test_dihedral_variants_match_rotated_and_mirrored_copies():
    rgb = photo(2)
    variants = dict(pdq_dihedral(rgb))
    assert list(variants) == list(DIHEDRAL_NAMES)
    assert hamming(variants["original"].bits, pdq_hash(rgb).bits) == 0
    # named for what turns the archived picture into the query: np.rot90 turns counter-clockwise
    # and the query variant that matches it is turned back clockwise
    for name, arr in (("rotated 90° clockwise", np.rot90(rgb, 1)), ("rotated 180°", rgb[::-1, ::-1]),
                      ("mirrored", rgb[:, ::-1]), ("flipped vertically", rgb[::-1])):
        h = pdq_hash(np.ascontiguousarray(arr)).bits
        # the symmetric 64x64 reduction makes the variants exact (hashing.py Notes)
        assert hamming(variants[name].bits, h) <= 2, name
        assert hamming(variants["original"].bits, h) > PDQ_MATCH_THRESHOLD, name


def test_similarity_scale():
    assert pdq_similarity(0) == 1.0 and pdq_similarity(64) == 0.0 and pdq_similarity(128) == 0.0
    assert 0.5 < pdq_similarity(PDQ_MATCH_THRESHOLD) < 0.55


def test_hamming_rejects_length_mismatch():
    import pytest

    with pytest.raises(ValueError):
        hamming(b"\x00" * 32, b"\x00" * 31)
