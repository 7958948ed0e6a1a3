"""Hole growth (``--dilate``) on real burnt-in text: does growing the mask over compression halos pay?

The dev set's two clips with text really burnt in and compressed (``input_burnt.mp4``: white
subtitles with a black outline, and a semi-transparent "SAMPLE" watermark, H.264 CRF 18
yuv420p) are inpainted with the clip's masks (the pixels the text touches, slightly dilated)
grown by each ``--dilate`` value, and scored against the ground truth (the clip before the
text was burnt in): inside the mask, in a 4 px ring around it (where the halo would be), and
over both (mean over frames of each frame's PSNR there).

    python benchmarks/bench_dilate.py ../shared/devset --dilate 0 1 2 3 --out benchmarks/results/dilate.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.bench_devset import hole_psnr  # noqa: E402
from isvi_models.ops.masks import dilate_holes  # noqa: E402
from media.masks import open_mask  # noqa: E402
from media.video import read_video  # noqa: E402
from tasks.config import InpaintConfig  # noqa: E402
from tasks.inpaint_video import inpaint_arrays  # noqa: E402

CLIPS = ("city_subtitles", "testmovie_burnt_text")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("devset", type=Path)
    ap.add_argument("--dilate", type=int, nargs="+", default=[0, 1, 2, 3])
    ap.add_argument("--ring", type=int, default=4, help="width of the scored ring around the mask (px)")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    rows = []
    for clip in CLIPS:
        gt, info = read_video(args.devset / clip / "gt.mp4")
        burnt, _ = read_video(args.devset / clip / "input_burnt.mp4")
        holes = open_mask(args.devset / clip / "masks", [], info).read(0, info.frames)
        region = dilate_holes(holes, args.ring)
        ring = region & ~holes
        print(f"{clip}: the burnt-in input scores {hole_psnr(burnt, gt, ring):.2f} dB in the ring", flush=True)
        for d in args.dilate:
            out = inpaint_arrays(burnt, holes, InpaintConfig(dilate_px=d))
            row = {"clip": clip, "dilate_px": d, "mask": hole_psnr(out, gt, holes), "ring": hole_psnr(out, gt, ring),
                   "mask_and_ring": hole_psnr(out, gt, region), "input_ring": hole_psnr(burnt, gt, ring)}
            rows.append(row)
            print(f"  --dilate {d}: mask {row['mask']:.2f}  ring {row['ring']:.2f}  both {row['mask_and_ring']:.2f}",
                  flush=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"ring_px": args.ring, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
