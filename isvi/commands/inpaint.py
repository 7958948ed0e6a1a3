"""``isvi inpaint INPUT --mask MASK -o OUTPUT``: remove what the mask covers from one video."""

from __future__ import annotations

import argparse
import sys

from isvi.commands.method_options import (MASK, METHOD, OUTPUT, SHOTS, add_options, add_text_options,
                                          refuse_text_options, text_overrides)
from tasks.config import InpaintConfig

EPILOG = """\
examples:
  isvi inpaint clip.mp4 --mask logo.png -o clean.mp4
  isvi inpaint clip.mp4 --box 1180,40,80,60 -o clean.mkv --codec ffv1
  isvi inpaint clip.mp4 --box 0.85,0.02,0.13,0.08 -o clean.mp4     (fractions of width/height)
  isvi inpaint frames/ --mask masks/ -o out/ --fps 30000/1001        (PNG folders in and out)
  isvi inpaint clip.mp4 --mask text --text-region bottom --text-shape boxes -o clean.mp4
  isvi inpaint clip.mp4 --config job.toml -o clean.mp4

Every option can also be set in the TOML file given to --config (field names as below,
with '_' for '-'; the text detector's in a [text] table: region, min_height, dilate_px,
shape, glyph_grow_px, analysis_size); command-line options win over the file.
"""


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
                                  "'auto' (detect a static overlay), or 'text' (detect burnt-in text, "
                                  "subtitles, text watermarks, frame by frame, with the options of "
                                  "'text detector' below); non-zero = remove; in an image with "
                                  "transparency, the alpha channel decides (opaque = remove)")
    g.add_argument("--box", action="append", metavar="X,Y,W,H",
                   help="rectangle to remove, in pixels or as fractions (repeatable; adds to --mask)")
    add_options(g, MASK)
    add_text_options(p.add_argument_group("text detector (with --mask text; as isvi detect-text's options)"))
    add_options(p.add_argument_group("shots"), SHOTS)
    add_options(p.add_argument_group("method"), METHOD)
    g = p.add_argument_group("output")
    add_options(g, OUTPUT)
    g.add_argument("--overwrite", action="store_const", const=True, help="replace an existing output")
    g.add_argument("-q", "--quiet", action="store_const", const=True, help="no progress bars or summary")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tasks.inpaint_video import inpaint_video

    fields = set(InpaintConfig.model_fields)
    overrides = {k: v for k, v in vars(args).items() if k in fields}
    if overrides.get("box"):
        overrides["box"] = tuple(overrides["box"])
    cfg = InpaintConfig.resolve(args.config, **overrides, text=text_overrides(args))
    refuse_text_options(args, cfg, cfg.mask == "text", "[text]")
    report = inpaint_video(args.input, args.output, cfg, progress=sys.stderr.isatty())
    if cfg.mask == "text" and report.passthrough:
        print(f"{args.input}: no text found; copied through to {args.output}", file=sys.stderr)
    elif not cfg.quiet:
        what = "copied (empty mask)" if report.passthrough else "inpainted"
        if not report.passthrough and report.frames_with_hole < report.frames:
            what = f"({report.frames_with_hole} with a hole) inpainted"
        print(f"{args.output}: {report.frames} frames {what} in {report.seconds:.1f} s "
              f"({report.seconds / max(report.frames, 1):.2f} s/frame)", file=sys.stderr)
        if report.overlay:
            print(f"{args.output}: {report.overlay}", file=sys.stderr)
    return 0
