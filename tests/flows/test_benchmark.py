"""``isvi benchmark`` (the Prefect flow) on a tiny synthetic clip folder, end to end."""

from __future__ import annotations

import json
from fractions import Fraction

import cv2
import numpy as np
import pytest

from isvi.cli import main
from media.video import FrameWriter, VideoInfo

from tests.tasks.evaluation.helpers import box_holes, panning_clip, texture



@pytest.fixture(scope="module")
def clips_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("clips")
    # clip "pan": H.264 ground truth + per-frame masks (a static box the camera pans under)
    pan = root / "pan"
    (pan / "masks").mkdir(parents=True)
    gt = panning_clip(6, 64, 128, dx=2, seed=0)
    info = VideoInfo(pan / "gt.mp4", 6, 128, 64, Fraction(25))
    with FrameWriter(info.path, info, crf=0) as w:
        w.write(gt)
        w.commit()
    for i, m in enumerate(box_holes(6, 64, 128, 20, 40, 30, 60)):
        cv2.imwrite(str(pan / "masks" / f"{i:05d}.png"), m.astype(np.uint8) * 255)
    # clip "still": a static scene as a frame folder, holes from a generator named in meta.json
    still = root / "still"
    (still / "gt").mkdir(parents=True)
    bg = texture(64, 96, 1)
    for i in range(6):
        cv2.imwrite(str(still / "gt" / f"{i:05d}.png"), cv2.cvtColor(bg, cv2.COLOR_RGB2BGR))
    (still / "meta.json").write_text(json.dumps({"mask_generator": "squares:1,size_frac=0.2,max_speed_px=6"}))
    (root / "not_a_clip").mkdir()
    return root


def test_benchmark_writes_a_report_with_honest_numbers(on_prefect_server, clips_dir, tmp_path, capsys):
    out = tmp_path / "report"
    rc = main(["benchmark", str(clips_dir), "-o", str(out), "--methods", "telea,temporal_nearest,blank",
               "--max-frames", "5", "--sheet-frames", "2"])
    assert rc == 0, capsys.readouterr()
    data = json.loads((out / "results.json").read_text())
    assert set(data["clips"]) == {"pan", "still"}
    assert data["meta"]["command"].startswith("isvi benchmark ")
    still = data["clips"]["still"]
    assert still["frames"] == 5 and still["mask"].startswith("squares:1")
    for clip in data["clips"].values():
        for method, r in clip["methods"].items():
            s = r["summary"]
            assert s["outside_unchanged"] and s["outside_max_abs"] == 0, method
            assert 0 < s["seconds_per_frame"] < 5 and 20 < s["peak_mb"] < 4000, method
            assert (out / r["sheet"]).is_file()
            assert len(r["per_frame"]["psnr_hole"]) == 5
    # static scene, moving hole: every hidden pixel is visible in another frame -> exact
    tn = still["methods"]["temporal_nearest"]["summary"]
    # (PSNR inf is written as null; with a hole in every frame, null cannot mean "no pixel to score")
    assert still["hole_fraction"] > 0.01 and tn["psnr_hole"] is None and tn["ssim_hole"] == pytest.approx(1.0)
    assert tn["warp_error"] == pytest.approx(0.0, abs=1e-6)
    # the blank floor is far below a real fill
    for clip in data["clips"].values():
        assert clip["methods"]["telea"]["summary"]["psnr_hole"] > clip["methods"]["blank"]["summary"]["psnr_hole"] + 5
    md = (out / "report.md").read_text()
    assert "## pan" in md and "## still" in md and "| temporal_nearest |" in md
    assert (out / "plots" / "quality_vs_time.png").is_file() and (out / "plots" / "psnr_hole_pan.png").is_file()
    assert not [p for p in out.iterdir() if p.name.startswith(".work-")]  # scratch removed


def test_bad_benchmark_inputs_fail_before_running(clips_dir, tmp_path, capsys):
    assert main(["benchmark", str(tmp_path / "missing"), "-o", str(tmp_path / "r")]) == 2
    assert "missing" in capsys.readouterr().err
    assert main(["benchmark", str(clips_dir), "-o", str(tmp_path / "r"), "--clips", "pan,nope"]) == 2
    assert "nope" in capsys.readouterr().err
    assert main(["benchmark", str(clips_dir), "-o", str(tmp_path / "r"), "--methods", "telea,magic"]) == 2
    assert "magic" in capsys.readouterr().err
    assert main(["benchmark", str(clips_dir), "-o", str(tmp_path / "r"), "--mask-generator", "circles"]) == 2
    assert "circles" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()
