"""Provenance archive: recall per transform family with 100k distractors, false matches, speed.

Side by side in one run:

* **accuracy** — a transform suite built from the real photos in ../shared/data (resize
  50/25 %, JPEG q30, crop 10/20/30 %, caption bar, border, text overlay, logo overlay,
  mirror, rotate 90°, rotate 5°, brightness/contrast, grayscale, picture in a screenshot),
  searched in an archive holding the originals plus N distractors; recall@1 per family for
  verilens (two stages) and for the peer a user would otherwise run, PDQ alone (the first
  stage: the same hashes, exact search at PDQ's 31-bit threshold, all 8 dihedral variants);
  false-match rate on queries whose original is not in the archive.
* **search speed** — ms per query (first stage only, and both stages) at the archive size
  above; the whole query (both stages, the whole suite again) in a real archive of
  1,000,000 items whose indexes are rebuilt from its catalog; and the first stage alone at
  1,000,000 items: multi-index hashing vs exact flat scan.
* **ingest throughput** — files/s of the whole ingest (sha256, reduced decode, PDQ, ORB,
  thumbnail, catalog commit) vs only decoding the same JPEGs with the same reduced-size
  decoder, interleaved file by file.
* **memory** per million items, measured in a fresh process opening the 1M-item archive.

    .venv/bin/python benchmarks/provenance_search.py            # 100,000 distractors, 1M whole query
    .venv/bin/python benchmarks/provenance_search.py --quick    # 20,000 distractors, 200k whole query
    .venv/bin/python benchmarks/provenance_search.py --ingest-only  # ingest vs decode only, JSON, about 1 min

The 1M-item catalog takes about 10 GB of temporary disk and the rebuild about 8 GB of RAM.

Stress cases, reported apart and not part of the overall figure or the targets: text over
most of the picture in two styles, mirrored pictures cropped or put in a screenshot, and
small photos (160-320 px on the short side, in an archive of their own: the main corpus
keeps its 320 px floor).

Writes docs/benchmarks/provenance_search.md and .json.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import resource
import shutil
import statistics
import struct
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFont, ImageOps

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("VERILENS_SHARED_DATA", ROOT.parent / "shared" / "data"))
OUT = ROOT / "docs" / "benchmarks"
sys.path.insert(0, str(ROOT / "src"))

from verilens.intake.media import sha256_file  # noqa: E402
from verilens.provenance import Archive  # noqa: E402
from verilens.provenance.archive import FEATURES_STORED, SEARCH_PARAMETERS  # noqa: E402
from verilens.provenance.catalog import HashRow, Item, Source, now_iso  # noqa: E402
from verilens.provenance.decode import decode_reduced  # noqa: E402
from verilens.provenance.features import DESC_BYTES, Features, extract_features  # noqa: E402
from verilens.provenance.hashing import hamming, pdq_hash  # noqa: E402
from verilens.provenance.index import BinaryIndex, pdq_index_for, search_threads  # noqa: E402
from verilens.provenance.ingest import Entry, hash_file, ingest  # noqa: E402

FAMILIES = ["resize_50", "resize_25", "jpeg_q30", "crop_10", "crop_20", "crop_30", "caption_bar_15",
            "border_15", "text_overlay", "logo_overlay", "mirror", "rotate_90", "rotate_5",
            "brightness_contrast", "grayscale", "screenshot"]
#: Reported, but not part of the overall figure or the targets: stress cases (text over
#: most of the picture, in two styles), two combinations beyond the suite (mirrored and
#: then cropped or embedded in a screenshot, a common way to slip a repost past matching)
#: and crops between and beyond the suite's (the query's and the archive's keypoint
#: pyramids meet each crop at other scales).
STRESS = ["text_overlay_heavy", "text_overlay_dense", "mirror_crop_20", "mirror_screenshot", "crop_25", "crop_40"]
#: Short side (px) of the small-photo stress set (real photos that small, and reduced copies).
SMALL_SIDE = (160, 320)
CROP_BORDER_OVERLAY = {"crop_10", "crop_20", "crop_30", "caption_bar_15", "border_15", "text_overlay",
                       "logo_overlay", "screenshot"}
EXTS = (".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".tif", ".tiff")
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def current_rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def font(size: int, path: str = FONT) -> Any:
    try:
        return ImageFont.truetype(path, size)
    except OSError:
        return ImageFont.load_default()


# ----------------------------------------------------------------------------- corpus
def load_corpus(limit: int | None) -> list[dict[str, Any]]:
    """Real photos: decodable, at least 320 px on the short side, PDQ quality >= 50,
    near-duplicates removed (PDQ <= 45 bits to one kept, or judged a copy by the archive's
    own two-stage search: the c2pa test files are edits and composites of a few pictures)."""
    files = sorted(p for p in DATA.rglob("*") if p.suffix.lower() in EXTS and p.is_file())
    kept: list[dict[str, Any]] = []
    small: list[dict[str, Any]] = []  # 160-320 px short side: the small-photo stress set only
    dropped = {"unreadable": 0, "small": 0, "flat": 0, "near_duplicate": 0}
    with tempfile.TemporaryDirectory(prefix="vl-dedupe-") as td:
        dedupe = Archive.open(Path(td) / "dedupe.db")
        for p in files:
            try:
                dec = decode_reduced(p, side=1600)
            except Exception:
                dropped["unreadable"] += 1
                continue
            short = min(dec.rgb.shape[:2])
            if short < 320:
                dropped["small"] += 1
                if short >= SMALL_SIDE[0]:
                    h = pdq_hash(dec.rgb)
                    if not h.low_quality and not any(hamming(h.bits, k["pdq"]) <= 45 for k in kept + small):
                        small.append({"path": str(p), "rgb": dec.rgb, "pdq": h.bits})
                continue
            h = pdq_hash(dec.rgb)
            if h.low_quality:
                dropped["flat"] += 1
                continue
            if any(hamming(h.bits, k["pdq"]) <= 45 for k in kept) or dedupe.search_image(dec.rgb):
                dropped["near_duplicate"] += 1
                continue
            try:
                dedupe.add_path(p)
            except Exception:
                dropped["unreadable"] += 1
                continue
            kept.append({"path": str(p), "rgb": dec.rgb, "pdq": h.bits, "feat": extract_features(dec.rgb, 512, 256)})
            if limit and len(kept) >= limit:
                break
        # small photos that are copies or edits of a kept one (by either stage) are not distinct
        small = [q for q in small if not any(hamming(q["pdq"], k["pdq"]) <= 45 for k in kept)
                 and not dedupe.search_image(q["rgb"])]
        dedupe.close()
    print(f"corpus: {len(files)} files, kept {len(kept)}, dropped {dropped}, small stress {len(small)}", file=sys.stderr)
    return kept, dropped, small  # type: ignore[return-value]


# ----------------------------------------------------------------------------- transforms
def transform(rgb: np.ndarray, family: str, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Apply one family; returns (picture, JPEG quality it is saved with)."""
    if family.startswith("mirror_"):  # mirrored, then the named family
        return transform(np.ascontiguousarray(rgb[:, ::-1]), family[len("mirror_"):], rng)
    im = Image.fromarray(rgb)
    w, h = im.size
    q = 85
    if family == "resize_50":
        im = im.resize((w // 2, h // 2), Image.Resampling.BILINEAR)
    elif family == "resize_25":
        im = im.resize((w // 4, h // 4), Image.Resampling.BILINEAR)
    elif family == "jpeg_q30":
        q = 30
    elif family.startswith("crop_"):
        frac = int(family[5:]) / 100.0  # this fraction of each side is removed
        kw, kh = round(w * (1 - frac)), round(h * (1 - frac))
        x0, y0 = int(rng.integers(0, w - kw + 1)), int(rng.integers(0, h - kh + 1))
        im = im.crop((x0, y0, x0 + kw, y0 + kh))
    elif family == "caption_bar_15":
        bar = int(h * 0.15)
        canvas = Image.new("RGB", (w, h + bar), (255, 255, 255))
        top = bool(rng.integers(0, 2))
        canvas.paste(im, (0, bar if top else 0))
        d = ImageDraw.Draw(canvas)
        d.text((int(w * 0.03), (0 if top else h) + bar // 4), "BREAKING: leader visits troops yesterday",
               fill=(200, 0, 0), font=font(max(12, bar // 3)))
        im = canvas
    elif family == "border_15":
        bw, bh = int(w * 0.15 / 2), int(h * 0.15 / 2)
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        im = ImageOps.expand(im, border=(bw, bh, bw, bh), fill=colour)
    elif family == "text_overlay":
        d = ImageDraw.Draw(im, "RGBA")
        f = font(max(14, h // 11))
        y = int(h * float(rng.uniform(0.1, 0.75)))
        d.text((int(w * 0.04), y), "ЕКСКЛЮЗИВ: exclusive footage", fill=(255, 255, 255, 230), font=f,
               stroke_width=2, stroke_fill=(0, 0, 0, 230))
        d.text((int(w * 0.6), int(h * 0.92)), "@channel_news", fill=(255, 255, 255, 140), font=font(max(10, h // 30)))
    elif family == "text_overlay_heavy":
        d = ImageDraw.Draw(im, "RGBA")
        f = font(max(14, h // 10))
        for k in range(3):
            d.text((int(w * 0.05), int(h * (0.15 + 0.3 * k))), "ЕКСКЛЮЗИВ  exclusive  #news",
                   fill=(255, 255, 255, 220), font=f, stroke_width=2, stroke_fill=(0, 0, 0, 220))
    elif family == "text_overlay_dense":
        d = ImageDraw.Draw(im, "RGBA")
        f = font(max(12, h // 12), "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf")
        for k in range(5):
            d.text((int(w * 0.03), int(h * (0.05 + 0.19 * k))), "Breaking news: troops spotted near the border today",
                   fill=(255, 230, 0, 255), font=f)
    elif family == "logo_overlay":
        d = ImageDraw.Draw(im, "RGBA")
        lw, lh = int(w * 0.22), int(h * 0.12)
        x0, y0 = (int(w * 0.03), int(h * 0.03)) if rng.integers(0, 2) else (w - lw - int(w * 0.03), int(h * 0.03))
        d.rounded_rectangle((x0, y0, x0 + lw, y0 + lh), radius=lh // 4, fill=(10, 40, 160, 230))
        d.text((x0 + lw // 10, y0 + lh // 5), "TV 24", fill=(255, 255, 255, 255), font=font(lh // 2))
        d.rectangle((0, int(h * 0.88), w, h), fill=(180, 0, 0, 200))
        d.text((int(w * 0.02), int(h * 0.895)), "LIVE  • breaking news ticker •", fill=(255, 255, 255, 255),
               font=font(max(10, int(h * 0.06))))
    elif family == "mirror":
        im = ImageOps.mirror(im)
    elif family == "rotate_90":
        im = im.transpose(Image.Transpose.ROTATE_90)
    elif family == "rotate_5":
        im = im.rotate(5 if rng.integers(0, 2) else -5, resample=Image.Resampling.BILINEAR, expand=False)
    elif family == "brightness_contrast":
        im = ImageEnhance.Contrast(ImageEnhance.Brightness(im).enhance(1.3)).enhance(0.7)
    elif family == "grayscale":
        im = im.convert("L").convert("RGB")
    elif family == "screenshot":
        sw, sh = 1280, 800
        canvas = Image.new("RGB", (sw, sh), (245, 245, 247))
        d = ImageDraw.Draw(canvas)
        d.rectangle((0, 0, sw, 56), fill=(59, 89, 152))
        d.text((20, 14), "social.example  —  Home  Watch  Groups", fill=(255, 255, 255), font=font(22))
        d.rectangle((0, 56, 220, sh), fill=(230, 232, 236))
        for k in range(8):
            d.text((16, 80 + 40 * k), f"Menu item {k}", fill=(60, 60, 60), font=font(16))
        scale = float(rng.uniform(0.45, 0.65)) * min((sw - 260) / w, (sh - 180) / h) / 0.65
        pw, ph = max(1, int(w * scale)), max(1, int(h * scale))
        x0, y0 = 240 + int(rng.integers(0, max(1, sw - 260 - pw))), 120
        d.text((x0, 70), "Shared a post: «Look at this, happening right now»", fill=(20, 20, 20), font=font(18))
        canvas.paste(im.resize((pw, ph), Image.Resampling.BILINEAR), (x0, y0))
        d.text((x0, min(sh - 30, y0 + ph + 10)), "👍 1.2K   💬 340   ↗ Share", fill=(90, 90, 90), font=font(16))
        im = canvas
    else:
        raise ValueError(family)
    return np.asarray(im.convert("RGB")), q


def as_received(rgb: np.ndarray, quality: int) -> np.ndarray:
    """JPEG-encode (as a repost is) and decode the way ``archive search`` does."""
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=quality)
    return decode_reduced(buf.getvalue(), side=768).rgb


# ----------------------------------------------------------------------------- distractors
def descriptor_pool(photos: list[dict[str, Any]], rng: np.random.Generator) -> np.ndarray:
    """Real ORB descriptors (of photos NOT in the archive) and of procedural pictures."""
    pool = [p["feat"].desc for p in photos]
    for s in range(60):
        h, w = 384, 512
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        base = np.stack([128 + 60 * np.sin(x / (9 + s) + s) * np.cos(y / (13 + s % 5)),
                         128 + 60 * np.sin((x + y) / (7 + s % 9)),
                         128 + 60 * np.cos(x / (11 + s % 4) - y / 17.0)], -1)
        im = Image.fromarray(np.clip(base + rng.normal(0, 10, base.shape), 0, 255).astype(np.uint8))
        d = ImageDraw.Draw(im)
        for _ in range(80):
            x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
            d.rectangle((x0, y0, x0 + int(rng.integers(5, 80)), y0 + int(rng.integers(5, 80))),
                        fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
        pool.append(extract_features(np.asarray(im), 512, 256).desc)
    return np.concatenate(pool)


def add_distractors(arch: Archive, n: int, pool: np.ndarray, rng: np.random.Generator, chunk: int = 5000) -> float:
    """Insert n synthetic items straight into the catalog: random PDQ codes, and
    FEATURES_STORED descriptors drawn from the real pool with 1/8 of their bits flipped,
    at random positions."""
    from sqlalchemy import insert

    t0 = time.perf_counter()
    stamp = now_iso()
    k = FEATURES_STORED
    next_id = 10_000_000
    with arch.engine.begin() as con:
        for start in range(0, n, chunk):
            m = min(chunk, n - start)
            ids = np.arange(next_id + start, next_id + start + m)
            pdq = rng.integers(0, 256, (m, 32), dtype=np.uint8)
            desc = pool[rng.integers(0, len(pool), (m, k))]
            flips = (rng.integers(0, 256, desc.shape, dtype=np.uint8) & rng.integers(0, 256, desc.shape, dtype=np.uint8)
                     & rng.integers(0, 256, desc.shape, dtype=np.uint8))
            desc = desc ^ flips
            xy = np.stack([rng.uniform(0, 512, (m, k)), rng.uniform(0, 384, (m, k))], -1).astype(np.float16)
            head = Features.empty((512, 384)).to_bytes()[:4] + struct.pack("<HHI", 512, 384, k)
            blobs = np.concatenate([np.frombuffer(head, np.uint8)[None].repeat(m, 0), xy.view(np.uint8).reshape(m, -1),
                                    desc.reshape(m, -1)], axis=1)
            items, sources, hashes = [], [], []
            for i in range(m):
                iid = int(ids[i])
                sha = f"{iid:064x}"
                items.append({"id": iid, "sha256": sha, "kind": "image", "path": f"distractor/{iid}.jpg",
                              "source_url": None, "first_seen": "2018-01-01T00:00:00+00:00", "added_at": stamp,
                              "width": 512, "height": 384, "quality": 100, "thumbnail": None})
                sources.append({"item_id": iid, "path": f"distractor/{iid}.jpg", "source_url": None,
                                "first_seen": "2018-01-01T00:00:00+00:00", "added_at": stamp})
                hashes.append({"item_id": iid, "frame_time_s": None, "pdq": pdq[i].tobytes(), "quality": 100,
                               "features": blobs[i].tobytes()})
            con.execute(insert(Item.__table__), items)
            con.execute(insert(Source.__table__), sources)
            con.execute(insert(HashRow.__table__), hashes)
    assert DESC_BYTES == 32
    return time.perf_counter() - t0


# ----------------------------------------------------------------------------- 1M first stage
def first_stage_at_scale(n: int, queries: int, rng: np.random.Generator) -> dict[str, Any]:
    """PDQ first stage at n items: multi-index hashing vs exact flat scan, planted near-duplicates."""
    codes = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    owners = np.arange(n, dtype=np.int64)
    planted = rng.choice(n, queries, replace=False)
    qs = []
    for i in planted:
        c = np.unpackbits(codes[i].copy())
        flip = rng.choice(256, int(rng.integers(0, 32)), replace=False)  # 0..31 bits: all must be found
        c[flip] ^= 1
        variants = [np.packbits(c)] + [rng.integers(0, 256, 32, dtype=np.uint8) for _ in range(7)]
        qs.append(np.stack(variants))
    out: dict[str, Any] = {"items": n, "queries": queries}
    threads = search_threads()
    for kind in ("multihash", "flat"):
        before = current_rss_mb()
        t0 = time.perf_counter()
        idx = BinaryIndex("flat") if kind == "flat" else pdq_index_for(n)
        for s in range(0, n, 200_000):
            idx.add(codes[s:s + 200_000], owners[s:s + 200_000])
        build = time.perf_counter() - t0
        mem = current_rss_mb() - before
        nq = queries if kind == "multihash" else min(queries, 40)
        found = 0
        times: dict[int, list[float]] = {1: [], threads: []}
        for qi in range(nq):
            for k in times:  # one thread, then the 8 variants split over the search threads
                t = time.perf_counter()
                hits = idx.range(qs[qi], 31, threads=k)
                times[k].append((time.perf_counter() - t) * 1e3)
            found += any(h.owner == planted[qi] for h in hits)
        out[kind] = {"build_s": round(build, 2), "ms_per_query_median": round(statistics.median(times[threads]), 3),
                     "ms_per_query_p95": round(float(np.percentile(times[threads], 95)), 3),
                     "ms_per_query_median_1_thread": round(statistics.median(times[1]), 3),
                     "recall_planted": found / nq, "queries_timed": nq,
                     "rss_delta_mb": round(mem, 1), "model_bytes": idx.memory_bytes()}
        del idx
    out["search_threads"] = threads
    out["speedup_multihash_vs_flat"] = round(out["flat"]["ms_per_query_median"] /
                                             max(1e-6, out["multihash"]["ms_per_query_median"]), 1)
    return out


# ----------------------------------------------------------------------------- ingest speed
def ingest_speed(paths: list[str], tmp: Path, passes: int = 4) -> dict[str, Any]:
    """Interleaved per file: decode only (same reduced decoder) vs the whole ingest."""
    jpgs = [p for p in paths if p.lower().endswith((".jpg", ".jpeg"))]
    for p in jpgs:  # warm the page cache for both
        Path(p).read_bytes()
    # the per-file work after decoding is nearly constant, so the ratio depends on picture
    # size: also reported for pictures under and over one megapixel
    big = {}
    for p in jpgs:
        with Image.open(p) as im:
            big[p] = im.size[0] * im.size[1] >= 1_000_000
    by_size = {k: [0, 0.0, 0.0] for k in (False, True)}  # files, decode s, ingest s (per-file part)
    with Archive.open(tmp / "ingest_warm.db") as arch:  # untimed: a process loads the compiled code once
        ingest(arch, [Entry(p) for p in jpgs[:8]], workers=1)
    dec_t, ing_t = 0.0, 0.0
    n = 0
    pass_ratios = []  # the host's load moves the ratio from pass to pass: their spread is reported
    for r in range(passes):
        dec0, ing0 = dec_t, ing_t
        with Archive.open(tmp / f"ingest{r}.db") as arch:
            batch = []
            for p in jpgs:
                t = time.perf_counter()
                decode_reduced(p)
                d = time.perf_counter() - t
                t = time.perf_counter()
                batch.append((hash_file(p), None, None))
                if len(batch) >= 32:
                    arch.add_hashed(batch)
                    batch = []
                i = time.perf_counter() - t
                dec_t += d
                ing_t += i
                cls = by_size[big[p]]
                cls[0] += 1
                cls[1] += d
                cls[2] += i
                n += 1
            t = time.perf_counter()
            if batch:
                arch.add_hashed(batch)
            arch.save_indexes()
            ing_t += time.perf_counter() - t
        pass_ratios.append((dec_t - dec0) / (ing_t - ing0))
    # the CLI path with 2 hashing threads, beside decoding alone on 2 threads (alternating)
    from concurrent.futures import ThreadPoolExecutor

    thr_dec, thr_ing = 0.0, 0.0
    thr_ratios = []
    for r in range(passes):
        with ThreadPoolExecutor(2) as pool:
            t = time.perf_counter()
            for _ in pool.map(decode_reduced, jpgs):
                pass
            d = time.perf_counter() - t
        with Archive.open(tmp / f"ingest_threads{r}.db") as arch:
            t = time.perf_counter()
            ingest(arch, [Entry(p) for p in jpgs], workers=2, batch_size=64)
            i = time.perf_counter() - t
        thr_dec += d
        thr_ing += i
        thr_ratios.append(d / i)
    m = passes * len(jpgs)
    # reposts: the same bytes copied under new names, added to an archive that holds them
    # (recognised by SHA-256 before decoding; only the sightings are recorded)
    reposts = tmp / "reposts"
    reposts.mkdir(exist_ok=True)
    copies = []
    for i, p in enumerate(jpgs):
        shutil.copyfile(p, reposts / f"repost{i}.jpg")
        copies.append(str(reposts / f"repost{i}.jpg"))
    with Archive.open(tmp / "ingest_threads0.db") as arch:
        t = time.perf_counter()
        rep = ingest(arch, [Entry(p) for p in copies], workers=2, batch_size=64)
        rep_t = time.perf_counter() - t
    assert rep.sources_added == len(copies) and rep.added == 0, rep.to_dict()
    # the same on a local Dask cluster (2 worker processes, what `archive add --dask local` starts):
    # new files, then the reposts, which workers recognise from the archived hashes' prefixes
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=40) as cluster, Client(cluster) as client, \
            Archive.open(tmp / "ingest_dask.db") as arch:
        client.submit(int, 0).result()  # workers up
        t = time.perf_counter()
        ingest(arch, [Entry(p) for p in jpgs], dask=client, batch_size=64)
        dask_new_t = time.perf_counter() - t
        t = time.perf_counter()
        rep = ingest(arch, [Entry(p) for p in copies], dask=client, batch_size=64)
        dask_rep_t = time.perf_counter() - t
    assert rep.sources_added == len(copies) and rep.added == 0, rep.to_dict()
    return {"files": len(jpgs), "passes": passes,
            "dask_local_new_files_per_s": round(len(jpgs) / dask_new_t, 1),
            "dask_local_reposts_files_per_s": round(len(copies) / dask_rep_t, 1),
            "reposts_2_threads_files_per_s": round(len(copies) / rep_t, 1), "decode_only_files_per_s": round(n / dec_t, 1),
            "ingest_files_per_s": round(n / ing_t, 1), "ratio_ingest_vs_decode": round(dec_t / ing_t, 3),
            "decode_only_2_threads_files_per_s": round(m / thr_dec, 1),
            "ingest_2_threads_files_per_s": round(m / thr_ing, 1),
            "ratio_2_threads": round(thr_dec / thr_ing, 3),
            "ratio_per_pass": [round(x, 3) for x in pass_ratios],
            "ratio_2_threads_per_pass": [round(x, 3) for x in thr_ratios],
            "by_size": {("at_least_1_mp" if k else "under_1_mp"): {
                "files": v[0] // passes, "decode_ms": round(v[1] / max(1, v[0]) * 1e3, 2),
                "ingest_ms": round(v[2] / max(1, v[0]) * 1e3, 2), "ratio": round(v[1] / max(1e-9, v[2]), 3)}
                for k, v in by_size.items()}}


# ----------------------------------------------------------------------------- queries
def run_queries(arch: Archive, archived: list[dict[str, Any]], absent: list[dict[str, Any]]
                ) -> tuple[dict[str, Any], dict[str, int], list[float], list[float], list[float], list[dict[str, Any]]]:
    """Every family of every archived photo (recall) and of every absent photo (false matches)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    path_to_id = {}
    with Session(arch.engine) as s:
        for iid, path in s.execute(select(Item.id, Item.path).where(Item.path.in_([p["path"] for p in archived]))):
            path_to_id[path] = iid
    fam_stats = {f: {"n": 0, "top1": 0, "pdq_top1": 0, "wrong_extra": 0} for f in FAMILIES + STRESS + ["original"]}
    neg: dict[str, Any] = {"queries": 0, "false_matches": 0, "pdq_false_matches": 0, "overlay_pass": 0,
                           "t_total": [], "t_overlay": [], "pos_overlay_pass": 0, "pos_queries": 0,
                           "mirror_pass": 0, "pos_mirror_pass": 0}
    t_first: list[float] = []  # PDQ of the query (8 variants) + index search
    t_index: list[float] = []  # the index search alone
    t_total: list[float] = []
    t_second: list[float] = []
    failures: list[dict[str, Any]] = []
    for group, items in (("pos", archived), ("neg", absent)):
        for pi, p in enumerate(items):
            for fi, fam in enumerate(["original"] + FAMILIES + STRESS):
                frng = np.random.default_rng(1000 * pi + fi + (7 if group == "neg" else 0))
                img, q = (p["rgb"], 85) if fam == "original" else transform(p["rgb"], fam, frng)
                rgb = as_received(img, q)
                t = time.perf_counter()
                res = arch.query(rgb, top_k=10)
                t_total.append((time.perf_counter() - t) * 1e3)
                t_first.append(res.timings_ms["pdq_ms"] + res.timings_ms["first_stage_ms"])
                t_index.append(res.timings_ms["first_stage_ms"])
                t_second.append(res.timings_ms["second_stage_ms"])
                if group == "pos":
                    neg["pos_queries"] += 1
                    neg["pos_overlay_pass"] += res.overlay_pass
                    neg["pos_mirror_pass"] += res.mirror_pass
                    want = path_to_id[p["path"]]
                    fs = fam_stats[fam]
                    fs["n"] += 1
                    ok = bool(res.matches) and res.matches[0].id == want
                    fs["top1"] += ok
                    fs["pdq_top1"] += res.first_stage_items[:1] == [want]
                    fs["wrong_extra"] += sum(1 for m in res.matches if m.id != want)
                    if not ok:
                        failures.append({"family": fam, "photo": Path(p["path"]).name,
                                         "got": [m.to_dict()["path"] for m in res.matches[:2]],
                                         "keypoints": res.keypoints, "candidates": res.candidates_verified})
                else:
                    neg["queries"] += 1
                    neg["t_total"].append(t_total[-1])
                    neg["overlay_pass"] += res.overlay_pass
                    neg["mirror_pass"] += res.mirror_pass
                    if res.overlay_pass:
                        neg["t_overlay"].append(t_total[-1])
                    neg["false_matches"] += bool(res.matches)
                    neg["pdq_false_matches"] += bool(res.first_stage_items)
                    if res.matches:
                        failures.append({"family": fam, "photo": Path(p["path"]).name, "false_match":
                                         [m.to_dict() for m in res.matches[:2]]})
        print(f"{group} queries done", file=sys.stderr)

    return fam_stats, neg, (t_first, t_index), t_second, t_total, failures


def summarise(fam_stats: dict[str, Any], neg: dict[str, Any]) -> dict[str, Any]:
    per_family = {}
    for fam, fs in fam_stats.items():
        per_family[fam] = {"queries": fs["n"], "recall_at_1": round(fs["top1"] / max(1, fs["n"]), 4),
                           "pdq_only_recall_at_1": round(fs["pdq_top1"] / max(1, fs["n"]), 4),
                           "wrong_extra_matches": fs["wrong_extra"]}
    pos_n = sum(fs["n"] for f, fs in fam_stats.items() if f in FAMILIES)
    return {
        "per_family": per_family,
        "overall_recall_at_1": round(sum(fs["top1"] for f, fs in fam_stats.items() if f in FAMILIES) / max(1, pos_n), 4),
        "overall_pdq_only_recall_at_1": round(sum(fs["pdq_top1"] for f, fs in fam_stats.items() if f in FAMILIES)
                                              / max(1, pos_n), 4),
        "min_crop_border_overlay_recall": round(min(per_family[f]["recall_at_1"] for f in CROP_BORDER_OVERLAY), 4),
        "no_copy_queries": neg["queries"], "false_matches": neg["false_matches"],
        "false_match_rate": round(neg["false_matches"] / max(1, neg["queries"]), 5),
        "pdq_only_false_matches": neg["pdq_false_matches"],
        "no_copy_total_ms_median": round(statistics.median(neg["t_total"]), 2) if neg["t_total"] else None,
        "no_copy_total_ms_p95": round(float(np.percentile(neg["t_total"], 95)), 2) if neg["t_total"] else None,
        "no_copy_overlay_pass": neg["overlay_pass"],
        "no_copy_overlay_pass_ms_median": round(statistics.median(neg["t_overlay"]), 2) if neg["t_overlay"] else None,
        "copy_queries_overlay_pass": neg["pos_overlay_pass"], "copy_queries": neg["pos_queries"],
        "no_copy_mirror_pass": neg["mirror_pass"], "copy_queries_mirror_pass": neg["pos_mirror_pass"],
    }


def whole_query_at_scale(n: int, archived: list[dict[str, Any]], absent: list[dict[str, Any]], pool: np.ndarray,
                         tmp: Path, rng: np.random.Generator) -> dict[str, Any]:
    """A real archive of ``n`` items (synthetic distractors + the archived photos): indexes rebuilt
    from the catalog, every query of the suite timed end to end, RSS of a fresh process opening it."""
    db = tmp / "scale.db"
    arch = Archive.open(db)
    t_ins = add_distractors(arch, n - len(archived), pool, rng)
    arch.close()
    print(f"{n:,}-item catalog written in {t_ins:.0f}s", file=sys.stderr)
    t = time.perf_counter()
    arch = Archive.open(db)  # no saved index: rebuilt from the catalog
    rebuild = time.perf_counter() - t
    ingest(arch, [Entry(p["path"]) for p in archived], workers=2)
    st = arch.stats()
    print(f"rebuilt in {rebuild:.0f}s; querying", file=sys.stderr)
    fam_stats, neg, (t_first, t_index), t_second, t_total, _ = run_queries(arch, archived, absent)
    # adding to an archive this size: what was added goes to a segment file; the whole index
    # (what every save wrote before segments) is timed beside it
    t = time.perf_counter()
    arch.save_indexes(whole=True)
    whole_save = time.perf_counter() - t
    index_files = {p.name: p.stat().st_size for p in arch.index_dir.iterdir()}
    t = time.perf_counter()
    added = ingest(arch, [Entry(p["path"]) for p in absent], workers=2)
    add_s = time.perf_counter() - t
    segment = [p for p in arch.index_dir.iterdir() if p.name.startswith("seg-") and p.name not in index_files]
    t = time.perf_counter()
    arch.close()
    save = time.perf_counter() - t
    del arch
    child = child_json(["--child-open", str(db)])
    batch = child_json(["--child-checks", str(db), *[p["path"] for p in (absent + archived)[:9]]])
    acc = summarise(fam_stats, neg)
    return {
        "items": st["items"], "index": st["index"], "distractor_insert_s": round(t_ins, 1),
        "rebuild_from_catalog_s": round(rebuild, 1), "save_s": round(save, 1),
        "first_stage_median": round(statistics.median(t_first), 2),
        "first_stage_index_median": round(statistics.median(t_index), 2),
        "second_stage_median": round(statistics.median(t_second), 2),
        "total_median": round(statistics.median(t_total), 2),
        "total_p95": round(float(np.percentile(t_total, 95)), 2), "queries": len(t_total),
        "overall_recall_at_1": acc["overall_recall_at_1"],
        "min_crop_border_overlay_recall": acc["min_crop_border_overlay_recall"],
        "per_family_recall_at_1": {f: v["recall_at_1"] for f, v in acc["per_family"].items()},
        "false_matches": acc["false_matches"], "no_copy_queries": acc["no_copy_queries"],
        "no_copy_total_ms_median": acc["no_copy_total_ms_median"], "no_copy_total_ms_p95": acc["no_copy_total_ms_p95"],
        "no_copy_overlay_pass": acc["no_copy_overlay_pass"],
        "no_copy_overlay_pass_ms_median": acc["no_copy_overlay_pass_ms_median"],
        "fresh_open_rss_mb": child["rss_delta_mb"], "fresh_open_s": child["open_s"], "fresh_open_rebuilt": child["rebuilt"],
        "fresh_open_rss_at_open_mb": child["rss_at_open_mb"],
        "catalog_gb": round(db.stat().st_size / 2**30, 2),
        "whole_index_save_s": round(whole_save, 2), "index_files_mb": round(sum(index_files.values()) / 2**20, 1),
        "add_files": added.added, "add_s": round(add_s, 2),
        "add_segment_mb": round(sum(p.stat().st_size for p in segment) / 2**20, 2),
        "check_batch": batch,
    }


def checks_in_a_batch(db: str, paths: list[str]) -> dict[str, Any]:
    """`verilens check FILES --archive DB --checks provenance.archive` through the library, in a
    fresh process: the archive kept open between inputs (what checks do), beside opening and
    closing it for every input (what each check did before), alternating input by input."""
    from verilens import check
    from verilens.pipeline import Options
    from verilens.provenance import checks as pc

    def one(path: str) -> tuple[float, str]:
        t = time.perf_counter()
        (rep,) = check(path, archive=db, options=Options(checks={"provenance.archive"}))
        (res,) = [r for r in rep.checks if r.id == "provenance.archive"]
        return time.perf_counter() - t, str(res.state.value)

    first, state = one(paths[0])  # opens the archive: kept open from here on
    kept, reopened, agree = [], [], True
    for p in paths[1:]:
        t_kept, s_kept = one(p)
        pc._let_go(everything=True)  # closed: the next check opens it again, as before
        t_new, s_new = one(p)
        kept.append(t_kept)
        reopened.append(t_new)
        agree &= s_kept == s_new
    return {"inputs": len(paths), "first_s": round(first, 2), "kept_open_median_s": round(statistics.median(kept), 3),
            "opened_each_time_median_s": round(statistics.median(reopened), 3), "same_states": agree,
            "first_state": state}


# ----------------------------------------------------------------------------- small photos
def small_photo_stress(photos: list[dict[str, Any]], small: list[dict[str, Any]], n_distr: int, pool: np.ndarray,
                       tmp: Path) -> dict[str, Any]:
    """Photos 160-320 px on the short side (below the main corpus's 320 px floor): the real ones
    of ../shared/data and a reduced copy of every corpus photo (short side drawn uniformly from
    160-319 px, saved as JPEG q92), in an archive of their own with ``n_distr`` distractors;
    70 % archived, the rest are the no-copy queries. Every family and stress case is queried."""
    rs = np.random.default_rng(11)
    folder = tmp / "small"
    folder.mkdir()
    items = [{"path": p["path"], "rgb": p["rgb"], "real": True} for p in small]
    for i, p in enumerate(photos):
        h, w = p["rgb"].shape[:2]
        f = int(rs.integers(SMALL_SIDE[0], SMALL_SIDE[1])) / min(h, w)
        path = folder / f"reduced_{i:03d}_{Path(p['path']).stem[:40]}.jpg"
        Image.fromarray(p["rgb"]).resize((max(1, round(w * f)), max(1, round(h * f))),
                                         Image.Resampling.LANCZOS).save(path, format="JPEG", quality=92)
        items.append({"path": str(path), "rgb": decode_reduced(path, side=1600).rgb, "real": False})
    order = rs.permutation(len(items))
    n_arch = int(round(len(items) * 0.7))
    archived = [items[i] for i in order[:n_arch]]
    absent = [items[i] for i in order[n_arch:]]
    db = tmp / "small.db"
    arch = Archive.open(db)
    add_distractors(arch, n_distr, pool, np.random.default_rng(12))
    arch.close()
    arch = Archive.open(db)
    ingest(arch, [Entry(p["path"]) for p in archived], workers=2)
    fam_stats, neg, _, _, t_total, failures = run_queries(arch, archived, absent)
    arch.close()
    acc = summarise(fam_stats, neg)
    return {"photos": len(items), "real_small_photos": len(small), "reduced_copies": len(photos),
            "archived": len(archived), "not_archived": len(absent), "distractors": n_distr,
            "short_side_px": list(SMALL_SIDE), **{k: v for k, v in acc.items() if k != "per_family"},
            "per_family": acc["per_family"], "total_median": round(statistics.median(t_total), 2),
            "failures": [f for f in failures if f.get("family") not in STRESS][:20]}


#: Caption banners of the shared-banner test: (text, band colour).
BANNERS = [("BREAKING NEWS 24", (200, 16, 24)), ("LIVE  •  TV 24 NEWS", (20, 40, 160)), ("ЕКСКЛЮЗИВ", (230, 120, 0))]


def banner(rgb: np.ndarray, design: int) -> np.ndarray:
    """A channel's caption banner over the bottom sixth of the picture (the same on every picture)."""
    text, colour = BANNERS[design % len(BANNERS)]
    im = Image.fromarray(rgb).copy()
    w, h = im.size
    d = ImageDraw.Draw(im)
    d.rectangle((0, h - h // 6, w, h), fill=colour)
    d.text((int(w * 0.03), h - h // 6 + h // 40), text, fill=(255, 255, 255), font=font(max(12, h // 10)))
    return np.asarray(im)


def shared_banner_stress(archived: list[dict[str, Any]], absent: list[dict[str, Any]], tmp: Path) -> dict[str, Any]:
    """Hard negatives: the archived photos carry one of three channel banners; every no-copy
    photo is queried under each banner. Copies (the bannered picture reduced to half and
    cropped 10 %) must still be found. Run with and without the overlay-only rule."""
    import verilens.provenance.archive as archive_mod

    folder = tmp / "banner"
    folder.mkdir()
    paths = []
    for i, p in enumerate(archived):
        path = folder / f"b{i:03d}.jpg"
        Image.fromarray(banner(p["rgb"], i)).save(path, format="JPEG", quality=90)
        paths.append(path)
    out: dict[str, Any] = {"archived": len(paths), "banners": [t for t, _ in BANNERS]}
    with Archive.open(tmp / "banner.db") as arch:
        ingest(arch, [Entry(str(p)) for p in paths], workers=2)
        ids = {it.path: it.id for it in (arch.exact(sha256_file(p)) for p in paths) if it}  # no second decode
        negatives = [as_received(banner(p["rgb"], d), 85) for p in absent for d in range(len(BANNERS))]
        rng = np.random.default_rng(21)
        positives = []
        for p in paths:
            img, _ = transform(np.asarray(Image.open(p).convert("RGB")), "crop_10", rng)
            img, _ = transform(img, "resize_50", rng)
            positives.append((str(p), as_received(img, 85)))
        for label, rule in (("with_rule", archive_mod.overlay_only), ("without_rule", lambda v, m, a: False)):
            saved = archive_mod.overlay_only
            archive_mod.overlay_only = rule
            try:
                res = [arch.query(q, top_k=5) for q in negatives]
                hits = [arch.query(q, top_k=1) for _, q in positives]
            finally:
                archive_mod.overlay_only = saved
            out[label] = {"no_copy_queries": len(res), "false_matches": sum(bool(r.matches) for r in res),
                          "copy_queries": len(hits),
                          "recall_at_1": round(sum(bool(h.matches) and h.matches[0].id == ids.get(path)
                                                   for (path, _), h in zip(positives, hits, strict=True))
                                               / max(1, len(hits)), 4)}
        out["pdq_only_false_matches"] = sum(bool(r.first_stage_items) for r in res)
    return out


# ----------------------------------------------------------------------------- main
def child_json(extra: list[str]) -> dict[str, Any]:
    """Run a measurement in a fresh process (clean RSS) and return its JSON."""
    import subprocess

    res = subprocess.run([sys.executable, __file__, *extra], capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child-scale":
        print(json.dumps(first_stage_at_scale(int(sys.argv[2]), 200, np.random.default_rng(1))))
        return
    if len(sys.argv) == 3 and sys.argv[1] == "--child-open":
        import faiss  # noqa: F401  (its own allocations are not the index)

        before = current_rss_mb()
        t = time.perf_counter()
        a = Archive.open(sys.argv[2])
        opened = time.perf_counter() - t
        at_open = current_rss_mb() - before
        # the descriptor lists are memory-mapped and paged in as searches read them: every page
        # read once, as in a search service that has run for a while
        for arr in (a._feat.ids, a._feat.sigs):
            for i in range(0, len(arr), 1 << 24):
                arr[i:i + (1 << 24)].max()
        print(json.dumps({"rss_delta_mb": round(current_rss_mb() - before, 1), "open_s": round(opened, 2),
                          "rss_at_open_mb": round(at_open, 1), "rebuilt": a.rebuilt}))
        a.engine.dispose()
        return
    if len(sys.argv) >= 4 and sys.argv[1] == "--child-checks":
        print(json.dumps(checks_in_a_batch(sys.argv[2], sys.argv[3:])))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="20,000 distractors instead of 100,000")
    ap.add_argument("--distractors", type=int, default=None)
    ap.add_argument("--scale", type=int, default=1_000_000, help="items for the first-stage speed test")
    ap.add_argument("--whole-scale", type=int, default=None,
                    help="items of the archive searched end to end (default 1,000,000; --quick 200,000; 0 skips)")
    ap.add_argument("--archive-fraction", type=float, default=0.7)
    ap.add_argument("--limit", type=int, default=None, help="use at most this many photos")
    ap.add_argument("--ingest-only", action="store_true",
                    help="measure only the ingest throughput; print it as JSON, write nothing")
    args = ap.parse_args()
    n_distr = args.distractors if args.distractors is not None else (20_000 if args.quick else 100_000)
    if args.whole_scale is None:
        args.whole_scale = 200_000 if args.quick else 1_000_000
    if not DATA.is_dir():
        sys.exit(f"real-media corpus not found at {DATA}")
    rng = np.random.default_rng(0)
    t_all = time.perf_counter()
    photos, dropped, small = load_corpus(args.limit)
    if args.ingest_only:
        with tempfile.TemporaryDirectory(prefix="vl-bench-") as tmpd:
            os.environ["VERILENS_HOME"] = str(Path(tmpd) / "home")
            print(json.dumps(ingest_speed([p["path"] for p in photos], Path(tmpd)), indent=2))
        return
    order = rng.permutation(len(photos))
    n_arch = int(round(len(photos) * args.archive_fraction))
    archived = [photos[i] for i in order[:n_arch]]
    absent = [photos[i] for i in order[n_arch:]]
    result: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": platform.platform(),
        "cpus": os.cpu_count(), "mode": "quick" if args.quick else "full", "distractors": n_distr,
        "photos": {"archived": len(archived), "not_archived": len(absent), "dropped": dropped},
        "parameters": SEARCH_PARAMETERS,
    }
    with tempfile.TemporaryDirectory(prefix="vl-bench-") as tmpd:
        tmp = Path(tmpd)
        os.environ["VERILENS_HOME"] = str(tmp / "home")
        db = tmp / "bench.db"
        arch = Archive.open(db)
        pool = descriptor_pool(absent, rng)
        t_d = add_distractors(arch, n_distr, pool, rng)
        arch.close()
        print(f"distractors inserted in {t_d:.1f}s", file=sys.stderr)
        mem0 = current_rss_mb()
        t = time.perf_counter()
        arch = Archive.open(db)  # indexes rebuilt from the catalog
        rebuild = time.perf_counter() - t
        mem_idx = current_rss_mb() - mem0
        seen = {p["path"]: f"2019-{1 + i % 12:02d}-01" for i, p in enumerate(archived)}
        t = time.perf_counter()
        ing = ingest(arch, [Entry(p["path"], f"https://archive.example/{i}", seen[p["path"]])
                            for i, p in enumerate(archived)], workers=2)
        t_ing = time.perf_counter() - t
        assert ing.added == len(archived), ing.to_dict()
        st = arch.stats()
        print(f"archive: {st['items']} items, index rebuilt in {rebuild:.1f}s", file=sys.stderr)
        fam_stats, neg, (t_first, t_index), t_second, t_total, failures = run_queries(arch, archived, absent)
        feat_entries = st["index"]["features"]["entries"]
        result["archive"] = {"items": st["items"], "index": st["index"], "rebuild_from_catalog_s": round(rebuild, 1),
                             "index_rss_mb": round(mem_idx, 1), "distractor_insert_s": round(t_d, 1),
                             "real_ingest_s": round(t_ing, 2)}
        result["accuracy"] = {
            **summarise(fam_stats, neg),
            "failures": failures[:40],
        }
        result["search_ms"] = {
            "archive_items": st["items"],
            "first_stage_median": round(statistics.median(t_first), 2),
            "first_stage_p95": round(float(np.percentile(t_first, 95)), 2),
            "first_stage_index_median": round(statistics.median(t_index), 2),
            "second_stage_median": round(statistics.median(t_second), 2),
            "total_median": round(statistics.median(t_total), 2),
            "total_p95": round(float(np.percentile(t_total, 95)), 2),
        }
        bytes_per_item = (st["index"]["pdq"]["memory_bytes"] + st["index"]["features"]["memory_bytes"]) / st["items"]
        result["memory"] = {
            "feature_entries": feat_entries,
            "model_bytes_per_item": round(bytes_per_item, 1),
            "model_gb_per_million_items": round(bytes_per_item * 1e6 / 2**30, 2),
            "measured_index_rss_mb": round(mem_idx, 1),
            "measured_rss_gb_per_million_items": round(mem_idx / max(1, st["items"]) * 1e6 / 1024, 2),
            "catalog_bytes_per_item": round((st["catalog_bytes"] or 0) / st["items"], 1),
        }
        arch.close()
        del arch
        child = child_json(["--child-open", str(db)])
        result["memory"]["index_rss_mb_fresh_process"] = child["rss_delta_mb"]
        result["memory"]["rss_gb_per_million_items"] = round(child["rss_delta_mb"] / st["items"] * 1e6 / 1024, 2)
        result["memory"]["open_s_fresh_process"] = child["open_s"]
        result["memory"]["rss_at_open_mb_fresh_process"] = child["rss_at_open_mb"]
        print("shared banners...", file=sys.stderr)
        result["shared_banner"] = shared_banner_stress(archived, absent, tmp)
        print("small photos...", file=sys.stderr)
        result["small_photos"] = small_photo_stress(photos, small, min(n_distr, 20_000), pool, tmp)
        if args.whole_scale:
            print("whole query at scale...", file=sys.stderr)
            result["whole_query_at_scale"] = whole_query_at_scale(args.whole_scale, archived, absent, pool, tmp, rng)
        print("first stage at scale...", file=sys.stderr)
        result["first_stage_at_scale"] = child_json(["--child-scale", str(args.scale)])
        print("ingest speed...", file=sys.stderr)
        result["ingest"] = ingest_speed([p["path"] for p in photos], tmp)
    result["elapsed_s"] = round(time.perf_counter() - t_all, 1)
    result["peak_rss_mb"] = round(rss_mb(), 1)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "provenance_search.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    (OUT / "provenance_search.md").write_text(render(result))
    print(render(result))


def render(r: dict[str, Any]) -> str:
    a, s, m, f1, ing = r["accuracy"], r["search_ms"], r["memory"], r["first_stage_at_scale"], r["ingest"]
    th = f1.get("search_threads", 1)
    lines = [
        "# Provenance archive: recall, false matches and speed",
        "",
        f"Run {r['date']} on {r['machine']} ({r['cpus']} CPUs, shared with other work), mode **{r['mode']}**, "
        f"elapsed {r['elapsed_s']} s. Command: `.venv/bin/python benchmarks/provenance_search.py"
        f"{' --quick' if r['mode'] == 'quick' else ''}`.",
        "",
        f"Archive: {r['photos']['archived']} real photos from ../shared/data + {r['distractors']:,} synthetic "
        f"distractors ({r['archive']['items']:,} items). No-copy queries come from {r['photos']['not_archived']} "
        "other real photos that are not in the archive. Photos dropped from the corpus: "
        f"{r['photos']['dropped']} (near-duplicates: the c2pa test files are edits of a few pictures).",
        "",
        "Distractors are synthetic, not real pictures: a random 256-bit PDQ code each, and "
        f"{FEATURES_STORED} ORB descriptors drawn from a pool of real descriptors (of the no-copy photos and of "
        "procedural pictures) with 1/8 of their bits flipped, at random positions. They load the index and the "
        "voting with realistic descriptor statistics; they cannot be geometrically consistent with a query, so "
        "their effect on false matches is smaller than real near-miss pictures would have.",
        "",
        "## Recall@1 per transform family",
        "",
        "Peer: PDQ alone (same hashes, exact search at its published 31-bit threshold, all 8 dihedral variants) — "
        "what a user gets from a PDQ matcher.",
        "",
        "| family | queries | verilens recall@1 | PDQ only | ratio |",
        "|---|---:|---:|---:|---:|",
    ]
    for fam, v in a["per_family"].items():
        if fam in STRESS:
            continue
        ratio = v["recall_at_1"] / v["pdq_only_recall_at_1"] if v["pdq_only_recall_at_1"] else float("inf")
        lines.append(f"| {fam} | {v['queries']} | {v['recall_at_1']:.3f} | {v['pdq_only_recall_at_1']:.3f} | "
                     f"{'∞' if ratio == float('inf') else f'{ratio:.1f}×'} |")
    lines += [
        f"| **all transforms** | | **{a['overall_recall_at_1']:.3f}** | {a['overall_pdq_only_recall_at_1']:.3f} | |",
        "",
        f"Lowest crop/border/overlay family: {a['min_crop_border_overlay_recall']:.3f}. Stress cases (heavy text, "
        "mirrored and cropped, crops of 25 and 40 %, small photos) are reported apart, below. Crops remove the stated "
        "fraction of each side at a random position (crop 30% keeps 49% of the area); borders add 7.5% on each "
        "side; caption bar 15% of the height; screenshot: the photo at 25–45% of a 1280×800 page. Every query is "
        "re-encoded as JPEG (q85; q30 for that family) and decoded like `archive search` does.",
        "",
        "## False matches on queries with no copy in the archive",
        "",
        f"{a['false_matches']} of {a['no_copy_queries']} no-copy queries returned any match "
        f"(false-match rate {a['false_match_rate']:.4%}); PDQ alone: {a['pdq_only_false_matches']}.",
        "",
        "## Stress cases (not in the overall figure or the targets)",
        "",
        "Text over most of the picture. The glyph corners are the strongest in the picture and take the keypoints "
        "the photo's own corners should have; when neither stage finds anything and at least "
        f"{r['parameters']['overlay_trigger']:.0%} of the looked-up keypoints sit on drawn-looking strokes (thin white "
        "or saturated-colour structures), a second keypoint pass detects keypoints away from them and tries again "
        "with the same acceptance rule (15 inliers, 6 px). Mirrored and then cropped or embedded: ORB descriptors "
        "are not mirror-invariant (the first stage's dihedral PDQ variants cover only a whole mirrored picture), so "
        "when every pass before it found nothing, a last pass describes the flipped query and tries again with the "
        "same rule. Crops between and beyond the suite's: the query's and the archive's keypoint pyramids meet "
        "each crop at other scales.",
        "",
        "| case | queries | verilens recall@1 | PDQ only |",
        "|---|---:|---:|---:|",
    ]
    desc = {"text_overlay_heavy": "three lines of large white text with a black outline (`text_overlay_heavy`)",
            "text_overlay_dense": "five lines of yellow serif text, no outline (`text_overlay_dense`)",
            "mirror_crop_20": "mirrored, then cropped 20 % (`mirror_crop_20`; mirrored pass)",
            "mirror_screenshot": "mirrored, then put in a screenshot (`mirror_screenshot`; mirrored pass)",
            "crop_25": "25 % of each side removed (`crop_25`; 56 % of the area kept)",
            "crop_40": "40 % of each side removed (`crop_40`; 36 % of the area kept)"}
    for fam in STRESS:
        v = a["per_family"][fam]
        lines.append(f"| {desc.get(fam, fam)} | {v['queries']} | {v['recall_at_1']:.3f} | {v['pdq_only_recall_at_1']:.3f} |")
    sp = r.get("small_photos")
    if sp:
        lines += [
            "",
            f"Small photos ({sp['short_side_px'][0]}–{sp['short_side_px'][1]} px on the short side, below the main corpus's "
            f"floor): the {sp['real_small_photos']} distinct real ones of ../shared/data and a reduced copy of each of the "
            f"{sp['reduced_copies']} corpus photos (short side drawn uniformly from that range, JPEG q92), in an archive of "
            f"their own with {sp['distractors']:,} distractors; {sp['archived']} archived, {sp['not_archived']} "
            f"as no-copy queries. Recall@1 over the families {sp['overall_recall_at_1']:.3f} (PDQ only "
            f"{sp['overall_pdq_only_recall_at_1']:.3f}), lowest crop/border/overlay family "
            f"{sp['min_crop_border_overlay_recall']:.3f}; {sp['false_matches']} false matches in "
            f"{sp['no_copy_queries']} no-copy queries; whole query median {sp['total_median']} ms.",
            "",
            "| family (small photos) | queries | verilens recall@1 | PDQ only |",
            "|---|---:|---:|---:|",
        ]
        for fam, v in sp["per_family"].items():
            tag = " (stress)" if fam in STRESS else ""
            lines.append(f"| {fam}{tag} | {v['queries']} | {v['recall_at_1']:.3f} | {v['pdq_only_recall_at_1']:.3f} |")
    sb = r.get("shared_banner")
    if sb:
        w, wo = sb["with_rule"], sb["without_rule"]
        lines += [
            "",
            f"Shared banners (hard negatives): the {sb['archived']} archived photos each carry one of three channel "
            f"banners over their bottom sixth ({', '.join(sb['banners'])}), in an archive of their own; every no-copy "
            f"photo is queried under each banner ({w['no_copy_queries']} queries). Glyphs drawn the same way match one "
            f"for one, so without the rule that a match resting on drawn strokes must also agree with the picture "
            f"beside them (thumbnail correlation), {wo['false_matches']} of them returned a match; with it, "
            f"**{w['false_matches']}** (PDQ alone: "
            f"{sb['pdq_only_false_matches']}). Copies of the bannered pictures (reduced to half, cropped 10 %) are still "
            f"found: recall@1 {w['recall_at_1']:.3f} with the rule, {wo['recall_at_1']:.3f} without "
            f"({w['copy_queries']} queries).",
        ]
    lines.extend([
        "",
        "## Search speed",
        "",
        f"At {s['archive_items']:,} items: first stage (PDQ of the query + 8-variant index search) median "
        f"{s['first_stage_median']} ms (p95 {s['first_stage_p95']}; the index search alone "
        f"{s.get('first_stage_index_median', '–')} ms); second stage (ORB on the query, descriptor "
        f"index, RANSAC on candidates) median {s['second_stage_median']} ms; whole query median "
        f"{s['total_median']} ms (p95 {s['total_p95']}). Queries with no copy in the archive (they run every "
        f"pass that applies): median {a['no_copy_total_ms_median']} ms (p95 {a['no_copy_total_ms_p95']}); "
        f"{a['no_copy_overlay_pass']} of {a['no_copy_queries']} ran the overlay pass (median "
        f"{a['no_copy_overlay_pass_ms_median']} ms for those), as did {a['copy_queries_overlay_pass']} of "
        f"{a['copy_queries']} queries with a copy; {a.get('no_copy_mirror_pass', '–')} no-copy queries ran the mirrored "
        f"pass, as did {a.get('copy_queries_mirror_pass', '–')} queries with a copy.",
        "",
    ])
    w = r.get("whole_query_at_scale")
    if w:
        lines += [
            f"Whole query at {w['items']:,} items (a real archive: {w['items'] - r['photos']['archived']:,} synthetic "
            f"distractors as above + the {r['photos']['archived']} archived photos; catalog {w['catalog_gb']} GB on "
            f"disk; indexes rebuilt from the catalog in {w['rebuild_from_catalog_s']} s): every query of the suite "
            f"({w['queries']}), median **{w['total_median']} ms** (p95 {w['total_p95']}); first stage "
            f"{w['first_stage_median']} ms (PDQ of the query + index; the index search alone "
            f"{w.get('first_stage_index_median', '–')} ms), second stage {w['second_stage_median']} ms (inverted file of "
            f"{w['index']['features']['words']:,} visual words over {w['index']['features']['entries']:,} "
            "descriptors). At that size recall@1 "
            f"{w['overall_recall_at_1']:.3f} (lowest crop/border/overlay family {w['min_crop_border_overlay_recall']:.3f}), "
            f"{w['false_matches']} false matches in {w['no_copy_queries']} no-copy queries; no-copy queries median "
            f"{w['no_copy_total_ms_median']} ms (p95 {w['no_copy_total_ms_p95']}), {w['no_copy_overlay_pass']} of them "
            f"ran the overlay pass (median {w['no_copy_overlay_pass_ms_median']} ms for those).",
            "",
        ]
    lines += [
        f"First stage at {f1['items']:,} items ({f1['queries']} planted near-duplicates at 0–31 bits, 8 variants per query):",
        "",
        f"| index | build s | ms/query median ({th} threads) | p95 | median, 1 thread | planted found | RSS Δ MB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind in ("multihash", "flat"):
        v = f1[kind]
        lines.append(f"| {kind} | {v['build_s']} | {v['ms_per_query_median']} | {v['ms_per_query_p95']} | "
                     f"{v.get('ms_per_query_median_1_thread', '–')} | {v['recall_planted']:.3f} ({v['queries_timed']}) | "
                     f"{v['rss_delta_mb']} |")
    lines += [
        "",
        f"Multi-index hashing is {f1['speedup_multihash_vs_flat']}× faster than the exact flat scan, and as exact "
        "within 31 bits (11 substrings × 23 bits, up to 2 flips: pigeonhole). Both split a query's 8 variants over "
        f"the same {th} search threads (faiss releases the GIL; `VERILENS_SEARCH_THREADS`), which shortens the wait, "
        "not the CPU work; the one-thread column is the same search unsplit. The search threads are used in "
        "every measurement above too.",
        "",
        "## Memory per million items",
        "",
        f"Model (codes + ids + hash tables + word lists): {m['model_bytes_per_item']} bytes per item → "
        f"{m['model_gb_per_million_items']} GB per million items; the second stage keeps 12 bytes per indexed "
        f"descriptor ({FEATURES_STORED} per picture: a 4-byte catalog row and a 64-bit signature), the full "
        "descriptors stay in the catalog. Measured in a fresh process that opens the archive "
        f"(in {m['open_s_fresh_process']} s; the descriptor lists are memory-mapped, so opening adds only "
        f"{m['rss_at_open_mb_fresh_process']} MB) and then reads every list once, as a search service that has run "
        f"for a while has: {m['index_rss_mb_fresh_process']} MB for "
        f"{s['archive_items']:,} items → ~{m['rss_gb_per_million_items']} GB per million. First stage alone "
        f"(multi-hash, fresh process): {f1['multihash']['rss_delta_mb']} MB for {f1['items']:,} items. Catalog on disk: "
        f"{m['catalog_bytes_per_item']} bytes per item (distractors carry no thumbnail).",
        "",
    ]
    if w:
        fi, fe = w["index"]["pdq"], w["index"]["features"]
        lines += [
            f"At {w['items']:,} items, a fresh process opens the archive in {w['fresh_open_s']} s (adding "
            f"{w['fresh_open_rss_at_open_mb']:,} MB) and, once it has read every descriptor list, has grown by "
            f"**{w['fresh_open_rss_mb']:,} MB** → "
            f"{w['fresh_open_rss_mb'] / w['items'] * 1e6 / 1024:.2f} GB per million items for both stages "
            f"(model: first stage {fi['memory_bytes'] / 2**20:,.0f} MB ({fi['kind']}), second stage "
            f"{fe['memory_bytes'] / 2**20:,.0f} MB for {fe['entries']:,} descriptors).",
            "",
        ]
        if "add_s" in w:
            lines += [
                f"Adding {w['add_files']} new photos to the {w['items']:,}-item archive took {w['add_s']} s in all: "
                f"what they add to the indexes was saved as a {w['add_segment_mb']} MB segment file. Saving the "
                f"whole index ({w['index_files_mb']:,} MB of files; what every save wrote before segments, and "
                f"what a save still writes once the segments hold an eighth of the base) takes "
                f"{w['whole_index_save_s']} s.",
                "",
            ]
        if "check_batch" in w:
            b = w["check_batch"]
            lines += [
                f"A batch of checks against it (`verilens check FILES --archive DB --checks provenance.archive`, "
                f"{b['inputs']} photos, in a fresh process): the first check opens the archive ({b['first_s']} s in "
                f"all); the archive is then kept open, and each further check takes **{b['kept_open_median_s']} s** "
                f"median, against {b['opened_each_time_median_s']} s when the archive is opened for every input "
                f"(as each check did before; "
                f"{b['opened_each_time_median_s'] / max(1e-9, b['kept_open_median_s']):.1f}×). Same results "
                f"either way: {'yes' if b['same_states'] else 'NO'}.",
                "",
            ]
    lines += [
        "## Ingest throughput",
        "",
        f"{ing['files']} real JPEGs × {ing['passes']} passes, one thread, interleaved file by file: decoding only "
        f"(same reduced-size decoder, libjpeg DCT scaling) {ing['decode_only_files_per_s']} files/s; whole ingest "
        f"(sha256, decode, PDQ, ORB, thumbnail, catalog commit) {ing['ingest_files_per_s']} files/s → ratio "
        f"**{ing['ratio_ingest_vs_decode']}**. With 2 hashing threads (the CLI's default is one per CPU, at most 8): decode only "
        f"{ing.get('decode_only_2_threads_files_per_s', '–')} files/s, whole ingest "
        f"{ing['ingest_2_threads_files_per_s']} files/s → ratio **{ing.get('ratio_2_threads', '–')}**.",
        "",
    ]
    if "ratio_per_pass" in ing:
        lines += [f"Ratio pass by pass (the host's load moves it): one thread "
                  f"{min(ing['ratio_per_pass'])}–{max(ing['ratio_per_pass'])}, two threads "
                  f"{min(ing['ratio_2_threads_per_pass'])}–{max(ing['ratio_2_threads_per_pass'])}.", ""]
    if "reposts_2_threads_files_per_s" in ing:
        lines += [f"Reposts (the same {ing['files']} files copied under new names, added to the archive that holds "
                  f"them; recognised by SHA-256 before decoding, only the sightings recorded), 2 threads: "
                  f"{ing['reposts_2_threads_files_per_s']} files/s, "
                  f"{ing['reposts_2_threads_files_per_s'] / ing['ingest_2_threads_files_per_s']:.1f}× the rate of "
                  "new files.", ""]
    if "dask_local_reposts_files_per_s" in ing:
        lines += [f"On a local Dask cluster (2 worker processes, as `archive add --dask local`): new files "
                  f"{ing['dask_local_new_files_per_s']} files/s, the reposts {ing['dask_local_reposts_files_per_s']} "
                  f"files/s ({ing['dask_local_reposts_files_per_s'] / ing['dask_local_new_files_per_s']:.1f}×; "
                  "workers test each file's SHA-256 against the archived hashes' first 64 bits, sent to them once, "
                  "and skip decoding a hit, which the catalog confirms).", ""]
    if "by_size" in ing:
        lines += ["By picture size (one thread; per-file part, without the final index save):", "",
                  "| pictures | files | decode only, ms/file | ingest, ms/file | ratio |", "|---|---|---|---|---|"]
        for key, label in (("under_1_mp", "under 1 MP"), ("at_least_1_mp", "1 MP and over")):
            c = ing["by_size"][key]
            lines.append(f"| {label} | {c['files']} | {c['decode_ms']} | {c['ingest_ms']} | {c['ratio']} |")
        lines.append("")
    if a["failures"]:
        lines += ["## Misses and false matches (first 40)", "", "```"]
        lines += [json.dumps(x, ensure_ascii=False) for x in a["failures"]]
        lines += ["```", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
