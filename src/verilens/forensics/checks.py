"""Forensic checks (manipulation question)."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..evidence import ArtifactKind, Finding, Question, State
from ..imaging import display_heatmap
from ..pipeline import Context, register
from .ela import error_level_analysis

ELA_PARAMS = {"quality": 90, "block": 16, "percentile": 99.5, "z_threshold": 8.0, "min_region_frac": 0.005}


@register(
    "forensics.ela",
    Question.MANIPULATION,
    version="1",
    budget_s=30,
    parameters=ELA_PARAMS,
    caveat=(
        "How to read: the heatmap shows how much each part of the picture changes when re-saved "
        "as JPEG, scaled to this picture's own errors. A region much brighter than similar "
        "content elsewhere may have a different compression history (pasted or retouched). "
        "What it cannot show: edges, fine texture and saturated colours are bright in any "
        "photo; a picture recompressed several times (social networks) looks uniform whether "
        "edited or not; a uniform map does not mean unedited."
    ),
)
def ela_check(ctx: Context) -> Finding:
    p = ELA_PARAMS
    res = error_level_analysis(ctx.media.rgb(), quality=p["quality"], block=p["block"], percentile=p["percentile"])
    artifact = ctx.save_image("heatmap", display_heatmap(res.scaled), ArtifactKind.HEATMAP,
                              "ELA: brighter = larger re-save error")
    details = {"mean_error": round(res.mean_error, 3), "scale_p99_5": round(res.scale, 3),
               "max_block_z": round(float(res.block_z.max()), 2), "jpeg": ctx.media.is_jpeg}
    if not ctx.media.is_jpeg:
        return Finding(State.INCONCLUSIVE,
                       f"Heatmap made, but the file is {ctx.media.sniffed.label}, not JPEG: ELA cannot speak "
                       "about its compression history.", details=details, artifacts=[artifact])
    if res.mean_error < 0.5:
        return Finding(State.INCONCLUSIVE,
                       f"Mean re-save error is only {res.mean_error:.2f}: the picture was compressed heavily "
                       "or many times, and ELA cannot separate regions.", details=details, artifacts=[artifact])
    hot = res.block_z > p["z_threshold"]
    labels, n = ndimage.label(hot)
    largest = int(np.bincount(labels.ravel())[1:].max()) if n else 0
    frac = largest / max(hot.size, 1)
    details.update({"hot_regions": int(n), "largest_region_frac": round(frac, 4)})
    score = float(min(1.0, frac / (4 * p["min_region_frac"])))
    if frac >= p["min_region_frac"]:
        return Finding(State.FOUND,
                       f"A region covering {frac:.1%} of the picture re-saves with much higher error than the "
                       "rest; compare it with similar content before reading it as an edit.",
                       score=score, details=details, artifacts=[artifact])
    return Finding(State.NOT_FOUND, "Re-save error is consistent across the picture at this scale.",
                   score=score, details=details, artifacts=[artifact])
