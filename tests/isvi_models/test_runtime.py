"""ONNX Runtime wrapper: per-process cache, provider choice and logging, padding, clear errors."""

from __future__ import annotations

import logging
import os
import shutil

import numpy as np
import onnxruntime as ort
import pytest

from isvi_models.errors import ModelError
from isvi_models.runtime import (CPU, CUDA, clear_cache, crop_to, default_providers, load_model, pad_to_multiple,
                                 run_batched)


@pytest.fixture(autouse=True)
def fresh_cache():
    clear_cache()
    yield
    clear_cache()


class TestLoadModel:
    def test_cached_once_per_process_and_reloaded_after_rewrite(self, tiny_onnx, tmp_path):
        path = tmp_path / "asfn.onnx"
        shutil.copy(tiny_onnx.asfn_path, path)
        first = load_model(path, kind="asfn")
        assert load_model(path) is first
        os.utime(path, ns=(1, 1))  # a re-exported file (new mtime) gets a new session
        assert load_model(path) is not first

    def test_provider_in_use_is_logged(self, tiny_onnx, caplog):
        with caplog.at_level(logging.INFO, logger="isvi.runtime"):
            model = load_model(tiny_onnx.igfc_path)
        assert model.providers == model.session.get_providers()
        assert any("CPUExecutionProvider" in r.getMessage() for r in caplog.records if r.name == "isvi.runtime")

    def test_default_providers_follow_the_installed_build(self):
        expected = [CUDA, CPU] if CUDA in ort.get_available_providers() else [CPU]
        assert default_providers() == expected

    @pytest.mark.skipif(CUDA in ort.get_available_providers(), reason="needs an onnxruntime build without CUDA")
    @pytest.mark.filterwarnings("ignore:Specified provider:UserWarning")  # ORT's own notice of the fallback
    def test_cuda_request_falling_back_to_cpu_warns(self, tiny_onnx, caplog):
        with caplog.at_level(logging.WARNING, logger="isvi.runtime"):
            model = load_model(tiny_onnx.asfn_path, providers=[CUDA, CPU])
        assert model.providers == [CPU]
        assert any("fell back" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)

    def test_missing_file_names_it(self, tmp_path):
        with pytest.raises(ModelError, match="nothere.onnx: model file not found"):
            load_model(tmp_path / "nothere.onnx")

    def test_corrupt_file_names_it(self, tmp_path, tiny_onnx):
        bad = tmp_path / "broken.onnx"
        bad.write_bytes(tiny_onnx.asfn_path.read_bytes()[:500])  # truncated download
        with pytest.raises(ModelError, match="broken.onnx: not a loadable ONNX model"):
            load_model(bad)

    def test_wrong_kind_is_refused(self, tiny_onnx):
        with pytest.raises(ModelError, match="expected an 'igfc' model"):
            load_model(tiny_onnx.asfn_path, kind="igfc")


class TestPadding:
    def test_pad_then_crop_round_trips(self):
        x = np.random.default_rng(0).normal(size=(2, 3, 37, 53)).astype(np.float32)
        padded = pad_to_multiple(x, 8)
        assert padded.shape == (2, 3, 40, 56)
        np.testing.assert_array_equal(padded[..., 37:, :53], np.repeat(x[..., 36:37, :], 3, axis=2))
        np.testing.assert_array_equal(crop_to(padded, 37, 53), x)
        assert pad_to_multiple(padded, 8) is padded

    def test_odd_sizes_run_and_batching_does_not_change_results(self, tiny_onnx):
        model = load_model(tiny_onnx.asfn_path)
        rng = np.random.default_rng(1)
        image = rng.uniform(-1, 1, (5, 3, 30, 45)).astype(np.float32)
        mask = np.zeros((5, 1, 30, 45), np.float32)
        mask[:, :, 10:18, 5:25] = 1
        feeds = {"image": image, "mask": mask}
        one = run_batched(model, feeds, "refined", batch_size=1)
        all_ = run_batched(model, feeds, "refined", batch_size=5)
        assert one.shape == (5, 3, 30, 45) and one.dtype == np.float32
        np.testing.assert_allclose(one, all_, atol=1e-5)
        manual = model.run({"image": pad_to_multiple(image, 4), "mask": pad_to_multiple(mask, 4)})[0]
        np.testing.assert_allclose(one, manual[..., :30, :45], atol=1e-5)
