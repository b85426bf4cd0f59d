"""Container probe and exiftool video tags, on made-in-code clips and the real samples."""

from __future__ import annotations

import re
from datetime import UTC
from pathlib import Path

import av
import numpy as np
import pytest

from tests.media import requires_exiftool
from tests.video.synth import Shot, iter_frames, make_video
from verilens.video.probe import (
    frame_rate_mode,
    parse_iso6709,
    parse_quicktime_time,
    parse_video_tags,
    read_container,
)


def test_frame_rate_mode_constant_and_variable() -> None:
    const = [i * 512 for i in range(100)]
    assert frame_rate_mode(const)[0] == "constant"
    rng = np.random.default_rng(0)
    vfr = np.cumsum(rng.choice([400, 512, 800, 1024], 100)).tolist()
    mode, spread = frame_rate_mode(vfr)
    assert mode == "variable" and spread > 0.5
    assert frame_rate_mode([0, 1, 2])[0] == "unknown"
    # B-frame reordering (pts out of order) is not variable rate
    reordered = [0, 1024, 512, 2048, 1536, 3072, 2560, 4096, 3584, 5120, 4608, 5632]
    assert frame_rate_mode(reordered)[0] == "constant"


def test_iso6709() -> None:
    # Apple com.apple.quicktime.location.ISO6709, ISO 6709:2008 decimal degrees
    assert parse_iso6709("+32.0929+034.8620+028.516/") == (32.0929, 34.862, 28.516)
    assert parse_iso6709("-33.8688+151.2093/") == (-33.8688, 151.2093, None)
    assert parse_iso6709("+95.0+010.0/") is None
    assert parse_iso6709("garbage") is None


def test_quicktime_times() -> None:
    t = parse_quicktime_time("2019:07:24 08:25:57", assume_utc=True)
    assert t == {"value": "2019-07-24T08:25:57", "utc": "2019-07-24T08:25:57+00:00", "offset": "+00:00"}
    t = parse_quicktime_time("2019:07:24 11:25:40+03:00", assume_utc=False)
    assert t["utc"] == "2019-07-24T08:25:40+00:00" and t["offset"] == "+03:00"
    t = parse_quicktime_time("2019-07-24T11:25:40+0300", assume_utc=False)
    assert t["offset"] == "+03:00"
    assert parse_quicktime_time("2019:07:24 11:25:40", assume_utc=False)["utc"] is None
    assert parse_quicktime_time("0000:00:00 00:00:00", assume_utc=True) is None
    assert parse_quicktime_time("1904:01:01 00:00:00", assume_utc=True) is None
    assert parse_quicktime_time("2019:13:45 99:00:00", assume_utc=True) is None
    assert parse_quicktime_time("\x00\x01 hostile", assume_utc=True) is None


def test_parse_tags_hostile_values_do_not_crash() -> None:
    tags = {"QuickTime:CreateDate": "x" * 10000, "Keys:GPSCoordinates": "999 999", "Keys:Make": "A\x00\x1b[31m" * 500,
            "Composite:GPSLatitude": "nan?", "Composite:GPSLongitude": None, "Composite:Rotation": "90deg",
            "Composite:ImageSize": "big x huge", 12: "not a key"}
    out = parse_video_tags(tags)
    assert out["gps"] is None and out["creation_time"] is None and out["rotation_deg"] is None
    assert len(out["make"]) <= 200 and "\x1b" not in out["make"]


def test_read_container_generated_clip_with_rotation(tmp_path: Path) -> None:
    path = tmp_path / "rot.mp4"
    frames = list(iter_frames([Shot(1, 30)], 160, 120))
    with av.open(str(path), "w") as out:
        st = out.add_stream("libx264", rate=25)
        st.width, st.height, st.pix_fmt = 160, 120, "yuv420p"
        st.set_display_rotation(-90)
        for f in frames:
            for p in st.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                out.mux(p)
        for p in st.encode():
            out.mux(p)
    info = read_container(path)
    v = next(s for s in info.streams if s.type == "video")
    assert (v.codec, v.width, v.height) == ("h264", 160, 120)
    assert v.fps_average == pytest.approx(25.0)
    assert info.duration_s == pytest.approx(1.2, abs=0.05)
    assert info.rotation_deg == pytest.approx(-90.0)
    assert info.frame_rate == "constant"


def test_read_container_refuses_non_video(tmp_path: Path) -> None:
    from verilens.errors import InputError

    bad = tmp_path / "fake.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\xff" * 100)
    with pytest.raises(InputError):
        read_container(bad)


# ---------------------------------------------------------------- real files, reference dumps

def _ref(shared: Path, name: str) -> dict[str, str]:
    text = (shared / "media-samples" / "reference-dumps" / f"{name}.txt").read_text(encoding="utf-8")
    out = {}
    for line in text.splitlines():
        m = re.match(r"\[([^\]]+) - 0x[0-9a-f]+\] ([^=]+?) = (.*)$", line)
        if m:
            out[f"{m.group(1)}:{m.group(2)}"] = m.group(3)
    return out


def _ref_utc(text: str) -> str:
    """'Wed Jul 24 18:25:57 +10:00 2019' or '... AEDT 2017' (metadata-extractor) to UTC ISO."""
    from datetime import datetime, timedelta, timezone

    zones = {"AEDT": "+11:00", "AEST": "+10:00"}
    parts = text.split()
    off = zones.get(parts[4], parts[4])
    sign = -1 if off[0] == "-" else 1
    tz = timezone(sign * timedelta(hours=int(off[1:3]), minutes=int(off[4:6])))
    t = datetime.strptime(" ".join(parts[1:4] + parts[5:]), "%b %d %H:%M:%S %Y").replace(tzinfo=tz)
    return t.astimezone(UTC).isoformat()


VIDEO_CASES = [
    # file, reference group, duration tag, gps (lat, lon) or None, rotation (FFmpeg ccw degrees)
    ("with-gps.mov", "QuickTime", (32.0929, 34.862), -90),
    ("with-gps.mp4", "MP4", (51.417, -0.081), 0),
    ("sample_iTunes.mov", "QuickTime", None, 0),
    ("sample_mpeg4.mp4", "MP4", None, 0),
]


@requires_exiftool
@pytest.mark.parametrize(("name", "group", "gps", "rotation"), VIDEO_CASES)
def test_real_videos_match_reference_dumps(shared_data: Path, name: str, group: str, gps: tuple | None,
                                           rotation: int) -> None:
    """Metadata agrees with metadata-extractor's reference dump (media-samples/reference-dumps)."""
    from verilens.metadata.exiftool import bridge

    path = shared_data / "media-samples" / "video" / name
    ref = _ref(shared_data, name)
    tags = parse_video_tags(bridge().read_one(path, ["-ee"]))
    info = read_container(path)
    # creation time: the movie header, UTC by specification
    assert tags["creation_time"]["utc"] == _ref_utc(ref[f"{group}:Creation Time"])
    # duration: header units / time scale
    ref_duration = int(ref[f"{group}:Duration"]) / int(ref[f"{group}:Media Time Scale"])
    assert tags["duration_s"] == pytest.approx(ref_duration, abs=0.01)
    assert info.duration_s == pytest.approx(ref_duration, abs=0.05)
    video = next(s for s in info.streams if s.type == "video")
    vgroup = f"{group} Video"
    assert video.width == int(ref[f"{vgroup}:Width"].split()[0])
    assert video.height == int(ref[f"{vgroup}:Height"].split()[0])
    assert video.fps_average == pytest.approx(float(ref[f"{vgroup}:Frame Rate"]), abs=0.05)
    if gps is None:
        assert tags["gps"] is None
    else:
        assert tags["gps"]["lat"] == pytest.approx(gps[0], abs=1e-3)
        assert tags["gps"]["lon"] == pytest.approx(gps[1], abs=1e-3)
    ref_rot = ref.get(f"{group}:Rotation")
    assert info.rotation_deg == pytest.approx(rotation)
    if ref_rot is not None:
        assert info.rotation_deg == pytest.approx(float(ref_rot))


@requires_exiftool
def test_real_iphone_clip_device_fields(shared_data: Path) -> None:
    from verilens.metadata.exiftool import bridge

    path = shared_data / "media-samples" / "video" / "with-gps.mov"
    ref = _ref(shared_data, "with-gps.mov")
    tags = parse_video_tags(bridge().read_one(path, ["-ee"]))
    assert tags["make"] == ref["QuickTime Metadata:Make"] == "Apple"
    assert tags["model"] == ref["QuickTime Metadata:Model"]
    assert tags["software"] == ref["QuickTime Metadata:Software"]
    assert tags["device_time"]["value"] == "2019-07-24T11:25:40+03:00"  # ref: 2019-07-24T11:25:40+0300
    lat, lon, alt = parse_iso6709(ref["QuickTime Metadata:ISO 6709"])
    assert tags["gps"]["alt"] == pytest.approx(alt)
    assert tags["rotation_deg"] == 90.0  # exiftool: clockwise to display == FFmpeg's -90


def test_generated_clip_has_no_device_metadata(tmp_path: Path) -> None:
    path = make_video(tmp_path / "plain.mp4", [Shot(3, 10)])
    info = read_container(path)
    assert info.tags.get("encoder", "").startswith("Lavf")
