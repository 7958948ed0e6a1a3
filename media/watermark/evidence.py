"""The evidence the detection works on: per-frame signed gradients of the non-redundant
frames of one or more videos, the camera model of each shot, what the moving scene predicts
at each pixel, and the drift and presence tests on them (steps 1-3 and 8 of
:mod:`media.watermark`)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from isvi_models.errors import InputError
from media.watermark.drift import _edge_texture, _unshifted
from media.watermark.gradients import (
    _analysis_grey,
    _analysis_rgb,
    _colour_gradients,
    _grey,
    _iter_frames,
    _temporal_stats,
)


def _project(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    p = m @ pts
    return p[:2] / p[2:]


class _Evidence:
    """Per-frame signed gradients (int16, analysis scale) of the non-redundant frames."""

    def __init__(self, analysis_max_side: int, dedupe_level: float):
        self.max_side = analysis_max_side
        self.dedupe_level = dedupe_level
        self.full_shape: tuple[int, int] | None = None
        self.scale = 1.0
        self.gx: list[np.ndarray] = []
        self.gy: list[np.ndarray] = []
        self.thumbs: list[np.ndarray] = []
        self.greys: list[np.ndarray] = []
        self.video: list[object] = []
        self.position: list[int] = []  # per kept frame, its position among its video's sampled frames
        self._added: dict[object, int] = {}  # frames added per video, redundant ones included
        self.shot = np.zeros(0, int)  # shot id per kept frame, set by camera()
        self.sampled = 0

    def add(self, frame: np.ndarray, source: object = None) -> None:
        import cv2

        g = _grey(np.asarray(frame))
        if self.full_shape is None:
            self.full_shape = g.shape
            self.scale = min(1.0, self.max_side / max(g.shape))
        elif g.shape != self.full_shape:
            h, w = self.full_shape
            raise InputError(source, f"frames are {g.shape[1]}x{g.shape[0]}, but the first input is {w}x{h}; "
                                      "pool frames of one size (fit_frame)")
        self.sampled += 1
        position = self._added.get(source, 0)
        self._added[source] = position + 1
        g = _analysis_grey(g, self.scale)
        # Redundancy test on a 1/8 thumbnail, blurred so sensor noise and compression do not
        # count as change: a mean absolute difference of ~1.5 grey levels is a visible shift.
        thumb = cv2.GaussianBlur(cv2.resize(g, None, fx=0.125, fy=0.125, interpolation=cv2.INTER_AREA)
                                 .astype(np.float32), (3, 3), 0)
        if self.dedupe_level > 0 and any(np.abs(thumb - t).mean() < self.dedupe_level for t in self.thumbs):
            return
        self.thumbs.append(thumb)
        self.greys.append(g)
        self.video.append(source)
        self.position.append(position)
        gx, gy = _colour_gradients(_analysis_rgb(np.asarray(frame), g.shape), g)
        # Sobel on uint8 channels is within +-1020: int16 halves the memory of float32.
        self.gx.append(gx.astype(np.int16))
        self.gy.append(gy.astype(np.int16))

    def add_video(self, frames, source: object = None) -> None:
        """Add every frame of one video (anything :func:`_iter_frames` takes), tagged with ``source``."""
        for f in _iter_frames(frames):
            self.add(f, source)

    def camera(self, min_shift: float) -> list[np.ndarray | None]:
        """Per kept frame, the 2x3 similarity mapping it onto its shot's first frame, or None.

        Consecutive kept frames of the same video are registered with sparse optical flow
        (Shi-Tomasi corners, pyramidal Lucas-Kanade) and a RANSAC similarity fit, whose
        outlier rejection ignores the overlay's corners (they do not move) as long as the
        scene has more. A failed fit (a cut, a jump between far-apart samples) starts a new
        shot. Shots whose frames moved less than ``min_shift`` px get None: no usable
        camera model, the content has to move on its own.
        """
        import cv2

        n = len(self.greys)
        models: list[np.ndarray | None] = [None] * n
        shot_start, cur = 0, np.eye(3)
        shots: list[tuple[int, int]] = []
        for i in range(n):
            ok = False
            if i > 0 and self.video[i] == self.video[i - 1]:
                prev, nxt = self.greys[i - 1], self.greys[i]
                pts = cv2.goodFeaturesToTrack(prev, 500, 0.01, 7)
                if pts is not None and len(pts) >= 20:
                    q, st, _ = cv2.calcOpticalFlowPyrLK(prev, nxt, pts, None, winSize=(21, 21), maxLevel=3)
                    good = st.ravel() == 1
                    if good.sum() >= 20:
                        b, inl = cv2.findHomography(pts[good], q[good], cv2.RANSAC, 1.0)
                        if b is not None and inl is not None and inl.sum() >= max(15, 0.3 * good.sum()):
                            cur = cur @ np.linalg.inv(b)
                            cur /= cur[2, 2]
                            ok = True
            if not ok:
                if i > 0:
                    shots.append((shot_start, i))
                shot_start, cur = i, np.eye(3)
            models[i] = cur.copy()
        shots.append((shot_start, n))
        self.shot = np.zeros(n, int)
        for s_id, (a, b) in enumerate(shots):
            self.shot[a:b] = s_id
        h, w = self.greys[0].shape
        corners = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1], [w / 2, h / 2, 1]], float).T
        for a, b in shots:
            where = np.stack([_project(models[i], corners) for i in range(a, b)])  # (k, 2, 5)
            spread = float((where.max(axis=0) - where.min(axis=0)).max()) if b - a > 1 else 0.0
            if b - a < 3 or spread < min_shift:
                for i in range(a, b):
                    models[i] = None
        return models

    def motion_across_edges(self, models: list[np.ndarray | None], nx: np.ndarray, ny: np.ndarray,
                            step: int = 16) -> np.ndarray:
        """Per pixel, how far its shot's camera moved the scene *across* the edge there (px,
        analysis scale): the shot's displacement of the scene under the pixel, first frame
        to last, projected on the edge normal ``(nx, ny)``; the median over kept frames
        (0 for frames without a camera model).

        The scene prediction can only tell a scene edge from an overlay's where the scene
        moved across it: near a crane shot's rotation centre, or along an edge that runs
        with the motion (the aperture problem), the overlay is in the scene's coordinates
        too and the prediction explains it away as readily as a static facade. Homographies
        are smooth, so the displacements are computed on a ``step`` px grid and scaled up.
        """
        import cv2

        h, w = self.greys[0].shape
        gy, gx = np.mgrid[0:h + step:step, 0:w + step:step].astype(float)
        pts = np.stack([gx.ravel(), gy.ravel(), np.ones(gx.size)])
        size = (gx.shape[1] * step, gx.shape[0] * step)
        values, weights = [np.zeros((h, w), np.float32)], [0]
        for s_id in np.unique(self.shot):
            idx = [k for k in np.nonzero(self.shot == s_id)[0] if models[k] is not None]
            if not idx:
                continue
            d = (_project(models[idx[-1]], pts) - _project(models[idx[0]], pts)).reshape(2, *gx.shape)
            dx, dy = (cv2.resize(c.astype(np.float32), size, interpolation=cv2.INTER_LINEAR)[:h, :w] for c in d)
            values.append(np.abs(dx * nx + dy * ny))
            weights.append(len(idx))
        weights[0] = len(models) - sum(weights[1:])  # frames without a model: no motion
        # The frame-weighted median over the (few) shots.
        stack = np.stack(values)
        order = np.argsort(stack, axis=0)
        cum = np.cumsum(np.asarray(weights, float)[order], axis=0)
        pick = np.take_along_axis(order, np.argmax(cum >= cum[-1] / 2, axis=0)[None], 0)
        return np.take_along_axis(stack, pick, 0)[0]

    def scene_prediction(self, models: list[np.ndarray | None], rows: int = 64) -> tuple[np.ndarray, np.ndarray]:
        """Median over frames of the gradient the *moving scene alone* puts at each pixel.

        Per shot with a camera model, the frames' gradients are warped onto the shot's
        first frame and their median taken: the scene's own persistent structure, with the
        overlay smeared out (it moved relative to the scene). That is warped back into
        every frame; frames without a model predict 0 (content assumed to move on its
        own). Whatever the image-coordinate median shares with this prediction is scene
        structure that merely moved too little or along itself (the aperture problem).
        """
        import cv2

        n = len(self.gx)
        h, w = self.greys[0].shape
        pred_x = np.zeros((n, h, w), np.float32)
        pred_y = np.zeros((n, h, w), np.float32)
        valid = np.ones((n, h, w), bool)
        flags = cv2.INTER_LINEAR
        i = 0
        while i < n:
            if models[i] is None:
                i += 1
                continue
            j = i
            while j + 1 < n and models[j + 1] is not None and self.shot[j + 1] == self.shot[i]:
                j += 1
            idx = range(i, j + 1)
            # The shot's canvas: the union of what its frames saw (capped at 3x the frame),
            # so frames far along a pan still have their scene predicted.
            corners = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], float).T
            seen = np.concatenate([_project(models[k], corners) for k in idx], axis=1)
            x0, y0 = np.maximum(seen.min(axis=1), [-w, -h])
            x1, y1 = np.minimum(seen.max(axis=1), [2 * w, 2 * h])
            shift = np.array([[1, 0, -np.floor(x0)], [0, 1, -np.floor(y0)], [0, 0, 1]])
            cw, ch = int(np.ceil(x1 - np.floor(x0))), int(np.ceil(y1 - np.floor(y0)))
            canvas = {k: shift @ models[k] for k in idx}
            ones = np.ones((ch, cw), np.float32)
            stab = []
            for k in idx:
                m = canvas[k]
                wx = cv2.warpPerspective(self.gx[k].astype(np.float32), m, (cw, ch), flags=flags, borderValue=np.nan)
                wy = cv2.warpPerspective(self.gy[k].astype(np.float32), m, (cw, ch), flags=flags, borderValue=np.nan)
                stab.append((wx, wy))
            sx = np.stack([a for a, _ in stab])
            sy = np.stack([b for _, b in stab])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                gsx, gsy = np.nanmedian(sx, axis=0), np.nanmedian(sy, axis=0)
            gsx, gsy = np.nan_to_num(gsx), np.nan_to_num(gsy)
            for k in idx:
                inv = cv2.WARP_INVERSE_MAP | flags
                pred_x[k] = cv2.warpPerspective(gsx, canvas[k], (w, h), flags=inv, borderValue=0.0)
                pred_y[k] = cv2.warpPerspective(gsy, canvas[k], (w, h), flags=inv, borderValue=0.0)
                valid[k] = cv2.warpPerspective(ones, canvas[k], (w, h), flags=inv, borderValue=0.0) > 0.99
            i = j + 1
        del ones
        # Where a frame shows what its shot's reference never saw, it predicts nothing.
        pred_x[~valid] = np.nan
        pred_y[~valid] = np.nan
        px, py = np.empty((h, w), np.float32), np.empty((h, w), np.float32)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: no prediction
            for r in range(0, h, rows):
                px[r:r + rows] = np.nanmedian(pred_x[:, r:r + rows], axis=0)
                py[r:r + rows] = np.nanmedian(pred_y[:, r:r + rows], axis=0)
        return np.nan_to_num(px), np.nan_to_num(py)

    def residuals(self, min_flow: float, flow_max_side: int, cut_level: float
                  ) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
        """Per kept frame, its gradients minus what the *moving scene* predicts there (int16),
        and per pixel the fraction of frames in which some pair moved it by ``min_flow`` px.

        Frame k is predicted from up to 8 frames j of the same video (:func:`_partners`):
        DIS flow k->j (computed at most ``flow_max_side`` px wide) pulls frame j into frame
        k's geometry and the gradients of the warped frames are medianed. A pair predicts
        nothing where its flow moved the content less than ``min_flow`` px, and nothing at
        all when the warped frame stays more than ``cut_level`` grey levels off on average
        (a cut, or motion DIS could not follow). Where no pair predicts, the raw gradient
        stays. See :mod:`media.watermark`, step 2, for why.
        """
        import cv2

        n = len(self.greys)
        h, w = self.greys[0].shape
        s = min(1.0, flow_max_side / max(h, w))
        small = [cv2.resize(g, None, fx=s, fy=s, interpolation=cv2.INTER_AREA) if s < 1 else g for g in self.greys]
        dis = cv2.DISOpticalFlow.create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        rx: list[np.ndarray] = []
        ry: list[np.ndarray] = []
        moved: list[np.ndarray] = []
        members = self.frames_by_video()
        for k in range(n):
            preds_x, preds_y = [], []
            reach = np.zeros((h, w), np.float32)
            same = members[self.video[k]]
            for j in _partners(same, same.index(k)):
                flow = dis.calc(small[k], small[j], None)
                if np.percentile(np.hypot(flow[..., 0], flow[..., 1]), 90) < min_flow * s:
                    continue
                if s < 1:
                    flow = cv2.resize(flow, (w, h), interpolation=cv2.INTER_LINEAR) / s
                warped = cv2.remap(self.greys[j].astype(np.float32), xx + flow[..., 0], yy + flow[..., 1],
                                   cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT, borderValue=np.nan)
                if np.nanmean(np.abs(warped - self.greys[k])) > cut_level:
                    continue
                # Where the content moved less than min_flow px, this pair cannot tell an
                # overlay from the scene (static content, or flow that locked onto the
                # overlay): it predicts nothing there.
                mag = np.hypot(flow[..., 0], flow[..., 1])
                reach = np.maximum(reach, mag)
                # The stored gradients are warped, not re-derived from the warped grey: they are
                # the colour gradients frame k's own are, so a chroma edge is predicted by one.
                # The gate grows by 1 px, as a 3x3 gradient of the gated frame would.
                gate = cv2.dilate(((mag < min_flow) | np.isnan(warped)).astype(np.uint8), np.ones((3, 3), np.uint8))
                for store, preds in ((self.gx, preds_x), (self.gy, preds_y)):
                    pred = cv2.remap(store[j].astype(np.float32), xx + flow[..., 0], yy + flow[..., 1],
                                     cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT, borderValue=np.nan)
                    pred[gate > 0] = np.nan
                    preds.append(pred)
            moved.append(reach >= min_flow)
            if preds_x:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN: outside every warp
                    px = np.nanmedian(np.stack(preds_x), axis=0)
                    py = np.nanmedian(np.stack(preds_y), axis=0)
                px, py = np.nan_to_num(px), np.nan_to_num(py)
                rx.append(np.clip(self.gx[k] - px, -32000, 32000).astype(np.int16))
                ry.append(np.clip(self.gy[k] - py, -32000, 32000).astype(np.int16))
            else:
                rx.append(self.gx[k])
                ry.append(self.gy[k])
        return rx, ry, np.mean(moved, axis=0)

    def frames_by_video(self) -> dict[object, list[int]]:
        """Indices of the kept frames per video, in the order they were added."""
        out: dict[object, list[int]] = {}
        for k, v in enumerate(self.video):
            out.setdefault(v, []).append(k)
        return out

    def drift_free(self, max_drift: int, window: int, sigma: float = 2.0) -> np.ndarray:
        """Bool map: where each video's earliest and latest thirds of kept frames have their
        edge texture in the same place (step 3, "Drift", of :mod:`media.watermark`)."""
        by_video = self.frames_by_video().values()
        thirds = [max(1, len(ks) // 3) for ks in by_video]
        early = [k for ks, n in zip(by_video, thirds) for k in ks[:n]]
        late = [k for ks, n in zip(by_video, thirds) for k in ks[-n:]]
        ex, ey, _ = _temporal_stats([self.gx[k] for k in early], [self.gy[k] for k in early])
        lx, ly, _ = _temporal_stats([self.gx[k] for k in late], [self.gy[k] for k in late])
        return _unshifted(_edge_texture(ex, ey, sigma), _edge_texture(lx, ly, sigma), max_drift, window)

    def subset(self, frames: Sequence[int]) -> _Evidence:
        """The same evidence restricted to the kept frames ``frames`` (in their order)."""
        out = _Evidence(self.max_side, self.dedupe_level)
        out.full_shape, out.scale, out.sampled = self.full_shape, self.scale, self.sampled
        for name in ("gx", "gy", "thumbs", "greys", "video", "position"):
            setattr(out, name, [getattr(self, name)[k] for k in frames])
        return out

    def showing(self, tx: np.ndarray, ty: np.ndarray, where: np.ndarray) -> np.ndarray:
        """Per kept frame, the fraction of the pixels ``where`` whose gradient is the
        template ``(tx, ty)`` there, give or take half (its projection on the template is
        0.5-1.5 times the template's length): near 0 in a frame without the overlay, whose
        scene gradients point anywhere (:mod:`media.watermark`, step 8)."""
        tx, ty = tx[where], ty[where]
        t2 = tx * tx + ty * ty + 1e-3
        out = np.zeros(len(self.gx))
        for k, (gx, gy) in enumerate(zip(self.gx, self.gy)):
            p = (gx[where] * tx + gy[where] * ty) / t2
            out[k] = ((p > 0.5) & (p < 1.5)).mean() if p.size else 0.0
        return out

    def maps(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(mx, my, E, M)``: median gradients, their magnitude, and the mean magnitude."""
        mx, my, mean_mag = _temporal_stats(self.gx, self.gy)
        return mx, my, np.hypot(mx, my), mean_mag


def _partners(frames: Sequence[int], k: int) -> list[int]:
    """Frames to predict frame ``frames[k]`` from: its neighbours 1 and 3 places away, and
    the frames at 0, 1/3, 2/3 and the end of the video (so every frame has a partner at
    least a third of the video away), without repeats or the frame itself."""
    m = len(frames)
    picks = [k - 3, k - 1, k + 1, k + 3] + [round(q * (m - 1)) for q in (0, 1 / 3, 2 / 3, 1)]
    return [frames[i] for i in sorted(set(picks)) if 0 <= i < m and i != k]
