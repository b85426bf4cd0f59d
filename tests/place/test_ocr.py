import numpy as np
import pytest

from tests.place._signs import in_scene, sign
from verilens.place import gazetteer
from verilens.place.ocr import (
    available_languages,
    draw_boxes,
    find_place_names,
    orthography,
    read_text,
)

pytestmark = pytest.mark.skipif(not {"ukr", "rus", "eng"} <= set(available_languages()),
                                reason="tesseract with ukr, rus and eng models not installed")

KHERSON, LUHANSK, MARIUPOL = 706448, 702658, 701822  # GeoNames ids


def _read_and_resolve(rgb):
    res = read_text(rgb)
    hits = find_place_names([ln.text for ln in res.lines], gazetteer.lookup_exact)
    return res, {h.candidates[0]["geonameid"] for h in hits if h.candidates}


@pytest.mark.parametrize(("lines", "expected", "hint"), [
    (["ХЕРСОН"], KHERSON, "cyrillic"),
    (["Луганськ 12 км"], LUHANSK, "cyrillic"),
    (["Маріуполь"], MARIUPOL, "ukrainian"),
    (["Kherson"], KHERSON, "latin"),
])
def test_rendered_sign_is_read_and_resolved(lines, expected, hint):
    res, ids = _read_and_resolve(sign(lines))
    assert expected in ids, res.text
    assert orthography(res.text)["hint"] == hint


def test_russian_sign_in_a_scene_with_inflected_name():
    # "Exit from Luhansk" in Russian: genitive Луганска, and ы marks Russian orthography
    res, ids = _read_and_resolve(in_scene(sign(["Выезд из Луганска"], size=48)))
    assert LUHANSK in ids, res.text
    assert orthography(res.text)["hint"] == "russian"


def test_ukrainian_sign_with_inflected_name():
    # "Exit from Mariupol" in Ukrainian: genitive Маріуполя, ї marks Ukrainian orthography
    res, ids = _read_and_resolve(sign(["Виїзд з Маріуполя"], size=52))
    assert MARIUPOL in ids, res.text
    o = orthography(res.text)
    assert o["hint"] == "ukrainian" and "ї" in o["ukrainian_letters"]


def test_light_text_on_dark_and_blank_pictures():
    res = read_text(sign(["Херсон"], bg=(10, 10, 10), fg=(250, 250, 250)))
    assert "Херсон" in res.text
    assert read_text(np.full((300, 400, 3), 128, np.uint8)).lines == []
    assert read_text(np.zeros((4, 4, 3), np.uint8)).lines == []


def test_boxes_are_in_input_pixels_and_drawn():
    rgb = in_scene(sign(["Херсон"], size=60), 1400, 1000)
    res = read_text(rgb)
    word = next(w for w in res.words if "Херсон" in w.text)
    x, y, w, h = word.box
    assert 0 <= x < 1400 and 0 <= y < 1000 and 40 < h < 120
    out = draw_boxes(rgb, res, {word.line})
    assert out.shape == rgb.shape
    assert (out != rgb).any()


def test_orthography_hints():
    # distinctive letters: Ukrainian і ї є ґ; Russian ы э ъ ё
    assert orthography("Київ, Україна")["hint"] == "ukrainian"
    assert orthography("Подъезд, это")["hint"] == "russian"
    assert orthography("Київ и Подъезд")["hint"] == "mixed"
    assert orthography("Херсон")["hint"] == "cyrillic"
    assert orthography("Kherson")["hint"] == "latin"
    assert orthography("12 34")["hint"] == "none"


def test_find_place_names_prefers_longest_phrase_and_skips_short_words():
    class C:
        def __init__(self, name, population=100000):
            self.name, self.population = name, population

        def to_dict(self):
            return {"name": self.name}

    table = {"нова каховка": [C("Nova Kakhovka")], "нова": [C("Nova")], "херсон": [C("Kherson")],
             "мир": [C("Mir")]}
    hits = find_place_names(["Нова Каховка — Херсон", "мир"], lambda t: table.get(gazetteer.normalise(t), []))
    assert [h.candidates[0]["name"] for h in hits] == ["Nova Kakhovka", "Kherson"]
