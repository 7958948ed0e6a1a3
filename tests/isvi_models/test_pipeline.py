import cv2
import numpy as np

from isvi_models.pipeline import MethodSettings, inpaint_window
from tests.synth import panned_clip, psnr, square_holes


def test_panning_clip_with_estimated_flow_beats_telea_inside_the_hole():
    frames = panned_clip(frames=12, height=96, width=128, dx=3)
    holes = square_holes(*frames.shape[:3], box=(30, 60, 45, 80))
    blank = np.where(holes[..., None], 0.0, frames).astype(np.float32)
    out = inpaint_window(blank, holes, MethodSettings())
    np.testing.assert_array_equal(out[~holes], blank[~holes])
    ours = psnr(out[holes], frames[holes])
    telea = np.stack([cv2.inpaint((f * 255).astype(np.uint8), h.astype(np.uint8), 3, cv2.INPAINT_TELEA)
                      for f, h in zip(blank, holes)]).astype(np.float32) / 255
    assert ours > 30.0
    assert ours > psnr(telea[holes], frames[holes]) + 5.0


def test_stages_are_reported_in_method_order():
    frames = panned_clip(frames=4, height=48, width=64)
    holes = square_holes(4, 48, 64, box=(10, 20, 10, 20))
    seen = []
    inpaint_window(frames, holes, on_stage=seen.append)
    assert seen[:3] == ["flow", "complete", "propagate"] and seen[-1] == "reconstruct"
