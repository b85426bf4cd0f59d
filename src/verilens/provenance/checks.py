"""Checks of the provenance domain (registered on import by verilens.pipeline)."""

from __future__ import annotations

import atexit
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..claims import time_bounds
from ..errors import CheckUnavailable
from ..evidence import ArtifactKind, Finding, Question, State
from ..pipeline import Context, register
from .archive import SEARCH_PARAMETERS, Archive
from .catalog import default_db, is_url, seen_order
from .reverse_search import reverse_search_links


def earliest_and_predates(matches: list[dict[str, Any]], claim_time: str | None
                          ) -> tuple[dict[str, Any] | None, bool | None]:
    """The earliest first-seen match and whether it predates the claimed time.

    Parameters
    ----------
    matches : list of dict
        Match dicts (``first_seen``: an ISO instant, a date meaning that whole day, or None).
    claim_time : str or None
        Claimed time: ISO 8601 with an offset, or a date (the whole day).

    Returns
    -------
    (earliest, predates)
        ``earliest`` is ``{"id", "path", "source_url", "first_seen"}`` or None when no match
        has a first-seen time; ``predates`` is None without a claimed time or earliest.

    Notes
    -----
    "Predates" must hold whatever the zones: the latest moment the first-seen value can
    mean is before the earliest moment the claim can mean (a date runs from 00:00 at UTC+14
    to 24:00 at UTC-12, :func:`verilens.claims.time_bounds`). A copy first seen on the
    claimed day therefore never flags the claim.
    """
    dated = [m for m in matches if time_bounds(m.get("first_seen"))]
    if not dated:
        return None, None
    e = min(dated, key=lambda m: seen_order(m["first_seen"]))
    earliest = {k: e.get(k) for k in ("id", "path", "source_url", "first_seen")}
    claim = time_bounds(claim_time) if claim_time else None
    if claim is None:
        return earliest, None
    seen = time_bounds(e["first_seen"])
    return earliest, bool(seen is not None and seen[1] < claim[0])


def _montage(query: np.ndarray, thumbs: list[bytes]) -> np.ndarray:
    from io import BytesIO

    from PIL import Image

    tiles = [Image.fromarray(np.ascontiguousarray(query[:, :, :3]))]
    for t in thumbs:
        try:
            tiles.append(Image.open(BytesIO(t)).convert("RGB"))
        except Exception:
            continue
    hgt = 160
    scaled = [im.resize((max(1, round(im.width * hgt / im.height)), hgt)) for im in tiles]
    canvas = Image.new("RGB", (sum(s.width for s in scaled) + 8 * (len(scaled) - 1), hgt), (255, 255, 255))
    x = 0
    for s in scaled:
        canvas.paste(s, (x, 0))
        x += s.width + 8
    return np.asarray(canvas)


#: Pictures a check may index from the catalog while opening the archive (about 30 s, within
#: its budget); an archive whose indexes need more is reported with how to rebuild them.
CHECK_INDEX_LIMIT = 50_000


#: Archives kept open between checks. Opening one reads its indexes (seconds at a million
#: items), which a batch of checks or the web app would otherwise pay for every input.
KEPT_OPEN = 2


@dataclass
class _Kept:
    archive: Archive
    identity: tuple[int, int] | None  # the catalog file's (device, inode); None for a URL
    users: int = 0


_kept: OrderedDict[str, _Kept] = OrderedDict()
_kept_lock = threading.Lock()


def _identity(db: str) -> tuple[int, int] | None:
    """The catalog file's (device, inode): a file put in its place has another one while the
    kept archive holds the old one open (and :meth:`Archive.refresh` tells another catalog
    from the same one in any case)."""
    if is_url(db):
        return None
    try:
        st = os.stat(db)
    except OSError:
        return (-1, -1)
    return st.st_dev, st.st_ino


def _let_go(everything: bool = False) -> None:
    """Close kept archives nobody is using: beyond :data:`KEPT_OPEN` (least recently used
    first), those whose catalog file was replaced or removed, or all of them (at exit)."""
    with _kept_lock:
        idle = [k for k, v in _kept.items() if v.users == 0]
        gone = [k for k in idle if everything or _identity(k) != _kept[k].identity]
        extra = [k for k in idle if k not in gone][:max(0, len(_kept) - len(gone) - KEPT_OPEN)]
        closing = [_kept.pop(k).archive for k in gone + extra]
    for archive in closing:
        archive.close()


atexit.register(_let_go, True)


def _forget_in_child() -> None:
    """A forked child uses none of its parent's connections, nor a lock a parent's thread held."""
    global _kept_lock
    _kept.clear()
    _kept_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_in_child)


@contextmanager
def archive_for_check(db: str | None) -> Iterator[Archive | None]:
    """The archive a check searches: the one given, else the default one when it exists, else None.

    Kept open for the next check (at most :data:`KEPT_OPEN` archives; closed at exit) and
    brought up to date with what was added to its catalog since (:meth:`Archive.refresh`).
    A check never creates an archive.

    Raises
    ------
    CheckUnavailable
        A given archive that does not exist (a mistyped path must not become a new, empty
        archive).
    VerilensError
        Its indexes would take too long to build here (:data:`CHECK_INDEX_LIMIT`).
    """
    if db:
        if not is_url(db) and not Path(db).is_file():
            raise CheckUnavailable(f"no archive at {db} (create it with 'verilens archive add ... --archive {db}')")
        name = db if is_url(db) else str(Path(db).absolute())
    else:
        default = default_db()
        if not default.is_file():
            yield None
            return
        name = str(default.absolute())
    _let_go()  # an archive whose file was replaced is opened anew
    with _kept_lock:
        kept = _kept.get(name)
        if kept is None:  # opened under the lock: checks running side by side wait for one open
            kept = _kept[name] = _Kept(Archive.open(name, index_limit=CHECK_INDEX_LIMIT), _identity(name))
        kept.users += 1
        _kept.move_to_end(name)
    try:
        kept.archive.refresh()
        yield kept.archive
    finally:
        with _kept_lock:
            kept.users -= 1
        _let_go()


@register(
    "provenance.archive",
    Question.PROVENANCE,
    version="6",
    applies_to=("image",),
    budget_s=60,
    parameters=SEARCH_PARAMETERS,
    caveat=(
        "Stills only (videos: video.provenance searches every keyframe). "
        "How to read: each match is an item in your own archive judged to be a copy of this picture "
        "(same picture resized, recompressed, cropped, bordered, captioned, overlaid, mirrored, rotated or "
        "shown inside a larger picture; an archived file with the very same bytes comes first, as "
        "'identical file'), with where and when it was first seen. If the earliest copy was seen before "
        "the claimed time (whatever the zones: a first-seen date is the whole day), the picture is likely "
        "recycled. What it cannot show: it only knows "
        "what was added to the archive, and first-seen times are only as good as what was recorded; no "
        "match means only that the archive holds no copy; a re-shot scene (a new photo of the same place) "
        "is not a copy; heavy crops (less than about half of the picture left) and strong perspective "
        "can be missed."
    ),
)
def archive_check(ctx: Context) -> Finding:
    with archive_for_check(ctx.options.archive) as archive:
        if archive is None:
            return Finding(State.NOT_APPLICABLE,
                           "No archive given (--archive DB) and none at the default place: build one with "
                           "'verilens archive add' to search for earlier copies.")
        return _search_archive(ctx, archive)


def _search_archive(ctx: Context, archive: Archive) -> Finding:
    ctx.check_time()
    # read as `archive search` reads it (and as the benchmark measures): the same file gives
    # the same matches through either
    res = archive.search_path(ctx.media.path, top_k=10, sha256=ctx.media.sha256)
    low = res.low_quality and not res.matches
    matches = [m.to_dict() for m in res.matches]  # best first, the same bytes (if archived) first of all
    for d in matches:
        d["identical_file"] = d.get("sha256") == ctx.media.sha256
    earliest, predates = earliest_and_predates(matches, ctx.claim.time)
    details: dict[str, Any] = {"matches": matches, "earliest": earliest, "predates_claim": predates,
                               "archive": archive.name, "archive_items": archive.item_count()}
    if not matches:
        if low:
            return Finding(State.INCONCLUSIVE,
                           "The picture is too flat or uniform for a reliable hash; the archive was not searched "
                           "meaningfully.", details=details)
        return Finding(State.NOT_FOUND,
                       f"No copy of the picture among the {details['archive_items']} item(s) of the archive.",
                       score=0.0, details=details)
    art = []
    thumbs = [t for t in (archive.thumbnail(d["id"]) for d in matches[:5]) if t]
    if thumbs:
        art.append(ctx.save_image("matches", _montage(ctx.media.rgb(), thumbs), ArtifactKind.IMAGE,
                                  "The query (left) and its archived copies, best first"))
    top = matches[0]
    text = f"{len(matches)} archived copy(ies) found; best: {Path(str(top['path'])).name} ({top['transform']})."
    if earliest:
        text += f" Earliest first seen {earliest['first_seen']}"
        text += f" at {earliest['source_url']}." if earliest.get("source_url") else " (no URL recorded)."
    if predates:
        text += " That is before the claimed time: the picture is likely recycled."
    elif predates is False:
        days = len(str(earliest["first_seen"])) == 10 or len(str(ctx.claim.time).strip()) == 10  # type: ignore[index]
        text += (" That does not predate the claimed time (a date alone counts as the whole day, in any zone)."
                 if days else " That is not before the claimed time.")
    elif earliest is None and ctx.claim.time:
        text += (" No first-seen time is recorded for these copies, so whether they predate the claimed "
                 "time is unknown.")
    return Finding(State.FOUND, text, score=float(top["similarity"]), details=details, artifacts=art)


@register(
    "provenance.reverse_search",
    Question.PROVENANCE,
    version="1",
    applies_to=("image", "video"),
    budget_s=5,
    caveat=(
        "How to read: ready-made links to search the public engines (Google Lens, Bing, Yandex, TinEye) for "
        "this media's URL; nothing is sent until you open one. What it cannot show: the engines index only "
        "part of the web, rank by their own rules and change their link formats; a local file has no URL "
        "and must be uploaded by you, which shares it with that service."
    ),
)
def reverse_search_check(ctx: Context) -> Finding:
    info = reverse_search_links(ctx.media.url)
    if not info["links"]:
        return Finding(State.NOT_APPLICABLE, str(info["note"]), details=info)
    return Finding(State.INCONCLUSIVE, "Reverse-search links ready (nothing sent): open them to search the "
                   "public engines for this URL.", details=info)
