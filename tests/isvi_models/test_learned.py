"""IGFC/ASFN adapters: they feed the networks what ISVI feeds them and change only hole values."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

from isvi_models.errors import ModelError
from isvi_models.learned import (ASFNRefiner, IGFCCompleter, load_flow_completer, load_gradient_refiner,
                                 window_indices)
from isvi_models.ops.flow_completion import laplace_fill_flows


def flow_case(k=5, h=30, w=44, seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack((0.05 * xx + 1.0, -0.03 * yy + 0.5), axis=-1)
    flows = (base[None] + rng.normal(scale=0.2, size=(k, h, w, 2))).astype(np.float32)
    holes = np.zeros((k, h, w), bool)
    for i in range(k):
        holes[i, 8 + i: 18 + i, 10 + 2 * i: 26 + 2 * i] = True
    holes[2] = False  # one flow without hole
    return flows, holes


class TestWindowIndices:
    @pytest.mark.parametrize("pivot,count,frames,interval,expected", [
        (2, 5, 3, 1, [1, 2, 3]),
        (0, 5, 3, 1, [1, 0, 1]),  # mirrored at the start: shifts -1, 0, -1
        (4, 5, 3, 1, [3, 4, 3]),
        (1, 6, 5, 2, [3, 1, 1, 3, 5]),  # 1 + 2k for k = -2..2: -3 -> 3, -1 -> 1
        (4, 6, 5, 2, [0, 2, 4, 4, 2]),  # 6 -> 2*5 - 6 = 4, 8 -> 2
        (0, 1, 3, 1, [0, 0, 0]),  # a single flow: mirror, then clip
    ])
    def test_mirrored_windows(self, pivot, count, frames, interval, expected):
        assert window_indices(pivot, count, frames, interval) == expected


class TestIGFCCompleter:
    def test_only_hole_values_change(self, tiny_onnx):
        flows, holes = flow_case()
        keep = flows.copy()
        out = IGFCCompleter(tiny_onnx.igfc_path)(flows, holes, "forward")
        assert out.shape == flows.shape and out.dtype == np.float32
        np.testing.assert_array_equal(out[~holes], flows[~holes])
        np.testing.assert_array_equal(out[2], flows[2])
        np.testing.assert_array_equal(flows, keep)  # input untouched
        assert np.isfinite(out).all() and np.abs(out[holes] - flows[holes]).max() > 1e-3

    @pytest.mark.parametrize("pivot", [0, 3])
    def test_matches_the_network_on_the_mirrored_window(self, tiny_onnx, pivot):
        flows, holes = flow_case()
        out = IGFCCompleter(tiny_onnx.igfc_path, batch_size=2)(flows, holes, "forward")
        filled = laplace_fill_flows(flows, holes)
        idx = window_indices(pivot, len(flows), 3, 1)
        # the network needs H, W multiples of 8: pad like the runtime does (edge), crop after
        f = np.pad(filled[idx], ((0, 0), (0, 2), (0, 4), (0, 0)), mode="edge")
        m = np.pad(holes[idx], ((0, 0), (0, 2), (0, 4)), mode="edge")
        with torch.no_grad():
            ref = tiny_onnx.igfc(torch.from_numpy(f).permute(0, 3, 1, 2)[None],
                                 torch.from_numpy(m[:, None].astype(np.float32))[None],
                                 torch.tensor([[float(pivot - j) for j in idx]]))[0]
        ref = ref[0].permute(1, 2, 0).numpy()[:30, :44]
        np.testing.assert_allclose(out[pivot][holes[pivot]], ref[holes[pivot]], atol=1e-4)

    def test_backward_runs_on_the_reversed_sequence(self, tiny_onnx):
        flows, holes = flow_case(seed=1)
        completer = IGFCCompleter(tiny_onnx.igfc_path)
        back = completer(flows, holes, "backward")
        fwd_of_reversed = completer(flows[::-1].copy(), holes[::-1].copy(), "forward")[::-1]
        np.testing.assert_allclose(back, fwd_of_reversed, atol=1e-6)
        assert np.abs(back - completer(flows, holes, "forward"))[holes].max() > 1e-4

    def test_window_must_match_the_file(self, tiny_onnx):
        with pytest.raises(ModelError, match="windows of 3 flows"):
            IGFCCompleter(tiny_onnx.igfc_path, num_frames=5)


class TestASFNRefiner:
    def test_refines_only_inside_holes_like_the_network(self, tiny_onnx):
        rng = np.random.default_rng(2)
        gx = rng.uniform(-0.2, 0.2, (3, 28, 36, 3)).astype(np.float32)
        gy = rng.uniform(-0.2, 0.2, (3, 28, 36, 3)).astype(np.float32)
        holes = np.zeros((3, 28, 36), bool)
        holes[0, 5:15, 6:20] = True
        holes[2, 10:12, 13:15] = True  # 2x2: empty at 1/4 scale, must not give NaN
        rx, ry = ASFNRefiner(tiny_onnx.asfn_path, batch_size=3)(gx, gy, holes)
        assert rx.shape == gx.shape and rx.dtype == np.float32 and np.isfinite(rx).all() and np.isfinite(ry).all()
        np.testing.assert_array_equal(rx[~holes], gx[~holes])
        np.testing.assert_array_equal(ry[~holes], gy[~holes])
        np.testing.assert_array_equal(rx[1], gx[1])  # no hole: untouched
        for g, r in ((gx, rx), (gy, ry)):
            with torch.no_grad():
                ref = tiny_onnx.asfn(torch.from_numpy(g[0]).permute(2, 0, 1)[None],
                                     torch.from_numpy(holes[0].astype(np.float32))[None, None])
            ref = ref[0].permute(1, 2, 0).numpy()
            np.testing.assert_allclose(r[0][holes[0]], ref[holes[0]], atol=1e-4)
        assert np.abs(rx[0][holes[0]] - gx[0][holes[0]]).max() > 1e-3


class TestLoaders:
    def test_load_from_models_dir(self, tiny_onnx):
        assert isinstance(load_flow_completer(tiny_onnx.dir), IGFCCompleter)
        assert isinstance(load_gradient_refiner(tiny_onnx.dir), ASFNRefiner)

    def test_missing_files_are_named(self, tmp_path):
        with pytest.raises(ModelError, match="igfc.onnx: model file not found"):
            load_flow_completer(tmp_path)
        with pytest.raises(ModelError, match="asfn.onnx: model file not found"):
            load_gradient_refiner(tmp_path)

    def test_swapped_files_are_refused(self, tiny_onnx, tmp_path):
        shutil.copy(tiny_onnx.asfn_path, tmp_path / "igfc.onnx")
        with pytest.raises(ModelError, match="igfc.onnx: expected an 'igfc' model"):
            load_flow_completer(tmp_path)


def moving_texture(t=8, h=48, w=64, seed=0):
    """A smooth random texture panning 2 px right and 1 px down per frame, with a 12x16 box hole."""
    import cv2

    rng = np.random.default_rng(seed)
    big = cv2.GaussianBlur(rng.uniform(0, 255, (h + 2 * t, w + 4 * t, 3)).astype(np.float32), (0, 0), 2.0)
    frames = np.stack([big[t - i: t - i + h, 2 * t - 2 * i: 2 * t - 2 * i + w] for i in range(t)])
    frames = np.clip(frames, 0, 255).astype(np.uint8)
    holes = np.zeros((t, h, w), bool)
    holes[:, 18:30, 24:40] = True
    frames[holes] = 0  # the object to remove
    return frames, holes


@pytest.mark.slow
class TestLearnedPipeline:
    def test_inpaint_runs_end_to_end_with_random_weight_models(self, tiny_onnx):
        from tasks.config import InpaintConfig
        from tasks.inpaint_video import inpaint_arrays

        frames, holes = moving_texture()
        common = dict(dilate_px=0, window_frames=8, overlap_frames=2, flow_dilate_px=4)
        cfg = InpaintConfig(flow_completion="igfc", style_fusion="asfn", models=tiny_onnx.dir, **common)
        out = inpaint_arrays(frames, holes, cfg)
        assert out.shape == frames.shape and out.dtype == np.uint8
        np.testing.assert_array_equal(out[~holes], frames[~holes])  # untouched pixels unchanged
        assert out[holes].mean() > 20  # the black box was filled
        classical = inpaint_arrays(frames, holes, InpaintConfig(**common))
        assert np.abs(out[holes].astype(int) - classical[holes].astype(int)).max() > 0  # the learned stages ran

    def test_missing_model_file_is_named(self, tiny_onnx, tmp_path):
        from tasks.config import InpaintConfig
        from tasks.inpaint_video import inpaint_arrays

        shutil.copy(tiny_onnx.igfc_path, tmp_path / "igfc.onnx")
        frames, holes = moving_texture(t=4)
        cfg = InpaintConfig(flow_completion="igfc", style_fusion="asfn", models=tmp_path, window_frames=8,
                            overlap_frames=2)
        with pytest.raises(ModelError, match="asfn.onnx"):
            inpaint_arrays(frames, holes, cfg)
