"""Quality metrics for video inpainting, as pure functions of uint8 RGB frames and bool holes.

Conventions: frames are uint8 (T, H, W, 3) or (H, W, 3) RGB; holes are bool, True = the
pixel was missing and had to be filled. Values are on the 0-255 scale.

What is measured, and why each one:

* **Whole-frame PSNR / SSIM** — the papers' protocol (ISVI, FGVC, STTN, ProPainter):
  scikit-image ``peak_signal_noise_ratio`` and ``structural_similarity`` per frame, averaged
  over frames. SSIM is reported twice: scikit-image's default (7x7 uniform window, the
  ISVI/FGVC code) and ``win_size=65`` (ProPainter's evaluation, which smooths over much
  larger structures). Whole-frame numbers are dominated by the untouched pixels.
* **PSNR / SSIM inside the hole** — what separates methods. In-hole PSNR is the MSE over
  hole pixels (all channels); scikit-image has no masked PSNR, so the two lines are written
  here. In-hole SSIM is the mean of scikit-image's 7x7 SSIM map over hole pixels.
* **Flow warping error** (Lai et al., ECCV 2018, restricted to the hole): the result's
  frame t-1 is warped to frame t along the *ground truth's* backward optical flow (OpenCV
  DIS), and the mean absolute difference to the result's frame t is taken over hole pixels
  of frame t where the flow passes a forward-backward consistency check. The same number
  computed on the ground truth itself (``warp_error_gt``) is the floor the flow allows.
* **Flicker** — mean |(O_t - O_{t-1}) - (G_t - G_{t-1})| over pixels that are in the hole at
  t or t-1: zero when the result changes over time exactly as the ground truth does, so a
  constant colour error scores 0 and an error that alternates sign scores twice its size.
  Flow-free, hence robust where DIS flow is wrong (the proxy used in anchors.md §6b).
* Clip values are means of per-frame values; a frame with PSNR = inf (identical to the
  ground truth) counts as 100 dB in the mean (see :func:`nanmean`).
* **Unchanged outside** — max and mean |result - reference| and the share of pixels that
  differ by more than a tolerance, outside an (optionally dilated) hole.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

SSIM_WIN_DEFAULT = 7  # scikit-image's default window (uniform, not Gaussian)
SSIM_WIN_LARGE = 65  # ProPainter-style


# ---------------------------------------------------------------------------------
# Per-frame metrics
# ---------------------------------------------------------------------------------
def _psnr_from_mse(mse: float, data_range: float = 255.0) -> float:
    if mse == 0:
        return math.inf
    return float(10.0 * np.log10(data_range**2 / mse))


def psnr(result: np.ndarray, gt: np.ndarray) -> float:
    """Whole-frame PSNR (dB) of one frame or a stack, via scikit-image; inf when identical."""
    from skimage.metrics import mean_squared_error, peak_signal_noise_ratio

    if mean_squared_error(result, gt) == 0:  # skimage divides by zero (and warns) here
        return math.inf
    return float(peak_signal_noise_ratio(gt, result, data_range=255))


def masked_psnr(result: np.ndarray, gt: np.ndarray, hole: np.ndarray) -> float:
    """PSNR over the pixels where ``hole`` is True (all channels); NaN when the hole is empty."""
    if not hole.any():
        return math.nan
    diff = result[hole].astype(np.float64) - gt[hole].astype(np.float64)
    return _psnr_from_mse(float(np.mean(diff * diff)))


def ssim_map(result: np.ndarray, gt: np.ndarray, win_size: int = SSIM_WIN_DEFAULT) -> tuple[float, np.ndarray]:
    """scikit-image SSIM of one RGB frame: (mean over the frame, per-pixel map averaged over channels).

    The mean is scikit-image's own (borders of half a window excluded). NaN and an empty map
    when the frame is smaller than the window.
    """
    from skimage.metrics import structural_similarity

    if min(result.shape[:2]) < win_size:
        return math.nan, np.zeros((0, 0))
    mean, full = structural_similarity(gt, result, data_range=255, channel_axis=-1, win_size=win_size, full=True)
    return float(mean), full.mean(axis=-1)


def ssim(result: np.ndarray, gt: np.ndarray, win_size: int = SSIM_WIN_DEFAULT) -> float:
    """Whole-frame SSIM of one RGB frame (scikit-image, uniform window of ``win_size``)."""
    return ssim_map(result, gt, win_size)[0]


def masked_ssim(result: np.ndarray, gt: np.ndarray, hole: np.ndarray, win_size: int = SSIM_WIN_DEFAULT) -> float:
    """Mean of the SSIM map over hole pixels; NaN when the hole is empty or the frame too small."""
    if not hole.any():
        return math.nan
    _, smap = ssim_map(result, gt, win_size)
    return float(smap[hole].mean()) if smap.size else math.nan


# ---------------------------------------------------------------------------------
# Temporal metrics
# ---------------------------------------------------------------------------------
def _gray(frame: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)


def dis_flow(src: np.ndarray, dst: np.ndarray, preset: str = "medium") -> np.ndarray:
    """OpenCV DIS flow f with src(x) ~ dst(x + f(x)); float32 (H, W, 2) in pixels (dx, dy)."""
    import cv2

    presets = {"ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST, "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
               "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM}
    dis = cv2.DISOpticalFlow_create(presets[preset])
    return dis.calc(_gray(src), _gray(dst), None)


def warp(frame: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Backward warp: out(x) = frame(x + flow(x)), bilinear, border replicated; float32."""
    import cv2

    h, w = flow.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(frame.astype(np.float32), gx + flow[..., 0], gy + flow[..., 1], cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)


def consistent(flow_bw: np.ndarray, flow_fw: np.ndarray) -> np.ndarray:
    """Forward-backward check (Sundaram et al. 2010) of ``flow_bw`` (t -> t-1) against ``flow_fw``
    (t-1 -> t): True where following one and then the other returns to the start, and the
    target lies inside the frame."""
    h, w = flow_bw.shape[:2]
    fw_at = warp(flow_fw, flow_bw)
    err = np.sum((flow_bw + fw_at) ** 2, axis=-1)
    tol = 0.01 * (np.sum(flow_bw**2, axis=-1) + np.sum(fw_at**2, axis=-1)) + 0.5
    gx, gy = np.meshgrid(np.arange(w), np.arange(h))
    tx, ty = gx + flow_bw[..., 0], gy + flow_bw[..., 1]
    inside = (tx >= 0) & (tx <= w - 1) & (ty >= 0) & (ty <= h - 1)
    return (err <= tol) & inside


def gt_flow_pair(gt_prev: np.ndarray, gt_cur: np.ndarray, preset: str = "medium") -> tuple[np.ndarray, np.ndarray]:
    """Backward flow t -> t-1 on the ground truth and its validity (forward-backward consistent)."""
    bw = dis_flow(gt_cur, gt_prev, preset)
    fw = dis_flow(gt_prev, gt_cur, preset)
    return bw, consistent(bw, fw)


def warping_error(res_prev: np.ndarray, res_cur: np.ndarray, hole_cur: np.ndarray, flow_bw: np.ndarray,
                  valid: np.ndarray) -> float:
    """Mean |O_t - warp(O_{t-1}, flow_bw)| over hole pixels of frame t with a valid flow (0-255).

    NaN when no such pixel exists.
    """
    sel = hole_cur & valid
    if not sel.any():
        return math.nan
    warped = warp(res_prev, flow_bw)
    return float(np.mean(np.abs(res_cur[sel].astype(np.float32) - warped[sel])))


def flicker(res_prev: np.ndarray, res_cur: np.ndarray, gt_prev: np.ndarray, gt_cur: np.ndarray,
            hole_prev: np.ndarray, hole_cur: np.ndarray) -> float:
    """Mean |(O_t - O_{t-1}) - (G_t - G_{t-1})| over pixels in the hole at t or t-1 (0-255)."""
    sel = hole_prev | hole_cur
    if not sel.any():
        return math.nan
    d_res = res_cur[sel].astype(np.float32) - res_prev[sel].astype(np.float32)
    d_gt = gt_cur[sel].astype(np.float32) - gt_prev[sel].astype(np.float32)
    return float(np.mean(np.abs(d_res - d_gt)))


# ---------------------------------------------------------------------------------
# Outside the hole
# ---------------------------------------------------------------------------------
@dataclass
class OutsideCheck:
    """Change outside the (dilated) hole: max and mean |difference|, share of pixels over ``tol``."""

    max_abs: int = 0
    sum_abs: float = 0.0
    changed: int = 0
    pixels: int = 0
    tol: int = 0

    def update(self, result: np.ndarray, reference: np.ndarray, allowed: np.ndarray) -> None:
        """``allowed`` (bool, like the hole): pixels a method may change; all others are checked."""
        keep = ~allowed
        if not keep.any():
            return
        d = np.abs(result[keep].astype(np.int16) - reference[keep].astype(np.int16)).max(axis=-1)
        self.max_abs = max(self.max_abs, int(d.max()))
        self.sum_abs += float(d.sum())
        self.changed += int(np.count_nonzero(d > self.tol))
        self.pixels += int(d.size)

    @property
    def mean_abs(self) -> float:
        return self.sum_abs / self.pixels if self.pixels else 0.0

    @property
    def changed_fraction(self) -> float:
        return self.changed / self.pixels if self.pixels else 0.0

    @property
    def ok(self) -> bool:
        return self.max_abs <= self.tol

    def as_dict(self) -> dict:
        return {"outside_max_abs": self.max_abs, "outside_mean_abs": self.mean_abs,
                "outside_changed_fraction": self.changed_fraction, "outside_tol": self.tol,
                "outside_unchanged": self.ok}


def unchanged_outside(result: np.ndarray, reference: np.ndarray, allowed: np.ndarray, tol: int = 0) -> OutsideCheck:
    """Check a whole clip at once; see :class:`OutsideCheck`."""
    chk = OutsideCheck(tol=tol)
    chk.update(result, reference, allowed)
    return chk


# ---------------------------------------------------------------------------------
# Whole clips, streamed
# ---------------------------------------------------------------------------------
PER_FRAME_KEYS = ("psnr", "ssim", "ssim_w65", "psnr_hole", "ssim_hole", "warp_error", "warp_error_gt", "flicker")


PSNR_CAP_DB = 100.0  # an identical frame counts as 100 dB in a clip's mean (MSE ~ 6.5e-6)


def nanmean(values) -> float:
    """Mean over frames, NaN frames (nothing to score) left out. Infinite values (PSNR of an
    identical frame) count as :data:`PSNR_CAP_DB`, so one untouched frame does not make a
    clip's mean infinite; the mean is inf only when every frame is identical."""
    arr = np.asarray(values, dtype=np.float64)
    arr = arr[~np.isnan(arr)]
    if not arr.size:
        return math.nan
    if np.isposinf(arr).all():
        return math.inf
    return float(np.where(np.isposinf(arr), PSNR_CAP_DB, arr).mean())


@dataclass
class ClipScorer:
    """Accumulates every metric over a clip fed in chunks of consecutive frames (bounded memory).

    ``allowed`` holes (what the method was allowed to change, e.g. the dilated hole) default
    to the scored hole. Temporal metrics pair each frame with the previous one, across chunks.
    ``temporal=False`` skips the flow-based warping error (the slowest metric).
    """

    outside_tol: int = 0
    temporal: bool = True
    flow_preset: str = "medium"
    per_frame: dict = field(default_factory=lambda: {k: [] for k in PER_FRAME_KEYS})
    outside: OutsideCheck = None
    _prev: tuple | None = None

    def __post_init__(self):
        self.outside = OutsideCheck(tol=self.outside_tol)

    def update(self, result: np.ndarray, gt: np.ndarray, hole: np.ndarray, allowed: np.ndarray | None = None) -> None:
        if not (result.shape == gt.shape and hole.shape == gt.shape[:3]):
            raise ValueError(f"shapes differ: result {result.shape}, gt {gt.shape}, hole {hole.shape}")
        allowed = hole if allowed is None else allowed
        pf = self.per_frame
        for r, g, m, a in zip(result, gt, hole, allowed):
            pf["psnr"].append(psnr(r, g))
            s7, smap = ssim_map(r, g, SSIM_WIN_DEFAULT)
            pf["ssim"].append(s7)
            pf["ssim_w65"].append(ssim(r, g, SSIM_WIN_LARGE))
            pf["psnr_hole"].append(masked_psnr(r, g, m))
            pf["ssim_hole"].append(float(smap[m].mean()) if m.any() and smap.size else math.nan)
            if self._prev is None:
                for k in ("warp_error", "warp_error_gt", "flicker"):
                    pf[k].append(math.nan)  # no previous frame
            else:
                pr, pg, pm = self._prev
                pf["flicker"].append(flicker(pr, r, pg, g, pm, m))
                if self.temporal and m.any():
                    bw, valid = gt_flow_pair(pg, g, self.flow_preset)
                    pf["warp_error"].append(warping_error(pr, r, m, bw, valid))
                    pf["warp_error_gt"].append(warping_error(pg, g, m, bw, valid))
                else:
                    pf["warp_error"].append(math.nan)
                    pf["warp_error_gt"].append(math.nan)
            self.outside.update(r[None], g[None], a[None])
            self._prev = (r, g, m)

    def summary(self) -> dict:
        out = {k: nanmean(v) for k, v in self.per_frame.items()}
        out.update(self.outside.as_dict())
        out["frames"] = len(self.per_frame["psnr"])
        return out


def score_clip(result: np.ndarray, gt: np.ndarray, hole: np.ndarray, allowed: np.ndarray | None = None,
               outside_tol: int = 0, temporal: bool = True) -> tuple[dict, dict]:
    """(summary, per-frame lists) for a whole clip in memory."""
    sc = ClipScorer(outside_tol=outside_tol, temporal=temporal)
    sc.update(result, gt, hole, allowed)
    return sc.summary(), sc.per_frame


# ---------------------------------------------------------------------------------
# LPIPS (optional dependency)
# ---------------------------------------------------------------------------------
def lpips_available() -> tuple[bool, str]:
    """Whether the ``lpips`` package and its AlexNet weights load; the reason when not."""
    try:
        import lpips  # noqa: F401
    except Exception as exc:  # ImportError, or a broken install
        return False, f"package 'lpips' not importable ({exc.__class__.__name__})"
    try:
        _lpips_model()
    except Exception as exc:  # weights missing and no network
        return False, f"lpips weights could not be loaded ({exc.__class__.__name__}: {exc})".splitlines()[0]
    return True, "lpips (AlexNet)"


_LPIPS = None


def _lpips_model():
    global _LPIPS
    if _LPIPS is None:
        import lpips

        _LPIPS = lpips.LPIPS(net="alex", verbose=False).eval()
    return _LPIPS


def lpips_frames(result: np.ndarray, gt: np.ndarray) -> list[float]:
    """Whole-frame LPIPS (AlexNet, inputs scaled to [-1, 1]) per frame; needs ``lpips``."""
    import torch

    model = _lpips_model()
    out = []
    with torch.no_grad():
        for r, g in zip(result, gt):
            tr = torch.from_numpy(r).permute(2, 0, 1)[None].float() / 127.5 - 1
            tg = torch.from_numpy(g).permute(2, 0, 1)[None].float() / 127.5 - 1
            out.append(float(model(tr, tg).item()))
    return out
