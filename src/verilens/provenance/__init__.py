"""Provenance: has this picture or frame been published before, and when first?

Perceptual hashes (PDQ with its dihedral variants), a crop-robust second stage (ORB
keypoints in a faiss binary index, verified with RANSAC), a catalog of everything the
newsroom has seen (SQLAlchemy: SQLite file or PostgreSQL URL), ingest on Dask, and links
for the public reverse-search engines.
"""

from .archive import (
           AddOutcome,
           Archive,
           HashedItem,
           HashedPicture,
           Match,
           QueryResult,
           hash_picture,
)
from .hashing import PDQ_MATCH_THRESHOLD, PdqHash, hamming, pdq_dihedral, pdq_hash

__all__ = ["AddOutcome", "Archive", "HashedItem", "HashedPicture", "Match", "PDQ_MATCH_THRESHOLD", "PdqHash",
           "QueryResult", "hamming", "hash_picture", "pdq_dihedral", "pdq_hash"]
