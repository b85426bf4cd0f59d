"""Parse the structure of a JPEG file from its bytes (no decoding, no file I/O).

A bounded walk over the markers: quantisation tables (DQT), frame header (SOF: baseline or
progressive, components and their sampling factors), Huffman tables, restart interval,
APPn segments and the order they come in. Hostile input (truncated segments, lengths that
run past the end, endless fill bytes) ends the walk with a note; it never raises.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Zig-zag order: ZIGZAG[k] is the natural (row-major) index of the k-th coefficient in a
#: DQT segment (ITU-T T.81, Figure A.6).
ZIGZAG = np.array([
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
    12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
    35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
    58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
], dtype=np.intp)

MARKER_NAMES = {
    0xD8: "SOI", 0xD9: "EOI", 0xDA: "SOS", 0xDB: "DQT", 0xC4: "DHT", 0xDD: "DRI", 0xFE: "COM",
    0xC0: "SOF0", 0xC1: "SOF1", 0xC2: "SOF2", 0xC3: "SOF3", 0xC5: "SOF5", 0xC6: "SOF6", 0xC7: "SOF7",
    0xC9: "SOF9", 0xCA: "SOF10", 0xCB: "SOF11", 0xCD: "SOF13", 0xCE: "SOF14", 0xCF: "SOF15",
    0xCC: "DAC", 0xDC: "DNL", 0xDE: "DHP", 0xDF: "EXP",
}
for _i in range(16):
    MARKER_NAMES[0xE0 + _i] = f"APP{_i}"


@dataclass
class JpegStructure:
    """What :func:`parse_jpeg_structure` found.

    Attributes
    ----------
    markers : list of str
        Marker names in file order (``APP1:Exif``, ``DQT``, ``SOF0``, ``SOS``...).
    qtables : dict of int to ndarray
        Quantisation tables by table id, each (8, 8) in natural (row-major) order.
    qtable_precision : dict of int to int
        0 for 8-bit, 1 for 16-bit entries.
    frame : str or None
        ``baseline``, ``extended``, ``progressive``, ``lossless`` or another SOF kind.
    width, height : int or None
    components : list of dict
        ``{"id", "h", "v", "tq"}`` per component (sampling factors and table id).
    subsampling : str or None
        ``4:4:4``, ``4:2:2``, ``4:2:0``, ``4:4:0``, ``4:1:1``, ``gray`` or ``other``.
    restart_interval : int
    scans : int
        Number of SOS segments.
    trailing_bytes : int
        Bytes after EOI.
    anomalies : list of str
        Structure notes a fact-checker can read.
    """

    markers: list[str] = field(default_factory=list)
    qtables: dict[int, np.ndarray] = field(default_factory=dict)
    qtable_precision: dict[int, int] = field(default_factory=dict)
    frame: str | None = None
    width: int | None = None
    height: int | None = None
    components: list[dict[str, int]] = field(default_factory=list)
    subsampling: str | None = None
    restart_interval: int = 0
    scans: int = 0
    trailing_bytes: int = 0
    eoi: bool = False
    anomalies: list[str] = field(default_factory=list)


def _app_label(marker: int, payload: bytes) -> str:
    name = MARKER_NAMES.get(marker, f"0x{marker:02X}")
    for sig, label in ((b"JFIF\x00", "JFIF"), (b"JFXX\x00", "JFXX"), (b"Exif\x00", "Exif"),
                       (b"http://ns.adobe.com/xap/1.0/", "XMP"), (b"http://ns.adobe.com/xmp/extension/", "XMPext"),
                       (b"ICC_PROFILE\x00", "ICC"), (b"Photoshop 3.0\x00", "Photoshop"), (b"Adobe", "Adobe"),
                       (b"Ducky", "Ducky"), (b"MPF\x00", "MPF"), (b"JP", "JUMBF"), (b"FPXR", "FPXR")):
        if payload.startswith(sig):
            return f"{name}:{label}"
    return name


def _subsampling(components: list[dict[str, int]]) -> str:
    if len(components) == 1:
        return "gray"
    if len(components) < 3:
        return "other"
    y, cb, cr = components[0], components[1], components[2]
    if (cb["h"], cb["v"]) != (cr["h"], cr["v"]) or cb["h"] == 0 or cb["v"] == 0:
        return "other"
    ratio = (y["h"] // cb["h"] if y["h"] % cb["h"] == 0 else -1, y["v"] // cb["v"] if y["v"] % cb["v"] == 0 else -1)
    return {(1, 1): "4:4:4", (2, 1): "4:2:2", (2, 2): "4:2:0", (1, 2): "4:4:0", (4, 1): "4:1:1"}.get(ratio, "other")


def parse_jpeg_structure(data: bytes, max_segments: int = 4096) -> JpegStructure:
    """Walk the markers of a JPEG file held in memory.

    Parameters
    ----------
    data : bytes
        The whole file.
    max_segments : int
        Stop after this many segments (hostile files with endless tiny segments).

    Returns
    -------
    JpegStructure

    Notes
    -----
    Entropy-coded data is skipped by searching for the next marker (``0xFF`` not followed by
    ``0x00`` or a restart marker), so the walk is linear in the file size. Anomalies noted:
    missing SOI/EOI, segments past the end, tables defined after the first scan, several
    frames, JFIF and Exif both present out of the standard order, data after EOI.

    References
    ----------
    .. [1] ITU-T T.81 | ISO/IEC 10918-1, "Digital compression and coding of continuous-tone
       still images", 1992, Annex B (syntax) and Annex K (example tables).
    """
    s = JpegStructure()
    n = len(data)
    if n < 4 or data[:2] != b"\xff\xd8":
        s.anomalies.append("the file does not start with a JPEG SOI marker")
        return s
    s.markers.append("SOI")
    pos = 2
    seen_sos = False
    frames = 0
    for _ in range(max_segments):
        if pos >= n:
            s.anomalies.append("the file ends before the EOI marker (truncated)")
            break
        if data[pos] != 0xFF:
            s.anomalies.append(f"unexpected byte 0x{data[pos]:02X} where a marker should start (offset {pos})")
            nxt = data.find(b"\xff", pos)
            if nxt < 0:
                break
            pos = nxt
            continue
        while pos < n and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= n:
            s.anomalies.append("the file ends inside a marker")
            break
        marker = data[pos]
        pos += 1
        if marker == 0xD9:
            s.markers.append("EOI")
            s.eoi = True
            s.trailing_bytes = n - pos
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            continue
        if pos + 2 > n:
            s.anomalies.append("the file ends inside a segment length")
            break
        length = int.from_bytes(data[pos:pos + 2], "big")
        if length < 2 or pos + length > n:
            s.anomalies.append(f"segment {MARKER_NAMES.get(marker, hex(marker))} runs past the end of the file")
            break
        payload = data[pos + 2:pos + length]
        name = _app_label(marker, payload) if 0xE0 <= marker <= 0xEF else MARKER_NAMES.get(marker, f"0x{marker:02X}")
        s.markers.append(name)
        if marker == 0xDB:
            if seen_sos and s.frame != "progressive":
                s.anomalies.append("a quantisation table is defined after the first scan")
            i = 0
            while i < len(payload):
                pq, tq = payload[i] >> 4, payload[i] & 0x0F
                size = 128 if pq else 64
                if i + 1 + size > len(payload):
                    s.anomalies.append("a quantisation table is truncated")
                    break
                raw = payload[i + 1:i + 1 + size]
                vals = np.frombuffer(raw, dtype=">u2" if pq else np.uint8).astype(np.int32)
                table = np.zeros(64, dtype=np.int32)
                table[ZIGZAG] = vals
                if tq in s.qtables and not np.array_equal(s.qtables[tq], table.reshape(8, 8)):
                    s.anomalies.append(f"quantisation table {tq} is redefined with other values")
                s.qtables[tq] = table.reshape(8, 8)
                s.qtable_precision[tq] = pq
                i += 1 + size
        elif 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            frames += 1
            kind = {0xC0: "baseline", 0xC1: "extended", 0xC2: "progressive", 0xC3: "lossless"}.get(marker, "other")
            s.frame = kind
            if len(payload) >= 6:
                s.height = int.from_bytes(payload[1:3], "big")
                s.width = int.from_bytes(payload[3:5], "big")
                nc = payload[5]
                comps = []
                for c in range(nc):
                    o = 6 + 3 * c
                    if o + 3 > len(payload):
                        s.anomalies.append("the frame header is truncated")
                        break
                    comps.append({"id": payload[o], "h": payload[o + 1] >> 4, "v": payload[o + 1] & 0x0F,
                                  "tq": payload[o + 2]})
                s.components = comps
                s.subsampling = _subsampling(comps) if comps else None
        elif marker == 0xDD and len(payload) >= 2:
            s.restart_interval = int.from_bytes(payload[:2], "big")
        pos += length
        if marker == 0xDA:
            s.scans += 1
            seen_sos = True
            # skip entropy-coded data: the next 0xFF not followed by 0x00 or RSTn
            while True:
                nxt = data.find(b"\xff", pos)
                if nxt < 0 or nxt + 1 >= n:
                    pos = n
                    break
                b = data[nxt + 1]
                if b == 0x00 or 0xD0 <= b <= 0xD7 or b == 0xFF:
                    pos = nxt + 1 if b == 0xFF else nxt + 2
                    continue
                pos = nxt
                break
    else:
        s.anomalies.append(f"more than {max_segments} segments; the walk stopped there")
    if frames > 1:
        s.anomalies.append(f"{frames} frame headers (one expected)")
    if s.trailing_bytes > 0:
        s.anomalies.append(f"{s.trailing_bytes} bytes follow the end-of-image marker")
    names = [m.split(":")[0] for m in s.markers]
    if "SOS" in names and "DQT" in names and names.index("DQT") > names.index("SOS") and s.frame != "progressive":
        pass  # already noted above
    apps = [m for m in s.markers if m.startswith("APP")]
    if "APP0:JFIF" in apps and "APP1:Exif" in apps and apps.index("APP1:Exif") < apps.index("APP0:JFIF"):
        s.anomalies.append("the Exif segment comes before the JFIF segment (written by a re-encoder, not the JFIF order)")
    if "APP0:JFIF" in apps and apps[0] != "APP0:JFIF":
        s.anomalies.append("the JFIF segment is not the first segment")
    return s
