"""The method, mask and output options ``isvi inpaint`` and ``isvi batch`` share, defined once,
and the text detector's options, shared by those two and ``isvi detect-text``.

Help text, choices, ranges and defaults come from :class:`tasks.config.InpaintConfig`'s fields
(:class:`tasks.config.TextDetectConfig`'s for the detector), so the commands' ``--help`` say the
same, and say what the configuration accepts.
"""

from __future__ import annotations

import argparse

from pydantic import BaseModel

from isvi_models.errors import ConfigError
from tasks.config import InpaintConfig, TextDetectConfig, field_choices


def field_help(name: str, text: str | None = None, model: type[BaseModel] = InpaintConfig) -> str:
    """``text`` (default: the field's description), its range, and its default (``%`` escaped for argparse)."""
    f = model.model_fields[name]
    bits = [text or f.description or ""]
    meta = {type(m).__name__: m for m in f.metadata}
    rng = [f"{op} {getattr(meta[k], attr)}" for k, attr, op in (("Ge", "ge", ">="), ("Gt", "gt", ">"),
                                                                  ("Le", "le", "<="))
           if k in meta]
    if rng:
        bits.append(", ".join(rng))
    if f.default not in (None, ()) and not isinstance(f.default, bool):
        bits.append(f"default {f.default}")
    return "; ".join(b for b in bits if b).replace("%", "%%")


def _choices(name: str) -> tuple[str, ...]:
    return field_choices(InpaintConfig, name)


# (flag, field, argparse keywords, help text when the field's description is not enough)
MASK = (
    ("--dilate", "dilate_px", dict(type=int, metavar="PX"), None),
    ("--auto-mask-frames", "auto_mask_frames", dict(choices=_choices("auto_mask_frames")), None),
)
SHOTS = (
    ("--no-shots", "detect_shots", dict(action="store_const", const=False), "treat the video as one shot"),
    ("--shot-threshold", "shot_threshold", dict(type=float, metavar="X"), None),
    ("--min-shot", "min_shot_frames", dict(type=int, metavar="N"), None),
)
METHOD = (
    ("--max-side", "max_side", dict(type=int, metavar="PX"), None),
    ("--no-roi", "roi", dict(action="store_const", const=False),
     "process whole frames instead of a crop around the hole"),
    ("--roi-margin", "roi_margin_px", dict(type=int, metavar="PX"), None),
    ("--window", "window_frames", dict(type=int, metavar="N"), None),
    ("--overlap", "overlap_frames", dict(type=int, metavar="N"), None),
    ("--flow-preset", "flow_preset", dict(choices=_choices("flow_preset")), None),
    ("--flow-dilate", "flow_dilate_px", dict(type=int, metavar="PX"), None),
    ("--consistency", "consistency_px", dict(type=float, metavar="PX"), None),
    ("--max-trace", "max_trace_px", dict(type=float, metavar="PX"), None),
    ("--alpha", "alpha", dict(type=float, metavar="X"), None),
    ("--zero-motion", "zero_motion", dict(action="store_const", const=True),
     "experimental: first copy hole pixels from the nearest frame that shows them where the ring around "
     "the hole and the flow say the scene held still (fixed cameras; see benchmarks/devset.md)"),
    ("--still-snap", "still_snap_px", dict(type=float, metavar="PX"), None),
    ("--noise-flow", "noise_flow_px", dict(type=float, metavar="PX"), None),
    ("--reference-stride", "reference_stride", dict(type=int, metavar="N"), None),
    ("--references", "reference_frames", dict(type=int, metavar="N"), None),
    ("--unblend-samples", "unblend_samples", dict(type=int, metavar="N"), None),
    ("--spatial-fill", "spatial_fill", dict(choices=_choices("spatial_fill")),
     "fill for pixels no frame shows (fsr: OpenCV frequency-selective reconstruction; shiftmap: "
     "OpenCV shift-map, which copies structure such as a wall's lattice into wide holes, lower PSNR)"),
    ("--flow-completion", "flow_completion", dict(choices=_choices("flow_completion")),
     "flow completion: laplace (harmonic fill) or igfc (the learned network)"),
    ("--style-fusion", "style_fusion", dict(choices=_choices("style_fusion")),
     "gradient style fusion: none or asfn (the learned network)"),
    ("--models", "models", dict(metavar="DIR"), None),
)
OUTPUT = (
    ("--codec", "codec", dict(choices=_choices("codec")),
     "h264 (8-bit, the whole frame re-encoded; an odd-sized 4:2:0 input gets its last column/row repeated "
     "to even sides), or ffv1 (lossless, .mkv): a YUV or grey input keeps "
     "its pixel format and bit depth, every sample outside the hole its own; other inputs are written as RGB"),
    ("--crf", "crf", dict(type=int, metavar="N"), None),
    ("--preset", "preset", dict(choices=_choices("preset")), "x264 preset"),
    ("--fps", "fps", dict(metavar="FPS"), None),
)


# The text detector's options: (flag in inpaint and batch, flag in detect-text, TextDetectConfig field,
# argparse keywords). inpaint's --dilate grows the hole, so there the detector's options say "text".
TEXT = (
    ("--text-region", "--region", "region", dict(metavar="WHERE")),
    ("--text-min-height", "--min-height", "min_height", dict(type=float, metavar="PX")),
    ("--text-dilate", "--dilate", "dilate_px", dict(type=int, metavar="PX")),
    ("--text-shape", "--text-shape", "shape", dict(choices=field_choices(TextDetectConfig, "shape"))),
    ("--glyph-grow", "--glyph-grow", "glyph_grow_px", dict(type=int, metavar="PX")),
    ("--text-analysis-size", "--analysis-size", "analysis_size", dict(type=int, metavar="PX")),
)
TEXT_DEST = "text."  # the parsed options land in args as "text.<field>"


def add_text_options(group, detect_text: bool = False) -> None:
    """Add the detector's options to ``group``, under detect-text's own names when ``detect_text``."""
    for flag, own, field, kwargs in TEXT:
        group.add_argument(own if detect_text else flag, dest=TEXT_DEST + field,
                           help=field_help(field, model=TextDetectConfig), **kwargs)


def text_overrides(args: argparse.Namespace) -> dict:
    """The detector's options given on the command line, as :class:`TextDetectConfig` values."""
    return {field: v for _, _, field, _ in TEXT if (v := getattr(args, TEXT_DEST + field, None)) is not None}


def text_config(args: argparse.Namespace) -> TextDetectConfig:
    """``isvi detect-text``'s :class:`TextDetectConfig`; a bad value is a one-line
    :class:`ConfigError` naming its option."""
    from pydantic import ValidationError

    try:
        return TextDetectConfig(**text_overrides(args))
    except ValidationError as exc:
        err = exc.errors()[0]
        flag = next(own for _, own, field, _ in TEXT if field == err["loc"][0])
        raise ConfigError(f"{flag}: {err['msg']} (got {err.get('input')!r})") from None


def refuse_text_options(args: argparse.Namespace, cfg: InpaintConfig, uses_text: bool, table: str) -> None:
    """The detector's options (or the config file's ``table`` of them) are only for a text mask:
    given to a job that has none (``uses_text`` false), a one-line :class:`ConfigError`."""
    if uses_text:
        return
    given = [flag for flag, _, field, _ in TEXT if getattr(args, TEXT_DEST + field, None) is not None]
    if not given and "text" in cfg.model_fields_set:
        given = [f"{table} in {args.config}"]
    if given:
        mask = f"--mask {cfg.mask}" if cfg.mask else "no --mask"
        raise ConfigError(f"{', '.join(given)}: only with --mask text (the text detector's settings), got {mask}")


def add_options(group: argparse._ArgumentGroup, options: tuple, dest_prefix: str = "") -> None:
    """Add ``options`` (one of the tuples above) to ``group``; each stores into ``dest_prefix + field``."""
    for flag, field, kwargs, text in options:
        group.add_argument(flag, dest=dest_prefix + field, help=field_help(field, text), **kwargs)
