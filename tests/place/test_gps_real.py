"""GPS against a claim on the real GPS photos of ../shared/data, checked against reference dumps.

The reference coordinates come from dumps made by other EXIF readers (Java
metadata-extractor for media-samples, a Python EXIF reader for exif-samples); the expected
distance is the WGS84 geodesic (Karney) from the claimed point to those coordinates.
"""

import re
from fractions import Fraction
from pathlib import Path

import pytest

from verilens.api import check_item
from verilens.claims import parse_claim
from verilens.intake.media import open_media
from verilens.pipeline import Options
from verilens.place.geo import geodesic

KHERSON = "46.63695,32.61458"


def _dms_metadata_extractor(text: str, tag: str) -> float | None:
    m = re.search(rf"\] {tag} = (-?)(\d+)° (\d+)' ([\d.]+)\"", text)
    if not m:
        return None
    v = int(m.group(2)) + int(m.group(3)) / 60 + float(m.group(4)) / 3600
    return -v if m.group(1) else v


def media_samples_refs(root: Path) -> list[tuple[Path, float, float]]:
    out = []
    for dump in sorted((root / "media-samples" / "reference-dumps").glob("*.jpg.txt")):
        text = dump.read_text(encoding="utf-8", errors="replace")
        lat = _dms_metadata_extractor(text, "GPS Latitude")
        lon = _dms_metadata_extractor(text, "GPS Longitude")
        if lat is None or lon is None or (lat == 0 and lon == 0):
            continue
        if re.search(r"GPS Latitude Ref = S", text):
            lat = -abs(lat)
        if re.search(r"GPS Longitude Ref = W", text):
            lon = -abs(lon)
        out.append((root / "media-samples" / "jpg" / dump.name[:-4], lat, lon))
    return out


def exif_samples_refs(root: Path) -> list[tuple[Path, float, float]]:
    text = (root / "exif-samples" / "dump").read_text(encoding="utf-8", errors="replace")
    out = []
    for block in re.split(r"\nOpening: ", text):
        m = re.match(r"exif-samples-master/(jpg/gps/\S+)", block)
        if not m:
            continue
        vals = {}
        for tag in ("GPSLatitude", "GPSLongitude"):
            r = re.search(rf"GPS {tag} \(Ratio\): \[([^\]]+)\]", block)
            ref = re.search(rf"GPS {tag}Ref \(ASCII\): (\w)", block)
            if not r or not ref:
                break
            d, mi, s = (float(Fraction(x.strip())) for x in r.group(1).split(","))
            v = d + mi / 60 + s / 3600
            vals[tag] = -v if ref.group(1) in "SW" else v
        if len(vals) == 2:
            out.append((root / "exif-samples" / m.group(1), vals["GPSLatitude"], vals["GPSLongitude"]))
    return out


def test_distances_match_reference_coordinates(shared_data):
    refs = media_samples_refs(shared_data) + exif_samples_refs(shared_data)
    assert len(refs) >= 12, refs  # 4+ phones/cameras in media-samples, 9 in exif-samples/jpg/gps
    claim = parse_claim(KHERSON, None)
    checked = 0
    for path, lat, lon in refs:
        if not path.is_file():
            continue
        rep = check_item(open_media(path), claim, Options(checks={"place.gps_vs_claim"}))
        c = rep.check("place.gps_vs_claim")
        assert c.state.value == "found", (path.name, c.summary)
        want = geodesic(46.63695, 32.61458, lat, lon)
        # the dumps print seconds to 0.1" (≈3 m): agree within 10 m
        assert c.details["distance_km"] == pytest.approx(want.distance_km, abs=0.01), path.name
        assert c.details["bearing_deg"] == pytest.approx(want.bearing_deg, abs=0.01), path.name
        assert c.details["inside"] is False
        checked += 1
    assert checked >= 12


def test_claim_at_the_reference_point_is_inside(shared_data):
    path, lat, lon = exif_samples_refs(shared_data)[0]
    rep = check_item(open_media(path), parse_claim(f"{lat:.6f},{lon:.6f}", None), Options(checks={"place.gps_vs_claim"}))
    c = rep.check("place.gps_vs_claim")
    assert c.details["inside"] is True and c.details["distance_km"] < 0.01
