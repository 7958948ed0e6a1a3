"""ONNX export: file contract (opset, dynamic axes, metadata, atomic write) and ORT/PyTorch parity."""

from __future__ import annotations

import onnx
import pytest
import torch

from isvi_models.errors import ModelError
from isvi_models.export import (asfn_sample_inputs, export_models, igfc_sample_inputs, load_checkpoint,
                                max_abs_diff)
from isvi_models.nets import create_model
from tests.isvi_models.random_nets import random_asfn


class TestExportedFiles:
    @pytest.mark.parametrize("kind", ["igfc", "asfn"])
    def test_opset_dynamic_axes_and_metadata(self, tiny_onnx, kind):
        path = tiny_onnx.dir / f"{kind}.onnx"
        model = onnx.load(str(path))
        onnx.checker.check_model(model)
        assert max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")) >= 18
        first = model.graph.input[0].type.tensor_type.shape.dim
        names = [d.dim_param for d in first]
        assert names[0] == "batch" and names[-2:] == ["height", "width"]
        meta = {p.key: p.value for p in model.metadata_props}
        assert meta["isvi.model"] == kind and meta["isvi.pad_multiple"] == ("8" if kind == "igfc" else "4")
        assert not any(n.op_type.startswith("SpectralNorm") for n in model.graph.node)
        if kind == "igfc":
            assert {n.op_type for n in model.graph.node} >= {"ScatterElements", "Conv"}
            scatter = next(n for n in model.graph.node if n.op_type == "ScatterElements")
            assert {a.name: a.s for a in scatter.attribute}.get("reduction") == b"add"
        assert not list(tiny_onnx.dir.glob("*.tmp"))


class TestParity:
    @pytest.mark.parametrize("batch,height,width", [(1, 64, 96), (3, 40, 72)])
    def test_igfc_matches_pytorch(self, tiny_onnx, batch, height, width):
        inputs = igfc_sample_inputs(tiny_onnx.igfc, batch, height, width, seed=batch)
        assert max_abs_diff(tiny_onnx.igfc, tiny_onnx.igfc_path, inputs) <= 1e-4

    @pytest.mark.parametrize("batch,height,width", [(1, 64, 96), (2, 36, 52)])
    def test_asfn_matches_pytorch(self, tiny_onnx, batch, height, width):
        inputs = asfn_sample_inputs(batch, height, width, seed=batch)
        assert max_abs_diff(tiny_onnx.asfn, tiny_onnx.asfn_path, inputs) <= 1e-4

    def test_diff_detects_other_weights(self, tiny_onnx):
        torch.manual_seed(123)
        other = random_asfn()
        assert max_abs_diff(other, tiny_onnx.asfn_path, asfn_sample_inputs(1, 32, 32)) > 1e-3


class TestExportModels:
    @pytest.mark.slow
    def test_from_checkpoint_replaces_existing_file(self, tmp_path):
        torch.manual_seed(7)
        model = random_asfn()
        ckpt = tmp_path / "asfn.pt"
        torch.save({"model_state_dict": model.state_dict()}, ckpt)
        (tmp_path / "out").mkdir()
        (tmp_path / "out" / "asfn.onnx").write_bytes(b"stale")
        written = export_models(tmp_path / "out", which=("asfn",), asfn_variant="asfn_tiny", asfn_ckpt=ckpt)
        assert written == {"asfn": tmp_path / "out" / "asfn.onnx"}
        assert max_abs_diff(model, written["asfn"], asfn_sample_inputs(1, 32, 48)) <= 1e-4
        assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["asfn.onnx"]

    def test_needs_checkpoint_or_random_weights(self, tmp_path):
        with pytest.raises(ModelError, match="asfn: no checkpoint"):
            export_models(tmp_path, which=("asfn",), asfn_variant="asfn_tiny")
        assert not list(tmp_path.iterdir())

    def test_bad_checkpoints_name_the_file(self, tmp_path):
        with pytest.raises(ModelError, match="missing.pt"):
            load_checkpoint(create_model("asfn_tiny"), tmp_path / "missing.pt")
        garbage = tmp_path / "garbage.pt"
        garbage.write_bytes(b"not a checkpoint")
        with pytest.raises(ModelError, match="garbage.pt"):
            load_checkpoint(create_model("asfn_tiny"), garbage)
        wrong = tmp_path / "wrong.pt"
        torch.save(create_model("asfn_tiny", cnum=12).state_dict(), wrong)
        with pytest.raises(ModelError, match="wrong.pt.*does not fit"):
            load_checkpoint(create_model("asfn_tiny"), wrong)
