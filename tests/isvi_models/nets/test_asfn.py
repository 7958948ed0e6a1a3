"""ASFN and its discriminator: shapes, NaN-free masked statistics, hole-only restyling."""

from __future__ import annotations

import pytest
import torch

from isvi_models.nets import (ASFN, AdaptiveStyleFusion, PatchDiscriminator, count_parameters, create_model,
                              fold_spectral_norm, masked_mean_std)
from tests.isvi_models.random_nets import random_asfn


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return random_asfn().eval()


def grads(b=2, h=32, w=40, seed=0):
    return torch.rand(b, 3, h, w, generator=torch.Generator().manual_seed(seed)) * 2 - 1


class TestMaskedMeanStd:
    def test_matches_boolean_indexing(self):
        g = torch.Generator().manual_seed(0)
        feat = torch.randn(2, 4, 6, 7, generator=g)
        mask = (torch.rand(2, 1, 6, 7, generator=g) < 0.4).float()
        mean, std = masked_mean_std(feat, mask)
        for b in range(2):
            sel = feat[b][:, mask[b, 0].bool()]
            torch.testing.assert_close(mean[b, :, 0, 0], sel.mean(dim=1))
            torch.testing.assert_close(std[b, :, 0, 0], (sel.var(dim=1) + 1e-5).sqrt())

    @pytest.mark.parametrize("count", [0, 1])
    def test_empty_or_single_pixel_selection_is_finite(self, count):
        feat = torch.randn(1, 3, 4, 4)
        mask = torch.zeros(1, 1, 4, 4)
        mask.view(-1)[:count] = 1
        mean, std = masked_mean_std(feat, mask)
        assert torch.isfinite(mean).all() and torch.isfinite(std).all() and (std > 0).all()


class TestASFN:
    def test_shapes_dtype_and_range(self, net):
        mask = torch.zeros(2, 1, 32, 40)
        mask[:, :, 8:20, 12:30] = 1
        with torch.no_grad():
            out = net(grads(), mask)
        assert out.shape == (2, 3, 32, 40) and out.dtype == torch.float32
        assert out.abs().max() <= 1

    @pytest.mark.parametrize("hole", ["empty", "2x2", "full"])
    def test_no_nan_for_empty_tiny_or_full_holes(self, net, hole):
        mask = torch.zeros(1, 1, 32, 40)
        if hole == "2x2":
            mask[:, :, 9:11, 13:15] = 1  # misses every (4i, 4j) pixel: the 1/4-scale hole is empty
        elif hole == "full":
            mask[:] = 1
        with torch.no_grad():
            out = net(grads(b=1), mask)
        assert torch.isfinite(out).all()

    def test_style_fusion_changes_only_hole_features(self):
        torch.manual_seed(1)
        layer = AdaptiveStyleFusion(8)
        feat = torch.randn(2, 8, 6, 6)
        hole = torch.zeros(2, 1, 6, 6)
        hole[:, :, 2:4, 1:5] = 1
        with torch.no_grad():
            out = layer(feat, hole)
        keep = hole.expand_as(feat) == 0
        assert torch.equal(out[keep], feat[keep])
        assert (out[~keep] - feat[~keep]).abs().max() > 1e-3

    def test_untrained_residual_variant_returns_its_input_and_learns_a_correction(self):
        torch.manual_seed(0)
        net = create_model("asfn_tiny")
        x = grads() * 0.05
        mask = torch.zeros(2, 1, 32, 40)
        mask[:, :, 8:20, 12:30] = 1
        out = net(x, mask)
        assert torch.equal(out, x)
        ((out - 0.01) ** 2).mean().backward()
        assert net.final.conv.weight.grad.abs().sum() > 0  # the zero conv still gets a gradient

    def test_residual_output_is_clamped_to_the_gradient_range(self):
        net = random_asfn()
        with torch.no_grad():
            net.final.conv.bias.fill_(5.0)
            out = net(grads(), torch.ones(2, 1, 32, 40))
        assert torch.equal(out, torch.ones_like(out))

    def test_paper_variant_outputs_directly(self):
        torch.manual_seed(0)
        net = ASFN(cnum=8, residual=False).eval()
        x = grads()
        with torch.no_grad():
            out = net(x, torch.ones(2, 1, 32, 40))
        assert (out - x).abs().mean() > 0.1

    def test_base_matches_the_original_parameter_count(self):
        # 2,428,035 = original ASFN at cnum 48, transferBlocks 1, resBlocks 1, skip connections
        assert count_parameters(create_model("asfn_base")) == 2_428_035
        assert count_parameters(ASFN(cnum=32, transfer_blocks=2, res_blocks=2)) == 1_802_755


class TestPatchDiscriminator:
    def test_patch_logits_shape_and_spectral_norm(self):
        torch.manual_seed(0)
        disc = create_model("patchgan_tiny")
        out = disc(grads(b=2, h=128, w=192))
        assert out.shape == (2, 32, 2, 3)
        sn = [k for k in disc.state_dict() if k.endswith("parametrizations.weight.original")]
        assert len(sn) == 6
        assert not any(k.endswith(".bias") for k in disc.state_dict())

    def test_gradients_flow_and_fold(self):
        torch.manual_seed(0)
        disc = PatchDiscriminator(nf=4)
        x = grads(b=1, h=64, w=64).requires_grad_()
        disc(x).mean().backward()
        assert x.grad is not None and x.grad.abs().sum() > 0
        disc.eval()
        with torch.no_grad():
            before = disc(x)
            after = fold_spectral_norm(disc)(x)
        torch.testing.assert_close(before, after)
        assert count_parameters(create_model("patchgan_base")) > 5_000_000
