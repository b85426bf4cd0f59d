"""Every real file under ../shared/data through `verilens check --json`.

Each input must give ``state: ok`` or a clean ``error`` with a message, every report must
validate against the committed schema, and nothing may print a traceback. Runs the default
checks except those named in ``VERILENS_CONFORMANCE_SKIP`` (comma-separated).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "docs" / "schema" / "report.schema.json").read_text())


@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.timeout(1800)
def test_every_shared_file_gives_a_report(shared_data: Path, tmp_path: Path) -> None:
    files = sorted(p for p in shared_data.rglob("*") if p.is_file())
    args = [sys.executable, "-m", "verilens", "check", str(shared_data), "--json", "--out", str(tmp_path)]
    skip = os.environ.get("VERILENS_CONFORMANCE_SKIP")
    if skip:
        args += ["--skip", skip]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=1750, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    reports = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    hidden = [p for p in files if any(part.startswith(".") for part in p.relative_to(shared_data).parts)]
    assert len(reports) == len(files) - len(hidden)
    by_state: dict[str, int] = {}
    for rep in reports:
        jsonschema.validate(rep, SCHEMA)
        by_state[rep["state"]] = by_state.get(rep["state"], 0) + 1
        if rep["state"] == "error":
            assert rep["error"] and "Traceback" not in rep["error"]
        else:
            assert rep["input"]["sha256"] and rep["checks"]
            for c in rep["checks"]:
                if c["state"] == "error":
                    assert c["summary"], c
    media = [r for r in reports if r["state"] == "ok"]
    # the corpus is mostly real camera files: nearly all must open
    assert len(media) >= 0.5 * len(reports), by_state
