"""forward_splat against a slow per-pixel reference of the Forward-Warp CUDA kernel's semantics."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from isvi_models.nets import ForwardSplat, forward_splat


def splat_reference(src: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Loop version of Forward_Warp_Python: bilinear scatter, source dropped unless its 2x2 footprint is in frame."""
    b, c, h, w = src.shape
    out = np.zeros(src.shape, np.float64)
    for n in range(b):
        for y in range(h):
            for x in range(w):
                tx, ty = x + float(flow[n, 0, y, x]), y + float(flow[n, 1, y, x])
                if not (math.isfinite(tx) and math.isfinite(ty)):
                    continue
                x0, y0 = math.floor(tx), math.floor(ty)
                if not (0 <= x0 and x0 + 1 < w and 0 <= y0 and y0 + 1 < h):
                    continue
                a, bb = tx - x0, ty - y0
                v = src[n, :, y, x].astype(np.float64)
                out[n, :, y0, x0] += v * (1 - a) * (1 - bb)
                out[n, :, y0, x0 + 1] += v * a * (1 - bb)
                out[n, :, y0 + 1, x0] += v * (1 - a) * bb
                out[n, :, y0 + 1, x0 + 1] += v * a * bb
    return out


class TestForwardSplat:
    def test_matches_reference_on_random_flows(self):
        g = torch.Generator().manual_seed(0)
        src = torch.randn(2, 3, 7, 9, generator=g)
        flow = torch.randn(2, 2, 7, 9, generator=g) * 3  # many sources land out of frame or collide
        out = forward_splat(src, flow)
        ref = splat_reference(src.numpy(), flow.numpy())
        assert out.shape == src.shape and out.dtype == torch.float32
        np.testing.assert_allclose(out.numpy(), ref, atol=1e-5)
        assert np.abs(ref).sum() > 0  # the case is not vacuous

    def test_single_source_weights_are_bilinear_and_sum_to_one(self):
        src = torch.zeros(1, 1, 6, 8)
        src[0, 0, 2, 3] = 1.0
        flow = torch.zeros(1, 2, 6, 8)
        flow[0, :, 2, 3] = torch.tensor([1.25, 0.5])  # lands at x=4.25, y=2.5
        out = forward_splat(src, flow)[0, 0]
        expected = torch.zeros(6, 8)
        expected[2, 4], expected[2, 5] = 0.75 * 0.5, 0.25 * 0.5
        expected[3, 4], expected[3, 5] = 0.75 * 0.5, 0.25 * 0.5
        # other sources carry zero, so only this footprint is non-zero
        torch.testing.assert_close(out, expected)
        assert out.sum().item() == pytest.approx(1.0)

    def test_total_mass_equals_mass_of_in_frame_sources(self):
        g = torch.Generator().manual_seed(1)
        src = torch.rand(1, 1, 10, 12, generator=g)
        flow = torch.rand(1, 2, 10, 12, generator=g) * 0.9  # sub-pixel moves: only the last row/col leave
        out = forward_splat(src, flow)
        kept = src[0, 0, :-1, :-1].sum()  # footprint x0+1 < W and y0+1 < H
        assert out.sum().item() == pytest.approx(kept.item(), rel=1e-5)

    def test_integer_translation_moves_values_exactly(self):
        src = torch.arange(48.0).view(1, 1, 6, 8)
        flow = torch.zeros(1, 2, 6, 8)
        flow[:, 0], flow[:, 1] = 2.0, 1.0
        out = forward_splat(src, flow)[0, 0]
        # sources with x <= 4 and y <= 3 keep their whole 2x2 footprint (weight 1 at (y+1, x+2))
        torch.testing.assert_close(out[1:5, 2:7], src[0, 0, 0:4, 0:5])
        assert out[0].abs().sum() == 0 and out[:, :2].abs().sum() == 0
        assert out[5].abs().sum() == 0 and out[:, 7].abs().sum() == 0  # footprint x0+1 or y0+1 out of frame

    def test_zero_flow_drops_last_row_and_column(self):
        src = torch.ones(1, 2, 5, 6)
        out = forward_splat(src, torch.zeros(1, 2, 5, 6))
        torch.testing.assert_close(out[..., :-1, :-1], src[..., :-1, :-1])
        assert out[..., -1, :].abs().sum() == 0 and out[..., :, -1].abs().sum() == 0

    def test_sources_pushed_out_of_frame_are_dropped(self):
        src = torch.ones(1, 1, 5, 6)
        for u, v in ((-100.0, 0.0), (0.0, 100.0), (-0.5, 0.0), (5.5, 0.0)):
            flow = torch.zeros(1, 2, 5, 6)
            flow[:, 0], flow[:, 1] = u, v
            out = forward_splat(src, flow)
            if u == -0.5:  # x0 = -1 for column 0: that column is dropped entirely, not half-kept
                ref = splat_reference(src.numpy(), flow.numpy())
                np.testing.assert_allclose(out.numpy(), ref, atol=1e-6)
                assert out[0, 0, :, 0].sum().item() == pytest.approx(0.5 * 4)  # only column 1's left half
            else:
                assert out.abs().sum() == 0

    def test_collisions_add_up(self):
        src = torch.zeros(1, 1, 4, 4)
        src[0, 0, 1, 1], src[0, 0, 1, 2] = 2.0, 3.0
        flow = torch.zeros(1, 2, 4, 4)
        flow[0, 0, 1, 2] = -1.0  # (1,2) lands on (1,1) too
        out = forward_splat(src, flow)
        assert out[0, 0, 1, 1].item() == pytest.approx(5.0)

    def test_non_finite_flow_is_dropped_without_nan(self):
        src = torch.ones(1, 1, 4, 5)
        flow = torch.zeros(1, 2, 4, 5)
        flow[0, 0, 0, 0], flow[0, 1, 1, 1], flow[0, 0, 2, 2] = float("nan"), float("inf"), -float("inf")
        out = forward_splat(src, flow)
        assert torch.isfinite(out).all()
        ref = splat_reference(src.numpy(), flow.numpy())
        np.testing.assert_allclose(out.numpy(), ref, atol=1e-6)

    def test_rejects_bad_shapes(self):
        with pytest.raises(ValueError, match="flow"):
            forward_splat(torch.zeros(1, 3, 4, 4), torch.zeros(1, 3, 4, 4))

    @pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")  # exporter internals
    def test_onnx_export_accumulates_repeated_indices(self, tmp_path):
        """The dynamo export must keep scatter_add's accumulation (the legacy exporter loses it)."""
        import onnxruntime as ort
        from torch.export import Dim

        src, flow = torch.randn(1, 2, 6, 8), torch.randn(1, 2, 6, 8)
        b, h, w = Dim("b", max=64), Dim("h", min=2, max=512), Dim("w", min=2, max=512)
        dyn = {"src": {0: b, 2: h, 3: w}, "flow": {0: b, 2: h, 3: w}}
        path = tmp_path / "splat.onnx"
        torch.onnx.export(ForwardSplat().eval(), (src, flow), str(path), input_names=["src", "flow"], opset_version=18,
                          dynamo=True, dynamic_shapes=dyn, external_data=False, verbose=False)
        sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        for shape in ((1, 2, 6, 8), (3, 2, 11, 5)):
            b, c, h, w = shape
            src = torch.randn(b, c, h, w)
            flow = torch.zeros(b, 2, h, w)
            flow[:, 0] = -torch.arange(w).float()  # every column lands on column 0: heavy collisions
            flow[:, 1] = torch.rand(b, h, w) * 0.5
            ref = forward_splat(src, flow).numpy()
            out = sess.run(None, {"src": src.numpy(), "flow": flow.numpy()})[0]
            np.testing.assert_allclose(out, ref, atol=1e-4)
            assert np.abs(ref[..., 0]).max() > 1.0  # accumulation actually happened
