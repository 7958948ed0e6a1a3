"""Metrics on cases whose values are known in closed form."""

from __future__ import annotations

import math

import numpy as np
import pytest
from skimage.metrics import structural_similarity

from tasks.evaluation import metrics as M

from .helpers import box_holes, panning_clip, texture


def test_identical_frames_score_perfect():
    gt = panning_clip(4, 72, 96)
    holes = box_holes(4, 72, 96, 20, 40, 30, 60)
    summary, per = M.score_clip(gt.copy(), gt, holes)
    assert summary["psnr"] == math.inf and summary["psnr_hole"] == math.inf
    assert summary["ssim"] == pytest.approx(1.0) and summary["ssim_hole"] == pytest.approx(1.0)
    assert summary["ssim_w65"] == pytest.approx(1.0)
    assert summary["flicker"] == 0.0
    assert summary["warp_error"] == pytest.approx(summary["warp_error_gt"])
    assert summary["outside_unchanged"] and summary["outside_max_abs"] == 0
    assert math.isnan(per["flicker"][0]) and len(per["psnr"]) == 4


def test_known_constant_error_in_hole():
    h, w = 60, 80
    gt = np.stack([texture(h, w, 1)] * 3)
    holes = box_holes(3, h, w, 10, 30, 20, 60)  # 20 x 40 = 800 of 4800 pixels
    res = gt.copy()
    res[holes] += 5  # texture <= 235, no overflow
    assert M.masked_psnr(res[0], gt[0], holes[0]) == pytest.approx(20 * math.log10(255 / 5))
    frac = holes[0].mean()
    assert M.psnr(res[0], gt[0]) == pytest.approx(10 * math.log10(255**2 / (25 * frac)))
    summary, _ = M.score_clip(res, gt, holes)
    assert summary["flicker"] == pytest.approx(0.0)  # a constant error does not flicker
    assert summary["warp_error"] == pytest.approx(summary["warp_error_gt"], abs=1e-3)
    assert summary["outside_max_abs"] == 0


def test_hole_with_known_shift():
    """Horizontal ramp 2x: content displaced by 3 px is off by exactly 6 grey levels."""
    h, w = 40, 100
    ramp = np.broadcast_to((2 * np.arange(w)).astype(np.uint8)[None, :, None], (h, w, 3)).copy()
    hole = np.zeros((h, w), bool)
    hole[10:30, 40:70] = True
    shifted = np.roll(ramp, 3, axis=1)  # shifted(x) = ramp(x - 3) = 2x - 6
    res = np.where(hole[..., None], shifted, ramp)
    assert M.masked_psnr(res, ramp, hole) == pytest.approx(20 * math.log10(255 / 6))


def test_alternating_error_flickers_and_warps_by_twice_its_size():
    """Static textured scene; the hole is off by +d, -d, +d, ...: flicker = warping error = 2d."""
    h, w, d = 64, 80, 4
    gt = np.stack([texture(h, w, 2)] * 5)
    holes = box_holes(5, h, w, 20, 44, 20, 60)
    res = gt.astype(np.int16)
    for t in range(5):
        res[t][holes[t]] += d if t % 2 == 0 else -d
    res = res.astype(np.uint8)
    summary, per = M.score_clip(res, gt, holes)
    assert summary["flicker"] == pytest.approx(2 * d)
    assert summary["warp_error"] == pytest.approx(2 * d, abs=0.05)
    assert summary["warp_error_gt"] == pytest.approx(0.0, abs=0.05)
    assert summary["psnr_hole"] == pytest.approx(20 * math.log10(255 / d))


def test_warping_error_follows_motion_of_the_ground_truth():
    """Texture panning 2 px/frame: a correct fill has the GT's (near-zero) warping error, a fill
    frozen in time (content stays put while the scene moves) has a large one."""
    t, h, w = 5, 96, 128
    gt = panning_clip(t, h, w, dx=2, seed=3)
    holes = box_holes(t, h, w, 30, 66, 40, 88)
    good, _ = M.score_clip(gt.copy(), gt, holes)
    frozen = gt.copy()
    for i in range(1, t):
        frozen[i][holes[i]] = gt[0][holes[0]]
    bad, _ = M.score_clip(frozen, gt, holes)
    assert good["warp_error"] < 1.5 and good["warp_error_gt"] < 1.5
    assert bad["warp_error"] > 5 * max(good["warp_error"], 1.0)
    # flicker sees it too: the result does not change where the ground truth does
    assert bad["flicker"] > 5


def test_gt_flow_of_a_pure_translation():
    gt = panning_clip(2, 96, 128, dx=3, seed=4)
    bw, valid = M.gt_flow_pair(gt[0], gt[1])
    inner = (slice(16, -16), slice(16, -16))
    assert np.median(bw[inner][..., 0]) == pytest.approx(-3.0, abs=0.1)
    assert np.median(bw[inner][..., 1]) == pytest.approx(0.0, abs=0.1)
    assert valid[inner].mean() > 0.9


def test_ssim_mean_is_scikit_images_and_map_masks():
    a = texture(80, 90, 5)
    b = np.clip(a.astype(int) + np.random.default_rng(0).integers(-20, 21, a.shape), 0, 255).astype(np.uint8)
    direct = structural_similarity(a, b, data_range=255, channel_axis=-1)
    assert M.ssim(b, a) == pytest.approx(direct)
    assert M.ssim(b, a, 65) == pytest.approx(structural_similarity(a, b, data_range=255, channel_axis=-1, win_size=65))
    hole = np.zeros(a.shape[:2], bool)
    hole[20:50, 20:60] = True
    c = a.copy()
    c[hole] = b[hole]  # only the hole degraded
    assert M.masked_ssim(c, a, ~hole & _eroded_complement(hole)) == pytest.approx(1.0)
    assert M.masked_ssim(c, a, hole) < 0.95


def _eroded_complement(hole: np.ndarray, r: int = 4) -> np.ndarray:
    """Pixels farther than r from the hole (so their 7x7 windows do not touch it)."""
    from media.masks import dilate_holes

    return ~dilate_holes(hole[None], r)[0]


def test_small_frames_and_empty_holes_give_nan_not_errors():
    a = texture(40, 50, 6)
    assert math.isnan(M.ssim(a, a, 65))  # frame smaller than the window
    empty = np.zeros(a.shape[:2], bool)
    assert math.isnan(M.masked_psnr(a, a, empty)) and math.isnan(M.masked_ssim(a, a, empty))
    summary, _ = M.score_clip(np.stack([a, a]), np.stack([a, a]), np.stack([empty, empty]))
    assert math.isnan(summary["psnr_hole"]) and math.isnan(summary["warp_error"])


def test_outside_check_counts_changed_pixels_and_respects_allowed_band():
    gt = np.stack([texture(30, 40, 7)] * 2)
    holes = box_holes(2, 30, 40, 10, 20, 10, 20)
    res = gt.copy()
    res[1, 0, 0, 2] = res[1, 0, 0, 2] + 7 if res[1, 0, 0, 2] < 200 else res[1, 0, 0, 2] - 7  # one pixel outside
    res[0, 20, 15] = 0  # just below the hole: inside a 1-px band
    chk = M.unchanged_outside(res, gt, holes)
    assert not chk.ok and chk.changed == 2
    n_out = 2 * 30 * 40 - holes.sum()
    assert chk.changed_fraction == pytest.approx(2 / n_out)
    from media.masks import dilate_holes

    band = M.unchanged_outside(res, gt, dilate_holes(holes, 1))
    assert band.max_abs == 7 and band.changed == 1
    assert M.unchanged_outside(res, gt, dilate_holes(holes, 1), tol=7).ok


def test_scorer_in_chunks_equals_whole_clip():
    gt = panning_clip(6, 48, 64, dx=1, seed=8)
    holes = box_holes(6, 48, 64, 10, 30, 10, 40)
    res = gt.copy()
    res[holes] = 128
    whole, per_whole = M.score_clip(res, gt, holes)
    sc = M.ClipScorer()
    for s in range(0, 6, 4):
        sc.update(res[s:s + 4], gt[s:s + 4], holes[s:s + 4])
    assert sc.per_frame["flicker"] == per_whole["flicker"]
    assert sc.summary()["warp_error"] == pytest.approx(whole["warp_error"])


def test_clip_mean_caps_identical_frames_at_100_db():
    assert M.nanmean([math.inf, 30.0, math.nan]) == pytest.approx(65.0)
    assert M.nanmean([math.inf, math.inf]) == math.inf
    assert math.isnan(M.nanmean([math.nan]))
