"""Flow-guided propagation of gradients into the hole (ISVI §1.3, after FGVC).

For every hole position of frame t the completed flow is followed to frame t-1 (and, in
a second pass, to t+1). If it lands on a known position there, that is its source; if it
lands in that frame's hole, it inherits the source already traced for the landing
position plus the sub-pixel residual. So each position ends up with the *nearest* frame
in each direction where its content is visible, and the gradients are sampled there once
(no blur from repeated resampling). Each step is checked by the round trip through the
reverse flow: steps with an error above ``consistency_px`` are rejected, and the error
along the chain (its running maximum) and the source's distance in time weight the two
candidates by exp(-error / alpha - frames / time_scale).
Given the frames' colours, neighbours that trace continuously into one frame take the
difference of their source colours instead of sampled gradients (the chain rule; see
``_chain_rule_gradients``), so a stretching flow does not repeat an edge.

A chain is also cut once its path through holes (the summed lengths of its steps, every
one along *completed* flow) exceeds ``max_trace_px``. Inside a hole the two completed
flows agree by construction, so the round trip cannot see their error, but it adds up
along the path: on a dev clip that pans slowly, then fast, the completed flow fell 20% short
of the true motion, and a text strip at the frame's edge traced through 20-odd frames
was filled with content from the wrong place (19.5 dB in the overlay against Telea's
20.1; 21.2 with a 40 px cut). A cut-off position goes to the key-frame fill instead. Off
unless asked for (``isvi inpaint --max-trace``): on the dev clips' own holes a 40 px cut
gained 0.4-0.5 dB on the two bikes clips and nothing elsewhere, but over 18 corner overlays
on them it raised 9 and lowered 9 (mean in-overlay PSNR -0.6 and +0.5 dB on the two clips).

A pair of frames whose flows do not meet at all (a cut or a flash that shot detection let
through, :func:`broken_pairs`) is a wall: no chain steps across it, so no content comes from
the other side of a cut.

Vectorised over the hole pixels of a frame; the only Python loop is over frames, which
is inherent: frame t's sources depend on frame t-1's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from isvi_models.errors import check_shape


@dataclass
class Sources:
    """Traced sources of hole positions for one direction; ``t`` is -1 where none was found."""

    t: np.ndarray  # (T, H, W) int32
    y: np.ndarray  # (T, H, W) float32
    x: np.ndarray  # (T, H, W) float32
    err: np.ndarray  # (T, H, W) float32, running max of round-trip errors along the chain


def _bilinear(field: np.ndarray, y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Sample (H, W, C) at float positions (clamped to the frame) with bilinear weights."""
    h, w = field.shape[:2]
    y = np.clip(y, 0, h - 1)
    x = np.clip(x, 0, w - 1)
    y0 = np.minimum(np.floor(y).astype(np.int64), h - 2 if h > 1 else 0)
    x0 = np.minimum(np.floor(x).astype(np.int64), w - 2 if w > 1 else 0)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    ay, ax = (y - y0)[:, None], (x - x0)[:, None]
    return ((1 - ay) * ((1 - ax) * field[y0, x0] + ax * field[y0, x1])
            + ay * ((1 - ax) * field[y1, x0] + ax * field[y1, x1]))


def _round_trip(flow: np.ndarray, return_flow: np.ndarray, ys: np.ndarray, xs: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Follow ``flow`` (H, W, 2) from positions (ys, xs) and ``return_flow`` back: the step (N, 2),
    the landing x and y (unclamped) and the round-trip error |step + return flow at the landing| (N,)."""
    f = flow[ys, xs]
    qx, qy = xs + f[:, 0], ys + f[:, 1]
    back = _bilinear(return_flow, qy, qx)
    return f, qx, qy, np.hypot(f[:, 0] + back[:, 0], f[:, 1] + back[:, 1])


def _bilinear_known(stack: np.ndarray, known: np.ndarray, t: np.ndarray, y: np.ndarray, x: np.ndarray,
                    return_weight: bool = False):
    """Bilinear sample of (T, H, W, C) that ignores unknown corners (weights renormalised).

    Positions come from a known nearest pixel, so a corner of weight >= 1/4 is usually
    usable, except for gx on the frame's last column (and gy on its last row), which holds
    no gradient: the sample there is 0. A chained position carries its landing residual, so
    rarely none of its corners is known; ``return_weight`` also returns the known corners'
    summed weight (0 there).
    """
    h, w = stack.shape[1:3]
    y0 = np.clip(np.floor(y).astype(np.int64), 0, h - 2)
    x0 = np.clip(np.floor(x).astype(np.int64), 0, w - 2)
    ay, ax = y - y0, x - x0
    acc = np.zeros((t.size, stack.shape[3]), np.float64)
    wsum = np.zeros(t.size, np.float64)
    for dy, dx, wgt in ((0, 0, (1 - ay) * (1 - ax)), (0, 1, (1 - ay) * ax), (1, 0, ay * (1 - ax)), (1, 1, ay * ax)):
        wk = wgt * known[t, y0 + dy, x0 + dx]
        acc += wk[:, None] * stack[t, y0 + dy, x0 + dx]
        wsum += wk
    out = (acc / np.maximum(wsum, 1e-12)[:, None]).astype(np.float32)
    return (out, wsum) if return_weight else out


# Inside a hole the two completed flows agree by construction, so the round-trip error of a
# chain is near zero in both directions and the two candidates used to count the same however
# far away their sources lay; but completed flow's error adds up with every step. Weighting a
# candidate also by exp(-frames / TIME_SCALE_FRAMES) prefers the nearer source. On the 11 dev
# clips (benchmarks/devset.md): mean in-hole PSNR +0.05 dB, testmovie_static_square +0.43
# (above temporal-nearest), city_tilt_blob +0.07, bikes_pan_square -0.09; 3 and 30 frames
# scored within 0.03 dB of 10 on the four clips it moves most, 1 frame lost 0.11 on
# vtest_walkers_square.
TIME_SCALE_FRAMES = 10.0


# Neighbouring hole positions whose sources lie at most this far apart in one frame map a
# continuous piece of it by a translation or a stretch (_chain_rule_gradients). Wider gaps
# (a compression, a motion boundary) keep the sampled gradient: 1.5 px cost 0.08-0.13 dB
# in-hole on two dev clips, 2.5 px 0.56 dB.
CONTINUOUS_GAP_PX = 1.1


def _chain_rule_gradients(frames: np.ndarray, known: np.ndarray, flat: np.ndarray, t: np.ndarray, y: np.ndarray,
                          x: np.ndarray, vals: np.ndarray, max_gap: float = CONTINUOUS_GAP_PX) -> np.ndarray:
    """Replace sampled gradients by colour differences where both ends come from one frame.

    Sampling the source's gradient at each hole position assumes the mapping from hole to
    source is a translation. Where completed flow stretches (content rising into a logo
    while the flow filled in around it stays still), neighbouring positions land less than
    a pixel apart, and the same source edge is sampled
    at several of them: the Poisson solve integrates one edge several times and overshoots
    (a bright smear). The chain rule says the gradient along a mapped edge is the source
    gradient times the mapping's Jacobian; for a forward difference that is exactly the
    difference of the two ends' source colours, when both come from the same frame and the
    map between them is continuous (sources at most ``max_gap`` px apart). Colour differences
    within one frame are as independent of that frame's brightness as its gradients are.
    Measured on the watermark overlays and dev clips (``benchmarks/watermark.md``).

    ``flat``: sorted flat indices (into ``known``'s shape) of the traced hole positions;
    ``t``, ``y``, ``x``: their sources; ``vals`` (N, 2C): the gx and gy sampled there.
    Returns a copy of ``vals`` with the continuous pairs' differences in place.
    """
    _, H, W = known.shape
    C = vals.shape[1] // 2
    colour, weight = _bilinear_known(frames, known, t, y, x, return_weight=True)
    usable = weight > 0
    out = vals.copy()
    for step, last, lo, hi in ((1, (flat % W) == W - 1, 0, C), (W, (flat // W) % H == H - 1, C, 2 * C)):
        j = np.minimum(np.searchsorted(flat, flat + step), flat.size - 1)
        pair = ~last & (flat[j] == flat + step) & usable & usable[j] & (t[j] == t)
        pair &= np.hypot(x[j] - x, y[j] - y) <= max_gap
        out[pair, lo:hi] = colour[j[pair]] - colour[pair]
    return out


# A pair is broken when its round trip fails at more than this share of the known positions. Across
# the bundled example's cut (a 4-frame shot that ``--min-shot 15`` merges into the next) 99% of the
# known positions failed a 1 px round trip, across the 5 cuts of the dev set's bikes_full.mp4 99-100%;
# within the dev clips' windows at most 80% (bikes_pan_square, a fast stretch), under 20% on the slow
# pans and fixed cameras, at most 44% on the held-out clips (``benchmarks/devset.md``, sixth round).
BROKEN_SHARE = 0.9
BROKEN_PX = 1.0
BROKEN_GRID_PX = 4  # the round trip is checked on every 4th row and column


def broken_pairs(flow_fwd: np.ndarray, flow_bwd: np.ndarray, holes: np.ndarray) -> np.ndarray:
    """bool (T-1,): neighbouring frames whose flows (T-1, H, W, 2) disagree nearly everywhere
    outside ``holes`` (T, H, W): more than ``BROKEN_SHARE`` of the known positions of the first
    frame (on a grid) fail the forward-backward round trip by more than ``BROKEN_PX``."""
    T = holes.shape[0]
    out = np.zeros(max(T - 1, 0), bool)
    grid = np.zeros(holes.shape[1:], bool)
    grid[::BROKEN_GRID_PX, ::BROKEN_GRID_PX] = True
    for k in range(T - 1):
        ys, xs = np.nonzero(grid & ~holes[k])
        if ys.size == 0:
            continue
        err = _round_trip(flow_fwd[k], flow_bwd[k], ys, xs)[3]
        out[k] = np.mean(err > BROKEN_PX) > BROKEN_SHARE
    return out


def trace_sources(holes: np.ndarray, step_flows: np.ndarray, return_flows: np.ndarray, *, from_past: bool,
                  consistency_px: float, max_trace_px: float = math.inf, broken: np.ndarray | None = None) -> Sources:
    """Trace each hole position to its nearest visible position in one temporal direction.

    Args:
        holes: bool (T, H, W) gradient-hole positions.
        step_flows: (T-1, H, W, 2). ``from_past``: backward flows F_{t+1->t} (index t-1 moves
            frame t to t-1); otherwise forward flows F_{t->t+1} (index t moves t to t+1).
        return_flows: the opposite flows, used for the round-trip check.
        max_trace_px: longest path (summed step lengths) a chain may take through holes.
        broken: bool (T-1,), pairs no step may cross (:func:`broken_pairs`; index k: frames k, k+1).
    """
    T, H, W = holes.shape
    src = Sources(np.full((T, H, W), -1, np.int32), np.zeros((T, H, W), np.float32),
                  np.zeros((T, H, W), np.float32), np.zeros((T, H, W), np.float32))
    order = range(1, T) if from_past else range(T - 2, -1, -1)
    path = np.zeros((T, H, W), np.float32)  # length of each traced chain, in pixels
    for t in order:
        ys, xs = np.nonzero(holes[t])
        if ys.size == 0:
            continue
        nb = t - 1 if from_past else t + 1
        k = t - 1 if from_past else t
        if broken is not None and broken[k]:
            continue
        f, qx, qy, err = _round_trip(step_flows[k], return_flows[k], ys, xs)
        ok = (qx >= 0) & (qx <= W - 1) & (qy >= 0) & (qy <= H - 1) & (err < consistency_px)
        qyi = np.clip(np.rint(qy), 0, H - 1).astype(np.int64)
        qxi = np.clip(np.rint(qx), 0, W - 1).astype(np.int64)
        direct = ok & ~holes[nb, qyi, qxi]
        step = np.hypot(f[:, 0], f[:, 1])
        chain = path[nb, qyi, qxi] + step
        chained = ok & ~direct & (src.t[nb, qyi, qxi] >= 0) & (chain <= max_trace_px)
        d = direct
        src.t[t, ys[d], xs[d]] = nb
        src.y[t, ys[d], xs[d]] = qy[d]
        src.x[t, ys[d], xs[d]] = qx[d]
        src.err[t, ys[d], xs[d]] = err[d]
        path[t, ys[d], xs[d]] = step[d]
        c = chained
        cy = src.y[nb, qyi[c], qxi[c]] + (qy[c] - qyi[c])
        cx = src.x[nb, qyi[c], qxi[c]] + (qx[c] - qxi[c])
        inside = (cx >= 0) & (cx <= W - 1) & (cy >= 0) & (cy <= H - 1)
        cys, cxs = ys[c][inside], xs[c][inside]
        src.t[t, cys, cxs] = src.t[nb, qyi[c], qxi[c]][inside]
        src.y[t, cys, cxs] = cy[inside]
        src.x[t, cys, cxs] = cx[inside]
        src.err[t, cys, cxs] = np.maximum(err[c], src.err[nb, qyi[c], qxi[c]])[inside]
        path[t, cys, cxs] = chain[c][inside]
    return src


def propagate_gradients(gx: np.ndarray, gy: np.ndarray, holes: np.ndarray, flow_fwd: np.ndarray,
                        flow_bwd: np.ndarray, *, consistency_px: float = 100.0,
                        alpha: float = 0.5, max_trace_px: float = math.inf, frames: np.ndarray | None = None,
                        time_scale: float = TIME_SCALE_FRAMES, broken: np.ndarray | None = None
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fill gradients inside ``holes`` from the nearest frames where they are visible.

    Args:
        gx, gy: float32 (T, H, W, C) forward differences; values inside ``holes`` are ignored.
        holes: bool (T, H, W) gradient-hole positions (see ``gradient_hole``).
        flow_fwd: float32 (T-1, H, W, 2) completed flows t->t+1; flow_bwd: t+1->t.
        time_scale: frames over which a candidate's weight falls by e (its source's distance in
            time; ``math.inf``: distance does not count).
        frames: float32 (T, H, W, C), the colours ``gx``, ``gy`` were taken from. When given,
            neighbours traced continuously into one frame get the difference of their source
            colours instead of the sampled gradient (the chain rule; ``_chain_rule_gradients``).
        broken: bool (T-1,), pairs no chain crosses (:func:`broken_pairs`).
    Returns:
        filled gx, gy (copies) and bool (T, H, W) of hole positions no frame could fill.
    """
    check_shape(gx, "T H W C", "gx")
    T, H, W, C = gx.shape
    check_shape(holes, f"{T} {H} {W}", "holes")
    check_shape(flow_fwd, f"{T - 1} {H} {W} 2", "flow_fwd")
    check_shape(flow_bwd, f"{T - 1} {H} {W} 2", "flow_bwd")
    known = ~holes
    # A source may lie anywhere in the frame, its last row and column included, but gx's
    # last column and gy's last row are not gradients (image_gradients sets them to 0), so
    # the bilinear samples leave them out.
    known_x, known_y = known.copy(), known.copy()
    known_x[:, :, -1] = False
    known_y[:, -1, :] = False
    cands = []
    for from_past in (True, False):
        s = trace_sources(holes, flow_bwd if from_past else flow_fwd, flow_fwd if from_past else flow_bwd,
                          from_past=from_past, consistency_px=consistency_px, max_trace_px=max_trace_px,
                          broken=broken)
        has = s.t >= 0
        flat = np.flatnonzero(has)  # the np.nonzero order, as boolean indexing with ``has``
        vals = np.zeros((flat.size, 2 * C), np.float32)
        if vals.size:
            ts, ys, xs = s.t.ravel()[flat], s.y.ravel()[flat], s.x.ravel()[flat]
            vals = np.concatenate([_bilinear_known(gx, known_x, ts, ys, xs),
                                   _bilinear_known(gy, known_y, ts, ys, xs)], axis=-1)
            if frames is not None:
                vals = _chain_rule_gradients(frames, known, flat, ts, ys, xs, vals)
        frames_away = np.abs(s.t.ravel()[flat] - flat // (H * W))
        cands.append((flat, vals, s.err.ravel()[flat] / alpha + frames_away / time_scale))
    return _fuse(np.concatenate([gx, gy], axis=-1), holes, cands)


def _fuse(out: np.ndarray, holes: np.ndarray, cands: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted mean of the two directions' candidates, written into ``out`` (T, H, W, 2C) in place.

    ``cands``: per direction (flat indices of the positions with a source, sorted; their
    sampled values (N, 2C); their costs (N,)); a candidate weighs exp(-cost). Everything is
    computed on the hole positions only: full-frame weight and accumulator arrays cost 220 MB
    more peak memory on the bundled example at 640x360 (``benchmarks/bench_memory.py``).
    Returns gx, gy (views of ``out``) and the hole positions no candidate reached.
    """
    C = out.shape[-1] // 2
    (flat_p, vals_p, cost_p), (flat_f, vals_f, cost_f) = cands
    union = np.union1d(flat_p, flat_f)
    ip, jf = np.searchsorted(union, flat_p), np.searchsorted(union, flat_f)
    wp, wf = np.zeros(union.size), np.zeros(union.size)
    wp[ip], wf[jf] = np.exp(-cost_p), np.exp(-cost_f)
    tiny = wp + wf < 1e-30  # both weights underflowed: average what exists
    if tiny.any():
        has_p, has_f = np.zeros(union.size, bool), np.zeros(union.size, bool)
        has_p[ip], has_f[jf] = True, True
        wp[tiny], wf[tiny] = has_p[tiny], has_f[tiny]
    norm = wp + wf
    acc = np.zeros((union.size, 2 * C), np.float32)
    acc[ip] += (wp[ip] / norm[ip])[:, None] * vals_p
    acc[jf] += (wf[jf] / norm[jf])[:, None] * vals_f
    at = np.unravel_index(union, holes.shape)  # (``out`` may not be C-ordered: no flat view)
    out[at] = acc
    missing = holes.copy()
    missing[at] = False
    out[missing] = 0.0
    return out[..., :C], out[..., C:], missing
