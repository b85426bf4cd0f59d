"""Editing software and export pipelines recorded in a file (pure functions, no I/O).

A camera writes its firmware into ``Software``; an editor writes its own name there, in
``XMP xmp:CreatorTool``, in the XMP history, in Photoshop image resources, in Camera Raw
settings or in a JPEG comment; a platform that re-encodes uploads often leaves its own mark
(Facebook's ``FBMD`` IPTC instruction, a libjpeg/gd comment).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from .normalise import clean_str

#: (pattern, product name, category). Category: ``editor`` (a person edited pixels or
#: settings), ``export`` (a library or platform re-encoded the file), ``generator`` (an
#: image generator), ``camera`` (device firmware: not an edit). Structural traces add
#: ``metadata_writer`` (a tool rewrote metadata blocks; pixels not necessarily touched).
KNOWN_SOFTWARE: tuple[tuple[str, str, str], ...] = (
    (r"lightroom", "Adobe Lightroom", "editor"),
    (r"camera raw", "Adobe Camera Raw", "editor"),
    (r"photoshop", "Adobe Photoshop", "editor"),
    (r"adobe firefly|firefly", "Adobe Firefly", "generator"),
    (r"adobe express|adobe spark", "Adobe Express", "editor"),
    (r"imageready", "Adobe ImageReady", "editor"),
    (r"fireworks", "Adobe Fireworks", "editor"),
    (r"illustrator", "Adobe Illustrator", "editor"),
    (r"premiere|after effects|final cut|davinci|imovie|capcut|inshot", "video editor", "editor"),
    (r"\bgimp\b", "GIMP", "editor"),
    (r"snapseed", "Snapseed", "editor"),
    (r"pixelmator", "Pixelmator", "editor"),
    (r"affinity", "Affinity Photo", "editor"),
    (r"paint\.net", "Paint.NET", "editor"),
    (r"paint ?shop ?pro|corel", "Corel PaintShop Pro", "editor"),
    (r"capture one", "Capture One", "editor"),
    (r"\bdxo\b", "DxO PhotoLab", "editor"),
    (r"darktable", "darktable", "editor"),
    (r"rawtherapee", "RawTherapee", "editor"),
    (r"\bkrita\b", "Krita", "editor"),
    (r"luminar", "Luminar", "editor"),
    (r"picsart", "PicsArt", "editor"),
    (r"facetune", "Facetune", "editor"),
    (r"meitu", "Meitu", "editor"),
    (r"\bvsco\b", "VSCO", "editor"),
    (r"\bcanva\b", "Canva", "editor"),
    (r"acdsee", "ACDSee", "editor"),
    (r"photoscape", "PhotoScape", "editor"),
    (r"paint tool sai|painttool", "PaintTool SAI", "editor"),
    (r"picasa", "Google Picasa", "editor"),
    (r"photos? ?(app|\d)|apple photos", "Apple Photos", "editor"),
    (r"microsoft windows photo|windows photo editor|photos legacy", "Microsoft Photos", "editor"),
    (r"imagemagick", "ImageMagick", "export"),
    (r"graphicsmagick", "GraphicsMagick", "export"),
    (r"libvips|\bvips\b", "libvips", "export"),
    (r"gd-jpeg", "PHP GD (gd-jpeg)", "export"),
    (r"lead technologies", "LEADTOOLS", "export"),
    (r"\bpillow\b|\bpil\b", "Pillow", "export"),
    (r"ffmpeg|lavf|lavc", "FFmpeg", "export"),
    (r"handbrake", "HandBrake", "export"),
    (r"instagram", "Instagram", "export"),
    (r"whatsapp", "WhatsApp", "export"),
    (r"telegram", "Telegram", "export"),
    (
        r"stable diffusion|automatic1111|comfyui|invokeai|novelai|midjourney|dall[-·]?e|openai|"
        r"imagen|ideogram|leonardo\.ai|flux",
        "image generator",
        "generator",
    ),
)

#: Tags that name the software that wrote the file.
SOFTWARE_TAGS = (
    "IFD0:Software",
    "XMP-xmp:CreatorTool",
    "PNG:Software",
    "Keys:Software",
    "QuickTime:Software",
    "UserData:Software",
    "IPTC:OriginatingProgram",
    "XMP-tiff:Software",
    "ItemList:Encoder",
    "QuickTime:Encoder",
    "Keys:Encoder",
    "UserData:Encoder",
    "XMP-photoshop:History",
    "File:Comment",
    "ExifIFD:UserComment",
    "JFIF:Comment",
    "Comment",
)

_FIRMWARE = re.compile(
    r"^\s*(ver(sion)?\.?\s*|v|fw\s*)?[\d][\d._ -]*[a-z]?\s*$|firmware|^\s*ios\b|android|"
    r"hdr\+|^\s*[a-z]\d{3,}[a-z0-9._-]*\s*$",
    re.I,
)


@dataclass(frozen=True)
class SoftwareTrace:
    """One trace of software in the file.

    Attributes
    ----------
    source : str
        exiftool tag (or tag group) it was read from.
    value : str
        The recorded text (bounded).
    name : str or None
        Recognised product.
    category : str
        editor, export, generator, camera or unknown.
    """

    source: str
    value: str
    name: str | None
    category: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def classify(value: str, raw: dict[str, Any] | None = None) -> tuple[str | None, str]:
    """The product and category a software string names (``(None, "unknown")`` if none)."""
    low = value.lower()
    for pattern, name, category in KNOWN_SOFTWARE:
        if re.search(pattern, low):
            return name, category
    make = str((raw or {}).get("IFD0:Make", "")).strip().lower()
    model = str((raw or {}).get("IFD0:Model", "")).strip().lower()
    if _FIRMWARE.search(value) or (make and make.split()[0] in low) or (model and model in low):
        return None, "camera"
    return None, "unknown"


def find_software(raw: dict[str, Any]) -> list[SoftwareTrace]:
    """Every software trace in an exiftool dict.

    Parameters
    ----------
    raw : dict
        exiftool output (``-G1 -n`` keys).

    Returns
    -------
    list of SoftwareTrace
        Tag values naming software, XMP history agents, plus structural traces:
        Photoshop image resources (``Photoshop:*``), Camera Raw / Lightroom settings
        (``XMP-crs:*``), and Facebook's ``FBMD`` IPTC instruction.

    Notes
    -----
    A recognised camera firmware string is returned with category ``camera``; it is not
    an edit. Unknown strings are kept as ``unknown`` for the reader to judge.
    """
    out: list[SoftwareTrace] = []
    seen: set[tuple[str, str]] = set()

    def add(source: str, value: Any, name: str | None = None, category: str | None = None) -> None:
        text = clean_str(value, 300)
        if not text or (source, text) in seen or len(out) >= 100:
            return
        seen.add((source, text))
        if category is None:
            name, category = classify(text, raw)
        out.append(SoftwareTrace(source=source, value=text, name=name, category=category))

    for tag in SOFTWARE_TAGS:
        v = raw.get(tag)
        if v is None:
            continue
        if tag in ("File:Comment", "ExifIFD:UserComment", "JFIF:Comment", "Comment"):
            name, category = classify(str(v)[:300], raw)
            if category in ("editor", "export", "generator"):
                add(tag, v, name, category)
            continue
        add(tag, v)
    agents = raw.get("XMP-xmpMM:HistorySoftwareAgent")
    for agent in (agents if isinstance(agents, list) else [agents] if agents else [])[:50]:
        add("XMP-xmpMM:HistorySoftwareAgent", agent)
    if any(k.startswith("XMP-crs:") for k in raw):
        add(
            "XMP-crs:*",
            "Camera Raw / Lightroom develop settings present",
            "Adobe Camera Raw",
            "editor",
        )
    if any(
        k.startswith("Photoshop:")
        and not k.endswith(("XResolution", "YResolution", "DisplayedUnitsX", "DisplayedUnitsY"))
        for k in raw
    ):
        add(
            "Photoshop:*",
            "Photoshop image resources (APP13) present",
            "APP13 writer (Photoshop or an IPTC tool)",
            "metadata_writer",
        )
    instr = str(raw.get("IPTC:SpecialInstructions", ""))
    if instr.startswith("FBMD"):
        add("IPTC:SpecialInstructions", instr[:80], "Facebook", "export")
    return out


__all__ = ["KNOWN_SOFTWARE", "SOFTWARE_TAGS", "SoftwareTrace", "classify", "find_software"]
