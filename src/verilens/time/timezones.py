"""Time zones from coordinates (timezonefinder + zoneinfo), with occupied-territory overrides.

The IANA database records the *de jure* zone: it puts all of Donetsk, Luhansk, Kherson and
Zaporizhzhia oblasts in ``Europe/Kyiv``. In areas under Russian occupation the clocks in use
were Moscow time (UTC+3, no DST) — in the occupied parts of Donetsk and Luhansk oblasts
since 26 October 2014, and in the occupied parts of Kherson and Zaporizhzhia oblasts (and
the parts of Luhansk/Donetsk oblasts taken in 2022) since spring 2022 (Kherson city and the
right bank until its liberation on 11 November 2022). Kyiv time is UTC+2 in winter and
UTC+3 in summer, Moscow time UTC+3 all year, so a local timestamp from there is off by one
hour in winter (late October to late March) when read with the IANA zone.
:data:`OVERRIDES` records this; :func:`zone_for` returns the zone in use and says when an
override applied.

The override polygons are coarse (tens of km along the front lines, which moved): near a
line, treat both zones as possible — the result's ``note`` says so.

References
----------
IANA Time Zone Database, ``europe`` file comments on Ukraine (tz 2022b+).
Reuters (2014-10-26), "Rebel-held eastern Ukraine switches to Moscow time".
Ukrainska Pravda / Meduza (2022-05), occupation authorities in Kherson and Zaporizhzhia
oblasts move clocks to Moscow time; Kherson liberated 2022-11-11 (Ukrainian General Staff).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from ..maps import points_in_polygon


@dataclass(frozen=True)
class Override:
    """A place and period where the clocks in use differ from the IANA zone.

    ``polygon`` is (lat, lon) vertices; ``start``/``end`` are dates (end exclusive, None =
    still in force).
    """

    id: str
    name: str
    zone: str
    polygon: tuple[tuple[float, float], ...]
    start: date
    end: date | None
    source: str

    def active(self, when: datetime | None) -> bool:
        if when is None:
            return True
        d = when.astimezone(UTC).date() if when.tzinfo else when.date()
        return self.start <= d and (self.end is None or d < self.end)


# Coarse outlines (lat, lon). ORDLO: the areas held by the "DNR"/"LNR" before 24 Feb 2022,
# between the 2015 contact line and the Russian border.
_ORDLO = (
    (47.10, 37.90), (47.45, 37.80), (47.75, 37.65), (47.98, 37.55), (48.10, 37.70), (48.28, 37.85),
    (48.33, 38.05), (48.45, 38.25), (48.52, 38.45), (48.62, 38.55), (48.70, 38.78), (48.64, 39.10),
    (48.62, 39.40), (48.72, 39.75), (48.95, 40.05), (48.85, 40.15), (48.55, 39.95), (48.25, 39.95),
    (47.90, 39.80), (47.80, 38.80), (47.25, 38.25), (47.10, 38.20),
)
# Luhansk oblast north of the Siverskyi Donets and the Donetsk-oblast areas taken in 2022
# (Mariupol and the coast, Volnovakha, Lysychansk-Sievierodonetsk), approximate.
_EAST_2022 = (
    (46.90, 36.80), (47.30, 37.15), (47.65, 37.25), (47.85, 37.45), (48.10, 37.60), (48.55, 37.95),
    (48.85, 38.00), (49.10, 37.95), (49.45, 38.10), (49.80, 38.20), (50.10, 38.40), (50.10, 39.20),
    (49.85, 40.05), (48.95, 40.15), (48.25, 39.95), (47.90, 39.80), (47.80, 38.80), (47.25, 38.25),
    (47.05, 38.10), (46.95, 37.30),
)
# Kherson oblast, right (west/north) bank of the Dnipro incl. Kherson city: occupied
# 2022-03-02 .. 2022-11-11.
_KHERSON_RIGHT = (
    (46.45, 32.00), (46.55, 31.75), (46.90, 32.10), (47.20, 32.60), (47.55, 33.10), (47.60, 33.70),
    (47.45, 34.00), (47.10, 33.95), (46.85, 33.50), (46.70, 33.20), (46.55, 32.80), (46.50, 32.45),
)
# Kherson oblast left bank and southern Zaporizhzhia oblast (Melitopol, Enerhodar, Berdiansk,
# Vasylivka, Polohy), occupied since March 2022, approximate line south of Orikhiv-Huliaipole.
_SOUTH_2022 = (
    (46.10, 32.50), (46.45, 32.45), (46.55, 32.80), (46.70, 33.20), (46.85, 33.50), (47.10, 33.95),
    (47.45, 34.05), (47.55, 34.60), (47.50, 35.30), (47.45, 35.70), (47.55, 36.20), (47.65, 36.70),
    (47.30, 37.15), (46.90, 36.80), (46.60, 36.00), (46.50, 35.30), (46.15, 34.80), (46.10, 33.80),
    (46.05, 32.90),
)

OVERRIDES: tuple[Override, ...] = (
    Override("ordlo-2014", "occupied parts of Donetsk and Luhansk oblasts (held since 2014)", "Europe/Moscow",
             _ORDLO, date(2014, 10, 26), None,
             "Reuters 2014-10-26: rebel-held eastern Ukraine switched to Moscow time"),
    Override("east-2022", "parts of Luhansk and Donetsk oblasts occupied in 2022", "Europe/Moscow",
             _EAST_2022, date(2022, 3, 1), None,
             "occupation authorities applied Moscow time after capture (spring-summer 2022)"),
    Override("kherson-right-bank-2022", "Kherson city and the right bank of Kherson oblast (occupied 2022)",
             "Europe/Moscow", _KHERSON_RIGHT, date(2022, 3, 2), date(2022, 11, 11),
             "occupation from 2022-03-02; liberated 2022-11-11; Moscow time in use during occupation"),
    Override("south-2022", "occupied Kherson oblast left bank and southern Zaporizhzhia oblast", "Europe/Moscow",
             _SOUTH_2022, date(2022, 3, 1), None,
             "occupation authorities moved clocks to Moscow time in spring 2022"),
)

_tf_lock = threading.Lock()


@lru_cache(maxsize=1)
def _finder() -> Any:
    from timezonefinder import TimezoneFinder

    return TimezoneFinder(in_memory=True)


def iana_zone_at(lat: float, lon: float) -> str | None:
    """The IANA zone name at a point (timezonefinder; oceans give ``Etc/GMT±N``)."""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("latitude must be within ±90 and longitude within ±180")
    with _tf_lock:
        name = _finder().timezone_at(lat=lat, lng=lon)
    return str(name) if name else None


@dataclass(frozen=True)
class ZoneResult:
    """The zone in use at a place (and time).

    Attributes
    ----------
    zone : str or None
        The zone whose clocks were in use (the override's zone when one applies).
    iana_zone : str or None
        What the IANA database says for the point.
    override : str or None
        Id of the applied override.
    note : str or None
        Plain words on the override, or on one that applies at other dates.
    utc_offset : str or None
        ``+03:00`` style offset at ``when`` (None without a time).
    """

    zone: str | None
    iana_zone: str | None
    override: str | None = None
    note: str | None = None
    utc_offset: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"zone": self.zone, "iana_zone": self.iana_zone, "override": self.override,
                "note": self.note, "utc_offset": self.utc_offset}


def format_offset(td: timedelta | None) -> str | None:
    if td is None:
        return None
    mins = int(round(td.total_seconds() / 60))
    sign = "+" if mins >= 0 else "-"
    mins = abs(mins)
    return f"{sign}{mins // 60:02d}:{mins % 60:02d}"


def zone_for(lat: float, lon: float, when: datetime | None = None,
             overrides: Sequence[Override] = OVERRIDES) -> ZoneResult:
    """The time zone whose clocks were in use at (lat, lon), at ``when`` if given.

    Parameters
    ----------
    lat, lon : float
        Degrees (WGS84).
    when : datetime, optional
        Aware or naive (naive = local wall time there; used to pick the override period).
    overrides : sequence of Override

    Returns
    -------
    ZoneResult

    Notes
    -----
    Override outlines are coarse: within ~20 km of a front line either zone may have been
    in use. Where an override exists but not at ``when``, the note says so.
    """
    iana = iana_zone_at(lat, lon)
    hits = [o for o in overrides if bool(points_in_polygon(lat, lon, o.polygon))]
    active = [o for o in hits if o.active(when)]
    zone, override, note = iana, None, None
    if active:
        o = active[0]
        zone, override = o.zone, o.id
        period = f"since {o.start}" if o.end is None else f"{o.start} to {o.end}"
        note = (f"IANA says {iana}, but {o.name} used {o.zone} clocks ({period}; {o.source}). "
                "Outline is approximate near front lines: consider both zones there.")
    elif hits:
        o = hits[0]
        period = f"since {o.start}" if o.end is None else f"{o.start} to {o.end}"
        note = f"{o.name} used {o.zone} clocks {period}, not at this date; IANA zone {iana} used."
    offset = None
    if when is not None and zone:
        offset = format_offset(local_to_utc_offset(zone, when))
    return ZoneResult(zone=zone, iana_zone=iana, override=override, note=note, utc_offset=offset)


def local_to_utc_offset(zone: str, when: datetime) -> timedelta | None:
    """UTC offset of ``zone`` at ``when`` (aware: that instant; naive: that wall time)."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    if when.tzinfo is not None:
        return when.astimezone(tz).utcoffset()
    return when.replace(tzinfo=tz).utcoffset()


def local_to_utc(local: datetime, zone: str) -> datetime:
    """Interpret a naive wall-clock time in ``zone`` and return it in UTC.

    Ambiguous times (DST fall-back) take the first occurrence (``fold=0``).
    """
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    return local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


_GRID_LOCK = threading.Lock()


@lru_cache(maxsize=2)
def zone_name_grid(step: float = 0.5) -> tuple[np.ndarray, list[str]]:
    """IANA zone index per cell of a global grid (rows from 90°N, columns from 180°W).

    Returns ``(codes, names)``: ``codes`` int16 (rows, cols), -1 where no zone; cached in
    memory and under ``$VERILENS_HOME/cache`` (about 2-3 s to build at 0.5° on one core).
    """
    rows = int(round(180 / step))
    cols = int(round(360 / step))
    cached = _read_grid_cache(step, rows, cols)
    if cached is not None:
        return cached
    names: dict[str, int] = {}
    codes = np.full((rows, cols), -1, dtype=np.int16)
    with _GRID_LOCK, _tf_lock:
        tf = _finder()
        for r in range(rows):
            la = 90.0 - (r + 0.5) * step
            for c in range(cols):
                n = tf.timezone_at(lat=la, lng=-180.0 + (c + 0.5) * step)
                if n:
                    codes[r, c] = names.setdefault(n, len(names))
    _write_grid_cache(step, codes, list(names))
    return codes, list(names)


def _grid_cache_path(step: float) -> Any:
    from importlib.metadata import PackageNotFoundError, version

    from ..config import home

    try:
        tfv = version("timezonefinder")
    except PackageNotFoundError:
        tfv = "unknown"
    return home() / "cache" / f"tz_grid_{step:g}_{tfv}.npz"


def _read_grid_cache(step: float, rows: int, cols: int) -> tuple[np.ndarray, list[str]] | None:
    """The zone grid saved by an earlier run (keyed by step and timezonefinder version)."""
    try:
        with np.load(_grid_cache_path(step), allow_pickle=False) as f:
            codes = np.asarray(f["codes"], dtype=np.int16)
            names = [str(n) for n in f["names"]]
    except (OSError, KeyError, ValueError):
        return None
    if codes.shape != (rows, cols) or codes.max(initial=-1) >= len(names):
        return None
    return codes, names


def _write_grid_cache(step: float, codes: np.ndarray, names: list[str]) -> None:
    try:
        path = _grid_cache_path(step)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, codes=codes, names=np.array(names, dtype=str))
        tmp.replace(path)
    except OSError:
        pass  # a cache only


def utc_offset_grid(local: datetime, lats: np.ndarray, lons: np.ndarray, step: float = 0.5,
                    overrides: Sequence[Override] = OVERRIDES) -> np.ndarray:
    """UTC offset (minutes, float; NaN = unknown) of a naive local time over a grid.

    The zone of each cell comes from a ``step``-degree zone grid (nearest cell) with the
    active overrides painted on top, so zone borders are good to about ``step`` degrees.
    """
    codes, names = zone_name_grid(step)
    ri = np.clip(((90.0 - np.asarray(lats)) / step).astype(int), 0, codes.shape[0] - 1)
    ci = np.clip(((np.asarray(lons) + 180.0) / step).astype(int), 0, codes.shape[1] - 1)
    offsets = np.full(len(names) + 1, np.nan)
    for i, n in enumerate(names):
        td = local_to_utc_offset(n, local)
        if td is not None:
            offsets[i] = td.total_seconds() / 60.0
    sub = codes[ri][:, ci]
    grid = offsets[np.where(sub < 0, len(names), sub)]
    for o in overrides:
        if not o.active(local):
            continue
        td = local_to_utc_offset(o.zone, local)
        if td is None:
            continue
        inside = points_in_polygon(np.asarray(lats)[:, None], np.asarray(lons)[None, :], o.polygon)
        grid[inside] = td.total_seconds() / 60.0
    return grid


__all__ = ["OVERRIDES", "Override", "ZoneResult", "format_offset", "iana_zone_at", "local_to_utc",
           "local_to_utc_offset", "utc_offset_grid", "zone_for", "zone_name_grid"]
