"""Region-of-interest processing on 720p and 1080p clips with a corner logo.

Each dev-set clip is upscaled (bicubic) to 1280x720 and 1920x1080 and gets a semi-transparent
logo burnt into a corner (``media.watermark_synth.overlay_watermark``). The logo's footprint,
grown by 2 px, is the mask. ``isvi`` runs with ROI (a crop around the logo) and without
(whole frames, at full resolution, and downscaled to the default --max-side 960), and with
ROI at full resolution too (no --max-side downscale of a large crop), which isolates what
the crop itself changes from what the working size changes; OpenCV
Telea runs per frame on the same mask. Seconds are wall time and process CPU time (all
threads): CPU time is the fairer figure when other jobs share the machine.
Quality is PSNR inside the mask against the clip before the logo was burnt in. Two more
rows use ``--mask auto`` (the detected mask): isvi with ROI, and Telea on the same mask.

    python benchmarks/bench_roi.py ../shared/devset --clips bikes_street_blob,city_pan_logo
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tasks.config import InpaintConfig  # noqa: E402
from tasks.evaluation.metrics import masked_psnr as psnr_in  # noqa: E402  (pooled over the clip)
from tasks.inpaint_video import inpaint_arrays  # noqa: E402
from media.video import read_video  # noqa: E402
from media.watermark_synth import overlay_watermark  # noqa: E402
from isvi_models.ops.masks import dilate_holes  # noqa: E402

SIZES = {"720p": (1280, 720), "1080p": (1920, 1080)}


def run(clip: Path, size: str, frames: int, seed: int) -> list[dict]:
    gt, _ = read_video(clip / "gt.mp4")
    w, h = SIZES[size]
    gt = np.stack([cv2.resize(f, (w, h), interpolation=cv2.INTER_CUBIC) for f in gt[:frames]])
    marked, footprint = overlay_watermark(gt, "logo", seed=seed, alpha=0.5, colour=(255, 255, 255))
    mask = dilate_holes(footprint[None], 2)[0]
    holes = np.broadcast_to(mask, gt.shape[:3]).copy()
    rows = []
    for label, cfg in (("isvi roi", InpaintConfig(dilate_px=0)),
                       ("isvi roi, full size", InpaintConfig(dilate_px=0, max_side=max(w, h))),
                       ("isvi no-roi, full size", InpaintConfig(dilate_px=0, roi=False, max_side=max(w, h))),
                       ("isvi no-roi, max-side 960", InpaintConfig(dilate_px=0, roi=False))):
        t0, c0 = time.perf_counter(), time.process_time()
        out = inpaint_arrays(marked, holes, cfg)
        rows.append({"method": label, "s_per_frame": (time.perf_counter() - t0) / len(gt),
                     "cpu_s_per_frame": (time.process_time() - c0) / len(gt), "psnr_mask": psnr_in(out, gt, holes)})
    t0, c0 = time.perf_counter(), time.process_time()
    telea = np.stack([cv2.inpaint(f, mask.astype(np.uint8), 3, cv2.INPAINT_TELEA) for f in marked])
    rows.append({"method": "telea", "s_per_frame": (time.perf_counter() - t0) / len(gt),
                 "cpu_s_per_frame": (time.process_time() - c0) / len(gt), "psnr_mask": psnr_in(telea, gt, holes)})
    try:
        from media.watermark import detect_static_overlay

        t0 = time.perf_counter()
        est = detect_static_overlay(marked)
        det_s = time.perf_counter() - t0
        if est.mask.any():
            auto_holes = np.broadcast_to(est.mask, gt.shape[:3]).copy()
            t0, c0 = time.perf_counter(), time.process_time()
            out = inpaint_arrays(marked, auto_holes, InpaintConfig(dilate_px=0))
            rows.append({"method": "isvi roi, --mask auto", "confidence": est.confidence,
                         "s_per_frame": (time.perf_counter() - t0 + det_s) / len(gt),
                         "cpu_s_per_frame": (time.process_time() - c0) / len(gt),
                         "psnr_mask": psnr_in(out, gt, holes),
                         "overlay_covered": float((est.mask & footprint).sum() / footprint.sum())})
            # Telea on the same detected mask: what --mask auto gains over a spatial fill.
            auto_telea = np.stack([cv2.inpaint(f, est.mask.astype(np.uint8), 3, cv2.INPAINT_TELEA) for f in marked])
            rows.append({"method": "telea, --mask auto", "s_per_frame": float("nan"), "cpu_s_per_frame": float("nan"),
                         "psnr_mask": psnr_in(auto_telea, gt, holes)})
    except Exception as exc:  # detection refusing is a result too
        rows.append({"method": "isvi roi, --mask auto", "error": str(exc).splitlines()[0]})
    for r in rows:
        r.update(clip=clip.name, size=size, frames=len(gt), mask_fraction=float(mask.mean()))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("devset", type=Path)
    ap.add_argument("--clips", default="bikes_street_blob,city_pan_logo")
    ap.add_argument("--frames", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/roi.json"))
    args = ap.parse_args()
    rows = [r for c in args.clips.split(",") for s in SIZES for r in run(args.devset / c, s, args.frames, args.seed)]
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"machine: {machine}; {args.frames} frames per clip, logo seed {args.seed}")
    print("| clip | size | method | PSNR in logo | wall s/frame | CPU s/frame |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print(f"| {r['clip']} | {r['size']} | {r['method']} | refused: {r['error']} | | |")
            continue
        extra = f" (mask covers {r['overlay_covered']:.0%} of the logo)" if "overlay_covered" in r else ""
        print(f"| {r['clip']} | {r['size']} | {r['method']}{extra} | {r['psnr_mask']:.2f} | "
              f"{r['s_per_frame']:.3f} | {r['cpu_s_per_frame']:.3f} |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"machine": machine, "rows": rows}, indent=1))
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
