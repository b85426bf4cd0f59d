"""faiss binary indexes over PDQ hashes and local descriptors.

Exact flat search while an index is small; multi-index hashing (Norouzi et al.) once it is
large. Never HNSW: graph search over Hamming codes loses planted near-duplicates. The
indexes are derived data: the catalog is the truth and they are rebuilt from it whenever
their recorded state disagrees with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .hashing import PDQ_MATCH_THRESHOLD

#: Below this many codes, exact flat search (fast enough, no approximation at all).
PDQ_FLAT_MAX = 250_000
#: Below this many descriptors, exact flat search for the second stage.
FEAT_FLAT_MAX = 150_000


_threads_set = False


def _faiss():  # type: ignore[no-untyped-def]
    global _threads_set
    import faiss

    if not _threads_set:
        # one query is a few thousand code comparisons: OpenMP start-up and spinning cost
        # more than they save, and badly so on a busy machine
        faiss.omp_set_num_threads(int(__import__("os").environ.get("VERILENS_FAISS_THREADS", "1")))
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
    kind : {"flat", "multihash"}
        ``flat``: ``IndexBinaryFlat`` (exact). ``multihash``: ``IndexBinaryMultiHash`` with
        ``nhash`` substrings of ``b`` bits and ``nflip`` flipped bits per probe.
    nhash, b, nflip : int

    Notes
    -----
    For PDQ, 16 substrings of 16 bits probed with 1 flip find every code within
    2 x 16 - 1 = 31 bits (pigeonhole: one of the 16 substrings differs in at most one bit),
    so the multi-hash range search is exact at PDQ's match threshold.

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
    """The first-stage index suited to ``n`` PDQ codes (exact at PDQ's threshold either way)."""
    if n < PDQ_FLAT_MAX:
        return BinaryIndex("flat")
    nflip = 1 if PDQ_MATCH_THRESHOLD <= 31 else 2
    return BinaryIndex("multihash", nhash=16, b=16, nflip=nflip)


def feature_index_for(n: int) -> BinaryIndex:
    """The second-stage descriptor index suited to ``n`` ORB descriptors.

    Notes
    -----
    Large: 12 substrings of 20 bits, 1 flip: a descriptor pair at 40 bits of 256 still
    shares a substring within one bit with probability about 0.88 (binomial model); a
    picture needs only a few of its descriptors found to be proposed for verification.
    """
    if n < FEAT_FLAT_MAX:
        return BinaryIndex("flat")
    return BinaryIndex("multihash", nhash=12, b=20, nflip=1)


__all__ = ["BinaryIndex", "FEAT_FLAT_MAX", "Hit", "PDQ_FLAT_MAX", "feature_index_for", "pdq_index_for"]
