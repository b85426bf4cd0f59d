"""The self-contained HTML report: one file, pictures embedded as data URIs, no scripts,
and a Content-Security-Policy that forbids every request outside the file.

Every string from a case (titles, notes, metadata, manifest fields, file names) goes through
Jinja2's autoescaping; nothing is marked safe except the data URIs built here from bytes
that Pillow decoded and re-encoded.
"""

from __future__ import annotations

import base64
import io
import json
import warnings
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from .document import CATEGORY_TEXT, QUESTION_ORDER

TEMPLATES = Path(__file__).parent / "templates"
#: Longest side of an embedded picture, in pixels (keeps reports small and printable).
MAX_SIDE = 1200
#: Pictures above this many pixels are not decoded for embedding.
MAX_DECODE_PIXELS = 100_000_000

CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; "
       "base-uri 'none'; form-action 'none'")


def embed_image(path: str | Path | None, *, photo: bool = False, max_side: int = MAX_SIDE) -> str | None:
    """A ``data:`` URI of the picture at ``path``, downscaled to ``max_side``; None when the
    file is missing or not a picture Pillow can decode (never raises).

    Parameters
    ----------
    photo : bool
        Encode as JPEG (quality 85) rather than PNG: for originals, and for heatmaps and
        pictures where a lossy copy is fine (masks and maps stay PNG, exact).
    """
    if not path:
        return None
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as im:
                w, h = im.size
                if w <= 0 or h <= 0 or w * h > MAX_DECODE_PIXELS:
                    return None
                im.draft("RGB", (max_side, max_side)) if photo else None
                from PIL import ImageOps

                im2 = ImageOps.exif_transpose(im) if photo else im
                im2.thumbnail((max_side, max_side))
                buf = io.BytesIO()
                if photo:
                    if im2.mode in ("RGBA", "LA", "P"):
                        rgba = im2.convert("RGBA")
                        im2 = Image.new("RGB", rgba.size, "white")
                        im2.paste(rgba, mask=rgba.getchannel("A"))
                    im2.convert("RGB").save(buf, format="JPEG", quality=85)
                    mime = "image/jpeg"
                else:
                    if im2.mode not in ("RGB", "RGBA", "L", "LA", "P"):
                        im2 = im2.convert("RGBA")
                    im2.save(buf, format="PNG", optimize=False)
                    mime = "image/png"
    except Exception:
        return None
    return f"data:{mime};base64,{base64.b64encode(buf.getvalue()).decode('ascii')}"


def _state_class(state: str | None) -> str:
    return {"found": "found", "not_found": "clean", "inconclusive": "inc", "error": "err",
            "timeout": "err", "not_applicable": "na"}.get(str(state), "na")


def _pretty(value: Any, limit: int = 4000) -> str:
    s = json.dumps(value, ensure_ascii=False, indent=1, default=str)
    return s if len(s) <= limit else s[:limit] + "\n… (truncated; full details in the JSON export)"


def _printable(value: Any) -> str:
    """Control characters (bidi overrides, NULs) shown as U+FFFD; escaping is Jinja2's job."""
    if value is None:
        return ""
    return "".join(ch if ch.isprintable() or ch in "\n\t" else "\ufffd" for ch in str(value))


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["state_class"] = _state_class
    env.filters["pretty"] = _pretty
    env.filters["p"] = _printable
    return env


def render_html(doc: dict[str, Any]) -> str:
    """Render :func:`~verilens.report.document.case_document` output as one HTML page.

    Notes
    -----
    Pictures are read from the paths in the document (the case store's read-only copies)
    and embedded; one that cannot be read is replaced by a note, never a broken link.
    """
    from markupsafe import Markup

    items = []
    for item in doc["items"]:
        thumb = embed_image(item["stored_path"], photo=True) if item.get("kind") == "image" else None
        checks = []
        for c in item["report"]["checks"]:
            pics = []
            for a in c.get("artifacts", []):
                if a.get("kind") == "data":
                    pics.append({"a": a, "uri": None})
                    continue
                uri = embed_image(a.get("path"), photo=a.get("kind") in ("heatmap", "image"))
                pics.append({"a": a, "uri": Markup(uri) if uri else None})
            checks.append({"c": c, "pics": pics})
        by_q: dict[str, list[dict[str, Any]]] = {}
        skipped: dict[str, list[str]] = {}
        for entry in checks:
            q = entry["c"]["question"]
            if entry["c"]["state"] == "not_applicable" and not entry["pics"]:
                skipped.setdefault(q, []).append(entry["c"]["id"])
            else:
                by_q.setdefault(q, []).append(entry)
        items.append({"item": item, "thumb": Markup(thumb) if thumb else None,
                      "by_q": [(q, by_q.get(q, []), skipped.get(q, [])) for q in QUESTION_ORDER
                               if by_q.get(q) or skipped.get(q)]})
    return _env().get_template("case.html.j2").render(
        doc=doc, items=items, csp=CSP, category_text=CATEGORY_TEXT, questions=QUESTION_ORDER)
