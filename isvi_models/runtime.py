"""ONNX Runtime sessions for the exported networks: loaded once per process, on the best provider.

* :func:`load_model` caches one :class:`OnnxModel` per (path, file size, mtime) in the process, so
  the pipeline can ask for it per shot without reloading; re-exporting a file gives a new session.
* Providers: CUDA when ``onnxruntime.get_available_providers()`` lists it, else CPU. That list is
  what the wheel was built with, not what works: a CUDA request without the CUDA/cuDNN libraries
  silently falls back to CPU. So the session's ``get_providers()`` is what gets logged (logger
  ``isvi.runtime``), with a warning when CUDA was requested but is not in use.
* :func:`pad_to_multiple` / crop: the networks need H, W divisible by 8 (IGFC) or 4 (ASFN); inputs
  are edge-padded at the bottom/right and outputs cropped back.
* A missing, unreadable or wrong-kind file raises :class:`ModelError` naming the file.

NCHW arrays appear only here and inside the nets; callers (``learned.py``) pass channels-last.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from isvi_models.errors import ModelError

log = logging.getLogger("isvi.runtime")

CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"

_CACHE: dict[tuple, "OnnxModel"] = {}
_LOCK = threading.Lock()


def default_providers() -> list[str]:
    """CUDA then CPU when this onnxruntime build has CUDA, else CPU only."""
    import onnxruntime as ort

    return [CUDA, CPU] if CUDA in ort.get_available_providers() else [CPU]


@dataclass
class OnnxModel:
    """An ONNX Runtime session plus what the file says about itself.

    Attributes:
        path: the file.  providers: providers actually in use (``session.get_providers()``).
        kind: ``isvi.model`` metadata ("igfc", "asfn" or "" for foreign files).
        pad_multiple: H and W must be divisible by it.  metadata: all metadata props.
    """

    path: Path
    session: object
    providers: list[str]
    kind: str
    pad_multiple: int
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def input_names(self) -> list[str]:
        return [i.name for i in self.session.get_inputs()]

    def run(self, feeds: dict[str, np.ndarray], outputs: list[str] | None = None) -> list[np.ndarray]:
        """Run on NCHW float32 ``feeds`` whose H, W are already multiples of ``pad_multiple``."""
        return self.session.run(outputs, {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in feeds.items()})


def _create(path: Path, providers: list[str]) -> OnnxModel:
    import onnxruntime as ort

    try:
        session = ort.InferenceSession(str(path), providers=providers)
    except Exception as exc:  # noqa: BLE001 - ORT raises several pybind types for bad files
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(path, f"not a loadable ONNX model ({msg})") from exc
    used = session.get_providers()
    meta = dict(session.get_modelmeta().custom_metadata_map)
    if CUDA in providers and CUDA not in used:
        log.warning("%s: CUDA was requested but ONNX Runtime fell back to %s (missing CUDA/cuDNN libraries?)",
                    path, used)
    log.info("%s: loaded on %s", path, ", ".join(used))
    try:
        multiple = int(meta.get("isvi.pad_multiple", "1"))
    except ValueError:
        multiple = 1
    return OnnxModel(path=path, session=session, providers=used, kind=meta.get("isvi.model", ""),
                     pad_multiple=max(1, multiple), metadata=meta)


def load_model(path: str | Path, *, kind: str | None = None, providers: list[str] | None = None) -> OnnxModel:
    """The process-wide session for ``path``; created on first use.

    Args:
        path: an ``.onnx`` file written by :mod:`isvi_models.export`.
        kind: if given ("igfc" / "asfn"), the file's ``isvi.model`` metadata must match.
        providers: explicit provider list; default :func:`default_providers`.

    Raises:
        ModelError: the file is missing, unreadable, or holds another kind of model.
    """
    path = Path(path).expanduser().resolve()
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise ModelError(path, "model file not found (write one with `isvi export -o DIR`)") from None
    if not path.is_file():
        raise ModelError(path, "not a file")
    chosen = list(providers) if providers else default_providers()
    key = (str(path), stat.st_size, stat.st_mtime_ns, tuple(chosen))
    with _LOCK:
        model = _CACHE.get(key)
        if model is None:
            model = _create(path, chosen)
            _CACHE[key] = model
    if kind is not None and model.kind != kind:
        raise ModelError(path, f"expected an {kind!r} model, the file holds {model.kind or 'an unknown model'!r}")
    return model


def clear_cache() -> None:
    """Drop every cached session (tests; or to release GPU memory)."""
    with _LOCK:
        _CACHE.clear()


def pad_to_multiple(x: np.ndarray, multiple: int) -> np.ndarray:
    """Edge-pad the last two axes (H, W) at the bottom/right up to multiples of ``multiple``."""
    h, w = x.shape[-2:]
    ph, pw = -h % multiple, -w % multiple
    if ph == 0 and pw == 0:
        return x
    pad = [(0, 0)] * (x.ndim - 2) + [(0, ph), (0, pw)]
    return np.pad(x, pad, mode="edge")


def crop_to(x: np.ndarray, height: int, width: int) -> np.ndarray:
    """Undo :func:`pad_to_multiple`: keep the top-left ``height`` x ``width`` of the last two axes."""
    return x[..., :height, :width]


def run_batched(model: OnnxModel, feeds: dict[str, np.ndarray], output: str, *, batch_size: int) -> np.ndarray:
    """Run ``model`` over axis 0 of NCHW ``feeds`` in chunks of ``batch_size``, padding H, W and cropping back.

    Every feed with >= 4 dims is padded on its last two axes; lower-rank feeds (IGFC's shifts) pass
    through. Returns the concatenated ``output``, cropped to the input's H, W.
    """
    n = next(iter(feeds.values())).shape[0]
    h, w = next(v for v in feeds.values() if v.ndim >= 4).shape[-2:]
    results = []
    for start in range(0, n, max(1, batch_size)):
        chunk = {k: v[start:start + batch_size] for k, v in feeds.items()}
        chunk = {k: pad_to_multiple(v, model.pad_multiple) if v.ndim >= 4 else v for k, v in chunk.items()}
        (out,) = model.run(chunk, [output])
        results.append(crop_to(out, h, w))
    return np.concatenate(results, axis=0)
