"""Signs that metadata was stripped or the file re-encoded by a platform (pure, no I/O).

Social platforms and messengers usually remove EXIF/XMP and re-encode uploads; editors
and export tools resize and rewrite. What is left (or missing) says something about the
path the file took — never, by itself, whether the picture is genuine.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .normalise import clean_str

_CAMERA_GROUPS = (
    "IFD0:",
    "ExifIFD:",
    "GPS:",
    "MakerNotes:",
    "Canon:",
    "Nikon:",
    "Apple:",
    "Samsung:",
    "Sony:",
    "Olympus:",
    "Panasonic:",
    "FujiFilm:",
    "Pentax:",
    "IFD1:",
)
_META_GROUPS = _CAMERA_GROUPS + (
    "XMP-",
    "IPTC:",
    "Photoshop:",
    "Keys:",
    "UserData:",
    "ItemList:",
    "PNG:",
    "JUMBF:",
)


@dataclass(frozen=True)
class Sign:
    """One sign of stripping or re-encoding.

    Attributes
    ----------
    code : str
        Stable short id (``no_metadata``, ``no_exif``, ``no_camera_fields``,
        ``dimensions_changed``, ``no_thumbnail``, ``platform_trace``, ``zeroed_dates``).
    weight : float
        How strongly it points at stripping/re-encoding (0..1).
    text : str
        Plain words.
    """

    code: str
    weight: float
    text: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _has(raw: dict[str, Any], prefixes: tuple[str, ...]) -> bool:
    return any(k.startswith(prefixes) for k in raw)


def find_signs(
    raw: dict[str, Any], width: int | None = None, height: int | None = None, kind: str = "image"
) -> list[Sign]:
    """Signs that metadata was stripped or the file rewritten.

    Parameters
    ----------
    raw : dict
        exiftool output (``-G1 -n`` keys).
    width, height : int, optional
        Pixel size of the decoded image, before orientation is applied (pixels).
    kind : {"image", "video"}

    Returns
    -------
    list of Sign

    Notes
    -----
    - ``dimensions_changed``: EXIF ``PixelXDimension``/``PixelYDimension`` (exiftool
      ``ExifImageWidth``/``ExifImageHeight``) record the size the camera saved; a different
      actual size means the file was resized after the EXIF block was written (platform
      re-encode or export). Orientation swaps are allowed.
    - ``no_thumbnail``: most camera JPEGs carry an IFD1 thumbnail; EXIF without one points
      at a rewriting tool.
    - Absence of metadata is common (screenshots, messengers, privacy settings) and says
      nothing about the picture's content.

    References
    ----------
    CIPA DC-008-2023 (Exif 3.0) §4.6.5 (PixelXDimension/PixelYDimension, IFD1 thumbnail);
    IPTC Photo Metadata User Guide, "Social media sites and metadata" (platform stripping).
    """
    signs: list[Sign] = []
    has_meta = _has(raw, _META_GROUPS)
    has_exif = _has(raw, ("IFD0:", "ExifIFD:"))
    if not has_meta:
        signs.append(
            Sign(
                "no_metadata",
                0.6,
                "No EXIF, XMP, IPTC or QuickTime metadata at all: stripped, "
                "made by software that writes none, or a screenshot.",
            )
        )
        return signs
    if kind == "image" and not has_exif:
        signs.append(
            Sign(
                "no_exif",
                0.4,
                "No EXIF block (camera data); only "
                + ", ".join(
                    sorted(
                        {k.split(":")[0].split("-")[0] for k in raw if k.startswith(_META_GROUPS)}
                    )
                )[:200]
                + ".",
            )
        )
    if has_exif and kind == "image":
        if not (raw.get("IFD0:Make") or raw.get("IFD0:Model")):
            signs.append(
                Sign(
                    "no_camera_fields",
                    0.3,
                    "EXIF present but without camera make or model (rewritten by software).",
                )
            )
        if (
            raw.get("File:FileType") == "JPEG"
            and raw.get("IFD0:Make")
            and not _has(raw, ("IFD1:",))
        ):
            signs.append(
                Sign(
                    "no_thumbnail",
                    0.2,
                    "Camera EXIF without its IFD1 thumbnail (rewritten by a tool).",
                )
            )
        ew, eh = raw.get("ExifIFD:ExifImageWidth"), raw.get("ExifIFD:ExifImageHeight")
        try:
            ew_i, eh_i = int(ew), int(eh)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            ew_i = eh_i = 0
        if width and height and ew_i > 0 and eh_i > 0 and {ew_i, eh_i} != {int(width), int(height)}:
            signs.append(
                Sign(
                    "dimensions_changed",
                    0.6,
                    f"EXIF records {ew_i}x{eh_i} pixels but the image is {width}x{height}: resized "
                    "after the EXIF block was written (export or platform re-encode).",
                )
            )
    instr = str(raw.get("IPTC:SpecialInstructions", ""))[:200]
    if instr.startswith("FBMD"):
        signs.append(
            Sign(
                "platform_trace",
                0.7,
                "Facebook's FBMD marker in IPTC Special Instructions: "
                "this copy passed through Facebook/Instagram.",
            )
        )
    for key in ("ItemList:Encoder", "QuickTime:Encoder", "Keys:Encoder", "UserData:Encoder"):
        v = raw.get(key)
        if v is not None and str(v).lower().startswith(("lavf", "lavc")):
            signs.append(
                Sign(
                    "platform_trace",
                    0.4,
                    f"Encoded with FFmpeg ({clean_str(v, 60)}): re-encoded "
                    "rather than straight from a camera.",
                )
            )
            break
    if kind == "video":
        cd = str(raw.get("QuickTime:CreateDate", ""))
        if cd.startswith("0000") or cd.startswith("1904:01:01") or cd.startswith("1970:01:01"):
            signs.append(
                Sign(
                    "zeroed_dates",
                    0.4,
                    "QuickTime creation date is zero: the encoder did not carry the original date.",
                )
            )
        if not any(
            k.endswith((":Make", ":Model", ":AndroidModel", ":AndroidManufacturer")) for k in raw
        ):
            signs.append(
                Sign("no_camera_fields", 0.3, "No device metadata in the video container.")
            )
    return signs


__all__ = ["Sign", "find_signs"]
