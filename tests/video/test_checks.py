"""Video checks through the pipeline, the archive round trip and the keyframes command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.media import natural_image, requires_exiftool, write_jpeg
from tests.video.synth import Shot, iter_frames, make_video, write_video
from verilens.api import check
from verilens.pipeline import Options

ORIGINAL = [Shot(51, 60), Shot(52, 45, pan=(3, 1)), Shot(53, 70), Shot(54, 40, pan=(-2, 2)), Shot(55, 55),
            Shot(56, 50)]
FPS = 25


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("orig") / "broadcast.mp4", ORIGINAL, fps=FPS)


def _one(path: Path | str, **kw: object):
    (rep,) = list(check(str(path), **kw))  # type: ignore[arg-type]
    return rep


@requires_exiftool
def test_video_report_has_metadata_and_keyframes(original: Path, tmp_path: Path) -> None:
    rep = _one(original, out=tmp_path, options=Options(checks={"video.metadata", "video.keyframes"}))
    assert rep.state == "ok" and rep.input.kind == "video"
    meta = rep.check("video.metadata")
    assert meta.state.value == "found"  # FFmpeg (Lavf) wrote it: a processing trace
    assert meta.details["processing_traces"]
    assert meta.details["container"]["streams"][0]["codec"] == "h264"
    kf = rep.check("video.keyframes")
    assert kf.state.value == "found"
    assert len(kf.details["cuts"]) == len(ORIGINAL) - 1
    assert "hard cut" in kf.summary
    for k in kf.details["keyframes"]:  # the agreed interface: index, time_s, path
        assert {"index", "time_s", "path"} <= k.keys()
        assert Path(k["path"]).is_file()
    assert [a.kind.value for a in kf.artifacts] == ["image"] * len(kf.details["keyframes"])
    json.dumps(rep.model_dump(mode="json"))


def test_single_shot_video_is_not_found(tmp_path: Path) -> None:
    path = make_video(tmp_path / "take.mp4", [Shot(60, 90)], fps=FPS)
    rep = _one(path, out=tmp_path, options=Options(checks={"video.keyframes"}))
    kf = rep.check("video.keyframes")
    assert kf.state.value == "not_found" and kf.details["cuts"] == []
    assert len(kf.details["keyframes"]) >= 2  # 3.6 s single shot: one every 2 s


def test_provenance_not_applicable_without_archive(original: Path, tmp_path: Path) -> None:
    rep = _one(original, out=tmp_path, options=Options(checks={"video.provenance"}))
    assert rep.check("video.provenance").state.value == "not_applicable"


def test_clip_cut_from_archived_video_is_matched_with_its_offset(original: Path, tmp_path: Path) -> None:
    """Archive the broadcast; a re-encoded clip cut from t = 4.0 s is found at that offset."""
    provenance = pytest.importorskip("verilens.provenance")
    db = tmp_path / "archive.db"
    with provenance.Archive.open(db) as archive:
        archive.add_path(original, source_url="https://example.org/broadcast", first_seen="2022-03-01T10:00:00Z")
    start, stop = 100, 260  # frames of the original: 4.0 s to 10.4 s, starting mid-shot
    frames = list(iter_frames(ORIGINAL, 320, 240))[start:stop]
    clip = write_video(tmp_path / "repost.mp4", frames, fps=FPS, crf=30)
    rep = _one(clip, out=tmp_path / "run", archive=str(db), claim_time="2023-04-17",
               options=Options(checks={"video.provenance"}))
    res = rep.check("video.provenance")
    assert res.state.value == "found", res.summary
    top = res.details["clips"][0]
    assert top["item"]["source_url"] == "https://example.org/broadcast"
    assert top["offset_s"] == pytest.approx(start / FPS, abs=1.0 / FPS)
    assert top["consistent_keyframes"] >= 2  # the shot starts inside the clip (cuts at 7.0 and 8.6 s)
    assert res.details["predates_claim"] is True
    assert res.details["earliest"]["source_url"] == "https://example.org/broadcast"
    assert "appeared before in https://example.org/broadcast" in res.summary
    assert all(m.get("frame_time_s") is not None for m in res.details["matches"])


def test_the_very_same_video_file_is_named_first(original: Path, tmp_path: Path) -> None:
    provenance = pytest.importorskip("verilens.provenance")
    db = tmp_path / "archive.db"
    with provenance.Archive.open(db) as archive:
        archive.add_path(original, source_url="https://example.org/broadcast", first_seen="2022-03-01T10:00:00Z")
    rep = _one(original, out=tmp_path / "run", archive=str(db), claim_time="2023-04-17",
               options=Options(checks={"video.provenance"}))
    res = rep.check("video.provenance")
    assert res.state.value == "found" and res.score == 1.0
    same = res.details["identical_file"]
    assert same["stage"] == "sha256" and same["source_url"] == "https://example.org/broadcast"
    assert res.summary.startswith("This very file (the same bytes) is in the archive: broadcast.mp4")
    assert res.details["predates_claim"] is True and res.details["clips"]  # its keyframes match too
    assert "appeared before" in res.summary
    assert res.details["matches"][0] == same and len(res.details["matches"]) == 1


def test_the_same_bytes_are_found_when_no_keyframe_matches(original: Path, tmp_path: Path, monkeypatch) -> None:
    provenance = pytest.importorskip("verilens.provenance")
    db = tmp_path / "archive.db"
    with provenance.Archive.open(db) as archive:
        archive.add_path(original, first_seen="2022-03-01T10:00:00Z")
    monkeypatch.setattr(provenance.Archive, "search_image", lambda self, rgb, top_k=10, sha256=None: [])
    rep = _one(original, out=tmp_path / "run", archive=str(db), claim_time="2023-04-17",
               options=Options(checks={"video.provenance"}))
    res = rep.check("video.provenance")
    assert res.state.value == "found" and res.details["clips"] == []
    assert res.details["earliest"]["first_seen"] == "2022-03-01T10:00:00+00:00"
    assert res.summary.endswith("the video is likely recycled.")


def test_unrelated_video_does_not_match_archive(original: Path, tmp_path: Path) -> None:
    provenance = pytest.importorskip("verilens.provenance")
    db = tmp_path / "archive.db"
    with provenance.Archive.open(db) as archive:
        archive.add_path(original, first_seen="2022-03-01")
    other = make_video(tmp_path / "other.mp4", [Shot(90, 50), Shot(91, 50)], fps=FPS)
    rep = _one(other, out=tmp_path / "run", archive=str(db), options=Options(checks={"video.provenance"}))
    res = rep.check("video.provenance")
    assert res.state.value == "not_found", res.summary
    assert res.details["clips"] == [] and res.details["identical_file"] is None


# ---------------------------------------------------------------- hostile inputs through check()

def test_hostile_videos_give_clear_states(tmp_path: Path, original: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    garbage = tmp_path / "garbage.mov"
    garbage.write_bytes(b"\x00\x00\x00\x20ftypqt  " + np.random.default_rng(2).bytes(40_000))
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(original.read_bytes()[:30_000])
    photo = write_jpeg(tmp_path / "photo.mp4", natural_image(160, 120))  # wrong extension
    reports = list(check([str(empty), str(garbage), str(truncated), str(photo)], out=tmp_path / "run",
                         options=Options(checks={"video.keyframes"})))
    assert len(reports) == 4
    by = {Path(r.input.path).name: r for r in reports}
    assert by["empty.mp4"].state == "error" and "empty" in by["empty.mp4"].error
    assert by["garbage.mov"].state == "error" or by["garbage.mov"].check("video.keyframes").state.value == "error"
    t = by["truncated.mp4"]
    assert t.state == "error" or t.check("video.keyframes").state.value in ("error", "found", "not_found",
                                                                               "inconclusive")
    p = by["photo.mp4"]
    assert p.state == "ok" and p.input.kind == "image"
    assert p.check("video.keyframes").state.value == "not_applicable"


# ---------------------------------------------------------------- the keyframes command

def test_keyframes_command_json_contract(original: Path, tmp_path: Path) -> None:
    from verilens.cli import app

    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all")
    result = CliRunner().invoke(app, ["keyframes", str(original), str(bad), "--out", str(tmp_path / "kf"),
                                      "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 2
    ok, err = lines
    assert {"path", "duration_s", "fps", "keyframes"} <= ok.keys()
    assert ok["state"] == "ok" and ok["fps"] == pytest.approx(FPS)
    assert ok["duration_s"] == pytest.approx(sum(s.frames for s in ORIGINAL) / FPS, abs=0.05)
    shot_starts = [k["time_s"] for k in ok["keyframes"] if k["reason"] == "shot"]
    expected = np.cumsum([0] + [s.frames for s in ORIGINAL[:-1]]) / FPS
    assert np.allclose(shot_starts, expected, atol=1.0 / FPS)
    for k in ok["keyframes"]:
        assert Path(k["path"]).is_file() and k["path"].startswith(str(tmp_path / "kf"))
    assert err["state"] == "error" and err["error"] and err["keyframes"] == []


def test_keyframes_command_usage_error(original: Path, tmp_path: Path) -> None:
    from verilens.cli import app

    result = CliRunner().invoke(app, ["keyframes", str(original), "--out", str(tmp_path), "--format", "gif"])
    assert result.exit_code == 2


# ---------------------------------------------------------------- image checks on keyframes

def test_image_checks_run_on_spread_keyframes(original: Path, tmp_path: Path) -> None:
    """Registered image checks see the keyframe pictures; findings name their keyframe time."""
    from verilens.evidence import Finding, Question, State
    from verilens.pipeline import REGISTRY, load_checks, register

    load_checks()
    seen: list[tuple[int, int]] = []

    @register("test.frame_probe", Question.MANIPULATION, applies_to=("image",), default=False)
    def probe(ctx):  # type: ignore[no-untyped-def]
        h, w = ctx.media.rgb().shape[:2]
        seen.append((w, h))
        return Finding(State.FOUND, "probe saw a frame", score=0.3)

    try:
        rep = _one(original, out=tmp_path, options=Options(
            checks={"video.keyframe_forensics"}, extra={"video_frame_checks": ["test.frame_probe", "no.such"]}))
    finally:
        REGISTRY.pop("test.frame_probe", None)
    res = rep.check("video.keyframe_forensics")
    assert res.state.value == "found" and res.details["checks"] == ["test.frame_probe"]
    assert len(seen) == len(res.details["keyframes"]) == 4  # spread: at most 4 keyframes
    assert set(seen) == {(320, 240)}
    times = [k["time_s"] for k in res.details["keyframes"]]
    assert times == sorted(times) and times[0] == 0.0
    assert "t = 0.00" in res.summary


def test_keyframe_checks_not_applicable_when_unavailable(original: Path, tmp_path: Path) -> None:
    rep = _one(original, out=tmp_path, options=Options(checks={"video.keyframe_forensics"},
                                                       extra={"video_frame_checks": ["no.such.check"]}))
    assert rep.check("video.keyframe_forensics").state.value == "not_applicable"
