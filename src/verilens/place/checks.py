"""Checks of the place domain: GPS against the claim, text in the picture, reference photos."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from ..errors import CheckUnavailable, VerilensError
from ..evidence import ArtifactKind, Finding, Question, State
from ..pipeline import Context, register

GPS_PARAMS: dict[str, Any] = {"min_tolerance_km": 1.0, "gps_error_factor": 3.0, "geodesic": "WGS84 (Karney, pyproj)"}
OCR_PARAMS: dict[str, Any] = {"languages": "ukr+rus+eng", "min_conf": 60.0, "psm": 11, "max_side": 2000, "min_letters": 4}
REF_PARAMS: dict[str, Any] = {"max_references": 20, "max_side": 800, "max_features": 2000, "ratio": 0.8, "ransac_px": 4.0,
              "found_inliers": 20, "found_inliers_f": 50, "found_ratio_f": 0.5, "inconclusive_inliers": 10}


def _claim_kind(ctx: Context) -> tuple[str, str | None]:
    """("region"|"city"|"point", admin1 code) of the claimed place (re-resolved by name)."""
    place = ctx.claim.place
    if place is None or not place.name:
        return "point", None
    from . import gazetteer

    try:
        cands = gazetteer.lookup_exact(place.query)
    except Exception:  # noqa: BLE001 - the claim resolved before; a failed re-lookup means "point"
        return "point", None
    for c in cands:
        if abs(c.lat - place.lat) < 1e-6 and abs(c.lon - place.lon) < 1e-6:
            return c.kind, c.admin1
    return "point", None


def _ocr_located(ctx: Context) -> list[Any]:
    from .placemap import Located

    res = ctx.results.get("place.ocr")
    out = []
    for hit in (res.details.get("place_names", []) if res else [])[:10]:
        c = (hit.get("candidates") or [None])[0]
        if c:
            out.append(Located(c["lat"], c["lon"], f"{hit['text']} ({c['name']})"))
    return out


@register(
    "place.gps_vs_claim",
    Question.PLACE,
    version="1",
    applies_to=("image", "video"),
    budget_s=60,
    parameters=GPS_PARAMS,
    caveat=(
        "How to read: the geodesic distance and bearing from the claimed place to the GPS "
        "position the file records, and whether that position lies in the claimed area (an "
        "oblast: its nearest populated place belongs to it; a city: within a rough radius from "
        "its population; LAT,LON: within the tolerance). 'found' means the file records a "
        "position that could be compared; the summary says inside or outside. What it cannot "
        "show: GPS tags are easy to edit, strip or copy from another file, phones may record a "
        "stale or network-based fix, and a position says nothing about when the picture was "
        "taken. Area borders are approximate within a few km."
    ),
)
def gps_vs_claim(ctx: Context) -> Finding:
    from ..metadata.normalise import gps_from
    from . import gazetteer
    from .geo import compass, geodesic

    raw = ctx.exif()
    gps = gps_from(raw)
    place = ctx.claim.place
    details: dict[str, Any] = {"distance_km": None, "bearing_deg": None, "inside": None, "gps": None,
                               "claimed": None}
    if gps is not None:
        if not (math.isfinite(gps.lat) and math.isfinite(gps.lon)) or abs(gps.lat) > 90 or abs(gps.lon) > 180:
            return Finding(State.INCONCLUSIVE, f"The file's GPS tags hold impossible coordinates "
                           f"({gps.lat}, {gps.lon}).", details=details)
        near = gazetteer.reverse_geocode(gps.lat, gps.lon)
        details["gps"] = {"lat": gps.lat, "lon": gps.lon, "alt": gps.alt, "source": gps.source}
        details["gps_place"] = near.to_dict()
    if place is None:
        where = (f" The file records GPS {gps.lat:.5f}, {gps.lon:.5f} ({details['gps_place']['distance_km']:.1f} km "
                 f"from {details['gps_place']['name']}, {details['gps_place']['country_name']}).") if gps else ""
        return Finding(State.NOT_APPLICABLE, "No claimed place to compare with." + where, details=details)
    kind, admin1 = _claim_kind(ctx)
    details["claimed"] = {"lat": place.lat, "lon": place.lon, "name": place.name or place.query,
                          "radius_km": place.radius_km, "kind": kind}
    if gps is None:
        return Finding(State.INCONCLUSIVE, "The file records no GPS position (stripped, never recorded, or "
                       "a format without it); nothing to compare with the claimed place.", details=details)
    leg = geodesic(place.lat, place.lon, gps.lat, gps.lon)
    hpe = raw.get("GPS:GPSHPositioningError")
    try:
        gps_err_km = float(hpe) / 1000.0 if hpe is not None else 0.0
    except (TypeError, ValueError):
        gps_err_km = 0.0
    gps_err_km = gps_err_km if math.isfinite(gps_err_km) and gps_err_km >= 0 else 0.0
    tolerance = max(GPS_PARAMS["min_tolerance_km"], GPS_PARAMS["gps_error_factor"] * gps_err_km)
    if kind == "region" and admin1:
        near = details["gps_place"]
        inside = bool(near["country"] == place.country and near["admin1"] == admin1)
        how = "its nearest populated place lies in the claimed area" if inside else \
            f"its nearest populated place lies in {near['region'] or '?'}, {near['country_name']}"
    else:
        inside = bool(leg.distance_km <= place.radius_km + tolerance)
        how = f"claimed radius {place.radius_km:.1f} km + tolerance {tolerance:.1f} km"
    details.update({"distance_km": round(leg.distance_km, 3), "bearing_deg": round(leg.bearing_deg, 2),
                    "inside": inside, "tolerance_km": round(tolerance, 3), "gps_error_km": gps_err_km or None})
    d = leg.distance_km
    dist = f"{d:,.1f} km" if d >= 1 else f"{d * 1000:.0f} m"
    summary = (f"The file's GPS position is {dist} {compass(leg.bearing_deg)} of the claimed place "
               f"({place.name or place.query}): {'INSIDE' if inside else 'OUTSIDE'} the claimed area ({how}).")
    # score: how strongly the metadata speaks (it is editable, so never above 0.6)
    return Finding(State.FOUND, summary, score=0.6, details=details)


def _ocr_timeout(ctx: Context) -> float:
    import time

    remaining = ctx.deadline - time.monotonic()
    return max(5.0, min(40.0, remaining / 2 if math.isfinite(remaining) else 40.0))


@register(
    "place.ocr",
    Question.PLACE,
    version="1",
    applies_to=("image",),
    budget_s=90,
    parameters=OCR_PARAMS,
    caveat=(
        "How to read: text read by tesseract (Ukrainian, Russian and English models), boxed on "
        "the picture; letters only Ukrainian uses (і ї є ґ) or only Russian uses (ы э ъ ё) give "
        "an orthography hint; words and phrases that are names in the offline gazetteer are "
        "listed with the places they can mean. Runs when a claimed place is given or when asked "
        "for by id (it takes seconds per picture). What it cannot show: signs can be moved, "
        "painted over or edited in; a place name on a sign (a road sign, a shop name) does not "
        "mean the picture was taken there; OCR misses small, slanted or stylised text and can "
        "misread letters (і/i, ё/е); short texts often carry no distinctive letter."
    ),
)
def ocr_check(ctx: Context) -> Finding:
    from . import gazetteer
    from .ocr import available_languages, draw_boxes, find_place_names, orthography, read_text

    asked = ctx.options.checks is not None and "place.ocr" in ctx.options.checks
    if ctx.claim.place is None and not asked:
        return Finding(State.NOT_APPLICABLE, "Text is read when a claimed place is given (--claim-place) or when "
                       "this check is asked for (--checks place.ocr); OCR takes seconds per picture.")
    have = available_languages()
    wanted = OCR_PARAMS["languages"].split("+")
    langs = [lang for lang in wanted if lang in have]
    if not langs:
        raise CheckUnavailable("tesseract or its language models (ukr, rus, eng) are not installed")
    rgb = ctx.media.rgb()
    res = read_text(rgb, languages="+".join(langs), min_conf=OCR_PARAMS["min_conf"], psm=OCR_PARAMS["psm"],
                    max_side=OCR_PARAMS["max_side"], timeout_s=_ocr_timeout(ctx),
                    check_time=ctx.check_time)
    missing = [lang for lang in wanted if lang not in have]
    details: dict[str, Any] = {"languages": res.languages, "missing_languages": missing, "inverted": res.inverted,
                               "lines": [{"text": ln.text, "conf": ln.conf, "box": list(ln.box)} for ln in res.lines],
                               "words": len(res.words)}
    if not res.lines:
        return Finding(State.NOT_FOUND, "No legible text found (tesseract, Ukrainian/Russian/English).",
                       details={**details, "orthography": orthography(""), "place_names": []})
    ctx.check_time()
    hits = find_place_names([ln.text for ln in res.lines], gazetteer.lookup_exact,
                            min_letters=OCR_PARAMS["min_letters"])
    ortho = orthography(res.text)
    details.update({"text": res.text[:5000], "orthography": ortho, "place_names": [h.to_dict() for h in hits]})
    claim = ctx.claim.place
    if claim is not None and hits:
        from .geo import geodesic

        near = []
        for h in hits:
            for c in h.candidates:
                d = geodesic(claim.lat, claim.lon, c["lat"], c["lon"]).distance_km
                if d <= max(claim.radius_km, 1.0) + c.get("radius_km", 0.0):
                    near.append({"text": h.text, "place": c["label"], "distance_km": round(d, 2)})
                    break
        details["names_matching_claim"] = near
    arts = [ctx.save_image("text_boxes", draw_boxes(rgb, res, {h.line for h in hits}), ArtifactKind.IMAGE,
                           "Words read (orange), lines naming places (green)")]
    arts.append(ctx.save_file("text.json", json.dumps(
        {"lines": details["lines"], "words": [{"text": w.text, "conf": w.conf, "box": list(w.box), "line": w.line}
                                              for w in res.words]}, ensure_ascii=False, indent=1),
        ArtifactKind.DATA, "Words and boxes read by tesseract"))
    hint = {"ukrainian": "Ukrainian orthography (" + ortho["ukrainian_letters"] + ")",
            "russian": "Russian orthography (" + ortho["russian_letters"] + ")",
            "mixed": "both Ukrainian and Russian letters", "cyrillic": "Cyrillic, no distinctive letter",
            "latin": "Latin script", "none": "no letters"}[ortho["hint"]]
    first = "; ".join(f"“{ln.text[:40]}”" for ln in res.lines[:3])
    summary = f"Read {len(res.lines)} line(s) of text ({hint}): {first}."
    if hits:
        summary += " Place names: " + "; ".join(f"{h.text} → {h.candidates[0]['label']}" for h in hits[:5]) + "."
        if claim is not None:
            n_in = len(details["names_matching_claim"])
            summary += (f" {n_in} of them {'lies' if n_in == 1 else 'lie'} in the claimed area."
                        if details["names_matching_claim"] else " None lies in the claimed area.")
    score = 0.5 if hits else 0.2
    return Finding(State.FOUND, summary, score=score, details=details, artifacts=arts)


@register(
    "place.reference_match",
    Question.PLACE,
    version="1",
    applies_to=("image",),
    budget_s=120,
    parameters=REF_PARAMS,
    caveat=(
        "How to read: each reference photo you supplied is matched to the picture with local "
        "features (SIFT, ratio test) verified by one geometry (RANSAC homography or fundamental "
        "matrix); 'found' means enough matches agree on one geometry that the two show the same "
        "rigid scene, and the side-by-side picture shows them. What it cannot show: where either "
        "picture was taken (that rests on the reference); logos, repeated façades or overlays "
        "common to both can match; a different season, night, a far viewpoint or a big zoom "
        "change can lose the match, so 'not found' is weak."
    ),
)
def reference_match_check(ctx: Context) -> Finding:
    from ..intake.media import open_media
    from .reference_match import MatchParams, draw_matches, extract, match_images

    refs = list(ctx.options.references or [])
    if not refs:
        return Finding(State.NOT_APPLICABLE, "No reference photos given (--reference).")
    p = REF_PARAMS
    params = MatchParams(max_side=p["max_side"], max_features=p["max_features"], ratio=p["ratio"],
                         ransac_px=p["ransac_px"], found_inliers=p["found_inliers"],
                         found_inliers_f=p["found_inliers_f"], found_ratio_f=p["found_ratio_f"],
                         inconclusive_inliers=p["inconclusive_inliers"])
    rgb = ctx.media.rgb()
    qf = extract(rgb, params)
    rows: list[dict[str, Any]] = []
    arts = []
    skipped = max(0, len(refs) - p["max_references"])
    for i, ref in enumerate(Path(r) for r in refs[: p["max_references"]]):
        ctx.check_time()
        row: dict[str, Any] = {"reference": str(ref)}
        try:
            item = open_media(ref, ctx.settings.limits)
            if item.kind != "image":
                raise VerilensError(f"{item.sniffed.label} is not a still image")
            ref_rgb = item.rgb()
            r = match_images(rgb, ref_rgb, params, query_features=qf)
        except (VerilensError, OSError, ValueError) as exc:
            row.update({"state": "error", "error": str(exc)[:300]})
            rows.append(row)
            continue
        row.update(r.to_dict())
        row["sha256"] = item.sha256
        if r.inliers >= 4:
            arts.append(ctx.save_image(f"matches_{i}", draw_matches(rgb, ref_rgb, r), ArtifactKind.IMAGE,
                                       f"Left: this picture; right: {ref.name}; lines: {r.inliers} inlier matches"))
        rows.append(row)
    details = {"references": rows, "skipped_references": skipped}
    found = [r for r in rows if r.get("state") == "found"]
    unsure = [r for r in rows if r.get("state") == "inconclusive"]
    errors = [r for r in rows if r.get("state") == "error"]
    best = max((r for r in rows if "inliers" in r), key=lambda r: r["inliers"], default=None)
    details["best"] = best
    n = len(rows)
    if found:
        b = max(found, key=lambda r: r["inliers"])
        name = b["reference"].rsplit("/", 1)[-1]
        return Finding(State.FOUND, f"{len(found)} of {n} reference photo(s) show the same scene; best {name}: "
                       f"{b['inliers']} of {b['matches']} matches fit one {b['model']}.",
                       score=min(1.0, b["inliers"] / 100.0), details=details, artifacts=arts)
    if errors and len(errors) == n:
        return Finding(State.ERROR, f"No reference photo could be read: {errors[0]['error']}", details=details)
    if unsure:
        return Finding(State.INCONCLUSIVE, f"{len(unsure)} of {n} reference photo(s) share a few geometrically "
                       f"consistent matches, too few to decide (best {best['inliers'] if best else 0} inliers).",
                       details=details, artifacts=arts)
    if best is None:
        return Finding(State.INCONCLUSIVE, "No reference photo could be compared.", details=details)
    msg = f"None of the {n - len(errors)} reference photo(s) matched (best {best['inliers']} inliers)."
    if errors:
        msg += f" {len(errors)} could not be read."
    return Finding(State.NOT_FOUND, msg, details=details, artifacts=arts)


@register(
    "place.map",
    Question.PLACE,
    version="1",
    applies_to=("image", "video"),
    budget_s=30,
    after=("place.gps_vs_claim", "place.ocr"),
    caveat=(
        "How to read: a picture, not a finding: the claimed place and its area (red), the GPS "
        "position the file records (blue) and the places named in text read in the picture "
        "(green), on an offline basemap. What it cannot show: anything the other place checks "
        "do not; the coarse land mask draws coasts only approximately at city scale."
    ),
)
def place_map_check(ctx: Context) -> Finding:
    from .placemap import Located, place_map

    place = ctx.claim.place
    claimed = Located(place.lat, place.lon, place.name or place.query) if place else None
    gps = None
    g = ctx.results.get("place.gps_vs_claim")
    if g is not None and g.details.get("gps"):
        near = (g.details.get("gps_place") or {}).get("name")
        gps = Located(g.details["gps"]["lat"], g.details["gps"]["lon"], f"near {near}" if near else "GPS")
    ocr = _ocr_located(ctx)
    img = place_map(claimed=claimed, claimed_radius_km=place.radius_km if place else 0.0, gps=gps, ocr=ocr)
    if img is None:
        return Finding(State.NOT_APPLICABLE, "Nothing located to draw (no claimed place, GPS or place name read).")
    art = ctx.save_image("map", img, ArtifactKind.MAP, "Claimed place (red), GPS (blue), names read (green)")
    parts = (["the claimed place"] if claimed else []) + (["the GPS position"] if gps else []) + \
        ([f"{len(ocr)} place name(s) read in the picture"] if ocr else [])
    return Finding(State.INCONCLUSIVE, "Map drawn of " + ", ".join(parts) + " (an illustration, not a finding).",
                   details={"claimed": bool(claimed), "gps": bool(gps), "names": len(ocr)}, artifacts=[art])
