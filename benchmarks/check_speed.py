"""Wall time of `verilens check` with the foundation's two checks on a 12-megapixel JPEG.

Side by side in one run: the library call (warm: exiftool already running), the CLI (cold:
a new process each time, as a shell user runs it), and the peer a user would otherwise run
for the same facts, a cold ``exiftool -j -G1 -n`` of the same file.

    .venv/bin/python benchmarks/check_speed.py [--runs 7]

Writes docs/benchmarks/check_speed.md and .json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "examples" / "apple-iphone-6.jpg"
CHECKS = "metadata.basic,forensics.ela"


def make_12mp(dest: Path) -> Path:
    """A 4000 x 3000 JPEG made from a real camera photo, its EXIF kept."""
    with Image.open(SOURCE) as im:
        exif = im.info.get("exif", b"")
        big = im.convert("RGB").resize((4000, 3000), Image.LANCZOS)
    big.save(dest, format="JPEG", quality=92, exif=exif)
    return dest


def timed(fn, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    import verilens
    from verilens.pipeline import Options

    with tempfile.TemporaryDirectory() as tmp:
        path = make_12mp(Path(tmp) / "12mp.jpg")
        out_dir = Path(tmp) / "out"

        def lib() -> None:
            reports = list(verilens.check(path, out=out_dir, options=Options(checks=set(CHECKS.split(",")))))
            assert reports[0].state == "ok", reports[0].error

        lib()  # warm-up: starts exiftool once, as a batch or the web app would
        lib_times = timed(lib, args.runs)
        cli = [sys.executable, "-m", "verilens", "check", str(path), "--json", "--checks", CHECKS, "--out", str(out_dir)]
        cli_times = timed(lambda: subprocess.run(cli, check=True, capture_output=True), max(3, args.runs // 2))
        et_times = timed(lambda: subprocess.run(["exiftool", "-j", "-G1", "-n", str(path)], check=True,
                                                capture_output=True), max(3, args.runs // 2))
    res = {
        "image": "4000x3000 JPEG (12 MP) made from examples/apple-iphone-6.jpg",
        "checks": CHECKS,
        "library_median_s": round(statistics.median(lib_times), 3),
        "cli_cold_median_s": round(statistics.median(cli_times), 3),
        "exiftool_alone_cold_median_s": round(statistics.median(et_times), 3),
        "runs": args.runs,
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores, Python {platform.python_version()}",
    }
    res["cli_vs_exiftool_alone"] = round(res["cli_cold_median_s"] / res["exiftool_alone_cold_median_s"], 2)
    (ROOT / "docs" / "benchmarks").mkdir(parents=True, exist_ok=True)
    (ROOT / "docs" / "benchmarks" / "check_speed.json").write_text(json.dumps(res, indent=2) + "\n")
    md = ["# check speed (foundation checks on 12 MP)", "",
          "`.venv/bin/python benchmarks/check_speed.py` — target: ≤ 1 s median on 2 cores.", "",
          "| measure | median wall time |", "|---|---|",
          f"| library `verilens.check` (exiftool warm), {CHECKS} | {res['library_median_s']} s |",
          f"| CLI `verilens check --json` (new process each run) | {res['cli_cold_median_s']} s |",
          f"| peer: `exiftool -j -G1 -n` alone (new process) | {res['exiftool_alone_cold_median_s']} s |",
          "", f"CLI / exiftool-alone ratio: {res['cli_vs_exiftool_alone']}. {res['machine']}.", ""]
    (ROOT / "docs" / "benchmarks" / "check_speed.md").write_text("\n".join(md))
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
