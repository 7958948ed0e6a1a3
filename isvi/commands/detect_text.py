"""``isvi detect-text INPUT -o MASKS/``: per-frame masks of burnt-in text (subtitles, watermarks).

Runs the learned text detector (:mod:`media.text`) on every frame and writes one mask PNG per
frame (``00000.png``, ...; 255 = text) into ``MASKS/``, atomically (a temporary folder beside
it, renamed when complete). Prints how many frames have text and the mask's coverage; a
video with no text writes empty masks and says so (exit 0). ``--preview PNG`` writes a
contact sheet of a few frames with their masks drawn. Exit codes: 0 written; 2 bad input
(missing or unreadable file, an existing MASKS/ without --overwrite, a bad option value).
The folder is what ``isvi inpaint --mask MASKS/`` reads. ``--text-shape glyphs`` (the
default) masks the text pixels inside each detected line (:mod:`media.text.glyphs`),
``boxes`` the whole lines.
"""

from __future__ import annotations

import argparse
from pathlib import Path

def register(subparsers) -> None:
    p = subparsers.add_parser(
        "detect-text",
        help="find burnt-in text (subtitles, text watermarks, timestamps) in every frame; write per-frame masks",
        description="Find burnt-in text in every frame of a video with a learned text detector (PP-OCRv5 "
                    "detection on ONNX Runtime) and write one mask per frame (255 = text) into a folder, "
                    "for `isvi inpaint --mask MASKS/` (or use `isvi inpaint --mask text` directly).",
    )
    p.add_argument("input", type=Path, metavar="INPUT", help="video file or folder of frames")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="MASKS/",
                   help="folder to write 00000.png, 00001.png, ... into (255 = text)")
    add_text_options(p)
    p.add_argument("--preview", type=Path, metavar="PNG",
                   help="also write a contact sheet of a few frames (with text, where any) with the masks drawn")
    p.add_argument("--fps", default="25", help="frame rate of a frame-folder input (default 25)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing MASKS/ folder")
    p.set_defaults(func=run)


def add_text_options(p: argparse.ArgumentParser) -> None:
    """The detector's options, under their ``detect-text`` names (``isvi inpaint --mask text`` and
    ``isvi batch --mask text`` take the same ones as ``--text-...``: :data:`method_options.TEXT`)."""
    from isvi.commands.method_options import add_text_options as add

    add(p, detect_text=True)


def text_params(args: argparse.Namespace):
    """:class:`media.text.TextParams` from the parsed options (a bad value: one-line ConfigError)."""
    from isvi.commands.method_options import text_config
    from tasks.config import text_params as params

    return params(text_config(args))


def run(args: argparse.Namespace) -> int:
    import sys
    from fractions import Fraction

    import cv2
    import numpy as np

    from isvi_models.atomic import temp_sibling, write_bytes
    from isvi_models.errors import ConfigError, InputError
    from media.text import detect_text
    from media.video import VideoSource, replace_path

    params = text_params(args)
    out = args.output
    if out.suffix:
        raise ConfigError(f"--output: a folder for the mask PNGs (no suffix), got {out.name}")
    if out.exists() and not args.overwrite:
        raise InputError(out, "already exists; pass --overwrite to replace it")
    if not out.parent.exists():
        raise InputError(out.parent, "--output: folder does not exist")
    if args.preview is not None and args.preview.suffix.lower() != ".png":
        raise ConfigError(f"--preview: written as PNG, got {args.preview.name}")
    try:
        fps = Fraction(args.fps)
    except (ValueError, ZeroDivisionError):
        raise ConfigError(f"--fps: must be a number or a ratio like 30000/1001, got {args.fps!r}") from None
    with VideoSource(args.input, folder_fps=fps) as src:
        masks = detect_text(src, params)
        tmp = temp_sibling(out)
        try:
            tmp.mkdir()
            for s in range(0, masks.frames, 32):
                for k, m in enumerate(masks.read(s, s + 32), start=s):
                    ok, png = cv2.imencode(".png", m.astype(np.uint8) * 255)
                    if not ok:
                        raise InputError(out, "cannot encode a mask PNG")
                    (tmp / f"{k:05d}.png").write_bytes(png.tobytes())
            replace_path(tmp, out, overwrite=True)
        except BaseException:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
            raise
        coverage = masks.coverage()
        if masks.frames_with_text == 0:
            print(f"{args.input}: no text found in {masks.frames} frames; wrote empty masks to {out}")
        else:
            with_text = coverage[masks.has_text]
            print(f"{args.input}: text in {masks.frames_with_text} of {masks.frames} frames "
                  f"({describe_runs(masks.has_text)}), covering {with_text.mean():.2%} of those frames on average "
                  f"(max {with_text.max():.2%}); wrote {masks.frames} masks to {out}")
        if args.preview is not None:
            from media.text.preview import contact_sheet, pick_frames

            picks = pick_frames(masks.has_text)
            frames = np.stack([src.read(k, k + 1)[0] for k in picks])
            holes = np.concatenate([masks.read(k, k + 1) for k in picks])
            try:
                write_bytes(args.preview, contact_sheet(frames, holes, [f"frame {k}" for k in picks]))
            except OSError as exc:
                raise InputError(args.preview, f"cannot write the preview ({exc.strerror or exc})") from None
            print(f"wrote preview {args.preview} (frames {', '.join(map(str, picks))})", file=sys.stdout)
    return 0


def describe_runs(flags, limit: int = 4) -> str:
    """``frames 0-14, 20-55`` for a bool per frame: the runs of True, the first ``limit`` of them."""
    import numpy as np

    flags = np.asarray(flags, bool)
    edges = np.diff(np.concatenate([[0], flags.view(np.int8), [0]]))
    starts, stops = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
    runs = [f"{a}" if b - a == 1 else f"{a}-{b - 1}" for a, b in zip(starts, stops)]
    more = f" and {len(runs) - limit} more runs" if len(runs) > limit else ""
    return "frames " + ", ".join(runs[:limit]) + more
