"""The search indexes: PDQ hashes (first stage) and keypoint descriptors (second stage).

PDQ: exact flat search while the index is small; multi-index hashing (Norouzi et al.) once
it is large. Never HNSW: graph search over Hamming codes loses planted near-duplicates.
Descriptors: a visual-word inverted file holding, per archived descriptor, only the catalog
row it belongs to and a 64-bit signature (Hamming embedding); the full descriptors stay in
the catalog and are read for geometric verification of the few candidates. The indexes are
derived data: the catalog is the truth and they are rebuilt from it whenever their recorded
state disagrees with it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..config import usable_cpus
from .hashing import PDQ_MATCH_THRESHOLD

#: Below this many codes, exact flat search (fast enough, no approximation at all).
PDQ_FLAT_MAX = 250_000
#: From this many codes a batch of queries (a picture's 8 dihedral PDQ variants) is split
#: over threads; below, one search costs less than handing it to another thread.
PARALLEL_MIN_CODES = 100_000
#: Signatures a vote compares before its list scans are shared out over search threads.
PARALLEL_MIN_ENTRIES = 1 << 20
#: Descriptors per visual word the vocabulary is sized for (about 2,000 at any archive size).
WORD_LOAD = 2000
#: Vocabulary branching (coarse cells, and fine cells per coarse cell) at most: 262,144
#: words, enough for ~2,000 descriptors per word up to about 2 million pictures.
MAX_BRANCH = 512
#: Coarse cells, and fine cells within each, looked up per query descriptor (2 x 2 words).
PROBE_COARSE = 2
PROBE_FINE = 2
#: Bytes of each descriptor kept in memory as its signature (its first 64 ORB tests).
SIG_BYTES = 8
#: Signature distance (bits of 64) under which an archived descriptor counts as a match.
SIG_MAX_BITS = 12
#: Scale (bits) of the weight ``exp(-(d / SIG_SIGMA)^2)`` of a vote at signature distance d.
SIG_SIGMA = 8.0


_thread = threading.local()


def _faiss():  # type: ignore[no-untyped-def]
    import faiss

    if not getattr(_thread, "omp_set", False):
        # one query is a few thousand code comparisons: OpenMP start-up and spinning cost
        # more than they save, and badly so on a busy machine. OpenMP keeps this setting
        # per thread, so every thread that searches sets it once.
        faiss.omp_set_num_threads(int(os.environ.get("VERILENS_FAISS_THREADS", "1")))
        _thread.omp_set = True
    return faiss


_pool: ThreadPoolExecutor | None = None
_pool_key = (0, 0)  # (process id, threads): a forked child has none of its parent's threads
_pool_lock = threading.Lock()


def search_threads() -> int:
    """Threads one batch of range queries may use: ``VERILENS_SEARCH_THREADS``, else the
    CPUs this process may run on, at most 4."""
    env = os.environ.get("VERILENS_SEARCH_THREADS", "").strip()
    if env.isdigit() and int(env) >= 1:
        return int(env)
    return max(1, min(4, usable_cpus()))


def _search_pool(threads: int) -> ThreadPoolExecutor:
    """The shared pool of search threads, grown (never shrunk) to ``threads``."""
    global _pool, _pool_key
    with _pool_lock:
        if _pool is None or _pool_key[0] != os.getpid() or _pool_key[1] < threads:
            # the smaller pool is dropped, not shut down: a search may be handing it work
            # right now; its idle threads end once it is collected
            _pool, _pool_key = ThreadPoolExecutor(threads, thread_name_prefix="pdq-search"), (os.getpid(), threads)
        return _pool


@dataclass
class Hit:
    """One index hit: the query row, the catalog row it points to, and the Hamming distance."""

    query: int
    owner: int
    distance: int


class BinaryIndex:
    """A 256-bit binary index whose rows point to catalog rows (``owners``).

    Parameters
    ----------
    kind : {"flat", "multihash"}
        ``flat``: ``IndexBinaryFlat`` (exact). ``multihash``: ``IndexBinaryMultiHash`` with
        ``nhash`` substrings of ``b`` bits and ``nflip`` flipped bits per probe.
    nhash, b, nflip : int

    Notes
    -----
    Multi-hash range search finds every code that agrees with the query on at least one
    substring within ``nflip`` bits; :func:`pdq_index_for` picks substrings so that this is
    exact at PDQ's match threshold.

    References
    ----------
    .. [1] M. Norouzi, A. Punjani, D. J. Fleet, "Fast search in Hamming space with
       multi-index hashing", CVPR 2012.
    .. [2] J. Johnson, M. Douze, H. Jégou, "Billion-scale similarity search with GPUs",
       IEEE Trans. Big Data 2019 (faiss).
    """

    def __init__(self, kind: str = "flat", nhash: int = 16, b: int = 16, nflip: int = 1) -> None:
        faiss = _faiss()
        self.kind = kind
        self.params = (nhash, b, nflip)
        if kind == "flat":
            self.index = faiss.IndexBinaryFlat(256)
        elif kind == "multihash":
            self.index = faiss.IndexBinaryMultiHash(256, nhash, b)
            self.index.nflip = nflip
        else:
            raise ValueError(f"unknown index kind {kind!r}")
        self._owners: list[np.ndarray] = []
        self._owners_cat: np.ndarray | None = np.zeros(0, np.int64)

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    @property
    def owners(self) -> np.ndarray:
        if self._owners_cat is None:
            self._owners_cat = np.concatenate(self._owners) if self._owners else np.zeros(0, np.int64)
            self._owners = [self._owners_cat]
        return self._owners_cat

    def add(self, codes: np.ndarray, owners: np.ndarray) -> None:
        """Add codes ``(n, 32) uint8`` pointing to catalog rows ``owners (n,)``."""
        codes = np.ascontiguousarray(codes, dtype=np.uint8).reshape(-1, 32)
        owners = np.asarray(owners, dtype=np.int64).reshape(-1)
        if codes.shape[0] != owners.shape[0]:
            raise ValueError("codes and owners differ in length")
        if codes.shape[0] == 0:
            return
        _faiss()
        self.index.add(codes)
        if self._owners_cat is not None:
            self._owners = [self._owners_cat]
        self._owners.append(owners)
        self._owners_cat = None

    def codes_from(self, start: int) -> np.ndarray:
        """A copy of the codes ``(n - start, 32) uint8`` of entries ``start`` onwards."""
        faiss = _faiss()
        storage = self.index if self.kind == "flat" else faiss.downcast_IndexBinary(self.index.storage)
        start = min(max(0, int(start)), self.ntotal)
        if start == self.ntotal:
            return np.zeros((0, 32), np.uint8)
        flat = faiss.rev_swig_ptr(storage.xb.data(), storage.xb.size())
        return np.array(flat[start * 32:], dtype=np.uint8).reshape(-1, 32)

    def range(self, queries: np.ndarray, radius: int, threads: int | None = None) -> list[Hit]:
        """Every code within ``radius`` bits (inclusive) of each query row.

        Parameters
        ----------
        queries : ndarray, shape (n, 32), uint8
        radius : int
        threads : int, optional
            Threads the queries are split over (default :func:`search_threads`); used only
            from :data:`PARALLEL_MIN_CODES` codes on.

        Notes
        -----
        faiss's own (OpenMP) parallelism is kept to one thread here, and its multi-hash
        range search would use it only from 100 queries on; a picture asks 8. The searches
        release the GIL, so the rows are split over a shared thread pool (the caller
        searches the first part itself): a multi-hash search is a few thousand random
        memory reads, and two threads keep twice as many in flight. The latency falls; the
        CPU work per query does not.
        """
        q = np.ascontiguousarray(queries, dtype=np.uint8).reshape(-1, 32)
        if self.ntotal == 0 or q.shape[0] == 0:
            return []
        owners = self.owners  # concatenated here, not in the worker threads
        k = min(q.shape[0], search_threads() if threads is None else max(1, int(threads)))
        if k == 1 or self.ntotal < PARALLEL_MIN_CODES:
            return self._range_part(q, 0, radius, owners)
        bounds = np.linspace(0, q.shape[0], k + 1).astype(int)
        pool = _search_pool(k - 1)
        rest = [pool.submit(self._range_part, q[a:b], int(a), radius, owners)
                for a, b in zip(bounds[1:-1], bounds[2:], strict=True)]
        hits = self._range_part(q[:bounds[1]], 0, radius, owners)
        for f in rest:
            hits.extend(f.result())
        return hits

    def _range_part(self, q: np.ndarray, first: int, radius: int, owners: np.ndarray) -> list[Hit]:
        _faiss()  # this thread's OpenMP setting
        lims, dist, ids = self.index.range_search(q, int(radius) + 1)
        hits: list[Hit] = []
        for i in range(q.shape[0]):
            for d, j in zip(dist[lims[i]:lims[i + 1]], ids[lims[i]:lims[i + 1]], strict=False):
                if j >= 0 and d <= radius:
                    hits.append(Hit(first + i, int(owners[j]), int(d)))
        return hits

    def memory_bytes(self) -> int:
        """Approximate resident size: codes, owner ids and (multi-hash) bucket maps."""
        n = self.ntotal
        extra = 0
        if self.kind == "multihash":
            nhash = self.params[0]
            extra = n * nhash * 8 + nhash * min(n, 1 << self.params[1]) * 48
        return n * 32 + n * 8 + extra

    def to_bytes(self) -> bytes:
        faiss = _faiss()
        return bytes(faiss.serialize_index_binary(self.index).tobytes())

    @classmethod
    def from_parts(cls, kind: str, params: Iterable[int], index_bytes: bytes, owners: np.ndarray) -> BinaryIndex:
        faiss = _faiss()
        nhash, b, nflip = tuple(params)
        obj = cls.__new__(cls)
        obj.kind = kind
        obj.params = (nhash, b, nflip)
        obj.index = faiss.deserialize_index_binary(np.frombuffer(index_bytes, dtype=np.uint8))
        if kind == "multihash":
            obj.index.nflip = nflip
        obj._owners = [np.asarray(owners, dtype=np.int64)]
        obj._owners_cat = None
        if obj.index.ntotal != len(owners):
            raise ValueError("index and owner list disagree")
        return obj


def pdq_index_for(n: int) -> BinaryIndex:
    """The first-stage index suited to ``n`` PDQ codes (exact at PDQ's threshold either way).

    Notes
    -----
    Large: 11 substrings of 23 bits (253 of the 256 bits), probed with up to 2 flipped
    bits. Exact within 31 bits by pigeonhole: were every substring 3 or more bits off, the
    codes would differ in at least 33 bits. Long substrings keep buckets nearly empty at a
    million codes, so a query touches a few thousand buckets and almost no unrelated codes
    (16 substrings of 16 bits with 1 flip are also exact but touch ~30,000 codes per query
    at a million, several times slower), at the cost of more memory for the hash tables.
    """
    if n < PDQ_FLAT_MAX:
        return BinaryIndex("flat")
    assert PDQ_MATCH_THRESHOLD <= 11 * 3 - 1
    return BinaryIndex("multihash", nhash=11, b=23, nflip=2)



def _hamming_to(centroids: np.ndarray) -> Any:
    """An exact faiss index over a few binary centroids (rows of 32 bytes)."""
    idx = _faiss().IndexBinaryFlat(256)
    idx.add(np.ascontiguousarray(centroids, dtype=np.uint8))
    return idx


def kmajority(sample: np.ndarray, k: int, iters: int = 8, seed: int = 0) -> np.ndarray:
    """Binary k-means (k-majority): ``k`` centroids ``(k, 32) uint8`` of 256-bit descriptors.

    Parameters
    ----------
    sample : ndarray, shape (n, 32), uint8
    k : int
        Centroids wanted; at most ``n`` distinct ones are found (the rest repeat).
    iters : int
        Assignment / majority-vote rounds.
    seed : int

    Notes
    -----
    Seeded by k-means++ (Arthur & Vassilvitskii) in Hamming distance; each round assigns
    every descriptor to its nearest centroid and sets every centroid bit to the majority of
    its members' bits; an emptied centroid is re-seeded with the worst-fitting descriptor.
    Deterministic for a given sample and seed.

    References
    ----------
    .. [1] C. Grana, D. Borghesani, M. Manfredi, R. Cucchiara, "A fast approach for
       integrating ORB descriptors in the bag of words model", Proc. SPIE 8667, 2013.
    .. [2] D. Arthur, S. Vassilvitskii, "k-means++: the advantages of careful seeding",
       SODA 2007.
    """
    x = np.ascontiguousarray(sample, dtype=np.uint8).reshape(-1, 32)
    n = x.shape[0]
    if n == 0:
        raise ValueError("no descriptors to build a vocabulary from")
    rng = np.random.default_rng(seed)
    if n <= k:
        return np.concatenate([x, np.repeat(x[:1], k - n, axis=0)])
    # k-means++ seeding: each next centre drawn with probability proportional to the
    # squared distance to the nearest centre so far
    words = x.view(np.uint64)
    chosen = [int(rng.integers(n))]
    near = np.bitwise_count(words ^ words[chosen[0]]).sum(1).astype(np.float64)
    for _ in range(1, k):
        w = near * near
        total = w.sum()
        j = int(rng.choice(n, p=w / total)) if total > 0 else int(rng.integers(n))
        chosen.append(j)
        np.minimum(near, np.bitwise_count(words ^ words[j]).sum(1), out=near)
    cent = x[chosen].copy()
    bits = np.unpackbits(x, axis=1)
    for _ in range(iters):
        dist, a = _hamming_to(cent).search(x, 1)
        a = a[:, 0]
        order = np.argsort(a, kind="stable")
        counts = np.bincount(a, minlength=k)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        full = counts > 0
        sums = np.add.reduceat(bits[order].astype(np.uint32), starts[full], axis=0)
        new = cent.copy()
        new[full] = np.packbits(2 * sums > counts[full, None], axis=1)
        if (~full).any():  # emptied: re-seeded with the descriptors farthest from their centroids
            new[~full] = x[np.argsort(-dist[:, 0], kind="stable")[:int((~full).sum())]]
        if np.array_equal(new, cent):
            break
        cent = new
    return cent


def _runs(head: np.ndarray, tail: np.ndarray, starts: np.ndarray, ends: np.ndarray, threads: int) -> list[slice]:
    """Contiguous runs of lists of about equal work, one per thread that scans them.

    List ``i`` holds ``ends[i] - starts[i]`` entries and is probed by ``tail[i] - head[i]``
    query signatures. Below :data:`PARALLEL_MIN_ENTRIES` comparisons per thread, fewer
    runs (one thread costs less than handing work to another).
    """
    work = np.cumsum((tail - head) * (ends - starts))
    total = int(work[-1]) if work.size else 0
    parts = max(1, min(int(threads), total // PARALLEL_MIN_ENTRIES))
    cut = [0, *np.searchsorted(work, total * np.arange(1, parts) / parts).tolist(), int(work.size)]
    return [slice(a, b) for a, b in zip(cut[:-1], cut[1:], strict=True)]


def _scratch(size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """This thread's output arrays for :func:`~verilens.provenance.hamming_scan.scan_lists`,
    at least ``size`` long: kept between votes, so that the pages a scan writes are
    faulted in once, not at every vote (only pages written are ever backed by memory)."""
    have = getattr(_thread, "scratch", None)
    if have is None or have[0].shape[0] < size:
        size = max(size, 1 << 22)
        have = _thread.scratch = (np.empty(size, np.int64), np.empty(size, np.int64), np.empty(size, np.uint8))
    return have


def _in_threads(scan: Callable[[Any], Any], work: list[Any], threads: int) -> list[Any]:
    """``[scan(w) for w in work]`` on up to ``threads`` threads: the first on this thread,
    the rest on the search pool (the compiled scans release the GIL)."""
    if threads <= 1 or len(work) <= 1:
        return [scan(w) for w in work]
    pool = _search_pool(min(len(work), threads) - 1)
    rest = [pool.submit(scan, w) for w in work[1:]]
    return [scan(work[0])] + [f.result() for f in rest]


class DescriptorIndex:
    """A visual-word inverted file over 256-bit descriptors with 64-bit signatures.

    Every archived descriptor is filed under one visual word (a leaf of a two-level
    vocabulary tree of ``k1 x k2`` binary k-means cells); its list entry holds only the
    catalog row it belongs to (4 bytes) and its first :data:`SIG_BYTES` bytes (a Hamming
    embedding). A query descriptor looks up its :data:`PROBE_COARSE` x :data:`PROBE_FINE`
    nearest words and counts as a vote for the rows of entries whose signature is within
    :data:`SIG_MAX_BITS` of its own.

    Parameters
    ----------
    coarse : ndarray, shape (k1, 32), uint8
        Coarse centroids.
    fine : ndarray, shape (k1, k2, 32), uint8
        Fine centroids within each coarse cell.

    Notes
    -----
    Memory: 12 bytes per indexed descriptor (plus 8 bytes per word and 8 KiB per 256
    centroids), 3 KiB per archived picture at 256 indexed descriptors. The signature is
    the descriptor's first 64 bits: ORB orders its binary tests by variance and low mutual
    correlation (Rublee et al.), so these are its most informative bits. A descriptor
    filed under another word than the query's probed ones is missed: per-descriptor recall
    is well under 1, but a picture needs only a few of its descriptors found to be proposed
    for verification. A true descriptor pair keeps a signature distance of at most 12 bits
    in about 88% of cases (measured on ORB pairs confirmed by RANSAC between photos and
    their crops and screenshots). New entries go to a small side list, merged into the
    grouped arrays once it holds an eighth of them. A vocabulary of one word is an
    exhaustive signature scan (small archives). Word lists grow past ~2,000 entries only
    beyond 262,144 words (about 2 million pictures).

    References
    ----------
    .. [1] J. Sivic, A. Zisserman, "Video Google: a text retrieval approach to object
       matching in videos", ICCV 2003 (visual words, inverted files).
    .. [2] D. Nistér, H. Stewénius, "Scalable recognition with a vocabulary tree",
       CVPR 2006.
    .. [3] H. Jégou, M. Douze, C. Schmid, "Hamming embedding and weak geometric consistency
       for large scale image search", ECCV 2008.
    .. [4] H. Jégou, M. Douze, C. Schmid, "Improving bag-of-features for large scale image
       search", IJCV 87(3), 2010 (weighting votes by signature distance).
    """

    kind = "words"

    def __init__(self, coarse: np.ndarray | None = None, fine: np.ndarray | None = None) -> None:
        if coarse is None or fine is None:
            coarse, fine = np.zeros((1, 32), np.uint8), np.zeros((1, 1, 32), np.uint8)
        coarse = np.ascontiguousarray(coarse, dtype=np.uint8)
        fine = np.ascontiguousarray(fine, dtype=np.uint8)
        k1, k2 = fine.shape[:2]
        if coarse.shape != (k1, 32) or fine.shape != (k1, k2, 32) or not (1 <= k1 <= MAX_BRANCH and 1 <= k2 <= MAX_BRANCH):
            raise ValueError("inconsistent vocabulary shapes")
        self.coarse, self.fine = coarse, fine
        self.n_words = k1 * k2
        self.offsets = np.zeros(self.n_words + 1, np.int64)
        self.ids = np.zeros(0, np.int32)
        self.sigs = np.zeros(0, np.uint64)
        self._side: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._side_n = 0
        self._side_csr: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        #: While True (a rebuild), new entries wait in the side list until :meth:`compact` and
        #: are not logged for :meth:`unsaved` (a rebuilt index is saved whole).
        self.bulk = False
        self._log: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    # ------------------------------------------------------------------ vocabulary
    @property
    def params(self) -> tuple[int, int]:
        return int(self.fine.shape[0]), int(self.fine.shape[1])

    @staticmethod
    def branching_for(n: int) -> int:
        """Vocabulary branching for ``n`` indexed descriptors: ``k x k`` words of ~:data:`WORD_LOAD`."""
        return int(min(MAX_BRANCH, max(1, np.ceil(np.sqrt(n / WORD_LOAD)))))

    @classmethod
    def train(cls, sample: np.ndarray, k: int, seed: int = 0) -> DescriptorIndex:
        """An empty index with a ``k x k`` vocabulary tree learnt from ``sample`` (n, 32) uint8."""
        x = np.ascontiguousarray(sample, dtype=np.uint8).reshape(-1, 32)
        if k <= 1 or x.shape[0] < 4 * k:
            return cls()
        rng = np.random.default_rng(seed)
        coarse = kmajority(x[rng.choice(x.shape[0], min(x.shape[0], 64 * k), replace=False)], k, seed=seed)
        _, a = _hamming_to(coarse).search(x, 1)
        fine = np.empty((k, k, 32), np.uint8)
        for c in range(k):
            members = x[a[:, 0] == c]
            fine[c] = kmajority(members, k, seed=seed + 1 + c) if len(members) else coarse[c]
        return cls(coarse, fine)

    def outgrown(self, n: int) -> bool:
        """Whether ``n`` descriptors call for a vocabulary at least twice as wide (rebuild)."""
        return self.branching_for(n) >= 2 * self.params[0]

    def assign(self, desc: np.ndarray, p1: int = 1, p2: int = 1) -> np.ndarray:
        """Words ``(n, p1 * p2) int64`` of descriptors: the ``p2`` nearest fine cells in each
        of the ``p1`` nearest coarse cells (exact; of cells equally near, the lower index)."""
        x = np.ascontiguousarray(desc, dtype=np.uint8).reshape(-1, 32)
        k1, k2 = self.params
        p1, p2 = min(p1, k1), min(p2, k2)
        if self.n_words == 1 or x.shape[0] == 0:
            return np.zeros((x.shape[0], 1), np.int64)
        from .hamming_scan import nearest_centroids

        xw, n = x.view(np.uint64), x.shape[0]
        coarse = np.empty((n, 1, p1), np.int64)
        nearest_centroids(xw, np.zeros((n, 1), np.int64), self.coarse.view(np.uint64).reshape(1, k1, 4), coarse)
        c = coarse.reshape(n, p1)
        f = np.empty((n, p1, p2), np.int64)
        nearest_centroids(xw, c, self.fine.view(np.uint64), f)
        return (c[:, :, None] * k2 + f).reshape(n, p1 * p2)

    # ------------------------------------------------------------------ contents
    @property
    def ntotal(self) -> int:
        return int(self.ids.shape[0]) + self._side_n

    @staticmethod
    def signature(desc: np.ndarray) -> np.ndarray:
        """The in-memory signature of descriptors: their first :data:`SIG_BYTES` bytes as uint64."""
        x = np.ascontiguousarray(np.asarray(desc, dtype=np.uint8).reshape(-1, 32)[:, :SIG_BYTES])
        return x.view(np.uint64).reshape(-1)

    def add(self, desc: np.ndarray, owners: np.ndarray) -> None:
        """File descriptors ``(n, 32) uint8`` belonging to catalog rows ``owners (n,)``."""
        x = np.ascontiguousarray(desc, dtype=np.uint8).reshape(-1, 32)
        own = np.asarray(owners).reshape(-1)
        if x.shape[0] != own.shape[0]:
            raise ValueError("descriptors and owners differ in length")
        if x.shape[0] == 0:
            return
        if own.min() < 0 or own.max() >= 2**31:
            raise ValueError("catalog rows out of range")
        entry = (self.assign(x)[:, 0].astype(np.uint32), own.astype(np.int32), self.signature(x))
        if not self.bulk:
            self._log.append(entry)
        self._file(entry)

    def add_filed(self, words: np.ndarray, ids: np.ndarray, sigs: np.ndarray) -> None:
        """Add entries already filed under their words (as :meth:`unsaved` gives them).

        Raises
        ------
        ValueError
            Arrays of other lengths or types, words outside the vocabulary, negative rows.
        """
        w, i, sg = np.asarray(words), np.asarray(ids), np.asarray(sigs)
        if (w.dtype != np.uint32 or i.dtype != np.int32 or sg.dtype != np.uint64 or w.ndim != 1
                or i.shape != w.shape or sg.shape != w.shape):
            raise ValueError("filed entries of other shapes or types")
        if w.size and (int(w.max()) >= self.n_words or int(i.min()) < 0):
            raise ValueError("filed entries outside the vocabulary or the catalog")
        if w.size:
            self._file((w, i, sg))

    def _file(self, entry: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
        self._side.append(entry)
        self._side_n += entry[0].shape[0]
        self._side_csr = None
        if not self.bulk and self._side_n > max(1 << 16, self.ids.shape[0] // 8):
            self.compact()

    def unsaved(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Entries added (outside bulk mode) since :meth:`mark_saved`: words, rows, signatures."""
        if not self._log:
            return np.zeros(0, np.uint32), np.zeros(0, np.int32), np.zeros(0, np.uint64)
        return tuple(np.concatenate([e[k] for e in self._log]) for k in range(3))  # type: ignore[return-value]

    @property
    def unsaved_entries(self) -> int:
        """How many entries :meth:`unsaved` would give."""
        return sum(int(e[0].shape[0]) for e in self._log)

    def mark_saved(self) -> None:
        """Forget the log of unsaved entries (they are on disk now)."""
        self._log = []

    def compact(self) -> None:
        """Merge the side list into the grouped arrays (a counting sort, chunk by chunk)."""
        if not self._side:
            return
        old_counts = np.diff(self.offsets)
        counts = old_counts.copy()
        for w, _, _ in self._side:
            counts += np.bincount(w, minlength=self.n_words)
        offsets = np.zeros(self.n_words + 1, np.int64)
        np.cumsum(counts, out=offsets[1:])
        ids = np.empty(int(offsets[-1]), np.int32)
        sigs = np.empty(int(offsets[-1]), np.uint64)
        shift = offsets[:-1] - self.offsets[:-1]  # grouped entries keep their order, moved up
        step = max(1, self.n_words // 64)
        for w0 in range(0, self.n_words, step):
            w1 = min(self.n_words, w0 + step)
            a, b = int(self.offsets[w0]), int(self.offsets[w1])
            if a < b:
                pos = np.arange(a, b) + np.repeat(shift[w0:w1], old_counts[w0:w1])
                ids[pos], sigs[pos] = self.ids[a:b], self.sigs[a:b]
        cursor = offsets[:-1] + old_counts
        self.ids, self.sigs = np.zeros(0, np.int32), np.zeros(0, np.uint64)  # freed before the side list is
        while self._side:
            w, i, sg = self._side.pop(0)
            order = np.argsort(w, kind="stable")
            ws = w[order]
            pos = cursor[ws] + np.arange(ws.size) - np.searchsorted(ws, ws, side="left")
            ids[pos], sigs[pos] = i[order], sg[order]
            cursor += np.bincount(w, minlength=self.n_words)
        self.offsets, self.ids, self.sigs = offsets, ids, sigs
        self._side_n, self._side_csr = 0, None

    def _groups(self) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        if self._side and self._side_csr is None:
            words = np.concatenate([w for w, _, _ in self._side])
            order = np.argsort(words, kind="stable")
            offsets = np.zeros(self.n_words + 1, np.int64)
            np.cumsum(np.bincount(words, minlength=self.n_words), out=offsets[1:])
            self._side_csr = (offsets, np.concatenate([i for _, i, _ in self._side])[order],
                              np.concatenate([s for _, _, s in self._side])[order])
        return [(self.offsets, self.ids, self.sigs)] + ([self._side_csr] if self._side_csr is not None else [])

    # ------------------------------------------------------------------ search
    def vote(self, desc: np.ndarray, per_descriptor: int, max_bits: int = SIG_MAX_BITS,
             p1: int = PROBE_COARSE, p2: int = PROBE_FINE, sigma: float = SIG_SIGMA
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Votes of query descriptors for catalog rows.

        Parameters
        ----------
        desc : ndarray, shape (n, 32), uint8
            Query descriptors.
        per_descriptor : int
            Each query descriptor votes for at most this many rows (those whose nearest
            signature is closest), once each. Matches beyond the distance at which a
            query descriptor already has this many are dropped before rows are told
            apart, so a row matched twice by one descriptor can leave it a vote short.
        max_bits : int
            Signature distance (of 64 bits) that counts as a match.
        p1, p2 : int
            Coarse cells and fine cells within each looked up per descriptor.
        sigma : float
            Each vote weighs ``exp(-(d / sigma)^2)`` for a signature distance ``d`` (bits).

        Returns
        -------
        rows, votes, scores : ndarray
            Catalog rows that got votes, how many (int64) and their weighted sum (float),
            highest score first.

        Notes
        -----
        Weighting votes by signature distance (Jégou et al. 2010) ranks a picture with a
        few close descriptor matches above one collecting many borderline ones, which is
        what unrelated pictures sharing common corner patterns do.

        Common corner patterns also make the cost: in a large archive a query descriptor
        can have a thousand list entries within ``max_bits``, of which a handful vote. The
        probed lists are therefore read once, by a compiled loop
        (:mod:`verilens.provenance.hamming_scan`) that counts each descriptor's entries at
        every distance and lists them; the counts fix each descriptor's cutoff, and only the
        entries within it are kept. The votes are those of scanning every entry (a test
        checks this against the rule written out).
        """
        q = np.ascontiguousarray(desc, dtype=np.uint8).reshape(-1, 32)
        empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
        if q.shape[0] == 0 or self.ntotal == 0:
            return empty
        words = self.assign(q, p1, p2).ravel()
        qsig = self.signature(q)
        # the (query descriptor, word) pairs grouped by word: each list is read once, against
        # every query descriptor that probes it
        order = np.argsort(words, kind="stable")
        pair_q = (order // (words.size // q.shape[0])).astype(np.int64)
        pair_sig = np.ascontiguousarray(qsig[pair_q])
        uniq, head = np.unique(words[order], return_index=True)
        tail = np.append(head[1:], words.size)
        # only the closest matches of each query descriptor can vote: those within the
        # distance at which it has ``per_descriptor`` of them (its cutoff; ties kept). One pass
        # over the probed lists counts each descriptor's entries at every distance up to
        # ``max_bits`` (which fixes its cutoff) and lists them; those within the cutoff are kept
        from .hamming_scan import keep_within, scan_lists

        n, levels, threads = q.shape[0], int(max_bits) + 1, search_threads()
        head, tail = head.astype(np.int64), tail.astype(np.int64)
        work = []  # (a run of one group's probed lists: its row ids, starts, ends, signatures)
        for offsets, ids, sigs in self._groups():
            starts = np.ascontiguousarray(offsets[uniq], dtype=np.int64)
            ends = np.ascontiguousarray(offsets[uniq + 1], dtype=np.int64)
            sigs = np.ascontiguousarray(sigs, dtype=np.uint64)
            work += [(head[r], tail[r], ids, starts[r], ends[r], sigs) for r in _runs(head, tail, starts, ends, threads)]

        def scan(w: tuple[Any, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
            h, t, _, starts, ends, sigs = w
            hist = np.zeros((n, levels), np.int64)
            out = _scratch(int(((t - h) * (ends - starts)).sum()))  # room for every comparison
            count = scan_lists(pair_sig, pair_q, h, t, starts, ends, sigs, hist, *out)
            return hist, out[0][:count].copy(), out[1][:count].copy(), out[2][:count].copy()  # the scratch is reused

        scanned = _in_threads(scan, work, threads)
        lim = np.minimum((np.cumsum(sum(s[0] for s in scanned), axis=1) < per_descriptor).sum(axis=1), levels - 1)
        found = []
        for (_, _, ids, _, _, _), (_, out_q, out_e, out_d) in zip(work, scanned, strict=True):
            m = keep_within(out_q, out_e, out_d, out_q.size, lim)
            found.append((out_q[:m], ids[out_e[:m]], out_d[:m]))
        qi = np.concatenate([f[0] for f in found])
        if not qi.size:
            return empty
        row = np.concatenate([f[1] for f in found]).astype(np.int64)
        d = np.concatenate([f[2] for f in found]).astype(np.int64)
        # one vote per (query descriptor, row), from its closest entry; then the closest
        # ``per_descriptor`` rows of each query descriptor (sorts on packed int64 keys)
        key = np.sort((qi << 38) | (row << 7) | d)
        first = np.ones(key.size, bool)
        first[1:] = (key[1:] >> 7) != (key[:-1] >> 7)
        key = key[first]
        qi, row, d = key >> 38, (key >> 7) & ((1 << 31) - 1), key & 127
        o = np.argsort((qi << 7) | d, kind="stable")
        qi, row, d = qi[o], row[o], d[o]
        keep = (np.arange(qi.size) - np.searchsorted(qi, qi, side="left")) < per_descriptor
        row, d = row[keep], d[keep]
        rows, inv, votes = np.unique(row, return_inverse=True, return_counts=True)
        score = np.bincount(inv, weights=np.exp(-(d.astype(np.float64) / sigma) ** 2), minlength=rows.size)
        o = np.lexsort((rows, -score))
        return rows[o], votes[o].astype(np.int64), score[o]

    # ------------------------------------------------------------------ persistence
    def memory_bytes(self) -> int:
        """Resident size of the lists, offsets and vocabulary."""
        return int(12 * self.ntotal + self.offsets.nbytes + self.coarse.nbytes + self.fine.nbytes)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The whole index as arrays (side list merged first): vocabulary, word offsets, rows, signatures."""
        self.compact()
        return {"coarse": self.coarse, "fine": self.fine, "offsets": self.offsets, "ids": self.ids, "sigs": self.sigs}

    @classmethod
    def from_arrays(cls, parts: dict[str, np.ndarray], rows: tuple[int, int] = (0, 2**31 - 1)) -> DescriptorIndex:
        """An index from the arrays :meth:`to_arrays` gave (they may be memory-mapped, read only).

        Parameters
        ----------
        parts : dict of ndarray
        rows : (int, int)
            The catalog rows entries may name, inclusive (the row ids are read once to check).

        Raises
        ------
        ValueError
            Missing arrays, arrays that do not fit together (any damage), or entries naming
            rows outside ``rows``.
        """
        try:
            obj = cls(parts["coarse"], parts["fine"])
            off, ids, sigs = parts["offsets"], parts["ids"], parts["sigs"]
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"unusable descriptor index: {exc}") from exc
        if (off.dtype != np.int64 or ids.dtype != np.int32 or sigs.dtype != np.uint64
                or off.shape != (obj.n_words + 1,) or ids.ndim != 1 or sigs.shape != ids.shape
                or off[0] != 0 or off[-1] != ids.shape[0] or (np.diff(off) < 0).any()):
            raise ValueError("descriptor index arrays do not fit together")
        if ids.size and (int(ids.min()) < rows[0] or int(ids.max()) > rows[1]):
            raise ValueError("descriptor index entries name rows outside the catalog")
        obj.offsets, obj.ids, obj.sigs = np.asarray(off), ids, sigs
        return obj


def feature_index_for(n: int, sample: np.ndarray | None = None) -> DescriptorIndex:
    """The second-stage index for ``n`` descriptors, its vocabulary learnt from ``sample``.

    Notes
    -----
    ``k x k`` words with ``k = ceil(sqrt(n / WORD_LOAD))`` (at most 512 x 512), so that a
    word holds about :data:`WORD_LOAD` descriptors: a query reads ~ :data:`PROBE_COARSE` x
    :data:`PROBE_FINE` x 2,000 signatures per descriptor whatever the archive size. One word
    (an exhaustive signature scan) up to :data:`WORD_LOAD` descriptors or without a sample.
    """
    k = DescriptorIndex.branching_for(n)
    if k <= 1 or sample is None or len(sample) == 0:
        return DescriptorIndex()
    return DescriptorIndex.train(sample, k)


__all__ = ["BinaryIndex", "DescriptorIndex", "Hit", "PDQ_FLAT_MAX", "SIG_BYTES", "SIG_MAX_BITS", "WORD_LOAD",
           "feature_index_for", "kmajority", "pdq_index_for"]
