"""Video container probe: streams, codecs, timing, rotation and embedded metadata.

Two sources are read and kept apart: the container as FFmpeg demuxes it (PyAV:
:func:`read_container`) and the tags exiftool reads with ``-ee`` (QuickTime/MP4 atoms,
Apple ``Keys``, ``UserData``, timed metadata tracks), normalised by the pure function
:func:`parse_video_tags`.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from ..errors import InputError

#: Packets inspected to tell constant from variable frame rate.
VFR_PACKETS = 600
#: Relative spread of frame durations above which the rate is called variable.
VFR_TOLERANCE = 0.02


@dataclass
class StreamInfo:
    """One elementary stream of a container (PyAV's view)."""

    index: int
    type: str
    codec: str | None
    codec_long: str | None = None
    profile: str | None = None
    width: int | None = None
    height: int | None = None
    pix_fmt: str | None = None
    fps_average: float | None = None
    fps_base: float | None = None
    frames_declared: int | None = None
    duration_s: float | None = None
    bit_rate: int | None = None
    sample_rate: int | None = None
    channels: int | None = None
    language: str | None = None
    handler: str | None = None
    encoder: str | None = None
    creation_time: str | None = None


@dataclass
class ContainerInfo:
    """What FFmpeg's demuxer says about a file (see :func:`read_container`)."""

    format: str
    format_long: str | None
    duration_s: float | None
    bit_rate: int | None
    streams: list[StreamInfo]
    tags: dict[str, str]
    rotation_deg: float = 0.0
    frame_rate: str = "unknown"  # "constant" | "variable" | "unknown"
    frame_duration_spread: float | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _frac(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return v if math.isfinite(v) and v > 0 else None


def _clean(s: Any, limit: int = 500) -> str:
    """A tag value as printable text of bounded length (hostile metadata is data)."""
    text = "".join(ch if ch.isprintable() else "\ufffd" for ch in str(s))
    return text[:limit]


def frame_rate_mode(pts: list[int], tolerance: float = VFR_TOLERANCE) -> tuple[str, float | None]:
    """Constant or variable frame rate from presentation timestamps.

    Parameters
    ----------
    pts : list of int
        Presentation timestamps of consecutive video packets (stream time base units), in
        any order (sorted here; B-frame reordering is undone by the sort).
    tolerance : float
        Relative spread of frame durations, (p95 - p5) / median, above which the rate is
        variable.

    Returns
    -------
    mode : {"constant", "variable", "unknown"}
    spread : float or None
        The measured relative spread.

    Notes
    -----
    Phones record variable frame rate when light is low; editors and transcoders usually
    write constant rate. A handful of packets (fewer than 8) gives ``unknown``.
    """
    import numpy as np

    vals = sorted(set(int(p) for p in pts))
    if len(vals) < 8:
        return "unknown", None
    d = np.diff(np.asarray(vals, dtype=np.float64))
    d = d[d > 0]
    if d.size < 6:
        return "unknown", None
    med = float(np.median(d))
    spread = float((np.percentile(d, 95) - np.percentile(d, 5)) / med) if med > 0 else None
    if spread is None:
        return "unknown", None
    return ("variable" if spread > tolerance else "constant"), round(spread, 4)


def read_container(path: str | os.PathLike[str], vfr_packets: int = VFR_PACKETS) -> ContainerInfo:
    """Probe a video file with FFmpeg (PyAV) without decoding pictures.

    Parameters
    ----------
    path : path-like
        The original; only read.
    vfr_packets : int
        Video packets demuxed (not decoded) to tell constant from variable frame rate.

    Returns
    -------
    ContainerInfo

    Raises
    ------
    InputError
        The file cannot be opened as a media container.

    Notes
    -----
    Rotation is the display matrix of the first video stream, in FFmpeg's convention
    (degrees counter-clockwise; -90 means "turn 90 degrees clockwise to display"), read from
    the first decoded frame's side data, because PyAV 14+ exposes it there.
    """
    import av

    name = os.path.basename(os.fspath(path))
    try:
        container = av.open(os.fspath(path), metadata_errors="ignore")
    except Exception as exc:
        raise InputError(f"{name}: cannot be opened as a video ({exc or type(exc).__name__})") from exc
    notes: list[str] = []
    with container:
        streams: list[StreamInfo] = []
        for s in container.streams:
            cc = getattr(s, "codec_context", None)
            md = {str(k): _clean(v) for k, v in (s.metadata or {}).items()}
            info = StreamInfo(
                index=int(s.index), type=str(s.type),
                codec=getattr(cc, "name", None) if cc is not None else None,
                codec_long=_clean(cc.codec.long_name) if cc is not None and cc.codec else None,
                profile=_clean(s.profile) if getattr(s, "profile", None) else None,
                duration_s=(float(s.duration * s.time_base) if s.duration and s.time_base else None),
                language=md.get("language"), handler=md.get("handler_name"),
                encoder=md.get("encoder"), creation_time=md.get("creation_time"),
                bit_rate=int(cc.bit_rate) if cc is not None and getattr(cc, "bit_rate", None) else None,
            )
            if s.type == "video" and cc is not None:
                info.width, info.height = int(cc.width or 0) or None, int(cc.height or 0) or None
                info.pix_fmt = getattr(cc, "pix_fmt", None)
                info.fps_average = _frac(s.average_rate)
                info.fps_base = _frac(s.base_rate)
                info.frames_declared = int(s.frames or 0) or None
            elif s.type == "audio" and cc is not None:
                info.sample_rate = int(getattr(cc, "sample_rate", 0) or 0) or None
                layout = getattr(cc, "layout", None)
                info.channels = len(layout.channels) if layout is not None else None
            streams.append(info)
        tags = {str(k): _clean(v) for k, v in (container.metadata or {}).items()}
        duration = container.duration / 1e6 if container.duration else None
        bit_rate = int(container.bit_rate) if container.bit_rate else None
        fmt, fmt_long = str(container.format.name), _clean(container.format.long_name)
        rotation = 0.0
        mode, spread = "unknown", None
        vstreams = container.streams.video
        if vstreams:
            vs = vstreams[0]
            pts: list[int] = []
            try:
                for i, packet in enumerate(container.demux(vs)):
                    if packet.pts is not None:
                        pts.append(int(packet.pts))
                    if i + 1 >= vfr_packets:
                        break
            except Exception as exc:  # truncated file: what was read is enough
                notes.append(f"demuxing stopped early ({type(exc).__name__})")
            mode, spread = frame_rate_mode(pts)
            try:
                container.seek(0, stream=vs)
                for frame in container.decode(vs):
                    rotation = float(getattr(frame, "rotation", 0) or 0)
                    break
            except Exception as exc:
                notes.append(f"first frame not decodable for rotation ({type(exc).__name__})")
    return ContainerInfo(
        format=fmt, format_long=fmt_long, duration_s=duration, bit_rate=bit_rate,
        streams=streams, tags=tags, rotation_deg=rotation, frame_rate=mode,
        frame_duration_spread=spread, notes=notes,
    )


# ---------------------------------------------------------------- exiftool tags (pure)

_ISO6709 = re.compile(r"^\s*([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)?")
_DT = re.compile(
    r"^\s*(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$"
)


def parse_iso6709(text: str) -> tuple[float, float, float | None] | None:
    """Latitude, longitude (degrees) and altitude (m) from an ISO 6709 string.

    Parameters
    ----------
    text : str
        E.g. ``"+32.0929+034.8620+028.516/"`` (Apple ``com.apple.quicktime.location.ISO6709``).

    Returns
    -------
    (lat, lon, alt) or None
        None when the string is not decimal-degree ISO 6709 or out of range.

    References
    ----------
    ISO 6709:2008, Standard representation of geographic point location by coordinates.
    """
    m = _ISO6709.match(str(text))
    if not m:
        return None
    lat, lon = float(m.group(1)), float(m.group(2))
    alt = float(m.group(3)) if m.group(3) else None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon, alt


def parse_quicktime_time(value: Any, *, assume_utc: bool) -> dict[str, Any] | None:
    """Normalise an exiftool date (``2019:07:24 08:25:57`` or with an offset).

    Parameters
    ----------
    value : str
        As exiftool prints it with ``-n``.
    assume_utc : bool
        True for QuickTime/MP4 header dates (``mvhd``/``tkhd``/``mdhd`` creation time),
        which the specification defines as UTC (seconds since 1904-01-01 UTC); False for
        free-text dates that carry their own offset or none.

    Returns
    -------
    dict or None
        ``{"value": ISO as recorded, "utc": ISO with +00:00 or None, "offset": "+03:00" or
        None}``; None for an empty or zero date (``0000:00:00 00:00:00``, common in files
        whose writer left the field unset).

    References
    ----------
    Apple, QuickTime File Format Specification, "Movie Header Atoms" (creation time in
    seconds since midnight, January 1, 1904, UTC); ISO/IEC 14496-12 (ISO BMFF) mvhd.
    """
    if value is None:
        return None
    m = _DT.match(str(value))
    if not m:
        return None
    y, mo, d, hh, mi, ss = (int(m.group(i)) for i in range(1, 7))
    if y == 0 or mo == 0 or d == 0:
        return None
    try:
        naive = datetime(y, mo, d, hh, mi, ss)
    except ValueError:
        return None
    tz = m.group(8)
    if tz:
        if tz == "Z":
            off = timedelta(0)
        else:
            sign = -1 if tz[0] == "-" else 1
            digits = tz[1:].replace(":", "")
            off = sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4]))
        aware = naive.replace(tzinfo=timezone(off))
        offset = aware.strftime("%z")
        offset = offset[:3] + ":" + offset[3:]
        return {"value": aware.isoformat(), "utc": aware.astimezone(UTC).isoformat(),
                "offset": offset}
    if assume_utc:
        if y <= 1904 and mo == 1 and d == 1:  # epoch of the QuickTime clock: field unset
            return None
        aware = naive.replace(tzinfo=UTC)
        return {"value": naive.isoformat(), "utc": aware.isoformat(), "offset": "+00:00"}
    return {"value": naive.isoformat(), "utc": None, "offset": None}


#: Header dates defined as UTC by the QuickTime/ISO BMFF specifications.
_UTC_DATE_TAGS = ("CreateDate", "ModifyDate", "TrackCreateDate", "TrackModifyDate",
                  "MediaCreateDate", "MediaModifyDate")
#: Free-text dates written by devices (Apple Keys, UserData, XMP); they carry their own offset.
_LOCAL_DATE_TAGS = ("CreationDate", "DateTimeOriginal", "ContentCreateDate")


def parse_video_tags(tags: dict[str, Any]) -> dict[str, Any]:
    """Normalise exiftool's ``-G1 -n -ee`` tags of a video into the facts a verifier reads.

    Parameters
    ----------
    tags : dict
        ``{"Group:Tag": value}`` as returned by the exiftool bridge.

    Returns
    -------
    dict
        ``creation_time`` (``{"source", "value", "utc", "offset"}`` from the movie header,
        UTC by specification), ``device_time`` (the device's own local date with offset,
        e.g. Apple ``Keys:CreationDate``), ``times`` (every date found, with its source),
        ``gps`` (``{"lat", "lon", "alt", "source"}`` or None), ``gps_samples`` (count of
        timed GPS samples seen with ``-ee``), ``make``, ``model``, ``software``,
        ``encoder``, ``rotation_deg`` (clockwise degrees to display, exiftool's
        ``Composite:Rotation``), ``major_brand``, ``duration_s``, ``frame_rate``,
        ``width``, ``height``, ``handlers``.

    Notes
    -----
    QuickTime header dates are UTC by specification but many cameras write local time
    into them; the offset of ``device_time`` is the device's own statement and the two
    disagreeing by a whole number of hours usually shows exactly that. Values are kept as
    recorded; nothing is silently converted.

    References
    ----------
    Phil Harvey, ExifTool QuickTime tags, https://exiftool.org/TagNames/QuickTime.html
    """
    times: list[dict[str, Any]] = []
    creation: dict[str, Any] | None = None
    device_time: dict[str, Any] | None = None
    for key, val in tags.items():
        if not isinstance(key, str) or ":" not in key:
            continue
        group, tag = key.split(":", 1)
        if tag in _UTC_DATE_TAGS and (group == "QuickTime" or group.startswith("Track")):
            t = parse_quicktime_time(val, assume_utc=True)
            if t:
                times.append({"source": key, **t, "kind": "quicktime"})
                if creation is None and key == "QuickTime:CreateDate":
                    creation = {"source": key, **t}
        elif tag in _LOCAL_DATE_TAGS:
            t = parse_quicktime_time(val, assume_utc=False)
            if t:
                times.append({"source": key, **t, "kind": "capture"})
                if device_time is None or (device_time.get("offset") is None and t.get("offset")):
                    device_time = {"source": key, **t}
    if creation is None:
        creation = next(({k: v for k, v in t.items() if k != "kind"} for t in times if t["kind"] == "quicktime"), None)

    gps: dict[str, Any] | None = None
    for key in ("Keys:GPSCoordinates", "UserData:GPSCoordinates", "ItemList:GPSCoordinates",
                "QuickTime:GPSCoordinates", "Keys:LocationISO6709", "UserData:LocationISO6709"):
        val = tags.get(key)
        if val is None:
            continue
        parts = str(val).replace(",", " ").split()
        try:
            nums = [float(p) for p in parts[:3]]
        except ValueError:
            nums = []
        if len(nums) >= 2 and -90 <= nums[0] <= 90 and -180 <= nums[1] <= 180:
            gps = {"lat": nums[0], "lon": nums[1], "alt": nums[2] if len(nums) > 2 else None, "source": key}
            break
        p6709 = parse_iso6709(str(val))
        if p6709:
            gps = {"lat": p6709[0], "lon": p6709[1], "alt": p6709[2], "source": key}
            break
    if gps is None:
        lat, lon = tags.get("Composite:GPSLatitude"), tags.get("Composite:GPSLongitude")
        try:
            if lat is not None and lon is not None and -90 <= float(lat) <= 90 and -180 <= float(lon) <= 180:
                alt = tags.get("Composite:GPSAltitude")
                gps = {"lat": float(lat), "lon": float(lon),
                       "alt": float(alt) if isinstance(alt, (int, float)) else None, "source": "Composite:GPSPosition"}
        except (TypeError, ValueError):
            gps = None
    gps_samples = sum(1 for k in tags if isinstance(k, str) and k.endswith(":GPSLatitude")
                      and not k.startswith("Composite:"))

    def first(*keys: str) -> Any:
        for k in keys:
            v = tags.get(k)
            if v not in (None, ""):
                return _clean(v, 200)
        return None

    handlers = sorted({_clean(v, 80) for k, v in tags.items()
                       if isinstance(k, str) and k.endswith(":HandlerDescription")})
    encoder = first("QuickTime:Encoder", "ItemList:Encoder", "UserData:Encoder", "Keys:Encoder")
    if encoder is None:
        encoder = next((_clean(v, 200) for k, v in tags.items()
                        if isinstance(k, str) and k.endswith(":CompressorName") and str(v).strip()), None)
    rot = tags.get("Composite:Rotation")
    width = height = None
    size = tags.get("Composite:ImageSize")
    if size:
        try:
            width, height = (int(float(x)) for x in str(size).replace("x", " ").split()[:2])
        except ValueError:
            width = height = None
    fps = next((v for k, v in tags.items() if isinstance(k, str) and k.endswith(":VideoFrameRate")
                and isinstance(v, (int, float))), None)
    dur = tags.get("QuickTime:Duration")
    return {
        "creation_time": creation,
        "device_time": device_time,
        "times": times[:50],
        "gps": gps,
        "gps_samples": gps_samples,
        "make": first("Keys:Make", "UserData:Make", "QuickTime:Make", "ItemList:Make"),
        "model": first("Keys:Model", "UserData:Model", "QuickTime:Model", "ItemList:Model"),
        "software": first("Keys:Software", "UserData:Software", "QuickTime:Software",
                          "Keys:AndroidVersion", "ItemList:Software"),
        "encoder": encoder,
        "rotation_deg": float(rot) if isinstance(rot, (int, float)) else None,
        "major_brand": first("QuickTime:MajorBrand"),
        "duration_s": float(dur) if isinstance(dur, (int, float)) else None,
        "frame_rate": float(fps) if fps is not None else None,
        "width": width,
        "height": height,
        "handlers": handlers[:20],
        "exiftool_error": first("ExifTool:Error"),
        "exiftool_warning": first("ExifTool:Warning"),
    }


__all__ = ["ContainerInfo", "StreamInfo", "frame_rate_mode", "parse_iso6709", "parse_quicktime_time",
           "parse_video_tags", "read_container"]
