"""Local features and geometric verification (second stage)."""

from __future__ import annotations

import numpy as np

from tests.provenance._fixtures import caption_bar, crop, embed, heavy_text, photo
from verilens.provenance.features import (
    Features,
    describe_transform,
    extract_features,
    mirror_features,
    overlay_mask,
    resize_max,
    to_gray,
    verify,
)


def test_serialisation_round_trip():
    f = extract_features(photo(3), max_side=512, n_keep=256)
    assert 100 <= len(f) <= 256
    g = Features.from_bytes(f.to_bytes())
    assert g.size == f.size and np.array_equal(g.desc, f.desc)
    assert np.allclose(g.xy, f.xy, atol=0.5)  # float16 positions: half a pixel at 512 px


def test_truncated_record_is_refused():
    import pytest

    data = extract_features(photo(3)).to_bytes()
    with pytest.raises(ValueError):
        Features.from_bytes(data[:-5])
    with pytest.raises(ValueError):
        Features.from_bytes(b"garbage")


def test_keypoints_are_spread_so_a_prefix_covers_the_picture():
    f = extract_features(photo(4), max_side=512, n_keep=256).head(64)
    w, h = f.size
    cells = {(int(x * 4 / w), int(y * 4 / h)) for x, y in f.xy}
    assert len(cells) >= 14  # of 16 grid cells


def test_crop_is_verified_and_described():
    rgb = photo(5)
    archived = extract_features(rgb, max_side=512, n_keep=256)
    q = extract_features(crop(rgb, 0.3, 0.2, 0.7), max_side=768, n_keep=400)
    v = verify(q, archived)
    assert v is not None and v.inliers >= 15
    # kept 70% x 70% = 49% of the area: about 51% removed
    assert abs((1 - v.covered) - 0.51) < 0.06
    assert "crop" in v.transform and "embedded" not in v.transform


def test_the_archive_sides_coarser_pyramid_meets_the_query_sides_finer_one():
    from verilens.provenance.archive import FEATURE_PYRAMID, FEATURE_SIDE, QUERY_FEATURE_SIDE

    rgb = photo(5)
    archived = extract_features(rgb, max_side=FEATURE_SIDE, n_keep=256, pyramid=FEATURE_PYRAMID, keypoints=True)
    factor, levels = FEATURE_PYRAMID
    assert {k.octave for k in archived.keypoints} == set(range(levels))  # the pyramid asked for, every level used
    assert np.allclose(sorted({round(k.size / 31, 3) for k in archived.keypoints}),
                       [round(factor ** i, 3) for i in range(levels)], atol=0.002)
    # a deep crop, magnified, and a screenshot, reduced: found through the query side's levels
    for query in (crop(rgb, 0.35, 0.3, 0.6), embed(rgb, 0.5)):
        v = verify(extract_features(query, max_side=QUERY_FEATURE_SIDE, n_keep=400), archived)
        assert v is not None and v.inliers >= 15


def test_caption_bar_and_embedding_are_described():
    rgb = photo(6)
    archived = extract_features(rgb, max_side=512, n_keep=256)
    v = verify(extract_features(caption_bar(rgb), max_side=768, n_keep=400), archived)
    assert v is not None and "border or caption" in v.transform and v.covered > 0.95
    v = verify(extract_features(embed(rgb), max_side=768, n_keep=400), archived)
    assert v is not None and "embedded in larger image" in v.transform
    assert abs(v.occupies - 0.6 * 0.6 / 1.1) < 0.08


def test_unrelated_pictures_do_not_verify():
    a = extract_features(photo(7), max_side=512, n_keep=256)
    for s in range(20, 26):
        assert verify(extract_features(photo(s), max_side=768, n_keep=400), a) is None


def test_mirrored_description_is_what_a_new_detection_on_the_flipped_picture_gives():
    import pytest

    gray, _ = resize_max(to_gray(photo(8)), 384)
    f = extract_features(gray, max_side=384, n_keep=400, keypoints=True)
    m = mirror_features(gray, f)
    assert m.size == f.size and len(m) >= 0.95 * len(f)
    # the same keypoints at mirrored positions, in the same order
    src = [k.class_id for k in m.keypoints]
    assert src == sorted(src)
    assert np.allclose(m.xy[:, 0], f.size[0] - 1 - f.xy[src, 0], atol=0.01) and np.allclose(m.xy[:, 1], f.xy[src, 1])
    # described as on the flipped picture: they match a fresh detection there one for one
    fresh = extract_features(np.ascontiguousarray(gray[:, ::-1]), max_side=384, n_keep=1200, oversample=1)
    v = verify(m, fresh)
    assert v is not None and v.inliers >= 0.8 * len(m) and abs(v.scale - 1) < 0.01 and abs(v.rotation_deg) < 1
    assert verify(f, fresh) is None  # the unflipped descriptors do not (ORB is not mirror-invariant)
    with pytest.raises(ValueError):
        mirror_features(gray[:, :100], f)
    assert len(mirror_features(gray, extract_features(gray, max_side=384))) == 0  # keypoints not kept


def test_describe_transform_words():
    assert describe_transform(1.0, 0.0, 1.0, 1.0, False) == "same framing"
    assert describe_transform(1.0, 90.0, 1.0, 1.0, False) == "rotated 90° counter-clockwise"
    assert describe_transform(1.0, -5.0, 1.0, 1.0, False) == "rotated 5° clockwise"
    assert describe_transform(1.0, 180.0, 1.0, 1.0, False) == "rotated 180°"
    assert "mirrored" in describe_transform(1.0, 0.0, 1.0, 1.0, True)
    assert describe_transform(1.0, 0.0, 0.78, 1.0, False) == "cropped, 78% of the area kept"


def test_overlay_mask_marks_drawn_strokes_not_large_bright_areas():
    rgb = photo(8)
    plain = overlay_mask(rgb, 384)
    assert plain.shape == resize_max(rgb[:, :, 0], 384)[0].shape
    texted = overlay_mask(heavy_text(rgb), 384)
    h, w = texted.shape
    # the text rows (glyphs about h/9 tall from 8%, 38% and 68% of the height) are mostly masked
    rows = np.zeros(h, bool)
    for top in (0.08, 0.38, 0.68):
        rows[int(h * (top + 0.02)):int(h * (top + 0.09))] = True
    assert texted[rows].mean() > 0.6
    assert plain.mean() < 0.25 and texted.mean() > plain.mean() + 0.2
    # a large white patch (sky, a wall) is not a stroke: not masked, even at its edges
    walled = rgb.copy()
    walled[100:300, 150:450] = 255
    m = overlay_mask(walled, 720)  # full size: the patch is 300 x 200 px
    assert m[110:290, 160:440].mean() < 0.02


def test_excluded_pixels_get_no_keypoints():
    import pytest

    rgb = photo(9)
    full = extract_features(rgb, max_side=384, n_keep=400)
    w, h = full.size
    exclude = np.zeros((h, w), bool)
    exclude[:, : w // 2] = True
    left = full.xy[:, 0] < w // 2
    assert left.sum() > 50  # the left half has keypoints of its own
    f = extract_features(rgb, max_side=384, n_keep=400, exclude=exclude)
    assert len(f) > 50 and (f.xy[:, 0] >= w // 2 - 1).all()
    with pytest.raises(ValueError):
        extract_features(rgb, max_side=384, exclude=np.zeros((10, 10), bool))


def test_a_match_on_drawn_strokes_between_differing_pictures_is_an_overlay_only():
    from verilens.provenance.features import Verification, overlay_only

    mask = np.zeros((100, 200), bool)
    mask[80:95, 20:180] = True  # a line of text in a banner
    on = np.array([[30 + 10 * i, 88] for i in range(15)], np.float32)
    off = on - [0, 40]

    def v(spread: float, xy: np.ndarray) -> Verification:
        return Verification(15, 20, 1.0, 0.0, 1.0, 1.0, False, "same framing", spread, xy)

    asked = []

    def agreement(value):  # type: ignore[no-untyped-def]
        return lambda: asked.append(1) or value

    assert overlay_only(v(0.2, on), mask, agreement(0.1))  # different pictures beside the text
    assert not overlay_only(v(0.2, on), mask, agreement(0.9))  # the same picture beside it
    assert overlay_only(v(0.02, on), mask, agreement(None)) and not overlay_only(v(0.2, on), mask, agreement(None))
    n = len(asked)
    assert not overlay_only(v(0.02, off), mask, agreement(0.0)) and len(asked) == n  # not on strokes: not asked


def test_picture_agreement_tells_the_same_picture_from_another():
    import cv2

    from verilens.provenance.features import picture_agreement

    a = cv2.cvtColor(photo(3, 320, 240), cv2.COLOR_RGB2GRAY)
    b = cv2.cvtColor(photo(4, 320, 240), cv2.COLOR_RGB2GRAY)
    thumb = cv2.resize(a, (128, 96), interpolation=cv2.INTER_AREA)
    m = np.array([[1.2, 0.0, -10.0], [0.0, 1.2, -5.0]])  # the query is the archived picture enlarged 1.2x
    query = cv2.warpAffine(a, m, (384, 288))
    brighter = np.clip(query.astype(np.int32) * 0.7 + 60, 0, 255).astype(np.uint8)
    same, lit = picture_agreement(query, thumb, (320, 240), m), picture_agreement(brighter, thumb, (320, 240), m)
    other = picture_agreement(cv2.warpAffine(b, m, (384, 288)), thumb, (320, 240), m)
    assert same is not None and same > 0.97 and lit is not None and lit > 0.9  # pixel centres mapped exactly
    assert other is not None and other < 0.35
    assert picture_agreement(np.full((288, 384), 128, np.uint8), thumb, (320, 240), m) is None  # flat: says nothing
