"""Noise flow on rigid scenes: incoherent flow off the global motion takes the global motion;
coherent independent motion, non-rigid scenes and single pairs are left alone."""

import cv2
import numpy as np

from isvi_models.ops.rigid_flow import clean_noise_flow, rigid_motion, texture

T, H, W = 5, 64, 96
PAN = np.array([0.6, -0.3], np.float32)  # the camera's motion per frame (x, y)


def _frames():
    """Textured left two thirds (a building), flat right third (a night sky)."""
    rng = np.random.default_rng(1)
    tex = cv2.GaussianBlur(rng.random((H, W, 3)).astype(np.float32), (0, 0), 1.0)
    frames = np.repeat(tex[None], T, axis=0)
    frames[:, :, 64:] = 0.2
    return frames


def _flows(noise_px=3.0):
    """The pan everywhere, with independent noise in the flat sky of every pair, both ways."""
    rng = np.random.default_rng(2)
    fwd = np.broadcast_to(PAN, (T - 1, H, W, 2)).copy()
    bwd = -fwd
    fwd[:, :, 64:] += rng.uniform(-noise_px, noise_px, (T - 1, H, 32, 2))
    bwd[:, :, 64:] += rng.uniform(-noise_px, noise_px, (T - 1, H, 32, 2))
    return fwd, bwd


def test_texture_separates_a_textured_area_from_a_flat_one():
    t = texture(_frames()[0])
    assert np.median(t[:, 8:56]) > 8 > 1 > np.median(t[:, 72:])


def test_rigid_motion_recovers_a_pan_and_refuses_two_motions():
    fwd, _ = _flows()
    usable = np.zeros((H, W), bool)
    usable[:, :64] = True
    model = rigid_motion(fwd[0], usable)
    assert model is not None
    np.testing.assert_allclose(model, np.broadcast_to(PAN, (H, W, 2)), atol=1e-3)
    split = fwd[0].copy()
    split[:, 32:64] = -2.0  # half the textured area moves another way: not one rigid scene
    assert rigid_motion(split, usable) is None


def test_incoherent_noise_in_the_sky_takes_the_pan():
    frames, holes = _frames(), np.zeros((T, H, W), bool)
    fwd, bwd = _flows()
    out_f, out_b, share = clean_noise_flow(frames, holes, fwd, bwd)
    for flows, out, motion in ((fwd, out_f, PAN), (bwd, out_b, -PAN)):
        off = np.hypot(*np.moveaxis(flows - motion, -1, 0)) > 1.0  # noise more than 1 px off the pan
        taken = (out != flows).any(-1)
        assert taken[off].mean() > 0.6  # kept only where it happens to agree with a neighbour
        assert not taken[~off].any()
        np.testing.assert_allclose(out[taken], np.broadcast_to(motion, (int(taken.sum()), 2)), atol=1e-3)
        np.testing.assert_array_equal(out[:, :, :64], flows[:, :, :64])  # the building's flow is untouched
    assert share > 0.1


def test_a_coherent_independent_motion_keeps_its_flow():
    frames, holes = _frames(), np.zeros((T, H, W), bool)
    fwd, bwd = _flows()
    fwd[:, 20:40, 70:90] = (-2.5, 0.0)  # a plane crossing the sky at a steady speed
    bwd[:, 20:40, 70:90] = (2.5, 0.0)
    out_f, out_b, _ = clean_noise_flow(frames, holes, fwd, bwd)
    # away from its leading and trailing edges (where the next step's flow is read off the plane)
    np.testing.assert_array_equal(out_f[:, 22:38, 76:84], fwd[:, 22:38, 76:84])
    np.testing.assert_array_equal(out_b[:, 22:38, 76:84], bwd[:, 22:38, 76:84])


def test_a_scene_with_parallax_and_a_single_pair_are_left_alone():
    frames, holes = _frames(), np.zeros((T, H, W), bool)
    fwd, bwd = _flows()
    fwd[:, :, 32:64] = (-3.0, 2.0)  # a nearer building moves another way: no homography fits both
    bwd[:, :, 32:64] = (3.0, -2.0)
    out_f, out_b, share = clean_noise_flow(frames, holes, fwd, bwd)
    assert share == 0.0
    np.testing.assert_array_equal(out_f, fwd)
    out_f, _, share = clean_noise_flow(frames[:2], holes[:2], fwd[:1], bwd[:1])
    assert share == 0.0 and np.array_equal(out_f, fwd[:1])
