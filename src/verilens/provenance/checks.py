"""Checks of the provenance domain (registered on import by verilens.pipeline)."""

from __future__ import annotations

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


def open_existing_archive(db: str) -> Archive:
    """Open an archive for a check to read; a check never creates one.

    Raises
    ------
    CheckUnavailable
        No archive at that path (a mistyped path must not become a new, empty archive).
    """
    if not is_url(db) and not Path(db).is_file():
        raise CheckUnavailable(f"no archive at {db} (create it with 'verilens archive add ... --archive {db}')")
    return Archive.open(db, index_limit=CHECK_INDEX_LIMIT)


def open_archive_for(db: str | None) -> Archive | None:
    """The archive a check searches: the one given, else the default one when it exists, else None.

    Raises
    ------
    CheckUnavailable
        A given archive that does not exist.
    """
    if db:
        return open_existing_archive(db)
    default = default_db()
    return Archive.open(default, index_limit=CHECK_INDEX_LIMIT) if default.is_file() else None


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
    archive = open_archive_for(ctx.options.archive)
    if archive is None:
        return Finding(State.NOT_APPLICABLE,
                       "No archive given (--archive DB) and none at the default place: build one with "
                       "'verilens archive add' to search for earlier copies.")
    try:
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
    finally:
        archive.close()


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
