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
        for key in (
            "XMP-exif:GPSLatitude",
            "Keys:GPSCoordinates",
            "UserData:GPSCoordinates",
            "QuickTime:GPSCoordinates",
            "ItemList:GPSCoordinates",
        ):
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
    make = clean_str(
        raw.get("IFD0:Make")
        or raw.get("XMP-tiff:Make")
        or raw.get("Keys:Make")
        or raw.get("UserData:Make"),
        200,
    )
    model = clean_str(
        raw.get("IFD0:Model")
        or raw.get("XMP-tiff:Model")
        or raw.get("Keys:Model")
        or raw.get("UserData:Model"),
        200,
    )
    software = clean_str(
        raw.get("IFD0:Software")
        or raw.get("XMP-xmp:CreatorTool")
        or raw.get("Keys:Software")
        or raw.get("QuickTime:Software")
        or raw.get("PNG:Software"),
        500,
    )
    return MetadataSummary(
        capture_time=capture,
        capture_time_source=source,
        gps=gps_from(raw),
        device=Device(make=make, model=model) if (make or model) else None,
        software=software,
    )


def _int(value: Any) -> int | None:
    f = _num(value)
    return int(f) if f is not None and abs(f) < 2**53 else None


def _first(raw: dict[str, Any], *keys: str) -> tuple[Any, str | None]:
    for k in keys:
        v = raw.get(k)
        if v is not None and str(v).strip() != "":
            return v, k
    return None, None


def _as_list(value: Any, limit: int = 100) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value[:limit]
    return [value]


#: Tags holding an embedded picture (thumbnail or preview), as exiftool names them.
EMBEDDED_IMAGE_TAGS = (
    "IFD1:ThumbnailImage",
    "IFD0:PreviewImage",
    "ExifIFD:PreviewImage",
    "IFD1:PreviewImage",
    "Photoshop:PhotoshopThumbnail",
    "XMP-xmp:ThumbnailImage",
    "MakerNotes:PreviewImage",
    "Composite:PreviewImage",
    "Composite:ThumbnailImage",
    "IFD0:JpgFromRaw",
    "Composite:JpgFromRaw",
    "MPF1:PreviewImage",
    "MPImage2:MPImage",
    "QuickTime:CoverArt",
)


def gps_detail(raw: dict[str, Any]) -> dict[str, Any] | None:
    """GPS position with altitude, accuracy, image direction and speed (None without a fix)."""
    g = gps_from(raw)
    if g is None:
        return None
    direction = _num(raw.get("GPS:GPSImgDirection"))
    speed = _num(raw.get("GPS:GPSSpeed"))
    speed_unit = {"K": "km/h", "M": "mph", "N": "knots"}.get(
        str(raw.get("GPS:GPSSpeedRef", "K")), "km/h"
    )
    return {
        "lat": g.lat,
        "lon": g.lon,
        "alt": g.alt,
        "source": g.source,
        "accuracy_m": _num(
            raw.get("GPS:GPSHPositioningError") or raw.get("XMP-exif:GPSHPositioningError")
        ),
        "dop": _num(raw.get("GPS:GPSDOP")),
        "direction_deg": direction,
        "direction_ref": clean_str(raw.get("GPS:GPSImgDirectionRef"), 4)
        if direction is not None
        else None,
        "speed": speed,
        "speed_unit": speed_unit if speed is not None else None,
        "datum": clean_str(raw.get("GPS:GPSMapDatum"), 40),
    }


def device_detail(raw: dict[str, Any]) -> dict[str, Any] | None:
    """Camera/phone make, model, serial numbers and lens."""
    make, _ = _first(
        raw, "IFD0:Make", "XMP-tiff:Make", "Keys:Make", "UserData:Make", "QuickTime:Make"
    )
    model, _ = _first(
        raw, "IFD0:Model", "XMP-tiff:Model", "Keys:Model", "UserData:Model", "QuickTime:Model"
    )
    serial, serial_src = _first(
        raw,
        "ExifIFD:SerialNumber",
        "ExifIFD:BodySerialNumber",
        "MakerNotes:SerialNumber",
        "XMP-aux:SerialNumber",
        "XMP-exifEX:BodySerialNumber",
        "Canon:SerialNumber",
        "Nikon:SerialNumber",
        "MakerNotes:InternalSerialNumber",
    )
    lens, _ = _first(
        raw, "ExifIFD:LensModel", "Composite:LensID", "XMP-aux:Lens", "XMP-exifEX:LensModel"
    )
    lens_make, _ = _first(raw, "ExifIFD:LensMake", "XMP-exifEX:LensMake")
    lens_serial, _ = _first(raw, "ExifIFD:LensSerialNumber", "XMP-aux:LensSerialNumber")
    out = {
        "make": clean_str(make, 200),
        "model": clean_str(model, 200),
        "serial": clean_str(serial, 100),
        "serial_source": serial_src if serial is not None else None,
        "lens": clean_str(lens, 200),
        "lens_make": clean_str(lens_make, 200),
        "lens_serial": clean_str(lens_serial, 100),
        "owner": clean_str(_first(raw, "ExifIFD:OwnerName", "XMP-aux:OwnerName")[0], 200),
    }
    return out if any(v for k, v in out.items() if k != "serial_source") else None


def history(raw: dict[str, Any]) -> list[dict[str, Any]]:
    """XMP Media Management history (``xmpMM:History``): action, software, when, changed."""
    actions = _as_list(raw.get("XMP-xmpMM:HistoryAction"))
    agents = _as_list(raw.get("XMP-xmpMM:HistorySoftwareAgent"))
    whens = _as_list(raw.get("XMP-xmpMM:HistoryWhen"))
    changed = _as_list(raw.get("XMP-xmpMM:HistoryChanged"))
    n = max(len(actions), len(agents), len(whens))
    out = []
    for i in range(min(n, 100)):
        out.append(
            {
                "action": clean_str(actions[i], 100) if i < len(actions) else None,
                "software": clean_str(agents[i], 200) if i < len(agents) else None,
                "when": clean_str(whens[i], 40) if i < len(whens) else None,
                "changed": clean_str(changed[i], 200) if i < len(changed) else None,
            }
        )
    return out


def embedded_images(raw: dict[str, Any]) -> list[dict[str, Any]]:
    """Embedded thumbnails and previews exiftool reports (tag and size in bytes)."""
    out = []
    for tag in EMBEDDED_IMAGE_TAGS:
        v = raw.get(tag)
        if v is None:
            continue
        m = re.search(r"Binary data (\d+) bytes", str(v)[:100])
        size = (
            int(m.group(1))
            if m
            else (len(str(v)) * 3 // 4 if str(v).startswith("base64:") else None)
        )
        out.append({"tag": tag, "bytes": size})
    return out


def normalise(raw: dict[str, Any]) -> dict[str, Any]:
    """The full normalised metadata of one file (``verilens metadata --json``'s ``metadata``).

    Parameters
    ----------
    raw : dict
        exiftool output for one file (``-G1 -n`` keys).

    Returns
    -------
    dict
        ``summary`` (the report's metadata block), ``file``, ``timestamps`` (see
        :func:`verilens.metadata.timestamps.collect_timestamps`), ``gps``, ``device``,
        ``software`` and ``history``, ``comment``, ``description``, ``icc_profile``,
        ``embedded_images``, ``ai_declarations``, ``c2pa_present`` and ``warnings``.

    Notes
    -----
    Every string is bounded and stripped of control characters (:func:`clean_str`);
    values stay data and must still be escaped wherever they are rendered.
    """
    from .ai_declaration import find_declarations
    from .software import find_software
    from .timestamps import collect_timestamps

    summary = summarize(raw)
    warnings = [clean_str(w, 300) for w in _as_list(raw.get("ExifTool:Warning"), 20)]
    return {
        "summary": summary.model_dump(mode="json"),
        "file": {
            "type": clean_str(raw.get("File:FileType"), 20),
            "mime": clean_str(raw.get("File:MIMEType"), 60),
            "size_bytes": _int(raw.get("System:FileSize")),
            "width": _int(
                _first(
                    raw,
                    "File:ImageWidth",
                    "PNG:ImageWidth",
                    "RIFF:ImageWidth",
                    "Track1:ImageWidth",
                    "ExifIFD:ExifImageWidth",
                )[0]
            ),
            "height": _int(
                _first(
                    raw,
                    "File:ImageHeight",
                    "PNG:ImageHeight",
                    "RIFF:ImageHeight",
                    "Track1:ImageHeight",
                    "ExifIFD:ExifImageHeight",
                )[0]
            ),
        },
        "timestamps": collect_timestamps(raw).to_dict(),
        "gps": gps_detail(raw),
        "device": device_detail(raw),
        "software": [s.to_dict() for s in find_software(raw)],
        "history": history(raw),
        "comment": clean_str(raw.get("File:Comment")),
        "user_comment": clean_str(raw.get("ExifIFD:UserComment")),
        "description": clean_str(
            _first(raw, "IFD0:ImageDescription", "XMP-dc:Description", "IPTC:Caption-Abstract")[0]
        ),
        "icc_profile": clean_str(raw.get("ICC_Profile:ProfileDescription"), 200),
        "embedded_images": embedded_images(raw),
        "ai_declarations": [d.to_dict() for d in find_declarations(raw)],
        "c2pa_present": any(k.startswith(("JUMBF:", "C2PA")) for k in raw),
        "warnings": [w for w in warnings if w],
        "error": clean_str(raw.get("ExifTool:Error"), 300),
    }
