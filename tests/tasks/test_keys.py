"""Stage keys: the settings and files each stage's fingerprint covers."""

from tests.tasks.test_stages import CFG


def test_models_enter_stage_keys_by_content(tmp_path):
    from tasks.keys import stage_config

    (tmp_path / "m1").mkdir(), (tmp_path / "m2").mkdir(), (tmp_path / "m3").mkdir()
    (tmp_path / "m1" / "igfc.onnx").write_bytes(b"weights-a")
    (tmp_path / "m2" / "igfc.onnx").write_bytes(b"weights-a")
    (tmp_path / "m3" / "igfc.onnx").write_bytes(b"weights-b")
    key = [stage_config(CFG.model_copy(update={"models": tmp_path / m}), "complete")["models"]
           for m in ("m1", "m2", "m3")]
    assert key[0] == key[1] != key[2]
    assert stage_config(CFG, "flow") == {"flow_preset": "ultrafast", "max_side": CFG.max_side, "roi": True,
                                         "roi_margin_px": CFG.roi_margin_px, "reference_stride": 5,
                                         "reference_frames": 12, "noise_flow_px": 1.0}
