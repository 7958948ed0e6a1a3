"""Poisson reconstruction on a hole: one sparse system serves three stages.

* Laplacian (harmonic) flow fill: guidance gradients all zero (ISVI's IGFC initialisation).
* Final reconstruction: the hole's colours from fused gradients, known pixels as Dirichlet
  boundary, Neumann at the image border (the normal equations of ISVI's least-squares
  ``Poisson_blend_img``, solved directly instead of with ``lsqr``).
* Key-frame reconstruction: edges whose gradient is unknown are dropped, and pixels no
  usable edge connects to a known pixel are reported as unsolved (ISVI's UnfilledMask).

The unknowns are only the hole pixels, the matrix is the graph Laplacian of the usable
edges, and SciPy's sparse LU (SuperLU) factorises it once; factorisations are cached by
the hole's bytes because a static logo gives the same system in every frame.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import splu

from isvi_models.errors import StageError, check_shape

_CACHE: OrderedDict[bytes, "_System"] = OrderedDict()
_CACHE_SIZE = 8
# Every unknown is linked to a known pixel, so the Laplacian is symmetric positive definite: no
# pivoting is needed, and a symmetric ordering (minimum degree on A^T + A) halves the LU's
# fill-in against SuperLU's default COLAMD (benchmarks/bench_poisson.py).
LU_OPTIONS = dict(permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0, options={"SymmetricMode": True})


@dataclass
class _System:
    ys: np.ndarray            # solvable hole pixels
    xs: np.ndarray
    lu: object | None         # SuperLU of the Laplacian over solvable pixels
    index: np.ndarray         # (H, W) int32: unknown number, -1 elsewhere
    # usable edges: arrays of (unknown index, neighbour y, neighbour x, neighbour unknown index or -1)
    edges: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    solved: np.ndarray        # (H, W) bool


def _edge_lists(hole: np.ndarray, ok_x: np.ndarray, ok_y: np.ndarray):
    """Usable 4-neighbour edges touching at least one hole pixel, as (p_y, p_x, q_y, q_x)."""
    h, w = hole.shape
    # horizontal edges between (y, x) and (y, x+1) use gx[y, x]
    ex = ok_x[:, :-1] & (hole[:, :-1] | hole[:, 1:])
    ey_, ex_ = np.nonzero(ex)
    # vertical edges between (y, x) and (y+1, x) use gy[y, x]
    ey = ok_y[:-1, :] & (hole[:-1, :] | hole[1:, :])
    vy_, vx_ = np.nonzero(ey)
    return (ey_, ex_, ey_, ex_ + 1), (vy_, vx_, vy_ + 1, vx_)


def _build(hole: np.ndarray, ok_x: np.ndarray, ok_y: np.ndarray) -> _System:
    h, w = hole.shape
    ys, xs = np.nonzero(hole)
    n = ys.size
    index = np.full((h, w), -1, np.int64)
    index[ys, xs] = np.arange(n)
    hor, ver = _edge_lists(hole, ok_x, ok_y)
    py = np.concatenate([hor[0], ver[0]])
    px = np.concatenate([hor[1], ver[1]])
    qy = np.concatenate([hor[2], ver[2]])
    qx = np.concatenate([hor[3], ver[3]])
    ip, iq = index[py, px], index[qy, qx]
    # Connectivity: node n stands for "all known pixels"; a hole pixel is solvable only
    # if usable edges link it to that node (otherwise the system is singular there).
    a = np.where(ip >= 0, ip, n)
    b = np.where(iq >= 0, iq, n)
    graph = sp.coo_matrix((np.ones(a.size), (a, b)), shape=(n + 1, n + 1))
    _, labels = connected_components(graph, directed=False)
    keep = labels[:n] == labels[n]
    solved = np.zeros((h, w), bool)
    solved[ys[keep], xs[keep]] = True
    # renumber the solvable unknowns
    new = np.full(n + 1, -1, np.int64)
    new[np.nonzero(keep)[0]] = np.arange(int(keep.sum()))
    ip2 = np.where(ip >= 0, new[np.where(ip >= 0, ip, n)], -1)
    iq2 = np.where(iq >= 0, new[np.where(iq >= 0, iq, n)], -1)
    # drop edges touching unsolvable pixels
    use = ~(((ip >= 0) & (ip2 < 0)) | ((iq >= 0) & (iq2 < 0)))
    py, px, qy, qx, ip2, iq2 = py[use], px[use], qy[use], qx[use], ip2[use], iq2[use]
    m = int(keep.sum())
    lu = None
    if m:
        # Laplacian: each usable edge adds +1 on the diagonal of its unknown ends and -1 between them
        rows = [ip2[ip2 >= 0], iq2[iq2 >= 0]]
        both = (ip2 >= 0) & (iq2 >= 0)
        data = [np.ones(r.size) for r in rows]
        rows += [ip2[both], iq2[both]]
        cols = [ip2[ip2 >= 0], iq2[iq2 >= 0], iq2[both], ip2[both]]
        data += [-np.ones(both.sum()), -np.ones(both.sum())]
        lap = sp.csc_matrix((np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))), shape=(m, m))
        lu = splu(lap, **LU_OPTIONS)
    index2 = np.full((h, w), -1, np.int64)
    index2[ys[keep], xs[keep]] = np.arange(m)
    return _System(ys[keep], xs[keep], lu, index2, (py, px, qy, qx), solved)


def _system(hole: np.ndarray, ok_x: np.ndarray | None, ok_y: np.ndarray | None) -> _System:
    h, w = hole.shape
    ok_x = np.ones((h, w), bool) if ok_x is None else ok_x
    ok_y = np.ones((h, w), bool) if ok_y is None else ok_y
    key = hashlib.blake2b(b"".join([np.int64(h).tobytes(), np.int64(w).tobytes(), np.packbits(hole).tobytes(),
                                    np.packbits(ok_x).tobytes(), np.packbits(ok_y).tobytes()]), digest_size=16).digest()
    sys_ = _CACHE.get(key)
    if sys_ is None:
        sys_ = _build(hole, ok_x, ok_y)
        _CACHE[key] = sys_
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    return sys_


def poisson_solve(image: np.ndarray, hole: np.ndarray, gx: np.ndarray | None = None, gy: np.ndarray | None = None,
                  *, ok_x: np.ndarray | None = None, ok_y: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Solve for the hole's values so their differences match the guidance gradients.

    Args:
        image: float (H, W, C); values outside ``hole`` are the Dirichlet boundary.
        hole: bool (H, W), True = unknown.
        gx, gy: float (H, W, C) forward differences ``I[y, x+1] - I[y, x]`` and ``I[y+1, x] - I[y, x]``
            of the wanted image; ``None`` means zero (harmonic fill).
        ok_x, ok_y: bool (H, W): which gx / gy entries are usable; default all.
    Returns:
        the image with the solvable hole pixels replaced (float32), and bool (H, W) of the
        hole pixels that were solved (connected to a known pixel through usable edges).
    """
    if image.ndim == 2:
        out, solved = poisson_solve(image[..., None], hole, None if gx is None else gx[..., None],
                                    None if gy is None else gy[..., None], ok_x=ok_x, ok_y=ok_y)
        return out[..., 0], solved
    check_shape(hole, f"{image.shape[0]} {image.shape[1]}", "hole")
    if gx is not None:
        check_shape(gx, " ".join(map(str, image.shape)), "gx")
    if gy is not None:
        check_shape(gy, " ".join(map(str, image.shape)), "gy")
    out = image.astype(np.float32, copy=True)
    if not hole.any():
        return out, np.zeros(hole.shape, bool)
    if hole.all():
        raise StageError("hole covers the whole image: no known pixel to anchor the solution")
    s = _system(hole, ok_x, ok_y)
    if s.lu is None:
        return out, s.solved
    py, px, qy, qx = s.edges
    ip, iq = s.index[py, px], s.index[qy, qx]
    m = s.ys.size
    c = image.shape[2]
    img64 = image.astype(np.float64)
    rhs = np.zeros((m, c))
    # edge (p, q) with q = p + (0,1) or (1,0): wants f_q - f_p = g[p]
    vertical = qy != py
    g = np.zeros((py.size, c))
    if gx is not None:
        g[~vertical] = gx[py[~vertical], px[~vertical]]
    if gy is not None:
        g[vertical] = gy[py[vertical], px[vertical]]
    # unknown p: f_p - f_q = -g  (+ f_q if q known);  unknown q: f_q - f_p = g  (+ f_p if p known)
    for unknown, other, oy, ox, sign in ((ip, iq, qy, qx, -1.0), (iq, ip, py, px, 1.0)):
        sel = unknown >= 0
        vals = sign * g[sel] + np.where((other[sel] < 0)[:, None], img64[oy[sel], ox[sel]], 0.0)
        for k in range(c):  # bincount is the fast scatter-add in numpy
            rhs[:, k] += np.bincount(unknown[sel], weights=vals[:, k], minlength=m)
    sol = s.lu.solve(rhs)
    out[s.ys, s.xs] = sol.astype(np.float32)
    return out, s.solved
