"""Speed of the forensic checks on 12-megapixel camera JPEGs, side by side with the usual recipes.

    .venv/bin/python benchmarks/forensics_speed.py [--repeat 5] [--data ../shared/data]

For each 12-MP photo in ../shared/data, in one run and interleaved (so that machine load
hits both sides alike):

* verilens: all forensic checks through the real pipeline (2 checks in parallel, the
  default) and copy-move alone; decoding the file is timed separately;
* the recipes a user would otherwise run: full-resolution colour ELA (Pillow re-save at
  quality 90, as in the common scripts), Mahdian-Saic noise map with a db8 wavelet
  (PyWavelets, full resolution), and OpenCV copy-move the tutorial way (SIFT on the full
  picture, all keypoints, brute-force 2-NN ratio 0.6, one RANSAC homography, no mask;
  timed once per file: it takes minutes).

Writes docs/benchmarks/forensics_speed.md and .json. Ratios are recipe time / verilens
time (above 1 = verilens faster).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pywt
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from verilens.api import check_item  # noqa: E402
from verilens.forensics.checks import FORENSIC_CHECKS  # noqa: E402
from verilens.intake.media import open_media  # noqa: E402
from verilens.pipeline import Options  # noqa: E402

FILES = ["c2pa-testfiles/image/jpeg/truepic-20230212-library.jpg",
         "exif-samples/jpg/tests/42_IndexError.jpg"]


def recipe_ela(rgb: np.ndarray) -> None:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=90)
    re = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    d = np.abs(rgb.astype(np.int16) - re.astype(np.int16))
    _ = (d * (255.0 / max(int(d.max()), 1))).astype(np.uint8)


def recipe_noise(gray: np.ndarray) -> None:
    _, (_, _, hh) = pywt.dwt2(gray, "db8")
    b = 32
    h, w = hh.shape[0] // b, hh.shape[1] // b
    _ = np.median(np.abs(hh[: h * b, : w * b]).reshape(h, b, w, b), axis=(1, 3)) / 0.6745


def recipe_copy_move(gray: np.ndarray) -> None:
    sift = cv2.SIFT_create()
    kp, des = sift.detectAndCompute(gray.astype(np.uint8), None)
    if des is None or len(kp) < 3:
        return
    m = cv2.BFMatcher(cv2.NORM_L2).knnMatch(des, des, k=3)
    pairs = [(a.queryIdx, b.trainIdx) for a, b, c in (x for x in m if len(x) == 3) if b.distance < 0.6 * c.distance]
    if len(pairs) >= 4:
        src = np.float32([kp[i].pt for i, _ in pairs])
        dst = np.float32([kp[j].pt for _, j in pairs])
        cv2.findHomography(src, dst, cv2.RANSAC, 5.0)


def timed(fn, *a) -> float:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    fn(*a)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    args = ap.parse_args()
    data = Path(args.data)
    out = Path("/tmp") / f"vl-speed-{os.getpid()}"
    rows = []
    for rel in FILES:
        p = data / rel
        if not p.is_file():
            continue
        t: dict[str, list[float]] = {k: [] for k in ("decode", "all_checks", "all_checks_cpu", "copy_move",
                                                      "copy_move_cpu", "recipe_ela",
                                                      "recipe_noise", "recipe_copy_move")}
        per_check: dict[str, list[float]] = {}
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            item = open_media(p)
            item.rgb()
            t["decode"].append(time.perf_counter() - t0)
            t0, c0 = time.perf_counter(), time.process_time()
            rep = check_item(item, options=Options(checks=set(FORENSIC_CHECKS), parallel=2), out=out)
            t["all_checks"].append(time.perf_counter() - t0)
            t["all_checks_cpu"].append(time.process_time() - c0)
            for c in rep.checks:
                per_check.setdefault(c.id, []).append(c.duration_s)
            item2 = open_media(p)
            item2.rgb()
            t0, c0 = time.perf_counter(), time.process_time()
            check_item(item2, options=Options(checks={"forensics.copy_move"}, parallel=1), out=out)
            t["copy_move"].append(time.perf_counter() - t0)
            t["copy_move_cpu"].append(time.process_time() - c0)
            rgb = np.asarray(item.rgb())
            gray = item.gray()
            t["recipe_ela"].append(timed(recipe_ela, rgb))
            t["recipe_noise"].append(timed(recipe_noise, gray))
            if not t["recipe_copy_move"]:  # minutes per run on 12 MP: timed once
                t["recipe_copy_move"].append(timed(recipe_copy_move, gray))
        med = {k: statistics.median(v) for k, v in t.items()}
        w, h = item.width or 0, item.height or 0
        row = {"file": rel, "megapixels": round(w * h / 1e6, 1), **{k: round(v, 3) for k, v in med.items()},
               "per_check_median_s": {k: round(statistics.median(v), 3) for k, v in per_check.items()}}
        row["ratio_ela"] = round(med["recipe_ela"] / max(row["per_check_median_s"]["forensics.ela"], 1e-6), 2)
        row["ratio_noise"] = round(med["recipe_noise"] / max(row["per_check_median_s"]["forensics.noise"], 1e-6), 2)
        row["ratio_copy_move"] = round(med["recipe_copy_move"] / max(med["copy_move"], 1e-6), 2)
        rows.append(row)
        print(json.dumps(row), flush=True)
    try:
        load = os.getloadavg()
    except OSError:
        load = (float("nan"),) * 3
    doc = {"rows": rows, "repeat": args.repeat, "cpus": os.cpu_count(), "load_average": load,
           "machine": f"{platform.machine()}, Python {platform.python_version()}"}
    dest = ROOT / "docs" / "benchmarks"
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "forensics_speed.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    lines = ["# Forensic checks: speed on 12-MP JPEGs", "",
             f"Command: `.venv/bin/python benchmarks/forensics_speed.py --repeat {args.repeat}`. "
             f"{os.cpu_count()} CPUs, load average during the run {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
             "(the machine is shared; medians of interleaved runs). Times in seconds; decoding the file "
             "(intake) is shown apart. CPU = CPU-seconds of the process over all its threads: the work "
             "itself, which machine load does not inflate (on an idle 2-core machine wall time is at least "
             "CPU / 2).", "",
             "| file | MP | decode | all forensic checks: wall (CPU) | copy-move alone: wall (CPU) | recipe ELA / ours | "
             "recipe noise (db8) / ours | recipe copy-move (full-res SIFT) / ours |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        pc = r["per_check_median_s"]
        lines.append(f"| {Path(r['file']).name} | {r['megapixels']} | {r['decode']:.2f} | {r['all_checks']:.2f} "
                     f"({r['all_checks_cpu']:.2f}) | {r['copy_move']:.2f} ({r['copy_move_cpu']:.2f}) | {r['recipe_ela']:.2f} / {pc['forensics.ela']:.2f} "
                     f"(×{r['ratio_ela']}) | {r['recipe_noise']:.2f} / {pc['forensics.noise']:.2f} "
                     f"(×{r['ratio_noise']}) | {r['recipe_copy_move']:.2f} / {r['copy_move']:.2f} "
                     f"(×{r['ratio_copy_move']}) |")
    if rows:
        lines += ["", "Per-check medians (s): " + "; ".join(
            f"{k.split('.')[1]} {statistics.median(r['per_check_median_s'][k] for r in rows):.2f}"
            for k in rows[0]["per_check_median_s"]),
            f"Median over files: all checks {statistics.median(r['all_checks'] for r in rows):.2f} s wall "
            f"({statistics.median(r['all_checks_cpu'] for r in rows):.2f} CPU-s), copy-move alone "
            f"{statistics.median(r['copy_move'] for r in rows):.2f} s wall "
            f"({statistics.median(r['copy_move_cpu'] for r in rows):.2f} CPU-s). Per-check times overlap (two "
            "checks run at once) and include waiting for the CPU.", ""]
    (dest / "forensics_speed.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
