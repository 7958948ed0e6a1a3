#!/usr/bin/env bash
# The dev-set benchmark: the ISVI pipeline and the classical baselines (OpenCV Telea and
# Navier-Stokes per frame, temporal-nearest fill) on every clip of shared/devset, scored against
# the ground truth. Writes benchmarks/results/devset/{report.md,results.json,plots/,sheets/}.
#
#   benchmarks/run_devset.sh [DEVSET_DIR] [extra isvi benchmark options]
#
# Run it on an otherwise idle machine: seconds per frame are wall-clock times.
set -euo pipefail
cd "$(dirname "$0")/.."
DEVSET="${1:-../shared/devset}"
shift || true
PY="${PYTHON:-.venv/bin/python}"
exec "$PY" -m isvi benchmark "$DEVSET" -o benchmarks/results/devset \
    --methods isvi,telea,ns,temporal_nearest,blank "$@"
