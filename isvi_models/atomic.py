"""Atomic file outputs: write under a temporary name beside the destination, rename when done.

A failed or interrupted writer never leaves a half-written file at the destination, and an
existing file there stays intact until the new one is complete. The temporary name is unique
but not created in advance, so the writer creates the file itself with the usual mode
(``mkstemp`` would leave it 0600).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def temp_sibling(dest: Path, suffix: str = "") -> Path:
    """A free, unique name beside ``dest`` (``.NAME.XXXX.part<suffix>``), not yet created."""
    fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=f".part{suffix}", dir=dest.parent)
    os.close(fd)
    os.unlink(name)
    return Path(name)


@contextlib.contextmanager
def atomic_path(dest: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path to write ``dest`` to; renamed onto ``dest`` when the block ends
    without an error, removed otherwise. ``suffix`` keeps writers that infer the format from
    the name (``savefig``, ``np.save``) happy. The parent folder is created if missing."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(dest, suffix)
    try:
        yield tmp
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(dest: str | os.PathLike, data: bytes) -> Path:
    """``dest`` holds ``data`` afterwards, or is untouched if writing failed."""
    with atomic_path(dest) as tmp:
        tmp.write_bytes(data)
    return Path(dest)
