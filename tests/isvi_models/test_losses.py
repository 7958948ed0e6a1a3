"""Known-value tests of the training losses (isvi_models.losses)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from isvi_models import losses as L


def _hole(h=16, w=16, y0=4, y1=10, x0=5, x1=12):
    m = torch.zeros(1, 1, h, w)
    m[..., y0:y1, x0:x1] = 1
    return m


def _texture(h=24, w=24, seed=0):
    g = torch.Generator().manual_seed(seed)
    img = torch.rand(1, 3, h, w, generator=g)
    return torch.nn.functional.avg_pool2d(img, 3, 1, 1)  # smooth enough for bilinear warps


def test_masked_l1_is_zero_for_perfect_and_the_error_for_a_constant_offset():
    gt = torch.randn(2, 2, 16, 16)
    m = _hole().expand(2, 1, 16, 16)
    assert float(L.masked_l1(gt, gt, m)) == 0.0
    pred = gt + 0.7 * m  # error 0.7 inside the hole only
    hole, valid = L.hole_valid_l1(pred, gt, m)
    assert float(hole) == pytest.approx(0.7, rel=1e-6)
    assert float(valid) == pytest.approx(0.0, abs=1e-7)
    # normalised by area: a bigger hole with the same per-pixel error gives the same loss
    m2 = _hole(y0=0, y1=16, x0=0, x1=16).expand(2, 1, 16, 16)
    assert float(L.masked_l1(gt - 0.7, gt, m2)) == pytest.approx(0.7, rel=1e-6)
    assert float(L.masked_l1(gt, gt + 1, torch.zeros_like(m))) == 0.0  # empty mask: 0, not NaN


def test_smoothness_zero_for_constant_and_known_for_a_ramp():
    const = torch.full((1, 2, 12, 12), 3.0)
    s1, s2 = L.smoothness_loss(const)
    assert float(s1) == 0.0 and float(s2) == 0.0
    xs = torch.arange(12, dtype=torch.float32).view(1, 1, 1, 12).expand(1, 2, 12, 12)
    s1, s2 = L.smoothness_loss(0.5 * xs)
    assert float(s1) == pytest.approx(0.25, rel=1e-6)  # |dx| = 0.5, |dy| = 0, averaged
    assert float(s2) == pytest.approx(0.0, abs=1e-6)  # linear: no curvature
    quad = (xs**2) / 2  # second difference along x is 1, along y 0, diagonals 1 and 1
    _, s2 = L.smoothness_loss(quad)
    assert float(s2) == pytest.approx(0.75, rel=1e-5)


def test_backward_warp_integer_shift_is_exact():
    img = _texture()
    shifted = torch.roll(img, shifts=(0, -2), dims=(2, 3))  # frame t+1: content moved 2 px left
    flow = torch.zeros(1, 2, 24, 24)
    flow[:, 0] = -2.0
    back = L.backward_warp(shifted, flow)
    assert torch.allclose(back[..., 2:], img[..., 2:], atol=1e-5)
    assert torch.allclose(L.backward_warp(img, torch.zeros_like(flow)), img, atol=1e-6)


def test_census_loss_zero_for_true_flow_positive_for_wrong_flow():
    img = _texture(seed=1)
    nxt = torch.roll(img, shifts=(1, 3), dims=(2, 3))  # moves +3 in x, +1 in y
    flow = torch.zeros(1, 2, 24, 24)
    flow[:, 0], flow[:, 1] = 3.0, 1.0
    hole = _hole(24, 24, 6, 18, 6, 18)
    right = L.census_loss(img, nxt, flow, hole, gt_flow=flow)
    wrong = L.census_loss(img, nxt, torch.zeros_like(flow), hole, gt_flow=flow)
    assert float(right) == pytest.approx(0.0, abs=1e-6)
    assert float(wrong) > 1.0  # most of the 9 census channels disagree on random texture
    # the distance is bounded by 9 per pixel
    assert float(wrong) <= 9.0


def test_hinge_losses_known_values():
    real = torch.full((2, 1, 3, 3), 1.5)
    fake = torch.full((2, 1, 3, 3), -2.0)
    assert float(L.hinge_d_loss(real, fake)) == 0.0  # beyond the margins
    zeros = torch.zeros(2, 1, 3, 3)
    assert float(L.hinge_d_loss(zeros, zeros)) == pytest.approx(2.0)
    assert float(L.hinge_d_loss(-real, -fake)) == pytest.approx(2.5 + 3.0)  # both on the wrong side
    assert float(L.hinge_g_loss(fake)) == pytest.approx(2.0)  # generator wants D(fake) high


def test_igfc_loss_zero_for_perfect_prediction_and_grows_with_error():
    # a shift of 4 px is a whole pixel at every scale (full, 1/2, 1/4), so warps are exact there;
    # the hole keeps the census windows (3x3) away from the band the shift leaves empty
    gt = torch.zeros(1, 2, 48, 48)
    gt[:, 0], gt[:, 1] = 4.0, -4.0
    img = _texture(48, 48, seed=2)
    nxt = torch.roll(img, shifts=(-4, 4), dims=(2, 3))
    hole = _hole(48, 48, 12, 36, 12, 36)
    crit = L.IGFCLoss()
    perfect = (gt, L.downsample_flow(gt, 4), L.downsample_flow(gt, 2))
    total, parts = crit(perfect, gt, hole, img, nxt)
    assert float(total) == pytest.approx(0.0, abs=1e-5)
    off = 0.5
    bad = (gt + off * hole, L.downsample_flow(gt, 4), L.downsample_flow(gt, 2))
    total_bad, parts_bad = crit(bad, gt, hole, img, nxt)
    assert parts_bad["hole"] == pytest.approx(off, rel=1e-5)
    assert parts_bad["valid"] == pytest.approx(0.0, abs=1e-6)
    assert parts_bad["ternary"] > 0
    assert float(total_bad) > off


def test_asfn_loss_known_values():
    tgt = torch.randn(2, 3, 16, 16) * 0.1
    m = _hole().expand(2, 1, 16, 16)
    crit = L.ASFNLoss(adv=0.0)
    total, parts = crit(tgt.clone(), tgt, m)
    assert float(total) == 0.0
    total, parts = crit(tgt - 0.2, tgt, m)  # error 0.2 everywhere: hole 0.2 + valid 0.2
    assert float(total) == pytest.approx(0.4, rel=1e-5)
    total_adv, parts = L.ASFNLoss(adv=0.5)(tgt, tgt, m, fake_logits=torch.full((2, 1, 1, 1), -1.0))
    assert float(total_adv) == pytest.approx(0.5)


def test_downsampling_keeps_flow_units():
    flow = torch.full((1, 2, 8, 8), 4.0)
    assert torch.allclose(L.downsample_flow(flow, 4), torch.full((1, 2, 2, 2), 1.0))
    m = torch.zeros(1, 1, 8, 8)
    m[..., 5, 6] = 1
    assert np.array_equal(L.downsample_mask(m, 4)[0, 0].numpy(), np.array([[0, 0], [0, 1.0]]))
