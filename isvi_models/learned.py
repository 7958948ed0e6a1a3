"""Learned stages for the pipeline: IGFC flow completion and ASFN gradient refinement via ONNX Runtime.

Both implement the protocols of :mod:`isvi_models.interfaces`, take and return channels-last
numpy arrays, and only change values inside the holes. The pipeline gets them from
:func:`load_flow_completer` / :func:`load_gradient_refiner` given a models directory holding
``igfc.onnx`` / ``asfn.onnx`` (written by ``isvi export``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from isvi_models.errors import ModelError, StageError, check_shape
from isvi_models.interfaces import Direction
from isvi_models.runtime import load_model, run_batched

IGFC_FILE = "igfc.onnx"
ASFN_FILE = "asfn.onnx"


def window_indices(pivot: int, count: int, num_frames: int, interval: int) -> list[int]:
    """Flow indices of the window around ``pivot`` among ``count`` flows, mirrored at the ends.

    ``pivot + interval * k`` for k in -F//2..F//2; an index below 0 becomes its absolute value,
    one above count-1 becomes 2(count-1) - index (as ISVI's ``indicesGen``), then clipped into
    range for windows longer than the sequence.
    """
    half = num_frames // 2
    out = []
    for k in range(-half, half + 1):
        i = pivot + interval * k
        if i < 0:
            i = -i
        if i > count - 1:
            i = 2 * (count - 1) - i
        out.append(min(max(i, 0), count - 1))
    return out


class IGFCCompleter:
    """:class:`~isvi_models.interfaces.FlowCompleter` running IGFC from an ONNX file.

    Per call: Laplacian-fill every flow inside its hole (the network's input), reverse the
    sequence for ``"backward"`` so both directions satisfy the same inertia relation, and run one
    window per pivot that has a hole (shifts = pivot - window index, as a float input). The result
    is ``out`` inside the hole and the caller's flow outside it.

    Args:
        model_path: ``igfc.onnx``.  num_frames: window length; must match the file.
        interval: step between window flows.  batch_size: windows per ONNX Runtime call.
    """

    def __init__(self, model_path: str | Path, *, num_frames: int = 3, interval: int = 1, batch_size: int = 4):
        self.model = load_model(model_path, kind="igfc")
        file_frames = int(self.model.metadata.get("isvi.num_frames", num_frames))
        if file_frames != num_frames:
            raise ModelError(self.model.path, f"model was exported for windows of {file_frames} flows, "
                                              f"asked for {num_frames}")
        if interval < 1:
            raise ValueError(f"interval must be >= 1, got {interval}")
        self.num_frames, self.interval, self.batch_size = num_frames, interval, batch_size

    def __call__(self, flows: np.ndarray, holes: np.ndarray, direction: Direction) -> np.ndarray:
        from isvi_models.ops.flow_completion import laplace_fill_flows

        check_shape(flows, "K H W 2", "flows")
        check_shape(holes, f"{flows.shape[0]} {flows.shape[1]} {flows.shape[2]}", "holes")
        if direction not in ("forward", "backward"):
            raise StageError(f"direction must be 'forward' or 'backward', got {direction!r}")
        raw = flows.astype(np.float32)
        holes = holes.astype(bool)
        if direction == "backward":
            raw, holes = raw[::-1], holes[::-1]
        filled = laplace_fill_flows(raw, holes)
        out = raw.copy()
        pivots = [i for i in range(len(raw)) if holes[i].any()]
        if pivots:
            completed = self._complete(filled, holes, pivots)
            for j, i in enumerate(pivots):
                out[i] = np.where(holes[i][..., None], completed[j], raw[i])
        return np.ascontiguousarray(out[::-1] if direction == "backward" else out)

    def _complete(self, filled: np.ndarray, holes: np.ndarray, pivots: list[int]) -> np.ndarray:
        """Network output (P, H, W, 2) for each pivot of ``pivots``; windows are gathered per batch."""
        flows_nchw = filled.transpose(0, 3, 1, 2)  # (K, 2, H, W)
        masks = holes[:, None].astype(np.float32)  # (K, 1, H, W)
        outs = []
        for start in range(0, len(pivots), self.batch_size):
            chunk = np.asarray(pivots[start:start + self.batch_size])
            idx = np.asarray([window_indices(i, len(filled), self.num_frames, self.interval) for i in chunk])
            feeds = {
                "flows": flows_nchw[idx],  # (P, T, 2, H, W)
                "masks": masks[idx],  # (P, T, 1, H, W)
                "shifts": (chunk[:, None] - idx).astype(np.float32),  # (P, T)
            }
            outs.append(run_batched(self.model, feeds, "flow", batch_size=self.batch_size))
        return np.concatenate(outs).transpose(0, 2, 3, 1)


class ASFNRefiner:
    """:class:`~isvi_models.interfaces.GradientRefiner` running ASFN from an ONNX file.

    x- and y-gradients of the frames with a hole go through the network together (one batch
    axis); the refined values replace the input only inside the hole. Frames without a hole are
    returned unchanged without running the network.

    Args:
        model_path: ``asfn.onnx``.  batch_size: gradient maps per ONNX Runtime call.
    """

    def __init__(self, model_path: str | Path, *, batch_size: int = 8):
        self.model = load_model(model_path, kind="asfn")
        self.batch_size = batch_size

    def __call__(self, gx: np.ndarray, gy: np.ndarray, holes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        check_shape(gx, "T H W 3", "gx")
        check_shape(gy, " ".join(str(s) for s in gx.shape), "gy")
        check_shape(holes, " ".join(str(s) for s in gx.shape[:3]), "holes")
        holes = holes.astype(bool)
        out_x, out_y = gx.astype(np.float32), gy.astype(np.float32)  # copies: inputs stay untouched
        frames = np.flatnonzero(holes.reshape(len(holes), -1).any(axis=1))
        if len(frames) == 0:
            return out_x, out_y
        grads = np.concatenate((out_x[frames], out_y[frames])).transpose(0, 3, 1, 2)  # (2F, 3, H, W)
        mask = holes[frames][:, None].astype(np.float32)
        feeds = {"image": grads, "mask": np.concatenate((mask, mask))}
        refined = run_batched(self.model, feeds, "refined", batch_size=self.batch_size).transpose(0, 2, 3, 1)
        inside = holes[frames][..., None]
        out_x[frames] = np.where(inside, refined[: len(frames)], out_x[frames])
        out_y[frames] = np.where(inside, refined[len(frames):], out_y[frames])
        return out_x, out_y


SHIPPED_MODELS = Path(__file__).resolve().parent / "weights"  # the trained igfc.onnx / asfn.onnx in the package


def _require(models_dir: str | Path, name: str) -> Path:
    path = Path(models_dir) / name
    if not path.is_file():
        raise ModelError(path, f"model file not found in {Path(models_dir)} (write it with `isvi export -o DIR`)")
    return path


def load_flow_completer(models_dir: str | Path, **kwargs) -> IGFCCompleter:
    """IGFC from ``models_dir/igfc.onnx``; raises :class:`ModelError` naming the file if absent or bad."""
    return IGFCCompleter(_require(models_dir, IGFC_FILE), **kwargs)


def load_gradient_refiner(models_dir: str | Path, **kwargs) -> ASFNRefiner:
    """ASFN from ``models_dir/asfn.onnx``; raises :class:`ModelError` naming the file if absent or bad."""
    return ASFNRefiner(_require(models_dir, ASFN_FILE), **kwargs)
