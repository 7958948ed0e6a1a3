"""A static semi-transparent overlay (a channel's logo, a watermark), estimated and undone.

An overlay burnt in with opacity ``a`` and colour ``W`` gives ``I = (1 - a) B + a W``: what is
behind it is still in the pixel, scaled, and ``B = (I - a W) / (1 - a)`` recovers it exactly
where ``a`` and ``W`` are known. One clip of one scene does not determine them (a fixed or slow
camera shows one background per position; ``benchmarks/devset.md``, tenth and twelfth rounds),
but frames of many scenes under the same overlay do: across them, the background's mean and
spread at a position are those of the positions around it, and the overlay moves the mean
towards ``W`` and shrinks the spread by ``1 - a``. So, from ``K`` sample frames:

    spread  std_t I(x) = (1 - a(x)) std_t B(x)      ->  1 - a(x)   (median over the channels)
    mean    mean_t I(x) = (1 - a) mean_t B(x) + a W  ->  W          (median over the overlay),
                                                         then a(x) again, averaged with the first

with the background's mean and spread inside the hole carried in from around it (Laplace
fill, :func:`isvi_models.ops.poisson.poisson_solve`). Moment matching rather than a regression
on a guessed background: it needs no background estimate inside the hole, which is what the
method lacks where it matters. The samples are trusted only when they predict a ring of known
pixels just outside the hole (its spread, from further out, within ``ring_tolerance``): samples
of one slow shot fail that test, samples spread over many shots pass it. Positions too opaque
(``a > max_opacity``: noise would be multiplied by more than ``1 / (1 - max_opacity)``) or
whose background barely varies (``min_spread``) stay with the inpainting, and so does a window
whose recovered background is much rougher than the scene around the hole (:func:`plausible`).

Arrays in, arrays out; measurements are in ``benchmarks/unblend.md`` and ``benchmarks/devset.md``
(twelfth round).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from isvi_models.errors import check_shape
from isvi_models.ops.masks import dilate_holes
from isvi_models.ops.poisson import poisson_solve

MIN_SAMPLES = 16
CONTEXT_PX = 24  # known pixels around the hole the statistics are carried in from
RING_PX = (4, 10)  # the test ring: this far outside the hole
ROUGHNESS = 4.0  # see plausible(); benchmarks/unblend.md
MEAN_CONTRAST = 0.2  # per channel: the background's mean this far from W lets the mean estimate a too


@dataclass(frozen=True)
class Overlay:
    """Opacity ``a`` over a box of the frame (float32 (h, w), NaN where the background cannot be
    recovered), the box's top-left ``origin`` (y, x) in full-resolution pixels, and the colour
    ``W`` (float32 (3,), 0-1)."""

    opacity: np.ndarray
    origin: tuple[int, int]
    colour: np.ndarray

    def over(self, y0: int, x0: int, height: int, width: int) -> np.ndarray:
        """The opacity over the frame area ``[y0, y0 + height) x [x0, x0 + width)``; NaN outside the box."""
        out = np.full((height, width), np.nan, np.float32)
        oy, ox = self.origin
        h, w = self.opacity.shape
        ya, yb = max(oy, y0), min(oy + h, y0 + height)
        xa, xb = max(ox, x0), min(ox + w, x0 + width)
        if ya < yb and xa < xb:
            out[ya - y0:yb - y0, xa - x0:xb - x0] = self.opacity[ya - oy:yb - oy, xa - ox:xb - ox]
        return out


def recover(frames: np.ndarray, opacity: np.ndarray, colour: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What is behind the overlay in float frames (T, h, w, 3), 0-1, given its opacity (h, w) over
    the same area (NaN: not recoverable) and colour: ``(colours, usable)``, with ``usable`` (h, w)."""
    usable = np.isfinite(opacity)
    a = np.where(usable, opacity, 0.0).astype(np.float32)[None, ..., None]
    colours = (frames - a * colour.astype(np.float32)) / (1.0 - a)
    return np.clip(colours, 0.0, 1.0), usable


def plausible(frames: np.ndarray, holes: np.ndarray, colours: np.ndarray, usable: np.ndarray,
              max_roughness: float = ROUGHNESS) -> tuple[bool, float]:
    """Whether the background recovered in a window (``colours``, from :func:`recover`) looks like the
    scene around the hole: its mean gradient magnitude inside the hole against that of the known
    pixels 3-10 px around it (float frames (T, H, W, 3), holes (T, H, W)). An opacity a few percent
    off, divided by ``1 - a``, turns a smooth background (a bright wall under a dark logo) into
    noise the spatial fill would not make; on textured backgrounds the ratio stays near 1.
    Returns ``(ratio <= max_roughness, ratio)``."""
    union = holes.any(axis=0)
    inner = usable & union & ~dilate_holes((~union)[None], 1)[0]  # off the hole's rim
    ring = dilate_holes(union[None], 10)[0] & ~dilate_holes(union[None], 3)[0]
    if not inner.any() or not ring.any():
        return False, float("nan")
    inside = _gradient_magnitude(colours)[:, inner].mean()
    around = _gradient_magnitude(frames)[:, ring].mean()
    ratio = float(inside / max(around, 1e-4))
    return ratio <= max_roughness, ratio


def _gradient_magnitude(frames: np.ndarray) -> np.ndarray:
    gy, gx = np.gradient(frames, axis=(1, 2))
    return np.hypot(gx, gy).mean(axis=-1)


def _carried_in(values: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """Per-position statistics (h, w, c) inside ``hole`` replaced by a Laplace fill from around it."""
    out, _ = poisson_solve(np.where(hole[..., None], 0.0, values).astype(np.float32), hole)
    return out


def overlay_box(hole: np.ndarray) -> tuple[int, int, int, int]:
    """``(y0, y1, x0, x1)``: the part of the frame :func:`estimate_overlay` reads, the hole's bounding
    box and ``CONTEXT_PX`` around it (samples can be cut to it before they are gathered)."""
    ys, xs = np.nonzero(hole)
    h, w = hole.shape
    return (int(max(ys.min() - CONTEXT_PX, 0)), int(min(ys.max() + CONTEXT_PX + 1, h)),
            int(max(xs.min() - CONTEXT_PX, 0)), int(min(xs.max() + CONTEXT_PX + 1, w)))


def estimate_overlay(samples: np.ndarray, hole: np.ndarray, origin: tuple[int, int] = (0, 0), *,
                     max_opacity: float = 0.8, min_spread: float = 0.05,
                     ring_tolerance: float = 0.045) -> tuple[Overlay | None, str]:
    """The overlay under a static ``hole`` (bool (H, W)) from uint8 sample frames (K, H, W, 3) that
    show it, ideally of many scenes (module docstring). ``samples`` and ``hole`` may be a part of the
    frame (:func:`overlay_box`) whose top-left is ``origin`` (y, x). Returns ``(overlay, "")``, or
    ``(None, reason)`` when the samples do not determine it or nothing under it can be recovered."""
    check_shape(samples, "K H W 3", "samples")
    check_shape(hole, f"{samples.shape[1]} {samples.shape[2]}", "hole")
    if samples.shape[0] < MIN_SAMPLES:
        return None, f"{samples.shape[0]} sample frames (at least {MIN_SAMPLES} are needed)"
    if not hole.any():
        return None, "no hole"
    y0, y1, x0, x1 = overlay_box(hole)
    box = samples[:, y0:y1, x0:x1].astype(np.float32) / 255.0
    hole = hole[y0:y1, x0:x1]
    mean, spread = box.mean(axis=0), box.std(axis=0)

    near, far = (dilate_holes(hole[None], r)[0] for r in RING_PX)
    ring = far & ~near
    if not ring.any() or far.all():
        return None, "no known pixels around the hole to test the samples on"
    predicted = _carried_in(spread, far)[ring].mean(axis=-1)
    off = float(np.median(np.abs(spread[ring].mean(axis=-1) / np.maximum(predicted, 1e-3) - 1.0)))
    if off > ring_tolerance:
        return None, (f"the samples' spread around the hole is not predictable from further out "
                      f"(off by {off:.3f} > {ring_tolerance}): too few scenes")
    behind_mean, behind_spread = _carried_in(mean, hole), _carried_in(spread, hole)
    opacity = (1.0 - np.clip(np.median(spread / np.maximum(behind_spread, 1e-3), axis=-1), 0.0, 1.0)).astype(np.float32)
    seen = hole & (opacity > 0.2)
    if seen.sum() < 16:
        return None, "no overlay visible under the hole"
    s = (1.0 - opacity)[..., None]
    colour = np.clip(np.median(((mean - s * behind_mean) / np.maximum(opacity[..., None], 1e-3))[seen], axis=0),
                     0.0, 1.0).astype(np.float32)
    # With W known, the mean gives a second estimate of a, whose error (the carried-in mean's) is
    # independent of the spread's: their average halved the error over the glyph bodies of a white
    # logo (benchmarks/unblend.md). Where the background's mean is near W it says little: spread only.
    towards = colour - behind_mean
    contrast = (towards * towards).sum(axis=-1)
    by_mean = np.clip(((mean - behind_mean) * towards).sum(axis=-1) / np.maximum(contrast, 1e-6), 0.0, 1.0)
    opacity = np.where(contrast > MEAN_CONTRAST**2 * 3, 0.5 * (opacity + by_mean), opacity).astype(np.float32)
    usable = hole & (opacity <= max_opacity) & (behind_spread.mean(axis=-1) >= min_spread)
    if not usable.any():
        return None, "the overlay is too opaque, or the background under it too uniform, to recover"
    return Overlay(np.where(usable, opacity, np.nan).astype(np.float32), (origin[0] + y0, origin[1] + x0), colour), ""
