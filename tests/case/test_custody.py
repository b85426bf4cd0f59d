"""The hash chain (pure functions): every edit, deletion, insertion or re-ordering breaks it."""

from __future__ import annotations

import dataclasses
import hashlib

from verilens.case.custody import GENESIS, canonical, entry_hash, seal, verify_chain


def _chain(n: int = 5) -> list:
    entries, prev = [], GENESIS
    for i in range(1, n + 1):
        e = seal("c1", i, f"2026-01-01T00:00:0{i}+00:00", "note", "ann", None, {"i": i, "t": "ü<"}, prev)
        entries.append(e)
        prev = e.hash
    return entries


def test_hash_is_sha256_of_canonical_json() -> None:
    # Independent recomputation of the documented encoding (sorted keys, compact, UTF-8).
    body = b'{"action":"opened","actor":null,"at":"t","case_id":"c","details":{"a":1,"b":"\xc3\xa9"},"item_id":null,"prev":"' \
        + GENESIS.encode() + b'","seq":1}'
    assert canonical({"seq": 1, "case_id": "c", "at": "t", "action": "opened", "actor": None, "item_id": None,
                      "details": {"b": "é", "a": 1}, "prev": GENESIS}) == body
    assert entry_hash("c", 1, "t", "opened", None, None, {"b": "é", "a": 1}, GENESIS) == hashlib.sha256(body).hexdigest()


def test_intact_chain_verifies() -> None:
    assert verify_chain(_chain()) == []


def test_edit_is_detected() -> None:
    entries = _chain()
    entries[2] = dataclasses.replace(entries[2], details={"i": 99, "t": "ü<"})
    problems = verify_chain(entries)
    assert len(problems) == 1 and "#3" in problems[0] and "altered" in problems[0]


def test_rehashed_edit_breaks_the_next_link() -> None:
    entries = _chain()
    e = entries[2]
    forged = seal(e.case_id, e.seq, e.at, e.action, e.actor, e.item_id, {"i": 99}, e.prev_hash)
    entries[2] = forged
    problems = verify_chain(entries)
    assert any("#4" in p and "link" in p for p in problems)


def test_deletion_and_reordering_are_detected() -> None:
    entries = _chain()
    assert any("expected #3" in p for p in verify_chain(entries[:2] + entries[3:]))
    swapped = [entries[0], entries[2], entries[1], *entries[3:]]
    assert len(verify_chain(swapped)) >= 2
