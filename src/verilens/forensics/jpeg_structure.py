"""JPEG quantisation tables: quality estimate, standard vs custom, encoder signatures.

Pure functions on tables (arrays) and a signature table (a list of dicts); the file is read
by the caller.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

#: ITU-T T.81 Annex K.1 luminance table (natural order), the base of the IJG scaling.
STD_LUMA = np.array([
    [16, 11, 10, 16, 24, 40, 51, 61], [12, 12, 14, 19, 26, 58, 60, 55],
    [14, 13, 16, 24, 40, 57, 69, 56], [14, 17, 22, 29, 51, 87, 80, 62],
    [18, 22, 37, 56, 68, 109, 103, 77], [24, 35, 55, 64, 81, 104, 113, 92],
    [49, 64, 78, 87, 103, 121, 120, 101], [72, 92, 95, 98, 112, 100, 103, 99],
], dtype=np.int32)
#: ITU-T T.81 Annex K.1 chrominance table.
STD_CHROMA = np.array([
    [17, 18, 24, 47, 99, 99, 99, 99], [18, 21, 26, 66, 99, 99, 99, 99],
    [24, 26, 56, 99, 99, 99, 99, 99], [47, 66, 99, 99, 99, 99, 99, 99],
    [99, 99, 99, 99, 99, 99, 99, 99], [99, 99, 99, 99, 99, 99, 99, 99],
    [99, 99, 99, 99, 99, 99, 99, 99], [99, 99, 99, 99, 99, 99, 99, 99],
], dtype=np.int32)


def ijg_table(base: np.ndarray, quality: int, force_baseline: bool = True) -> np.ndarray:
    """The IJG libjpeg table for ``quality`` (``jpeg_quality_scaling`` + ``jpeg_add_quant_table``).

    Parameters
    ----------
    base : ndarray (8, 8)
        Annex K table.
    quality : int
        1..100.
    force_baseline : bool
        Clip entries to 255 (8-bit tables), as libjpeg does by default.

    References
    ----------
    .. [1] Independent JPEG Group, libjpeg ``jcparam.c``.
    """
    q = int(np.clip(quality, 1, 100))
    scale = 5000 // q if q < 50 else 200 - 2 * q
    t = (base.astype(np.int64) * scale + 50) // 100
    return np.clip(t, 1, 255 if force_baseline else 32767).astype(np.int32)


_IJG_LUMA = np.stack([ijg_table(STD_LUMA, q) for q in range(1, 101)])
_IJG_CHROMA = np.stack([ijg_table(STD_CHROMA, q) for q in range(1, 101)])


@dataclass(frozen=True)
class QualityEstimate:
    """Output of :func:`estimate_quality`.

    Attributes
    ----------
    quality : float
        IJG quality whose tables fit best (1..100), interpolated between integer qualities.
    standard : bool
        True when every table equals the IJG table of one integer quality exactly.
    rms_error : float
        RMS difference (table units) between the file's tables and the best IJG tables;
        0 for standard tables.
    """

    quality: float
    standard: bool
    rms_error: float


def estimate_quality(luma: np.ndarray, chroma: np.ndarray | None = None) -> QualityEstimate:
    """Estimate the IJG-equivalent quality of quantisation tables by least squares.

    Parameters
    ----------
    luma : ndarray (8, 8)
        Luminance table, natural order.
    chroma : ndarray (8, 8), optional
        Chrominance table.

    Returns
    -------
    QualityEstimate

    Notes
    -----
    Each integer quality 1..100 is scored by the squared error of the file's tables against
    the IJG tables in log space (so that the fine low-frequency steps count as much as the
    coarse ones); the best is refined by a parabola through its neighbours. Camera and
    phone encoders use their own tables; their "quality" is only the nearest IJG
    equivalent.

    References
    ----------
    .. [1] N. Krawetz, "JPEG quality estimation", Hacker Factor, 2007; and the estimator in
       ImageMagick ``coders/jpeg.c`` (sum/hash over the IJG tables).
    """
    lt = np.log(np.maximum(np.asarray(luma, dtype=np.float64), 1.0))
    err = ((np.log(_IJG_LUMA.astype(np.float64)) - lt) ** 2).mean(axis=(1, 2))
    exact = np.all(_IJG_LUMA == np.asarray(luma)[None], axis=(1, 2))
    if chroma is not None:
        ct = np.log(np.maximum(np.asarray(chroma, dtype=np.float64), 1.0))
        err = 0.5 * err + 0.5 * ((np.log(_IJG_CHROMA.astype(np.float64)) - ct) ** 2).mean(axis=(1, 2))
        exact &= np.all(_IJG_CHROMA == np.asarray(chroma)[None], axis=(1, 2))
    i = int(np.argmin(err))
    q = float(i + 1)
    if 0 < i < 99:
        a, b, c = err[i - 1], err[i], err[i + 1]
        den = a - 2 * b + c
        if den > 1e-12:
            q += float(np.clip(0.5 * (a - c) / den, -0.5, 0.5))
    best = _IJG_LUMA[i]
    rms = float(np.sqrt(((best - np.asarray(luma)) ** 2).mean()))
    if chroma is not None:
        rms = float(np.sqrt(0.5 * rms**2 + 0.5 * ((_IJG_CHROMA[i] - np.asarray(chroma)) ** 2).mean()))
    std = bool(exact.any())
    if std:
        q = float(int(np.flatnonzero(exact)[0]) + 1)
        rms = 0.0
    return QualityEstimate(quality=round(q, 1), standard=std, rms_error=round(rms, 3))


def table_key(tables: dict[int, np.ndarray]) -> str:
    """A stable key of a set of quantisation tables (sha1 of ids and values, 16 hex)."""
    h = hashlib.sha1()
    for tid in sorted(tables):
        h.update(bytes([tid]))
        h.update(np.asarray(tables[tid], dtype=">u2").tobytes())
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class SignatureMatch:
    """One entry of the encoder signature table that has exactly the file's tables."""

    encoder: str
    category: str
    examples: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"encoder": self.encoder, "category": self.category, "examples": self.examples[:5]}


@lru_cache(maxsize=1)
def _shipped_signatures() -> dict[str, Any]:
    """The shipped table, read once per process (callers copy what they extend)."""
    text = (Path(__file__).resolve().parent.parent / "data" / "jpeg_signatures.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def load_signatures(extra: Sequence[str | Path] = ()) -> dict[str, Any]:
    """The encoder signature table shipped in ``verilens/data/jpeg_signatures.json``, plus local ones.

    Parameters
    ----------
    extra : sequence of path
        Further tables in the same format, for example one built by
        ``src/verilens/data/jpeg_signatures.py DIR --encoder "Telegram (2026)" --category
        platform --out telegram.json`` from pictures a desk downloaded from a platform. Their
        entries are added after the shipped ones, each tagged with the file it came from.

    Returns
    -------
    dict
        ``{"entries": [...], "files_read": N, "tables": [names]}``.

    Raises
    ------
    ValueError
        A local table that is not a signature table (the message names the file).
    """
    shipped = _shipped_signatures()
    data: dict[str, Any] = dict(shipped, entries=list(shipped["entries"]), tables=["verilens/data/jpeg_signatures.json"])
    for path in extra:
        try:
            local = json.loads(Path(path).expanduser().read_text(encoding="utf-8"))
            entries = [dict(e, table=str(path)) for e in local["entries"] if isinstance(e, dict) and "key" in e]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path} is not a readable JPEG signature table ({exc})") from exc
        data["entries"].extend(entries)
        data["files_read"] = int(data.get("files_read", 0)) + int(local.get("files_read", 0))
        data["tables"].append(str(path))
    return data


def match_signatures(tables: dict[int, np.ndarray], signatures: dict[str, Any]) -> list[SignatureMatch]:
    """Entries of the signature table whose tables equal the file's (exact match).

    Parameters
    ----------
    tables : dict of int to ndarray (8, 8)
    signatures : dict
        As returned by :func:`load_signatures`: ``{"entries": [{"key", "encoder",
        "category", "examples"}]}``.

    Returns
    -------
    list of SignatureMatch
        Empty when no known encoder uses these tables.
    """
    key = table_key(tables)
    out = []
    for e in signatures.get("entries", []):
        if e.get("key") == key:
            out.append(SignatureMatch(str(e.get("encoder", "?")), str(e.get("category", "?")),
                                      [str(x) for x in e.get("examples", [])]))
    return out


def standard_signature(q: QualityEstimate) -> SignatureMatch | None:
    """The generic libjpeg signature for exact IJG tables (Pillow, GIMP, ImageMagick, web re-encoders...)."""
    if not q.standard:
        return None
    return SignatureMatch(
        encoder=f"IJG libjpeg standard tables, quality {int(q.quality)}",
        category="software-default",
        examples=["libjpeg/libjpeg-turbo defaults as used by Pillow, GIMP, ImageMagick, many web re-encoders "
                  "and some cameras"],
    )
