"""The provenance archive: catalog + faiss indexes + two-stage search.

Library API (stable; the video domain calls it)::

    from verilens.provenance import Archive
    with Archive.open("archive.db") as archive:          # or a SQLAlchemy URL
        archive.add_path("photo.jpg", source_url="https://...", first_seen="2022-03-01")
        archive.add_video_frames("clip.mp4", sha256, [(0.0, rgb0), (4.2, rgb1)])
        for m in archive.search_image(rgb, top_k=10):
            print(m.to_dict())

Decision rule (what ``search_image`` returns, i.e. what is judged a copy):

* **first stage** — some dihedral variant of the query's PDQ hash is within 31 bits (PDQ's
  published threshold) of an archived hash, both of PDQ quality >= 50; or
* **second stage** — at least 15 ORB keypoint matches agree with one similarity transform
  (RANSAC, 6 px), between the query and a candidate proposed by the descriptor index.
  When neither found anything and most looked-up keypoints sit on drawn-looking strokes
  (heavy text or graphics over the picture), a second keypoint pass detects keypoints away
  from those strokes and proposes and verifies candidates again, with the same rule.

* **same bytes** — when the caller gives the query file's SHA-256 and an archived item has
  the same, that item is returned first (``stage`` ``sha256``, transform "identical file",
  similarity 1), whatever the hashes say: this also finds flat pictures that PDQ cannot
  hash and whole videos.

Anything else is not returned: an unrelated query gets an empty list.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import bindparam, func, insert, select, text, true, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from ..config import home
from ..errors import InputError, VerilensError
from .catalog import (
    SCHEMA_VERSION,
    Base,
    HashRow,
    Item,
    Meta,
    Source,
    default_db,
    is_url,
    make_engine,
    normalise_time,
    now_iso,
    seen_order,
)
from .decode import REDUCED_SIDE
from .features import (
    MIN_AGREEMENT,
    MIN_INLIERS,
    OVERLAY_ONLY_DRAWN,
    OVERLAY_ONLY_SPREAD,
    Features,
    drawn_share,
    extract_features,
    hull_region,
    mirror_features,
    overlay_mask,
    overlay_only,
    picture_agreement,
    resize_max,
    to_gray,
    verify,
)
from .hashing import (
    PDQ_MATCH_THRESHOLD,
    PDQ_MIN_QUALITY,
    hamming,
    pdq_dihedral,
    pdq_hash,
    pdq_similarity,
)
from .index import SIG_MAX_BITS, BinaryIndex, DescriptorIndex, feature_index_for, pdq_index_for

log = logging.getLogger(__name__)

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: processes adding at once are not kept apart
    fcntl = None  # type: ignore[assignment]

#: Index folders this process is adding to, with the thread holding each (a second Archive
#: of the same thread would wait for itself).
_ADDING: dict[str, int] = {}
_ADDING_LOCK = threading.Lock()


def _flock(fd: int, wait: bool) -> bool:
    """Lock a lock file; False when another holds it and not ``wait``. A file system that
    has no locks counts as locked: the archive goes on as it did before locks."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    except OSError as exc:
        log.info("no lock on this file system (%s): processes adding at once are not kept apart", exc)
    return True


def _hold_lock_file(fd: int, waiting: Callable[[str], None]) -> None:
    """Lock a lock file, telling ``waiting`` (" (pid N)" of the holder, or "") when another
    holds it first, then write this process's pid into it for the next one to name."""
    if not _flock(fd, wait=False):
        try:
            holder = os.pread(fd, 16, 0).decode("ascii", "replace").strip()
        except OSError:
            holder = ""
        waiting(f" (pid {holder})" if holder.isdigit() else "")
        try:
            _flock(fd, wait=True)
        except BaseException:  # interrupted while waiting
            os.close(fd)
            raise
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
    except OSError:  # only the waiting message names the holder
        pass


def _release_adding(key: str, fd: int) -> None:
    """Let others add to the archive whose index folder is ``key`` (also when an Archive
    that was never closed is collected)."""
    with _ADDING_LOCK:
        _ADDING.pop(key, None)
    if fd >= 0:
        os.close(fd)  # releases the lock

#: Longer side (px) of the archive side's working copy (thumbnail, PDQ input, keypoints):
#: the reduced decode's size, so that a still is resampled once (by the decoder).
FEATURE_SIDE = REDUCED_SIDE
#: FAST corner threshold on the archive side (grey levels).
FEATURE_FAST_THRESHOLD = 16
#: Archive side: keypoints detected per keypoint stored (the surplus lets the grid reach
#: weaker corners beside an overlay's). With FEATURE_FAST_THRESHOLD, this sets most of the
#: ingest's cost after decoding. 1.5 since ORB ranks corners by FAST score (``features._orb``):
#: against 2.0 with Harris ranking, recall held or rose in every family on the benchmark
#: (20,000 distractors, two splits of the photos; crop_30 0.934 to 0.967 and 0.918 to 0.967) with no new
#: false match, and ORB's cost fell by about a tenth. With Harris ranking, 1.5 had cost
#: crop_30 recall (0.934 to 0.918).
FEATURE_OVERSAMPLE = 1.5
#: Archive side: ORB's pyramid (scale factor, levels). Five levels span the same 3.6x range
#: of scales as the query side's eight (1.38 ** 4 ~ 1.2 ** 7), whose steps of 1.2 keep one
#: query level within 10 % of each archived level's scale; the pyramid holds 2.0 times the
#: picture's pixels instead of 3.1, and ORB costs about a quarter less. Against (1.2, 8) on
#: the benchmark (20,000 distractors): no new false match; over crops removing 10 to 40 % of
#: each side, screenshots and mirrored crops (a development run on another split of the
#: photos), 31 misses in 1,098 queries instead of 53. (1.2, 8) on both sides aligns the two
#: pyramids exactly at the benchmark's 30 % crop alone (384 / (0.7 x 320) = 1.2 ** 2.96):
#: there one split of the photos kept its recall and another lost 3 of 61.
FEATURE_PYRAMID = (1.38, 5)
#: Keypoints stored per archived picture (in the catalog, for verification) and indexed
#: (their words and signatures, for proposing candidates).
FEATURES_STORED = 256
#: Query side: longer side (px) and number of keypoints described.
QUERY_SIDE = 768
QUERY_FEATURES = 400
#: Longer side (px) of the query copy described with keypoints: close to FEATURE_SIDE, so
#: that a crop (magnified) and a screenshot (reduced) are both seen at scales ORB's
#: 8-level pyramid covers.
QUERY_FEATURE_SIDE = 384
#: Query keypoints are spread over a QUERY_GRID x QUERY_GRID grid, picked from
#: QUERY_OVERSAMPLE times as many detections (so overlays do not take them all).
QUERY_GRID = 6
QUERY_OVERSAMPLE = 3
#: Query descriptors looked up in the index (the first, grid-spread ones); all are used
#: for verification.
QUERY_LOOKUPS = 250
#: Archived pictures each query descriptor votes for at most (the closest signatures);
#: candidates verified per query.
VOTE_K = 6
CANDIDATES = 12
#: Votes a candidate needs; the best-scored picture is verified from MIN_VOTES - 1 on (a
#: deep crop, whose corners mostly sit at scales the archived copy does not have, can
#: collect no more than two, and verification, not the vote, is what accepts a match).
MIN_VOTES = 3
#: Overlay pass (runs only when neither stage found anything and at least OVERLAY_TRIGGER of
#: the looked-up query keypoints sit on drawn-looking strokes, see ``features.overlay_mask``):
#: keypoints are detected away from those strokes, with a lower FAST threshold, spread over
#: a finer grid; OVERLAY_LOOKUPS of them are looked up, OVERLAY_FEATURES used to verify.
OVERLAY_TRIGGER = 0.7
OVERLAY_GRID = 12
OVERLAY_FAST_THRESHOLD = 8
OVERLAY_FEATURES = 500
OVERLAY_LOOKUPS = 250
#: Mirrored pass (runs only when every pass before it found nothing): the query is flipped
#: left to right and described again, and its first MIRROR_LOOKUPS descriptors looked up; ORB
#: descriptors are not mirror-invariant, so without it a mirrored crop or mirrored screenshot
#: is not found (a whole mirrored picture is, by the first stage's dihedral PDQ variants).
MIRROR_LOOKUPS = 250
#: Around the keypoints of a match resting on drawn strokes, this fraction of the query's
#: shorter side is left out when comparing the pictures (a banner's band and edges).
OVERLAY_MARGIN = 0.08
#: Training descriptors per visual word for the vocabulary (read from the catalog).
TRAIN_PER_WORD = 16

SEARCH_PARAMETERS = {
    "pdq_threshold_bits": PDQ_MATCH_THRESHOLD, "pdq_min_quality": PDQ_MIN_QUALITY,
    "min_inliers": MIN_INLIERS, "feature_side_px": FEATURE_SIDE, "query_side_px": QUERY_SIDE,
    "query_feature_side_px": QUERY_FEATURE_SIDE,
    "features_stored_and_indexed": FEATURES_STORED, "feature_fast_threshold": FEATURE_FAST_THRESHOLD,
    "feature_oversample": FEATURE_OVERSAMPLE, "feature_pyramid": list(FEATURE_PYRAMID),
    "query_features": QUERY_FEATURES, "query_lookups": QUERY_LOOKUPS, "signature_max_bits": SIG_MAX_BITS, "candidates": CANDIDATES,
    "min_votes": MIN_VOTES,
    "overlay_trigger": OVERLAY_TRIGGER, "overlay_grid": OVERLAY_GRID, "overlay_fast_threshold": OVERLAY_FAST_THRESHOLD,
    "overlay_features": OVERLAY_FEATURES, "overlay_lookups": OVERLAY_LOOKUPS,
    "overlay_only_drawn_share": OVERLAY_ONLY_DRAWN, "overlay_only_min_agreement": MIN_AGREEMENT,
    "overlay_only_spread": OVERLAY_ONLY_SPREAD, "overlay_margin": OVERLAY_MARGIN, "mirror_lookups": MIRROR_LOOKUPS,
}


@dataclass(frozen=True)
class HashedPicture:
    """Hashes of one picture (a still or a video keyframe); picklable for Dask workers."""

    pdq: bytes
    quality: int
    features: bytes | None
    frame_time_s: float | None = None


@dataclass(frozen=True)
class HashedItem:
    """Everything the catalog stores about one file, computed away from the catalog."""

    sha256: str
    kind: str
    path: str
    width: int | None
    height: int | None
    thumbnail: bytes | None
    pictures: tuple[HashedPicture, ...]
    #: Bytes the archive already held when they were hashed: nothing was decoded, only the
    #: new sighting is recorded (see :meth:`Archive.known_bytes`).
    known: bool = False


def hash_picture(rgb: np.ndarray, frame_time_s: float | None = None) -> HashedPicture:
    """PDQ hash and stored keypoints of one picture.

    The picture is reduced to :data:`FEATURE_SIDE` (a reduced decode already is) for
    keypoints; PDQ reduces its luma to 64 x 64.

    Parameters
    ----------
    rgb : ndarray, shape (H, W, 3), uint8
    frame_time_s : float, optional
        Time of a video keyframe, seconds from the start.
    """

    arr = np.asarray(rgb)
    small, _ = resize_max(arr if arr.ndim == 2 else np.ascontiguousarray(arr[:, :, :3]), FEATURE_SIDE)
    gray = to_gray(small)  # both PDQ and ORB work on luma
    ph = pdq_hash(gray)
    feats = extract_features(gray, max_side=FEATURE_SIDE, n_keep=FEATURES_STORED, fast_threshold=FEATURE_FAST_THRESHOLD,
                             oversample=FEATURE_OVERSAMPLE, pyramid=FEATURE_PYRAMID)
    return HashedPicture(ph.bits, ph.quality, feats.to_bytes() if len(feats) else None,
                         None if frame_time_s is None else float(frame_time_s))


#: Descriptor entries saved in segment files before the index is saved whole again (or an
#: eighth of the entries in its base, whichever is more; the in-memory merge uses the same eighth).
SEGMENT_FLOOR = 1 << 20
#: Pictures indexed from the catalog per second in a rebuild (measured: 1M in about 10 min),
#: for telling how long one will take.
INDEX_ROWS_PER_S = 1700
#: Segment files kept before they are merged into one (archives added to a file at a time).
MAX_SEGMENTS = 8
#: Names of index files: a base's parts and segments, each with a random 12-digit hex name.
_INDEX_FILE = re.compile(r"(base-[0-9a-f]{12}\.(pdq\.faiss|pdq\.owners\.npy|feat\.(vocab\.npz|ids\.npy|sigs\.npy))"
                         r"|seg-[0-9a-f]{12}\.npz|state\.json\.[0-9]+\.[0-9]+\.tmp)")


def _new_index_file_id() -> str:
    return secrets.token_hex(6)


def _index_file_id(name: Any, segment: bool = False) -> str:
    """A base id or segment file name from a state file, checked (never a path elsewhere)."""
    text = str(name)
    if not re.fullmatch(r"seg-[0-9a-f]{12}\.npz" if segment else r"[0-9a-f]{12}", text):
        raise ValueError(f"not an index file name: {text[:40]!r}")
    return text


#: Sightings listed with a match (all are counted in ``sources``).
SIGHTINGS_LISTED = 20


def _holds_last_code(s: Session, pdq: BinaryIndex) -> bool:
    """Whether the catalog holds the last PDQ entry of ``pdq`` with the same code: a catalog
    put in the place of another under the same name or URL does not (its rows reuse the
    ids), and an index of the other must not be searched for it."""
    n = pdq.ntotal
    if n == 0:
        return True
    code = s.execute(select(HashRow.pdq).where(HashRow.id == int(pdq.owners[-1]))).scalar_one_or_none()
    return code is not None and bytes(code) == pdq.codes_from(n - 1)[0].tobytes()


def _sightings(s: Session, item_id: int, limit: int | None = SIGHTINGS_LISTED) -> list[dict[str, Any]]:
    """An item's sightings, earliest first-seen first (unknown last), at most ``limit``."""
    q = (select(Source.path, Source.source_url, Source.first_seen, Source.added_at).where(Source.item_id == item_id)
         .order_by(Source.first_seen.is_(None), Source.first_seen, Source.id))
    rows = s.execute(q if limit is None else q.limit(limit + 50)).all()  # ISO strings sort nearly right: re-sorted
    out = [{"path": r.path, "source_url": r.source_url, "first_seen": r.first_seen, "added_at": r.added_at}
           for r in rows]
    out.sort(key=lambda d: seen_order(d["first_seen"]))
    return out if limit is None else out[:limit]


def first_line(exc: BaseException) -> str:
    """The first line of an error's text (database errors append pages of background)."""
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def _take_sighting(item: dict[str, Any], seen: str | None, url: str | None) -> bool:
    """Fold a sighting into an item's earliest first-seen time and that sighting's URL.

    The item carries the earliest first-seen time over its sightings and the URL of that
    sighting (None when it was recorded without one); while no sighting has a time, the
    first URL recorded. Returns whether the item changed.
    """
    if seen is not None and (item["first_seen"] is None or seen_order(seen) < seen_order(item["first_seen"])):
        item["first_seen"], item["source_url"] = seen, url
        return True
    if url and item["source_url"] is None and seen_order(seen) == seen_order(item["first_seen"]):
        item["source_url"] = url
        return True
    return False


@dataclass(frozen=True)
class Match:
    """An archived item judged to be a copy of the query.

    Attributes
    ----------
    id : int
        Catalog id of the archived item.
    path : str
        The archived original's path as added (first sighting).
    source_url : str or None
        URL of the earliest sighting (when known).
    first_seen : str or None
        Earliest first-seen time over all sightings (ISO 8601, UTC).
    distance : int
        PDQ Hamming distance (bits of 256) between the best dihedral variant of the query
        and the archived picture. Crops and borders can match with large distances.
    similarity : float
        0..1. First-stage matches: ``1 - distance / 64``; geometrically verified matches:
        ``0.5 + 0.5 * min(1, inliers / 60)``; the larger when both apply; 1 for the same
        bytes.
    transform : str
        How the query relates to the archived picture ("same framing", "cropped, 78% of the area kept",
        "embedded in larger image", "mirrored", "rotated 90°", ...).
    frame_time_s : float or None
        For a video item, the time of the matching keyframe; None for stills.
    stage : str
        ``sha256`` (the same bytes), ``pdq`` or ``local_features`` (the stage that decided).
    inliers : int or None
        Keypoint matches agreeing with the transform (second stage).
    sha256 : str
    kind : str
        ``image`` or ``video``.
    sources : int
        Number of recorded sightings of the same bytes.
    sightings : list of dict
        The earliest :data:`SIGHTINGS_LISTED` of them, earliest first-seen first:
        ``{"path", "source_url", "first_seen", "added_at"}``. ``source_url`` and
        ``first_seen`` above are those of the earliest one (the URL None when it was
        recorded without one).
    """

    id: int
    path: str
    source_url: str | None
    first_seen: str | None
    distance: int
    similarity: float
    transform: str
    frame_time_s: float | None = None
    stage: str = "pdq"
    inliers: int | None = None
    sha256: str = ""
    kind: str = "image"
    sources: int = 1
    sightings: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["similarity"] = round(float(self.similarity), 4)
        return d


@dataclass
class QueryResult:
    """Matches and what the query itself looked like."""

    matches: list[Match]
    pdq: str
    quality: int
    low_quality: bool
    keypoints: int
    candidates_verified: int = 0
    timings_ms: dict[str, float] = field(default_factory=dict)
    first_stage_items: list[int] = field(default_factory=list)  # item ids, best PDQ distance first
    #: Share (0..1) of the looked-up query keypoints on drawn-looking strokes (computed only
    #: when the first keypoint pass found nothing), and whether the overlay pass ran.
    overlay_share: float | None = None
    overlay_pass: bool = False
    #: Whether the mirrored pass ran (nothing was found before it).
    mirror_pass: bool = False


@dataclass
class AddOutcome:
    """What adding one file did: ``added``, ``skipped`` (already there), ``source_added`` (a new
    sighting of bytes already archived) or ``updated`` (a known sighting given an earlier
    first-seen time)."""

    status: str
    item_id: int
    sha256: str


def _index_dir_for(name: str, db: str | Path | None, url: bool) -> Path:
    if url:
        key = hashlib.sha256(name.encode()).hexdigest()[:16]
        return home() / "archive-index" / key
    return Path(str(name) + ".index")


def _unwritable(path: Path) -> bool:
    """A catalog file that exists and that, or whose folder, cannot be written."""
    return path.is_file() and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))


_HAS_SHA256 = select(Item.id).where(Item.sha256 == bindparam("sha")).limit(1)

#: PostgreSQL advisory lock key held by a batch's transaction ("vlar").
WRITE_LOCK_KEY = 0x766C6172


def _lock_for_writing(conn: Any) -> None:
    """Start a batch's transaction holding the catalog's write lock.

    The batch reads what is archived and then writes what is new: two processes adding at
    once must not both read "no such sighting" and both record it. SQLite takes its write
    lock at ``BEGIN IMMEDIATE`` (waiting up to the busy timeout; readers are not blocked in
    WAL mode), PostgreSQL a transaction-scoped advisory lock.
    """
    name = conn.dialect.name
    if name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": WRITE_LOCK_KEY})


def _rows_upto(s: Session, upto: int) -> int:
    """Hash rows with an id up to ``upto``: all of them less those after it, in one statement.

    Counting ``id <= upto`` directly makes SQLite walk the table itself, whose leaves hold
    the first kilobyte of every row's keypoint record: about 1 GB read at a million pictures,
    seconds to minutes when the file is not in the page cache. The total is counted on the
    small ``item_id`` index instead, and the rows after ``upto`` (those committed since the
    index was saved) are few. One statement, so both counts see the same catalog.
    """
    total = select(func.count()).select_from(HashRow).scalar_subquery()
    after = select(func.count()).select_from(HashRow).where(HashRow.id > upto).scalar_subquery()
    n, later = s.execute(select(total, after)).one()
    return int(n) - int(later)


def _item_count(s: Session) -> int:
    return int(s.execute(select(func.count(Item.id))).scalar_one())


def _other_database(path: Path) -> list[str]:
    """The tables of an existing SQLite file that is not an archive catalog (empty for a
    catalog, a new or empty file, or anything that is not a database).

    Read without locks or journal (SQLite ``immutable``) before the catalog is opened for
    writing, which would switch the file to WAL and add the catalog's tables: a database
    given by mistake (an app's database under investigation, a case file) is left as it is.
    """
    try:
        if not path.is_file() or path.stat().st_size == 0:
            return []
        engine, _ = make_engine(path, read_only=True, immutable=True)
    except (OSError, VerilensError):
        return []
    try:
        names = sa_inspect(engine).get_table_names()
    except SQLAlchemyError:  # not a database: the catalog's own open says so
        return []
    finally:
        engine.dispose()
    return [] if not names or Meta.__tablename__ in names else sorted(names)


def _schema_version(engine: Any) -> str | None:
    """The catalog's recorded schema version; None when it has no tables yet (read, never written)."""
    if not sa_inspect(engine).has_table(Meta.__tablename__):
        return None
    with Session(engine) as s:
        row = s.get(Meta, "schema_version")
        return None if row is None else str(row.value)


class Archive:
    """A searchable archive of everything the newsroom has seen.

    Use :meth:`open`; close with :meth:`close` (or a ``with`` block). Thread-safe for
    concurrent searches; writes are serialised.
    """

    def __init__(self, engine: Any, name: str, index_dir: Path) -> None:
        self.engine = engine
        self.name = name
        self.index_dir = index_dir
        self._lock = threading.RLock()
        self._pdq: BinaryIndex = pdq_index_for(0)
        self._feat: DescriptorIndex = feature_index_for(0)
        self._indexed_max = 0
        self._indexed_rows = 0
        self._dirty = False
        #: The saved index files: the base's name, the segments saved since, the PDQ entries
        #: those files hold, and whether the next save must write a new base.
        self._base: str | None = None
        self._segments: list[dict[str, Any]] = []
        self._saved_pdq = 0
        self._base_due = True
        self.rebuilt = False
        self.caught_up = 0
        #: The state file as last read or written (inode, mtime): a save is made only over that one.
        self._state_seen: tuple[int, int] | None = None
        #: Releases the index folder's lock while this archive is the one adding to it.
        self._adding: weakref.finalize | None = None
        #: Opened without writing (see :meth:`open`).
        self.read_only = False
        #: Told of indexing from the catalog, and how much of it opening may do (see :meth:`open`).
        self.progress: Callable[[str, int, int], None] | None = None
        self.index_limit: int | None = None
        self._closed = False
        self._summary_indexed = False

    # ------------------------------------------------------------------ open / close
    @classmethod
    def open(cls, db: str | Path | None = None, read_only: bool | None = None,
             progress: Callable[[str, int, int], None] | None = None, index_limit: int | None = None) -> Archive:
        """Open (creating when absent) an archive.

        Parameters
        ----------
        db : str or Path, optional
            A file path (SQLite, WAL journal) or a SQLAlchemy URL
            (``postgresql+psycopg://user:pw@host/db``). Default ``$VERILENS_HOME/archive.db``.
        read_only : bool, optional
            Open without writing anything: the catalog is not created or changed, index files
            are not saved, adding raises :class:`VerilensError`. Default: read-only when the
            catalog file exists and it or its folder cannot be written (a read-only share, a
            write-blocked medium).
        progress : callable(what, done, total), optional
            Told how far indexing pictures from the catalog has got, when the indexes are
            rebuilt or caught up (``what`` says which step; minutes at a million pictures).
        index_limit : int, optional
            Refuse (:class:`VerilensError`, saying how to rebuild them) rather than index
            more than this many pictures from the catalog while opening: for work with a
            time budget, such as a check.

        Notes
        -----
        The faiss indexes live beside a file catalog (``<db>.index/``) or, for a URL, under
        ``$VERILENS_HOME/archive-index/``. When their recorded state disagrees with the
        catalog (a crash during ingest, a copy of the catalog alone), missing rows are added
        or the indexes are rebuilt from the catalog (read-only: in memory, for this session).
        A WAL catalog on a read-only medium is opened as unchanging (SQLite ``immutable``),
        since SQLite cannot make its shared-memory file beside it.
        """
        url = db is not None and is_url(db)
        path = None if url else Path(db if db is not None else default_db()).expanduser()
        if read_only is None:
            read_only = path is not None and _unwritable(path)
        other = _other_database(path) if path is not None else []
        if other:
            raise VerilensError(f"{path} is not a verilens archive: it is a database of something else (tables "
                                f"{', '.join(other[:5])}); it was not changed. Give another file for the archive")
        engine, name = make_engine(db, read_only=read_only)
        try:
            try:
                recorded = _schema_version(engine)
            except SQLAlchemyError:
                if not read_only or url:
                    raise
                engine.dispose()
                engine, name = make_engine(db, read_only=True, immutable=True)
                recorded = _schema_version(engine)
            if read_only and recorded is None:
                raise VerilensError(f"{name} is not a verilens archive (it holds no catalog)")
            if not read_only and (recorded is None or recorded == SCHEMA_VERSION):
                with engine.connect() as conn:
                    if recorded is None:  # a new catalog: two processes creating it at once take turns
                        _lock_for_writing(conn)
                    Base.metadata.create_all(conn)
                    if conn.execute(select(Meta.key).where(Meta.key == "schema_version")).first() is None:
                        conn.execute(insert(Meta).values(key="schema_version", value=SCHEMA_VERSION))
                    conn.commit()
        except VerilensError:
            engine.dispose()
            raise
        except Exception as exc:
            engine.dispose()
            raise VerilensError(f"cannot open the archive catalog {name}: {first_line(exc)}") from exc
        if recorded is not None and recorded != SCHEMA_VERSION:  # another version's catalog: left untouched
            engine.dispose()
            raise VerilensError(f"the archive catalog {name} has schema version {recorded[:20]!r}; this verilens "
                                f"reads version {SCHEMA_VERSION!r} (open it with the verilens that made it)")
        arch = cls(engine, name, _index_dir_for(name, db, url))
        arch.read_only = read_only
        arch.progress, arch.index_limit = progress, index_limit
        try:
            arch._load_indexes()
        except SQLAlchemyError as exc:  # a damaged page of the catalog file, a lost server
            engine.dispose()
            raise VerilensError(f"cannot read the archive catalog {name} (damaged?): {first_line(exc)}") from exc
        except BaseException:
            engine.dispose()
            raise
        return arch

    def close(self) -> None:
        """Save the indexes if they changed and release the database.

        An index that cannot be saved here (a read-only folder, a file in the index folder's
        place) is logged, not raised: the catalog is intact and the next open rebuilds it.
        """
        with self._lock:
            try:
                if self._dirty and not self.read_only:
                    self.save_indexes()
            except VerilensError as exc:
                log.warning("%s", exc)
            finally:
                self._stop_adding()
                self.engine.dispose()
                # the keypoint lists are memory-mapped: let go of the files (a read-only medium
                # can then be unmounted); a closed archive refuses further use
                self._pdq, self._feat = pdq_index_for(0), feature_index_for(0)
                self._closed = True

    def _check_open(self) -> None:
        if self._closed:
            raise VerilensError(f"the archive {self.name} has been closed")

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ indexes
    def _catalog_state(self, s: Session) -> tuple[int, int]:
        n, mx = s.execute(select(func.count(HashRow.id), func.max(HashRow.id))).one()
        return int(n or 0), int(mx or 0)

    def _state_stamp(self) -> tuple[int, int] | None:
        try:
            st = (self.index_dir / "state.json").stat()
        except OSError:
            return None
        return st.st_ino, st.st_mtime_ns

    def _load_indexes(self) -> None:
        state_path = self.index_dir / "state.json"
        with Session(self.engine) as s:
            for _ in range(3):
                seen = self._state_stamp()
                n_rows, max_id = self._catalog_state(s)
                loaded = self._load_saved(s, state_path, max_id)
                # another process replaced the state while it was read (a new base, whose save
                # removed the files the old state named): read the new one, not rebuild
                if loaded or self._state_stamp() == seen:
                    break
                s.rollback()  # a fresh view of the catalog too
            self._state_seen = seen
            if not loaded:
                self._within_limit(n_rows, "rebuilt")
                self._rebuild(s, n_rows)
                return
            self._catch_up(s, n_rows, max_id)  # rows committed after the last save

    def _catch_up(self, s: Session, n_rows: int, max_id: int) -> None:
        """Index the catalog's rows after the last one indexed (rebuilding instead when the
        catalog has grown past the indexes' size class)."""
        if max_id <= self._indexed_max:
            return
        before = self._indexed_rows
        if pdq_index_for(n_rows).kind != self._pdq.kind or self._feat.outgrown(n_rows * FEATURES_STORED):
            self._within_limit(n_rows, "rebuilt")
            self._rebuild(s, n_rows)  # grown past a size class: rebuild in the right kind
            return
        self._within_limit(n_rows - self._indexed_rows, "caught up")
        self._index_rows(s, after_id=self._indexed_max, what="catching up the archive's indexes",
                         total=n_rows - self._indexed_rows)
        self.caught_up += self._indexed_rows - before
        self._dirty = True

    def refresh(self) -> None:
        """Index what other processes added to the catalog since this archive read it.

        For an archive kept open between searches (a batch of checks, the web app): its
        searches then see everything the catalog holds, as a fresh open would, at the cost
        of one lookup when nothing was added. Within :attr:`index_limit`, as opening.

        A catalog that no longer holds the last picture indexed as it was indexed (another
        catalog under the same name or URL) has its indexes read again, as opening does.

        Raises
        ------
        VerilensError
            Closed, or more to index than ``index_limit`` allows.
        """
        self._check_open()
        with self._lock:
            with Session(self.engine) as s:
                max_id = int(s.execute(select(func.max(HashRow.id))).scalar_one() or 0)
                if max_id >= self._indexed_max and _holds_last_code(s, self._pdq):
                    if max_id > self._indexed_max:
                        self._catch_up(s, *self._catalog_state(s))
                    return
            self._load_indexes()

    def _within_limit(self, rows: int, how: str) -> None:
        """Raise when opening would index more pictures than :attr:`index_limit` allows."""
        if self.index_limit is None or rows <= self.index_limit:
            return
        minutes = max(1, round(rows / INDEX_ROWS_PER_S / 60))
        raise VerilensError(f"the archive's indexes must be {how} from its catalog first ({rows:,} pictures, "
                            f"about {minutes} min): run 'verilens archive stats --archive {self.name}' once (it "
                            "shows progress), then try again")

    def _load_saved(self, s: Session, state_path: Path, max_id: int) -> bool:
        """Take the indexes the saved state names, if they agree with the catalog."""
        try:
            st = json.loads(state_path.read_text())
            if not isinstance(st, dict):
                raise ValueError("not an index state")
            if st.get("version") not in (2, 3) or int(st["max_hash_id"]) > max_id:
                return False
            upto = int(st["max_hash_id"])
            n_upto = _rows_upto(s, upto)
            if int(n_upto) != int(st["hash_rows"]):
                return False
            pdq, feat = self._read_index_files(st, upto)
            # two processes saving at once can leave files of both: the state names each one's size
            if feat.ntotal != int(st["feat_entries"]) or pdq.ntotal != int(st.get("pdq_entries", pdq.ntotal)):
                raise ValueError("index files and state disagree")
            if not _holds_last_code(s, pdq):  # the index of another catalog once under this name
                return False
        except Exception:  # derived data, possibly damaged in any way: rebuilt from the catalog
            return False
        self._pdq, self._feat = pdq, feat
        self._indexed_max, self._indexed_rows = upto, int(n_upto)
        self._saved_pdq = pdq.ntotal
        self._base_due = self._base is None  # the older layout is saved anew
        return True

    def _read_index_files(self, st: dict[str, Any], upto: int) -> tuple[BinaryIndex, DescriptorIndex]:
        """The indexes a state names: its base files (the descriptor lists memory-mapped) and
        its segments. Raises on any damage or disagreement (the caller rebuilds)."""
        d = self.index_dir

        def rows_ok(ids: np.ndarray) -> np.ndarray:
            # entries must name catalog rows the state covers, or hits would vanish in silence
            if len(ids) and (int(ids.min()) < 1 or int(ids.max()) > upto):
                raise ValueError("index entries name rows outside the catalog")
            return ids

        if st["version"] == 2:  # the layout before segments: one file per index, rewritten whole
            owners = rows_ok(np.load(d / "pdq.owners.npy", allow_pickle=False))
            pdq = BinaryIndex.from_parts(st["pdq_kind"], st["pdq_params"], (d / "pdq.faiss").read_bytes(), owners)
            with np.load(d / "feat.npz", allow_pickle=False) as z:
                feat = DescriptorIndex.from_arrays({k: z[k] for k in z.files}, rows=(1, upto))
            self._base, self._segments = None, []
            return pdq, feat
        base = _index_file_id(st["base"])
        segments = [{**g, "file": _index_file_id(g["file"], segment=True)} for g in st["segments"]]
        # named now: if these files turn out damaged, the new base saved after the rebuild replaces them
        self._base, self._segments, self._base_due = base, segments, True
        owners = rows_ok(np.load(d / f"base-{base}.pdq.owners.npy", allow_pickle=False))
        pdq = BinaryIndex.from_parts(st["pdq_kind"], st["pdq_params"], (d / f"base-{base}.pdq.faiss").read_bytes(),
                                     owners)
        with np.load(d / f"base-{base}.feat.vocab.npz", allow_pickle=False) as z:
            parts = {k: z[k] for k in ("coarse", "fine", "offsets")}
        for k in ("ids", "sigs"):  # the bulk of the index: paged in as searches read it
            parts[k] = np.load(d / f"base-{base}.feat.{k}.npy", mmap_mode="r", allow_pickle=False)
        feat = DescriptorIndex.from_arrays(parts, rows=(1, upto))
        for g in segments:
            seg = self._read_segment(g)
            g["pdq"], g["feat"] = len(seg["pdq_codes"]), len(seg["feat_words"])
            pdq.add(seg["pdq_codes"], rows_ok(seg["pdq_owners"]))
            feat.add_filed(seg["feat_words"], rows_ok(seg["feat_ids"]), seg["feat_sigs"])
        return pdq, feat

    def _read_segment(self, g: dict[str, Any]) -> dict[str, np.ndarray]:
        """The arrays of a segment file a state names (ValueError when they disagree with it)."""
        with np.load(self.index_dir / g["file"], allow_pickle=False) as z:
            seg = {k: z[k] for k in ("pdq_codes", "pdq_owners", "feat_words", "feat_ids", "feat_sigs")}
        if len(seg["pdq_codes"]) != int(g["pdq"]) or len(seg["feat_words"]) != int(g["feat"]):
            raise ValueError("a segment and the state disagree")
        return seg

    def _rebuild(self, s: Session, n_rows: int) -> None:
        self._pdq = pdq_index_for(n_rows)
        n_desc = n_rows * FEATURES_STORED
        k = DescriptorIndex.branching_for(n_desc)
        learning = "learning the keypoint vocabulary from a sample of the catalog"
        if k > 1 and self.progress is not None and n_rows:
            self.progress(learning, 0, n_rows)
        self._feat = feature_index_for(n_desc, self._training_sample(s, n_rows, TRAIN_PER_WORD * k * k)
                                       if k > 1 else None)
        if k > 1 and self.progress is not None and n_rows:
            self.progress(learning, n_rows, n_rows)
        self._indexed_max = 0
        self._indexed_rows = 0
        self._feat.bulk = True  # one merge at the end instead of one per eighth
        try:
            self._index_rows(s, after_id=0, what="rebuilding the archive's indexes from its catalog", total=n_rows)
        finally:
            self._feat.bulk = False
        self._feat.compact()
        self._base_due = True  # saved whole
        self.rebuilt = True
        self._dirty = True

    def _training_sample(self, s: Session, n_rows: int, want: int) -> np.ndarray:
        """Indexed descriptors of pictures spread over the whole catalog (for the vocabulary)."""
        per_row = FEATURES_STORED
        step = max(1, n_rows * per_row // max(1, want))
        out: list[np.ndarray] = []
        have = 0
        ids = s.execute(select(HashRow.id).where(HashRow.features.is_not(None)).order_by(HashRow.id)).scalars().all()
        chosen = ids[::max(1, min(step, len(ids)))] if ids else []
        for i in range(0, len(chosen), 500):
            for (fb,) in s.execute(select(HashRow.features).where(HashRow.id.in_(chosen[i:i + 500]))):
                if not fb:
                    continue
                try:
                    f = Features.from_bytes(fb).head(per_row)
                except ValueError:
                    continue
                out.append(f.desc)
                have += len(f)
        if not out:
            return np.zeros((0, 32), np.uint8)
        sample = np.concatenate(out)
        if have > want:
            rng = np.random.default_rng(0)
            sample = sample[np.sort(rng.choice(have, want, replace=False))]
        return sample

    def _index_rows(self, s: Session, after_id: int, what: str, total: int | None = None,
                    before_id: int | None = None, chunk: int = 5000) -> None:
        """Index the catalog's hash rows after ``after_id`` (and before ``before_id``), in id order.

        ``total``, how many there are, is for the progress report; when the caller does not
        know it, it is counted (cheap only for a short range of ids: SQLite reads the table).
        """
        last = after_id
        done = 0
        upto = HashRow.id < before_id if before_id is not None else true()
        if self.progress is not None:
            if total is None:
                total = int(s.execute(select(func.count(HashRow.id)).where(HashRow.id > after_id, upto)).scalar_one())
            if total:
                self.progress(what, 0, total)
        while True:
            rows = s.execute(
                select(HashRow.id, HashRow.pdq, HashRow.quality, HashRow.features)
                .where(HashRow.id > last, upto).order_by(HashRow.id).limit(chunk)
            ).all()
            if not rows:
                break
            self._add_to_indexes([(r[0], r[1], r[2], r[3]) for r in rows])
            last = rows[-1][0]
            done += len(rows)
            if self.progress is not None and total:
                self.progress(what, done, max(total, done))

    def _add_to_indexes(self, rows: Sequence[tuple[int, bytes, int, bytes | None]]) -> None:
        with self._lock:
            good = [(i, p) for i, p, q, _ in rows if q >= PDQ_MIN_QUALITY and len(p) == 32]
            if good:
                codes = np.frombuffer(b"".join(p for _, p in good), dtype=np.uint8).reshape(-1, 32)
                self._pdq.add(codes, np.array([i for i, _ in good], np.int64))
            descs: list[np.ndarray] = []
            owners: list[np.ndarray] = []
            for i, _, _, fb in rows:
                if not fb:
                    continue
                try:
                    f = Features.from_bytes(fb).head(FEATURES_STORED)
                except ValueError:
                    continue
                if len(f):
                    descs.append(f.desc)
                    owners.append(np.full(len(f), i, np.int64))
            if descs:
                self._feat.add(np.concatenate(descs), np.concatenate(owners))
            for i, *_ in rows:
                self._indexed_max = max(self._indexed_max, int(i))
            self._indexed_rows += len(rows)
            self._dirty = True

    def ensure_writable(self) -> None:
        """Raise :class:`VerilensError` when the archive is open read-only (or closed)."""
        self._check_open()
        if self.read_only:
            raise VerilensError(f"the archive {self.name} is open read-only (it or its folder cannot be written): "
                                "nothing can be added to it here")

    def _lock_file(self) -> int | None:
        """The index folder's lock file, opened (None where none can be made: not POSIX, a
        folder that cannot be written; saving then goes on as it can)."""
        if fcntl is None:
            return None
        try:
            self.index_dir.mkdir(parents=True, exist_ok=True)
            return os.open(self.index_dir / "adding.lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            return None

    def hold_for_adding(self, waiting: Callable[[str], None] | None = None) -> None:
        """Become the one process adding to this archive, until :meth:`close`.

        Called by every way of adding; call it first to wait before any hashing. Another
        process adding to the archive is waited for (``waiting`` is told why, once; by
        default it is logged); the indexes it saved meanwhile are then read, so that both
        processes' additions stay in the saved index (two processes saving each their own
        index made the next open rebuild it from the catalog: minutes at a million items).

        Raises
        ------
        VerilensError
            Open read-only or closed, or this thread is already adding to the same archive
            through another open :class:`Archive` (it would wait for itself).
        """
        self.ensure_writable()
        with self._lock:
            if self._adding is not None:
                return
            key = str(self.index_dir.resolve())
            me = threading.get_ident()
            with _ADDING_LOCK:
                if _ADDING.get(key) == me:
                    raise VerilensError(f"this thread is already adding to the archive {self.name} through another "
                                        "open Archive: close that one first")
            fd = self._lock_file()
            if fd is not None:
                _hold_lock_file(fd, lambda who: (waiting or log.warning)(
                    f"another process{who} is adding to the archive {self.name}: waiting for it to finish"))
            with _ADDING_LOCK:
                _ADDING[key] = me
            self._adding = weakref.finalize(self, _release_adding, key, -1 if fd is None else fd)
            if self._state_stamp() != self._state_seen:  # another process saved since these were read
                self._load_indexes()

    def _stop_adding(self) -> None:
        adding, self._adding = self._adding, None
        if adding is not None:
            adding()

    def save_indexes(self, whole: bool = False) -> None:
        """Write the indexes beside the catalog.

        What was added since the last save goes to a new segment file (at
        :data:`MAX_SEGMENTS`, the segments are merged into one); the base files are
        rewritten (``whole``, after a rebuild, or once the segments hold more than an eighth
        of the base, at least :data:`SEGMENT_FLOOR` descriptor entries). The state file,
        replaced atomically, names the files that make the index; files no state names are
        never read.

        Notes
        -----
        An archive that is not adding (a search that caught up rows or rebuilt) saves only
        when no other process is adding and the saved state is still the one it read: its
        index must not replace a newer one, nor name files that a newer one removed.
        """
        self.ensure_writable()
        with self._lock:
            if self._adding is not None:
                self._save(whole)
                return
            fd = self._lock_file()
            try:
                if fd is not None and not _flock(fd, wait=False):
                    log.info("%s: another process is adding; it saves the index", self.name)
                    return
                if self._state_stamp() != self._state_seen:
                    log.info("%s: the index was saved by another process since it was read; not replaced", self.name)
                    return
                self._save(whole)
            finally:
                if fd is not None:
                    os.close(fd)

    def _save(self, whole: bool) -> None:
        with self._lock:
            want_pdq = pdq_index_for(self._indexed_rows).kind
            if want_pdq != self._pdq.kind or self._feat.outgrown(self._indexed_rows * FEATURES_STORED):
                with Session(self.engine) as s:
                    self._rebuild(s, self._catalog_state(s)[0])
            d = self.index_dir
            whole = whole or self._base_due
            if not whole:  # (the segments' sizes were checked when they were read)
                in_segments = sum(int(g["feat"]) for g in self._segments) + self._feat.unsaved_entries
                whole = in_segments > max(SEGMENT_FLOOR, (self._feat.ntotal - in_segments) // 8)
            merged = None
            if not whole and len(self._segments) >= MAX_SEGMENTS:
                try:
                    merged = [self._read_segment(g) for g in self._segments]
                except (OSError, ValueError):  # a segment changed on disk since it was read: a new base
                    whole = True
            old = self._files_named()
            base: str | None
            try:
                d.mkdir(parents=True, exist_ok=True)
                if whole:
                    base, segments = _new_index_file_id(), []
                    (d / f"base-{base}.pdq.faiss").write_bytes(self._pdq.to_bytes())
                    np.save(d / f"base-{base}.pdq.owners.npy", self._pdq.owners)
                    parts = self._feat.to_arrays()
                    np.savez(d / f"base-{base}.feat.vocab.npz", coarse=parts["coarse"], fine=parts["fine"],
                             offsets=parts["offsets"])
                    for k in ("ids", "sigs"):
                        np.save(d / f"base-{base}.feat.{k}.npy", parts[k])
                else:
                    base, segments = self._base, list(self._segments)  # a base exists: not due
                    words, ids, sigs = self._feat.unsaved()
                    new = {"pdq_codes": self._pdq.codes_from(self._saved_pdq),
                           "pdq_owners": self._pdq.owners[self._saved_pdq:],
                           "feat_words": words, "feat_ids": ids, "feat_sigs": sigs}
                    if merged is not None:  # one segment for all: an open reads few files
                        new = {k: np.concatenate([o[k] for o in merged] + [new[k]]) for k in new}
                        segments = []
                    if len(new["feat_words"]) or len(new["pdq_codes"]):
                        name = f"seg-{_new_index_file_id()}.npz"
                        np.savez(d / name, pdq_codes=new["pdq_codes"], pdq_owners=new["pdq_owners"],
                                 feat_words=new["feat_words"], feat_ids=new["feat_ids"], feat_sigs=new["feat_sigs"])
                        segments.append({"file": name, "pdq": len(new["pdq_codes"]), "feat": len(new["feat_words"])})
                st = {"version": 3, "hash_rows": self._indexed_rows, "max_hash_id": self._indexed_max,
                      "pdq_kind": self._pdq.kind, "pdq_params": list(self._pdq.params),
                      "feat_kind": self._feat.kind, "feat_params": list(self._feat.params),
                      "feat_entries": self._feat.ntotal, "pdq_entries": self._pdq.ntotal,
                      "base": base, "segments": segments}
                # a name of this process and thread: two saves at once must not rename each
                # other's half-written state
                tmp = d / f"state.json.{os.getpid()}.{threading.get_ident()}.tmp"
                tmp.write_text(json.dumps(st))
                os.replace(tmp, d / "state.json")
                self._state_seen = self._state_stamp()
            except OSError as exc:
                raise VerilensError(f"cannot write the archive's index files in {d}: {exc.strerror or exc} "
                                    "(the catalog is intact; the indexes are rebuilt on the next open)") from exc
            self._base, self._segments, self._base_due = base, segments, False
            self._saved_pdq = self._pdq.ntotal
            self._feat.mark_saved()
            self._dirty = False
            self._remove_unnamed(old, leftovers=whole)

    def _files_named(self) -> set[str]:
        """The index files the current state names."""
        if self._base is None:
            return set()
        names = {f"base-{self._base}.{part}" for part in
                 ("pdq.faiss", "pdq.owners.npy", "feat.vocab.npz", "feat.ids.npy", "feat.sigs.npy")}
        return names | {str(g["file"]) for g in self._segments}

    def _remove_unnamed(self, before: set[str], leftovers: bool) -> None:
        """Remove the files the previous state named that the new one does not (segments
        merged, a new base); with ``leftovers``, also the older layout's files and those of
        interrupted saves (an hour old: another process may be writing files it has not
        named yet)."""
        keep = self._files_named()
        cutoff = time.time() - 3600
        for p in self.index_dir.iterdir():
            try:
                if p.name in keep:
                    continue
                if p.name in before or (leftovers and (
                        p.name in ("pdq.faiss", "pdq.owners.npy", "feat.npz")
                        or (_INDEX_FILE.fullmatch(p.name) and p.stat().st_mtime < cutoff))):
                    p.unlink()
            except OSError:  # a leftover that cannot be removed is only disk space
                continue

    def rebuild_indexes(self) -> None:
        """Rebuild both indexes from the catalog and save them."""
        self.hold_for_adding()
        with self._lock, Session(self.engine) as s:
            self._rebuild(s, self._catalog_state(s)[0])
        self.save_indexes()

    # ------------------------------------------------------------------ adding
    def known_sightings(self, paths: Iterable[str]) -> dict[str, list[tuple[str | None, str | None, str]]]:
        """Sightings recorded under these paths: path -> [(source_url, first_seen, added_at)] (for resumable ingest)."""
        out: dict[str, list[tuple[str | None, str | None, str]]] = {}
        plist = list(dict.fromkeys(paths))
        with Session(self.engine) as s:
            for i in range(0, len(plist), 500):
                chunk = plist[i:i + 500]
                for path, url, seen, added in s.execute(select(Source.path, Source.source_url, Source.first_seen,
                                                               Source.added_at).where(Source.path.in_(chunk))):
                    out.setdefault(path, []).append((url, seen, added))
        return out

    def add_hashed(self, batch: Sequence[tuple[HashedItem, str | None, str | None]]) -> list[AddOutcome]:
        """Commit hashed items with their sightings in one transaction.

        Parameters
        ----------
        batch : sequence of (HashedItem, source_url, first_seen)

        Returns
        -------
        list of AddOutcome
            In the order given. Bytes already in the archive are stored once: a new
            sighting (path or URL) is recorded (``source_added``); a known one is skipped,
            unless it comes with an earlier first-seen time, which replaces the recorded one
            (``updated``). The item keeps the earliest first-seen time of its sightings and
            that sighting's URL.

        Raises
        ------
        VerilensError
            The archive is open read-only, or the catalog cannot be written.
        """
        self.hold_for_adding()
        stamp = now_iso()
        for attempt in range(3):
            try:
                with self._lock, self.engine.connect() as conn:
                    _lock_for_writing(conn)
                    outcomes, new_rows = self._add_batch(conn, batch, stamp)
                    conn.commit()
                break
            except IntegrityError as exc:  # another process added the same bytes meanwhile: read again
                if attempt == 2:
                    raise VerilensError(f"the archive catalog {self.name} kept changing under this batch: "
                                        f"{first_line(exc)}") from exc
        if new_rows:
            # rows another writer committed since this archive last indexed (another machine
            # adding to the same PostgreSQL catalog): indexed first, or the saved index would
            # skip them and the next open would rebuild it whole
            first = min(r[0] for r in new_rows)
            if first > self._indexed_max + 1:
                with Session(self.engine) as s:
                    self._index_rows(s, after_id=self._indexed_max, what="indexing pictures added elsewhere",
                                     before_id=first)
            self._add_to_indexes(new_rows)
        return outcomes

    def _add_batch(self, conn: Any, batch: Sequence[tuple[HashedItem, str | None, str | None]], stamp: str
                   ) -> tuple[list[AddOutcome], list[tuple[int, bytes, int, bytes | None]]]:
        """The statements of :meth:`add_hashed`, in its transaction (holding the catalog's write lock)."""
        outcomes: list[AddOutcome] = []
        new_rows: list[tuple[int, bytes, int, bytes | None]] = []
        # Core statements, not ORM objects: a batch is a handful of multi-row INSERTs
        shas = list({h.sha256 for h, _, _ in batch})
        known_items: dict[str, dict[str, Any]] = {
            r.sha256: {"id": r.id, "first_seen": r.first_seen, "source_url": r.source_url}
            for r in conn.execute(select(Item.id, Item.sha256, Item.first_seen, Item.source_url)
                                  .where(Item.sha256.in_(shas)))} if shas else {}
        fresh: dict[str, tuple[dict[str, Any], HashedItem]] = {}  # sha -> (item row, hashed)
        changed: set[str] = set()  # items whose first_seen / source_url this batch changes (fresh ones: in their row)
        sightings: list[tuple[str, str, str | None, str | None]] = []  # (sha, path, url, seen)
        pending: list[tuple[int, str, str]] = []  # (outcome index, status, sha)
        for hashed, url, seen in batch:
            seen_n = normalise_time(seen)
            sha = hashed.sha256
            if hashed.known and sha not in known_items and sha not in fresh:  # items are never deleted
                raise VerilensError(f"{hashed.path}: its bytes were archived when hashed and are gone now")
            if sha not in known_items and sha not in fresh:
                quality = max((p.quality for p in hashed.pictures), default=None)
                fresh[sha] = ({"sha256": sha, "kind": hashed.kind, "path": hashed.path, "source_url": url,
                               "first_seen": seen_n, "added_at": stamp, "width": hashed.width,
                               "height": hashed.height, "quality": quality, "thumbnail": hashed.thumbnail}, hashed)
                sightings.append((sha, hashed.path, url, seen_n))
                pending.append((len(outcomes), "added", sha))
                outcomes.append(AddOutcome("added", 0, sha))
                continue
            item = known_items[sha] if sha in known_items else fresh[sha][0]
            # the same sighting (path and URL) again: only an earlier first-seen changes it
            at = next((i for i, x in enumerate(sightings) if x[0] == sha and x[1] == hashed.path and x[2] == url), None)
            recorded = None
            if at is None and sha in known_items:
                recorded = conn.execute(select(Source.id, Source.first_seen).where(
                    Source.item_id == item["id"], Source.path == hashed.path,
                    (Source.source_url == url) if url is not None else Source.source_url.is_(None))).first()
            if at is not None or recorded is not None:
                before = sightings[at][3] if at is not None else recorded.first_seen  # type: ignore[union-attr]
                if seen_n is None or (before is not None and seen_order(before) <= seen_order(seen_n)):
                    pending.append((len(outcomes), "skipped", sha))
                    outcomes.append(AddOutcome("skipped", 0, sha))
                    continue
                if at is not None:
                    sightings[at] = (sha, hashed.path, url, seen_n)
                else:
                    conn.execute(update(Source).where(Source.id == recorded.id).values(first_seen=seen_n))  # type: ignore[union-attr]
                status = "updated"
            else:
                sightings.append((sha, hashed.path, url, seen_n))
                status = "source_added"
            if _take_sighting(item, seen_n, url):
                changed.add(sha)
            pending.append((len(outcomes), status, sha))
            outcomes.append(AddOutcome(status, 0, sha))
        ids = {sha: v["id"] for sha, v in known_items.items()}
        if fresh:
            res = conn.execute(insert(Item).returning(Item.id, Item.sha256, sort_by_parameter_order=True),
                               [row for row, _ in fresh.values()])
            ids.update({r.sha256: r.id for r in res})
        if sightings:
            conn.execute(insert(Source), [{"item_id": ids[sha], "path": path, "source_url": url,
                                           "first_seen": seen_n, "added_at": stamp}
                                          for sha, path, url, seen_n in sightings])
        for sha in changed & known_items.keys():  # read under the write lock: no other writer since
            it = known_items[sha]
            conn.execute(update(Item).where(Item.id == it["id"])
                         .values(first_seen=it["first_seen"], source_url=it["source_url"]))
        rows = [{"item_id": ids[sha], "frame_time_s": p.frame_time_s, "pdq": p.pdq, "quality": p.quality,
                 "features": p.features} for sha, (_, hashed) in fresh.items() for p in hashed.pictures]
        if rows:
            res = conn.execute(insert(HashRow).returning(HashRow.id, sort_by_parameter_order=True), rows)
            new_rows.extend((int(r.id), row["pdq"], row["quality"], row["features"]) for r, row in zip(res, rows, strict=True))
        for idx, status, sha in pending:
            outcomes[idx] = AddOutcome(status, int(ids[sha]), sha)
        return outcomes, new_rows

    def add_path(self, path: str | Path, source_url: str | None = None,
                 first_seen: str | None = None) -> AddOutcome:
        """Hash one file (still, or a video's keyframes) and add it.

        Raises
        ------
        InputError
            The file cannot be read or decoded.
        """
        from .ingest import hash_file

        hashed = hash_file(str(path))
        return self.add_hashed([(hashed, source_url, first_seen)])[0]

    def add_video_frames(self, path: str | Path, sha256: str, frames: Iterable[tuple[float, np.ndarray]],
                         source_url: str | None = None, first_seen: str | None = None) -> AddOutcome:
        """Add a video as one archive item with one hashed picture per keyframe.

        Parameters
        ----------
        path : str or Path
            The video as given (recorded, not read).
        sha256 : str
            SHA-256 of the video file.
        frames : iterable of (time_s, rgb)
            Keyframes: time in seconds from the start, (H, W, 3) uint8 pictures.
        source_url, first_seen : str, optional
        """
        pics: list[HashedPicture] = []
        thumb = None
        from .decode import encode_thumbnail

        for t, rgb in frames:
            arr = np.asarray(rgb)
            if arr.ndim not in (2, 3) or arr.size == 0:
                continue
            pics.append(hash_picture(arr, float(t)))
            if thumb is None and arr.ndim == 3:
                thumb = encode_thumbnail(np.ascontiguousarray(arr[:, :, :3]).astype(np.uint8))
        if not pics:
            raise InputError(f"{Path(path).name}: no keyframe to hash")
        hashed = HashedItem(sha256=sha256, kind="video", path=str(path), width=None, height=None,
                            thumbnail=thumb, pictures=tuple(pics))
        return self.add_hashed([(hashed, source_url, first_seen)])[0]

    # ------------------------------------------------------------------ search
    def search_image(self, rgb: np.ndarray, top_k: int = 10, sha256: str | None = None) -> list[Match]:
        """Archived items judged copies of a picture, best first (see the module's decision rule)."""
        return self.query(rgb, top_k=top_k, sha256=sha256).matches

    def search_path(self, path: str | Path, top_k: int = 10, sha256: str | None = None) -> QueryResult:
        """Decode a still (reduced) and search it, its bytes included (see :meth:`exact`).

        ``sha256`` is the file's, when the caller already has it.
        """
        from ..config import Limits
        from ..intake.media import sha256_file
        from .decode import decode_reduced

        dec = decode_reduced(path, side=QUERY_SIDE, limits=Limits.from_env())
        return self.query(dec.rgb, top_k=top_k, sha256=sha256 or sha256_file(path))

    @contextmanager
    def known_bytes(self) -> Iterator[Callable[[str], bool]]:
        """A test of whether bytes (by SHA-256) are archived, for hashing threads.

        An ingest asks it once per file, before decoding: archived bytes (a repost) need only
        a new sighting. Each thread keeps one connection while the block lasts (a question
        then costs about 25 µs; a pooled connection per question twice that, an ORM session
        ten times). A catalog that cannot answer answers "no": the file is hashed in full.
        """
        local = threading.local()
        opened: list[Any] = []
        guard = threading.Lock()

        def known(sha256: str) -> bool:
            try:
                conn = getattr(local, "conn", None)
                if conn is None:
                    conn = local.conn = self.engine.connect()
                    with guard:
                        opened.append(conn)
                try:
                    return conn.execute(_HAS_SHA256, {"sha": sha256}).first() is not None
                finally:
                    conn.rollback()  # no transaction (and no snapshot) is held between files
            except Exception:
                return False

        try:
            yield known
        finally:
            for conn in opened:
                conn.close()

    def known_prefixes(self) -> np.ndarray:
        """The first 8 bytes of every archived SHA-256, sorted, as unsigned 64-bit integers.

        A compact "probably archived" test for hashing workers away from the catalog (Dask):
        8 bytes an item, 8 MB at a million. A hit must be confirmed against the catalog
        (:meth:`known_bytes`): two files agreeing in their first 64 bits are not the same bytes.
        """
        self._check_open()
        out: list[int] = []
        with Session(self.engine) as s:
            for sha in s.execute(select(Item.sha256).execution_options(yield_per=50_000)).scalars():
                try:
                    out.append(int(str(sha)[:16], 16))
                except ValueError:  # not hex: never matched
                    continue
        return np.unique(np.array(out, dtype=np.uint64))

    def exact(self, sha256: str) -> Match | None:
        """The archived item with these very bytes, as a match (distance 0, similarity 1), or None.

        Parameters
        ----------
        sha256 : str
            SHA-256 of the query file (hex).
        """
        self._check_open()
        sha = str(sha256 or "").strip().lower()
        if len(sha) != 64:
            return None
        with Session(self.engine) as s:
            it = s.scalars(select(Item).where(Item.sha256 == sha)).first()
            if it is None:
                return None
            n_src = int(s.execute(select(func.count(Source.id)).where(Source.item_id == it.id)).scalar_one())
            listed = _sightings(s, it.id)
        return Match(id=it.id, path=it.path, source_url=it.source_url, first_seen=it.first_seen, distance=0,
                     similarity=1.0, transform="identical file", stage="sha256", sha256=it.sha256, kind=it.kind,
                     sources=max(1, n_src), sightings=listed)

    def query(self, rgb: np.ndarray, top_k: int = 10, sha256: str | None = None) -> QueryResult:
        """Two-stage search with details about the query (quality, keypoints, timings).

        ``sha256`` (the query file's, when it is a file) adds the archived item with the
        same bytes, if any, first (:meth:`exact`).
        """
        self._check_open()
        t0 = time.perf_counter()
        arr = np.asarray(rgb)
        if arr.ndim == 2:
            arr = np.repeat(arr[:, :, None], 3, axis=2)
        if arr.ndim != 3 or arr.shape[0] < 1 or arr.shape[1] < 1:
            raise InputError(f"not a picture (array of shape {arr.shape})")
        arr = np.ascontiguousarray(arr[:, :, :3]).astype(np.uint8, copy=False)
        arr, _ = resize_max(arr, QUERY_SIDE)
        gray = to_gray(arr)  # both stages work on luma (the overlay mask on colour)
        variants = pdq_dihedral(gray)
        q0 = variants[0][1]
        low = q0.low_quality
        best: set[int] = set()  # hash rows the first stage found (distance and variant: from the catalog)
        t1 = time.perf_counter()
        if not low:
            codes = np.frombuffer(b"".join(v.bits for _, v in variants), dtype=np.uint8).reshape(-1, 32)
            with self._lock:
                best = {hit.owner for hit in self._pdq.range(codes, PDQ_MATCH_THRESHOLD)}
        t2 = time.perf_counter()
        small, _ = resize_max(gray, QUERY_FEATURE_SIDE)
        qf = extract_features(small, max_side=QUERY_FEATURE_SIDE, n_keep=QUERY_FEATURES, grid=QUERY_GRID,
                              oversample=QUERY_OVERSAMPLE, keypoints=True)
        masks: list[np.ndarray] = []

        def drawn_mask() -> np.ndarray:
            """The query's drawn-looking strokes (made once, when first needed)."""
            if not masks:
                masks.append(overlay_mask(arr, QUERY_FEATURE_SIDE))
            return masks[0]

        def shared_overlay(v: Any, row: int, archived: Features) -> bool:
            """A match on drawn strokes alone, between pictures that differ beside them."""
            view, mask = (small[:, ::-1], drawn_mask()[:, ::-1]) if v.mirrored else (small, drawn_mask())

            def agreement() -> float | None:  # beside the strokes and away from the matched overlay
                thumb = self._still_thumbnail(row)
                if thumb is None:
                    return None
                away = mask | hull_region(view.shape, v.query_xy, round(OVERLAY_MARGIN * min(view.shape)))
                return picture_agreement(np.ascontiguousarray(view), thumb, archived.size, v.matrix, away)

            return overlay_only(v, mask, agreement)

        verified, n_cand = self._propose_and_verify(qf, QUERY_LOOKUPS, shared_overlay)
        share: float | None = None
        ran_overlay = False
        if not best and not verified and len(qf):
            # a second keypoint pass when drawn strokes (text, logos) hold most of the corners
            # that were looked up: detect away from them, spread over a finer grid
            mask = drawn_mask()
            share = drawn_share(mask, qf.xy[:QUERY_LOOKUPS])
            if share >= OVERLAY_TRIGGER:
                ran_overlay = True
                of = extract_features(small, max_side=QUERY_FEATURE_SIDE, n_keep=OVERLAY_FEATURES, grid=OVERLAY_GRID,
                                      fast_threshold=OVERLAY_FAST_THRESHOLD, oversample=2, exclude=mask)
                verified, more = self._propose_and_verify(of, OVERLAY_LOOKUPS)
                n_cand += more
        ran_mirror = False
        if not best and not verified and len(qf) >= MIN_INLIERS:
            # a mirrored copy, cropped or embedded: the query's keypoints described on it flipped
            ran_mirror = True
            mf = mirror_features(small, qf)
            verified, more = self._propose_and_verify(mf, MIRROR_LOOKUPS, shared_overlay, mirrored=True)
            n_cand += more
        t3 = time.perf_counter()
        matches, stage1 = self._materialise(best, verified, variants, top_k)
        same = self.exact(sha256) if sha256 else None
        if same is not None:
            matches = ([same] + [m for m in matches if m.id != same.id])[:max(0, int(top_k))]
        t4 = time.perf_counter()
        timings = {"pdq_ms": (t1 - t0) * 1e3, "first_stage_ms": (t2 - t1) * 1e3,
                   "second_stage_ms": (t3 - t2) * 1e3, "catalog_ms": (t4 - t3) * 1e3}
        return QueryResult(matches, q0.hex, q0.quality, low, len(qf), n_cand,
                           {k: round(v, 3) for k, v in timings.items()}, stage1, share, ran_overlay, ran_mirror)

    def _propose_and_verify(self, qf: Features, lookups: int,
                            reject: Callable[[Any, int, Features], bool] | None = None,
                            mirrored: bool = False) -> tuple[dict[int, Any], int]:
        """Candidates voted for by the first ``lookups`` query descriptors, verified with all of them.

        ``reject(verification, row, archived features)`` drops a geometric match after the
        fact (a shared overlay); ``mirrored`` records that ``qf`` describes the flipped query.
        Returns the verified hash rows (row -> Verification) and the number of candidates.
        """
        verified: dict[int, Any] = {}
        if len(qf) < MIN_INLIERS:
            return verified, 0
        with self._lock:
            rows, votes, _ = self._feat.vote(qf.desc[:lookups], VOTE_K)
        enough = votes >= MIN_VOTES
        enough[:1] |= votes[:1] >= MIN_VOTES - 1  # rows come best-scored first
        cands = [int(o) for o in rows[enough][:CANDIDATES]]
        if not cands:
            return verified, 0
        with Session(self.engine) as s:
            blobs = dict(s.execute(select(HashRow.id, HashRow.features).where(HashRow.id.in_(cands))).all())
        for o in cands:
            fb = blobs.get(o)
            if not fb:
                continue
            try:
                af = Features.from_bytes(fb)
            except ValueError:
                continue
            v = verify(qf, af, mirrored=mirrored)
            if v is not None and not (reject is not None and reject(v, o, af)):
                verified[o] = v
        return verified, len(cands)

    def _materialise(self, best: set[int], verified: dict[int, Any],
                     variants: list[Any], top_k: int) -> tuple[list[Match], list[int]]:
        rows = best | set(verified)
        if not rows:
            return [], []
        with Session(self.engine) as s:
            hr = {r.id: r for r in s.execute(select(HashRow.id, HashRow.item_id, HashRow.frame_time_s, HashRow.pdq)
                                             .where(HashRow.id.in_(rows))).all()}
            items = {it.id: it for it in s.scalars(select(Item).where(Item.id.in_({r.item_id for r in hr.values()})))}
            nsrc = dict(s.execute(select(Source.item_id, func.count(Source.id))
                                  .where(Source.item_id.in_(list(items))).group_by(Source.item_id)).all())
        per_item: dict[int, Match] = {}
        s1: dict[int, int] = {}  # item -> its closest confirmed first-stage distance
        for row_id in rows:
            r = hr.get(row_id)
            if r is None:
                continue
            it = items.get(r.item_id)
            if it is None:
                continue
            # the distance to the catalog's own code, not the index's: a first-stage hit stands
            # only if the catalog confirms it (the catalog is the truth, the index derived data)
            pdq_d, name = min(((hamming(v.bits, r.pdq), n) for n, v in variants), key=lambda t: t[0]) \
                if len(r.pdq) == 32 else (256, "")
            sim, stage, transform, inl = 0.0, "pdq", "", None
            if row_id in best and pdq_d <= PDQ_MATCH_THRESHOLD:
                s1[it.id] = min(pdq_d, s1.get(it.id, 1 << 30))
                sim = pdq_similarity(pdq_d)
                transform = "same framing" if name == "original" else name
            elif row_id not in verified:
                continue
            if row_id in verified:
                v = verified[row_id]
                vs = 0.5 + 0.5 * min(1.0, v.inliers / 60.0)
                inl = v.inliers
                if not transform:  # the first stage did not match: the geometry decides
                    stage, transform = "local_features", v.transform
                sim = max(sim, vs)
            m = Match(id=it.id, path=it.path, source_url=it.source_url, first_seen=it.first_seen,
                      distance=int(pdq_d), similarity=float(sim), transform=transform,
                      frame_time_s=r.frame_time_s, stage=stage, inliers=inl, sha256=it.sha256,
                      kind=it.kind, sources=int(nsrc.get(it.id, 1)))
            cur = per_item.get(it.id)
            if cur is None or (m.similarity, -m.distance) > (cur.similarity, -cur.distance):
                per_item[it.id] = m
        out = sorted(per_item.values(), key=lambda m: (-m.similarity, m.distance, m.id))[:max(0, int(top_k))]
        with Session(self.engine) as s:
            out = [replace(m, sightings=_sightings(s, m.id)) for m in out]
        stage1 = [i for i, _ in sorted(s1.items(), key=lambda kv: (kv[1], kv[0]))]
        return out, stage1

    def _still_thumbnail(self, row: int) -> np.ndarray | None:
        """The grey thumbnail of the still a hash row belongs to (None for a video keyframe:
        its item's thumbnail is another frame)."""
        import cv2

        with Session(self.engine) as s:
            blob = s.execute(select(Item.thumbnail).join(HashRow, HashRow.item_id == Item.id)
                             .where(HashRow.id == row, HashRow.frame_time_s.is_(None))).scalar_one_or_none()
        if not blob:
            return None
        img = cv2.imdecode(np.frombuffer(blob, np.uint8), cv2.IMREAD_GRAYSCALE)
        return img if img is not None and img.size else None

    # ------------------------------------------------------------------ reading
    def item_sources(self, item_id: int, limit: int | None = None) -> list[dict[str, Any]]:
        """Sightings of an item, earliest first-seen first (all of them, or the first ``limit``)."""
        with Session(self.engine) as s:
            return _sightings(s, item_id, limit)

    def thumbnail(self, item_id: int) -> bytes | None:
        with Session(self.engine) as s:
            return s.execute(select(Item.thumbnail).where(Item.id == item_id)).scalar_one_or_none()

    def item_count(self) -> int:
        """Distinct files archived: one count on the catalog's smallest index (:meth:`stats`
        also counts the kinds and the first-seen range, which reads every item of a catalog
        that lacks its indexes and cannot be given them: read-only, or locked by a writer)."""
        self._check_open()
        with Session(self.engine) as s:
            return _item_count(s)

    def _add_summary_indexes(self, notice: Callable[[str], None] | None = None) -> None:
        """Give a catalog made before them the indexes on the items' kind and first-seen time.

        Without them the summary reads every item (thumbnails included: seconds at a million
        items, more with a cold cache); creating them reads every item once, and ``notice``
        is told so first. A read-only catalog, or one another process is writing to, is
        summarised by reading the items.
        """
        if self._summary_indexed or self.read_only:
            return
        self._summary_indexed = True
        table = Base.metadata.tables[Item.__tablename__]
        try:
            with self.engine.begin() as conn:
                have = {ix["name"] for ix in sa_inspect(conn).get_indexes(table.name)}
                missing = [ix for ix in table.indexes if ix.name not in have]
                if missing and notice is not None:
                    notice(f"adding {len(missing)} index(es) to the catalog, made before them (once: every item "
                           "is read)")
                for ix in missing:
                    ix.create(conn)
        except SQLAlchemyError as exc:
            log.info("the archive catalog's summary indexes were not added (%s)", first_line(exc))

    def stats(self, notice: Callable[[str], None] | None = None) -> dict[str, Any]:
        """Counts, time range and index shape.

        ``notice`` is told when a catalog made before the summary's indexes gets them (a read
        of every item, once).
        """
        self._check_open()
        self._add_summary_indexes(notice)
        with Session(self.engine) as s:
            n_items = _item_count(s)
            kinds = dict(s.execute(select(Item.kind, func.count(Item.id)).group_by(Item.kind)).all())
            n_src = s.execute(select(func.count(Source.id))).scalar_one()
            n_hash, _ = self._catalog_state(s)
            lo, hi = s.execute(select(func.min(Item.first_seen), func.max(Item.first_seen))).one()
        with self._lock:  # the pictures indexed without a PDQ entry (counting them in the catalog reads every row)
            low = self._indexed_rows - self._pdq.ntotal
        size = None
        if not is_url(self.name) and Path(self.name).exists():
            size = Path(self.name).stat().st_size
        return {
            "archive": self.name, "items": int(n_items), "images": int(kinds.get("image", 0)),
            "videos": int(kinds.get("video", 0)), "sources": int(n_src), "hashed_pictures": int(n_hash),
            "low_quality_pictures": int(low), "first_seen_min": lo, "first_seen_max": hi,
            "catalog_bytes": size, "read_only": self.read_only,
            "index": {"pdq": {"kind": self._pdq.kind, "entries": self._pdq.ntotal,
                              "memory_bytes": self._pdq.memory_bytes()},
                      "features": {"kind": self._feat.kind, "entries": self._feat.ntotal,
                                   "words": self._feat.n_words, "memory_bytes": self._feat.memory_bytes()},
                      "path": str(self.index_dir)},
        }


__all__ = ["AddOutcome", "Archive", "HashedItem", "HashedPicture", "Match", "QueryResult", "SEARCH_PARAMETERS",
           "first_line", "hash_picture"]
