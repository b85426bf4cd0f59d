"""Video: container metadata, shot-based keyframes, clip-level provenance.

Public names::

    from verilens.video import extract_keyframes, read_container, parse_video_tags
    res = extract_keyframes("clip.mp4")          # one streaming decode, bounded
    for kf in res.keyframes:
        kf.index, kf.time_s, kf.rgb               # upright RGB, PDQ-hashed, near-duplicates collapsed
"""

from .clips import ClipMatch, group_matches
from .keyframes import Keyframe, KeyframeResult, extract_keyframes, write_keyframe
from .probe import ContainerInfo, StreamInfo, parse_video_tags, read_container
from .shots import DetectorParams

__all__ = ["ClipMatch", "ContainerInfo", "DetectorParams", "Keyframe", "KeyframeResult", "StreamInfo",
           "extract_keyframes", "group_matches", "parse_video_tags", "read_container", "write_keyframe"]
