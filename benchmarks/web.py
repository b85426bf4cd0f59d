"""Web app benchmark: what the browser face costs over the library/CLI path it wraps.

Side by side in one run, on the bundled example photos:

- **intake**: adding the photos to a case through the web app (HTTP multipart upload to a
  live uvicorn server, background job, polling until done) against
  ``CaseStore.add_media`` called directly (what ``verilens case add`` runs). The ratio is
  the web app's overhead for the same checks.
- **pages**: server time to render the item page (report, metadata table from exiftool,
  C2PA panel, timeline) and the case page, against reading the same case from the store.

Run: ``.venv/bin/python benchmarks/web.py [--quick] [--checks IDS]`` (``--quick`` uses two
photos and two rounds). Writes ``docs/benchmarks/web.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
os.environ.setdefault("VERILENS_HOME", tempfile.mkdtemp(prefix="verilens-bench-web-"))
warnings.simplefilter("ignore")

import httpx  # noqa: E402
from tests.web.conftest import LiveServer  # noqa: E402

from verilens.case import CaseStore  # noqa: E402
from verilens.pipeline import Options, load_checks  # noqa: E402
from verilens.web.app import WebConfig, create_app  # noqa: E402


def _intake_web(client: httpx.Client, token: str, photos: list[Path]) -> tuple[float, str, list[str]]:
    t0 = time.perf_counter()
    files = [("files", (p.name, p.read_bytes(), "image/jpeg")) for p in photos]
    r = client.post("/api/intake", files=files, data={"csrf_token": token, "new_case_title": "bench"})
    r.raise_for_status()
    job_url = r.json()["job_url"]
    while True:
        job = client.get(job_url).json()
        if job["state"] in ("done", "error"):
            break
        time.sleep(0.05)
    dt = time.perf_counter() - t0
    assert job["state"] == "done" and len(job["result"]["added"]) == len(photos), job
    return dt, r.json()["case_id"], job["result"]["added"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="two photos, two rounds")
    ap.add_argument("--checks", default="metadata.basic,metadata.timestamps,c2pa.manifest,forensics.ela",
                    help="check ids run on each photo (comma-separated; 'all' for every default check)")
    args = ap.parse_args()
    photos = sorted((ROOT / "examples").glob("*.jpg"))
    rounds = 2 if args.quick else 5
    if args.quick:
        photos = photos[:2]
    registry = load_checks()
    checks = None if args.checks == "all" else {c for c in args.checks.split(",") if c in registry}
    tmp = Path(tempfile.mkdtemp(prefix="verilens-bench-web-"))
    store = CaseStore(str(tmp / "cases.db"))
    app = create_app(WebConfig(checks=checks), store=store)
    token = app.state.verilens.token

    lib_times, web_times, item_times, case_times, read_times = [], [], [], [], []
    with LiveServer(app) as srv, httpx.Client(base_url=srv.url, timeout=600) as client:
        # warm both paths once (exiftool start, imports), not measured
        _intake_web(client, token, photos[:1])
        store.add_media(store.new_case("warm").id, [str(photos[0])], options=Options(checks=checks))
        for _ in range(rounds):  # interleaved: the machine's load hits both alike
            t0 = time.perf_counter()
            res = store.add_media(store.new_case("lib").id, [str(p) for p in photos], options=Options(checks=checks))
            lib_times.append(time.perf_counter() - t0)
            assert len(res.added) == len(photos), res.errors
            dt, case_id, items = _intake_web(client, token, photos)
            web_times.append(dt)
            for item in items:
                t0 = time.perf_counter()
                client.get(f"/cases/{case_id}/items/{item}").raise_for_status()
                item_times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            client.get(f"/cases/{case_id}").raise_for_status()
            case_times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            store.get_case(case_id)
            read_times.append(time.perf_counter() - t0)
    store.close()

    n = len(photos)
    lib = statistics.median(lib_times) / n
    web = statistics.median(web_times) / n
    results = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared)",
        "python": platform.python_version(),
        "photos": [p.name for p in photos], "rounds": rounds, "quick": args.quick,
        "checks": sorted(checks) if checks else "all default checks",
        "intake_library_s_per_photo": round(lib, 4),
        "intake_web_s_per_photo": round(web, 4),
        "intake_web_over_library": round(web / lib, 3),
        "item_page_ms_median": round(1000 * statistics.median(item_times), 1),
        "item_page_ms_max": round(1000 * max(item_times), 1),
        "case_page_ms_median": round(1000 * statistics.median(case_times), 1),
        "case_read_from_store_ms_median": round(1000 * statistics.median(read_times), 1),
        "case_page_over_store_read": round(statistics.median(case_times) / statistics.median(read_times), 2),
    }
    print(json.dumps(results, indent=2))
    out = ROOT / "docs" / "benchmarks"
    out.mkdir(parents=True, exist_ok=True)
    (out / "web.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    cmd = "benchmarks/web.py" + (" --quick" if args.quick else "")
    md = f"""# Web app benchmark

`.venv/bin/python {cmd}` on {results['machine']}, Python {results['python']}; {n} example
photos, {rounds} interleaved rounds, medians. Checks: {', '.join(results['checks']) if checks else results['checks']}.

| measure | web app | library / CLI path | ratio |
|---|---|---|---|
| add a photo to a case (upload, checks, store; s per photo) | {web:.3f} | {lib:.3f} (`CaseStore.add_media`, as `verilens case add`) | {web / lib:.2f}× |
| case page (server render, ms) | {results['case_page_ms_median']} | {results['case_read_from_store_ms_median']} (read the case from the store) | {results['case_page_over_store_read']}× |
| item page (server render incl. exiftool table, ms) | median {results['item_page_ms_median']}, max {results['item_page_ms_max']} | — | — |

The web path runs exactly the same checks and store calls; its extra cost is the upload,
the copy into the upload folder, the job queue and polling (every 50 ms here, 700 ms in the
page). Page times are measured at the HTTP client on the same machine.
"""
    (out / "web.md").write_text(md, encoding="utf-8")


if __name__ == "__main__":
    main()
