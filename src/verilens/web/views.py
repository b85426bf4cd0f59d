"""From a report (the contract's JSON) to what the pages show. Pure functions, no I/O."""

from __future__ import annotations

from datetime import datetime
from typing import Any

QUESTIONS = ("manipulation", "provenance", "source", "place", "time")

#: C2PA validation states in the words of the C2PA guidance: "Valid" says the manifest is
#: intact and correctly signed, not that the signer is someone you trust.
C2PA_WORDING = {
    "Trusted": ("trusted", "Content Credentials are valid and signed with a certificate on the "
                "configured trust list. This identifies the signer; it does not say the content is true."),
    "Valid": ("valid", "Content Credentials are valid: the manifest is intact and its signature is correct. "
              "The signer is NOT on a trust list, so this says nothing about who signed it. Valid is not Trusted."),
    "Invalid": ("invalid", "Content Credentials are present but fail validation (see the status codes): "
                "the manifest or the content was changed after signing, or the signature is broken."),
}


def artifact_entries(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Every artifact of every check, numbered in report order (the artifact id)."""
    out = []
    n = 0
    for c in report.get("checks") or []:
        for a in c.get("artifacts") or []:
            out.append({"n": n, "check": c.get("id"), "kind": a.get("kind"), "caption": a.get("caption"),
                        "path": a.get("path")})
            n += 1
    return out


def overlays(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The heatmaps and masks that can be laid over the picture, with their legends."""
    out = []
    for a in artifact_entries(report):
        if a["kind"] not in ("heatmap", "mask"):
            continue
        if not a["path"]:
            continue
        legend = ("dark = low, bright yellow = high (scaled to this picture)" if a["kind"] == "heatmap"
                  else "red = pixels the check marked")
        out.append({**a, "legend": legend})
    return out


def questions(report: dict[str, Any]) -> list[dict[str, Any]]:
    qs = report.get("questions") or {}
    rows = []
    for q in QUESTIONS:
        a = qs.get(q) or {}
        rows.append({"question": q, "state": a.get("state", "not_applicable"),
                     "confidence": a.get("confidence", "none"), "summary": a.get("summary", ""),
                     "checks": a.get("checks") or []})
    return rows


def check_by_id(report: dict[str, Any], check_id: str) -> dict[str, Any] | None:
    return next((c for c in report.get("checks") or [] if c.get("id") == check_id), None)


def c2pa_panel(report: dict[str, Any]) -> dict[str, Any]:
    """C2PA state in the guidance's words; never "trusted" for a merely valid manifest."""
    c = check_by_id(report, "c2pa.manifest")
    if c is None:
        return {"present": False, "label": "not checked",
                "text": "The Content Credentials check did not run on this item.", "details": {}}
    d = c.get("details") or {}
    vs = d.get("validation_state")
    if vs in C2PA_WORDING:
        label, text = C2PA_WORDING[vs]
        return {"present": True, "label": label, "state": vs, "text": text, "details": d,
                "summary": c.get("summary"), "check_state": c.get("state")}
    if c.get("state") in ("error", "timeout"):
        return {"present": False, "label": "error", "text": c.get("summary") or "The check failed.",
                "details": d, "check_state": c.get("state")}
    return {"present": False, "label": "none",
            "text": "No Content Credentials (C2PA manifest) found. Most media carries none; "
                    "their absence says nothing about authenticity.",
            "details": d, "summary": c.get("summary"), "check_state": c.get("state")}


def _sort_key(t: str | None) -> tuple[int, str]:
    if not t:
        return (1, "")
    try:
        dt = datetime.fromisoformat(str(t).replace("Z", "+00:00"))
        if dt.tzinfo is None:
            return (0, dt.isoformat())
        return (0, dt.astimezone().replace(tzinfo=None).isoformat())
    except ValueError:
        return (0, str(t))


def timeline(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Every dated event: file timestamps, C2PA signing, archive copies, the claim."""
    ev: list[dict[str, Any]] = []
    ts = check_by_id(report, "metadata.timestamps")
    for t in ((ts or {}).get("details") or {}).get("timestamps") or []:
        ev.append({"time": t.get("utc") or t.get("value"), "label": t.get("source"),
                   "kind": t.get("kind") or "other",
                   "note": "as recorded (no offset)" if not t.get("utc") else "UTC"})
    md = report.get("metadata") or {}
    if not ev and md.get("capture_time"):
        ev.append({"time": md.get("capture_time"), "label": md.get("capture_time_source") or "capture time",
                   "kind": "capture", "note": ""})
    c2 = check_by_id(report, "c2pa.manifest")
    st = ((c2 or {}).get("details") or {}).get("signing_time")
    if st:
        ev.append({"time": st, "label": "C2PA signing time", "kind": "c2pa", "note": ""})
    prov = check_by_id(report, "provenance.archive")
    for m in ((prov or {}).get("details") or {}).get("matches") or []:
        if m.get("first_seen"):
            ev.append({"time": m.get("first_seen"), "label": f"archive copy first seen ({m.get('source_url') or m.get('path') or m.get('id')})",
                       "kind": "archive", "note": ""})
    claim = report.get("claim") or {}
    if claim.get("time"):
        ev.append({"time": claim.get("time"), "label": "claimed time", "kind": "claim", "note": ""})
    ev.sort(key=lambda e: _sort_key(e.get("time")))
    return ev


def map_points(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Points for the map: claimed place, GPS, OCR and reference hits with coordinates."""
    pts: list[dict[str, Any]] = []
    claim = (report.get("claim") or {}).get("place")
    if claim and claim.get("lat") is not None:
        pts.append({"kind": "claim", "lat": claim["lat"], "lon": claim["lon"],
                    "label": "claimed: " + str(claim.get("name") or claim.get("query") or ""),
                    "radius_km": claim.get("radius_km") or 0})
    gps = (report.get("metadata") or {}).get("gps")
    if gps and gps.get("lat") is not None:
        pts.append({"kind": "gps", "lat": gps["lat"], "lon": gps["lon"],
                    "label": "GPS in the file (" + str(gps.get("source") or "") + ")"})
    for c in report.get("checks") or []:
        if not str(c.get("id", "")).startswith("place.") or c.get("id") == "place.gps_vs_claim":
            continue
        d = c.get("details") or {}
        for hit in d.get("place_names") or []:  # place.ocr: names read in the picture
            cand = (hit.get("candidates") or [None])[0] if isinstance(hit, dict) else None
            if isinstance(cand, dict) and isinstance(cand.get("lat"), (int, float)) and isinstance(cand.get("lon"), (int, float)):
                pts.append({"kind": "ocr", "lat": cand["lat"], "lon": cand["lon"],
                            "label": f"read in the picture: {hit.get('text', '')} ({cand.get('name', '')})"})
        for key in ("hits", "places", "candidates", "matches"):
            for h in d.get(key) or []:
                if isinstance(h, dict) and isinstance(h.get("lat"), (int, float)) and isinstance(h.get("lon"), (int, float)):
                    pts.append({"kind": "ocr" if "ocr" in c["id"] else "place", "lat": h["lat"], "lon": h["lon"],
                                "label": f"{c['id']}: {h.get('name') or h.get('text') or ''}"})
    return pts[:200]


def archive_matches(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Earlier copies found in the archive: of the picture, or of a video's keyframes."""
    out: list[dict[str, Any]] = []
    for check_id in ("provenance.archive", "video.provenance"):
        prov = check_by_id(report, check_id)
        for m in ((prov or {}).get("details") or {}).get("matches") or []:
            if isinstance(m, dict):
                out.append({"n": len(out), "check": check_id,
                            **{k: m.get(k) for k in ("id", "path", "source_url", "first_seen", "distance",
                                                     "similarity", "transform", "frame_time_s", "stage", "inliers",
                                                     "sources")},
                            "sightings": [x for x in m.get("sightings") or [] if isinstance(x, dict)][:5]})
    return out


def keyframes(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The keyframes of a video item; ``path`` is the kept picture (the check's artifact of
    the same rank when the case store moved it) or the path in the details."""
    kf = check_by_id(report, "video.keyframes")
    rows = [k for k in ((kf or {}).get("details") or {}).get("keyframes") or [] if isinstance(k, dict)]
    arts = [a for a in artifact_entries(report) if a["check"] == "video.keyframes" and a["kind"] == "image"]
    out = []
    for i, k in enumerate(rows):
        path = arts[i]["path"] if len(arts) == len(rows) else k.get("path")
        out.append({"n": i, "index": k.get("index"), "time_s": k.get("time_s"), "path": path})
    return out


def group_metadata(raw: dict[str, Any], max_value: int = 2000) -> list[dict[str, Any]]:
    """exiftool ``Group:Tag`` keys grouped by group, values as (bounded) text."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for key, value in raw.items():
        if key == "SourceFile":
            continue
        group, _, tag = str(key).partition(":")
        if not tag:
            group, tag = "Other", group
        text = value if isinstance(value, str) else repr(value) if not isinstance(value, (int, float)) else str(value)
        if len(text) > max_value:
            text = text[:max_value] + f"… ({len(text)} characters)"
        groups.setdefault(group, []).append((tag, text))
    return [{"group": g, "tags": sorted(tags)} for g, tags in sorted(groups.items())]


def reference_matches(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Pictures of feature matches against the analyst's reference photos."""
    return [a for a in artifact_entries(report) if a["check"] == "place.reference_match" and a["kind"] == "image"]
