"""What a detection returns (:class:`WatermarkEstimate`) and how a caller refuses an empty
or doubtful one (:meth:`WatermarkEstimate.require`, :class:`OverlayNotFound`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from isvi_models.errors import IsviError
from media.masks import fit_mask
from media.watermark.presence import OverlayTemplate


class OverlayNotFound(IsviError):
    """No static overlay was found, or not with the confidence asked for (CLI exit 1)."""


@dataclass(frozen=True)
class WatermarkEstimate:
    """Result of :func:`detect_static_overlay` / :func:`detect_watermark`.

    ``mask`` is True on the overlay (the hole to inpaint), margin included, at the input's
    full resolution. ``motion`` is the fraction of textured content that moved;
    ``contrast`` the persistent-edge strength on the overlay over the background's;
    ``clarity`` the share of strong edges around the mask that were kept (not discarded by
    the drift test, nor explained away as scene where the camera hardly moved it).
    """

    mask: np.ndarray
    confidence: float
    frames_sampled: int
    frames_used: int
    videos: int
    motion: float
    contrast: float
    clarity: float
    threshold: float
    components: int
    persistent_edges: np.ndarray = field(repr=False)
    # The confidence's three ramped terms (it is their product), so a refusal can name the weakest.
    terms: dict[str, float] = field(default_factory=dict)
    # Distinct frames that showed the overlay's candidate edges (:mod:`media.watermark`, step 8);
    # frames_used when all did; None when not measured (an estimate built by hand).
    frames_showing: int | None = None
    # Per video (the source name; None for frames passed directly), the frame that shows the
    # overlay's edges most clearly: a frame index from detect_watermark, else the frame's
    # position in the frames passed. The frame to preview the mask on.
    clearest_frame: dict[object, int] = field(default_factory=dict)
    # Per video, its (height, width), from detect_watermark: ``mask_at(*sizes[v])`` is its mask.
    sizes: dict[object, tuple[int, int]] = field(default_factory=dict)
    # The overlay's own gradients, to tell which frames of a video show it (step 9); None
    # when nothing was found.
    template: OverlayTemplate | None = field(default=None, repr=False)

    @property
    def found(self) -> bool:
        return bool(self.mask.any())

    @property
    def coverage(self) -> float:
        """Fraction of the frame inside the mask."""
        return float(self.mask.mean())

    @property
    def bbox(self) -> tuple[int, int, int, int] | None:
        """``(x0, y0, x1, y1)`` of the mask, exclusive ends; None when empty."""
        if not self.found:
            return None
        ys, xs = np.nonzero(self.mask)
        return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1

    def mask_at(self, height: int, width: int) -> np.ndarray:
        """The mask for a video of ``height`` x ``width``: a pooled estimate's mask is at the
        size its videos were analysed at (:func:`detect_watermark`), and a member of another
        resolution (same aspect ratio) gets it scaled (:func:`fit_mask`)."""
        return fit_mask(self.mask, (height, width))

    def require(self, min_confidence: float = 0.0, what: object = None) -> WatermarkEstimate:
        """Return self, or raise :class:`OverlayNotFound` if empty or less confident than asked."""
        where = f"{what}: " if what else ""
        if not self.found:
            raise OverlayNotFound(f"{where}no static overlay found (the content moved, but no edges stayed "
                                  f"still; a faint or flat overlay needs a mask given by hand)")
        if self.confidence < min_confidence:
            # The weakest term, and any other that alone would halve the confidence.
            order = sorted(self.terms, key=self.terms.get)
            short = [_SHORTFALL[k] for i, k in enumerate(order) if self.terms[k] < (0.999 if i == 0 else 0.5)]
            raise OverlayNotFound(f"{where}overlay found with confidence {self.confidence:.2f}, below the "
                                  f"{min_confidence:.2f} asked for (motion {self.motion:.0%}, contrast "
                                  f"{self.contrast:.1f}x, clarity {self.clarity:.0%}): "
                                  + "; ".join(short + [("add more videos of the same source with other content, or "
                                                        "mask the overlay with a box instead (--box X,Y,W,H)")]))
        return self


# What a low confidence term means, for the refusal message.
_SHORTFALL = {
    "motion": "too little of the content moved to tell an overlay from the scene",
    "contrast": "the overlay's edges are faint against what the moving content leaves behind",
    "clarity": "the scene around the mask hardly moved, so the mask may miss part of the overlay",
}

