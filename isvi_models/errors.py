"""Errors raised by isvi, as one tree so callers can catch by kind.

    IsviError
    ├── InputError        bad user input: unreadable video, mask mismatch, bad path (CLI exit 2)
    ├── ConfigError       a configuration value out of range or inconsistent (CLI exit 2)
    ├── StageError        a stage got arrays it cannot work with (shape, dtype)
    └── ModelError        missing or corrupt model files, unavailable execution provider

Every message names the file or field and the problem, so the CLI can print it as one line.
"""

from __future__ import annotations


class IsviError(Exception):
    """Base of every error isvi raises on purpose."""


class _PathProblem(IsviError):
    """An error about one file: ``path`` (or None) and ``problem``, shown as ``path: problem``."""

    def __init__(self, path: object, problem: str):
        self.path = None if path is None else str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}" if self.path else problem)

    def __reduce__(self):
        # Rebuild from (path, problem), not from the formatted message, so the error survives
        # pickling across processes (Dask workers, subprocess benchmarks) with its type intact.
        return (type(self), (self.path, self.problem))


class InputError(_PathProblem):
    """Bad input from the user. ``path`` is the file the problem is about, if any."""


class ConfigError(IsviError):
    """A configuration value that is out of range or contradicts another one."""


class StageError(IsviError):
    """A stage function received arrays of the wrong shape or type."""


class ModelError(_PathProblem):
    """Missing or unreadable model weights, or an execution provider that is not available."""


def check_shape(array, spec: str, name: str = "array") -> None:
    """Raise :class:`StageError` unless ``array.shape`` matches ``spec``.

    ``spec`` is space separated; each entry is an int (exact size) or a letter (any size),
    e.g. ``check_shape(flow, "T H W 2", "flow")``.
    """
    parts = spec.split()
    shape = tuple(array.shape)
    if len(shape) != len(parts) or any(p.isdigit() and int(p) != s for p, s in zip(parts, shape)):
        raise StageError(f"{name} has shape {shape}, expected ({', '.join(parts)})")
