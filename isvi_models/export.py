"""Export IGFC and ASFN to ONNX (dynamo exporter, opset 18) and check the files against PyTorch.

The files have a dynamic batch, height and width. Height and width are declared as multiples of
the network's ``pad_multiple`` (8 for IGFC, 4 for ASFN); :mod:`isvi_models.runtime` pads to it.
Spectral norm is folded into plain weights first. Each file is written to a temporary name in
the target directory, checked with ``onnx.checker`` and moved into place with ``os.replace``, so
a crash never leaves a half-written ``igfc.onnx`` behind. Metadata props record what the file
holds (``isvi.model``, ``isvi.variant``, ``isvi.config``, ``isvi.pad_multiple``, ...), and the
runtime checks them.

The legacy TorchScript exporter is not used: it miscomputes accumulation with repeated indices.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn
from torch.export import Dim

from isvi_models.atomic import atomic_path
from isvi_models.errors import ModelError
from isvi_models.nets import ASFN, IGFC, create_model, fold_spectral_norm

OPSET = 18
FILENAMES = {"igfc": "igfc.onnx", "asfn": "asfn.onnx"}
IGFC_INPUTS = ("flows", "masks", "shifts")
IGFC_OUTPUTS = ("flow", "flow_4", "flow_2")
ASFN_INPUTS = ("image", "mask")
ASFN_OUTPUTS = ("refined",)
PARITY_ATOL = 1e-4


def igfc_sample_inputs(model: IGFC, batch: int = 1, height: int = 64, width: int = 96, *,
                       seed: int = 0) -> dict[str, torch.Tensor]:
    """Random IGFC inputs: flows of a few pixels, ~30 % holes, shifts from the mirrored-window patterns."""
    g = torch.Generator().manual_seed(seed)
    t = model.num_frames
    flows = torch.randn(batch, t, 2, height, width, generator=g) * 3.0
    masks = (torch.rand(batch, t, 1, height, width, generator=g) < 0.3).float()
    shifts = torch.randint(-2, 3, (batch, t), generator=g).float()
    shifts[:, t // 2] = 0
    return {"flows": flows, "masks": masks, "shifts": shifts}


def asfn_sample_inputs(batch: int = 1, height: int = 64, width: int = 96, *, seed: int = 0) -> dict[str, torch.Tensor]:
    """Random ASFN inputs: gradients in [-1, 1] and a rectangular hole per sample."""
    g = torch.Generator().manual_seed(seed)
    image = torch.rand(batch, 3, height, width, generator=g) * 2 - 1
    mask = torch.zeros(batch, 1, height, width)
    mask[:, :, height // 4: height // 2 + 3, width // 3: width // 2 + 5] = 1.0
    return {"image": image, "mask": mask}


def prepare_for_export(model: nn.Module) -> nn.Module:
    """An eval-mode copy with spectral norm folded; the caller's model is untouched.

    The copy is rebuilt from ``model.config`` rather than ``copy.deepcopy``: a deep copy shares the
    dynamically created parametrised class, and removing the parametrisation from the copy would
    strip the ``weight`` property from the original too.
    """
    twin = type(model)(**model.config)
    twin.load_state_dict(model.state_dict())
    return fold_spectral_norm(twin.eval())


def _dims(multiple: int) -> tuple[Dim, Dim, Dim]:
    batch = Dim("batch", min=1, max=4096)
    height = multiple * Dim("height_blocks", min=1, max=8192 // multiple)
    width = multiple * Dim("width_blocks", min=1, max=8192 // multiple)
    return batch, height, width


def _finish(proto: onnx.ModelProto, path: Path, props: dict[str, str]) -> Path:
    """Name the symbolic dims, add metadata, check, and write ``path`` atomically."""
    for value in list(proto.graph.input) + list(proto.graph.output):
        dims = value.type.tensor_type.shape.dim
        if dims and dims[0].dim_param:
            dims[0].dim_param = "batch"
        suffix = {"flow_4": "_4", "flow_2": "_2"}.get(value.name, "")
        if len(dims) >= 4:
            dims[-2].dim_param, dims[-1].dim_param = f"height{suffix}", f"width{suffix}"
    onnx.helper.set_model_props(proto, props)
    onnx.checker.check_model(proto, full_check=False)
    path = Path(path)
    with atomic_path(path) as tmp:
        onnx.save_model(proto, str(tmp))
        onnx.checker.check_model(str(tmp))
    return path


def _export(model: nn.Module, args: tuple, input_names, output_names, dynamic_shapes) -> onnx.ModelProto:
    # The exporter prints progress lines, warns from its own internals and logs that torchvision
    # ops are skipped (we use none); keep the CLI output to what concerns the user.
    registration_log = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = registration_log.level
    registration_log.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            program = torch.onnx.export(model, args, None, input_names=list(input_names),
                                        output_names=list(output_names), opset_version=OPSET, dynamo=True,
                                        dynamic_shapes=dynamic_shapes, external_data=False, verbose=False)
    finally:
        registration_log.setLevel(level)
    return program.model_proto


def export_igfc(model: IGFC, path: str | Path, *, variant: str = "igfc") -> Path:
    """Write ``model`` as ONNX: inputs flows (B,T,2,H,W), masks (B,T,1,H,W), shifts (B,T); outputs flow, flow_4, flow_2."""
    net = prepare_for_export(model)
    inputs = igfc_sample_inputs(net, batch=2)  # batch 1 would invite specialising the batch dim
    batch, height, width = _dims(IGFC.pad_multiple)
    dyn = {"flows": {0: batch, 3: height, 4: width}, "masks": {0: batch, 3: height, 4: width}, "shifts": {0: batch}}
    proto = _export(net, tuple(inputs.values()), IGFC_INPUTS, IGFC_OUTPUTS, dyn)
    props = {"isvi.model": "igfc", "isvi.variant": variant, "isvi.config": json.dumps(net.config, sort_keys=True),
             "isvi.pad_multiple": str(IGFC.pad_multiple), "isvi.num_frames": str(net.num_frames)}
    return _finish(proto, Path(path), props)


def export_asfn(model: ASFN, path: str | Path, *, variant: str = "asfn") -> Path:
    """Write ``model`` as ONNX: inputs image (B,3,H,W), mask (B,1,H,W); output refined (B,3,H,W)."""
    net = prepare_for_export(model)
    inputs = asfn_sample_inputs(batch=2)
    batch, height, width = _dims(ASFN.pad_multiple)
    dyn = {"image": {0: batch, 2: height, 3: width}, "mask": {0: batch, 2: height, 3: width}}
    proto = _export(net, tuple(inputs.values()), ASFN_INPUTS, ASFN_OUTPUTS, dyn)
    props = {"isvi.model": "asfn", "isvi.variant": variant, "isvi.config": json.dumps(net.config, sort_keys=True),
             "isvi.pad_multiple": str(ASFN.pad_multiple)}
    return _finish(proto, Path(path), props)


def max_abs_diff(model: nn.Module, onnx_path: str | Path, inputs: dict[str, torch.Tensor]) -> float:
    """Largest |ONNX Runtime (CPU) - PyTorch| over all outputs, for the spectral-norm-folded eval model."""
    import onnxruntime as ort

    net = prepare_for_export(model)
    with torch.no_grad():
        ref = net(*inputs.values())
    ref = ref if isinstance(ref, tuple) else (ref,)
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    out = sess.run(None, {k: v.numpy() for k, v in inputs.items()})
    return max(float(np.abs(r.numpy() - o).max()) for r, o in zip(ref, out))


def load_checkpoint(model: nn.Module, path: str | Path) -> nn.Module:
    """Load a torch state_dict (bare, or under ``state_dict`` / ``model_state_dict`` / ``model``) strictly."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(path, "checkpoint file not found")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means a bad file
        raise ModelError(path, f"cannot read checkpoint ({type(exc).__name__}: {exc})") from exc
    if isinstance(state, dict):
        for key in ("state_dict", "model_state_dict", "model"):
            if isinstance(state.get(key), dict):
                state = state[key]
                break
    if not isinstance(state, dict):
        raise ModelError(path, f"expected a state_dict, got {type(state).__name__}")
    state = {k.removeprefix("module."): v for k, v in state.items()}
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0:3]
        raise ModelError(path, f"checkpoint does not fit {type(model).__name__}{model.config}: {' '.join(first)}") from exc
    return model


def export_models(out_dir: str | Path, *, which: tuple[str, ...] = ("igfc", "asfn"),
                  igfc_variant: str = "igfc_base", asfn_variant: str = "asfn_base",
                  igfc_kwargs: dict | None = None, asfn_kwargs: dict | None = None,
                  igfc_ckpt: str | Path | None = None, asfn_ckpt: str | Path | None = None,
                  random_weights: bool = False, seed: int = 0, verify: bool = True) -> dict[str, Path]:
    """Build, load and export the models named in ``which`` into ``out_dir`` as igfc.onnx / asfn.onnx.

    Each model needs its checkpoint, or ``random_weights=True`` (seeded by ``seed``; for tests and
    benchmarks: no trained weights are published). With ``verify`` the file is run by ONNX Runtime
    on a random input of another size than the one traced and must match PyTorch to
    1e-4 * max(1, |output|), else :class:`ModelError`.
    """
    specs = {"igfc": (igfc_variant, igfc_kwargs or {}, igfc_ckpt, export_igfc),
             "asfn": (asfn_variant, asfn_kwargs or {}, asfn_ckpt, export_asfn)}
    unknown = set(which) - set(specs)
    if unknown:
        raise ValueError(f"unknown model kind(s) {sorted(unknown)}; choose from {sorted(specs)}")
    written: dict[str, Path] = {}
    for offset, kind in enumerate(which):
        variant, kwargs, ckpt, export_fn = specs[kind]
        if ckpt is None and not random_weights:
            raise ModelError(None, f"{kind}: no checkpoint given; pass one or ask for random weights")
        torch.manual_seed(seed + offset)
        model = create_model(variant, **kwargs)
        if ckpt is not None:
            load_checkpoint(model, ckpt)
        path = export_fn(model, Path(out_dir) / FILENAMES[kind], variant=variant)
        if verify:
            _verify(kind, model, path)
        written[kind] = path
    return written


def _verify(kind: str, model: nn.Module, path: Path) -> None:
    inputs = igfc_sample_inputs(model, 2, 40, 56, seed=1) if kind == "igfc" else asfn_sample_inputs(2, 36, 52, seed=1)
    with torch.no_grad():
        ref = prepare_for_export(model)(*inputs.values())
    scale = max(1.0, max(float(r.abs().max()) for r in (ref if isinstance(ref, tuple) else (ref,))))
    diff = max_abs_diff(model, path, inputs)
    if diff > PARITY_ATOL * scale:
        raise ModelError(path, f"ONNX Runtime output differs from PyTorch by {diff:.3g} (allowed {PARITY_ATOL * scale:.3g})")
