"""Build ``jpeg_signatures.json``: which encoders use which JPEG quantisation tables.

Run from the project root against the real-media corpus (never at run time)::

    .venv/bin/python src/verilens/data/jpeg_signatures.py ../shared/data

Every JPEG under the folder is read (tables from the bytes, Make/Model/Software from
exiftool) and grouped by its exact set of tables. Each group becomes one entry with the
encoders seen using it and the files it was built from (paths relative to the corpus), so
the table can be audited and rebuilt.

A desk adds encoders the shipped table cannot know, such as the re-encoders of social
platforms, from pictures it downloaded itself: every file under the folder is then labelled
with the given encoder, and the table is written where ``--out`` says (point
``VERILENS_JPEG_SIGNATURES`` at it; several files are separated like ``PATH``)::

    .venv/bin/python src/verilens/data/jpeg_signatures.py ~/downloads/telegram \
        --encoder "Telegram re-encode (2026)" --category platform --out ~/verilens/telegram.json
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

EDITORS = re.compile(r"photoshop|lightroom|gimp|paint|picasa|acdsee|affinity|snapseed|pixelmator|"
                     r"capture one|darktable|rawtherapee|irfanview|xnview|imagemagick|adobe", re.I)


def main(root: str, encoder: str | None = None, category: str = "platform", out_file: str | None = None) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from verilens.forensics.jpeg_parse import parse_jpeg_structure
    from verilens.forensics.jpeg_structure import estimate_quality, table_key

    base = Path(root).resolve()
    files = sorted(p for p in base.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg") and "/manifests/" not in str(p))
    meta = {}
    if files:
        out = subprocess.run(["exiftool", "-j", "-q", "-q", "-Make", "-Model", "-Software", "-CreatorTool",
                              *map(str, files)], capture_output=True, text=True, check=False).stdout
        for rec in json.loads(out or "[]"):
            meta[str(Path(rec["SourceFile"]).resolve())] = rec
    groups: dict[str, dict] = defaultdict(lambda: {"encoders": set(), "examples": [], "categories": set()})
    for f in files:
        s = parse_jpeg_structure(f.read_bytes())
        if not s.qtables:
            continue
        key = table_key(s.qtables)
        m = meta.get(str(f), {})
        make, model = str(m.get("Make", "")).strip(), str(m.get("Model", "")).strip()
        software = str(m.get("Software", "") or m.get("CreatorTool", "")).strip()
        if encoder:
            enc, cat = encoder, category
        elif software and EDITORS.search(software):
            enc, cat = software[:80], "editor"
        elif make or model:
            enc = (f"{make} {model}" if not model.lower().startswith(make.lower()) else model).strip()
            cat = "phone" if re.search(r"iphone|nokia|htc|samsung sm-|pixel|lumia|jolla|hmd", enc, re.I) else "camera"
        elif software:
            enc, cat = software[:80], "software"
        else:
            enc, cat = "unknown (no make, model or software recorded)", "unknown"
        g = groups[key]
        g["encoders"].add(enc)
        g["categories"].add(cat)
        g["examples"].append(str(f.relative_to(base)))
        luma = s.qtables.get(0)
        chroma = s.qtables.get(1)
        if luma is not None:
            q = estimate_quality(luma, chroma)
            g["quality"], g["standard"] = q.quality, q.standard
    entries = []
    for key, g in sorted(groups.items()):
        if g["categories"] == {"unknown"}:
            continue
        cats = g["categories"] - {"unknown"}
        category = "editor" if "editor" in cats else sorted(cats)[0] if len(cats) == 1 else "mixed"
        entries.append({"key": key, "encoder": "; ".join(sorted(g["encoders"] - {"unknown (no make, model or software recorded)"})),
                        "category": category, "ijg_quality": g.get("quality"), "ijg_standard": g.get("standard"),
                        "examples": g["examples"]})
    about = (f"Quantisation tables of pictures labelled '{encoder}' ({category}) by whoever built this file from "
             f"{base.name}/." if encoder else None)
    doc = {
        "about": about or "Encoders seen using each exact set of JPEG quantisation tables (key = sha1 of table ids and "
                 "values). Built by src/verilens/data/jpeg_signatures.py from the real files of the shared "
                 "media corpus (exif-samples: github.com/ianare/exif-samples CC BY-SA 4.0; media-samples: "
                 "github.com/drewnoakes/metadata-extractor-images; c2pa-testfiles: github.com/c2pa-org/public-testfiles "
                 "CC BY-SA 4.0). 'examples' lists the files each entry was built from. Exact IJG standard tables are "
                 "recognised separately in code (libjpeg defaults).",
        "files_read": len(files),
        "entries": entries,
    }
    out_path = Path(out_file).expanduser() if out_file else Path(__file__).with_suffix(".json")
    out_path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(entries)} signatures from {len(files)} files -> {out_path}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("root", nargs="?", default="../shared/data", help="folder of JPEGs to read")
    ap.add_argument("--encoder", help="label every file with this encoder (a local table, e.g. a platform)")
    ap.add_argument("--category", default="platform", choices=["platform", "camera", "phone", "editor", "software"])
    ap.add_argument("--out", help="where to write the table (required with --encoder)")
    a = ap.parse_args()
    if a.encoder and not a.out:
        ap.error("--encoder writes a local table: give --out FILE (the shipped table is rebuilt without --encoder)")
    main(a.root, a.encoder, a.category, a.out)
