"""Metadata checks: source and time from the file itself.

I/O lives here (exiftool through the shared bridge, c2pa-python, decoding the embedded
thumbnail); the methods are the pure functions of the sibling modules.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np

from ..evidence import Finding, Question, State
from ..pipeline import Context, register
from .ai_declaration import find_declarations, is_ai_declared, parse_a1111_parameters
from .c2pa_manifest import MAX_INGREDIENT_DEPTH, ManifestReport, read_manifest
from .normalise import clean_str, summarize
from .software import find_software
from .stripped import find_signs
from .thumbnail import compare_thumbnail, orient, side_by_side
from .timestamps import DEFAULT_TOLERANCE_S, collect_timestamps

#: Largest embedded preview decoded for the thumbnail check, in bytes and pixels.
MAX_THUMB_BYTES = 8 * 1024 * 1024
MAX_THUMB_PIXELS = 16_000_000


def _unreadable(raw: dict[str, Any]) -> str | None:
    if "ExifTool:Error" in raw and len(raw) <= 3:
        return clean_str(raw["ExifTool:Error"], 300)
    return None


@register(
    "metadata.basic",
    Question.SOURCE,
    version="2",
    applies_to=("image", "video"),
    budget_s=60,
    caveat=(
        "Reads what the file says about itself (exiftool). Metadata is easy to edit or strip: "
        "it can support a story but never proves one, and its absence proves nothing."
    ),
)
def metadata_basic(ctx: Context) -> Finding:
    raw = ctx.exif()
    err = _unreadable(raw)
    if err:
        return Finding(State.ERROR, f"exiftool could not read the file: {err}")
    summary = summarize(raw)
    ctx.cached("metadata_summary", lambda: summary)
    facts = []
    if summary.device:
        facts.append(f"device {summary.device.make or ''} {summary.device.model or ''}".strip())
    if summary.capture_time:
        facts.append(f"capture time {summary.capture_time} ({summary.capture_time_source})")
    if summary.gps:
        facts.append(f"GPS {summary.gps.lat:.5f}, {summary.gps.lon:.5f}")
    if summary.software:
        facts.append(f"software {summary.software!r}")
    tags = sum(1 for k in raw if not k.startswith(("System:", "ExifTool:", "File:", "SourceFile")))
    details = {"tag_count": tags, "metadata": summary.model_dump(mode="json")}
    if not facts:
        return Finding(
            State.NOT_FOUND,
            f"The file records no device, capture time, GPS or software ({tags} tags).",
            details=details,
        )
    return Finding(State.FOUND, "The file records " + "; ".join(facts) + ".", details=details)


@register(
    "metadata.timestamps",
    Question.TIME,
    version="1",
    applies_to=("image", "video"),
    budget_s=60,
    parameters={"tolerance_s": DEFAULT_TOLERANCE_S},
    caveat=(
        "Lists every time the file records and reconciles them to UTC where an offset, the format's "
        "specification or GPS time allows. Camera clocks are often wrong or never set, and every "
        "timestamp can be edited: agreement is not proof of when the picture was taken, and file-system "
        "times describe only this copy. QuickTime dates are UTC by specification but some cameras write "
        "local time there."
    ),
)
def metadata_timestamps(ctx: Context) -> Finding:
    raw = ctx.exif()
    err = _unreadable(raw)
    if err:
        return Finding(State.ERROR, f"exiftool could not read the file: {err}")
    rep = collect_timestamps(raw, DEFAULT_TOLERANCE_S)
    details = rep.to_dict()
    recorded = [t for t in rep.timestamps if not t.local_copy_only]
    if not recorded:
        return Finding(
            State.NOT_FOUND,
            "The file records no date or time of its own (only the file-system "
            "times of this copy).",
            details=details,
        )
    first = next((t for t in recorded if t.kind == "capture"), None) or next(
        (t for t in recorded if t.creation), recorded[0]
    )
    when = first.value + (f" (UTC {first.utc})" if first.utc and first.utc != first.value else "")
    parts = [f"{len(recorded)} recorded time(s); earliest-trusted {first.source} = {when}"]
    if rep.derived_utc_offset:
        parts.append(f"UTC offset {rep.derived_utc_offset} ({rep.offset_basis})")
    if rep.disagreements:
        d = rep.disagreements[0]
        parts.insert(
            0,
            f"{len(rep.disagreements)} disagreement(s): {d['a']} vs {d['b']} differ by "
            f"{abs(d['difference_s']):.0f} s ({d['reason']})",
        )
    score = 0.7 if rep.disagreements else 0.3
    return Finding(State.FOUND, "; ".join(parts) + ".", score=score, details=details)


@register(
    "metadata.software",
    Question.SOURCE,
    version="1",
    applies_to=("image", "video"),
    budget_s=30,
    caveat=(
        "Names editing software or export pipelines the file records (Software, CreatorTool, XMP history, "
        "Photoshop resources, Camera Raw settings, comments). Editing is not faking: cropping and toning are "
        "normal newsroom work. Software traces are easy to remove, so absence means little."
    ),
)
def metadata_software(ctx: Context) -> Finding:
    raw = ctx.exif()
    err = _unreadable(raw)
    if err:
        return Finding(State.ERROR, f"exiftool could not read the file: {err}")
    traces = find_software(raw)
    details: dict[str, Any] = {"traces": [t.to_dict() for t in traces]}
    strong = [t for t in traces if t.category in ("editor", "generator")]
    export = [t for t in traces if t.category == "export"]
    unknown = [t for t in traces if t.category == "unknown"]
    if strong or export:
        names = sorted({t.name or t.value for t in strong + export})
        score = 0.7 if strong else 0.5
        return Finding(
            State.FOUND,
            "The file records software that edited or re-encoded it: " + ", ".join(names[:6]) + ".",
            score=score,
            details=details,
        )
    if unknown:
        return Finding(
            State.FOUND,
            "The file records software not recognised as camera firmware: "
            + ", ".join(repr(t.value) for t in unknown[:3])
            + ".",
            score=0.3,
            details=details,
        )
    writers = [t for t in traces if t.category == "metadata_writer"]
    if writers:
        return Finding(
            State.FOUND,
            "A tool rewrote the file's metadata blocks: "
            + "; ".join(t.value for t in writers[:2])
            + " (pixels not necessarily touched).",
            score=0.2,
            details=details,
        )
    cams = [t.value for t in traces if t.category == "camera"]
    if cams:
        return Finding(
            State.NOT_FOUND,
            f"Only camera firmware is recorded ({cams[0]!r}); no editing software.",
            details=details,
        )
    return Finding(State.NOT_FOUND, "No software is recorded in the file.", details=details)


def _decode_embedded(value: Any) -> np.ndarray | None:
    from PIL import Image

    s = str(value)
    if not s.startswith("base64:"):
        return None
    if len(s) > MAX_THUMB_BYTES * 4 // 3 + 16:
        return None
    try:
        data = base64.b64decode(s[7:], validate=False)
        im = Image.open(io.BytesIO(data))
        if im.size[0] * im.size[1] > MAX_THUMB_PIXELS:
            return None
        return np.asarray(im.convert("RGB"))
    except Exception:
        return None


@register(
    "metadata.thumbnail",
    Question.MANIPULATION,
    version="1",
    applies_to=("image",),
    budget_s=60,
    parameters={
        "ssim_different": 0.45,
        "block_floor": 28.0,
        "block_ratio": 4.0,
        "aspect_tolerance": 0.04,
    },
    caveat=(
        "Compares the embedded EXIF thumbnail/preview with the picture. A thumbnail showing something "
        "else, or a region that differs, means the picture changed after the thumbnail was written (an "
        "edit that kept the old EXIF block). A match says only that any edit also rewrote the thumbnail; "
        "some cameras write unusual thumbnails (squeezed, unrotated, letterboxed), handled but not always."
    ),
)
def metadata_thumbnail(ctx: Context) -> Finding:
    raw = ctx.exif()
    err = _unreadable(raw)
    if err:
        return Finding(State.ERROR, f"exiftool could not read the file: {err}")
    if not any(
        k in raw
        for k in (
            "IFD1:ThumbnailImage",
            "IFD0:PreviewImage",
            "ExifIFD:PreviewImage",
            "IFD1:PreviewImage",
            "Photoshop:PhotoshopThumbnail",
            "MPF1:PreviewImage",
            "MPImage2:MPImage",
        )
    ):
        return Finding(
            State.NOT_APPLICABLE, "The file has no embedded thumbnail or preview to compare."
        )
    from .exiftool import bridge

    emb = ctx.cached(
        "embedded_images",
        lambda: bridge().read_one(
            ctx.media.path,
            [
                "-b",
                "-IFD1:ThumbnailImage",
                "-PreviewImage",
                "-Photoshop:PhotoshopThumbnail",
                "-IFD0:Orientation",
            ],
        ),
    )
    main = ctx.media.rgb()
    orientation = raw.get("IFD0:Orientation")
    compared: list[dict[str, Any]] = []
    best = None
    for tag in (
        "IFD1:ThumbnailImage",
        "IFD0:PreviewImage",
        "ExifIFD:PreviewImage",
        "IFD1:PreviewImage",
        "MakerNotes:PreviewImage",
        "Photoshop:PhotoshopThumbnail",
    ):
        if tag not in emb:
            continue
        ctx.check_time()
        thumb = _decode_embedded(emb[tag])
        if thumb is None:
            compared.append({"tag": tag, "error": "could not decode the embedded image"})
            continue
        # Photoshop thumbnails are written upright; EXIF ones are stored like the main image.
        upright = (
            thumb
            if tag.startswith("Photoshop:")
            else orient(thumb, orientation if isinstance(orientation, int) else None)
        )
        cmp = compare_thumbnail(main, upright)
        compared.append(
            {"tag": tag, "size": [int(upright.shape[1]), int(upright.shape[0])], **cmp.to_dict()}
        )
        if best is None or (cmp.verdict != "match" and best[1].verdict == "match"):
            best = (tag, cmp, upright)
    details: dict[str, Any] = {"compared": compared}
    if best is None:
        return Finding(
            State.INCONCLUSIVE,
            "An embedded thumbnail is present but could not be decoded.",
            details=details,
        )
    tag, cmp, upright = best
    if cmp.verdict == "too_small":
        return Finding(
            State.INCONCLUSIVE, f"The embedded {tag} is too small to compare.", details=details
        )
    art = ctx.save_image(
        "side_by_side",
        side_by_side(main, upright, cmp.diff_map),
        "image",
        caption=f"{tag} | picture | difference",
    )
    if cmp.verdict == "match":
        return Finding(
            State.NOT_FOUND,
            f"The embedded {tag} matches the picture (SSIM {cmp.ssim:.2f}).",
            score=0.0,
            details=details,
            artifacts=[art],
        )
    words = {
        "different_picture": "shows a different picture",
        "cropped_or_reframed": "shows a differently framed or different picture (cropped after capture?)",
        "local_change": f"differs locally ({cmp.local_change_fraction:.1%} of blocks)",
    }[cmp.verdict]
    score = float(np.clip(1.0 - cmp.ssim, 0.3, 0.95)) if cmp.verdict != "local_change" else 0.6
    return Finding(
        State.FOUND,
        f"The embedded {tag} {words} (SSIM {cmp.ssim:.2f}): the picture changed after "
        "the thumbnail was written, or the camera wrote an unusual thumbnail.",
        score=score,
        details=details,
        artifacts=[art],
    )


@register(
    "metadata.stripped",
    Question.SOURCE,
    version="1",
    applies_to=("image", "video"),
    budget_s=30,
    caveat=(
        "Looks for signs that metadata was removed or the file re-encoded (no EXIF, camera fields gone, "
        "resized after the EXIF block was written, platform markers such as Facebook's FBMD). Most "
        "platforms strip metadata on upload, so this describes the copy's path, not the picture's truth."
    ),
)
def metadata_stripped(ctx: Context) -> Finding:
    raw = ctx.exif()
    err = _unreadable(raw)
    if err:
        return Finding(State.ERROR, f"exiftool could not read the file: {err}")
    w, h = ctx.media.width, ctx.media.height
    signs = find_signs(raw, w, h, ctx.media.kind)
    details = {"signs": [s.to_dict() for s in signs]}
    if not signs:
        return Finding(
            State.NOT_FOUND,
            "Camera metadata looks intact: no sign of stripping or re-encoding.",
            details=details,
        )
    score = max(s.weight for s in signs)
    return Finding(State.FOUND, " ".join(s.text for s in signs[:3]), score=score, details=details)


def _c2pa(ctx: Context) -> ManifestReport:
    trust = ctx.options.extra.get("c2pa_trust") if isinstance(ctx.options.extra, dict) else None
    return ctx.cached("c2pa_manifest", lambda: read_manifest(ctx.media.path, trust=trust))


@register(
    "c2pa.manifest",
    Question.SOURCE,
    version="1",
    applies_to=("image", "video"),
    budget_s=60,
    parameters={"max_ingredient_depth": MAX_INGREDIENT_DEPTH, "offline": True},
    caveat=(
        "Reads Content Credentials (C2PA) with the reference SDK, offline. Three different states: Invalid "
        "(something failed: changed after signing, bad signature, tampered assertion), Valid (intact but "
        "signed by a certificate this installation does not trust: anyone can make one), Trusted (intact "
        "and signed by a configured trust anchor). Credentials say who signed what was declared, not that "
        "the content is true; a missing manifest proves nothing (most platforms strip it)."
    ),
)
def c2pa_manifest(ctx: Context) -> Finding:
    rep = _c2pa(ctx)
    details = rep.to_dict()
    if not rep.present and rep.error:
        return Finding(
            State.ERROR,
            f"Could not read the file for Content Credentials: {rep.error}",
            details=details,
        )
    if not rep.present:
        return Finding(
            State.NOT_FOUND, "No Content Credentials (C2PA manifest) in the file.", details=details
        )
    if rep.error:
        return Finding(
            State.INCONCLUSIVE,
            f"Content Credentials are present but could not be read: {rep.error}",
            details=details,
        )
    state = rep.validation_state or "unknown"
    signer = (
        (rep.signer or {}).get("common_name")
        or (rep.signer or {}).get("issuer")
        or "unknown signer"
    )
    bits = [f"Content Credentials found: validation {state}"]
    if state == "Valid":
        bits.append("(intact, but the signer is not on this installation's trust list)")
    elif state == "Trusted":
        bits.append("(intact, signer on the trust list)")
    elif state == "Invalid":
        codes = [
            c for c in rep.failure_codes if c != "signingCredential.untrusted"
        ] or rep.failure_codes
        bits.append(f"({', '.join(codes[:4])})")
    bits.append(f"; signed by {signer!s}" + (f" at {rep.signing_time}" if rep.signing_time else ""))
    if rep.claim_generator:
        bits.append(f"with {rep.claim_generator}")
    if rep.actions:
        acts = sorted({a["action"] or "?" for a in rep.actions})
        bits.append(f"; actions: {', '.join(acts[:6])}")
    if rep.ingredients:
        bits.append(f"; {len(rep.ingredients)} ingredient(s)")
    score = {"Invalid": 0.9, "Valid": 0.5, "Trusted": 0.8}.get(state)
    return Finding(
        State.FOUND, " ".join(bits).replace(" ;", ";") + ".", score=score, details=details
    )


@register(
    "source.ai_declaration",
    Question.SOURCE,
    version="1",
    applies_to=("image", "video"),
    budget_s=60,
    after=("c2pa.manifest",),
    caveat=(
        "Finds declared generation or AI editing: IPTC Digital Source Type (full vocabulary, retired terms "
        "too), C2PA digital source types, image-generator PNG text chunks (Stable Diffusion web UIs, "
        "ComfyUI) and generator software names. It finds declarations only: most AI images carry none "
        "(metadata is stripped on upload), so 'not found' never means 'not AI'."
    ),
)
def source_ai_declaration(ctx: Context) -> Finding:
    raw = ctx.exif()
    err = _unreadable(raw)
    if err:
        return Finding(State.ERROR, f"exiftool could not read the file: {err}")
    c2 = ctx.results.get("c2pa.manifest")
    dst: list[tuple[str, str]] = []
    if c2 is not None:
        for item in (c2.details.get("digital_source_types") or [])[:50]:
            if isinstance(item, dict) and item.get("value"):
                dst.append((str(item.get("where")), str(item.get("value"))))
    decls = find_declarations(raw, dst)
    details: dict[str, Any] = {"declarations": [d.to_dict() for d in decls]}
    params = raw.get("PNG:Parameters")
    if params is not None and any(d.source == "PNG:Parameters" for d in decls):
        details["generation_parameters"] = parse_a1111_parameters(str(params))
    if is_ai_declared(decls):
        ai = [d for d in decls if d.ai in ("generated", "composite", "algorithmic")]
        return Finding(
            State.FOUND,
            "The file declares generated or AI-edited content: "
            + "; ".join(f"{d.label} [{d.source}]" for d in ai[:3])
            + ".",
            score=0.9,
            details=details,
        )
    enhanced = [d for d in decls if d.ai == "enhanced"]
    if enhanced:
        return Finding(
            State.FOUND,
            "The file declares algorithmic alteration: "
            + "; ".join(f"{d.label} [{d.source}]" for d in enhanced[:3])
            + ".",
            score=0.5,
            details=details,
        )
    none = [d for d in decls if d.ai == "none"]
    if none:
        return Finding(
            State.NOT_FOUND,
            "No AI declaration; the file declares "
            + "; ".join(f"{d.label} [{d.source}]" for d in none[:2])
            + " (a declaration, not proof).",
            details=details,
        )
    return Finding(
        State.NOT_FOUND,
        "No declaration of generation or AI editing in the file (absence is not "
        "evidence that it is camera-made).",
        details=details,
    )
