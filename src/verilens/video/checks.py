"""Checks of the video domain (registered on import by verilens.pipeline).

- ``video.metadata`` (source): container, streams, timing, rotation and embedded tags.
- ``video.keyframes`` (source): shots, hard cuts and keyframes (saved as pictures).
- ``video.provenance`` (provenance): every keyframe searched in the archive; matches
  grouped per archive item into clip statements with their time offset.
- ``video.keyframe_forensics`` (manipulation) and ``video.keyframe_text`` (place): a
  bounded set of image checks on a few keyframes.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from ..evidence import Artifact, ArtifactKind, Finding, Question, State
from ..pipeline import Context, register
from ..provenance.checks import archive_for_check, earliest_and_predates
from .clips import earliest, group_matches, when
from .keyframes import (
    COLLAPSE_DISTANCE,
    INTERVAL_S,
    MAX_KEYFRAMES,
    MAX_SIDE,
    Keyframe,
    KeyframeResult,
    extract_keyframes,
    write_keyframe,
)
from .probe import parse_video_tags, read_container
from .shots import DetectorParams

KEYFRAME_PARAMS: dict[str, Any] = {
    "detector": "PySceneDetect AdaptiveDetector", "adaptive_threshold": DetectorParams.adaptive_threshold,
    "min_content_val": DetectorParams.min_content_val, "window_width": DetectorParams.window_width,
    "min_scene_len_s": DetectorParams.min_scene_len_s, "interval_s": INTERVAL_S,
    "collapse_pdq_distance": COLLAPSE_DISTANCE, "max_keyframes": MAX_KEYFRAMES, "max_side": MAX_SIDE,
}
PROVENANCE_PARAMS: dict[str, Any] = {"max_keyframes_searched": 60, "top_k": 5, "offset_tolerance_s": 1.0}
#: Image checks run on keyframes when registered (absent ones are skipped). Copy-move is
#: geometric and survives video compression; noise, resampling and JPEG-structure checks are
#: left out by default (the codec quantises flat and busy regions differently and encoders
#: rescale, so they "find" traces in untouched footage); ask for them with
#: ``Options.extra["video_frame_checks"]``.
FORENSIC_CHECKS = ("forensics.copy_move",)
FORENSIC_PARAMS: dict[str, Any] = {"checks": list(FORENSIC_CHECKS), "max_keyframes": 4}
TEXT_CHECKS = ("place.ocr",)
TEXT_PARAMS: dict[str, Any] = {"checks": list(TEXT_CHECKS), "max_keyframes": 4}
_CACHE_KEY = "video.keyframes.result"


def _fmt_s(x: float | None) -> str:
    if x is None:
        return "?"
    if x >= 3600:
        return f"{x / 3600:.2f} h"
    return f"{x:.1f} s" if x < 120 else f"{x / 60:.1f} min"


@register(
    "video.metadata",
    Question.SOURCE,
    version="1",
    applies_to=("video",),
    budget_s=60,
    parameters={"sources": ["PyAV (FFmpeg demuxer)", "exiftool -ee"], "vfr_packets": 600},
    caveat=(
        "How to read: what the container says about itself: codecs, frame rate, duration, "
        "rotation, the encoder, creation time (QuickTime/MP4 header times are UTC by "
        "specification, but many cameras write local time there) and GPS where the device "
        "recorded it. An 'Lavf' encoder or a constant frame rate on a phone clip point to "
        "re-encoding by FFmpeg-based tools (social networks, editors). What it cannot show: "
        "metadata is easy to edit or strip; its presence supports a story but does not prove "
        "it, and its absence (typical after upload to a social network) proves nothing."
    ),
)
def video_metadata(ctx: Context) -> Finding:
    container = read_container(ctx.media.path)
    raw = ctx.exif()
    tags = parse_video_tags(raw)
    video = next((s for s in container.streams if s.type == "video"), None)
    audio = [s for s in container.streams if s.type == "audio"]
    traces: list[str] = []
    encoders = [container.tags.get("encoder")] + [s.encoder for s in container.streams]
    for enc in encoders:
        if enc and enc.lower().startswith("lav"):
            traces.append(f"written by FFmpeg's libavformat ({enc}): re-muxed or re-encoded")
            break
    if tags.get("encoder") and "lavc" in str(tags["encoder"]).lower():
        traces.append(f"encoded with FFmpeg's libavcodec ({tags['encoder']})")
    notes = list(container.notes)
    ct, dt = tags.get("creation_time"), tags.get("device_time")
    if ct and dt and ct.get("utc") and dt.get("utc"):
        diff = when(ct["utc"]) - when(dt["utc"])
        if abs(diff) >= 1800:
            notes.append(f"header creation time and the device's own date differ by {diff / 3600:+.1f} h "
                         "(often local time written into the UTC header field)")
    if container.duration_s and tags.get("duration_s") and abs(container.duration_s - tags["duration_s"]) > 1.0:
        notes.append(f"duration differs between demuxer ({container.duration_s:.2f} s) and header "
                     f"({tags['duration_s']:.2f} s)")
    rotation_cw = (-container.rotation_deg) % 360 if container.rotation_deg else (tags.get("rotation_deg") or 0.0)
    details = {
        "container": container.to_dict(),
        "tags": tags,
        "rotation_cw_deg": rotation_cw,
        "processing_traces": traces,
        "notes": notes,
    }
    facts: list[str] = [f"{ctx.media.sniffed.label} ({container.format_long or container.format})"]
    if video:
        facts.append(f"{video.codec} {video.width}×{video.height}"
                     + (f" at {video.fps_average:.3g} fps ({container.frame_rate} rate)" if video.fps_average else ""))
    if audio:
        facts.append(f"{len(audio)} audio stream(s)")
    facts.append(f"duration {_fmt_s(container.duration_s)}")
    if rotation_cw:
        facts.append(f"displayed rotated {rotation_cw:.0f}° clockwise")
    found: list[str] = []
    if ct:
        found.append(f"creation time {ct['utc']} (header, UTC by spec)")
    if dt:
        found.append(f"device date {dt['value']}")
    if tags.get("make") or tags.get("model"):
        found.append(f"device {(tags.get('make') or '')} {(tags.get('model') or '')}".strip())
    if tags.get("gps"):
        g = tags["gps"]
        found.append(f"GPS {g['lat']:.5f}, {g['lon']:.5f}")
    if tags.get("software"):
        found.append(f"software {tags['software']!r}")
    summary = "; ".join(facts) + "."
    if found:
        summary += " The file records " + "; ".join(found) + "."
    if traces:
        summary += " " + traces[0][:1].upper() + traces[0][1:] + "."
    if not video:
        return Finding(State.ERROR, "The container holds no video stream.", details=details)
    state = State.FOUND if (found or traces) else State.NOT_FOUND
    if state is State.NOT_FOUND:
        summary += " No device, creation time, GPS or encoder history is recorded."
    return Finding(state, summary, details=details)


def _keyframe_result(ctx: Context) -> KeyframeResult | None:
    res = ctx._cache.get(_CACHE_KEY)
    return res if isinstance(res, KeyframeResult) else None


@register(
    "video.keyframes",
    Question.SOURCE,
    version="1",
    applies_to=("video",),
    budget_s=240,
    parameters=KEYFRAME_PARAMS,
    caveat=(
        "How to read: the video is cut into shots at hard cuts (PySceneDetect's adaptive "
        "content detector, exact to the frame on clean cuts), with one keyframe per shot and "
        "one every few seconds inside long shots; near-identical keyframes are kept once. "
        "Hard cuts mean an edited package, not a single camera take. What it cannot show: "
        "dissolves and fades are usually not reported as cuts (their content is still covered "
        "by periodic keyframes); fast motion or flashes can add false cuts; a single shot can "
        "still have been edited inside the picture. Very long videos are read from the "
        "encoder's keyframes only, without shot detection (see 'mode')."
    ),
)
def video_keyframes(ctx: Context) -> Finding:
    out_dir = ctx.artifact_path("frames")
    stem = "kf"
    artifacts: list[Artifact] = []

    def save(kf: Keyframe) -> None:
        p = write_keyframe(kf, out_dir, stem)
        artifacts.append(Artifact(kind=ArtifactKind.IMAGE, path=str(p),
                                  caption=f"keyframe {kf.index} at t = {kf.time_s:.2f} s ({kf.reason})"))

    deadline = ctx.deadline - 5.0 if np.isfinite(ctx.deadline) else None
    res = extract_keyframes(ctx.media.path, deadline=deadline, limits=ctx.settings.limits, keep_rgb=False,
                            on_keyframe=save)
    ctx._cache[_CACHE_KEY] = res
    kfs = [{"index": k.index, "time_s": round(k.time_s, 4), "path": k.path, "frame": k.frame, "reason": k.reason,
            "shot": k.shot, "pdq": k.pdq_hex(), "pdq_quality": k.pdq_quality,
            "duplicates_s": [round(t, 3) for t in k.duplicates]} for k in res.keyframes]
    details = {"keyframes": kfs, **res.summary_dict()}
    n_shots, n_cuts = len(res.shots), len(res.cuts)
    span = f"{_fmt_s(res.analysed_s)}" + ("" if res.complete else f" of {_fmt_s(res.duration_s)}")
    speed = res.analysed_s / res.elapsed_s if res.elapsed_s > 0 else 0.0
    base = (f"{len(kfs)} keyframe(s) from {span} of video ({res.frames_decoded} frames, {speed:.0f}× real time)")
    if res.mode == "intra-only":
        return Finding(State.INCONCLUSIVE, base + "; long video read from encoder keyframes only, no shot detection.",
                       details=details, artifacts=artifacts)
    if not res.complete:
        base += "; stopped early: " + "; ".join(res.notes[-2:])
    if n_cuts:
        times = ", ".join(f"{t:.2f}" for t in res.cut_times_s[:8]) + (" …" if n_cuts > 8 else "")
        return Finding(State.FOUND, f"{n_cuts} hard cut(s), {n_shots} shots (cuts at t = {times} s): an edited "
                       f"sequence, not a single camera take. {base}.", details=details, artifacts=artifacts)
    state = State.NOT_FOUND if res.complete else State.INCONCLUSIVE
    return Finding(state, f"No hard cut found: one continuous shot as far as read. {base}.",
                   details=details, artifacts=artifacts)


def _read_rgb(path: str | None) -> np.ndarray | None:
    if not path:
        return None
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def _spread(items: list[Any], n: int) -> list[Any]:
    if len(items) <= n:
        return list(items)
    idx = np.unique(np.linspace(0, len(items) - 1, n).round().astype(int))
    return [items[i] for i in idx]


@register(
    "video.provenance",
    Question.PROVENANCE,
    version="5",
    applies_to=("video",),
    budget_s=120,
    parameters=PROVENANCE_PARAMS,
    after=("video.keyframes",),
    caveat=(
        "How to read: every keyframe is searched in the newsroom's archive; matches are grouped "
        "per archived item and aligned in time, so a recycled clip reads as 'this clip "
        "(t = a–b) appeared before in X (t = c–d)', with the offset most matched keyframes "
        "agree on and the earliest first-seen time; a file archived with the very same bytes is "
        "named first. What it cannot show: only what is in the "
        "archive can be found, and first-seen is when the archive saw it, not when it was "
        "filmed; heavy crops, overlays or mirrored re-edits may match fewer keyframes; a match "
        "to a recurring studio shot is not a match of the news footage."
    ),
)
def video_provenance(ctx: Context) -> Finding:
    res = _keyframe_result(ctx)
    kr = ctx.results.get("video.keyframes")
    if res is None or kr is None or kr.state in (State.ERROR, State.TIMEOUT):
        return Finding(State.NOT_APPLICABLE, "No keyframes to search (the keyframe check did not complete).")
    p = PROVENANCE_PARAMS
    per_kf: list[tuple[float, list[dict[str, Any]]]] = []
    rows: list[dict[str, Any]] = []
    with archive_for_check(ctx.options.archive) as archive:
        if archive is None:
            return Finding(State.NOT_APPLICABLE, "No archive given (--archive) and no default archive exists.")
        same = archive.exact(ctx.media.sha256)  # this very file, archived before
        identical = same.to_dict() if same is not None else None
        wanted = _spread(res.keyframes, p["max_keyframes_searched"])
        for kf in wanted:
            if ctx.deadline - time.monotonic() < 3.0:  # keep what was searched, say so below
                break
            rgb = _read_rgb(kf.path)
            if rgb is None:
                continue
            matches = [m.to_dict() for m in archive.search_image(rgb, top_k=p["top_k"])]
            per_kf.append((kf.time_s, matches))
            rows.append({"index": kf.index, "time_s": round(kf.time_s, 4), "matches": matches})
    clips = group_matches(per_kf, p["offset_tolerance_s"])
    first = earliest(clips)
    if identical is not None and (first is None or (identical.get("first_seen") and when(identical["first_seen"])
                                                    < when(first.get("first_seen")))):
        first = {k: identical.get(k) for k in ("id", "path", "source_url", "first_seen")}
    # one reading of the claimed time for stills and videos (a date means its start)
    _, predates = earliest_and_predates([first], ctx.claim.time) if first else (None, None)
    best: dict[Any, dict[str, Any]] = {}
    for _, ms in per_kf:
        for m in ms:
            if m.get("id") not in best or (m.get("similarity") or 0) > (best[m["id"]].get("similarity") or 0):
                best[m.get("id")] = m
    if identical is not None:  # listed first, as a still's identical file is
        best = {identical["id"]: identical, **{k: m for k, m in best.items() if k != identical["id"]}}
    details = {"keyframes": rows, "clips": [c.to_dict() for c in clips], "matches": list(best.values()),
               "identical_file": identical, "earliest": first, "predates_claim": predates,
               "searched_keyframes": len(per_kf), "complete": len(per_kf) == len(wanted)}
    said_same = ""
    if identical is not None:
        seen = identical.get("first_seen") or "first seen unknown"
        said_same = f"This very file (the same bytes) is in the archive: {Path(str(identical['path'])).name}, {seen}."
    if not clips and identical is not None:  # then it is the earliest copy
        tail = " That is before the claimed time: the video is likely recycled." if predates else ""
        return Finding(State.FOUND, said_same + tail, score=1.0, details=details)
    if not clips:
        if len(per_kf) < len(wanted):
            return Finding(State.INCONCLUSIVE, f"Time budget ran out after {len(per_kf)} of {len(wanted)} keyframes; "
                           "none matched so far.", details=details)
        return Finding(State.NOT_FOUND, f"None of {len(per_kf)} keyframe(s) matched anything in the archive.",
                       details=details)
    top = clips[0]
    summary = top.statement()
    if len(clips) > 1:
        summary += f" {len(clips) - 1} other archived item(s) also match."
    if predates:
        summary += " The earliest archived copy predates the claimed time."
    score = float(min(1.0, top.consistent / 3.0) * max(top.best_similarity, 0.0))
    if identical is not None:
        summary, score = f"{said_same} {summary}", 1.0
    return Finding(State.FOUND, summary, score=round(score, 3), details=details)


def _run_on_keyframes(ctx: Context, ids: tuple[str, ...], max_keyframes: int, what: str) -> Finding:
    """Run registered image checks ``ids`` on a few keyframes spread over the video."""
    from ..intake.media import open_media
    from ..pipeline import Context as Ctx
    from ..pipeline import Options, load_checks, run_checks, select_checks

    res = _keyframe_result(ctx)
    if res is None or not res.keyframes:
        return Finding(State.NOT_APPLICABLE, "No keyframes to examine.")
    registry = load_checks()
    wanted = [c for c in ids if c in registry and "image" in registry[c].applies_to]
    if not wanted:
        return Finding(State.NOT_APPLICABLE, f"None of the image checks for {what} is available ({', '.join(ids)}).")
    chosen = _spread([k for k in res.keyframes if k.pdq_quality >= 50] or res.keyframes, max_keyframes)
    per: list[dict[str, Any]] = []
    found: list[tuple[float, str, str, float | None]] = []
    informative = 0
    artifacts: list[Artifact] = []
    for kf in chosen:
        if ctx.deadline - time.monotonic() < 5 or not kf.path:
            continue
        item = open_media(kf.path, ctx.settings.limits)
        opts = Options(checks=set(wanted), parallel=1, archive=None)
        sub = Ctx(media=item, claim=ctx.claim, options=opts, settings=ctx.settings,
                  out_dir=ctx.out_dir / f"keyframe-{kf.index:04d}")
        results = run_checks(sub, [c for c in select_checks("image", opts) if c.id in wanted])
        rows = []
        for r in results:
            rows.append({"id": r.id, "state": r.state.value, "score": r.score, "summary": r.summary,
                         "details": r.details})
            artifacts.extend(r.artifacts)
            if r.state == State.FOUND:
                found.append((kf.time_s, r.id, r.summary, r.score))
            if r.state in (State.FOUND, State.NOT_FOUND):
                informative += 1
        per.append({"index": kf.index, "time_s": round(kf.time_s, 4), "path": kf.path, "checks": rows})
    details = {"keyframes": per, "checks": wanted}
    if not per:
        return Finding(State.TIMEOUT, "No time left in the budget to examine keyframes.", details=details)
    if found:
        t, cid, text, score = max(found, key=lambda f: f[3] or 0.0)
        times = sorted({round(f[0], 2) for f in found})
        return Finding(State.FOUND, f"{len(found)} finding(s) on keyframe(s) at t = "
                       f"{', '.join(f'{x:.2f}' for x in times[:6])} s; strongest at t = {t:.2f} s [{cid}]: {text}",
                       score=score, details=details, artifacts=artifacts)
    if informative:
        return Finding(State.NOT_FOUND, f"{', '.join(wanted)} found nothing on {len(per)} keyframe(s).",
                       details=details, artifacts=artifacts)
    return Finding(State.INCONCLUSIVE, f"The image checks could not speak on {len(per)} keyframe(s).",
                   details=details, artifacts=artifacts)


@register(
    "video.keyframe_forensics",
    Question.MANIPULATION,
    version="1",
    applies_to=("video",),
    budget_s=180,
    parameters=FORENSIC_PARAMS,
    after=("video.keyframes",),
    caveat=(
        "How to read: a few keyframes spread over the video go through the image checks that "
        "survive video compression (copy-move: cloned regions, found geometrically); each result "
        "says which keyframe and time it is about. What it cannot show: the video codec hides "
        "small clones and the traces most image checks look for (noise, resampling and JPEG "
        "checks are not run on frames by default); frames between keyframes are not examined."
    ),
)
def video_keyframe_forensics(ctx: Context) -> Finding:
    ids = tuple(ctx.options.extra.get("video_frame_checks", FORENSIC_CHECKS))
    return _run_on_keyframes(ctx, ids, FORENSIC_PARAMS["max_keyframes"], "manipulation")


@register(
    "video.keyframe_text",
    Question.PLACE,
    version="1",
    applies_to=("video",),
    budget_s=180,
    parameters=TEXT_PARAMS,
    after=("video.keyframes",),
    caveat=(
        "How to read: text in a few keyframes (signs, shop fronts, captions, station logos) is "
        "read by OCR in Ukrainian, Russian and English and matched against the gazetteer, as "
        "for a photo. What it cannot show: on-screen captions and logos were added by whoever "
        "published the video and say nothing about where it was filmed; text in frames that "
        "are not keyframes is not read."
    ),
)
def video_keyframe_text(ctx: Context) -> Finding:
    return _run_on_keyframes(ctx, TEXT_CHECKS, TEXT_PARAMS["max_keyframes"], "place")
