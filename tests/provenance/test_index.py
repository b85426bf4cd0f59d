"""Search indexes: PDQ exactness at its threshold, persistence, the visual-word descriptor index."""

from __future__ import annotations

import numpy as np
import pytest

from verilens.provenance import index as index_mod
from verilens.provenance.hashing import PDQ_MATCH_THRESHOLD
from verilens.provenance.index import (
    PROBE_COARSE,
    PROBE_FINE,
    SIG_MAX_BITS,
    SIG_SIGMA,
    WORD_LOAD,
    BinaryIndex,
    DescriptorIndex,
    _runs,
    feature_index_for,
    kmajority,
    pdq_index_for,
    search_threads,
)


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


def test_range_split_over_threads_gives_the_same_hits(monkeypatch):
    rng = np.random.default_rng(2)
    codes = rng.integers(0, 256, (3000, 32), dtype=np.uint8)
    q = np.stack([_flip(codes[i], i, rng) for i in range(0, 40, 5)])  # 8 queries, 0..35 bits off
    monkeypatch.setattr(index_mod, "PARALLEL_MIN_CODES", 1000)
    for idx in (BinaryIndex("flat"), pdq_index_for(10**6)):
        idx.add(codes, np.arange(3000) * 3)
        one = idx.range(q, PDQ_MATCH_THRESHOLD, threads=1)
        assert {(h.query, h.owner) for h in one} >= {(k, 15 * k) for k in range(7)}  # 35 bits off: not
        for threads in (2, 3, 8, 50):
            assert idx.range(q, PDQ_MATCH_THRESHOLD, threads=threads) == one, threads


def test_faiss_thread_setting_is_made_in_every_searching_thread(monkeypatch):
    import threading

    import faiss

    index_mod._faiss()  # this thread: set already
    monkeypatch.setenv("VERILENS_FAISS_THREADS", "3")
    seen: list[int] = []

    def search_thread() -> None:  # OpenMP keeps the setting per thread
        index_mod._faiss()
        seen.append(faiss.omp_get_max_threads())

    t = threading.Thread(target=search_thread)
    t.start()
    t.join()
    assert seen == [3]


def test_search_threads_setting(monkeypatch):
    monkeypatch.setenv("VERILENS_SEARCH_THREADS", "3")
    assert search_threads() == 3
    for bad in ("0", "-2", "many", ""):
        monkeypatch.setenv("VERILENS_SEARCH_THREADS", bad)
        assert 1 <= search_threads() <= 4


def _clusters(rng: np.random.Generator, centres: int, per: int, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """``per`` descriptors within ``bits`` flipped bits of each of ``centres`` random centres."""
    base = rng.integers(0, 256, (centres, 32), dtype=np.uint8)
    label = np.repeat(np.arange(centres), per)
    return np.stack([_flip(base[c], bits, rng) for c in label]), label


def test_kmajority_separates_clusters():
    rng = np.random.default_rng(3)
    x, label = _clusters(rng, 8, 60, 20)
    cent = kmajority(x, 8)
    d = np.array([[np.unpackbits(r ^ c).sum() for c in cent] for r in x])
    got = d.argmin(1)
    # each true cluster falls in one centroid, and different clusters in different ones
    assert all(len(set(got[label == c])) == 1 for c in range(8))
    assert len(set(got)) == 8
    assert kmajority(x[:3], 8).shape == (8, 32)  # fewer descriptors than centroids: repeats


def test_descriptor_index_votes_for_the_owner_of_near_descriptors():
    rng = np.random.default_rng(2)
    x, label = _clusters(rng, 400, 20, 30)  # 400 "pictures", 20 descriptors each
    n = len(x)
    k = DescriptorIndex.branching_for(n)
    assert k > 1 and DescriptorIndex.branching_for(WORD_LOAD) == 1
    idx = feature_index_for(n, x[rng.choice(n, 16 * k * k, replace=False)])
    assert idx.n_words == k * k and idx.kind == "words"
    idx.add(x[: n // 2], label[: n // 2] + 1000)
    idx.compact()
    idx.add(x[n // 2:], label[n // 2:] + 1000)  # side list, searched before any merge
    assert idx.ntotal == n
    hits = 0
    for c in (3, 150, 299, 390):
        q = np.stack([_flip(x[i], 12, rng) for i in np.nonzero(label == c)[0]])
        rows, votes, score = idx.vote(q, 6)
        hits += bool(len(rows)) and rows[0] == c + 1000
        assert (np.diff(score) <= 0).all() and (score <= votes + 1e-9).all()
    assert hits >= 3  # per-descriptor recall of the inverted file is under 1, pictures need a few votes
    unrelated = rng.integers(0, 256, (20, 32), dtype=np.uint8)
    rows, votes, _ = idx.vote(unrelated, 6)
    assert not len(votes) or votes.max() <= 2
    assert idx.memory_bytes() >= 12 * n


def test_descriptor_index_round_trip_and_arrays_that_do_not_fit():
    rng = np.random.default_rng(4)
    x, label = _clusters(rng, 200, 20, 30)
    k = DescriptorIndex.branching_for(len(x))
    idx = feature_index_for(len(x), x)
    idx.add(x, label)
    q = x[label == 17]
    before = idx.vote(q, 6)[:2]
    parts = idx.to_arrays()
    again = DescriptorIndex.from_arrays(parts)
    assert again.params == (k, k) and again.ntotal == idx.ntotal
    after = again.vote(q, 6)[:2]
    assert np.array_equal(before[0], after[0]) and np.array_equal(before[1], after[1])
    for bad in ({**parts, "offsets": parts["offsets"][::-1].copy()}, {**parts, "ids": parts["ids"][:-1]},
                {**parts, "ids": -parts["ids"]}, {**parts, "sigs": parts["sigs"].astype(np.int64)},
                {k: v for k, v in parts.items() if k != "fine"}, {**parts, "coarse": parts["coarse"][:1]}):
        with pytest.raises(ValueError):
            DescriptorIndex.from_arrays(bad)


def test_unsaved_entries_refiled_give_the_same_votes():
    rng = np.random.default_rng(6)
    x, label = _clusters(rng, 200, 20, 30)
    idx = feature_index_for(len(x), x)
    idx.add(x[:2000], label[:2000])
    base = DescriptorIndex.from_arrays({k: v.copy() for k, v in idx.to_arrays().items()})
    idx.mark_saved()
    idx.add(x[2000:], label[2000:])
    assert idx.unsaved_entries == len(x) - 2000
    words, rows, sigs = idx.unsaved()
    base.add_filed(words, rows, sigs)  # what a segment file carries, filed without assigning words again
    assert base.ntotal == idx.ntotal and base.unsaved_entries == 0
    q = x[label == 150]
    assert all(np.array_equal(a, b) for a, b in zip(idx.vote(q, 6), base.vote(q, 6), strict=True))
    idx.mark_saved()
    assert idx.unsaved_entries == 0 and len(idx.unsaved()[0]) == 0
    with pytest.raises(ValueError):
        base.add_filed(words + np.uint32(base.n_words), rows, sigs)
    with pytest.raises(ValueError):
        base.add_filed(words, rows.astype(np.int64), sigs)
    # a rebuild (bulk) is saved whole: its entries are not logged
    bulk = feature_index_for(len(x), x)
    bulk.bulk = True
    bulk.add(x, label)
    assert bulk.unsaved_entries == 0


def test_codes_from_gives_the_codes_added_since():
    rng = np.random.default_rng(7)
    codes = rng.integers(0, 256, (50, 32), dtype=np.uint8)
    for kind in ("flat", "multihash"):
        b = BinaryIndex(kind)
        b.add(codes[:30], np.arange(30))
        b.add(codes[30:], np.arange(30, 50))
        assert np.array_equal(b.codes_from(30), codes[30:]) and np.array_equal(b.codes_from(0), codes)
        assert b.codes_from(50).shape == (0, 32) and b.codes_from(99).shape == (0, 32)


def test_one_word_index_is_an_exhaustive_signature_scan():
    rng = np.random.default_rng(5)
    x, label = _clusters(rng, 30, 20, 20)
    idx = feature_index_for(len(x))
    assert idx.n_words == 1 and idx.outgrown(10 * WORD_LOAD) and not idx.outgrown(WORD_LOAD)
    idx.add(x, label)
    for c in range(30):
        rows, votes, _ = idx.vote(np.stack([_flip(x[i], 10, rng) for i in np.nonzero(label == c)[0]]), 6)
        assert rows[0] == c and votes[0] >= 15


def _brute_force_vote(idx: DescriptorIndex, q: np.ndarray, per_descriptor: int) -> dict[int, tuple[int, float]]:
    """The voting rule written out: every entry of the probed words within SIG_MAX_BITS; the
    cutoff at the per_descriptor-th nearest (ties kept); the closest per_descriptor rows vote."""
    words = idx.assign(q, PROBE_COARSE, PROBE_FINE)
    qsig = idx.signature(q)
    out: dict[int, list] = {}
    for i in range(len(q)):
        hits = []
        for offsets, ids, sigs in idx._groups():
            for w in words[i].tolist():
                d = np.bitwise_count(sigs[offsets[w]:offsets[w + 1]] ^ qsig[i])
                hits += [(int(a), int(r)) for a, r in zip(d, ids[offsets[w]:offsets[w + 1]], strict=True)
                         if a <= SIG_MAX_BITS]
        ds = sorted(a for a, _ in hits)
        cutoff = ds[per_descriptor - 1] if len(ds) >= per_descriptor else SIG_MAX_BITS
        best: dict[int, int] = {}
        for a, r in hits:
            if a <= cutoff:
                best[r] = min(best.get(r, 99), a)
        for r, a in sorted(best.items(), key=lambda kv: (kv[1], kv[0]))[:per_descriptor]:
            v = out.setdefault(r, [0, 0.0])
            v[0] += 1
            v[1] += float(np.exp(-(a / SIG_SIGMA) ** 2))
    return {r: (v[0], v[1]) for r, v in out.items()}


def test_vote_counts_what_the_rule_written_out_counts(monkeypatch):
    rng = np.random.default_rng(8)
    x, label = _clusters(rng, 300, 20, 30)
    # popular corners: 40 exact copies of a descriptor in 40 other pictures, so that one list
    # holds many entries at a query's cutoff (ties kept); and 10 copies of another in one
    # picture, whose entries alone reach the cutoff (one vote)
    popular = x[label == 5][:2]
    idx = feature_index_for(len(x), x)
    idx.add(x, label)
    idx.compact()
    idx.add(np.repeat(popular, (40, 10), axis=0), np.r_[1000 + np.arange(40), np.full(10, 2000)])  # a side list
    for c in (5, 77, 150, 299):
        q = np.stack([_flip(x[i], 6, rng) for i in np.nonzero(label == c)[0]] + list(popular))
        rows, votes, score = idx.vote(q, 6)
        want = _brute_force_vote(idx, q, 6)
        assert sorted(rows.tolist()) == sorted(want)
        assert all(votes[i] == want[r][0] and score[i] == pytest.approx(want[r][1]) for i, r in enumerate(rows.tolist()))
        assert (np.diff(score) <= 1e-12).all()
        # shared out over threads, the same votes
        monkeypatch.setattr(index_mod, "PARALLEL_MIN_ENTRIES", 1)
        monkeypatch.setenv("VERILENS_SEARCH_THREADS", "3")
        assert all(np.array_equal(a, b) for a, b in zip(idx.vote(q, 6), (rows, votes, score), strict=True))
        monkeypatch.setattr(index_mod, "PARALLEL_MIN_ENTRIES", 1 << 20)


def test_runs_share_the_work_and_cover_every_list(monkeypatch):
    rng = np.random.default_rng(11)
    lens = rng.integers(0, 5000, 400)
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
    per = rng.integers(1, 4, 400)
    head = np.concatenate([[0], np.cumsum(per)[:-1]])
    work = per * lens
    monkeypatch.setattr(index_mod, "PARALLEL_MIN_ENTRIES", 1000)
    for threads in (1, 2, 3):
        runs = _runs(head, head + per, starts, starts + lens, threads)
        assert len(runs) == threads and runs[0].start == 0 and runs[-1].stop == 400
        assert all(a.stop == b.start for a, b in zip(runs[:-1], runs[1:], strict=True))
        shares = [work[r].sum() / work.sum() for r in runs]
        assert max(shares) < 1 / threads + 0.02
    monkeypatch.setattr(index_mod, "PARALLEL_MIN_ENTRIES", 1 << 40)  # too little work to share
    assert _runs(head, head + per, starts, starts + lens, 4) == [slice(0, 400)]

