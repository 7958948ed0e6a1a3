"""The one configuration model of an inpainting job, shared by ``isvi inpaint`` and the batch flow.

Precedence (highest first): command-line option > ``--config job.toml`` > the defaults here.
Field names are the long option names with ``-`` replaced by ``_``; units are in the names. The
text detector's (``--mask text``) are a table of their own, ``text`` (:class:`TextDetectConfig`),
named as ``isvi detect-text``'s options; ``isvi inpaint`` and ``isvi batch`` call them ``--text-...``.
"""

from __future__ import annotations

import functools
import math
import tomllib
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

from isvi_models.errors import ConfigError, InputError
from media.text import SHAPES, TextParams, parse_region

if TYPE_CHECKING:
    from isvi_models.pipeline import MethodSettings

TEXT_DEFAULTS = TextParams()  # the text detector's defaults, tuned in benchmarks/text.md: their one source


def field_choices(model: type[BaseModel], name: str) -> tuple[str, ...]:
    """The values a ``Literal`` field of ``model`` allows: the CLI's ``choices``, so the command
    line never offers other values than the configuration accepts."""
    return get_args(model.model_fields[name].annotation)


class TextDetectConfig(BaseModel):
    """The text detector's settings a user chooses (``isvi detect-text``'s options, and
    ``--mask text``'s in ``isvi inpaint`` and ``isvi batch``); :func:`text_params` turns them into
    the :class:`media.text.TextParams` the detector runs with. Defaults: ``TextParams``'."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    region: str | None = Field(None, description="where to look: all (default), bottom (lower 35% of the frame), "
                               "top (upper 35%), or X,Y,W,H in pixels or as fractions with a '.' (e.g. 0,0.7,1.0,0.3)")
    min_height: float = Field(TEXT_DEFAULTS.db.min_height, ge=0,
                              description="ignore text lines lower than this, in pixels of the frame")
    dilate_px: int = Field(TEXT_DEFAULTS.dilate_px, ge=0, le=64,
                           description="grow each detected text line by this many pixels, so outlines, glows and "
                                       "shadows are in the hole (with --text-shape glyphs: in the area searched "
                                       "for glyphs)")
    shape: Literal[SHAPES] = Field(TEXT_DEFAULTS.shape,
                                   description="glyphs: the text pixels inside each detected text line, grown by "
                                               "--glyph-grow (a smaller hole, a better fill; the whole line where "
                                               "the text does not stand out from its background); boxes: the "
                                               "whole text lines")
    glyph_grow_px: int = Field(TEXT_DEFAULTS.glyphs.grow_px, ge=0, le=64,
                               description="with --text-shape glyphs: grow the text pixels by this many pixels, "
                                           "for anti-aliased edges, outlines and compression halos")
    analysis_size: int = Field(TEXT_DEFAULTS.long_side, ge=64, le=4096,
                               description="the searched region is scaled to this long side for the detector: "
                                           "larger finds smaller text and is slower")

    @field_validator("region")
    @classmethod
    def _known_region(cls, v: str | None) -> str | None:
        try:
            parse_region(v)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return v


def text_params(text: TextDetectConfig) -> TextParams:
    """The :class:`media.text.TextParams` of ``text``: its settings over the detector's defaults (a bad
    region is a one-line :class:`ConfigError`)."""
    base = TEXT_DEFAULTS
    return replace(base, long_side=text.analysis_size, dilate_px=text.dilate_px, region=parse_region(text.region),
                   db=replace(base.db, min_height=text.min_height), shape=text.shape,
                   glyphs=replace(base.glyphs, grow_px=text.glyph_grow_px))


def text_params_for(mask: str | None, text: TextDetectConfig) -> TextParams | None:
    """:func:`text_params` where ``mask`` is ``text`` (the detector makes the masks), else None."""
    return text_params(text) if mask == "text" else None


class InpaintConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # masks
    mask: str | None = Field(None, description="mask image, folder of masks, mask video, 'auto' or 'text'")
    box: tuple[str, ...] = Field((), description="X,Y,W,H rectangles (pixels, or fractions with a '.')")
    dilate_px: int = Field(0, ge=0, le=64, description="grow the hole by this many pixels (full resolution): 0 "
                           "takes the mask as drawn (with a margin, as --mask auto/text make it); 1-2 for a mask "
                           "drawn tight to a logo's edge, whose soft edge would leave a ghost")
    auto_mask_frames: Literal["showing", "all"] = Field(
        "showing", description="with --mask auto: inpaint only the frames that show the overlay, or all frames")
    text: TextDetectConfig = Field(default_factory=TextDetectConfig,
                                   description="with --mask text: the text detector's settings")
    # shots
    detect_shots: bool = Field(True, description="split the video at its cuts (FFmpeg scdet) and inpaint each "
                               "shot on its own, so no content is taken across a cut")
    shot_threshold: float = Field(10.0, gt=0, le=100, description="FFmpeg scdet score (percent) that marks a cut")
    min_shot_frames: int = Field(15, ge=1, le=10000, description="shortest shot (frames): a cut closer than this "
                                 "to the previous one is not taken as a shot border (propagation still stops "
                                 "at it)")
    # working region and size
    max_side: int = Field(960, ge=64, le=8192, description="longest side of the working frames")
    roi: bool = Field(True, description="work on a crop around the hole instead of the whole frame")
    roi_margin_px: int = Field(64, ge=8, le=4096, description="context kept around the hole (pixels; at least the hole's size is kept)")
    window_frames: int = Field(48, ge=4, le=2000, description="frames processed together (memory bound)")
    overlap_frames: int = Field(8, ge=1, le=500, description="frames shared by consecutive windows")
    # method
    flow_preset: Literal["ultrafast", "fast", "medium", "fine"] = Field(
        "fine", description="DIS optical flow preset: OpenCV's ultrafast, fast, medium, or fine (medium "
                            "estimated down to full resolution; about twice as accurate, at about 3x medium's flow time)")
    flow_dilate_px: int = Field(14, ge=0, le=64, description="extra growth of the flow hole (working pixels)")
    consistency_px: float = Field(100.0, gt=0, le=1000, description="forward-backward error (px) above which a step is rejected")
    max_trace_px: float | None = Field(None, gt=0, description="longest path (working px) a hole pixel is traced "
                                       "through other frames' holes, farther ones come from a key frame; "
                                       "default: no limit")
    alpha: float = Field(0.5, gt=0, le=100, description="temperature of the exp(-error/alpha) fusion weights")
    zero_motion: bool = Field(False, description="copy hole pixels from the nearest frame that shows them where "
                                                 "the scene around the hole held still (fixed cameras)")
    still_snap_px: float = Field(2.0, ge=0, le=10, description="where the background holds still, completed "
                                 "flow in the hole under this many px is set to zero (0: off)")
    noise_flow_px: float = Field(1.0, ge=0, le=10, description="on rigid scenes (one homography explains the "
                                 "textured background), flow in textureless areas (night skies, blank walls) "
                                 "this many px off it and incoherent with the neighbouring frames' flow is "
                                 "taken as noise and replaced by it (0: off; benchmarks/devset.md, ninth round)")
    reference_stride: int = Field(5, ge=0, le=10000, description="every N-th frame of the shot is a reference "
                                  "that key frames look positions no chain reached up in (0: off)")
    reference_frames: int = Field(12, ge=0, le=64, description="references outside each window: the N nearest it "
                                  "(those inside it serve fixed cameras only)")
    unblend_samples: int = Field(0, ge=0, le=1024, description="experimental: frames spread over the video "
                                 "from which a semi-transparent overlay under a static mask is estimated and "
                                 "undone where no frame shows what it covers (try 64); used only where the samples "
                                 "determine it (frames of many shots, such as a broadcast's); 0: off "
                                 "(benchmarks/unblend.md)")
    spatial_fill: Literal["telea", "ns", "biharmonic", "fsr", "shiftmap"] = "fsr"
    flow_completion: Literal["laplace", "igfc"] = "laplace"
    style_fusion: Literal["none", "asfn"] = "none"
    models: Path | None = Field(None, description="folder with igfc.onnx / asfn.onnx for the learned stages "
                                 "(default: the weights shipped in the package)")
    # output
    codec: Literal["h264", "ffv1"] = "h264"
    crf: int = Field(18, ge=0, le=51, description="H.264 constant rate factor (0 = lossless, 51 = worst)")
    preset: Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower",
                    "veryslow"] = "medium"
    fps: str = Field("25", description="frame rate of a frame-folder input, e.g. 25 or 30000/1001")
    overwrite: bool = False
    quiet: bool = False

    @field_validator("fps")
    @classmethod
    def _rational_fps(cls, v: str) -> str:
        try:
            f = Fraction(str(v))
        except (ValueError, ZeroDivisionError):
            raise ValueError("must be a number or a ratio like 30000/1001") from None
        if not 0 < f <= 1000:
            raise ValueError("must be in (0, 1000]")
        return str(f)

    @field_validator("overlap_frames")
    @classmethod
    def _overlap_below_window(cls, v: int, info) -> int:
        window = info.data.get("window_frames")
        if window is not None and 2 * v >= window:
            raise ValueError(f"must be less than half of window_frames ({window})")
        return v

    @property
    def fps_fraction(self) -> Fraction:
        return Fraction(self.fps)

    @classmethod
    def resolve(cls, config_file: str | Path | None = None, **overrides: Any) -> "InpaintConfig":
        """Defaults, then the TOML file's values, then non-None ``overrides`` (the CLI's); a table
        (``[text]``) and a dict override (``text={...}``) are merged key by key."""
        values: dict[str, Any] = {}
        if config_file is not None:
            path = Path(config_file)
            try:
                values.update(tomllib.loads(path.read_text()))
            except FileNotFoundError:
                raise InputError(path, "config file does not exist") from None
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise InputError(path, f"is not valid TOML ({exc})") from None
            values = _underscored(values)
        for k, v in overrides.items():
            if v is None or v == () or v == {}:
                continue
            values[k] = {**values[k], **v} if isinstance(v, dict) and isinstance(values.get(k), dict) else v
        return cls(**values)


def _underscored(values: dict) -> dict:
    """A TOML table's keys with ``-`` as ``_`` (the field names), in its sub-tables too."""
    return {k.replace("-", "_"): _underscored(v) if isinstance(v, dict) else v for k, v in values.items()}


def method_settings(cfg: InpaintConfig) -> "MethodSettings":
    """The method's knobs and the stage implementations ``cfg`` asks for (learned ones load
    their ONNX files once)."""
    from isvi_models.ops.flow import DISFlowEstimator
    from isvi_models.pipeline import MethodSettings

    settings = MethodSettings(max_side=cfg.max_side, roi=cfg.roi, roi_margin_px=cfg.roi_margin_px,
                              flow_dilate_px=cfg.flow_dilate_px, consistency_px=cfg.consistency_px,
                              max_trace_px=cfg.max_trace_px or math.inf, alpha=cfg.alpha, spatial_fill=cfg.spatial_fill,
                              zero_motion=cfg.zero_motion, still_snap_px=cfg.still_snap_px,
                              noise_flow_px=cfg.noise_flow_px,
                              estimator=DISFlowEstimator(cfg.flow_preset))
    if cfg.flow_completion == "igfc" or cfg.style_fusion == "asfn":
        from isvi_models import learned

        if cfg.flow_completion == "igfc":
            settings.completer = learned.load_flow_completer(models_dir(cfg))
        if cfg.style_fusion == "asfn":
            settings.refiner = learned.load_gradient_refiner(models_dir(cfg))
    return settings


def models_dir(cfg: InpaintConfig) -> Path | None:
    """Where the learned stages' ONNX files come from: ``--models``, else the weights shipped in
    the package (``isvi_models/weights``) when a learned stage is asked for, else None."""
    if cfg.models is not None:
        return Path(cfg.models)
    if cfg.flow_completion == "igfc" or cfg.style_fusion == "asfn":
        from isvi_models.learned import SHIPPED_MODELS

        return SHIPPED_MODELS
    return None


@functools.lru_cache(maxsize=4)
def _settings(cfg_json: str) -> "MethodSettings":
    return method_settings(InpaintConfig.model_validate_json(cfg_json))


def settings_for(cfg: InpaintConfig) -> "MethodSettings":
    """:func:`method_settings`, built once per worker process per config (learned models load once)."""
    return _settings(cfg.model_dump_json())
