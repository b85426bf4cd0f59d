"""From exiftool's ``Group:Tag`` dict to the report's ``metadata`` block.

Values are kept as the file records them: a capture time without an offset stays without
one (never silently converted), and its source tag is named.
"""

from __future__ import annotations

import math
import re
from typing import Any

from ..evidence import Device, Gps, MetadataSummary

#: Longest metadata string carried into a report; hostile files can hold megabytes.
MAX_STRING = 2000

#: Capture-time sources, most trusted first: (time tag, offset tag).
CAPTURE_TIME_TAGS: tuple[tuple[str, str | None], ...] = (
    ("ExifIFD:DateTimeOriginal", "ExifIFD:OffsetTimeOriginal"),
    ("XMP-exif:DateTimeOriginal", None),
    ("ExifIFD:CreateDate", "ExifIFD:OffsetTimeDigitized"),
    ("XMP-photoshop:DateCreated", None),
    ("XMP-xmp:CreateDate", None),
    ("IPTC:DateCreated", None),
    ("QuickTime:CreationDate", None),
    ("Keys:CreationDate", None),
    ("QuickTime:CreateDate", None),
    ("IFD0:ModifyDate", "ExifIFD:OffsetTime"),
)

_EXIF_DT = re.compile(
    r"^(\d{4})[:-](\d{2})[:-](\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?(\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?$"
)
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


def clean_str(value: Any, limit: int = MAX_STRING) -> str | None:
    """A metadata value as a bounded, printable string (control characters replaced)."""
    if value is None:
        return None
    s = str(value)
    s = "".join(ch if ch.isprintable() or ch in "\t" else "\ufffd" for ch in s)
    s = s.strip()
    if len(s) > limit:
        s = s[:limit] + f"… [{len(s) - limit} more characters]"
    return s or None


def parse_exif_datetime(value: Any, offset: Any = None) -> str | None:
    """An EXIF/XMP/QuickTime date-time as ISO 8601, keeping an offset only if recorded.

    Parameters
    ----------
    value : str
        ``YYYY:MM:DD HH:MM:SS[.ss][±HH:MM|Z]`` (exiftool's form) or ISO-like.
    offset : str, optional
        An ``OffsetTime*`` tag value (``+01:00``) recorded separately.

    Returns
    -------
    str or None
        ``2014-09-16T14:05:12`` or ``2014-09-16T14:05:12+01:00``; None for empty or
        impossible values (``0000:00:00 00:00:00``).
    """
    if value is None:
        return None
    m = _EXIF_DT.match(str(value).strip())
    if not m:
        return None
    y, mo, d, hh, mm, ss, frac, tz = m.groups()
    if int(y) == 0 or int(mo) == 0 or int(d) == 0 or int(mo) > 12 or int(d) > 31:
        return None
    out = f"{y}-{mo}-{d}"
    if hh is not None:
        if int(hh) > 24 or int(mm) > 59 or int(ss or 0) > 60:
            return None
        out += f"T{hh}:{mm}:{ss or '00'}{frac or ''}"
        tz = tz or (str(offset).strip() if offset else None)
        if tz:
            if tz == "Z":
                out += "+00:00"
            else:
                om = _OFFSET.match(tz)
                if om:
                    out += f"{om.group(1)}{om.group(2)}:{om.group(3)}"
    return out


def _num(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def gps_from(raw: dict[str, Any]) -> Gps | None:
    """Signed decimal GPS from exiftool tags (Composite first, then GPS IFD with refs, XMP, QuickTime)."""
    lat = _num(raw.get("Composite:GPSLatitude"))
    lon = _num(raw.get("Composite:GPSLongitude"))
    source = "Composite:GPSLatitude/GPSLongitude"
    if lat is None or lon is None:
        lat, lon = _num(raw.get("GPS:GPSLatitude")), _num(raw.get("GPS:GPSLongitude"))
        source = "GPS:GPSLatitude/GPSLongitude"
        if lat is not None and lon is not None:
            if str(raw.get("GPS:GPSLatitudeRef", "N")).upper().startswith("S"):
                lat = -abs(lat)
            if str(raw.get("GPS:GPSLongitudeRef", "E")).upper().startswith("W"):
                lon = -abs(lon)
    if lat is None or lon is None:
        for key in ("XMP-exif:GPSLatitude", "Keys:GPSCoordinates", "UserData:GPSCoordinates",
                    "QuickTime:GPSCoordinates", "ItemList:GPSCoordinates"):
            v = raw.get(key)
            if v is None:
                continue
            if key.endswith("GPSLatitude"):
                lat, lon = _num(v), _num(raw.get("XMP-exif:GPSLongitude"))
            else:
                parts = str(v).replace(",", " ").split()
                if len(parts) >= 2:
                    lat, lon = _num(parts[0]), _num(parts[1])
            source = key
            if lat is not None and lon is not None:
                break
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    if lat == 0.0 and lon == 0.0:
        return None  # "null island": an empty GPS block, not a position
    alt = _num(raw.get("Composite:GPSAltitude", raw.get("GPS:GPSAltitude")))
    return Gps(lat=lat, lon=lon, alt=alt, source=source)


def summarize(raw: dict[str, Any]) -> MetadataSummary:
    """The report's ``metadata`` block from one exiftool dict."""
    capture, source = None, None
    for tag, offset_tag in CAPTURE_TIME_TAGS:
        parsed = parse_exif_datetime(raw.get(tag), raw.get(offset_tag) if offset_tag else None)
        if parsed:
            capture, source = parsed, tag
            break
    make = clean_str(raw.get("IFD0:Make") or raw.get("XMP-tiff:Make") or raw.get("Keys:Make")
                     or raw.get("UserData:Make"), 200)
    model = clean_str(raw.get("IFD0:Model") or raw.get("XMP-tiff:Model") or raw.get("Keys:Model")
                      or raw.get("UserData:Model"), 200)
    software = clean_str(raw.get("IFD0:Software") or raw.get("XMP-xmp:CreatorTool")
                         or raw.get("Keys:Software") or raw.get("QuickTime:Software")
                         or raw.get("PNG:Software"), 500)
    return MetadataSummary(
        capture_time=capture,
        capture_time_source=source,
        gps=gps_from(raw),
        device=Device(make=make, model=model) if (make or model) else None,
        software=software,
    )
