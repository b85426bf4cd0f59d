"""Text in pictures (tesseract), script and orthography hints, and place names in it.

The algorithms here take arrays and strings; tesseract runs as the external engine through
pytesseract (it exchanges temporary files with the engine, nothing else).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..errors import CheckUnavailable

__all__ = ["OcrLine", "OcrResult", "OcrWord", "PlaceHit", "draw_boxes", "find_place_names", "orthography",
           "read_text"]

#: Letters only Ukrainian uses among Ukrainian/Russian (і also in Belarusian, ґ rare).
UK_ONLY = set("іїєґІЇЄҐ")
#: Letters only Russian uses among Ukrainian/Russian (ы and э also in Belarusian, ё often
#: written as е in Russian print).
RU_ONLY = set("ыэъёЫЭЪЁ")
#: Belarusian-only letter.
BE_ONLY = set("ўЎ")


@dataclass(frozen=True)
class OcrWord:
    """One recognised word.

    Attributes
    ----------
    text : str
    conf : float
        Tesseract confidence, 0..100.
    box : tuple of int
        (x, y, width, height) in pixels of the input image.
    line : int
        Index of the line it belongs to in :attr:`OcrResult.lines`.
    """

    text: str
    conf: float
    box: tuple[int, int, int, int]
    line: int


@dataclass(frozen=True)
class OcrLine:
    """A line of words, in reading order."""

    text: str
    conf: float
    box: tuple[int, int, int, int]


@dataclass
class OcrResult:
    """What tesseract read.

    Attributes
    ----------
    words, lines : list
        Words (confidence ≥ ``min_conf``) and the lines they form.
    languages : str
        Tesseract language models used (``"ukr+rus+eng"``).
    inverted : bool
        True when the text was read from the inverted picture (light text on dark signs).
    scale : float
        Factor the picture was resized by before reading (boxes are in input pixels).
    """

    words: list[OcrWord] = field(default_factory=list)
    lines: list[OcrLine] = field(default_factory=list)
    languages: str = ""
    inverted: bool = False
    scale: float = 1.0

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def orthography(text: str) -> dict[str, Any]:
    """Script counts and a Ukrainian-vs-Russian orthography hint for a text.

    Parameters
    ----------
    text : str

    Returns
    -------
    dict
        ``latin``, ``cyrillic`` letter counts; ``ukrainian_letters`` / ``russian_letters`` /
        ``belarusian_letters``: the distinctive letters seen (і ї є ґ / ы э ъ ё / ў);
        ``hint``: ``"ukrainian"``, ``"russian"``, ``"mixed"`` (both sets present),
        ``"cyrillic"`` (none of the distinctive letters), ``"latin"`` or ``"none"``.

    Notes
    -----
    A hint, not a language identification: short texts often carry no distinctive letter,
    OCR confuses і with i and ё with е, Belarusian shares і/ы/э, and a Russian-language sign
    can name a Ukrainian place. Distinctive letters from the two alphabets as listed in
    the Ukrainian (2019) and Russian (1956) orthography rules.

    References
    ----------
    Український правопис (2019), §1; Правила русской орфографии и пунктуации (1956), §1.
    """
    latin = cyr = 0
    uk: list[str] = []
    ru: list[str] = []
    be: list[str] = []
    for ch in text:
        if not ch.isalpha():
            continue
        o = ord(ch)
        if 0x400 <= o < 0x530:
            cyr += 1
            if ch in UK_ONLY:
                uk.append(ch.lower())
            elif ch in RU_ONLY:
                ru.append(ch.lower())
            elif ch in BE_ONLY:
                be.append(ch.lower())
        elif o < 0x250:
            latin += 1
    if cyr:
        hint = "mixed" if uk and ru else "ukrainian" if uk else "russian" if ru else "cyrillic"
    else:
        hint = "latin" if latin else "none"
    return {"latin": latin, "cyrillic": cyr, "ukrainian_letters": "".join(sorted(set(uk))),
            "russian_letters": "".join(sorted(set(ru))), "belarusian_letters": "".join(sorted(set(be))),
            "ukrainian_count": len(uk), "russian_count": len(ru), "hint": hint}


def _tesseract_data(gray: np.ndarray, lang: str, psm: int, timeout_s: float) -> dict[str, list[Any]]:
    import pytesseract
    from PIL import Image

    try:
        return pytesseract.image_to_data(Image.fromarray(gray), lang=lang, config=f"--psm {psm}",
                                         output_type=pytesseract.Output.DICT, timeout=timeout_s)
    except pytesseract.TesseractNotFoundError as exc:
        raise CheckUnavailable("tesseract is not installed (Debian: tesseract-ocr, -ukr, -rus)") from exc
    except RuntimeError as exc:  # pytesseract's timeout
        raise CheckUnavailable(f"tesseract stopped: {exc}") from exc
    except pytesseract.TesseractError as exc:
        raise CheckUnavailable(f"tesseract failed: {exc}") from exc


def available_languages() -> list[str]:
    """Tesseract language models installed (empty when tesseract is missing)."""
    import pytesseract

    try:
        return sorted(pytesseract.get_languages(config=""))
    except Exception:  # noqa: BLE001 - missing binary or odd output: nothing available
        return []


def _collect(data: dict[str, list[Any]], scale: float, min_conf: float, min_line_chars: int = 4,
             min_line_conf: float = 70.0) -> tuple[list[OcrWord], list[OcrLine]]:
    groups: dict[tuple[int, int, int], list[tuple[str, float, tuple[int, int, int, int]]]] = {}
    order: list[tuple[int, int, int]] = []
    for i, raw in enumerate(data.get("text", [])):
        text = unicodedata.normalize("NFC", str(raw or "")).strip()
        try:
            conf = float(data["conf"][i])
        except (TypeError, ValueError):
            continue
        alnum = sum(ch.isalnum() for ch in text)
        # photos give tesseract many 1-2 character "words" in texture: keep those only when
        # tesseract is very sure of them
        if not text or conf < min_conf or alnum == 0 or (alnum < 3 and conf < 90):
            continue
        box = tuple(int(round(float(data[k][i]) / scale)) for k in ("left", "top", "width", "height"))
        key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append((text, conf, box))  # type: ignore[arg-type]
    words: list[OcrWord] = []
    lines: list[OcrLine] = []
    for key in order:
        ws = groups[key]
        if sum(ch.isalnum() for t, _, _ in ws for ch in t) < min_line_chars or \
                float(np.mean([c for _, c, _ in ws])) < min_line_conf:
            continue
        x0 = min(b[0] for _, _, b in ws)
        y0 = min(b[1] for _, _, b in ws)
        x1 = max(b[0] + b[2] for _, _, b in ws)
        y1 = max(b[1] + b[3] for _, _, b in ws)
        li = len(lines)
        lines.append(OcrLine(text=" ".join(t for t, _, _ in ws), conf=round(float(np.mean([c for _, c, _ in ws])), 1),
                             box=(x0, y0, x1 - x0, y1 - y0)))
        words.extend(OcrWord(text=t, conf=round(c, 1), box=b, line=li) for t, c, b in ws)
    return words, lines


def read_text(image: np.ndarray, *, languages: str = "ukr+rus+eng", min_conf: float = 60.0,
              max_side: int = 2000, min_side: int = 1000, psm: int = 11, timeout_s: float = 40.0,
              check_time: Callable[[], None] | None = None) -> OcrResult:
    """Read the text in a picture with tesseract.

    Parameters
    ----------
    image : ndarray
        RGB (H, W, 3) or grey (H, W) uint8.
    languages : str
        Tesseract models joined by ``+`` (Ukrainian, Russian and English by default).
    min_conf : float
        Words below this tesseract confidence (0..100) are dropped, and words of one or two
        characters below 90; lines with fewer than 4 letters/digits or a mean word
        confidence below 70 are dropped (texture in photos reads as short garbage words).
    max_side, min_side : int
        Pixels: larger pictures are shrunk to ``max_side``, smaller ones enlarged to
        ``min_side`` (tesseract reads best at 20-40 px letter height).
    psm : int
        Tesseract page-segmentation mode; 11 (sparse text) suits signs in photos.
    timeout_s : float
        Seconds per tesseract run.
    check_time : callable or None
        Called between passes; raises to stop (the check's time budget).

    Returns
    -------
    OcrResult
        Words and lines with boxes in input pixels. A second pass on the inverted picture is
        made when the first finds nothing (light letters on dark signs).

    Notes
    -----
    Tesseract's LSTM models read printed, roughly horizontal text; handwriting, strong
    perspective, motion blur and letters under ~10 px are mostly lost. Confidence is
    tesseract's own word score, not a probability.

    References
    ----------
    R. Smith, "An overview of the Tesseract OCR engine", ICDAR 2007.
    """
    import cv2

    arr = np.asarray(image)
    if arr.ndim == 3:
        gray = cv2.cvtColor(arr[..., :3].astype(np.uint8), cv2.COLOR_RGB2GRAY)
    elif arr.ndim == 2:
        gray = arr.astype(np.uint8)
    else:
        raise ValueError("image must be (H, W) or (H, W, 3)")
    h, w = gray.shape
    if h < 8 or w < 8:
        return OcrResult(languages=languages)
    long_side = max(h, w)
    scale = 1.0
    if long_side > max_side:
        scale = max_side / long_side
    elif long_side < min_side:
        scale = min(4.0, min_side / long_side)
    if scale != 1.0:
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        gray = cv2.resize(gray, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=interp)
    result = OcrResult(languages=languages, scale=scale)
    words, lines = _collect(_tesseract_data(gray, languages, psm, timeout_s), scale, min_conf)
    if not words:
        if check_time:
            check_time()
        words, lines = _collect(_tesseract_data(255 - gray, languages, psm, timeout_s), scale, min_conf)
        result.inverted = bool(words)
    result.words, result.lines = words, lines
    return result


@dataclass(frozen=True)
class PlaceHit:
    """A phrase read in the picture that names a place in the gazetteer."""

    text: str
    line: int
    candidates: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_WORD = re.compile(r"[^\W\d_]+(?:[-'’ʼ][^\W\d_]+)*")
# Case endings tried on Cyrillic words of 6+ letters when the word itself is not a name
# (genitive/dative/locative/instrumental of Херсон, Маріуполь...).
_ENDINGS = ("ові", "ом", "ою", "ем", "і", "а", "у", "е", "я", "ю")


def _stems(word: str) -> list[str]:
    """Nominative guesses for an inflected Cyrillic word (Херсона → Херсон, Маріуполя → Маріуполь)."""
    low = word.lower()
    out = []
    for end in _ENDINGS:
        if low.endswith(end) and len(word) - len(end) >= 4:
            stem = word[: -len(end)]
            out.append(stem)
            if end in ("я", "ю", "і", "ем", "ем", "і"):
                out.append(stem + "ь")
    return out


def find_place_names(lines: Sequence[str], lookup: Callable[[str], list[Any]], *, max_ngram: int = 3,
                     min_letters: int = 4, max_candidates: int = 3, inflected_min_population: int = 20000,
                     ) -> list[PlaceHit]:
    """Phrases in OCR lines that name places, looked up in the gazetteer.

    Parameters
    ----------
    lines : sequence of str
        Text lines in reading order.
    lookup : callable
        ``lookup(phrase) -> list of candidates`` (``gazetteer.lookup_exact``); candidates
        need ``to_dict()`` and ``population``.
    max_ngram : int
        Longest phrase tried, in words (longest first; a longer match hides its parts).
    min_letters : int
        Shorter phrases are ignored (too many short words are also place names).
    max_candidates : int
        Candidates kept per phrase.
    inflected_min_population : int
        A Cyrillic word matched only after removing a case ending must name a place of at
        least this population (limits false hits).

    Returns
    -------
    list of PlaceHit
        In reading order, one per distinct phrase.

    Notes
    -----
    Exact (normalised) name matches only, plus a few Ukrainian/Russian case endings: a
    misread letter loses the name; common words that are also names of villages can appear.
    """
    hits: list[PlaceHit] = []
    seen: set[str] = set()
    for li, line in enumerate(lines):
        toks = _WORD.findall(line)
        used = [False] * len(toks)
        for n in range(min(max_ngram, len(toks)), 0, -1):
            for i in range(len(toks) - n + 1):
                if any(used[i:i + n]):
                    continue
                phrase = " ".join(toks[i:i + n])
                letters = sum(ch.isalpha() for ch in phrase)
                if letters < min_letters or (n == 1 and phrase.isupper() and phrase.isascii() and letters <= 4):
                    continue
                cands = list(lookup(phrase))
                if not cands and n == 1 and letters >= 6 and any("\u0400" <= c < "\u0530" for c in phrase):
                    for stem in _stems(phrase):
                        cands = [c for c in lookup(stem) if getattr(c, "population", 0) >= inflected_min_population]
                        if cands:
                            break
                if not cands:
                    continue
                for j in range(i, i + n):
                    used[j] = True
                key = phrase.casefold()
                if key in seen:
                    continue
                seen.add(key)
                hits.append(PlaceHit(text=phrase, line=li,
                                     candidates=[c.to_dict() for c in cands[:max_candidates]]))
    return hits


def draw_boxes(image: np.ndarray, result: OcrResult, highlight: set[int] | None = None) -> np.ndarray:
    """The picture with a box around each word read (orange; place names in green).

    Parameters
    ----------
    image : ndarray
        RGB uint8 (H, W, 3) the words were read from.
    result : OcrResult
    highlight : set of int or None
        Line indexes drawn in green (lines naming places).

    Returns
    -------
    ndarray
        RGB uint8, same size.
    """
    from PIL import Image, ImageDraw

    im = Image.fromarray(np.asarray(image)[..., :3].astype(np.uint8)).copy()
    draw = ImageDraw.Draw(im)
    width = max(2, round(max(im.size) / 500))
    for wd in result.words:
        x, y, w, h = wd.box
        color = (40, 200, 60) if highlight and wd.line in highlight else (255, 140, 0)
        draw.rectangle([x, y, x + w, y + h], outline=color, width=width)
    return np.asarray(im)
