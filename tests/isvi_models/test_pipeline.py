import cv2
import numpy as np

from isvi_models.pipeline import MethodSettings, inpaint_window
from tests.synth import panned_clip, photo, psnr, square_holes


def test_panning_clip_with_estimated_flow_beats_telea_inside_the_hole():
    frames = panned_clip(frames=12, height=96, width=128, dx=3)
    holes = square_holes(*frames.shape[:3], box=(30, 60, 45, 80))
    blank = np.where(holes[..., None], 0.0, frames).astype(np.float32)
    out = inpaint_window(blank, holes, MethodSettings())
    np.testing.assert_array_equal(out[~holes], blank[~holes])
    ours = psnr(out[holes], frames[holes])
    telea = np.stack([cv2.inpaint((f * 255).astype(np.uint8), h.astype(np.uint8), 3, cv2.INPAINT_TELEA)
                      for f, h in zip(blank, holes)]).astype(np.float32) / 255
    assert ours > 30.0
    assert ours > psnr(telea[holes], frames[holes]) + 5.0


def test_stages_are_reported_in_method_order():
    frames = panned_clip(frames=4, height=48, width=64)
    holes = square_holes(4, 48, 64, box=(10, 20, 10, 20))
    seen = []
    inpaint_window(frames, holes, on_stage=seen.append)
    assert seen[:3] == ["flow", "complete", "propagate"] and seen[-1] == "reconstruct"


def test_a_fixed_camera_matches_copying_the_pixel_from_another_frame():
    """Sensor noise on a still scene makes the flow in a moving hole sub-pixel noise; followed
    through many frames it shifted the fill (every edge doubled). Default settings snap it to zero."""
    from tasks.evaluation.baselines import temporal_nearest

    rng = np.random.default_rng(0)
    still = photo()[120:216, 120:248]
    frames = np.clip(still + rng.normal(0, 0.01, (24, *still.shape)), 0, 1).astype(np.float32)
    holes = np.zeros(frames.shape[:3], bool)
    for t in range(24):
        holes[t, 30:60, 10 + 3 * t:40 + 3 * t] = True
    blank = np.where(holes[..., None], 0.0, frames).astype(np.float32)
    copied = psnr(temporal_nearest(blank, holes)[holes], frames[holes])
    ours = psnr(inpaint_window(blank, holes, MethodSettings())[holes], frames[holes])
    assert ours > copied - 0.5


class TestReferenceReach:
    """Key-frame lookups in frames outside the window on a fixed camera (``pipeline.reference_reach``)."""

    @staticmethod
    def _lookup(ref_frame, ref_time=30, window=10, window_still=True):
        from isvi_models.pipeline import References, reference_reach

        scene = photo()[:96, :128].astype(np.float32)
        hole = np.zeros(scene.shape[:2], bool)
        hole[30:60, 40:80] = True
        key = scene.copy()
        key[hole] = 0
        refs = References(ref_frame[None], np.zeros((1, *hole.shape), bool), np.array([ref_time]))
        colours, found = reference_reach(refs, MethodSettings(), window, window_still)(5, key, hole, hole)
        return scene, hole, colours, found

    def test_inside_the_window_only_the_still_copy(self):
        """A reference inside the window serves the fixed-camera copy, not a lookup along a flow."""
        scene = photo()[:96, :128].astype(np.float32)
        assert self._lookup(scene, ref_time=8)[3][30:60, 40:80].all()
        moved = np.roll(scene, 4, axis=1)
        assert not self._lookup(moved, ref_time=8)[3].any()
        inside, beyond = self._lookup(moved, ref_time=8)[3], self._lookup(moved, ref_time=30)[3]
        assert beyond.sum() > inside.sum()  # beyond the window the lookup along the flow is allowed

    def test_inside_a_window_that_did_not_hold_still_nothing(self):
        """A pan: no copy from inside the window, whatever the pair itself shows; beyond it the lookup stays."""
        scene = photo()[:96, :128].astype(np.float32)
        assert not self._lookup(scene, ref_time=8, window_still=False)[3].any()
        assert self._lookup(scene, ref_time=30, window_still=False)[3][30:60, 40:80].all()

    def test_nothing_from_another_scene(self):
        """A reference across a cut (another part of the photograph): its flow with the key frame is
        noise, and by chance 35 of the 1,200 positions closed their round trip (pasted from the
        other scene) before such pairs were passed over."""
        assert not self._lookup(photo()[300:396, 50:178].astype(np.float32))[3].any()

    def test_a_still_scene_is_copied_from_the_same_place(self):
        scene, hole, colours, found = self._lookup(photo()[:96, :128].astype(np.float32))
        assert found[hole].all()
        np.testing.assert_allclose(colours[hole], scene[hole], atol=1e-6)

    def test_not_where_the_scene_around_the_hole_changed(self):
        """A passer-by beside the hole in the reference: the scene is not the same there, so the
        same position is no evidence (it was copied before, and cost vtest_static_blob 0.28 dB)."""
        ref = photo()[:96, :128].astype(np.float32)
        ref[20:70, 80:100] = 1.0  # something white right of the hole, over its ring
        _, hole, _, found = self._lookup(ref)
        assert not found[30:60, 60:80].any()  # its half of the hole
        assert found[30:60, 40:46].all()  # the far side: the ring there is unchanged


def test_references_inside_a_panning_window_cost_no_flow(monkeypatch):
    """On a pan the frames inside the window can give no fixed-camera copy: their flows to the key
    frame are not estimated (``fill`` passes the window's own still test to ``reference_reach``);
    a still window estimates them."""
    import isvi_models.pipeline as pipeline
    from isvi_models.ops.flow_completion import laplace_fill_flows

    def pairs_estimated(frames):
        holes = square_holes(*frames.shape[:3], box=(30, 60, 45, 80))
        flows = laplace_fill_flows(*pipeline.estimate_flow(frames, holes, MethodSettings())[:1],
                                   holes[:-1])
        refs = pipeline.References(frames[[2, 6]], holes[[2, 6]], np.array([2, 6]))  # both inside
        calls = []
        real = pipeline.estimate_flow
        monkeypatch.setattr(pipeline, "estimate_flow", lambda *a: calls.append(1) or real(*a))
        pipeline.fill(frames, holes, flows, -flows, MethodSettings(), references=refs)
        monkeypatch.setattr(pipeline, "estimate_flow", real)
        return len(calls)

    assert pairs_estimated(panned_clip(frames=8, height=96, width=128, dx=3)) == 0
    still = np.repeat(photo()[None, 120:216, 120:248], 8, axis=0).astype(np.float32)
    assert pairs_estimated(still) > 0


def test_noise_flow_px_replaces_incoherent_sky_flow_before_completion():
    """``noise_flow_px`` (on by default) runs the rigid-scene noise cleaning on the estimator's flows
    (the tower-and-night-sky case of the bundled example); at 0 the estimator's flows pass as they are."""
    from isvi_models.pipeline import estimate_flow
    from tests.isvi_models.ops.test_rigid_flow import PAN, _flows, _frames

    frames = _frames()
    holes = np.zeros(frames.shape[:3], bool)
    holes[:, 20:40, 40:60] = True
    fwd, bwd = _flows()
    settings = MethodSettings(estimator=lambda prefilled: (fwd.copy(), bwd.copy()), noise_flow_px=0.0)
    raw, _ = estimate_flow(frames, holes, settings)
    np.testing.assert_array_equal(raw, fwd)
    cleaned, _ = estimate_flow(frames, holes, MethodSettings(estimator=settings.estimator))
    sky = np.hypot(*np.moveaxis(cleaned[:, :, 64:] - PAN, -1, 0))
    assert np.mean(sky > 1.0) < 0.5 * np.mean(np.hypot(*np.moveaxis(fwd[:, :, 64:] - PAN, -1, 0)) > 1.0)
