"""The Poisson solver's sparse LU: SuperLU's default ordering (COLAMD, partial pivoting) against
the symmetric setting ``isvi_models.ops.poisson`` uses (minimum degree on A^T + A, no pivoting,
SymmetricMode), on elliptic holes in a 640x360 frame. Prints a table (factorisation and solve
time, best of 3; nonzeros of L + U; largest difference of the solutions) and writes JSON.

    python benchmarks/bench_poisson.py --out benchmarks/results/poisson.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from scipy.sparse.linalg import splu

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import isvi_models.ops.poisson as poisson  # noqa: E402

SETTINGS = {
    "colamd (SuperLU default)": {},
    "symmetric (isvi)": poisson.LU_OPTIONS,
}


def laplacian(hole: np.ndarray):
    """The matrix ``poisson_solve`` factorises for ``hole`` (caught from its call to ``splu``)."""
    caught = {}
    real = poisson.splu

    def catch(a, **kwargs):
        caught["a"] = a
        return real(a, **kwargs)

    poisson.splu, poisson._CACHE = catch, type(poisson._CACHE)()
    try:
        poisson.poisson_solve(np.zeros((*hole.shape, 1), np.float32), hole)
    finally:
        poisson.splu = real
    return caught["a"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    rows = []
    print(f"{'hole px':>8}  {'setting':26s} {'factor ms':>9} {'solve ms':>8} {'nnz(L+U)':>10} {'max |dx|':>9}")
    for radius in (20, 50, 90):
        hole = np.zeros((360, 640), np.uint8)
        cv2.ellipse(hole, (320, 180), (int(radius * 1.5), radius), 0, 0, 360, 1, -1)
        a = laplacian(hole.astype(bool))
        b = np.random.default_rng(0).random((a.shape[0], 3))
        solutions = {}
        for name, kwargs in SETTINGS.items():
            factor, solve = [], []
            for _ in range(3):
                t = time.perf_counter()
                lu = splu(a, **kwargs)
                factor.append(time.perf_counter() - t)
                t = time.perf_counter()
                solutions[name] = lu.solve(b)
                solve.append(time.perf_counter() - t)
            diff = float(np.abs(solutions[name] - next(iter(solutions.values()))).max())
            row = dict(hole_px=int(a.shape[0]), setting=name, factor_ms=1000 * min(factor),
                       solve_ms=1000 * min(solve), nnz_lu=int(lu.L.nnz + lu.U.nnz), max_abs_diff=diff)
            rows.append(row)
            print(f"{row['hole_px']:>8}  {name:26s} {row['factor_ms']:9.1f} {row['solve_ms']:8.1f} "
                  f"{row['nnz_lu']:>10} {diff:9.1e}")
    if args.out:
        args.out.write_text(json.dumps({"rows": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
