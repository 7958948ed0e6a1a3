"""Seeded hole generators for benchmarks: every function returns bool (T, H, W), True = hole.

The same ``(kind, seed, T, H, W, params)`` always gives the same masks (numpy's PCG64 via
``default_rng(seed)``, no global state), so a benchmark can be re-run and compared.

* ``squares`` — moving squares with a continuous motion trace, the protocol the ISVI author
  names for the paper's quantitative results (hitachinsk/ISVI issue #4): each square moves in
  a straight line at a constant speed and bounces off the frame border, so consecutive masks
  overlap and the trace is continuous.
* ``blobs`` — STTN-style moving free-form shapes (STTN ``create_random_shape_with_random_motion``,
  also used to train IGFC): a closed random Bézier blob that drifts with a random velocity
  plus random acceleration, and randomly zooms or rotates by a little each frame. STTN draws
  the blob between 1/3 and all of the frame and keeps half of its masks stationary (a
  training distribution); the defaults here are smaller and always moving (a test
  distribution), and both are parameters.
* ``text`` — a static overlay: a line of text (cv2.putText) plus a simple logo (ring and bar)
  in a corner, like a broadcaster's watermark.
* ``folder`` — masks read from a folder of images (``media.masks.open_mask``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from isvi_models.hole_shapes import moving_blobs, moving_squares, text_overlay


def folder_masks(folder: str | Path, frames: int, height: int, width: int) -> np.ndarray:
    """Masks from a folder of images (one per frame, non-zero = hole), checked like ``isvi inpaint``'s."""
    from fractions import Fraction

    from media.masks import open_mask
    from media.video import VideoInfo

    info = VideoInfo(Path(folder), frames, width, height, Fraction(25))
    return open_mask(folder, [], info).read(0, frames)


GENERATORS = {"squares": moving_squares, "blobs": moving_blobs, "text": text_overlay}


def parse_spec(spec: str) -> tuple[str, int, dict]:
    """``KIND[:SEED][,key=value...]`` -> (kind, seed, params); e.g. ``squares:3,count=2``."""
    from isvi_models.errors import ConfigError

    head, *rest = spec.split(",")
    kind, _, seed = head.partition(":")
    kind = kind.strip()
    if kind not in GENERATORS:
        raise ConfigError(f"mask generator: unknown kind {kind!r} (use one of {', '.join(GENERATORS)}, "
                          f"or a folder)")
    try:
        seed_i = int(seed) if seed else 0
    except ValueError:
        raise ConfigError(f"mask generator: seed must be an integer in {spec!r}") from None
    params: dict = {}
    for item in rest:
        key, _, value = item.partition("=")
        try:
            params[key.strip()] = int(value) if value.strip().lstrip("-").isdigit() else float(value)
        except ValueError:
            params[key.strip()] = value
    return kind, seed_i, params


def generate(spec: str | dict, frames: int, height: int, width: int) -> np.ndarray:
    """Masks from a spec string (see :func:`parse_spec`), a folder path, or a dict
    ``{"kind": ..., "seed": ..., other params}`` (the form a clip's meta.json may carry)."""
    from isvi_models.errors import ConfigError

    if isinstance(spec, dict):
        params = dict(spec)
        kind, seed = params.pop("kind", None), int(params.pop("seed", 0))
        if kind not in GENERATORS:
            raise ConfigError(f"mask generator: unknown kind {kind!r}")
    else:
        if Path(spec).is_dir():
            return folder_masks(spec, frames, height, width)
        kind, seed, params = parse_spec(spec)
    try:
        return GENERATORS[kind](frames, height, width, seed, **params)
    except TypeError as exc:
        raise ConfigError(f"mask generator {kind}: {exc}") from None
