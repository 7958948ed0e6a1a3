"""``InpaintConfig`` -> the method's settings; the learned stages use the shipped weights by default."""

import numpy as np

from isvi_models.learned import SHIPPED_MODELS
from tasks.config import InpaintConfig, method_settings, models_dir
from tasks.keys import stage_config


def test_learned_stages_use_the_shipped_weights_without_models():
    cfg = InpaintConfig(flow_completion="igfc", style_fusion="asfn")
    assert models_dir(cfg) == SHIPPED_MODELS and (SHIPPED_MODELS / "igfc.onnx").is_file()
    s = method_settings(cfg)
    assert type(s.completer).__name__ == "IGFCCompleter" and type(s.refiner).__name__ == "ASFNRefiner"
    # the weights, by content, key the learned stages' cache entries
    assert stage_config(cfg, "complete")["models"] == stage_config(
        cfg.model_copy(update={"models": SHIPPED_MODELS}), "complete")["models"] is not None
    assert models_dir(InpaintConfig()) is None and stage_config(InpaintConfig(), "complete")["models"] is None


def test_learned_stages_run_with_the_shipped_weights():
    from tasks.inpaint_video import inpaint_arrays

    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (4, 48, 64, 3), dtype=np.uint8)
    holes = np.zeros((4, 48, 64), bool)
    holes[:, 16:28, 20:36] = True
    out = inpaint_arrays(frames, holes, InpaintConfig(flow_completion="igfc", style_fusion="asfn", dilate_px=0,
                                                      flow_preset="ultrafast"))
    np.testing.assert_array_equal(out[~holes], frames[~holes])
    assert (out[holes] != frames[holes]).any()
