"""faiss binary indexes: exactness at PDQ's threshold, persistence, the descriptor inverted file."""

from __future__ import annotations

import numpy as np

from verilens.provenance.hashing import PDQ_MATCH_THRESHOLD
from verilens.provenance.index import BinaryIndex, feature_index_for, pdq_index_for


def _flip(code: np.ndarray, bits: int, rng: np.random.Generator) -> np.ndarray:
    c = np.unpackbits(code)
    c[rng.choice(256, bits, replace=False)] ^= 1
    return np.packbits(c)


def test_multihash_is_exact_within_31_bits():
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 256, (20000, 32), dtype=np.uint8)
    mh = pdq_index_for(10**6)
    assert mh.kind == "multihash"
    mh.add(codes, np.arange(20000) + 100)
    # pigeonhole (index.py Notes): every code within 31 bits is found, whatever the bits
    for d in (0, 1, 15, 30, PDQ_MATCH_THRESHOLD):
        q = np.stack([_flip(codes[i], d, rng) for i in range(40)])
        hits = mh.range(q, PDQ_MATCH_THRESHOLD)
        found = {(h.query, h.owner) for h in hits}
        assert all((i, i + 100) in found for i in range(40)), d
        assert all(h.distance <= PDQ_MATCH_THRESHOLD for h in hits)
    far = np.stack([_flip(codes[i], 40, rng) for i in range(20)])
    assert not [h for h in mh.range(far, PDQ_MATCH_THRESHOLD) if h.owner == h.query + 100]


def test_serialisation_round_trip_and_owner_mapping():
    rng = np.random.default_rng(1)
    codes = rng.integers(0, 256, (500, 32), dtype=np.uint8)
    for idx in (BinaryIndex("flat"), pdq_index_for(10**6)):
        idx.add(codes[:300], np.arange(300) * 7)
        idx.add(codes[300:], np.arange(300, 500) * 7)
        again = BinaryIndex.from_parts(idx.kind, idx.params, idx.to_bytes(), idx.owners)
        hits = again.range(codes[[5, 450]], 0)
        assert sorted(h.owner for h in hits) == [35, 3150]


def test_descriptor_inverted_file_finds_near_descriptors():
    rng = np.random.default_rng(2)
    n = 80_000
    idx = feature_index_for(n)
    assert idx.kind == "ivf" and idx.needs_training
    base = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    idx.train(base[rng.choice(n, 40 * idx.params[0], replace=False)])
    idx.add(base, np.arange(n) // 100)
    q = np.stack([_flip(base[i], 20, rng) for i in range(0, 2000, 10)])
    dist, own = idx.knn(q, 4)
    # the inverted file is approximate per descriptor; pictures need only a few votes
    assert (own[:, 0] == np.arange(0, 2000, 10) // 100).mean() > 0.5
    assert feature_index_for(1000).kind == "flat"
