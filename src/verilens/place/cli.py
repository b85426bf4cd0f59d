"""CLI commands of the place domain: ``verilens match`` and ``verilens place``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer

from ..cli_common import command_errors, emit_json, err, fail_usage, out, safe_text

_LATLON = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*[, ]\s*([+-]?\d+(?:\.\d+)?)\s*$")


def _match_one(query_rgb: Any, qf: Any, ref: Path, out_dir: Path | None, qname: str, index: int,
               settings: Any) -> dict[str, Any]:
    from ..errors import VerilensError
    from ..intake.media import open_media
    from .reference_match import draw_matches, match_images

    row: dict[str, Any] = {"query": qname, "reference": str(ref)}
    try:
        item = open_media(ref, settings.limits)
        if item.kind != "image":
            raise VerilensError(f"{item.sniffed.label} is not a still image")
        rgb = item.rgb()
        r = match_images(query_rgb, rgb, query_features=qf)
    except (VerilensError, OSError, ValueError) as exc:
        row.update({"state": "error", "error": str(exc)[:500]})
        return row
    row.update(r.to_dict())
    row["sha256"] = item.sha256
    row["picture"] = None
    if out_dir is not None and r.inliers >= 4:
        from PIL import Image

        out_dir.mkdir(parents=True, exist_ok=True)
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", ref.stem)[:60] or "reference"
        path = out_dir / f"match_{index:03d}_{stem}.png"
        Image.fromarray(draw_matches(query_rgb, rgb, r)).save(path, compress_level=1)
        row["picture"] = str(path)
    return row


def register(app: typer.Typer) -> None:
    """Add this domain's commands to the main app."""

    @app.command("match")
    def match_cmd(
        query: Annotated[Path, typer.Argument(metavar="QUERY", help="The picture to place.")],
        references: Annotated[list[Path], typer.Argument(metavar="REF...", help="Reference photos of the place.")],
        out_dir: Annotated[Path | None, typer.Option("--out", help="Folder for side-by-side match pictures.")] = None,
        json_out: Annotated[bool, typer.Option("--json", help="One JSON object per reference (JSON Lines).")] = False,
    ) -> None:
        """Match a picture against reference photos (SIFT + ratio test + RANSAC geometry)."""
        from ..config import Settings
        from ..intake.media import open_media
        from .reference_match import extract

        with command_errors():
            settings = Settings()
            q = open_media(query, settings.limits)
            if q.kind != "image":
                fail_usage(f"{safe_text(query)}: the query must be a still image (use `verilens keyframes` for video)")
            rgb = q.rgb()
            qf = extract(rgb)
            for i, ref in enumerate(references):
                row = _match_one(rgb, qf, ref, out_dir, str(query), i, settings)
                if json_out:
                    emit_json(row)
                else:
                    state = row["state"]
                    extra = (f"{row['inliers']} inliers of {row['matches']} matches ({row['model'] or '-'})"
                             if "inliers" in row else safe_text(row.get("error")))
                    out.print(f"{safe_text(ref)}: [bold]{state}[/] {extra}"
                              + (f"  → {safe_text(row['picture'])}" if row.get("picture") else ""))

    @app.command("place")
    def place_cmd(
        name: Annotated[str, typer.Argument(metavar="NAME_OR_LATLON", help="A place name (Latin or Cyrillic) or LAT,LON.")],
        limit: Annotated[int, typer.Option("--limit", min=1, max=100, help="Candidates listed.")] = 10,
        json_out: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    ) -> None:
        """Look a place up in the offline gazetteer (or reverse-geocode LAT,LON)."""
        from ..errors import UsageError
        from . import gazetteer

        with command_errors():
            m = _LATLON.match(name)
            if m:
                lat, lon = float(m.group(1)), float(m.group(2))
                if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                    raise UsageError(f"{name!r}: latitude must be within ±90 and longitude within ±180")
                near = gazetteer.reverse_geocode(lat, lon)
                doc: dict[str, Any] = {"query": name, "lat": lat, "lon": lon, "nearest": near.to_dict()}
                if json_out:
                    emit_json(doc)
                else:
                    out.print(f"{lat:.5f}, {lon:.5f}: {near.distance_km:.1f} km from {safe_text(near.name)}, "
                              f"{safe_text(near.region or '')}, {safe_text(near.country_name)}")
                return
            try:
                place = gazetteer.resolve_place(name)
                resolved: dict[str, Any] | None = place.model_dump(mode="json")
                problem = None
            except UsageError as exc:
                resolved, problem = None, str(exc)
            cands = gazetteer.lookup_exact(name) or gazetteer.search_places(name, limit)
            doc = {"query": name, "place": resolved, "error": problem,
                   "candidates": [c.to_dict() for c in cands[:limit]]}
            if json_out:
                emit_json(doc)
            else:
                if resolved:
                    out.print(f"[bold]{safe_text(resolved['name'])}[/]  {resolved['lat']:.5f}, {resolved['lon']:.5f}"
                              f"  (radius {resolved['radius_km']} km)")
                else:
                    err.print(f"[yellow]{safe_text(problem)}[/]")
                for c in cands[:limit]:
                    out.print(f"  {safe_text(c.label())}  [{c.kind}] {c.lat:.4f}, {c.lon:.4f}  pop {c.population:,}")
            if resolved is None and not cands:
                raise typer.Exit(2)
