import json
import re
from pathlib import Path

import numpy as np
import pytest

from tests.media import exiftool_write, natural_image, requires_exiftool, write_jpeg
from tests.place._signs import in_scene, sign
from verilens.api import check_item
from verilens.claims import parse_claim
from verilens.evidence import State
from verilens.intake.media import open_media
from verilens.pipeline import Options
from verilens.place.geo import geodesic


def run(path, place=None, checks=("place.gps_vs_claim",), refs=(), out=None, skip=()):
    item = open_media(path)
    rep = check_item(item, parse_claim(place, None), Options(checks=set(checks), references=[Path(r) for r in refs],
                                                            skip=set(skip)), out=out)
    return rep


def gps_jpeg(tmp_path, lat, lon, name="gps.jpg"):
    p = write_jpeg(tmp_path / name, natural_image(320, 240))
    exiftool_write(p, f"-GPSLatitude={abs(lat)}", f"-GPSLatitudeRef={'N' if lat >= 0 else 'S'}",
                   f"-GPSLongitude={abs(lon)}", f"-GPSLongitudeRef={'E' if lon >= 0 else 'W'}")
    return p


@requires_exiftool
def test_gps_inside_claimed_city(tmp_path):
    p = gps_jpeg(tmp_path, 46.6500, 32.6000)  # central Kherson
    c = run(p, "Херсон").check("place.gps_vs_claim")
    assert c.state == State.FOUND
    d = c.details
    want = geodesic(46.63695, 32.61458, 46.65, 32.6)
    assert d["distance_km"] == pytest.approx(want.distance_km, abs=0.002)
    assert d["bearing_deg"] == pytest.approx(want.bearing_deg, abs=0.1)
    assert d["inside"] is True and "INSIDE" in c.summary
    assert d["gps"]["lat"] == pytest.approx(46.65) and d["claimed"]["name"].startswith("Kherson")
    assert d["gps_place"]["name"] == "Kherson"


@requires_exiftool
def test_place_map_draws_claim_and_gps(tmp_path):
    p = gps_jpeg(tmp_path, 47.0951, 37.5413)
    rep = run(p, "Luhansk", checks=("place.map",), skip=("place.ocr",), out=tmp_path / "o")
    m = rep.check("place.map")
    assert m.state == State.INCONCLUSIVE and m.details == {"claimed": True, "gps": True, "names": 0}
    from PIL import Image

    img = np.asarray(Image.open(m.artifacts[0].path).convert("RGB"))
    assert m.artifacts[0].kind.value == "map" and img.shape[1] == 1000
    assert ((img[..., 0] > 150) & (img[..., 1] < 60) & (img[..., 2] < 60)).any()  # claimed place in red
    assert ((img[..., 2] > 180) & (img[..., 0] < 60)).any()  # GPS in blue
    assert run(p, None, checks=("place.map",), skip=("place.ocr", "place.gps_vs_claim")).check(
        "place.map").state == State.NOT_APPLICABLE


@requires_exiftool
def test_gps_outside_claimed_city(tmp_path):
    p = gps_jpeg(tmp_path, 47.0951, 37.5413)  # Mariupol
    c = run(p, "Luhansk").check("place.gps_vs_claim")
    assert c.state == State.FOUND and c.details["inside"] is False
    want = geodesic(48.56814, 39.30553, 47.0951, 37.5413)
    assert c.details["distance_km"] == pytest.approx(want.distance_km, abs=0.002)
    assert 200 < c.details["distance_km"] < 215 and "OUTSIDE" in c.summary and "SW" in c.summary


@requires_exiftool
def test_gps_in_claimed_oblast_by_area_not_radius(tmp_path):
    nova_kakhovka = gps_jpeg(tmp_path, 46.7545, 33.3486, "nk.jpg")
    c = run(nova_kakhovka, "Херсонська область").check("place.gps_vs_claim")
    assert c.details["inside"] is True and c.details["claimed"]["kind"] == "region"
    melitopol = gps_jpeg(tmp_path, 46.8489, 35.3653, "mel.jpg")  # Zaporizhzhia Oblast
    c = run(melitopol, "Kherson Oblast").check("place.gps_vs_claim")
    assert c.details["inside"] is False and "Zaporizh" in c.summary


@requires_exiftool
def test_latlon_claim_uses_tolerance(tmp_path):
    p = gps_jpeg(tmp_path, 50.0, 30.0)
    assert run(p, "50.005,30.0").check("place.gps_vs_claim").details["inside"] is True  # 0.56 km
    assert run(p, "50.05,30.0").check("place.gps_vs_claim").details["inside"] is False  # 5.6 km


def test_no_gps_and_no_claim(tmp_path, jpeg_file):
    c = run(jpeg_file, "Kherson").check("place.gps_vs_claim")
    assert c.state == State.INCONCLUSIVE and "no GPS" in c.summary
    c = run(jpeg_file, None).check("place.gps_vs_claim")
    assert c.state == State.NOT_APPLICABLE


@requires_exiftool
def test_hostile_gps_values(tmp_path):
    p = write_jpeg(tmp_path / "h.jpg", natural_image(200, 150))
    exiftool_write(p, "-GPSLatitude=999", "-GPSLongitude=-999", "-GPSLatitudeRef=N", "-GPSLongitudeRef=W")
    c = run(p, "Kherson").check("place.gps_vs_claim")
    assert c.state in (State.INCONCLUSIVE, State.FOUND, State.ERROR)
    assert c.state != State.ERROR or c.error


def test_ocr_check_finds_place_names(tmp_path):
    from verilens.place.ocr import available_languages

    if not {"ukr", "rus"} <= set(available_languages()):
        pytest.skip("tesseract ukr/rus not installed")
    p = write_jpeg(tmp_path / "sign.jpg", in_scene(sign(["Херсон 5 км"], size=60)), quality=95)
    rep = run(p, "Kherson", checks=("place.map",), out=tmp_path / "out")
    c = rep.check("place.ocr")
    assert c.state == State.FOUND
    assert c.details["place_names"][0]["candidates"][0]["geonameid"] == 706448
    assert c.details["names_matching_claim"] and "Херсон" in c.summary
    kinds = sorted(a.kind.value for a in c.artifacts)
    assert kinds == ["data", "image"]
    words = json.loads(Path(next(a.path for a in c.artifacts if a.kind.value == "data")).read_text())["words"]
    assert any("Херсон" in w["text"] for w in words)
    # the place map draws the claim and the name read in the picture
    m = rep.check("place.map")
    assert m.details == {"claimed": True, "gps": False, "names": 1} and m.artifacts


def test_reference_match_check(tmp_path):
    a = natural_image(800, 600, seed=3)
    import cv2

    rng = np.random.default_rng(0)
    for _ in range(120):
        x, y = (int(v) for v in rng.integers(0, 760, 2))
        cv2.rectangle(a, (x, y % 560), (x + 25, y % 560 + 18), tuple(int(v) for v in rng.integers(0, 255, 3)), -1)
    q = write_jpeg(tmp_path / "q.jpg", a)
    same = write_jpeg(tmp_path / "same.jpg", cv2.resize(a[50:550, 100:700], (450, 375)), quality=70)
    other = write_jpeg(tmp_path / "other.jpg", natural_image(700, 500, seed=9))
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 50)
    rep = run(q, None, checks=("place.reference_match",), refs=[same, other, junk, tmp_path / "missing.jpg"],
              out=tmp_path / "o")
    c = rep.check("place.reference_match")
    assert c.state == State.FOUND and "same.jpg" in c.summary
    states = [r["state"] for r in c.details["references"]]
    assert states[0] == "found" and states[1] in ("not_found", "inconclusive") and states[2:] == ["error", "error"]
    assert any(re.search(r"matches_0", a.path) for a in c.artifacts)
    assert rep.questions["place"].state == State.FOUND


def test_reference_match_not_applicable_without_references(jpeg_file):
    assert run(jpeg_file, None, checks=("place.reference_match",)).check(
        "place.reference_match").state == State.NOT_APPLICABLE


def test_ocr_runs_with_a_claim_or_on_request_only(tmp_path):
    from verilens.place.ocr import available_languages

    if not {"ukr", "rus"} <= set(available_languages()):
        pytest.skip("tesseract ukr/rus not installed")
    p = write_jpeg(tmp_path / "sign.jpg", in_scene(sign(["Луганськ"], size=60)), quality=95)
    # a default run without a claimed place leaves OCR out (it costs seconds per picture)
    rep = check_item(open_media(p), parse_claim(None, None), Options(skip={"forensics.ela"}))
    c = rep.check("place.ocr")
    assert c is not None and c.state == State.NOT_APPLICABLE and "--checks place.ocr" in c.summary
    # asked for by id, it reads the sign
    c = run(p, None, checks=("place.ocr",)).check("place.ocr")
    assert c.state == State.FOUND and c.details["place_names"][0]["candidates"][0]["geonameid"] == 702658
