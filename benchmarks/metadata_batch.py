"""Metadata of 1,000 JPEGs: the batch bridge vs. one exiftool process per file.

Side by side in one run, on the same 1,000 files (real camera photos from
../shared/data copied and re-encoded into a temporary folder, EXIF kept):

- ``per-file``: ``exiftool -j -G1 -n FILE`` started once per file (what a shell loop or a
  naive script does), JSON parsed, then normalised;
- ``one call``: a single ``exiftool -j -G1 -n FILE...`` over all files (the fastest plain
  exiftool use, but one bad file's output and all memory in one go);
- ``bridge``: verilens' long-running ``-stay_open`` exiftool, 32 files per call, then
  normalised;
- ``bridge xN``: the batch reader ``verilens metadata`` uses, one long-running exiftool
  per core (``verilens.metadata.batch.read_many``).

The three must agree: the normalised summary of every file is compared.

    .venv/bin/python benchmarks/metadata_batch.py [--n 1000] [--quick]

``--quick`` uses 200 files. Writes docs/benchmarks/metadata_batch.md and .json.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
DATA = Path(os.environ.get("VERILENS_SHARED_DATA", ROOT.parent / "shared" / "data"))


def sources() -> list[Path]:
    files = sorted((DATA / "media-samples" / "jpg").glob("*.jpg"))
    files += sorted((DATA / "exif-samples" / "jpg").glob("*.jpg"))
    files += sorted((DATA / "exif-samples" / "jpg" / "gps").glob("*.jpg"))
    return [f for f in files if f.stat().st_size < 8_000_000]


def make_corpus(dest: Path, n: int) -> list[Path]:
    """``n`` JPEGs: every other one a byte copy, the rest re-encoded at 640 px with EXIF kept."""
    src = sources()
    if not src:
        sys.exit(f"no source photos under {DATA}")
    out = []
    for i in range(n):
        s = src[i % len(src)]
        d = dest / f"{i:04d}-{s.stem[:40].replace(' ', '_')}.jpg"
        if i % 2 == 0:
            shutil.copyfile(s, d)
        else:
            try:
                with Image.open(s) as im:
                    exif = im.info.get("exif", b"")
                    im = im.convert("RGB")
                    im.thumbnail((640, 640))
                    buf = io.BytesIO()
                    im.save(buf, format="JPEG", quality=85, exif=exif)
                d.write_bytes(buf.getvalue())
            except Exception:
                shutil.copyfile(s, d)
        out.append(d)
    return out


ARGS = ["-G1", "-n", "-j", "-api", "largefilesupport=1", "-charset", "filename=utf8"]


def _cpu() -> float:
    """CPU seconds used so far by this process and its finished child processes (user + system)."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def per_file(files: list[Path]) -> list[dict]:
    rows = []
    for f in files:
        p = subprocess.run(["exiftool", *ARGS, str(f)], capture_output=True, text=True, check=False)
        rows.append(json.loads(p.stdout)[0] if p.stdout.strip() else {"ExifTool:Error": p.stderr})
    return rows


def one_call(files: list[Path]) -> list[dict]:
    p = subprocess.run(
        ["exiftool", *ARGS, *map(str, files)], capture_output=True, text=True, check=False
    )
    by = {r["SourceFile"]: r for r in json.loads(p.stdout)}
    return [by.get(str(f), {}) for f in files]


def bridge_read(files: list[Path]) -> list[dict]:
    """One long-running exiftool (the shared bridge), 32 files per call."""
    from verilens.metadata.batch import read_many

    return read_many(files, workers=1)


def pool_read(files: list[Path]) -> list[dict]:
    """The batch reader ``verilens metadata`` uses: one long-running exiftool per core."""
    from verilens.metadata.batch import read_many

    return read_many(files)


def render(out: dict) -> None:
    """Write docs/benchmarks/metadata_batch.json and .md from a result dict."""
    n = out["files"]
    results = out["results"]
    workers = out["exiftool_workers"]
    speedup = out["batch_speedup_vs_per_file"]
    speedup_single = out["single_bridge_speedup_vs_per_file"]
    cpu_speedup = out["batch_cpu_saving_vs_per_file"]
    agree = out["outputs_agree"]
    quick = out["mode"] == "quick"
    docs = ROOT / "docs" / "benchmarks"
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "metadata_batch.json").write_text(json.dumps(out, indent=2) + "\n")
    lines = [
        "# Metadata of many JPEGs: batch bridge vs. one exiftool per file",
        "",
        f"{n} JPEGs (real camera photos from ../shared/data, half byte copies, half re-encoded at 640 px "
        "with EXIF kept), read and normalised (`normalise()`), on a shared 2-core machine.",
        "",
        "| method | wall s | files/s | wall vs. batch reader | CPU s | CPU vs. batch reader |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['seconds']:.2f} | {r['files_per_s']:.1f} | {r['ratio_vs_bridge']:.2f}x | "
            f"{r['cpu_seconds']:.2f} | {r['cpu_ratio_vs_bridge']:.2f}x |"
        )
    lines += [
        "",
        f"**The batch reader ({workers} long-running exiftool processes) is {speedup:.1f}x faster than one "
        f"exiftool process per file** (target >= 10x: {'met' if speedup >= 10 else 'NOT met'}); a single "
        f"long-running process alone is {speedup_single:.1f}x faster. In CPU time (user + system, exiftool "
        f"included, robust to the other jobs on this machine) one process per file costs {cpu_speedup:.1f}x "
        f"the batch reader. Normalised summaries of all methods agree: {agree}.",
        "",
        "What bounds the ratio: exiftool itself spends about 7-10 ms of CPU per camera JPEG (maker notes, "
        "composite tags) against about 80 ms to start Perl and load its modules, so a reader that keeps "
        "exiftool's full output gains about 10x in CPU; the wall-time ratio above that comes from running two "
        "exiftool processes on two cores. `one call` (plain exiftool given all names at once) is the "
        f"single-process floor. Load average at the end of the run: {os.getloadavg()[0]:.1f}.",
        "",
        "`one call` cannot serve files one at a time as they arrive (the pipeline's case), holds all output "
        "in memory, and one hostile file stalls the whole call; the bridge kills and restarts exiftool after "
        "its per-call timeout and keeps going.",
        "",
        f"Reproduce: `.venv/bin/python benchmarks/metadata_batch.py{' --quick' if quick else ''}` "
        f"(run {out['date']}, exiftool {out['machine']['exiftool']}; `--render` rewrites this page from the "
        "JSON).",
    ]
    (docs / "metadata_batch.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--quick", action="store_true", help="200 files")
    ap.add_argument(
        "--render", action="store_true", help="only rewrite the .md from the existing .json"
    )
    args = ap.parse_args()
    if args.render:
        render(json.loads((ROOT / "docs" / "benchmarks" / "metadata_batch.json").read_text()))
        return
    n = 200 if args.quick else args.n
    from verilens.metadata.exiftool import bridge
    from verilens.metadata.normalise import normalise

    with tempfile.TemporaryDirectory(prefix="vl-bench-meta-") as tmp:
        files = make_corpus(Path(tmp), n)
        from verilens.metadata.batch import close_pool, default_workers

        bridge().close()  # start-up is part of the bridge's cost: started inside the timing
        workers = default_workers()
        results: dict[str, dict] = {}
        summaries: dict[str, list] = {}
        pool_name = f"bridge x{workers}"
        for name, fn in (
            ("bridge", bridge_read),
            (pool_name, pool_read),
            ("one call", one_call),
            ("per-file", per_file),
        ):
            bridge().close()
            close_pool()
            c0 = _cpu()
            t0 = time.perf_counter()
            rows = fn(files)
            norm = [normalise(r) for r in rows]
            dt = time.perf_counter() - t0
            bridge().close()  # exiftool's CPU time is counted once the process has exited
            close_pool()
            cpu = _cpu() - c0
            results[name] = {
                "seconds": round(dt, 3),
                "files_per_s": round(n / dt, 1),
                "cpu_seconds": round(cpu, 3),
            }
            summaries[name] = [json.dumps(m["summary"], sort_keys=True) for m in norm]
            print(
                f"{name:9s} {dt:8.2f} s  {n / dt:8.1f} files/s  cpu {cpu:8.2f} s", file=sys.stderr
            )
        bridge().close()
    agree = (
        summaries[pool_name]
        == summaries["bridge"]
        == summaries["per-file"]
        == summaries["one call"]
    )
    base = results[pool_name]["seconds"]
    cbase = results[pool_name]["cpu_seconds"]
    for r in results.values():
        r["ratio_vs_bridge"] = round(r["seconds"] / base, 2)
        r["cpu_ratio_vs_bridge"] = round(r["cpu_seconds"] / cbase, 2)
    cpu_speedup = results["per-file"]["cpu_seconds"] / cbase
    speedup = results["per-file"]["seconds"] / base
    speedup_single = results["per-file"]["seconds"] / results["bridge"]["seconds"]
    out = {
        "benchmark": "metadata_batch",
        "files": n,
        "mode": "quick" if args.quick else "full",
        "results": results,
        "batch_speedup_vs_per_file": round(speedup, 1),
        "single_bridge_speedup_vs_per_file": round(speedup_single, 1),
        "batch_cpu_saving_vs_per_file": round(cpu_speedup, 1),
        "exiftool_workers": workers,
        "target": ">= 10x faster than one exiftool process per file",
        "met": speedup >= 10,
        "outputs_agree": agree,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "exiftool": subprocess.run(
                ["exiftool", "-ver"], capture_output=True, text=True
            ).stdout.strip(),
        },
        "command": "python benchmarks/metadata_batch.py"
        + (" --quick" if args.quick else f" --n {n}"),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    render(out)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
