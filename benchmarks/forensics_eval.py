"""Evaluate the forensic checks on forgeries built from real camera photos.

    .venv/bin/python benchmarks/forensics_eval.py [--quick] [--seed N] [--out DIR] [--data ../shared/data]

Test set (all from the real photos in ../shared/data, never from the project's own fixtures):

* originals: untouched camera/phone JPEGs (files written by editors are left out), run as
  they are -> image-level false-positive rate (FPR) of every check;
* copy-move: from an 8-aligned crop (at most 1600x1200, so that the camera's JPEG grid is
  kept), an irregular textured region is copied with translation, rotation, scaling or
  mirroring, then saved as JPEG at quality 80..95 -> image-level true-positive rate (TPR)
  and pixel F1 of the copy-move mask against the exact ground truth;
* splices: an irregular region of another photo (rescaled 0.6..1.0) pasted into the crop,
  saved at quality 75..92 -> TPR of every check.

Every file goes through the real pipeline (``verilens.api.check_item`` with the forensic
checks selected). Writes forensics_eval.md and .json to docs/benchmarks (or ``--out``): the
published numbers are those of the default seed; other seeds draw other forgeries from the
same originals, to see how far the numbers move.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from verilens.api import check_item  # noqa: E402
from verilens.forensics.checks import FORENSIC_CHECKS  # noqa: E402
from verilens.forensics.synth import copy_move, pixel_f1, splice  # noqa: E402
from verilens.intake.media import open_media  # noqa: E402
from verilens.pipeline import Options  # noqa: E402

CHECKS = [c for c in FORENSIC_CHECKS if c != "forensics.learned"]
EDITED = ("lightroom", "photoshop", "issue 173", "flir", "multiple icc")


def originals(data: Path) -> list[Path]:
    pats = ["media-samples/jpg/*.jpg", "exif-samples/jpg/mobile/*.jpg", "exif-samples/jpg/hdr/*.jpg",
            "exif-samples/jpg/exif-org/*.jpg", "exif-samples/jpg/gps/*.jpg", "exif-samples/jpg/tests/*.jp*g",
            "c2pa-testfiles/image/jpeg/truepic-*.jpg", "c2pa-testfiles/image/jpeg/nikon-*.jpeg",
            "exif-samples/jpg/Reconyx*.jpg"]
    out = []
    for pat in pats:
        for p in sorted(data.glob(pat)):
            if any(k in p.name.lower() for k in EDITED):
                continue
            try:
                with Image.open(p) as im:
                    if min(im.size) < 400 or im.mode != "RGB":
                        continue
                    sw = str(im.getexif().get(0x0131, "")).lower()
                    if any(k in sw for k in ("photoshop", "lightroom", "gimp")):
                        continue
            except Exception:
                continue
            out.append(p)
    seen, uniq = set(), []
    for p in out:  # the corpora share some files
        key = p.stat().st_size
        if key not in seen:
            seen.add(key)
            uniq.append(p)
    return uniq


def crop(p: Path, rng: np.random.Generator, max_w: int = 1600, max_h: int = 1200) -> np.ndarray:
    with Image.open(p) as im:
        rgb = np.asarray(im.convert("RGB"))
    h, w = rgb.shape[:2]
    cw, ch = min(w, max_w) // 8 * 8, min(h, max_h) // 8 * 8
    y0 = int(rng.integers(0, (h - ch) // 8 + 1)) * 8
    x0 = int(rng.integers(0, (w - cw) // 8 + 1)) * 8
    return rgb[y0:y0 + ch, x0:x0 + cw]


def transform_kind(params: dict) -> str:
    """The transform a copy-move forgery used, as named in the report."""
    if params["mirror"]:
        return "mirror"
    rot, scl = bool(params["rotation"]), params["scale"] != 1.0
    return "rotation+scaling" if rot and scl else "rotation" if rot else "scaling" if scl else "translation"


def run(path: Path, out: Path) -> dict:
    item = open_media(path)
    t = time.perf_counter()
    rep = check_item(item, options=Options(checks=set(CHECKS), parallel=2), out=out)
    total = time.perf_counter() - t
    res = {c.id: {"state": c.state.value, "duration_s": c.duration_s, "score": c.score,
                  "details": {k: v for k, v in c.details.items()
                              if k not in ("qtables", "markers", "signatures", "clones", "qualities",
                                           "period_strengths", "timings_s")},
                  "mask": next((a.path for a in c.artifacts if a.kind.value == "mask"), None)} for c in rep.checks}
    res["_total_s"] = total
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="12 originals instead of all")
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--seed", type=int, default=20240417)
    ap.add_argument("--out", default=str(ROOT / "docs" / "benchmarks"), help="directory for the .md and .json")
    args = ap.parse_args()
    data = Path(args.data)
    rng = np.random.default_rng(args.seed)
    files = originals(data)
    if args.quick:
        files = files[:: max(1, len(files) // 12)][:12]
    print(f"{len(files)} untouched originals", flush=True)
    rows: list[dict] = []
    f1s: list[float] = []
    tmp = Path(tempfile.mkdtemp(prefix="vl-eval-"))
    cm_kinds = [dict(rotation=0.0, scale=1.0, mirror=False), dict(rotation=float(rng.uniform(10, 60)), scale=1.0),
                dict(rotation=0.0, scale=float(rng.uniform(0.8, 1.25))), dict(mirror=True),
                dict(rotation=float(rng.uniform(5, 30)), scale=float(rng.uniform(0.85, 1.15)))]
    for i, p in enumerate(files):
        r = run(p, tmp / "out")
        rows.append({"set": "original", "file": str(p.relative_to(data)), **r})
        base = crop(p, rng)
        for j in range(2):
            kind = dict(cm_kinds[(2 * i + j) % len(cm_kinds)])
            if kind.get("rotation"):
                kind["rotation"] = float(rng.uniform(10, 60))
            if kind.get("scale", 1.0) != 1.0:  # a scale of its own for every forgery
                kind["scale"] = float(rng.uniform(0.8, 1.25))
            fg = copy_move(base, rng, size_frac=float(rng.uniform(0.1, 0.22)), **kind)
            q = int(rng.integers(80, 96))
            fp = tmp / f"cm_{i}_{j}.jpg"
            Image.fromarray(fg.rgb).save(fp, "JPEG", quality=q)
            r = run(fp, tmp / "out")
            m = r["forensics.copy_move"]["mask"]
            pred = np.asarray(Image.open(m)) if m else np.zeros(fg.mask.shape, np.uint8)
            f1 = pixel_f1(pred, fg.mask)
            f1s.append(f1)
            tp = float(((pred > 0) & fg.mask).sum())
            rows.append({"set": "copy_move", "file": str(p.relative_to(data)), "params": {**fg.params, "quality": q},
                         "pixel_f1": round(f1, 4), "pixel_precision": round(tp / max(float((pred > 0).sum()), 1.0), 4),
                         "pixel_recall": round(tp / max(float(fg.mask.sum()), 1.0), 4), **r})
        donor_path = files[(i + 1 + int(rng.integers(0, len(files) - 1))) % len(files)]
        donor = crop(donor_path, rng, 1200, 900)
        s = float(rng.uniform(0.6, 1.0))
        donor = np.asarray(Image.fromarray(donor).resize((max(32, int(donor.shape[1] * s)),
                                                          max(32, int(donor.shape[0] * s))), Image.BICUBIC))
        fg = splice(base, donor, rng, size_frac=float(rng.uniform(0.2, 0.35)))
        q = int(rng.integers(75, 93))
        fp = tmp / f"sp_{i}.jpg"
        Image.fromarray(fg.rgb).save(fp, "JPEG", quality=q)
        r = run(fp, tmp / "out")
        rows.append({"set": "splice", "file": str(p.relative_to(data)), "donor": str(donor_path.relative_to(data)),
                     "params": {**fg.params, "quality": q, "donor_scale": round(s, 3)}, **r})
        print(f"[{i + 1}/{len(files)}] {p.name}: orig {r['_total_s']:.1f}s, cm F1 {f1s[-2]:.2f}/{f1s[-1]:.2f}",
              flush=True)

    def rate(set_name: str, cid: str) -> tuple[float, int]:
        rs = [r for r in rows if r["set"] == set_name]
        return (sum(r[cid]["state"] == "found" for r in rs) / max(len(rs), 1), len(rs))

    table = []
    for cid in CHECKS:
        fpr, n0 = rate("original", cid)
        tcm, n1 = rate("copy_move", cid)
        tsp, n2 = rate("splice", cid)
        durs = [r[cid]["duration_s"] for r in rows]
        states = {}
        for r in rows:
            if r["set"] == "original":
                states[r[cid]["state"]] = states.get(r[cid]["state"], 0) + 1
        table.append({"check": cid, "fpr_originals": round(fpr, 3), "tpr_copy_move": round(tcm, 3),
                      "tpr_splice": round(tsp, 3), "median_s": round(statistics.median(durs), 3),
                      "states_on_originals": states})
    cm_rows = [r for r in rows if r["set"] == "copy_move"]
    detected = [r["pixel_f1"] for r in cm_rows if r["forensics.copy_move"]["state"] == "found"]
    by_kind = []
    for name in ("translation", "rotation", "scaling", "rotation+scaling", "mirror"):
        rs = [r for r in cm_rows if transform_kind(r["params"]) == name]
        det = [r for r in rs if r["forensics.copy_move"]["state"] == "found"]
        if rs:
            by_kind.append({"transform": name, "n": len(rs), "tpr": round(len(det) / len(rs), 3),
                            "pixel_f1_all": round(float(np.mean([r["pixel_f1"] for r in rs])), 4),
                            "pixel_f1_detected": round(float(np.mean([r["pixel_f1"] for r in det])), 4) if det else None,
                            "precision_detected": round(float(np.mean([r["pixel_precision"] for r in det])), 4) if det else None,
                            "recall_detected": round(float(np.mean([r["pixel_recall"] for r in det])), 4) if det else None})
    summary = {
        "originals": len(files), "copy_move_forgeries": len(cm_rows),
        "splices": sum(r["set"] == "splice" for r in rows),
        "copy_move_pixel_f1_mean_all": round(float(np.mean(f1s)), 4) if f1s else None,
        "copy_move_pixel_f1_mean_detected": round(float(np.mean(detected)), 4) if detected else None,
        "any_check_fpr": round(sum(any(r[c]["state"] == "found" for c in CHECKS) for r in rows
                                   if r["set"] == "original") / max(len(files), 1), 3),
        "median_total_s": round(statistics.median(r["_total_s"] for r in rows), 3),
        "quick": args.quick, "seed": args.seed, "machine": f"{platform.machine()}, {platform.python_version()}",
    }
    doc = {"summary": summary, "checks": table, "copy_move_by_transform": by_kind, "rows": rows}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "forensics_eval.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    lines = ["# Forensic checks on forgeries built from real photos", "",
             f"Command: `.venv/bin/python benchmarks/forensics_eval.py{' --quick' if args.quick else ''}"
             f"{f' --seed {args.seed}' if args.seed != ap.get_default('seed') else ''}` (seed {args.seed}). Originals: untouched camera/phone JPEGs from ../shared/data "
             "(exif-samples, media-samples, c2pa-testfiles camera files; editor-written files excluded), run as they are. "
             "Copy-move: irregular textured region, translation/rotation 10-60°/scale 0.8-1.25 (drawn per forgery)/mirror, "
             "JPEG 80-95. Splice: region of another photo rescaled 0.6-1.0, JPEG 75-92. Crops at most 1600×1200, "
             "8-aligned. Each file runs through the real pipeline (2 checks in parallel).", "",
             f"Originals {summary['originals']}, copy-move forgeries {summary['copy_move_forgeries']}, "
             f"splices {summary['splices']}.", "",
             "| check | FPR on originals | TPR copy-move | TPR splice | median s |", "|---|---|---|---|---|"]
    for t in table:
        lines.append(f"| {t['check']} | {t['fpr_originals']:.1%} | {t['tpr_copy_move']:.1%} | {t['tpr_splice']:.1%} "
                     f"| {t['median_s']:.2f} |")
    lines += ["", f"Copy-move pixel F1 (mean over all copy-move forgeries, misses count 0): "
                  f"**{summary['copy_move_pixel_f1_mean_all']}**; over detected ones: "
                  f"{summary['copy_move_pixel_f1_mean_detected']}.",
              f"Share of originals where at least one check says `found`: {summary['any_check_fpr']:.1%}.", "",
              "Copy-move by transform (pixel precision and recall over the detected forgeries; a missed forgery "
              "counts 0 in the F1 over all):", "",
              "| transform | forgeries | TPR | pixel F1 (all) | pixel F1 (detected) | precision | recall |",
              "|---|---|---|---|---|---|---|",
              *[f"| {k['transform']} | {k['n']} | {k['tpr']:.1%} | {k['pixel_f1_all']:.3f} | "
                f"{k['pixel_f1_detected'] if k['pixel_f1_detected'] is not None else '-'} | "
                f"{k['precision_detected'] if k['precision_detected'] is not None else '-'} | "
                f"{k['recall_detected'] if k['recall_detected'] is not None else '-'} |" for k in by_kind], "",
              f"Median wall time of all checks per file: {summary['median_total_s']} s (machine shared with other "
              "jobs; see forensics_speed.md for the side-by-side speed run).", ""]
    (out / "forensics_eval.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
