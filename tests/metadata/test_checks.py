"""The metadata checks end to end on files made in the test (Pillow + exiftool)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from tests.media import exiftool_write, natural_image, requires_exiftool, write_jpeg
from verilens.api import check
from verilens.evidence import Report
from verilens.pipeline import Options

IDS = {
    "metadata.basic",
    "metadata.timestamps",
    "metadata.software",
    "metadata.thumbnail",
    "metadata.stripped",
    "source.ai_declaration",
    "c2pa.manifest",
}


def run(path: Path, out: Path) -> Report:
    return next(iter(check(path, options=Options(checks=IDS), out=out)))


def _camera_jpeg(tmp_path: Path, name: str, rgb: np.ndarray, thumb_from: np.ndarray) -> Path:
    f = write_jpeg(tmp_path / name, rgb, quality=92)
    thumb = tmp_path / f"{name}.thumb.jpg"
    Image.fromarray(thumb_from).resize((160, 120), Image.Resampling.BOX).save(thumb, quality=85)
    exiftool_write(
        f,
        "-Make=Canon",
        "-Model=Canon EOS 5D",
        "-Software=Firmware Version 1.1.1",
        "-DateTimeOriginal=2022:05:01 10:00:00",
        f"-ThumbnailImage<={thumb}",
        f"-ExifImageWidth={rgb.shape[1]}",
        f"-ExifImageHeight={rgb.shape[0]}",
    )
    return f


@requires_exiftool
def test_thumbnail_mismatch_after_edit(tmp_path: Path) -> None:
    original = natural_image(640, 480, seed=3)
    edited = original.copy()
    edited[140:330, 200:420] = natural_image(
        220, 190, seed=9
    )  # an object pasted in, ~14% of the frame
    cam = _camera_jpeg(tmp_path, "camera.jpg", original, original)
    fake = _camera_jpeg(tmp_path, "edited.jpg", edited, original)  # old EXIF block carried over

    r_cam = run(cam, tmp_path / "out")
    t = r_cam.check("metadata.thumbnail")
    assert t is not None and t.state == "not_found", t
    r_fake = run(fake, tmp_path / "out")
    t = r_fake.check("metadata.thumbnail")
    assert t is not None and t.state == "found", t
    assert t.details["compared"][0]["verdict"] in ("local_change", "different_picture")
    art = Path(t.artifacts[0].path)
    assert art.is_file() and Image.open(art).size[1] == 320
    # the camera file itself is untouched by the check
    assert r_cam.check("metadata.software").state == "not_found"  # type: ignore[union-attr]
    assert r_cam.check("metadata.stripped").state == "not_found"  # type: ignore[union-attr]


@requires_exiftool
def test_xmp_digital_source_type_trained_algorithmic_media(tmp_path: Path) -> None:
    f = write_jpeg(tmp_path / "gen.jpg", natural_image(256, 256))
    exiftool_write(
        f,
        "-XMP-iptcExt:DigitalSourceType="
        "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
    )
    r = run(f, tmp_path / "out").check("source.ai_declaration")
    assert r is not None and r.state == "found" and r.score == 0.9
    d = r.details["declarations"][0]
    assert d["kind"] == "iptc_digital_source_type" and d["ai"] == "generated"
    assert "generative AI" in r.summary


@requires_exiftool
def test_digital_capture_declaration_is_not_ai(tmp_path: Path) -> None:
    f = write_jpeg(tmp_path / "cap.jpg", natural_image(256, 256))
    exiftool_write(
        f,
        "-XMP-iptcExt:DigitalSourceType=http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture",
    )
    r = run(f, tmp_path / "out").check("source.ai_declaration")
    assert r is not None and r.state == "not_found" and "a declaration, not proof" in r.summary


def test_png_with_stable_diffusion_parameters(tmp_path: Path) -> None:
    info = PngInfo()
    info.add_text(
        "parameters",
        "a red fox in snow, <lora:x:1>\nNegative prompt: blurry, lowres\n"
        "Steps: 28, Sampler: DPM++ 2M Karras, CFG scale: 6.5, Seed: 1234, Size: 512x512, "
        "Model hash: 31e35c80fc, Model: sd_xl_base_1.0",
    )
    f = tmp_path / "sd.png"
    Image.fromarray(natural_image(128, 128)).save(f, pnginfo=info)
    r = run(f, tmp_path / "out").check("source.ai_declaration")
    assert r is not None and r.state == "found"
    gp = r.details["generation_parameters"]
    assert (
        gp["prompt"] == "a red fox in snow, <lora:x:1>"
        and gp["negative_prompt"] == "blurry, lowres"
    )
    assert gp["settings"]["Steps"] == "28" and gp["settings"]["Model"] == "sd_xl_base_1.0"


def test_png_with_comfyui_graph(tmp_path: Path) -> None:
    info = PngInfo()
    info.add_text(
        "prompt",
        json.dumps(
            {
                "3": {"class_type": "KSampler", "inputs": {"seed": 5}},
                "4": {"class_type": "CheckpointLoaderSimple", "inputs": {}},
            }
        ),
    )
    info.add_text("workflow", json.dumps({"nodes": [{"id": 3}, {"id": 4}], "links": []}))
    f = tmp_path / "comfy.png"
    Image.fromarray(natural_image(96, 96)).save(f, pnginfo=info)
    r = run(f, tmp_path / "out").check("source.ai_declaration")
    assert r is not None and r.state == "found"
    kinds = {d["source"] for d in r.details["declarations"]}
    assert {"PNG:Prompt", "PNG:Workflow"} <= kinds


def test_png_with_ordinary_text_is_not_a_declaration(tmp_path: Path) -> None:
    info = PngInfo()
    info.add_text("parameters", "exposure +1, contrast 10")  # not generator parameters
    info.add_text("Comment", "holiday photo")
    f = tmp_path / "plain.png"
    Image.fromarray(natural_image(96, 96)).save(f, pnginfo=info)
    r = run(f, tmp_path / "out").check("source.ai_declaration")
    assert r is not None and r.state == "not_found"


@requires_exiftool
def test_editing_software_and_resize_are_reported(tmp_path: Path) -> None:
    f = write_jpeg(tmp_path / "lr.jpg", natural_image(400, 300))
    exiftool_write(
        f,
        "-Make=NIKON CORPORATION",
        "-Model=NIKON D750",
        "-Software=Adobe Photoshop Lightroom Classic 12.0",
        "-ExifImageWidth=6016",
        "-ExifImageHeight=4016",
        "-DateTimeOriginal=2020:01:01 12:00:00",
        "-XMP-xmpMM:HistorySoftwareAgent=Adobe Photoshop 24.0",
        "-XMP-xmpMM:HistoryAction=saved",
    )
    rep = run(f, tmp_path / "out")
    sw = rep.check("metadata.software")
    assert sw is not None and sw.state == "found" and "Adobe Lightroom" in sw.summary
    st = rep.check("metadata.stripped")
    assert st is not None and st.state == "found"
    assert {s["code"] for s in st.details["signs"]} >= {"dimensions_changed", "no_thumbnail"}


def test_no_metadata_at_all(tmp_path: Path) -> None:
    f = tmp_path / "bare.png"
    Image.fromarray(natural_image(64, 64)).save(f)
    rep = run(f, tmp_path / "out")
    assert rep.check("metadata.stripped").state == "found"  # type: ignore[union-attr]
    assert rep.check("metadata.timestamps").state == "not_found"  # type: ignore[union-attr]
    assert rep.check("c2pa.manifest").state == "not_found"  # type: ignore[union-attr]
    assert rep.check("metadata.thumbnail").state == "not_applicable"  # type: ignore[union-attr]


def test_c2pa_check_states(shared_data: Path, tmp_path: Path) -> None:
    base = shared_data / "c2pa-testfiles" / "image" / "jpeg"
    r = run(base / "adobe-20220124-E-uri-CA.jpg", tmp_path).check("c2pa.manifest")
    assert r is not None and r.state == "found" and r.details["validation_state"] == "Invalid"
    assert (
        "assertion.hashedURI.mismatch" in r.summary
        and r.details["signing_time"] == "2023-01-24T14:48:56+00:00"
    )
    r = run(base / "adobe-20220124-CA.jpg", tmp_path).check("c2pa.manifest")
    assert (
        r is not None
        and r.details["validation_state"] == "Valid"
        and "not on this installation's trust" in r.summary
    )
    r = run(base / "adobe-20220124-A.jpg", tmp_path).check("c2pa.manifest")
    assert r is not None and r.state == "not_found" and r.details["validation_state"] is None


def test_truncated_and_garbage_files_give_clear_states(tmp_path: Path, jpeg_file: Path) -> None:
    data = jpeg_file.read_bytes()
    trunc = tmp_path / "trunc.jpg"
    trunc.write_bytes(data[: len(data) // 3])
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"\xff\xd8\xff\xe1\xff\xff" + b"Exif\x00\x00MM\x00*" + b"\xff" * 5000)
    for f in (trunc, junk):
        rep = run(f, tmp_path / "out")
        if rep.state == "error":
            assert rep.error
            continue
        for c in rep.checks:
            assert not c.summary.startswith("Failed with an internal error"), c


@requires_exiftool
def test_hostile_metadata_stays_bounded_data(tmp_path: Path) -> None:
    f = write_jpeg(tmp_path / "hostile.jpg", natural_image(128, 96))
    evil = "<script>alert(1)</script>\u202e\u0007" + "Z" * 60_000
    exiftool_write(
        f,
        f"-Software={evil}",
        f"-XMP-xmp:CreatorTool={evil}",
        f"-ImageDescription={evil}",
        "-DateTimeOriginal#=2014:13:45 10:00:00",
        f"-XMP-iptcExt:DigitalSourceType={evil}",
    )
    rep = run(f, tmp_path / "out")
    assert rep.state == "ok"
    for c in rep.checks:
        assert len(c.summary) < 3000, c.id
        assert "\u0007" not in c.summary and "\u202e" not in c.summary, c.id
        text = json.dumps(c.details)
        assert len(text) < 50_000 and "Z" * 2100 not in text, c.id
    ai = rep.check("source.ai_declaration")
    assert ai is not None and ai.details["declarations"][0]["ai"] == "unknown"
    ts = rep.check("metadata.timestamps")
    assert ts is not None and any("unreadable date" in n for n in ts.details["notes"])
    assert rep.metadata.software is not None and len(rep.metadata.software) < 600
