"""Recognise a file's type from its first bytes, never from its name.

Only the formats listed in :data:`SUPPORTED` are accepted; everything else is
:class:`~verilens.errors.UnsupportedMedia` with the type that was recognised, if any.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Bytes read from the start of a file to sniff it.
HEAD_BYTES = 512

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}
_QT_BRANDS = {b"qt  "}
_MP4_BRANDS = {
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"mp71", b"avc1",
    b"M4V ", b"M4VH", b"M4VP", b"f4v ", b"dash", b"MSNV", b"NDAS", b"3gp4", b"3gp5", b"3gp6",
    b"3g2a", b"mmp4", b"XAVC", b"MiVi", b"ndxh",
}
_QT_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}


@dataclass(frozen=True)
class Sniffed:
    """A recognised type: MIME, kind (``image`` or ``video``) and a short label."""

    mime: str
    kind: str
    label: str


SUPPORTED: dict[str, str] = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WebP",
    "image/gif": "GIF",
    "image/tiff": "TIFF",
    "image/bmp": "BMP",
    "image/heic": "HEIC/HEIF",
    "image/avif": "AVIF",
    "video/mp4": "MP4",
    "video/quicktime": "QuickTime MOV",
    "video/x-matroska": "Matroska MKV",
    "video/webm": "WebM",
    "video/x-msvideo": "AVI",
    "video/mp2t": "MPEG transport stream",
    "video/x-flv": "Flash video",
}


def _ftyp(head: bytes) -> Sniffed | None:
    if len(head) < 12 or head[4:8] != b"ftyp":
        return None
    brands = {head[8:12]}
    box_len = int.from_bytes(head[0:4], "big")
    end = min(len(head), max(box_len, 16))
    brands.update(head[i : i + 4] for i in range(16, end - 3, 4))
    if head[8:12] in _AVIF_BRANDS or (brands & _AVIF_BRANDS and not brands & _HEIF_BRANDS):
        return Sniffed("image/avif", "image", "AVIF")
    if head[8:12] in _HEIF_BRANDS or (brands & _HEIF_BRANDS and not brands & _MP4_BRANDS):
        return Sniffed("image/heic", "image", "HEIC/HEIF")
    if brands & _QT_BRANDS:
        return Sniffed("video/quicktime", "video", "QuickTime MOV")
    return Sniffed("video/mp4", "video", "MP4")


def sniff(head: bytes) -> Sniffed | None:
    """Recognise a format from the first :data:`HEAD_BYTES` bytes of a file.

    Parameters
    ----------
    head : bytes
        The start of the file (at least 12 bytes for most formats).

    Returns
    -------
    Sniffed or None
        None when the bytes match no supported format.

    Notes
    -----
    Signatures from the format specifications (JFIF/EXIF SOI marker, PNG signature, RIFF
    WEBP/AVI, TIFF byte-order marks, ISO BMFF ``ftyp`` brands, EBML for Matroska/WebM).
    A matching signature does not mean the rest of the file is valid; decoding decides that.
    """
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("image/jpeg", "image", "JPEG")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("image/png", "image", "PNG")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return Sniffed("image/gif", "image", "GIF")
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return Sniffed("image/webp", "image", "WebP")
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return Sniffed("video/x-msvideo", "video", "AVI")
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return Sniffed("image/tiff", "image", "TIFF")
    if head.startswith(b"BM") and len(head) >= 18 and head[6:10] == b"\x00\x00\x00\x00":
        return Sniffed("image/bmp", "image", "BMP")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        if b"webm" in head:
            return Sniffed("video/webm", "video", "WebM")
        return Sniffed("video/x-matroska", "video", "Matroska MKV")
    if head.startswith(b"FLV\x01"):
        return Sniffed("video/x-flv", "video", "Flash video")
    found = _ftyp(head)
    if found:
        return found
    if len(head) >= 8 and head[4:8] in _QT_ATOMS:
        return Sniffed("video/quicktime", "video", "QuickTime MOV")
    if len(head) >= 377 and head[0] == head[188] == head[376] == 0x47:
        return Sniffed("video/mp2t", "video", "MPEG transport stream")
    return None


def describe_unknown(head: bytes) -> str:
    """A short description of bytes that are not a supported format, for error messages."""
    if not head:
        return "the file is empty (0 bytes)"
    if head.startswith(b"%PDF"):
        return "a PDF document"
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP archive (or an office document)"
    text = head[:32]
    try:
        decoded = text.decode("utf-8")
        if decoded.isprintable() or all(c.isprintable() or c.isspace() for c in decoded):
            return "text, not an image or video"
    except UnicodeDecodeError:
        pass
    return f"unrecognised bytes (starting {head[:8].hex(' ')})"
