"""Declared generation or AI editing recorded in a file (pure functions, no I/O).

What is looked for: the IPTC Digital Source Type (XMP ``Iptc4xmpExt:DigitalSourceType``,
the full vocabulary including retired terms), C2PA digital source types (read by
:mod:`verilens.metadata.c2pa_manifest` and passed in), PNG text chunks written by image
generators (AUTOMATIC1111/Forge/SD.Next ``parameters``, ComfyUI ``prompt``/``workflow``,
InvokeAI, NovelAI) and known generator software strings.

Only declarations are found: a file without one is *not* shown to be camera-made.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any

from .normalise import clean_str

IPTC_DST_BASE = "http://cv.iptc.org/newscodes/digitalsourcetype/"

#: The IPTC Digital Source Type vocabulary: term -> (label, generative-AI involvement,
#: retired). ``ai`` is "generated" (made by a trained model), "composite" (includes
#: generated parts), "algorithmic" (made by non-trained algorithms), "enhanced" (changed by
#: algorithm, possibly AI), or "none".
IPTC_DIGITAL_SOURCE_TYPES: dict[str, tuple[str, str, bool]] = {
    "digitalCapture": ("Digital capture sampled from real life", "none", False),
    "computationalCapture": (
        "Multi-frame computational capture sampled from real life",
        "none",
        False,
    ),
    "negativeFilm": ("Digitised from a negative on film", "none", False),
    "positiveFilm": ("Digitised from a positive on film", "none", False),
    "print": ("Digitised from a print on non-transparent medium", "none", False),
    "humanEdits": ("Human-edited media", "none", False),
    "minorHumanEdits": ("Original media with minor human edits (retired)", "none", True),
    "algorithmicallyEnhanced": ("Algorithmically-altered media", "enhanced", False),
    "compositeCapture": ("Composite of captured elements", "none", False),
    "composite": ("Composite of elements", "none", False),
    "compositeSynthetic": ("Composite including synthetic elements", "composite", False),
    "compositeWithTrainedAlgorithmicMedia": (
        "Composite with elements of trained algorithmic media",
        "composite",
        False,
    ),
    "dataDrivenMedia": ("Data-driven media", "algorithmic", False),
    "digitalCreation": ("Created by a human using digital tools", "none", False),
    "digitalArt": ("Digital art (retired)", "none", True),
    "virtualRecording": ("Virtual event recording", "none", False),
    "screenCapture": ("Screen capture", "none", False),
    "trainedAlgorithmicMedia": (
        "Created using generative AI (trained algorithmic media)",
        "generated",
        False,
    ),
    "algorithmicMedia": ("Pure algorithmic media (no trained model)", "algorithmic", False),
    "softwareImage": ("Image created by software (retired)", "algorithmic", True),
}

#: PNG text-chunk keys written by generator front-ends (exiftool ``PNG:<Key>`` tags).
PNG_GENERATOR_KEYS: dict[str, str] = {
    "PNG:Parameters": "Stable Diffusion web UI (AUTOMATIC1111 / Forge / SD.Next) generation parameters",
    "PNG:Prompt": "ComfyUI prompt graph",
    "PNG:Workflow": "ComfyUI workflow",
    "PNG:InvokeaiMetadata": "InvokeAI metadata",
    "PNG:Invokeai_metadata": "InvokeAI metadata",
    "PNG:Sd-metadata": "InvokeAI (legacy) metadata",
    "PNG:Dream": "InvokeAI/lstein dream prompt",
    "PNG:Generation_data": "generation data",
    "PNG:Source": "NovelAI / generator source",  # checked against known names below
    "PNG:Comment": "generator comment",  # NovelAI stores JSON with 'prompt' here
}

#: Generator names in software strings.
GENERATOR_SOFTWARE = re.compile(
    r"stable ?diffusion|automatic1111|\bcomfyui\b|invokeai|novelai|midjourney|dall[-·]?e|\bopenai\b|chatgpt|"
    r"adobe firefly|\bfirefly\b|imagen|gemini|ideogram|leonardo\.ai|\bflux(\.1)?\b|black forest labs|"
    r"\bsdxl\b|bing image creator|microsoft designer|grok|runway|\bsora\b|stability ai",
    re.I,
)

_A1111 = re.compile(r"(?:^|\n)\s*Steps:\s*\d+.*?Sampler:", re.S)


@dataclass(frozen=True)
class Declaration:
    """One declaration of generation or AI editing.

    Attributes
    ----------
    source : str
        Where it was found (exiftool tag or ``c2pa:<manifest>/<action>``).
    kind : str
        ``iptc_digital_source_type``, ``c2pa_digital_source_type``, ``png_generator_chunk``
        or ``generator_software``.
    value : str
        The recorded value (bounded).
    ai : str
        generated, composite, algorithmic, enhanced, none or unknown.
    label : str
        Plain-words meaning.
    retired : bool
        A retired IPTC term (still meaningful in legacy files).
    """

    source: str
    kind: str
    value: str
    ai: str
    label: str
    retired: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def classify_digital_source_type(value: str) -> tuple[str, str, bool]:
    """``(label, ai, retired)`` of an IPTC/C2PA digital source type URI or bare term."""
    term = str(value).strip().rstrip("/")
    term = term.rsplit("/", 1)[-1] if "/" in term else term.split(":")[-1]
    if term in IPTC_DIGITAL_SOURCE_TYPES:
        return IPTC_DIGITAL_SOURCE_TYPES[term]
    low = {k.lower(): v for k, v in IPTC_DIGITAL_SOURCE_TYPES.items()}
    if term.lower() in low:
        return low[term.lower()]
    return (f"unrecognised digital source type {clean_str(term, 100)!r}", "unknown", False)


def parse_a1111_parameters(text: str) -> dict[str, Any]:
    """The prompt and settings of an AUTOMATIC1111-style ``parameters`` chunk.

    Returns ``{"prompt", "negative_prompt", "settings": {...}}`` (strings bounded).
    """
    text = str(text)[:20000]
    lines = text.split("\n")
    settings_line = ""
    for i in range(len(lines) - 1, -1, -1):
        if re.match(r"\s*Steps:\s*\d+", lines[i]):
            settings_line = lines[i]
            lines = lines[:i]
            break
    body = "\n".join(lines)
    neg = ""
    if "Negative prompt:" in body:
        body, neg = body.split("Negative prompt:", 1)
    settings: dict[str, str] = {}
    for m in re.finditer(r"([A-Za-z][A-Za-z0-9 _\-]{0,40}):\s*(\"[^\"]*\"|[^,]*)", settings_line):
        if len(settings) >= 60:
            break
        settings[m.group(1).strip()] = clean_str(m.group(2).strip().strip('"'), 300) or ""
    return {
        "prompt": clean_str(body.strip(), 2000),
        "negative_prompt": clean_str(neg.strip(), 2000),
        "settings": settings,
    }


def find_declarations(
    raw: dict[str, Any], c2pa_source_types: list[tuple[str, str]] | None = None
) -> list[Declaration]:
    """Every declaration of generation or AI editing in an exiftool dict.

    Parameters
    ----------
    raw : dict
        exiftool output (``-G1 -n`` keys).
    c2pa_source_types : list of (where, uri), optional
        ``digitalSourceType`` values read from C2PA actions/assertions.

    Returns
    -------
    list of Declaration
        Including declarations of no AI involvement (``ai == "none"``, e.g.
        ``digitalCapture``), which are declarations too, not proof.

    References
    ----------
    IPTC NewsCodes Digital Source Type vocabulary, http://cv.iptc.org/newscodes/digitalsourcetype/
    (2024-09 version; retired terms softwareImage, digitalArt, minorHumanEdits); IPTC Photo
    Metadata Standard 2023.1 (Digital Source Type property); C2PA Technical Specification 2.1
    §18.14 (actions ``digitalSourceType``).
    """
    out: list[Declaration] = []
    for key, value in raw.items():
        if len(out) >= 50:
            break
        if not key.endswith(":DigitalSourceType") and not key.endswith(":DigitalSourceFileType"):
            continue
        for v in value if isinstance(value, list) else [value]:
            label, ai, retired = classify_digital_source_type(str(v))
            out.append(
                Declaration(
                    key, "iptc_digital_source_type", clean_str(v, 300) or "", ai, label, retired
                )
            )
    for where, uri in (c2pa_source_types or [])[:50]:
        label, ai, retired = classify_digital_source_type(uri)
        out.append(
            Declaration(
                where, "c2pa_digital_source_type", clean_str(uri, 300) or "", ai, label, retired
            )
        )
    for key, label in PNG_GENERATOR_KEYS.items():
        v = raw.get(key)
        if v is None:
            continue
        text = str(v)
        if (
            key == "PNG:Parameters"
            and not _A1111.search(text[:20000])
            and "Steps:" not in text[:20000]
        ):
            continue
        if key in ("PNG:Prompt", "PNG:Workflow"):
            try:
                parsed = json.loads(text[:2_000_000])
            except (ValueError, RecursionError):
                parsed = None
            if not isinstance(parsed, dict):
                continue
            label = f"{label} ({len(parsed.get('nodes', parsed)) if isinstance(parsed, dict) else 0} nodes)"
        if (
            key == "PNG:Source"
            and not GENERATOR_SOFTWARE.search(text[:500])
            and "novelai" not in text.lower()
        ):
            continue
        if key == "PNG:Comment" and not (
            '"prompt"' in text[:5000] or GENERATOR_SOFTWARE.search(text[:2000])
        ):
            continue
        out.append(
            Declaration(key, "png_generator_chunk", clean_str(text, 500) or "", "generated", label)
        )
    for key in (
        "IFD0:Software",
        "XMP-xmp:CreatorTool",
        "PNG:Software",
        "Keys:Software",
        "QuickTime:Software",
        "XMP-xmpMM:HistorySoftwareAgent",
        "IPTC:OriginatingProgram",
        "XMP-tiff:Make",
        "IFD0:Make",
    ):
        v = raw.get(key)
        for item in (v if isinstance(v, list) else [v] if v is not None else [])[:20]:
            m = GENERATOR_SOFTWARE.search(str(item)[:1000])
            if m:
                out.append(
                    Declaration(
                        key,
                        "generator_software",
                        clean_str(item, 300) or "",
                        "generated",
                        f"names an image generator ({m.group(0)})",
                    )
                )
    return out


def is_ai_declared(decls: list[Declaration]) -> bool:
    """True when any declaration says generated, composite-with-generated or algorithmic media."""
    return any(d.ai in ("generated", "composite", "algorithmic") for d in decls)


__all__ = [
    "Declaration",
    "GENERATOR_SOFTWARE",
    "IPTC_DIGITAL_SOURCE_TYPES",
    "IPTC_DST_BASE",
    "PNG_GENERATOR_KEYS",
    "classify_digital_source_type",
    "find_declarations",
    "is_ai_declared",
    "parse_a1111_parameters",
]
