"""``isvi evaluate`` end to end on tiny frame folders and videos written in the test."""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from isvi.cli import main
from tasks.evaluation.metrics import score_clip
from media.video import FrameWriter, VideoInfo, read_video
from tests.tasks.evaluation.helpers import box_holes, panning_clip


def _folder(path: Path, frames: np.ndarray) -> Path:
    path.mkdir(parents=True)
    for i, f in enumerate(frames):
        img = f if f.ndim == 2 else cv2.cvtColor(f, cv2.COLOR_RGB2BGR)
        cv2.imwrite(str(path / f"{i:05d}.png"), img)
    return path


@pytest.fixture()
def clip(tmp_path):
    gt = panning_clip(5, 80, 128, dx=2, seed=2)
    holes = box_holes(5, 80, 128, 20, 40, 40, 80)
    res = gt.copy()
    res[holes] += 5  # texture <= 235: no overflow
    return {"gt": gt, "holes": holes, "res": res, "gt_dir": _folder(tmp_path / "gt", gt),
            "mask_dir": _folder(tmp_path / "masks", holes.astype(np.uint8) * 255),
            "res_dir": _folder(tmp_path / "res", res), "tmp": tmp_path}


def test_evaluate_prints_and_writes_known_numbers(clip, capsys):
    out_json = clip["tmp"] / "scores.json"
    rc = main(["evaluate", str(clip["res_dir"]), "--gt", str(clip["gt_dir"]), "--masks", str(clip["mask_dir"]),
               "--json", str(out_json)])
    text = capsys.readouterr().out
    assert rc == 0
    expected_hole = 20 * math.log10(255 / 5)
    assert "PSNR in hole (dB)" in text and f"{expected_hole:.2f}" in text
    assert "LPIPS skipped" in text or "LPIPS, whole frame" in text
    data = json.loads(out_json.read_text())
    s = data["summary"]
    assert s["psnr_hole"] == pytest.approx(expected_hole)
    assert s["flicker"] == pytest.approx(0.0)
    assert s["outside_unchanged"] is True and s["outside_max_abs"] == 0 and s["frames"] == 5
    ref, _ = score_clip(clip["res"], clip["gt"], clip["holes"])
    for k in ("psnr", "ssim", "ssim_w65", "ssim_hole", "warp_error"):
        assert s[k] == pytest.approx(ref[k]), k
    assert len(data["per_frame"]["psnr"]) == 5 and data["per_frame"]["flicker"][0] is None


def test_change_outside_the_hole_is_reported(clip, capsys):
    res = clip["res"].copy()
    res[2, 0:3, 0:3] = 0  # far from the hole
    res[3, 41, 50] = 0  # 1 px below the hole: inside the default 4-px band
    res_dir = _folder(clip["tmp"] / "res_bad", res)
    rc = main(["evaluate", str(res_dir), "--gt", str(clip["gt_dir"]), "--masks", str(clip["mask_dir"]),
               "--json", str(clip["tmp"] / "bad.json")])
    text = capsys.readouterr().out
    assert rc == 0 and "NO" in text
    s = json.loads((clip["tmp"] / "bad.json").read_text())["summary"]
    assert s["outside_unchanged"] is False
    assert s["outside_max_abs"] == int(clip["gt"][2, 0:3, 0:3].max())
    n_checked = 5 * 80 * 128 - 5 * int(_band(clip["holes"][0], 4).sum())
    assert s["outside_changed_fraction"] == pytest.approx(9 / n_checked)
    main(["evaluate", str(res_dir), "--gt", str(clip["gt_dir"]), "--masks", str(clip["mask_dir"]),
          "--dilate-px", "0", "--json", str(clip["tmp"] / "strict.json")])
    strict = json.loads((clip["tmp"] / "strict.json").read_text())["summary"]
    assert strict["outside_changed_fraction"] * (5 * 80 * 128 - clip["holes"].sum()) == pytest.approx(10)


def _band(hole, r):
    from media.masks import dilate_holes

    return dilate_holes(hole[None], r)[0]


def test_evaluate_reads_a_video_result(clip, capsys):
    info = VideoInfo(clip["tmp"] / "res.mp4", 5, 128, 80, Fraction(25))
    with FrameWriter(info.path, info, crf=0) as w:
        w.write(clip["res"])
        w.commit()
    rc = main(["evaluate", str(info.path), "--gt", str(clip["gt_dir"]), "--masks", str(clip["mask_dir"]),
               "--outside-tol", "6", "--json", str(clip["tmp"] / "v.json")])
    assert rc == 0
    s = json.loads((clip["tmp"] / "v.json").read_text())["summary"]
    # H.264 in yuv420p is lossy even at crf 0: the scores are those of the decoded frames
    decoded, _ = read_video(info.path)
    from media.masks import dilate_holes

    ref, _ = score_clip(decoded, clip["gt"], clip["holes"], dilate_holes(clip["holes"], 4), outside_tol=6)
    for k in ("psnr", "psnr_hole", "ssim_hole", "flicker", "outside_max_abs", "outside_changed_fraction"):
        assert s[k] == pytest.approx(ref[k]), k
    assert s["outside_unchanged"] is (ref["outside_max_abs"] <= 6)


def test_an_odd_sized_clips_h264_result_is_scored_on_its_own_size(clip):
    """The H.264 output of an odd-sized input is one column and row larger (4:2:0 needs even sides):
    evaluate scores its top-left part against the ground truth instead of refusing the size."""
    gt, holes = clip["gt"][:, :79, :127], clip["holes"][:, :79, :127]
    gt_dir, mask_dir = _folder(clip["tmp"] / "gt_odd", gt), _folder(clip["tmp"] / "m_odd", holes.astype(np.uint8) * 255)
    info = VideoInfo(clip["tmp"] / "res_odd.mp4", 5, 127, 79, Fraction(25))
    with FrameWriter(info.path, info, crf=0) as w:
        w.write(clip["res"][:, :79, :127])
        w.commit()
    assert read_video(info.path)[1].width == 128
    assert main(["evaluate", str(info.path), "--gt", str(gt_dir), "--masks", str(mask_dir),
                 "--json", str(clip["tmp"] / "odd.json")]) == 0
    s = json.loads((clip["tmp"] / "odd.json").read_text())["summary"]
    from media.masks import dilate_holes

    decoded = read_video(info.path)[0][:, :79, :127]
    ref, _ = score_clip(decoded, gt, holes, dilate_holes(holes, 4))
    for k in ("psnr", "psnr_hole", "outside_max_abs"):
        assert s[k] == pytest.approx(ref[k]), k


def test_bad_inputs_name_the_file(clip, capsys):
    short = _folder(clip["tmp"] / "short", clip["res"][:4])
    assert main(["evaluate", str(short), "--gt", str(clip["gt_dir"]), "--masks", str(clip["mask_dir"])]) == 2
    err = capsys.readouterr().err
    assert str(short) in err and "4 frames" in err and "5" in err

    small = _folder(clip["tmp"] / "small", clip["res"][:, :32])
    assert main(["evaluate", str(small), "--gt", str(clip["gt_dir"]), "--masks", str(clip["mask_dir"])]) == 2
    assert "128x32" in capsys.readouterr().err

    few_masks = _folder(clip["tmp"] / "few_masks", clip["holes"][:3].astype(np.uint8) * 255)
    assert main(["evaluate", str(clip["res_dir"]), "--gt", str(clip["gt_dir"]), "--masks", str(few_masks)]) == 2
    assert str(few_masks) in capsys.readouterr().err

    missing = clip["tmp"] / "nope"
    assert main(["evaluate", str(clip["res_dir"]), "--gt", str(missing), "--masks", str(clip["mask_dir"])]) == 2
    assert str(missing) in capsys.readouterr().err
