"""``isvi evaluate RESULT --gt GT --masks MASKS``: score one inpainted video against its ground truth.

RESULT and GT are video files or frame folders; MASKS is what ``isvi inpaint --mask`` takes
(a folder of per-frame masks, one image for every frame, or a mask video). Frames are read in
chunks, so long videos need little memory. See ``tasks.evaluation.metrics`` for the metrics.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

ROWS = (
    ("psnr", "PSNR, whole frame (dB)", "{:.2f}"),
    ("ssim", "SSIM, whole frame (7x7 window)", "{:.4f}"),
    ("ssim_w65", "SSIM, whole frame (65x65 window)", "{:.4f}"),
    ("psnr_hole", "PSNR in hole (dB)", "{:.2f}"),
    ("ssim_hole", "SSIM in hole (7x7 window)", "{:.4f}"),
    ("warp_error", "flow warping error in hole (0-255)", "{:.3f}"),
    ("warp_error_gt", "  same on the ground truth (floor)", "{:.3f}"),
    ("flicker", "flicker in hole (0-255)", "{:.3f}"),
    ("lpips", "LPIPS, whole frame (AlexNet)", "{:.4f}"),
    ("outside_max_abs", "outside the hole: max |change|", "{:.0f}"),
    ("outside_mean_abs", "outside the hole: mean |change|", "{:.4f}"),
    ("outside_changed_fraction", "outside the hole: share changed > tol", "{:.6f}"),
    ("outside_unchanged", "outside the hole unchanged (within tol)", "{}"),
)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "evaluate", help="score an inpainted video against its ground truth",
        description="Score RESULT against the ground truth GT inside and outside the hole given by MASKS: "
                    "PSNR/SSIM of the whole frame and of the hole, flow warping error and flicker in the "
                    "hole, and whether pixels outside the hole were left unchanged.")
    p.add_argument("result", metavar="RESULT", help="inpainted video file or frame folder")
    p.add_argument("--gt", required=True, help="ground-truth video file or frame folder")
    p.add_argument("--masks", required=True, help="hole masks: folder (one image per frame), image, or mask video")
    p.add_argument("--json", metavar="OUT.json", help="also write every number (per frame too) as JSON")
    p.add_argument("--dilate-px", type=int, default=4,
                   help="pixels within this distance of the hole may change without failing the outside "
                        "check (default 4: isvi inpaint grows the hole by 2 px by default, and a lossy output "
                        "codec smears a little beyond that; 0 = strict)")
    p.add_argument("--outside-tol", type=int, default=0,
                   help="largest |change| (0-255) outside the hole still counted as unchanged (default 0; "
                        "raise it for lossy results such as H.264)")
    p.add_argument("--no-flow", action="store_true", help="skip the flow warping error (the slowest metric)")
    p.add_argument("--chunk", type=int, default=32, help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def evaluate_paths(result: str | Path, gt: str | Path, masks: str | Path, *, dilate_px: int = 4,
                   outside_tol: int = 0, temporal: bool = True, chunk: int = 32) -> dict:
    """Score a result file/folder; returns ``{"summary": {...}, "per_frame": {...}, "lpips": note}``."""
    from tasks.evaluation import metrics
    from media.h264 import LAYOUTS, h264_size
    from media.masks import dilate_holes, open_mask
    from media.video import VideoSource
    from isvi_models.errors import ConfigError, InputError

    if dilate_px < 0 or outside_tol < 0:
        raise ConfigError("dilate_px and outside_tol must be >= 0")
    with VideoSource(gt) as gsrc, VideoSource(result) as rsrc:
        gi, ri = gsrc.info, rsrc.info
        # an H.264 result of an odd-sized input is one column/row larger (media.h264.h264_format):
        # its top-left part is the result
        padded = (ri.width, ri.height) in {h264_size(gi.width, gi.height, layout) for layout in LAYOUTS}
        if (ri.width, ri.height) != (gi.width, gi.height) and not padded:
            raise InputError(ri.path, f"result is {ri.width}x{ri.height} but the ground truth {gi.path} is "
                                      f"{gi.width}x{gi.height}")
        if ri.frames != gi.frames:
            raise InputError(ri.path, f"result has {ri.frames} frames but the ground truth {gi.path} has {gi.frames}")
        msrc = open_mask(masks, [], gi)
        lp_ok, lp_note = metrics.lpips_available()
        scorer = metrics.ClipScorer(outside_tol=outside_tol, temporal=temporal)
        lp = []
        for s in range(0, gi.frames, chunk):
            g = gsrc.read(s, s + chunk)
            r = rsrc.read(s, s + chunk)[:, :gi.height, :gi.width]
            h = msrc.read(s, s + chunk)
            scorer.update(r, g, h, dilate_holes(h, dilate_px))
            if lp_ok:
                lp += metrics.lpips_frames(r, g)
    summary = scorer.summary()
    per_frame = dict(scorer.per_frame)
    if lp_ok:
        summary["lpips"] = metrics.nanmean(lp)
        per_frame["lpips"] = lp
    summary["dilate_px"] = dilate_px
    return {"result": str(result), "gt": str(gt), "masks": str(masks), "summary": summary,
            "per_frame": per_frame, "lpips": lp_note if not lp_ok else "lpips (AlexNet)"}


def format_table(summary: dict) -> str:
    from tasks.evaluation.report import fmt

    width = max(len(label) for _, label, _ in ROWS)
    lines = []
    for key, label, spec in ROWS:
        if key in summary:
            v = summary[key]
            lines.append(f"{label:<{width}}  {fmt(v, spec) if not isinstance(v, bool) else ('yes' if v else 'NO')}")
    return "\n".join(lines)


def run(args) -> int:
    out = evaluate_paths(args.result, args.gt, args.masks, dilate_px=args.dilate_px, outside_tol=args.outside_tol,
                         temporal=not args.no_flow, chunk=max(2, args.chunk))
    s = out["summary"]
    print(f"{args.result}: {s['frames']} frames against {args.gt}")
    print(format_table(s))
    if not s["outside_unchanged"] and Path(args.result).suffix.lower() in (".mp4", ".mov", ".webm", ".m4v"):
        print("note: RESULT is a lossy video, so pixels outside the hole change by compression; "
              "use --outside-tol (e.g. 8) or a lossless result (frame folder, ffv1 .mkv) for a strict check")
    if "lpips" not in s:
        print(f"LPIPS skipped: {out['lpips']}")
    if math.isnan(s.get("psnr_hole", 0.0)):
        print("note: the masks have no hole pixels; in-hole metrics are undefined")
    if args.json:
        from tasks.evaluation.report import write_json

        write_json(Path(args.json), out)
        print(f"wrote {args.json}")
    return 0
