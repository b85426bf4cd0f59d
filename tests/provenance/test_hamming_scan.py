"""The compiled Hamming loops against the same results computed with NumPy."""

from __future__ import annotations

import numpy as np
import pytest

from verilens.provenance.hamming_scan import keep_within, scan_lists


def _lists(rng: np.random.Generator, n_lists: int = 200):
    sigs = rng.integers(0, 2**63, 200_000, dtype=np.int64).view(np.uint64)
    lens = rng.integers(0, 1500, n_lists)
    lens[:2] = 0, 1  # an empty list and a list of one
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]]).astype(np.int64)
    per = rng.integers(1, 4, n_lists)
    head = np.concatenate([[0], np.cumsum(per)[:-1]]).astype(np.int64)
    tail = head + per
    owner = np.repeat(np.arange(n_lists), per)
    # each query signature a few bits from an entry of the list it probes, and some far from all
    pick = starts[owner] + rng.integers(0, 1 << 30, owner.size) % np.maximum(lens[owner], 1)
    qsig = sigs[pick] ^ (np.uint64(1) << rng.integers(0, 64, owner.size).astype(np.uint64))
    qsig[::7] = rng.integers(0, 2**63, qsig[::7].size, dtype=np.int64).view(np.uint64)
    pair_q = rng.integers(0, 40, owner.size).astype(np.int64)  # 40 query descriptors, several lists each
    return qsig, pair_q, head, tail, starts, starts + lens, sigs


def _brute(qsig, pair_q, head, tail, starts, ends, sigs, bound):
    """(descriptor, entry, distance) of every pair within ``bound``, by NumPy."""
    out = []
    for i in range(head.size):
        for p in range(head[i], tail[i]):
            d = np.bitwise_count(sigs[starts[i]:ends[i]] ^ qsig[p])
            out += [(int(pair_q[p]), int(starts[i] + e), int(d[e])) for e in np.flatnonzero(d <= bound)]
    return out


def _outputs(cap: int) -> list[np.ndarray]:
    return [np.full(cap, -1, np.int64), np.full(cap, -1, np.int64), np.zeros(cap, np.uint8)]


def test_scan_counts_and_lists_every_entry_within_the_bound():
    rng = np.random.default_rng(3)
    args = _lists(rng)
    want = _brute(*args, 12)
    room = int(((args[3] - args[2]) * (args[5] - args[4])).sum())  # one per comparison
    hist, out = np.zeros((40, 13), np.int64), _outputs(room)
    assert scan_lists(*args, hist, *out) == len(want) and len(want) > 150  # near entries are there to find
    assert sorted(zip(*(o[:len(want)].tolist() for o in out), strict=True)) == sorted(want)
    counts = np.zeros_like(hist)
    for q, _, d in want:
        counts[q, d] += 1
    assert np.array_equal(hist, counts)
    # outputs without room for every comparison are refused (the scan writes as it compares)
    with pytest.raises(ValueError, match="shorter"):
        scan_lists(*args, np.zeros((40, 13), np.int64), *_outputs(len(want) + 10))


def test_keep_within_keeps_in_order_the_entries_within_each_cutoff():
    rng = np.random.default_rng(4)
    args = _lists(rng)
    out = _outputs(int(((args[3] - args[2]) * (args[5] - args[4])).sum()))
    n = scan_lists(*args, np.zeros((40, 13), np.int64), *out)
    listed = list(zip(*(o[:n].tolist() for o in out), strict=True))
    cutoff = rng.integers(0, 13, 40).astype(np.int64)
    m = keep_within(*out, n, cutoff)
    assert list(zip(*(o[:m].tolist() for o in out), strict=True)) == [t for t in listed if t[2] <= cutoff[t[0]]]
    assert 0 < m < n


def test_compiled_without_a_cache_where_none_can_be_written(monkeypatch):
    import numba

    from verilens.provenance import hamming_scan

    def njit(**kw):
        if kw.get("cache"):
            raise RuntimeError("cannot cache function: no locator available")
        return numba.njit(**kw)

    monkeypatch.setattr(hamming_scan, "njit", njit)
    twice = hamming_scan._compiled(lambda x: 2 * x)
    assert twice(21) == 42 and type(twice._cache).__name__ == "NullCache"  # compiled, not cached


def test_nearest_centroids_are_exact_with_ties_to_the_lower_index():
    from verilens.provenance.hamming_scan import nearest_centroids

    rng = np.random.default_rng(6)
    # few distinct bits: distances tie often
    cents = (rng.integers(0, 2, (3, 50, 32)) * rng.integers(0, 256, (3, 50, 32))).astype(np.uint8)
    cents[1, 7] = cents[1, 3]  # the same centroid twice in a group
    x = (rng.integers(0, 2, (300, 32)) * rng.integers(0, 256, (300, 32))).astype(np.uint8)
    groups = rng.integers(0, 3, (300, 2)).astype(np.int64)
    out = np.empty((300, 2, 4), np.int64)
    nearest_centroids(x.view(np.uint64), groups, cents.view(np.uint64), out)
    for i in range(300):
        for j in range(2):
            d = np.bitwise_count(cents[groups[i, j]] ^ x[i]).sum(axis=1)
            assert out[i, j].tolist() == np.lexsort((np.arange(50), d))[:4].tolist()
