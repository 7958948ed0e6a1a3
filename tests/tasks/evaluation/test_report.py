"""The report for a tiny clip: files exist, numbers in Markdown match the JSON, JSON is strict."""

from __future__ import annotations

import json
import math

import numpy as np

from tasks.evaluation import baselines as B
from tasks.evaluation import report as R
from tasks.evaluation.metrics import score_clip

from .helpers import box_holes, panning_clip


def _tiny_results(tmp_path):
    gt = panning_clip(4, 48, 64, dx=1, seed=1)
    holes = box_holes(4, 48, 64, 12, 30, 20, 44)
    inp = gt.copy()
    inp[holes] = 0
    clip = {"frames": 4, "width": 64, "height": 48, "mask": "masks/", "hole_fraction": float(holes.mean()),
            "methods": {}}
    for name in ("telea", "temporal_nearest", "blank"):
        out = B.get_method(name)(inp, holes)
        summary, per = score_clip(out, gt, holes)
        summary.update(seconds_per_frame=0.01, peak_mb=100.0)
        idx = R.pick_sheet_frames(holes, 2)
        rel = f"sheets/tiny__{name}.png"
        R.write_png(tmp_path / rel, R.contact_sheet(inp[idx], out[idx], gt[idx], holes[idx]))
        clip["methods"][name] = {"summary": summary, "per_frame": per, "sheet": rel}
    clip["sheet_frames"] = idx
    clip["methods"]["isvi"] = {"error": "RuntimeError: method isvi failed (exit 1)"}
    return {"meta": {"command": "isvi benchmark clips -o rep", "machine": {"cores": 2}, "lpips": "skipped: test"},
            "clips": {"tiny": clip}}


def test_report_for_a_tiny_clip(tmp_path):
    results = _tiny_results(tmp_path)
    md_path = R.write_report(tmp_path, results)
    md = md_path.read_text()
    data = json.loads((tmp_path / "results.json").read_text())  # strict JSON: no NaN/Infinity tokens
    assert "NaN" not in (tmp_path / "results.json").read_text()
    for f in ("plots/psnr_hole_tiny.png", "plots/quality_vs_time.png", "sheets/tiny__telea.png"):
        assert (tmp_path / f).stat().st_size > 1000
        assert (tmp_path / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    telea = data["clips"]["tiny"]["methods"]["telea"]["summary"]
    row = next(line for line in md.splitlines() if line.startswith("| telea |"))
    assert f"{telea['psnr_hole']:.2f}" in row and f"{telea['ssim']:.4f}" in row
    # means over one clip equal that clip's numbers; the failure is reported, not dropped
    assert data["means"]["telea"]["psnr_hole"] == telea["psnr_hole"]
    assert "isvi failed" in md and "## tiny" in md and "isvi benchmark clips -o rep" in md
    # frame 0 has no previous frame: its flicker is null in JSON, not NaN
    assert data["clips"]["tiny"]["methods"]["telea"]["per_frame"]["flicker"][0] is None
    # blank leaves a black hole: far worse in the hole than temporal_nearest
    tn = data["clips"]["tiny"]["methods"]["temporal_nearest"]["summary"]
    assert tn["psnr_hole"] > data["clips"]["tiny"]["methods"]["blank"]["summary"]["psnr_hole"] + 10
    assert not list(tmp_path.rglob("*.part"))  # no temporary files left


def test_contact_sheet_layout():
    gt = np.full((2, 20, 30, 3), 100, np.uint8)
    res = gt.copy()
    res[:, 5:10, 5:10] = 110
    holes = box_holes(2, 20, 30, 5, 10, 5, 10)
    sheet = R.contact_sheet(gt, res, gt, holes, diff_gain=4)
    pad, bar = 4, 22
    assert sheet.shape == (bar + 2 * (20 + pad) + pad, 4 * (30 + pad) + pad, 3)
    diff_tile = sheet[bar:bar + 20, pad + 3 * (30 + pad): pad + 3 * (30 + pad) + 30]
    assert diff_tile[7, 7].tolist() == [40, 40, 40] and diff_tile[0, 0].tolist() == [0, 0, 0]


def test_json_safe_and_format():
    assert R.json_safe({"a": math.inf, "b": [math.nan, np.float32(1.5)], "c": np.int64(3)}) == \
        {"a": None, "b": [None, 1.5], "c": 3}
    assert R.fmt(math.inf) == "∞" and R.fmt(math.nan) == "–" and R.fmt(None) == "–"
    assert R.pick_sheet_frames(np.zeros((10, 2, 2), bool), 3) == [2, 4, 7]  # no hole anywhere: all frames
    late = np.zeros((10, 2, 2), bool)
    late[5:] = True
    assert R.pick_sheet_frames(late, 3) == [6, 7, 8]  # only frames with a hole


def test_written_files_get_the_usual_mode(tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        p = R.atomic_write_text(tmp_path / "a.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(p.stat().st_mode) == 0o644 and p.read_text() == "x"
