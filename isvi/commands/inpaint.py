"""``isvi inpaint INPUT --mask MASK -o OUTPUT``: remove what the mask covers from one video."""

from __future__ import annotations

import argparse
import sys

from tasks.config import InpaintConfig, field_choices

EPILOG = """\
examples:
  isvi inpaint clip.mp4 --mask logo.png -o clean.mp4
  isvi inpaint clip.mp4 --box 1180,40,80,60 -o clean.mkv --codec ffv1
  isvi inpaint clip.mp4 --box 0.85,0.02,0.13,0.08 -o clean.mp4     (fractions of width/height)
  isvi inpaint frames/ --mask masks/ -o out/ --fps 30000/1001        (PNG folders in and out)
  isvi inpaint clip.mp4 --config job.toml -o clean.mp4

Every option can also be set in the TOML file given to --config (field names as below,
with '_' for '-'); command-line options win over the file.
"""


def _choices(name: str) -> tuple[str, ...]:
    return field_choices(InpaintConfig, name)


def _field_help(name: str) -> str:
    f = InpaintConfig.model_fields[name]
    bits = [f.description] if f.description else []
    meta = {type(m).__name__: m for m in f.metadata}
    rng = [f"{op} {getattr(meta[k], attr)}" for k, attr, op in (("Ge", "ge", ">="), ("Gt", "gt", ">"),
                                                                  ("Le", "le", "<="))
           if k in meta]
    if rng:
        bits.append(", ".join(rng))
    bits.append(f"default {f.default!r}" if f.default not in (None, ()) else "")
    return "; ".join(b for b in bits if b)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("inpaint", help="inpaint one video or frame folder",
                       description="Remove objects, logos or watermarks from one video with the ISVI method.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
                       argument_default=None)
    p.add_argument("input", help="video file (any container FFmpeg reads) or folder of frames")
    p.add_argument("-o", "--output", required=True,
                   help="video file (.mp4/.mkv/...) or folder (no suffix) that receives 00000.png, ...")
    p.add_argument("--config", metavar="TOML", help="read options from this file")
    g = p.add_argument_group("mask")
    g.add_argument("--mask", help="mask image (static logo; scaled to the video if only its size differs, "
                                  "not its aspect ratio), folder of per-frame masks, mask video, "
                                  "or 'auto' (detect a static overlay); non-zero = remove")
    g.add_argument("--box", action="append", metavar="X,Y,W,H",
                   help="rectangle to remove, in pixels or as fractions (repeatable; adds to --mask)")
    g.add_argument("--dilate", dest="dilate_px", type=int, metavar="PX", help=_field_help("dilate_px"))
    g.add_argument("--auto-mask-frames", choices=_choices("auto_mask_frames"), help=_field_help("auto_mask_frames"))
    g = p.add_argument_group("method")
    g.add_argument("--max-side", type=int, metavar="PX", help=_field_help("max_side"))
    g.add_argument("--no-roi", dest="roi", action="store_const", const=False,
                   help="process whole frames instead of a crop around the hole")
    g.add_argument("--roi-margin", dest="roi_margin_px", type=int, metavar="PX", help=_field_help("roi_margin_px"))
    g.add_argument("--window", dest="window_frames", type=int, metavar="N", help=_field_help("window_frames"))
    g.add_argument("--overlap", dest="overlap_frames", type=int, metavar="N", help=_field_help("overlap_frames"))
    g.add_argument("--flow-preset", choices=_choices("flow_preset"), help="DIS optical flow preset")
    g.add_argument("--flow-dilate", dest="flow_dilate_px", type=int, metavar="PX",
                   help=_field_help("flow_dilate_px"))
    g.add_argument("--consistency", dest="consistency_px", type=float, metavar="PX",
                   help=_field_help("consistency_px"))
    g.add_argument("--max-trace", dest="max_trace_px", type=float, metavar="PX", help=_field_help("max_trace_px"))
    g.add_argument("--alpha", type=float, help=_field_help("alpha"))
    g.add_argument("--spatial-fill", choices=_choices("spatial_fill"),
                   help="fill for pixels no frame shows; default fsr (OpenCV frequency-selective reconstruction)")
    g.add_argument("--flow-completion", choices=_choices("flow_completion"), help="default laplace")
    g.add_argument("--style-fusion", choices=_choices("style_fusion"), help="default none")
    g.add_argument("--models", metavar="DIR", help="folder holding igfc.onnx / asfn.onnx")
    g = p.add_argument_group("output")
    g.add_argument("--codec", choices=_choices("codec"), help="h264 (default) or ffv1 (lossless, .mkv)")
    g.add_argument("--crf", type=int, help=_field_help("crf"))
    g.add_argument("--preset", help="x264 preset; default medium")
    g.add_argument("--fps", help="frame rate of a frame-folder input (e.g. 25 or 30000/1001); default 25")
    g.add_argument("--overwrite", action="store_const", const=True, help="replace an existing output")
    g.add_argument("-q", "--quiet", action="store_const", const=True, help="no progress bars or summary")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tasks.inpaint_video import inpaint_video

    fields = set(InpaintConfig.model_fields)
    overrides = {k: v for k, v in vars(args).items() if k in fields}
    if overrides.get("box"):
        overrides["box"] = tuple(overrides["box"])
    cfg = InpaintConfig.resolve(args.config, **overrides)
    report = inpaint_video(args.input, args.output, cfg, progress=sys.stderr.isatty())
    if not cfg.quiet:
        what = "copied (empty mask)" if report.passthrough else "inpainted"
        if not report.passthrough and report.frames_with_hole < report.frames:
            what = f"({report.frames_with_hole} with a hole) inpainted"
        print(f"{args.output}: {report.frames} frames {what} in {report.seconds:.1f} s "
              f"({report.seconds / max(report.frames, 1):.2f} s/frame)", file=sys.stderr)
    return 0
