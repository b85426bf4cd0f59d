"""Benchmark: keyframes + hashing on a generated 720p H.264 clip, side by side with
PySceneDetect's own command line on the same file.

    .venv/bin/python benchmarks/video_keyframes.py            # 60 s clip
    .venv/bin/python benchmarks/video_keyframes.py --quick    # 20 s clip

Writes docs/benchmarks/video_keyframes.md and .json. The clip is made in code (PyAV,
libx264): hard cuts at known frames, two cross-dissolves and one long panning shot, so
the cut accuracy of both tools is measured against ground truth in the same run.

verilens: one streaming PyAV decode (frame threads), PySceneDetect's AdaptiveDetector on
point-sampled small frames, keyframes converted to RGB and PDQ-hashed, near-duplicates
collapsed. Peer: ``scenedetect -i CLIP detect-adaptive list-scenes`` (PySceneDetect 0.6
CLI, OpenCV and PyAV backends), which detects shots only (no keyframes, no hashes); plus
``detect-content`` (the fixed-threshold detector) to show why the adaptive one is used.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.video.synth import Shot, cut_frames, iter_frames, write_video  # noqa: E402

from verilens.video.keyframes import extract_keyframes  # noqa: E402

FPS = 30
W, H = 1280, 720


def make_shots(seconds: float, seed: int = 7) -> list[Shot]:
    """Shots of 1.5–6 s with hard cuts, two dissolves, and one 12 s panning shot."""
    rng = np.random.default_rng(seed)
    shots: list[Shot] = []
    total = 0
    target = int(seconds * FPS)
    k = 0
    while total < target:
        if k == 3:
            n = 12 * FPS
            shots.append(Shot(100 + k, n, pan=(2, 1)))
        else:
            n = int(rng.integers(int(1.5 * FPS), 6 * FPS))
            fade = 15 if k in (5, 9) else 0
            pan = (int(rng.integers(-4, 5)), int(rng.integers(-2, 3)))
            shots.append(Shot(100 + k, n, fade_in=fade, pan=pan))
        total += n
        k += 1
    last = shots[-1]
    shots[-1] = Shot(last.seed, last.frames - (total - target), last.fade_in, last.pan)
    return shots


def score_cuts(found: list[int], truth: list[int], dissolves: list[tuple[int, int]]) -> dict[str, float]:
    """Recall of hard cuts within ±1 frame; false cuts = found cuts matching no hard cut and
    lying outside every dissolve."""
    hit = sum(1 for c in truth if any(abs(c - f) <= 1 for f in found))
    false = [f for f in found if all(abs(c - f) > 1 for c in truth) and not any(a - 2 <= f <= b + 2 for a, b in dissolves)]
    return {"hard_cuts": len(truth), "found_within_1_frame": hit, "recall": round(hit / max(len(truth), 1), 4),
            "false_cuts": len(false)}


def run_ours(path: Path) -> dict[str, object]:
    t0, c0 = time.perf_counter(), time.process_time()
    res = extract_keyframes(path)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"wall_s": wall, "cpu_s": cpu, "frames": res.frames_decoded, "cuts": res.cuts,
            "keyframes": len(res.keyframes), "collapsed": sum(len(k.duplicates) for k in res.keyframes)}


def best_of(runs: list[dict[str, object]]) -> dict[str, object]:
    """The fastest of repeated runs (the one least disturbed by other work on the machine)."""
    key = "processing_s" if runs[0].get("processing_s") is not None else "wall_s"
    best = dict(min(runs, key=lambda r: float(r[key])))  # type: ignore[arg-type]
    best["all_times_s"] = [round(float(r[key]), 3) for r in runs]  # type: ignore[arg-type]
    return best


def run_peer(path: Path, backend: str, detector: str = "detect-adaptive") -> dict[str, object]:
    exe = Path(sys.executable).with_name("scenedetect")
    out = Path(tempfile.mkdtemp(prefix="vl-bench-sd-"))
    cmd = [str(exe), "-i", str(path), "-b", backend, detector, "list-scenes", "-o", str(out),
           "-f", "scenes.csv"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    m = re.search(r"Processed (\d+) frames in ([\d.]+) seconds", proc.stderr + proc.stdout)
    cuts: list[int] = []
    with open(out / "scenes.csv", newline="") as f:
        rows = list(csv.reader(f))
    for row in rows[2:]:
        start_frame = int(row[1])  # 1-based
        if start_frame > 1:
            cuts.append(start_frame - 1)
    return {"wall_s": wall, "cpu_s": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
            "processing_s": float(m.group(2)) if m else None, "frames": int(m.group(1)) if m else None,
            "cuts": cuts}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="20 s clip instead of 60 s")
    ap.add_argument("--preset", default="veryfast", help="libx264 preset of the generated clip")
    ap.add_argument("--repeat", type=int, default=3, help="runs per tool (interleaved); the fastest is reported")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks")
    args = ap.parse_args()
    seconds = 20.0 if args.quick else 60.0
    shots = make_shots(seconds)
    truth = cut_frames(shots)
    dissolves, pos = [], 0
    for s in shots:
        if s.fade_in:
            dissolves.append((pos, pos + s.fade_in))
        pos += s.frames
    work = Path(tempfile.mkdtemp(prefix="vl-bench-video-"))
    clip = work / "clip720p.mp4"
    t0 = time.perf_counter()
    write_video(clip, iter_frames(shots, W, H), fps=FPS, preset=args.preset, crf=23)
    gen_s = time.perf_counter() - t0
    n_frames = sum(s.frames for s in shots)
    print(f"clip: {W}x{H} H.264 ({args.preset}, crf 23), {n_frames} frames = {seconds:.0f} s at {FPS} fps, "
          f"{len(truth)} hard cuts, {len(dissolves)} dissolves; made in {gen_s:.0f} s", file=sys.stderr)
    load = os.getloadavg()

    import pdqhash  # noqa: F401  (imports outside the timing, as the peer's start-up is excluded)
    import scenedetect.detectors  # noqa: F401

    reps: dict[str, list[dict[str, object]]] = {"verilens (keyframes + PDQ)": [],
                                                "scenedetect CLI, OpenCV backend": [],
                                                "scenedetect CLI, PyAV backend": [],
                                                "scenedetect CLI, PyAV backend, detect-content": []}
    for _ in range(args.repeat):  # interleaved, so load changes hit every tool alike
        reps["verilens (keyframes + PDQ)"].append(run_ours(clip))
        reps["scenedetect CLI, OpenCV backend"].append(run_peer(clip, "opencv"))
        reps["scenedetect CLI, PyAV backend"].append(run_peer(clip, "pyav"))
        reps["scenedetect CLI, PyAV backend, detect-content"].append(run_peer(clip, "pyav", "detect-content"))
    runs = {name: best_of(rs) for name, rs in reps.items()}
    ours_wall = float(runs["verilens (keyframes + PDQ)"]["wall_s"])  # type: ignore[arg-type]
    table = []
    for name, r in runs.items():
        wall = float(r["wall_s"])  # type: ignore[arg-type]
        proc_s = r.get("processing_s")
        basis = float(proc_s) if isinstance(proc_s, float) else wall
        acc = score_cuts(list(r["cuts"]), truth, dissolves)  # type: ignore[arg-type]
        row = {"tool": name, "wall_s": round(wall, 3), "processing_s": round(basis, 3),
               "cpu_s": round(float(r["cpu_s"]), 3),  # type: ignore[arg-type]
               "fps": round(n_frames / basis, 1), "x_realtime": round(seconds / basis, 1),
               "ratio_vs_verilens": round(basis / ours_wall, 2), **acc}
        if "keyframes" in r:
            row["keyframes"] = r["keyframes"]
            row["collapsed"] = r["collapsed"]
        row["all_times_s"] = r["all_times_s"]
        table.append(row)
        print(json.dumps(row), file=sys.stderr)
    result = {
        "benchmark": "video_keyframes", "mode": "quick" if args.quick else "full",
        "clip": {"width": W, "height": H, "fps": FPS, "frames": n_frames, "seconds": seconds, "codec": "h264",
                 "preset": args.preset, "crf": 23, "hard_cuts": len(truth), "dissolves": len(dissolves)},
        "machine": {"cpus": os.cpu_count(), "loadavg_at_start": [round(x, 2) for x in load],
                    "python": platform.python_version()},
        "results": table,
        "target": "verilens >= 20x real time on 2 cores",
        "met": table[0]["x_realtime"] >= 20,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "video_keyframes.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        "# Video keyframes benchmark",
        "",
        f"Command: `.venv/bin/python benchmarks/video_keyframes.py{' --quick' if args.quick else ''}` "
        f"({result['mode']} run).",
        "",
        f"Clip made in code: {W}×{H} H.264 (libx264 `{args.preset}`, crf 23), {n_frames} frames = "
        f"{seconds:.0f} s at {FPS} fps, {len(truth)} hard cuts at known frames, {len(dissolves)} "
        "cross-dissolves of 15 frames, one 12 s panning shot. Same file for every tool; "
        f"{args.repeat} interleaved runs per tool, the fastest reported (all times in the .json). Machine: "
        f"{os.cpu_count()} cores shared with other work (load average {load[0]:.1f} at start), so absolute "
        "numbers are noisy and low; the ratios come from the same run. CPU seconds (user + system, all "
        "threads) are the steadier measure on a busy machine.",
        "",
        "Peers run AdaptiveDetector (`detect-adaptive`) unless the row says `detect-content`. "
        "verilens does more than the peer: it also converts every keyframe to RGB, hashes it (PDQ) and "
        "collapses near-duplicates. PySceneDetect's time is its own 'Processed N frames in X seconds' "
        "(start-up excluded); verilens's is the in-process call of `extract_keyframes`.",
        "",
        "| tool | time (s) | CPU (s) | fps | × real time | time ÷ verilens | hard cuts found (±1 frame) | false cuts | keyframes |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in table:
        lines.append(f"| {r['tool']} | {r['processing_s']:.2f} | {r['cpu_s']:.2f} | {r['fps']:.0f} | "
                     f"{r['x_realtime']:.1f} | {r['ratio_vs_verilens']:.2f} | {r['found_within_1_frame']}/"
                     f"{r['hard_cuts']} | {r['false_cuts']} | {r.get('keyframes', '–')} |")
    cpu_x = seconds / max(float(table[0]["cpu_s"]), 1e-9)
    result["x_realtime_per_cpu_second"] = round(cpu_x, 1)
    lines += ["", f"Target ≥ 20× real time on 2 cores: {'met' if result['met'] else 'NOT met'} in wall time "
              f"on this loaded machine ({table[0]['x_realtime']:.1f}×, {table[0]['fps']:.0f} fps); "
              f"per CPU-second verilens processes {cpu_x:.1f} s of video ({n_frames / max(float(table[0]['cpu_s']), 1e-9):.0f} "
              "frames), i.e. two free cores give about twice that.", ""]
    (args.out / "video_keyframes.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "video_keyframes.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
