"""Pure classifiers: IPTC digital source types, software traces, stripping signs."""

from __future__ import annotations

from verilens.metadata.ai_declaration import (
    IPTC_DIGITAL_SOURCE_TYPES,
    classify_digital_source_type,
    find_declarations,
    is_ai_declared,
)
from verilens.metadata.software import classify, find_software
from verilens.metadata.stripped import find_signs


def test_iptc_vocabulary_complete_with_retired_terms() -> None:
    # IPTC NewsCodes digitalsourcetype (2024-09), including retired softwareImage,
    # digitalArt and minorHumanEdits.
    expected = {
        "digitalCapture",
        "computationalCapture",
        "negativeFilm",
        "positiveFilm",
        "print",
        "humanEdits",
        "minorHumanEdits",
        "algorithmicallyEnhanced",
        "compositeCapture",
        "composite",
        "compositeSynthetic",
        "compositeWithTrainedAlgorithmicMedia",
        "dataDrivenMedia",
        "digitalCreation",
        "digitalArt",
        "virtualRecording",
        "screenCapture",
        "trainedAlgorithmicMedia",
        "algorithmicMedia",
        "softwareImage",
    }
    assert set(IPTC_DIGITAL_SOURCE_TYPES) == expected
    assert {k for k, v in IPTC_DIGITAL_SOURCE_TYPES.items() if v[2]} == {
        "minorHumanEdits",
        "digitalArt",
        "softwareImage",
    }
    base = "http://cv.iptc.org/newscodes/digitalsourcetype/"
    assert classify_digital_source_type(base + "trainedAlgorithmicMedia")[1] == "generated"
    assert classify_digital_source_type("compositeWithTrainedAlgorithmicMedia")[1] == "composite"
    assert classify_digital_source_type(base + "softwareImage") == (
        "Image created by software (retired)",
        "algorithmic",
        True,
    )
    assert classify_digital_source_type("nonsense")[1] == "unknown"


def test_c2pa_source_types_and_generator_software() -> None:
    decls = find_declarations(
        {"IFD0:Software": "Midjourney v6"},
        [
            (
                "c2pa:m/c2pa.actions/c2pa.created",
                "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
            )
        ],
    )
    assert {d.kind for d in decls} == {"c2pa_digital_source_type", "generator_software"}
    assert is_ai_declared(decls)
    assert not is_ai_declared(find_declarations({"IFD0:Software": "Adobe Photoshop 25.0"}))


def test_software_classification() -> None:
    assert classify("Adobe Photoshop Lightroom Classic 13.1") == ("Adobe Lightroom", "editor")
    assert classify("GIMP 2.10.34") == ("GIMP", "editor")
    assert classify("Snapseed 2.0")[1] == "editor"
    assert classify("Ver.1.00")[1] == "camera"
    assert classify("16.4.1")[1] == "camera"
    traces = find_software(
        {
            "IPTC:SpecialInstructions": "FBMD0a000a6e0100001e2e0000",
            "XMP-crs:Exposure2012": 0.5,
            "File:Comment": "CREATOR: gd-jpeg v1.0 (using IJG JPEG v62), quality = 90",
        }
    )
    assert {t.category for t in traces} == {"export", "editor"}
    assert {t.name for t in traces} >= {"Facebook", "Adobe Camera Raw", "PHP GD (gd-jpeg)"}


def test_stripping_signs() -> None:
    assert [s.code for s in find_signs({"File:FileType": "JPEG"})] == ["no_metadata"]
    signs = find_signs(
        {
            "File:FileType": "JPEG",
            "IFD0:Make": "Canon",
            "IFD0:Model": "X",
            "IFD1:ThumbnailImage": "b",
            "ExifIFD:ExifImageWidth": 3000,
            "ExifIFD:ExifImageHeight": 2000,
        },
        2000,
        3000,
    )
    assert signs == []  # rotated by orientation: same size
    signs = find_signs(
        {
            "File:FileType": "JPEG",
            "IFD0:Make": "Canon",
            "IFD1:ThumbnailImage": "b",
            "ExifIFD:ExifImageWidth": 3000,
            "ExifIFD:ExifImageHeight": 2000,
        },
        1500,
        1000,
    )
    assert [s.code for s in signs] == ["dimensions_changed"]
    v = find_signs(
        {"QuickTime:CreateDate": "0000:00:00 00:00:00", "ItemList:Encoder": "Lavf58.76.100"},
        kind="video",
    )
    assert {s.code for s in v} == {"platform_trace", "zeroed_dates", "no_camera_fields"}
