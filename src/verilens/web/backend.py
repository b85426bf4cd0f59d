"""The web app's view of the other domains: the case store, gazetteer, sun engine and maps.

Every other domain is reached through this module only, through the interfaces the
project agreed on. A domain that is not installed (or fails to import) is reported as
unavailable with the reason, and the pages show that part as unavailable instead of
pretending.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class Unavailable(RuntimeError):
    """A part of verilens the web app needs is not available here (the message says which)."""


class NotFound(LookupError):
    """No such case, item, artifact or job."""


def field(obj: Any, name: str, default: Any = None) -> Any:
    """``obj[name]`` for mappings, ``obj.name`` otherwise, ``default`` when absent."""
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def plain(obj: Any) -> Any:
    """Pydantic models, dataclasses and the like to JSON-ready values (recursively)."""
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [plain(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "to_dict"):
        return plain(obj.to_dict())
    if hasattr(obj, "__dataclass_fields__"):
        from dataclasses import asdict

        return plain(asdict(obj))
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    if hasattr(obj, "value"):
        return plain(obj.value)
    return str(obj)


# ---------------------------------------------------------------------------------------
# Case store


class Cases:
    """Thin adapter over :class:`verilens.case.CaseStore` returning plain dicts.

    Parameters
    ----------
    store : object, optional
        A ready store (tests pass one). Default: ``CaseStore(db)``; when it cannot be
        opened every call raises :class:`Unavailable` with the reason.
    db : str, optional
        Path or database URL for the default store.
    """

    def __init__(self, store: Any | None = None, db: str | None = None) -> None:
        self.reason: str | None = None
        self._store = store
        if store is None:
            from ..case import CaseStore

            try:
                self._store = CaseStore(db)
            except Exception as exc:
                self.reason = f"the case store could not be opened: {type(exc).__name__}: {exc}"

    @property
    def available(self) -> bool:
        return self._store is not None

    @property
    def store(self) -> Any:
        if self._store is None:
            raise Unavailable(self.reason or "the case store is not available")
        return self._store

    def roots(self) -> list[Path]:
        """Folders the store keeps originals and artifacts in (served by id only)."""
        out: list[Path] = []
        blobs = field(self._store, "blobs")
        if isinstance(field(blobs, "root"), (str, Path)):
            out.append(Path(field(blobs, "root")))
        for name in ("root", "blob_dir", "blobs_dir", "originals_dir", "store_dir", "artifacts_dir",
                     "files_dir", "home"):
            v = field(self._store, name)
            if isinstance(v, (str, Path)) and str(v):
                out.append(Path(v))
        return out

    # -- reading --------------------------------------------------------------------
    def list_cases(self) -> list[dict[str, Any]]:
        rows = []
        for c in self.store.list_cases() or []:
            rows.append({
                "id": str(field(c, "id")), "title": field(c, "title") or "",
                "status": field(c, "status"), "created_at": plain(field(c, "created_at")),
                "items": _count(field(c, "items", field(c, "item_count"))),
            })
        return rows

    def get_case(self, case_id: str) -> dict[str, Any]:
        try:
            case = self.store.get_case(case_id)
        except (KeyError, LookupError) as exc:
            raise NotFound(f"no case {case_id!r}") from exc
        except Exception as exc:
            if "not found" in str(exc).lower() or "no case" in str(exc).lower() or "unknown" in str(exc).lower():
                raise NotFound(f"no case {case_id!r}") from exc
            raise
        if case is None:
            raise NotFound(f"no case {case_id!r}")
        items = []
        for it in field(case, "items", []) or []:
            report = plain(field(it, "report")) or {}
            items.append({
                "id": str(field(it, "id")),
                "name": field(it, "original_name") or Path(str(field(report.get("input"), "path") or "item")).name,
                "sha256": field(it, "sha256") or field(report.get("input"), "sha256"),
                "kind": field(it, "kind") or field(report.get("input"), "kind"),
                "mime": field(it, "mime") or field(report.get("input"), "mime"),
                "source_url": field(it, "source_url"),
                "original_path": _first_str(field(it, "original_path"), field(it, "blob_path"),
                                            field(it, "stored_path"), field(it, "path")),
                "report": report,
            })
        claims = plain(field(case, "claims")) or []
        claim = plain(field(case, "claim"))
        if claim and not claims:
            claims = [claim]
        return {
            "id": str(field(case, "id")), "title": field(case, "title") or "",
            "status": field(case, "status"), "investigators": plain(field(case, "investigators")) or [],
            "created_at": plain(field(case, "created_at")),
            "claims": claims if isinstance(claims, list) else [claims],
            "items": items,
            "notes": plain(field(case, "notes")) or [],
            "verdicts": plain(field(case, "verdicts")) or [],
            "custody": plain(field(case, "custody")) or [],
        }

    def get_item(self, case_id: str, item_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        case = self.get_case(case_id)
        for it in case["items"]:
            if it["id"] == item_id:
                return case, it
        raise NotFound(f"no item {item_id!r} in case {case_id!r}")

    # -- writing --------------------------------------------------------------------
    def new_case(self, title: str, investigators: Iterable[str] = ()) -> dict[str, Any]:
        c = self.store.new_case(title, investigators=tuple(investigators))
        return {"id": str(field(c, "id", c)), "title": field(c, "title", title)}

    def add_claim(self, case_id: str, text: str, claimant: str | None = None, place: Any = None,
                  time: str | None = None, first_appearance_url: str | None = None) -> Any:
        self.get_case(case_id)
        return plain(self.store.add_claim(case_id, text, claimant=claimant, place=place, time=time,
                                          first_appearance_url=first_appearance_url))

    def add_media(self, case_id: str, sources: list[str], claim_place: str | None, claim_time: str | None,
                  options: Any, progress: Callable[..., None] | None) -> dict[str, Any]:
        res = self.store.add_media(case_id, sources, claim_place=claim_place, claim_time=claim_time,
                                   options=options, progress=progress)
        return {"added": [str(x) for x in field(res, "added", []) or []],
                "errors": plain(field(res, "errors", [])) or []}

    def add_note(self, case_id: str, text: str, author: str | None, item_id: str | None) -> Any:
        self.get_case(case_id)
        return plain(self.store.add_note(case_id, text, author=author, item_id=item_id))

    def set_verdict(self, case_id: str, categories: list[str], rating: str, rationale: str,
                    item_id: str | None) -> Any:
        self.get_case(case_id)
        return plain(self.store.set_verdict(case_id, categories, rating, rationale, item_id=item_id))

    def export(self, case_id: str, fmt: str, out_path: Path) -> Path:
        self.get_case(case_id)
        return Path(self.store.export(case_id, fmt, out_path))

    def verify(self, case_id: str) -> dict[str, Any]:
        self.get_case(case_id)
        res = self.store.verify(case_id)
        ok, problems = (res if isinstance(res, tuple) else (field(res, "ok"), field(res, "problems", [])))
        return {"ok": bool(ok), "problems": plain(problems) or []}


def _count(v: Any) -> int | None:
    if isinstance(v, int):
        return v
    if isinstance(v, (list, tuple)):
        return len(v)
    return None


def _first_str(*vals: Any) -> str | None:
    for v in vals:
        if isinstance(v, (str, Path)) and str(v):
            return str(v)
    return None


def media_review_categories() -> tuple[str, ...]:
    """The MediaReview ``mediaAuthenticityCategory`` values the case store accepts."""
    from ..case import CATEGORIES

    return tuple(CATEGORIES)


# ---------------------------------------------------------------------------------------
# Gazetteer


def gazetteer_available() -> bool:
    """The offline gazetteer ships with verilens; kept for the status payload."""
    return True


def search_places(text: str, limit: int = 10) -> tuple[list[dict[str, Any]], str | None]:
    """Ranked place candidates for autocomplete (the second item is always None)."""
    from ..place.gazetteer import search_places as _search

    out = []
    for c in _search(text, limit=limit):
        d = plain(c)
        out.append({k: d.get(k) for k in ("name", "country", "region", "lat", "lon", "kind", "query") if k in d})
    return out[:limit], None


# ---------------------------------------------------------------------------------------
# Sun and shadow engine, maps


@dataclass
class Engine:
    """The sun engine's shadow-to-windows and shadow-to-ring functions."""

    windows: Callable[..., Any] | None
    ring: Callable[..., Any] | None
    reason: str | None


def sun_engine() -> Engine:
    """The time domain's :func:`verilens.time.time_windows` and :func:`verilens.time.shadow_ring`."""
    from ..time import shadow_ring, time_windows

    return Engine(time_windows, shadow_ring, None)


def basemap() -> tuple[dict[str, Any] | None, str | None]:
    """The offline land outline as GeoJSON (from :mod:`verilens.maps`), or ``(None, reason)``."""
    from ..maps import land_geojson

    try:
        return plain(land_geojson()), None
    except Exception as exc:  # a damaged install: the map still works without a basemap
        return None, f"the offline basemap could not be loaded ({type(exc).__name__}: {exc})"


def timezone_note(lat: float, lon: float) -> dict[str, Any] | None:
    """IANA zone and the occupied-territory note for a point."""
    from ..time.timezones import zone_for

    try:
        return {"result": plain(zone_for(lat, lon))}
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
