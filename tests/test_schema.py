"""The committed JSON Schema is the one the models generate."""

from __future__ import annotations

import json
from pathlib import Path

from verilens.evidence import report_schema

ROOT = Path(__file__).resolve().parents[1]


def test_committed_schema_is_current() -> None:
    committed = json.loads((ROOT / "docs" / "schema" / "report.schema.json").read_text())
    assert committed == json.loads(json.dumps(report_schema())), (
        "docs/schema/report.schema.json is stale: run .venv/bin/python scripts/write_schema.py"
    )
