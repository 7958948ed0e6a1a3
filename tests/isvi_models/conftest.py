"""Shared fixtures for the tests of the learned stages (export, runtime, adapters, pipeline)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class TinyOnnx:
    """Seeded tiny IGFC/ASFN, their ONNX files in ``dir`` (igfc.onnx, asfn.onnx)."""

    dir: Path
    igfc: object
    asfn: object

    @property
    def igfc_path(self) -> Path:
        return self.dir / "igfc.onnx"

    @property
    def asfn_path(self) -> Path:
        return self.dir / "asfn.onnx"


@pytest.fixture(scope="session")
def tiny_onnx(tmp_path_factory) -> TinyOnnx:
    """Export igfc_tiny / asfn_tiny with random weights once per test session (about 10 s)."""
    import torch

    from isvi_models.export import export_asfn, export_igfc
    from isvi_models.nets import create_model
    from tests.isvi_models.random_nets import random_asfn

    out = tmp_path_factory.mktemp("tiny_models")
    torch.manual_seed(0)
    igfc = create_model("igfc_tiny").eval()
    asfn = random_asfn().eval()
    export_igfc(igfc, out / "igfc.onnx", variant="igfc_tiny")
    export_asfn(asfn, out / "asfn.onnx", variant="asfn_tiny")
    return TinyOnnx(out, igfc, asfn)
