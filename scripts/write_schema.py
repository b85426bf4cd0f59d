"""Regenerate docs/schema/report.schema.json from the evidence model."""

from __future__ import annotations

import json
from pathlib import Path

from verilens.evidence import report_schema

OUT = Path(__file__).resolve().parents[1] / "docs" / "schema" / "report.schema.json"


def main() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report_schema(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(OUT)


if __name__ == "__main__":
    main()
