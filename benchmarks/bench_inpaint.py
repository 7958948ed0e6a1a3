"""Dev-set benchmark of ``isvi inpaint`` against OpenCV Telea (per frame).

For each clip in a dev-set folder (``<clip>/gt.mp4`` + ``<clip>/masks/NNNNN.png``), the hole
is blanked in the ground truth and written losslessly; ``isvi inpaint`` runs on it as a
user would (a subprocess, lossless output) and Telea runs per frame on the same input.
Prints per clip PSNR and SSIM over the whole frame, PSNR inside the hole and seconds per
frame, and writes every number to JSON.

    python benchmarks/bench_inpaint.py ../shared/devset --out benchmarks/results/inpaint.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tasks.evaluation import metrics  # noqa: E402
from media.masks import open_mask  # noqa: E402
from media.video import FrameWriter, read_video  # noqa: E402


def scores(result: np.ndarray, gt: np.ndarray, holes: np.ndarray) -> dict[str, float]:
    """Mean over frames of whole-frame PSNR/SSIM (default 7x7 window), and in-hole PSNR pooled over the clip."""
    return {"psnr": float(np.mean([metrics.psnr(r, g) for r, g in zip(result, gt)])),
            "ssim": float(np.mean([metrics.ssim(r, g) for r, g in zip(result, gt)])),
            "psnr_hole": metrics.masked_psnr(result, gt, holes)}


def run_clip(clip: Path, extra_args: list[str]) -> dict:
    gt, info = read_video(clip / "gt.mp4")
    holes = open_mask(clip / "masks", [], info).read(0, info.frames)
    masked = gt.copy()
    masked[holes] = 0
    out: dict = {"clip": clip.name, "frames": info.frames, "size": f"{info.width}x{info.height}",
                 "hole_fraction": float(holes.mean())}
    with tempfile.TemporaryDirectory() as tmp:
        inp, res = Path(tmp) / "masked.mkv", Path(tmp) / "result.mkv"
        with FrameWriter(inp, info, codec="ffv1") as w:
            w.write(masked)
            w.commit()
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "isvi", "inpaint", str(inp), "--mask", str(clip / "masks"),
                        "-o", str(res), "--codec", "ffv1", "--dilate", "0", "--quiet", *extra_args], check=True)
        isvi_s = (time.perf_counter() - t0) / info.frames
        result, _ = read_video(res)
    out["isvi"] = scores(result, gt, holes) | {"s_per_frame": isvi_s,
                                               "outside_unchanged": bool(np.array_equal(result[~holes], masked[~holes]))}
    t0 = time.perf_counter()
    telea = np.stack([cv2.inpaint(f, h.astype(np.uint8), 3, cv2.INPAINT_TELEA) for f, h in zip(masked, holes)])
    out["telea"] = scores(telea, gt, holes) | {"s_per_frame": (time.perf_counter() - t0) / info.frames}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("devset", type=Path)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/inpaint.json"))
    ap.add_argument("--clips", help="comma-separated clip names (default: all)")
    ap.add_argument("--isvi-args", default="", help="extra options for isvi inpaint, e.g. '--max-side 480'")
    args = ap.parse_args()
    names = args.clips.split(",") if args.clips else sorted(p.name for p in args.devset.iterdir()
                                                           if (p / "gt.mp4").exists())
    extra = shlex.split(args.isvi_args)
    rows = [run_clip(args.devset / n, extra) for n in names]
    machine = f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}"
    print(f"machine: {machine}; isvi options: {' '.join(extra) or '(defaults)'}")
    print(f"| clip | frames | size | method | PSNR | SSIM | PSNR in hole | s/frame |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        for m in ("isvi", "telea"):
            s = r[m]
            print(f"| {r['clip']} | {r['frames']} | {r['size']} | {m} | {s['psnr']:.2f} | {s['ssim']:.4f} | "
                  f"{s['psnr_hole']:.2f} | {s['s_per_frame']:.3f} |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"machine": machine, "isvi_args": extra, "clips": rows}, indent=1))
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
