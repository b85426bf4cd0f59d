"""Provenance: has this picture or frame been published before, and when first?

Perceptual hashes (PDQ with its dihedral variants), a crop-robust second stage (ORB
keypoints in a faiss binary index, verified with RANSAC), a catalog of everything the
newsroom has seen (SQLAlchemy: SQLite file or PostgreSQL URL), ingest on Dask, and links
for the public reverse-search engines.
"""

from .._lazy import lazy_exports

_EXPORTS = {
    **dict.fromkeys(["AddOutcome", "Archive", "HashedItem", "HashedPicture", "Match", "QueryResult",
                     "hash_picture"], ".archive"),
    **dict.fromkeys(["PDQ_MATCH_THRESHOLD", "PdqHash", "hamming", "pdq_dihedral", "pdq_hash"], ".hashing"),
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
