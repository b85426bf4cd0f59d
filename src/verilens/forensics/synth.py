"""Forgeries with exact ground-truth masks, for evaluation and tests (pure array functions).

The evaluation in ``benchmarks/forensics_eval.py`` builds its test set with these from
real camera photos; the tests use them on synthetic pictures.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Forgery:
    """A forged picture and where it was changed.

    Attributes
    ----------
    rgb : ndarray uint8 (H, W, 3)
    mask : ndarray bool (H, W)
        True on changed pixels (copy-move: source and destination; splice: destination).
    kind : str
    params : dict
    """

    rgb: np.ndarray
    mask: np.ndarray
    kind: str
    params: dict


def _blob(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """An irregular, smooth-edged region shape (bool, h x w)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cy, cx = (h - 1) / 2, (w - 1) / 2
    ang = np.arctan2(yy - cy, xx - cx)
    rad = np.hypot((yy - cy) / (h / 2), (xx - cx) / (w / 2))
    k = rng.uniform(0.05, 0.15, 3)
    ph = rng.uniform(0, 2 * np.pi, 3)
    edge = 0.85 + k[0] * np.sin(2 * ang + ph[0]) + k[1] * np.sin(3 * ang + ph[1]) + k[2] * np.sin(5 * ang + ph[2])
    return rad < np.clip(edge, 0.5, 1.0)


def copy_move(rgb: np.ndarray, rng: np.random.Generator, size_frac: float = 0.12, rotation: float = 0.0,
              scale: float = 1.0, mirror: bool = False) -> Forgery:
    """Copy an irregular region to another place with a similarity transform (and mirroring).

    Parameters
    ----------
    rgb : ndarray uint8 (H, W, 3)
    rng : numpy Generator
    size_frac : float
        Region side as a share of the shorter picture side.
    rotation : float
        Degrees, counter-clockwise.
    scale : float
    mirror : bool
        Flip the region left-right before pasting.

    Returns
    -------
    Forgery
        The mask covers the source region and the pasted destination.
    """
    H, W = rgb.shape[:2]
    side = max(16, int(min(H, W) * size_frac))
    shape = _blob(side, side, rng)
    # forgers copy objects, not empty sky: the source is the most textured of a few
    # random candidates (gradient energy of the luma)
    gray = rgb.astype(np.float32).mean(axis=2)
    gy, gx = np.gradient(gray)
    energy = gx * gx + gy * gy
    cands = [(int(rng.integers(0, H - side)), int(rng.integers(0, W - side))) for _ in range(12)]
    sy, sx = max(cands, key=lambda c: float(energy[c[0]:c[0] + side, c[1]:c[1] + side].mean()))
    for _ in range(200):
        out_side = int(np.ceil(side * scale * 1.5)) + 4
        dy, dx = int(rng.integers(0, max(1, H - out_side))), int(rng.integers(0, max(1, W - out_side)))
        if abs(dy - sy) > out_side or abs(dx - sx) > out_side:
            break
    # map: source patch coordinates -> destination: translate to the patch centre, mirror,
    # rotate and scale about it, then move to the destination centre
    c = (side - 1) / 2.0
    A = cv2.getRotationMatrix2D((c, c), rotation, scale)
    A = np.vstack([A, [0, 0, 1]])
    F = np.array([[-1, 0, 2 * c], [0, 1, 0], [0, 0, 1]], dtype=np.float64) if mirror else np.eye(3)
    oc = (out_side - 1) / 2.0
    T = np.array([[1, 0, oc - c], [0, 1, oc - c], [0, 0, 1]], dtype=np.float64)
    M = (T @ A @ F)[:2]
    patch = rgb[sy:sy + side, sx:sx + side]
    warped = cv2.warpAffine(patch, M, (out_side, out_side), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
    wmask = cv2.warpAffine(shape.astype(np.uint8), M, (out_side, out_side), flags=cv2.INTER_NEAREST) > 0
    out = rgb.copy()
    region = out[dy:dy + out_side, dx:dx + out_side]
    region[wmask] = warped[wmask]
    mask = np.zeros((H, W), dtype=bool)
    mask[sy:sy + side, sx:sx + side] |= shape
    mask[dy:dy + out_side, dx:dx + out_side] |= wmask
    return Forgery(out, mask, "copy_move", {"rotation": rotation, "scale": scale, "mirror": mirror,
                                             "size_frac": size_frac, "src": [sx, sy], "dst": [dx, dy]})


def splice(rgb: np.ndarray, donor: np.ndarray, rng: np.random.Generator, size_frac: float = 0.25) -> Forgery:
    """Paste an irregular region of another picture (``donor``) at a random place.

    Returns
    -------
    Forgery
        The mask covers the pasted region.
    """
    H, W = rgb.shape[:2]
    side = max(16, int(min(H, W) * size_frac))
    if donor.shape[0] < side or donor.shape[1] < side:
        f = side / min(donor.shape[:2]) + 0.01
        donor = cv2.resize(donor, (int(donor.shape[1] * f) + 1, int(donor.shape[0] * f) + 1),
                           interpolation=cv2.INTER_CUBIC)
    shape = _blob(side, side, rng)
    sy, sx = int(rng.integers(0, donor.shape[0] - side + 1)), int(rng.integers(0, donor.shape[1] - side + 1))
    dy, dx = int(rng.integers(0, H - side + 1)), int(rng.integers(0, W - side + 1))
    out = rgb.copy()
    out[dy:dy + side, dx:dx + side][shape] = donor[sy:sy + side, sx:sx + side][shape]
    mask = np.zeros((H, W), dtype=bool)
    mask[dy:dy + side, dx:dx + side] = shape
    return Forgery(out, mask, "splice", {"size_frac": size_frac, "dst": [dx, dy]})


def pixel_f1(pred: np.ndarray, truth: np.ndarray) -> float:
    """Pixel-level F1 of a predicted mask against the ground truth (1.0 when both empty)."""
    p, t = np.asarray(pred) > 0, np.asarray(truth) > 0
    tp = float((p & t).sum())
    fp = float((p & ~t).sum())
    fn = float((~p & t).sum())
    if tp + fp + fn == 0:
        return 1.0
    return 2 * tp / max(2 * tp + fp + fn, 1e-9)


def random_region(h: int, w: int, rng: np.random.Generator, area_frac: float, shape: str | None = None,
                  margin: int = 2) -> np.ndarray:
    """A random region (bool, h x w) of about ``area_frac`` of the picture, placed anywhere.

    No texture requirement: the place is uniform over the picture, as in public copy-move
    sets whose forgers also clone sky, walls and road.

    Parameters
    ----------
    h, w : int
        Picture size (pixels).
    rng : numpy Generator
    area_frac : float
        Share of the picture the region covers (0..1).
    shape : {"polygon", "ellipse", "rectangle", "blob"}, optional
        Drawn at random when omitted.
    margin : int
        Distance kept from the border (pixels).

    Returns
    -------
    ndarray of bool (h, w)
    """
    shape = shape or str(rng.choice(["polygon", "ellipse", "rectangle", "blob"]))
    unit = np.zeros((256, 256), np.uint8)
    c, r0 = 128.0, 100.0
    if shape == "polygon":
        n = int(rng.integers(4, 11))
        ang = np.sort(rng.uniform(0, 2 * np.pi, n))
        rad = r0 * rng.uniform(0.45, 1.0, n)
        poly = np.stack([c + rad * np.cos(ang), c + rad * np.sin(ang)], 1)
        cv2.fillPoly(unit, [np.round(poly).astype(np.int32)], 1)
    elif shape == "ellipse":
        cv2.ellipse(unit, (128, 128), (100, int(100 * rng.uniform(0.35, 1.0))), float(rng.uniform(0, 180)),
                    0, 360, 1, -1)
    elif shape == "rectangle":
        a = float(rng.uniform(0.4, 1.0))
        box = cv2.boxPoints(((c, c), (2 * r0 * 0.7, 2 * r0 * 0.7 * a), float(rng.choice([0.0, rng.uniform(0, 90)]))))
        cv2.fillPoly(unit, [np.round(box).astype(np.int32)], 1)
    else:
        unit[28:228, 28:228] = _blob(200, 200, rng)
    area0 = float(unit.sum())
    side = max(4.0, 256 * np.sqrt(area_frac * h * w / max(area0, 1.0)))
    k = min(1.0, (min(h, w) - 2 * margin - 1) / side)
    side = max(4, int(round(side * k)))
    local = cv2.resize(unit, (side, side), interpolation=cv2.INTER_NEAREST).astype(bool)
    ys, xs = np.nonzero(local)
    local = local[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    lh, lw = local.shape
    y0 = int(rng.integers(margin, max(margin + 1, h - lh - margin)))
    x0 = int(rng.integers(margin, max(margin + 1, w - lw - margin)))
    out = np.zeros((h, w), dtype=bool)
    out[y0:y0 + lh, x0:x0 + lw] = local[: h - y0, : w - x0]
    return out


def clone_region(rgb: np.ndarray, region: np.ndarray, rng: np.random.Generator, rotation: float = 0.0,
                 scale: float = 1.0, mirror: bool = False, gap: int = 4, tries: int = 300) -> Forgery | None:
    """Paste a copy of ``region`` elsewhere in the same picture under a similarity map.

    The map mirrors (optionally), rotates and scales about the region's centre and moves it
    to a random place (a whole-pixel shift) where the copy lies wholly inside the picture
    and at least ``gap`` pixels from the source. Pixels are resampled bicubically, so a
    translated or flipped copy is pixel-exact.

    Parameters
    ----------
    rgb : ndarray uint8 (H, W, 3)
    region : ndarray bool (H, W)
        Source pixels.
    rng : numpy Generator
    rotation : float
        Degrees, counter-clockwise.
    scale : float
    mirror : bool
    gap : int
        Minimum distance between source and destination (pixels).
    tries : int
        Placements tried before giving up.

    Returns
    -------
    Forgery or None
        The mask is exact: the source region and the pasted destination. None when no
        placement fits.
    """
    H, W = region.shape
    ys, xs = np.nonzero(region)
    c = np.array([xs.mean(), ys.mean()])
    A = cv2.getRotationMatrix2D((0.0, 0.0), rotation, scale)[:, :2]
    if mirror:
        A = A @ np.diag([-1.0, 1.0])
    # bounding box of the mapped region around its centre
    pts = np.stack([xs - c[0], ys - c[1]], 1) @ A.T
    lo, hi = pts.min(0), pts.max(0)
    near = cv2.dilate(region.astype(np.uint8), np.ones((2 * gap + 1, 2 * gap + 1), np.uint8)) > 0
    for _ in range(tries):
        d = np.array([rng.uniform(-lo[0] + 1, W - 2 - hi[0]), rng.uniform(-lo[1] + 1, H - 2 - hi[1])])
        if not np.all(np.isfinite(d)) or -lo[0] + 1 > W - 2 - hi[0] or -lo[1] + 1 > H - 2 - hi[1]:
            return None
        # whole-pixel shift: a translated or flipped copy is then pixel-exact, as in the public sets
        M = np.hstack([A, np.round(d - A @ c)[:, None]])
        dst = cv2.warpAffine(region.astype(np.uint8), M, (W, H), flags=cv2.INTER_NEAREST) > 0
        if (dst & near).any() or not dst.any():
            continue
        warped = cv2.warpAffine(rgb, M, (W, H), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
        out = rgb.copy()
        out[dst] = warped[dst]
        return Forgery(out, region | dst, "copy_move",
                       {"rotation": rotation, "scale": scale, "mirror": mirror,
                        "area_frac": round(float(region.mean()), 5), "matrix": np.round(M, 4).tolist()})
    return None
