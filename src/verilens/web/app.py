"""The local web app: pages for intake, cases, items and the shadow tool, and the REST API.

``create_app()`` builds a FastAPI application; ``verilens serve`` runs it with uvicorn on
127.0.0.1. Pages are server-rendered Jinja2 (autoescaped) with a small vanilla-JS front end
served from ``static/`` (Leaflet vendored, no CDN, no inline script: the
Content-Security-Policy forbids it). Everything a page does goes through ``/api``.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import UploadFile as StarletteUpload

from .. import __version__
from ..config import Limits, home
from ..errors import UsageError, VerilensError
from . import backend as be
from . import views
from .jobs import Job, JobRunner
from .security import BodyLimit, csp, new_token, token_ok
from .shadow import elevation_from_points

HERE = Path(__file__).resolve().parent
_ID = r"^[A-Za-z0-9._-]{1,64}$"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class WebConfig:
    """What ``verilens serve`` can change.

    Attributes
    ----------
    db : str or None
        Case database (path or URL); default ``$VERILENS_HOME/cases.db``.
    archive : str or None
        Archive database for provenance search of new items.
    tile_url : str or None
        Optional online tile server template (``https://.../{z}/{x}/{y}.png``). Off by
        default: the map then uses the offline basemap only and makes no request.
    max_upload_bytes : int
        Largest upload request accepted (default 512 MiB, ``VERILENS_WEB_MAX_UPLOAD_MB``).
    max_files : int
        Most files in one upload.
    allow_private_urls : bool
        Let URL intake fetch private/loopback addresses (off by default).
    allowed_hosts : list of str
        Host headers accepted (DNS-rebinding guard).
    checks, skip : set of str or None
        Check selection for new items (as ``verilens check --checks/--skip``); None runs
        every default check.
    """

    db: str | None = None
    archive: str | None = None
    tile_url: str | None = None
    max_upload_bytes: int = field(default_factory=lambda: int(float(os.environ.get("VERILENS_WEB_MAX_UPLOAD_MB", "512")) * 2**20))
    max_files: int = 50
    allow_private_urls: bool = False
    allowed_hosts: list[str] = field(default_factory=lambda: ["127.0.0.1", "localhost", "[::1]", "::1", "testserver"])
    checks: set[str] | None = None
    skip: set[str] | None = None


# ---------------------------------------------------------------------------------------
# request bodies


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewCase(_Body):
    title: str = Field(min_length=1, max_length=500)
    investigators: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=50)


class NewClaim(_Body):
    text: str = Field(min_length=1, max_length=10_000)
    claimant: str | None = Field(default=None, max_length=500)
    place: str | None = Field(default=None, max_length=500, description="LAT,LON or a place name")
    time: str | None = Field(default=None, max_length=64, description="ISO 8601 with offset, or a date")
    first_appearance_url: str | None = Field(default=None, max_length=4000)


class NewNote(_Body):
    text: str = Field(min_length=1, max_length=20_000)
    author: str | None = Field(default=None, max_length=200)
    item_id: str | None = Field(default=None, pattern=_ID)


class NewVerdict(_Body):
    categories: list[str] = Field(min_length=1, max_length=6)
    rating: str = Field(min_length=1, max_length=200)
    rationale: str = Field(min_length=1, max_length=20_000)
    item_id: str | None = Field(default=None, pattern=_ID)


class Point(BaseModel):
    model_config = ConfigDict(extra="forbid")
    x: float = Field(ge=-1e6, le=1e6)
    y: float = Field(ge=-1e6, le=1e6)


class ShadowRequest(_Body):
    base: Point
    top: Point
    tip: Point
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    place: str | None = Field(default=None, max_length=500, description="LAT,LON or a place name (instead of lat/lon)")
    date: str | None = Field(default=None, max_length=64, description="Claimed date (YYYY-MM-DD) for the time windows")
    time: str | None = Field(default=None, max_length=64, description="Claimed time (ISO 8601 with offset) for the ring map")
    tolerance: float | None = Field(default=None, ge=0, le=45, description="Elevation tolerance, degrees")
    shadow_bearing: float | None = Field(default=None, ge=0, lt=360,
                                         description="Compass bearing the shadow points to (degrees from true north), "
                                                     "when known from the scene; the sun is then at bearing + 180")
    azimuth_tolerance: float = Field(default=10.0, gt=0, le=90, description="Azimuth tolerance, degrees")


# ---------------------------------------------------------------------------------------


class App:
    """State shared by the routes: config, token, adapters, jobs, templates."""

    def __init__(self, config: WebConfig, store: Any | None) -> None:
        self.config = config
        self.token = new_token()
        self.cases = be.Cases(store=store, db=config.db)
        self.jobs = JobRunner()
        self.home = home().resolve()
        self.work = self.home / "web"
        self.uploads = self.work / "uploads"
        self.previews = self.work / "previews"
        self.exports = self.work / "exports"
        for d in (self.uploads, self.previews, self.exports):
            d.mkdir(parents=True, exist_ok=True)
        self.env = Environment(loader=FileSystemLoader(str(HERE / "templates")),
                               autoescape=select_autoescape(default=True, default_for_string=True))
        self.env.globals.update(version=__version__)
        self._preview_lock = threading.Lock()

    # -- paths ------------------------------------------------------------------------
    def roots(self) -> list[Path]:
        return [self.home, *[p.resolve() for p in self.cases.roots()]]

    def known_file(self, path: str | None) -> Path:
        """A file path taken from a stored report, served only if inside a known folder."""
        if not path:
            raise be.NotFound("no such file")
        p = Path(path).resolve()
        if not any(p == r or r in p.parents for r in self.roots()) or not p.is_file():
            raise be.NotFound("file not in a known folder")
        return p

    def limits(self) -> Limits:
        from dataclasses import replace

        lim = Limits.from_env()
        return replace(lim, allow_private_urls=self.config.allow_private_urls)

    def render(self, name: str, request: Request, **ctx: Any) -> HTMLResponse:
        tpl = self.env.get_template(name)
        html = tpl.render(csrf=self.token, cases_available=self.cases.available,
                          cases_reason=self.cases.reason, path=request.url.path, **ctx)
        return HTMLResponse(html)

    # -- previews ---------------------------------------------------------------------
    def preview(self, source: Path, key: str, max_side: int = 2048) -> Path:
        """A JPEG rendering of an image (never the original bytes), cached by key."""
        from PIL import Image

        from ..intake.media import open_media

        out = self.previews / f"{_SAFE_NAME.sub('_', key)[:100]}-{max_side}.jpg"
        if out.is_file():
            return out
        with self._preview_lock:
            if out.is_file():
                return out
            item = open_media(source, self.limits())
            if item.kind != "image":
                raise be.NotFound("no picture for a video item")
            im = item.image().copy()
            im.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
            tmp = out.with_suffix(".tmp")
            im.convert("RGB").save(tmp, format="JPEG", quality=90)
            tmp.replace(out)
        return out

    def overlay_png(self, source: Path, kind: str, key: str) -> Path:
        """Masks become red-on-transparent PNGs; heatmaps are served as they are."""
        if kind != "mask":
            return source
        import numpy as np
        from PIL import Image

        out = self.previews / f"{_SAFE_NAME.sub('_', key)[:100]}-mask.png"
        if out.is_file():
            return out
        with Image.open(source) as im:
            if im.width * im.height > 200_000_000:
                raise be.NotFound("mask too large")
            m = np.asarray(im.convert("L")) > 0
        rgba = np.zeros((*m.shape, 4), dtype=np.uint8)
        rgba[m] = (255, 32, 32, 255)
        Image.fromarray(rgba, mode="RGBA").save(out, format="PNG")
        return out


def _archive_status(archive: str | None) -> dict[str, Any]:
    """Which archive checks search: the one configured, else the default one when it exists."""
    from ..provenance.catalog import default_db, is_url

    if archive:
        there = is_url(archive) or Path(archive).is_file()
        return {"available": there, "archive": archive if not is_url(archive) else "(database URL)",
                "reason": None if there else f"no archive at {archive}"}
    default = default_db()
    if default.is_file():
        return {"available": True, "archive": str(default), "reason": None}
    return {"available": False, "archive": None,
            "reason": "no archive configured (serve --archive DB) and none at the default place"}


def _err(status: int, message: str) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=status)


def create_app(config: WebConfig | None = None, store: Any | None = None) -> FastAPI:
    """Build the web app.

    Parameters
    ----------
    config : WebConfig, optional
    store : object, optional
        A case store with the :class:`verilens.case.CaseStore` interface; default: open the
        case database of ``config.db``.
    """
    config = config or WebConfig()
    state = App(config, store)
    app = FastAPI(
        title="verilens", version=__version__,
        description="Local verification workbench: intake, cases, items, the shadow tool. "
                    "State-changing calls need the X-CSRF-Token header (GET /api/csrf).",
        openapi_url="/openapi.json", docs_url="/api/docs", redoc_url=None,
    )
    app.state.verilens = state

    upload_paths = re.compile(r"^/api/(intake|cases/[^/]+/media)$")
    app.add_middleware(BodyLimit, limit=4 * 2**20, upload_limit=config.max_upload_bytes,
                       is_upload=lambda p: bool(upload_paths.match(p)))

    allowed = {h.lower() for h in config.allowed_hosts}

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Response:
        host = (request.headers.get("host") or "").lower()
        hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if allowed and hostname not in allowed and host not in allowed:
            return _err(421, "unexpected Host header (this app only answers on its local address)")
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            given = request.headers.get("x-csrf-token")
            ctype = request.headers.get("content-type", "")
            if not given and ctype.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
                given = None  # checked in the form handler (token in a form field)
                request.state.csrf_in_form = True
            elif not token_ok(state.token, given):
                return _err(403, "missing or wrong CSRF token (send X-CSRF-Token; GET /api/csrf)")
        response: Response = await call_next(request)
        response.headers["Content-Security-Policy"] = csp(config.tile_url)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    def form_csrf(request: Request, token: str | None) -> None:
        if getattr(request.state, "csrf_in_form", False) and not token_ok(state.token, token):
            raise HTTPException(403, "missing or wrong CSRF token (form field csrf_token)")

    def _error(request: Request, status: int, message: str) -> Response:
        if request.url.path.startswith(("/api", "/openapi")):
            return _err(status, message)
        page = state.render("error.html", request, status=status, message=message, title="Error")
        page.status_code = status
        return page

    @app.exception_handler(be.NotFound)
    async def _nf(r: Request, exc: be.NotFound) -> Response:
        return _error(r, 404, str(exc))

    @app.exception_handler(be.Unavailable)
    async def _ua(r: Request, exc: be.Unavailable) -> Response:
        return _error(r, 503, str(exc))

    @app.exception_handler(UsageError)
    async def _ue(r: Request, exc: UsageError) -> Response:
        return _error(r, 422, str(exc))

    @app.exception_handler(VerilensError)
    async def _ve(r: Request, exc: VerilensError) -> Response:
        return _error(r, 400, str(exc))

    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    # ---------------------------------------------------------------- API: general
    @app.get("/api/status", tags=["general"])
    def api_status() -> dict[str, Any]:
        """Version, limits and which parts are available on this machine."""
        engine = be.sun_engine()
        return {
            "version": __version__,
            "cases": {"available": state.cases.available, "reason": state.cases.reason},
            "sun_engine": {"available": engine.windows is not None, "ring": engine.ring is not None,
                           "reason": engine.reason},
            "gazetteer": {"available": be.gazetteer_available()},
            "archive": _archive_status(config.archive),
            "tile_url": config.tile_url,
            "max_upload_bytes": config.max_upload_bytes,
            "max_files": config.max_files,
            "media_review_categories": list(be.media_review_categories()),
        }

    @app.get("/api/csrf", tags=["general"])
    def api_csrf() -> dict[str, str]:
        """The token to send as X-CSRF-Token with every state-changing call."""
        return {"token": state.token, "header": "X-CSRF-Token"}

    @app.get("/api/places", tags=["general"])
    def api_places(q: Annotated[str, Query(max_length=200)] = "",
                   limit: Annotated[int, Query(ge=1, le=50)] = 10) -> dict[str, Any]:
        """Place-name autocomplete from the offline gazetteer (LAT,LON is always accepted)."""
        from ..claims import _LATLON

        q = q.strip()
        if not q:
            return {"query": q, "candidates": [], "available": True, "reason": None}
        m = _LATLON.match(q)
        if m:
            lat, lon = float(m.group(1)), float(m.group(2))
            if -90 <= lat <= 90 and -180 <= lon <= 180:
                return {"query": q, "candidates": [{"name": f"{lat:.5f}, {lon:.5f}", "lat": lat, "lon": lon,
                                                    "kind": "coordinates", "query": q}],
                        "available": True, "reason": None}
        try:
            cands, reason = be.search_places(q, limit=limit)
        except VerilensError as exc:
            return {"query": q, "candidates": [], "available": True, "reason": str(exc)}
        return {"query": q, "candidates": cands, "available": reason is None, "reason": reason}

    @app.get("/api/basemap", tags=["general"])
    def api_basemap() -> dict[str, Any]:
        """The offline land outline (GeoJSON) for the maps, or the reason it is missing."""
        data, reason = be.basemap()
        return {"available": data is not None, "reason": reason, "geojson": data, "tile_url": config.tile_url}

    # ---------------------------------------------------------------- API: cases
    @app.get("/api/cases", tags=["cases"])
    def api_cases() -> dict[str, Any]:
        return {"cases": state.cases.list_cases()}

    @app.post("/api/cases", tags=["cases"], status_code=201)
    def api_new_case(body: NewCase) -> dict[str, Any]:
        return state.cases.new_case(body.title, body.investigators)

    @app.get("/api/cases/{case_id}", tags=["cases"])
    def api_case(case_id: str) -> dict[str, Any]:
        _check_id(case_id)
        return _case_summary(state, state.cases.get_case(case_id))

    @app.post("/api/cases/{case_id}/claim", tags=["cases"], status_code=201)
    def api_claim(case_id: str, body: NewClaim) -> dict[str, Any]:
        _check_id(case_id)
        from ..claims import parse_place, parse_time

        place = parse_place(body.place) if body.place else None
        t = parse_time(body.time) if body.time else None
        res = state.cases.add_claim(case_id, body.text, claimant=body.claimant, place=place, time=t,
                                    first_appearance_url=body.first_appearance_url)
        return {"ok": True, "claim": res}

    @app.post("/api/cases/{case_id}/notes", tags=["cases"], status_code=201)
    def api_note(case_id: str, body: NewNote) -> dict[str, Any]:
        _check_id(case_id)
        if body.item_id:
            state.cases.get_item(case_id, body.item_id)
        return {"ok": True, "note": state.cases.add_note(case_id, body.text, body.author, body.item_id)}

    @app.post("/api/cases/{case_id}/verdict", tags=["cases"], status_code=201)
    def api_verdict(case_id: str, body: NewVerdict) -> dict[str, Any]:
        _check_id(case_id)
        allowed_cats = set(be.media_review_categories())
        bad = [c for c in body.categories if c not in allowed_cats]
        if bad:
            raise HTTPException(422, f"unknown MediaReview categories: {', '.join(bad)[:300]}")
        if body.item_id:
            state.cases.get_item(case_id, body.item_id)
        res = state.cases.set_verdict(case_id, body.categories, body.rating, body.rationale, body.item_id)
        return {"ok": True, "verdict": res}

    @app.get("/api/cases/{case_id}/verify", tags=["cases"])
    def api_verify(case_id: str) -> dict[str, Any]:
        _check_id(case_id)
        return state.cases.verify(case_id)

    @app.post("/api/cases/{case_id}/export", tags=["cases"],
              responses={200: {"content": {"application/octet-stream": {}}, "description": "The exported file"}})
    def api_export(request: Request, case_id: str,
                   format: Annotated[Literal["html", "pdf", "json", "jsonld"], Form()] = "html",
                   csrf_token: Annotated[str | None, Form()] = None) -> FileResponse:
        """Export the case (HTML, PDF, JSON or JSON-LD) and download it."""
        form_csrf(request, csrf_token)
        _check_id(case_id)
        state.cases.get_case(case_id)
        ext = {"html": "html", "pdf": "pdf", "json": "json", "jsonld": "jsonld"}[format]
        out = state.exports / f"{case_id}-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}.{ext}"
        try:
            path = state.cases.export(case_id, format, out)
        except (OSError, RuntimeError) as exc:  # e.g. no Chromium for the PDF
            raise be.Unavailable(f"the {format} export failed here: {type(exc).__name__}: {exc}") from exc
        media = {"html": "text/html", "pdf": "application/pdf", "json": "application/json",
                 "jsonld": "application/ld+json"}[format]
        return FileResponse(path, media_type=media, filename=f"case-{case_id}.{ext}")

    # ---------------------------------------------------------------- API: intake, jobs
    async def _save_uploads(files: list[StarletteUpload]) -> tuple[Path, list[str]]:
        if len(files) > config.max_files:
            raise HTTPException(413, f"at most {config.max_files} files per upload")
        folder = state.uploads / uuid.uuid4().hex
        saved: list[str] = []
        total = 0
        for f in files:
            if not f.filename and not f.size:
                continue
            folder.mkdir(parents=True, exist_ok=True)
            name = _SAFE_NAME.sub("_", Path(f.filename or "upload").name)[:120].lstrip(".") or "upload"
            dest = folder / f"{len(saved):03d}" / name  # one folder per file keeps its name
            dest.parent.mkdir()
            with open(dest, "wb") as out:
                while chunk := await f.read(1 << 20):
                    total += len(chunk)
                    if total > config.max_upload_bytes:
                        shutil.rmtree(folder, ignore_errors=True)
                        raise HTTPException(413, "upload over the size limit")
                    out.write(chunk)
            saved.append(str(dest))
        return folder, saved

    def _start_job(case_id: str, sources: list[str], claim_place: str | None, claim_time: str | None,
                   references: list[str], cleanup: list[Path]) -> Job:
        from ..pipeline import Options, select_checks

        options = Options(archive=config.archive, checks=set(config.checks) if config.checks else None,
                          skip=set(config.skip or ()), references=[Path(r) for r in references])
        try:  # what a still image runs: the progress bar's scale (videos run other checks)
            per_input = len(select_checks("image", options))
        except VerilensError:
            per_input = 0

        def work(job: Job) -> dict[str, Any]:
            job.message = f"checking {len(sources)} input(s)"

            def progress(*args: Any, **_kw: Any) -> None:
                job.checks_done += 1
                name = str(args[0]) if args else "check"
                if len(args) >= 2 and hasattr(args[1], "state"):
                    name += f": {getattr(args[1].state, 'value', args[1].state)}"
                job.events.append(name[:200])
                job.message = f"{job.checks_done} checks done · last {name[:80]}"

            try:
                res = state.cases.add_media(case_id, sources, claim_place, claim_time, options, progress)
            finally:  # the case store keeps its own copy of each original
                for folder in cleanup:
                    shutil.rmtree(folder, ignore_errors=True)
            job.inputs_done = len(res["added"]) + len(res["errors"])
            return {**res, "case_url": f"/cases/{case_id}",
                    "item_urls": [f"/cases/{case_id}/items/{i}" for i in res["added"]]}

        job = state.jobs.submit("add_media", work, case_id=case_id, inputs_total=len(sources))
        job.checks_total = per_input * len(sources)
        return job

    @app.post("/api/intake", tags=["intake"], status_code=202)
    async def api_intake(
        request: Request,
        files: Annotated[list[UploadFile] | None, File(description="Media files")] = None,
        url: Annotated[str | None, Form(max_length=4000)] = None,
        case_id: Annotated[str | None, Form(max_length=64)] = None,
        new_case_title: Annotated[str | None, Form(max_length=500)] = None,
        claim_text: Annotated[str | None, Form(max_length=10_000)] = None,
        claim_place: Annotated[str | None, Form(max_length=500)] = None,
        claim_time: Annotated[str | None, Form(max_length=64)] = None,
        references: Annotated[list[UploadFile] | None, File(description="Reference photos of the claimed place")] = None,
        csrf_token: Annotated[str | None, Form()] = None,
    ) -> dict[str, Any]:
        """Add uploaded files and/or a URL to a case (a new one if ``new_case_title``); runs
        the checks in the background. Poll ``GET /api/jobs/{id}`` for progress."""
        form_csrf(request, csrf_token)
        from ..claims import parse_claim
        from ..intake.url import is_url

        place = (claim_place or "").strip() or None
        when = (claim_time or "").strip() or None
        parse_claim(place, when)  # a bad claim is a 422 now, not a failed job later
        sources: list[str] = []
        u = (url or "").strip()
        if u:
            if not is_url(u):
                raise HTTPException(422, "the URL must start with http:// or https://")
            from urllib.parse import urlsplit

            from ..intake.url import resolve_checked

            parts = urlsplit(u)
            if not parts.hostname:
                raise HTTPException(422, "the URL has no host")
            try:
                port = parts.port or (443 if parts.scheme == "https" else 80)
            except ValueError as exc:
                raise HTTPException(422, "the URL has a bad port") from exc
            resolve_checked(parts.hostname, port, config.allow_private_urls)  # refuse early
            sources.append(u)
        cid = (case_id or "").strip()
        if not cid and not (new_case_title or "").strip():
            raise HTTPException(422, "choose a case or give a title for a new one")
        if cid:
            _check_id(cid)
            state.cases.get_case(cid)
        up_folder, saved = await _save_uploads([f for f in files or [] if isinstance(f, StarletteUpload)])
        sources.extend(saved)
        ref_folder, refs = await _save_uploads([f for f in references or [] if isinstance(f, StarletteUpload)])
        if not sources:
            raise HTTPException(422, "give at least one file or a URL")
        if not cid:
            cid = state.cases.new_case((new_case_title or "").strip())["id"]
        if (claim_text or "").strip():
            from ..claims import parse_place, parse_time

            state.cases.add_claim(cid, claim_text.strip(), place=parse_place(place) if place else None,  # type: ignore[union-attr]
                                  time=parse_time(when) if when else None)
        job = _start_job(cid, sources, place, when, refs, [up_folder, ref_folder])
        return {"job": job.to_dict(), "case_id": cid, "job_url": f"/api/jobs/{job.id}"}

    @app.post("/api/cases/{case_id}/media", tags=["intake"], status_code=202)
    async def api_add_media(
        request: Request, case_id: str,
        files: Annotated[list[UploadFile] | None, File(description="Media files")] = None,
        url: Annotated[str | None, Form(max_length=4000)] = None,
        claim_place: Annotated[str | None, Form(max_length=500)] = None,
        claim_time: Annotated[str | None, Form(max_length=64)] = None,
        references: Annotated[list[UploadFile] | None, File(description="Reference photos of the claimed place")] = None,
        csrf_token: Annotated[str | None, Form()] = None,
    ) -> dict[str, Any]:
        """Add media to an existing case (background job)."""
        return await api_intake(request, files=files, url=url, case_id=case_id, new_case_title=None,
                                claim_text=None, claim_place=claim_place, claim_time=claim_time,
                                references=references, csrf_token=csrf_token)

    @app.get("/api/jobs", tags=["intake"])
    def api_jobs() -> dict[str, Any]:
        return {"jobs": [j.to_dict() for j in state.jobs.list()[:50]]}

    @app.get("/api/jobs/{job_id}", tags=["intake"])
    def api_job(job_id: str) -> dict[str, Any]:
        job = state.jobs.get(job_id)
        if job is None:
            raise be.NotFound(f"no job {job_id!r}")
        return job.to_dict()

    # ---------------------------------------------------------------- API: items
    @app.get("/api/cases/{case_id}/items/{item_id}", tags=["items"])
    def api_item(case_id: str, item_id: str) -> dict[str, Any]:
        """The item's report plus what the item page draws (overlays, timeline, map, C2PA)."""
        _check_id(case_id, item_id)
        case, item = state.cases.get_item(case_id, item_id)
        return _item_view(case, item)

    @app.get("/api/cases/{case_id}/items/{item_id}/preview", tags=["items"],
             responses={200: {"content": {"image/jpeg": {}}}})
    def api_preview(case_id: str, item_id: str) -> FileResponse:
        """A JPEG rendering of the item (orientation applied; never the original bytes)."""
        _check_id(case_id, item_id)
        _, item = state.cases.get_item(case_id, item_id)
        if item.get("kind") == "video":  # a video's picture is its first keyframe
            ks = views.keyframes(item["report"])
            if not ks:
                raise be.NotFound("no keyframe to show for this video")
            src = state.known_file(ks[0]["path"])
        else:
            src = _original(state, item)
        try:
            path = state.preview(src, f"item-{item.get('sha256') or item_id}")
        except VerilensError as exc:
            raise be.NotFound(f"no preview: {exc}") from exc
        return FileResponse(path, media_type="image/jpeg")

    @app.get("/api/cases/{case_id}/items/{item_id}/artifacts/{n}", tags=["items"],
             responses={200: {"content": {"image/png": {}, "application/octet-stream": {}}}})
    def api_artifact(case_id: str, item_id: str, n: int,
                     overlay: Annotated[bool, Query()] = False) -> FileResponse:
        """Artifact number ``n`` of the item's report (served by id from known folders only)."""
        _check_id(case_id, item_id)
        _, item = state.cases.get_item(case_id, item_id)
        arts = views.artifact_entries(item["report"])
        if not 0 <= n < len(arts):
            raise be.NotFound(f"no artifact {n}")
        a = arts[n]
        path = state.known_file(a["path"])
        media = _sniff_type(path)
        if overlay and media == "image/png":
            try:
                path = state.overlay_png(path, str(a["kind"]), f"{item_id}-{n}")
            except (OSError, ValueError) as exc:  # a damaged picture is missing, not a crash
                raise be.NotFound(f"artifact {n} cannot be drawn: {exc}") from exc
        return FileResponse(path, media_type=media)

    @app.get("/api/cases/{case_id}/items/{item_id}/matches/{n}/preview", tags=["items"],
             responses={200: {"content": {"image/jpeg": {}}}})
    def api_match_preview(case_id: str, item_id: str, n: int) -> FileResponse:
        """A JPEG rendering of archive match ``n`` (for the side-by-side view)."""
        _check_id(case_id, item_id)
        _, item = state.cases.get_item(case_id, item_id)
        ms = views.archive_matches(item["report"])
        if not 0 <= n < len(ms) or not ms[n].get("path"):
            raise be.NotFound(f"no archive match {n}")
        p = Path(str(ms[n]["path"]))
        if not p.is_file():
            raise be.NotFound("the archived original is no longer at its recorded path")
        try:
            return FileResponse(state.preview(p, f"match-{item_id}-{n}", 1024), media_type="image/jpeg")
        except VerilensError as exc:
            raise be.NotFound(f"no preview: {exc}") from exc

    @app.get("/api/cases/{case_id}/items/{item_id}/keyframes/{n}", tags=["items"],
             responses={200: {"content": {"image/jpeg": {}}}})
    def api_keyframe(case_id: str, item_id: str, n: int) -> FileResponse:
        _check_id(case_id, item_id)
        _, item = state.cases.get_item(case_id, item_id)
        ks = views.keyframes(item["report"])
        if not 0 <= n < len(ks):
            raise be.NotFound(f"no keyframe {n}")
        path = state.known_file(ks[n]["path"])
        try:
            return FileResponse(state.preview(path, f"kf-{item_id}-{n}", 640), media_type="image/jpeg")
        except VerilensError as exc:
            raise be.NotFound(f"no preview: {exc}") from exc

    @app.get("/api/cases/{case_id}/items/{item_id}/metadata", tags=["items"])
    def api_metadata(case_id: str, item_id: str) -> dict[str, Any]:
        """Every tag exiftool reads from the original, grouped by family-1 group."""
        _check_id(case_id, item_id)
        _, item = state.cases.get_item(case_id, item_id)
        return {"groups": _raw_metadata(state, item)}

    # ---------------------------------------------------------------- API: shadow
    @app.post("/api/shadow", tags=["shadow"])
    def api_shadow(body: ShadowRequest) -> dict[str, Any]:
        """Three clicked points → sun elevation → time windows (claimed place and date) and
        the ring of places (claimed time), when the sun engine is available."""
        try:
            geo = elevation_from_points([body.base.x, body.base.y], [body.top.x, body.top.y],
                                        [body.tip.x, body.tip.y], body.tolerance)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc
        return _shadow(body, geo)

    @app.get("/api/ring", tags=["shadow"])
    def api_ring(time: Annotated[str, Query(min_length=10, max_length=64, description="ISO 8601 instant (with offset = UTC mode)")],
                 elevation: Annotated[float, Query(gt=0, le=90, description="Sun elevation, degrees")],
                 tolerance: Annotated[float, Query(gt=0, le=45, description="Elevation tolerance, degrees")] = 2.0,
                 ) -> dict[str, Any]:
        """The ring of places where the sun stood at ``elevation`` at ``time`` (GeoJSON)."""
        engine = be.sun_engine()
        if engine.ring is None:
            raise be.Unavailable(engine.reason or "the ring map is not available")
        try:
            return {"ring": be.plain(engine.ring(time=time, elevation=elevation, tolerance=tolerance))}
        except (VerilensError, ValueError, TypeError, OverflowError) as exc:
            raise HTTPException(422, f"{type(exc).__name__}: {exc}") from exc

    # ---------------------------------------------------------------- pages
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page_intake(request: Request) -> HTMLResponse:
        cases = state.cases.list_cases() if state.cases.available else []
        return state.render("intake.html", request, cases=cases, title="Intake",
                            max_upload_mb=config.max_upload_bytes / 2**20)

    @app.get("/cases", include_in_schema=False)
    def page_cases() -> RedirectResponse:
        return RedirectResponse("/", status_code=303)

    @app.get("/cases/{case_id}", response_class=HTMLResponse, include_in_schema=False)
    def page_case(request: Request, case_id: str) -> HTMLResponse:
        _check_id(case_id)
        case = state.cases.get_case(case_id)
        return state.render("case.html", request, case=_case_summary(state, case), title=case["title"],
                            categories=be.media_review_categories())

    @app.get("/cases/{case_id}/items/{item_id}", response_class=HTMLResponse, include_in_schema=False)
    def page_item(request: Request, case_id: str, item_id: str) -> HTMLResponse:
        _check_id(case_id, item_id)
        case, item = state.cases.get_item(case_id, item_id)
        view = _item_view(case, item)
        try:
            groups = _raw_metadata(state, item)
        except Exception as exc:  # metadata is shown if it can be read; the page still comes
            groups = [{"group": "error", "tags": [("exiftool", f"{type(exc).__name__}: {exc}")]}]
        return state.render("item.html", request, case=case, item=view, groups=groups,
                            title=item["name"], tile_url=config.tile_url)

    @app.get("/cases/{case_id}/items/{item_id}/shadow", response_class=HTMLResponse, include_in_schema=False)
    def page_shadow(request: Request, case_id: str, item_id: str) -> HTMLResponse:
        _check_id(case_id, item_id)
        case, item = state.cases.get_item(case_id, item_id)
        engine = be.sun_engine()
        return state.render("shadow.html", request, case=case, item=_item_view(case, item),
                            title="Shadow tool", engine_reason=engine.reason, tile_url=config.tile_url)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api") or request.url.path == "/openapi.json":
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                                headers=getattr(exc, "headers", None))
        return _error(request, exc.status_code, str(exc.detail))

    return app


# ---------------------------------------------------------------------------------------
# helpers


def _check_id(*ids: str) -> None:
    for i in ids:
        if not re.match(_ID, i or ""):
            raise be.NotFound("bad id")


def _sniff_type(path: Path) -> str:
    """The served type of an artifact, from its first bytes (stored files have no extension)."""
    with open(path, "rb") as f:
        head = f.read(16)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:1] in (b"{", b"["):
        return "application/json"
    return "application/octet-stream"


def _original(state: App, item: dict[str, Any]) -> Path:
    for cand in (item.get("original_path"), (item.get("report") or {}).get("input", {}).get("path")):
        if cand and Path(str(cand)).is_file():
            return Path(str(cand))
    raise be.NotFound("the original of this item is not on this machine")


def _raw_metadata(state: App, item: dict[str, Any]) -> list[dict[str, Any]]:
    from ..metadata.exiftool import bridge

    src = _original(state, item)
    return views.group_metadata(bridge().read_one(src, []))


def _case_summary(state: App, case: dict[str, Any]) -> dict[str, Any]:
    items = []
    for it in case["items"]:
        rep = it["report"] or {}
        items.append({
            "id": it["id"], "name": it["name"], "kind": it.get("kind"), "mime": it.get("mime"),
            "sha256": it.get("sha256"), "state": rep.get("state"), "error": rep.get("error"),
            "questions": views.questions(rep) if rep.get("state") == "ok" else [],
            "url": f"/cases/{case['id']}/items/{it['id']}",
            "preview": f"/api/cases/{case['id']}/items/{it['id']}/preview",
        })
    return {**{k: v for k, v in case.items() if k != "items"}, "items": items}


def _item_view(case: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    rep = item["report"] or {}
    base = f"/api/cases/{case['id']}/items/{item['id']}"
    arts = views.artifact_entries(rep)
    return {
        "case_id": case["id"], "id": item["id"], "name": item["name"], "kind": item.get("kind"),
        "report": rep,
        "questions": views.questions(rep),
        "overlays": [{**{k: v for k, v in o.items() if k != "path"}, "url": f"{base}/artifacts/{o['n']}?overlay=true"}
                     for o in views.overlays(rep)],
        "artifacts": [{**{k: v for k, v in a.items() if k != "path"}, "url": f"{base}/artifacts/{a['n']}"} for a in arts],
        "c2pa": views.c2pa_panel(rep),
        "timeline": views.timeline(rep),
        "map_points": views.map_points(rep),
        "matches": [{**m, "preview": f"{base}/matches/{m['n']}/preview"} for m in views.archive_matches(rep)],
        "keyframes": [{**k, "url": f"{base}/keyframes/{k['n']}"} for k in views.keyframes(rep)],
        "references": [{**{k: v for k, v in a.items() if k != "path"}, "url": f"{base}/artifacts/{a['n']}"}
                       for a in views.reference_matches(rep)],
        "preview": f"{base}/preview",
        "width": (rep.get("input") or {}).get("width"), "height": (rep.get("input") or {}).get("height"),
        "claim": rep.get("claim") or {},
        "shadow_measurement": _measured_shadow(rep),
        "notes": [n for n in case.get("notes") or [] if n.get("item_id") == item["id"]],
        "shadow_url": f"/cases/{case['id']}/items/{item['id']}/shadow",
        "url": f"/cases/{case['id']}/items/{item['id']}",
    }


def _measured_shadow(rep: dict[str, Any]) -> dict[str, Any] | None:
    """Elevation and time of a shadow measured with the check (``--shadow-*``), for the ring."""
    c = views.check_by_id(rep, "time.sun")
    m = ((c or {}).get("details") or {}).get("measurement") or {}
    t = (rep.get("claim") or {}).get("time")
    if not isinstance(m.get("elevation"), (int, float)) or not t or len(str(t)) <= 10:
        return None
    return {"elevation": m["elevation"], "tolerance": m.get("tolerance") or 2.0, "time": t, "source": "time.sun check"}


def _shadow(body: ShadowRequest, geo: Any) -> dict[str, Any]:
    from ..claims import parse_place

    out: dict[str, Any] = {"geometry": geo.to_dict(), "windows": None, "windows_error": None,
                           "ring": None, "ring_error": None, "place": None}
    lat, lon = body.lat, body.lon
    if (lat is None or lon is None) and body.place:
        p = parse_place(body.place)
        lat, lon = p.lat, p.lon
        out["place"] = p.model_dump(mode="json")
    elif lat is not None and lon is not None:
        out["place"] = {"lat": lat, "lon": lon}
    engine = be.sun_engine()
    az = None if body.shadow_bearing is None else (body.shadow_bearing + 180.0) % 360.0
    out["azimuth"] = None if az is None else {"sun_azimuth": round(az, 3), "tolerance": body.azimuth_tolerance,
                                              "shadow_bearing": body.shadow_bearing}
    extra = {} if az is None else {"azimuth": az, "azimuth_tolerance": body.azimuth_tolerance}
    if engine.windows is None:
        out["windows_error"] = engine.reason
    elif lat is None or lon is None or not body.date:
        out["windows_error"] = "give the claimed place and date to get time windows"
    else:
        try:
            res = engine.windows(lat=lat, lon=lon, date=body.date[:10], elevation=geo.elevation_deg,
                                 tolerance=geo.tolerance_deg, **extra)
            out["windows"] = be.plain(res)
        except (VerilensError, ValueError, TypeError) as exc:
            out["windows_error"] = f"{type(exc).__name__}: {exc}"
    if engine.ring is None:
        out["ring_error"] = engine.reason or "the ring map is not available in the sun engine"
    elif not body.time:
        out["ring_error"] = "give the claimed time to draw the ring of places"
    else:
        try:
            out["ring"] = be.plain(engine.ring(time=body.time, elevation=geo.elevation_deg,
                                               tolerance=geo.tolerance_deg, **extra))
        except (VerilensError, ValueError, TypeError) as exc:
            out["ring_error"] = f"{type(exc).__name__}: {exc}"
    return out


__all__ = ["WebConfig", "create_app"]
