"""faiss binary indexes over PDQ hashes and local descriptors.

Exact flat search while an index is small; multi-index hashing (Norouzi et al.) once it is
large. Never HNSW: graph search over Hamming codes loses planted near-duplicates. The
indexes are derived data: the catalog is the truth and they are rebuilt from it whenever
their recorded state disagrees with it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .hashing import PDQ_MATCH_THRESHOLD

#: Below this many codes, exact flat search (fast enough, no approximation at all).
PDQ_FLAT_MAX = 250_000
#: Below this many descriptors, exact flat search for the second stage; above, an inverted
#: file over binary k-means cells (a visual-word index).
FEAT_FLAT_MAX = 60_000
#: Inverted lists probed per query descriptor.
FEAT_NPROBE = 2


_threads_set = False


def _faiss():  # type: ignore[no-untyped-def]
    global _threads_set
    import faiss

    if not _threads_set:
        # one query is a few thousand code comparisons: OpenMP start-up and spinning cost
        # more than they save, and badly so on a busy machine
        faiss.omp_set_num_threads(int(os.environ.get("VERILENS_FAISS_THREADS", "1")))
        _threads_set = True
    return faiss


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
    kind : {"flat", "multihash", "ivf"}
        ``flat``: ``IndexBinaryFlat`` (exact). ``multihash``: ``IndexBinaryMultiHash`` with
        ``nhash`` substrings of ``b`` bits and ``nflip`` flipped bits per probe. ``ivf``:
        ``IndexBinaryIVF`` with ``nhash`` lists (binary k-means cells, trained with
        :meth:`train`) of which ``b`` are probed.
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
        elif kind == "ivf":
            self._quantizer = faiss.IndexBinaryFlat(256)
            self.index = faiss.IndexBinaryIVF(self._quantizer, 256, nhash)
            self.index.own_fields = False
            self.index.cp.niter = 10
            self.index.nprobe = b
        else:
            raise ValueError(f"unknown index kind {kind!r}")
        self._owners: list[np.ndarray] = []
        self._owners_cat: np.ndarray | None = np.zeros(0, np.int64)

    @property
    def needs_training(self) -> bool:
        return not bool(self.index.is_trained)

    def train(self, sample: np.ndarray) -> None:
        """Train the coarse quantizer (``ivf`` only) on a sample of codes ``(n, 32) uint8``."""
        faiss = _faiss()
        sample = np.ascontiguousarray(sample, dtype=np.uint8).reshape(-1, 32)
        if self.kind != "ivf":
            return
        if sample.shape[0] < self.index.nlist:
            raise ValueError("too few codes to train the inverted file")
        faiss.omp_set_num_threads(max(1, min(4, os.cpu_count() or 1)))
        try:
            self.index.train(sample)
        finally:
            faiss.omp_set_num_threads(int(os.environ.get("VERILENS_FAISS_THREADS", "1")))

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
        self.index.add(codes)
        if self._owners_cat is not None:
            self._owners = [self._owners_cat]
        self._owners.append(owners)
        self._owners_cat = None

    def range(self, queries: np.ndarray, radius: int) -> list[Hit]:
        """Every code within ``radius`` bits (inclusive) of each query row."""
        q = np.ascontiguousarray(queries, dtype=np.uint8).reshape(-1, 32)
        if self.ntotal == 0 or q.shape[0] == 0:
            return []
        lims, dist, ids = self.index.range_search(q, int(radius) + 1)
        owners = self.owners
        hits: list[Hit] = []
        for i in range(q.shape[0]):
            for d, j in zip(dist[lims[i]:lims[i + 1]], ids[lims[i]:lims[i + 1]], strict=False):
                if j >= 0 and d <= radius:
                    hits.append(Hit(i, int(owners[j]), int(d)))
        return hits

    def knn(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """k nearest codes per query: (distances (m, k) int, owners (m, k) int64; -1 where none)."""
        q = np.ascontiguousarray(queries, dtype=np.uint8).reshape(-1, 32)
        if self.ntotal == 0 or q.shape[0] == 0:
            return np.zeros((q.shape[0], k), np.int32), np.full((q.shape[0], k), -1, np.int64)
        dist, ids = self.index.search(q, k)
        owners = self.owners
        own = np.where(ids >= 0, owners[np.clip(ids, 0, max(0, len(owners) - 1))], -1)
        return dist.astype(np.int32), own.astype(np.int64)

    def memory_bytes(self) -> int:
        """Approximate resident size: codes, owner ids and (multi-hash) bucket maps."""
        n = self.ntotal
        extra = 0
        if self.kind == "multihash":
            nhash = self.params[0]
            extra = n * nhash * 8 + nhash * min(n, 1 << self.params[1]) * 48
        elif self.kind == "ivf":
            extra = self.params[0] * 32
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
        elif kind == "ivf":
            obj.index.nprobe = b
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


def feature_index_for(n: int) -> BinaryIndex:
    """The second-stage descriptor index suited to ``n`` ORB descriptors.

    Notes
    -----
    Small: exact flat search. Large: an inverted file over binary k-means cells
    (``n / 4000`` cells, 64..1024), :data:`FEAT_NPROBE` cells probed per descriptor. A
    picture needs only a few of its descriptors found to be proposed for verification, so
    the per-descriptor recall of the inverted file (well under 1) costs little. Multi-index
    hashing is not used here: ORB bits are not uniform, some substrings are shared by huge
    numbers of descriptors, and probing them costs seconds per query.

    References
    ----------
    .. [1] J. Sivic, A. Zisserman, "Video Google: a text retrieval approach to object
       matching in videos", ICCV 2003 (visual words, inverted files).
    """
    if n < FEAT_FLAT_MAX:
        return BinaryIndex("flat")
    nlist = int(min(1024, max(64, n // 4000)))
    return BinaryIndex("ivf", nhash=nlist, b=FEAT_NPROBE, nflip=0)


__all__ = ["BinaryIndex", "FEAT_FLAT_MAX", "FEAT_NPROBE", "Hit", "PDQ_FLAT_MAX", "feature_index_for", "pdq_index_for"]
