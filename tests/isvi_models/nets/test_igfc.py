"""IGFC: shape contract, where the residual and the fusion act, and the published parameter count."""

from __future__ import annotations

import pytest
import torch

from isvi_models.nets import IGFC, count_parameters, create_model, fold_spectral_norm, list_models


def inputs(b=2, t=3, h=32, w=40, hole=True, seed=0):
    g = torch.Generator().manual_seed(seed)
    flows = torch.randn(b, t, 2, h, w, generator=g) * 2
    masks = torch.zeros(b, t, 1, h, w)
    if hole:
        masks[:, :, :, 8:20, 8:24] = 1.0
    shifts = torch.tensor([[1.0, 0.0, -1.0]] * b) if t == 3 else (t // 2 - torch.arange(t)).float().repeat(b, 1)
    return flows, masks, shifts


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return create_model("igfc_tiny").eval()


class TestIGFC:
    def test_shapes_and_dtype(self, net):
        with torch.no_grad():
            flow, flow4, flow2 = net(*inputs(b=2, h=32, w=40))
        assert flow.shape == (2, 2, 32, 40) and flow4.shape == (2, 2, 8, 10) and flow2.shape == (2, 2, 16, 20)
        assert flow.dtype == flow4.dtype == flow2.dtype == torch.float32
        assert torch.isfinite(flow).all()

    def test_residual_is_on_the_pivot_flow(self, net):
        flows, masks, shifts = inputs()
        with torch.no_grad():
            zeroed = create_model("igfc_tiny").eval()
            zeroed.load_state_dict(net.state_dict())
            zeroed.final.conv.weight.zero_()
            zeroed.final.conv.bias.zero_()
            flow, _, _ = zeroed(flows, masks, shifts)
        torch.testing.assert_close(flow, flows[:, 1])

    def test_neighbours_only_matter_inside_the_pivot_hole(self, net):
        flows, masks, shifts = inputs()
        masks[:, 1] = 0.0  # pivot without hole: fusion keeps the pivot's own features
        other = flows.clone()
        other[:, 0] += 5.0
        other[:, 2] -= 3.0
        with torch.no_grad():
            a = net(flows, masks, shifts)[0]
            b = net(other, masks, shifts)[0]
        torch.testing.assert_close(a, b)
        masks[:, 1, :, 8:20, 8:24] = 1.0  # with a hole the neighbours (and their shifts) change the result
        with torch.no_grad():
            c = net(flows, masks, shifts)[0]
            d = net(other, masks, shifts)[0]
            e = net(flows, masks, -shifts)[0]
        assert (c - d).abs().max() > 1e-4 and (c - e).abs().max() > 1e-6

    def test_window_length_is_configurable(self):
        net = IGFC(cnum=8, res_blocks=2, num_frames=5).eval()
        with torch.no_grad():
            flow, _, _ = net(*inputs(b=1, t=5, h=24, w=16))
        assert flow.shape == (1, 2, 24, 16)
        with pytest.raises(ValueError, match="window of 5"):
            net(*inputs(b=1, t=3, h=24, w=16))

    def test_rejects_bad_configuration_and_sizes(self, net):
        with pytest.raises(ValueError, match="odd"):
            IGFC(cnum=8, num_frames=4)
        with pytest.raises(ValueError, match="cnum"):
            IGFC(cnum=7)
        with pytest.raises(ValueError, match="multiples of 8"):
            net(*inputs(b=1, h=36, w=40))

    def test_folding_spectral_norm_keeps_eval_output(self, net):
        x = inputs(b=1)
        folded = create_model("igfc_tiny")
        folded.load_state_dict(net.state_dict())
        folded = fold_spectral_norm(folded.eval())
        assert not any("parametrizations" in k for k in folded.state_dict())
        with torch.no_grad():
            for a, b in zip(net(*x), folded(*x)):
                torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-5)

    def test_base_matches_the_original_parameter_count(self):
        # 3,810,523 = original IGFC at cnum 48, resBlocks 1, num_frames 3 (instantiated from the released code)
        assert count_parameters(create_model("igfc_base")) == 3_810_523
        assert {"igfc_base", "igfc_tiny"} <= set(list_models("igfc"))
        with pytest.raises(ValueError, match="unknown model"):
            create_model("igfc_huge")
