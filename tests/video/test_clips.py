"""Grouping per-keyframe archive matches into clip statements."""

from __future__ import annotations

from verilens.video.clips import earliest, group_matches, when


def _m(id_: int, t: float | None, sim: float = 0.95, first_seen: str | None = "2023-03-01T10:00:00+00:00") -> dict:
    return {"id": id_, "path": f"/archive/{id_}.mp4", "source_url": None, "first_seen": first_seen,
            "distance": 4, "similarity": sim, "transform": None, "frame_time_s": t}


def test_offset_is_the_median_and_ignores_an_outlier() -> None:
    # query keyframes at 0, 2, 4, 6 s; archived video matched 30 s later, one wrong pairing
    per = [(0.0, [_m(7, 30.0)]), (2.0, [_m(7, 32.04)]), (4.0, [_m(7, 33.96)]), (6.0, [_m(7, 120.0)])]
    (clip,) = group_matches(per)
    assert abs(clip.offset_s - 30.0) < 0.05
    assert clip.consistent == 3
    assert clip.query_span == (0.0, 4.0)
    assert clip.archived_span == (30.0, 33.96)
    text = clip.statement()
    assert "t = 0.0–4.0 s" in text and "t = 30.0–34.0 s" in text and "first seen 2023-03-01" in text


def test_groups_by_item_most_consistent_first() -> None:
    per = [(0.0, [_m(1, 10.0), _m(2, 50.0)]), (2.0, [_m(1, 12.0)]), (4.0, [_m(1, 14.0)])]
    clips = group_matches(per)
    assert [c.item["id"] for c in clips] == [1, 2]
    assert clips[0].consistent == 3 and clips[1].consistent == 1


def test_still_image_match_has_no_offset() -> None:
    (clip,) = group_matches([(3.0, [_m(5, None)]), (5.0, [_m(5, None)])])
    assert clip.offset_s is None and clip.archived_span is None
    assert "archived picture" in clip.statement()


def test_one_pair_per_keyframe_and_item() -> None:
    (clip,) = group_matches([(0.0, [_m(1, 10.0, 0.9), _m(1, 99.0, 0.5)])])
    assert len(clip.pairs) == 1 and clip.pairs[0][1] == 10.0


def test_earliest_compares_times_not_strings() -> None:
    a = group_matches([(0.0, [_m(1, 1.0, first_seen="2023-03-01T10:00:00+05:00")])])
    b = group_matches([(0.0, [_m(2, 1.0, first_seen="2023-03-01T06:00:00+00:00")])])
    # 10:00+05:00 is 05:00 UTC, earlier than 06:00 UTC although it sorts later as text
    assert earliest(a + b)["id"] == 1
    assert when("not a time") == float("inf")
    assert earliest([]) is None
