"""Video-level provenance: per-keyframe archive matches grouped into clip statements.

Pure functions over plain match dicts (the archive's ``Match.to_dict()``): no archive, no
files. "This clip (t = a–b) appeared before in X (t = c–d), first seen …".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..claims import time_bounds

#: Matched keyframe pairs whose time offset is within this of the median offset (seconds)
#: are counted as one consistent clip alignment.
OFFSET_TOLERANCE_S = 1.0


@dataclass
class ClipMatch:
    """Keyframes of the query video matched to one archive item.

    Attributes
    ----------
    item : dict
        ``id``, ``path``, ``source_url``, ``first_seen`` of the archive item.
    pairs : list of (float, float or None, float)
        ``(query_time_s, archived_frame_time_s, similarity)``; archived time is None when
        the archive item is a still image.
    offset_s : float or None
        Median of ``archived - query`` time over consistent pairs: where t = 0 of the query
        falls in the archived video.
    consistent : int
        Pairs within :data:`OFFSET_TOLERANCE_S` of that offset.
    query_span, archived_span : (float, float) or None
    best_similarity : float
    """

    item: dict[str, Any]
    pairs: list[tuple[float, float | None, float]] = field(default_factory=list)
    offset_s: float | None = None
    consistent: int = 0
    query_span: tuple[float, float] | None = None
    archived_span: tuple[float, float] | None = None
    best_similarity: float = 0.0

    def statement(self) -> str:
        name = self.item.get("source_url") or self.item.get("path") or f"archive item {self.item.get('id')}"
        seen = self.item.get("first_seen")
        tail = f", first seen {seen}" if seen else ""
        if self.query_span is None:
            return f"No keyframe matched {name}."
        qa, qb = self.query_span
        if self.archived_span is None:
            return (f"This clip (t = {qa:.1f}–{qb:.1f} s) shows the archived picture {name}{tail} "
                    f"({len(self.pairs)} keyframe(s)).")
        ca, cb = self.archived_span
        return (f"This clip (t = {qa:.1f}–{qb:.1f} s) appeared before in {name} (t = {ca:.1f}–{cb:.1f} s){tail}; "
                f"{self.consistent} keyframe(s) agree on an offset of {self.offset_s:+.2f} s.")

    def to_dict(self) -> dict[str, Any]:
        return {
            "item": self.item, "statement": self.statement(), "offset_s": self.offset_s,
            "consistent_keyframes": self.consistent, "matched_keyframes": len(self.pairs),
            "query_span_s": list(self.query_span) if self.query_span else None,
            "archived_span_s": list(self.archived_span) if self.archived_span else None,
            "best_similarity": round(self.best_similarity, 4),
            "pairs": [{"query_s": round(q, 3), "archived_s": None if a is None else round(a, 3),
                       "similarity": round(s, 4)} for q, a, s in self.pairs],
        }


def group_matches(per_keyframe: Iterable[tuple[float, Sequence[dict[str, Any]]]],
                  tolerance_s: float = OFFSET_TOLERANCE_S) -> list[ClipMatch]:
    """Group per-keyframe matches by archive item and align them in time.

    Parameters
    ----------
    per_keyframe : iterable of (float, sequence of dict)
        For each query keyframe its time (s) and its matches (dicts with at least ``id``;
        ``frame_time_s`` for keyframes of archived videos, ``similarity``, ``path``,
        ``source_url``, ``first_seen``).
    tolerance_s : float
        Pairs whose offset is within this of the median offset count as consistent
        (seconds).

    Returns
    -------
    list of ClipMatch
        Most consistent keyframes first, then earliest first-seen.

    Notes
    -----
    The offset is a median, so a few wrong pairings (a recurring studio shot matching
    another moment of the same programme) do not move it. A clip that was re-timed
    (slowed, sped up) has no single offset; its pairs spread and few count as consistent.
    """
    groups: dict[Any, ClipMatch] = {}
    for q_t, matches in per_keyframe:
        seen_here: set[Any] = set()
        for m in matches:
            key = m.get("id")
            if key in seen_here:  # one pair per keyframe per item: its best match
                continue
            seen_here.add(key)
            g = groups.get(key)
            if g is None:
                g = groups[key] = ClipMatch(item={k: m.get(k) for k in ("id", "path", "source_url", "first_seen")})
            a_t = m.get("frame_time_s")
            sim = float(m.get("similarity") or 0.0)
            g.pairs.append((float(q_t), None if a_t is None else float(a_t), sim))
            g.best_similarity = max(g.best_similarity, sim)
    for g in groups.values():
        timed = [(q, a) for q, a, _ in g.pairs if a is not None]
        qs = [q for q, _, _ in g.pairs]
        if timed:
            offsets = np.array([a - q for q, a in timed])
            off = float(np.median(offsets))
            ok = [(q, a) for (q, a), d in zip(timed, offsets, strict=True) if abs(d - off) <= tolerance_s]
            if ok:
                off = float(np.median([a - q for q, a in ok]))
            g.offset_s = round(off, 3)
            g.consistent = len(ok)
            g.query_span = (min(q for q, _ in ok), max(q for q, _ in ok))
            g.archived_span = (min(a for _, a in ok), max(a for _, a in ok))
        else:
            g.consistent = len(g.pairs)
            g.query_span = (min(qs), max(qs))
    return sorted(groups.values(), key=lambda g: (-g.consistent, when(g.item.get("first_seen"))))


def when(value: Any) -> float:
    """Seconds since the epoch of the latest instant an ISO 8601 value can mean (a date: the
    end of that whole day, :func:`verilens.claims.time_bounds`, the order of
    :func:`verilens.provenance.catalog.seen_order`; naive = UTC); +inf when unreadable."""
    b = time_bounds(value)
    return b[1].timestamp() if b else float("inf")


def earliest(clips: Sequence[ClipMatch]) -> dict[str, Any] | None:
    """The archive item with the earliest known first-seen time among the clip matches."""
    dated = [c.item for c in clips if when(c.item.get("first_seen")) < float("inf")]
    if not dated:
        return clips[0].item if clips else None
    return min(dated, key=lambda i: when(i["first_seen"]))


__all__ = ["ClipMatch", "OFFSET_TOLERANCE_S", "earliest", "group_matches", "when"]
