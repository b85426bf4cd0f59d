import cv2
import numpy as np
import pytest

from tests.media import natural_image
from verilens.place.reference_match import MatchParams, draw_matches, extract, match_images


def _textured(seed, w=900, h=700):
    rng = np.random.default_rng(seed)
    img = natural_image(w, h, seed=seed).copy()
    for _ in range(150):  # corners and blobs give SIFT something to hold
        x, y = int(rng.integers(0, w - 40)), int(rng.integers(0, h - 40))
        c = tuple(int(v) for v in rng.integers(0, 255, 3))
        if rng.random() < 0.5:
            cv2.rectangle(img, (x, y), (x + int(rng.integers(5, 40)), y + int(rng.integers(5, 40))), c, -1)
        else:
            cv2.circle(img, (x, y), int(rng.integers(3, 20)), c, -1)
    return img


def test_warped_copy_is_found_with_its_homography():
    a = _textured(1)
    h_true = np.array([[0.92, 0.06, 25.0], [-0.04, 0.95, 18.0], [2e-5, 1e-5, 1.0]])
    b = cv2.warpPerspective(a, h_true, (a.shape[1], a.shape[0]))
    r = match_images(a, b)
    assert r.state == "found" and r.model == "homography"
    assert r.inliers >= 50 and r.inlier_ratio > 0.5
    h = np.array(r.homography)
    pt = np.array([400.0, 300.0, 1.0])
    got, want = h @ pt, h_true @ pt
    assert np.allclose(got[:2] / got[2], want[:2] / want[2], atol=2.0)


def test_crop_brightness_and_recompression_found():
    a = _textured(2)
    crop = a[100:600, 150:800]
    ok, enc = cv2.imencode(".jpg", np.clip(crop.astype(float) * 1.3 + 15, 0, 255).astype(np.uint8),
                           [cv2.IMWRITE_JPEG_QUALITY, 60])
    b = cv2.imdecode(enc, cv2.IMREAD_COLOR)
    assert match_images(a, b).state == "found"


def test_unrelated_pictures_not_found():
    r = match_images(_textured(3), _textured(4))
    assert r.state == "not_found"
    assert r.inliers < 10


def test_blank_reference_inconclusive():
    r = match_images(_textured(5), np.full((500, 500, 3), 127, np.uint8))
    assert r.state == "inconclusive" and "keypoints" in r.reason


def test_precomputed_features_and_big_input_are_shrunk():
    a = _textured(6, 1600, 1200)
    params = MatchParams(max_side=800)
    fa = extract(a, params)
    assert fa.scale == pytest.approx(0.5)
    r = match_images(a, a[::-1, :].copy(), params, query_features=fa)  # mirror: not a homography of a plane
    assert r.state in ("not_found", "inconclusive")


def test_side_by_side_picture():
    a = _textured(7)
    b = cv2.resize(a, (450, 350))
    r = match_images(a, b)
    pic = draw_matches(a, b, r, height=300)
    assert pic.shape[0] == 300 and pic.shape[1] == 300 * 900 // 700 + 8 + 300 * 450 // 350 + 1 or pic.shape[0] == 300
    assert pic.dtype == np.uint8 and pic.shape[2] == 3
    # the inlier lines are drawn in green
    assert ((pic[..., 1] > 200) & (pic[..., 0] < 80) & (pic[..., 2] < 90)).sum() > 50


def test_real_photo_pair(shared_data):
    from PIL import Image

    src = shared_data / "media-samples" / "jpg" / "Canon EOS 350D.jpg"
    a = np.asarray(Image.open(src).convert("RGB"))
    h, w = a.shape[:2]
    b = a[h // 6: h * 5 // 6, w // 5: w * 4 // 5]
    assert match_images(a, b).state == "found"
    other = np.asarray(Image.open(shared_data / "media-samples" / "jpg" / "Nikon E950.jpg").convert("RGB"))
    assert match_images(a, other).state == "not_found"
