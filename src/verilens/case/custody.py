"""The hash-chained custody log: pure functions that seal and check entries.

Each entry's hash is the SHA-256 of a canonical JSON encoding (sorted keys, no spaces,
UTF-8) of the entry's fields together with the previous entry's hash, so changing,
removing, re-ordering or inserting any entry breaks every later link.

References
----------
S. Haber, W. S. Stornetta, "How to time-stamp a digital document", J. Cryptology 3 (1991).
RFC 8785, JSON Canonicalization Scheme (the encoding here is a simpler, sufficient subset:
sorted keys, no insignificant whitespace, UTF-8, values restricted to JSON types).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: The ``prev_hash`` of a case's first entry.
GENESIS = "0" * 64

#: Actions the store writes; others may be added (e.g. by the web app) as plain strings.
ACTIONS = ("opened", "claim", "collected", "analysed", "note", "verdict", "exported", "error")


@dataclass(frozen=True)
class Entry:
    """One custody entry as stored.

    Attributes
    ----------
    case_id : str
    seq : int
        1 for the first entry of a case, then +1 per entry.
    at : str
        ISO 8601 UTC time the entry was written.
    action : str
        What happened (collected, analysed, note, verdict, exported, ...).
    actor : str or None
    item_id : str or None
    details : dict
        JSON values only (hashes of originals, formats, counts...).
    prev_hash, hash : str
        Hex SHA-256 of the previous entry (``GENESIS`` for the first) and of this one.
    """

    case_id: str
    seq: int
    at: str
    action: str
    actor: str | None
    item_id: str | None
    details: Mapping[str, Any] = field(default_factory=dict)
    prev_hash: str = GENESIS
    hash: str = ""


def canonical(obj: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, compact separators, UTF-8, no NaN."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def entry_hash(case_id: str, seq: int, at: str, action: str, actor: str | None,
               item_id: str | None, details: Mapping[str, Any], prev_hash: str) -> str:
    """The hex SHA-256 that seals one entry (see module notes)."""
    body = {"case_id": case_id, "seq": seq, "at": at, "action": action, "actor": actor,
            "item_id": item_id, "details": dict(details), "prev": prev_hash}
    return hashlib.sha256(canonical(body)).hexdigest()


def seal(case_id: str, seq: int, at: str, action: str, actor: str | None, item_id: str | None,
         details: Mapping[str, Any], prev_hash: str) -> Entry:
    """A new entry with its hash computed."""
    h = entry_hash(case_id, seq, at, action, actor, item_id, details, prev_hash)
    return Entry(case_id, seq, at, action, actor, item_id, dict(details), prev_hash, h)


def verify_chain(entries: Iterable[Entry]) -> list[str]:
    """Check a case's entries (in ``seq`` order) end to end.

    Returns
    -------
    list of str
        One readable problem per broken link: a gap or repeat in ``seq``, a ``prev_hash``
        that is not the previous entry's hash, or a hash that does not match the entry's
        content. Empty when the chain holds.

    Notes
    -----
    The chain detects edits, deletions, insertions and re-orderings inside the log. Removing
    the newest entries (truncation) leaves a valid shorter chain; the store therefore also
    cross-checks the log against the items it holds (an item without its ``collected``
    entry is reported).
    """
    problems: list[str] = []
    prev = GENESIS
    expected_seq = 1
    for e in entries:
        if e.seq != expected_seq:
            problems.append(f"custody entry #{e.seq}: expected #{expected_seq} (entries missing or repeated)")
        if e.prev_hash != prev:
            problems.append(f"custody entry #{e.seq}: does not link to the entry before it")
        want = entry_hash(e.case_id, e.seq, e.at, e.action, e.actor, e.item_id, e.details, e.prev_hash)
        if want != e.hash:
            problems.append(f"custody entry #{e.seq} ({e.action}): content does not match its hash (altered)")
        prev = e.hash
        expected_seq = e.seq + 1
    return problems
