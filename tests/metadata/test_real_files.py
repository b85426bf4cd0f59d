"""Real files: an independent reader's dumps, camera samples and invalid EXIF.

Reference for GPS and DateTimeOriginal: metadata-extractor (Drew Noakes, Java) dumps in
../shared/data/media-samples/reference-dumps/ — an implementation independent of exiftool.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from verilens.metadata.exiftool import bridge
from verilens.metadata.normalise import normalise

_LINE = re.compile(r"^\[(?P<dir>[^\]]+?) - 0x[0-9a-f]+\] (?P<name>[^=]+?) = (?P<value>.*)$")
_DMS = re.compile(r"^(-?)(\d+)° (\d+)' ([\d.]+)\"$")


def parse_dump(text: str) -> dict[str, str]:
    """First value of each (directory, tag name) in a metadata-extractor dump."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        m = _LINE.match(line.strip())
        if m:
            out.setdefault(f"{m.group('dir')}/{m.group('name')}", m.group("value").strip())
    return out


def dms_to_decimal(value: str, ref: str) -> tuple[float, float]:
    """Signed decimal degrees and the rounding tolerance implied by the printed seconds."""
    m = _DMS.match(value)
    assert m, value
    _, d, mi, s = m.groups()
    decimals = len(s.split(".")[1]) if "." in s else 0
    dec = int(d) + int(mi) / 60 + float(s) / 3600
    if ref.upper() in ("S", "W"):
        dec = -dec
    return dec, 0.5 * 10**-decimals / 3600 + 1e-9


def _media(root: Path, name: str) -> Path:
    hits = [p for p in (root / "media-samples").rglob(name) if "reference-dumps" not in p.parts]
    assert hits, name
    return hits[0]


def test_gps_and_capture_time_match_metadata_extractor(shared_data: Path) -> None:
    dumps = sorted((shared_data / "media-samples" / "reference-dumps").glob("*.txt"))
    assert len(dumps) >= 40
    files, refs = [], []
    for dump in dumps:
        ref = parse_dump(dump.read_text(encoding="utf-8", errors="replace"))
        files.append(_media(shared_data, dump.name[: -len(".txt")]))
        refs.append(ref)
    rows = bridge().read(files)
    compared_gps = compared_time = 0
    problems = []
    for f, ref, raw in zip(files, refs, rows, strict=True):
        meta = normalise(raw)
        lat_s, lon_s = ref.get("GPS/GPS Latitude"), ref.get("GPS/GPS Longitude")
        if lat_s and lon_s:
            lat, tol_lat = dms_to_decimal(lat_s, ref.get("GPS/GPS Latitude Ref", "N"))
            lon, tol_lon = dms_to_decimal(lon_s, ref.get("GPS/GPS Longitude Ref", "E"))
            gps = meta["gps"]
            if gps is None or abs(gps["lat"] - lat) > tol_lat or abs(gps["lon"] - lon) > tol_lon:
                problems.append((f.name, "gps", gps, (lat, lon)))
            compared_gps += 1
        dto = ref.get("Exif SubIFD/Date/Time Original")
        if dto is not None:
            ours = next(
                (
                    t["value"]
                    for t in meta["timestamps"]["timestamps"]
                    if t["source"] == "ExifIFD:DateTimeOriginal"
                ),
                None,
            )
            m = re.match(r"^(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})$", dto)
            if (
                m and m.group(1) == "0000"
            ):  # a zeroed date is no date: both readers agree it is empty
                if ours is not None:
                    problems.append((f.name, "DateTimeOriginal", ours, "zeroed"))
            elif m:
                expected = "{}-{}-{}T{}:{}:{}".format(*m.groups())
                if ours is None or ours[:19] != expected:
                    problems.append((f.name, "DateTimeOriginal", ours, expected))
            elif ours is not None:  # blank in the reference ("    :  :  ...") must be absent here
                problems.append((f.name, "DateTimeOriginal", ours, "blank"))
            compared_time += 1
    assert not problems, problems
    assert compared_gps >= 8 and compared_time >= 20


def test_every_exif_sample_is_processed_with_a_clear_state(shared_data: Path) -> None:
    from verilens.api import check
    from verilens.pipeline import Options

    ids = {
        "metadata.basic",
        "metadata.timestamps",
        "metadata.software",
        "metadata.stripped",
        "metadata.thumbnail",
        "source.ai_declaration",
        "c2pa.manifest",
    }
    root = shared_data / "exif-samples"
    files = sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and p.suffix.lower() in (".jpg", ".jpeg", ".tif", ".tiff", ".heic")
    )
    assert len(files) >= 90
    rows = bridge().read(files)
    for f, raw in zip(files, rows, strict=True):
        assert raw["SourceFile"] == str(f)
        meta = normalise(raw)  # never raises, whatever the file holds
        assert isinstance(meta["timestamps"]["timestamps"], list)
    invalid = sorted((root / "jpg" / "invalid").glob("*.jpg"))
    assert len(invalid) == 7
    for report in check(invalid, options=Options(checks=ids)):
        assert report.state in ("ok", "error")
        if report.state == "error":
            assert report.error  # a readable message
            continue
        for c in report.checks:
            assert c.state in ("found", "not_found", "inconclusive", "not_applicable", "error"), c
            assert c.summary and not c.summary.startswith("Failed with an internal error"), (
                report.input.path,
                c,
            )


@pytest.mark.parametrize("name", ["Apple iPhone 6.jpg"])
def test_iphone_offset_derived_from_gps(shared_data: Path, name: str) -> None:
    # local 14:05:12 (BST), GPS 13:05:12.05 UTC, GPS date stamp malformed ("2014:09:259")
    raw = bridge().read_one(_media(shared_data, name))
    ts = normalise(raw)["timestamps"]
    assert ts["derived_utc_offset"] == "+01:00"
    assert any("GPS date stamp unreadable" in n for n in ts["notes"])
