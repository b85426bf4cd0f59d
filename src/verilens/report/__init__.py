"""Case reports: JSON, self-contained HTML, PDF (headless Chromium) and schema.org
ClaimReview/MediaReview JSON-LD."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from .document import case_document
from .html import render_html
from .jsonld import case_jsonld, validate_jsonld

if TYPE_CHECKING:
    from ..case.store import Case

FORMATS = ("html", "pdf", "json", "jsonld")


def jsonld_text(data: dict) -> str:
    """JSON-LD text safe to paste into ``<script type="application/ld+json">``: ``<``, ``>``
    and ``&`` are written as ``\\u003c``-style escapes (still the same JSON values), so a
    hostile string cannot close the script element."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def write_report(case: Case, fmt: str, out: Path, base_url: str | None = None) -> Path:
    """Write ``case`` as ``fmt`` (html, pdf, json, jsonld) to ``out``; return ``out``."""
    from ..errors import UsageError

    doc = case_document(case)
    out = Path(out)
    if fmt == "json":
        out.write_text(json.dumps(doc, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    elif fmt == "jsonld":
        out.write_text(jsonld_text(case_jsonld(doc, base_url)), encoding="utf-8")
    elif fmt == "html":
        out.write_text(render_html(doc), encoding="utf-8")
    elif fmt == "pdf":
        from .pdf import html_to_pdf

        html_to_pdf(render_html(doc), out)
    else:
        raise UsageError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}")
    return out


__all__ = ["FORMATS", "case_document", "case_jsonld", "jsonld_text", "render_html", "validate_jsonld",
           "write_report"]
