"""Atomic file outputs: write under a temporary name beside the destination, rename when done.

A failed or interrupted writer never leaves a half-written file at the destination, and an
existing file there stays intact until the new one is complete. The temporary name is unique
but not created in advance, so the writer creates the file itself with the usual mode
(``mkstemp`` would leave it 0600).
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def temp_sibling(dest: Path, suffix: str = "") -> Path:
    """A free, unique name beside ``dest`` (``.NAME.PID-XXXX.part<suffix>``), not yet created; the
    writing process's id in the name lets a later run tell a dead run's leftovers
    (:func:`remove_dead_siblings`)."""
    fd, name = tempfile.mkstemp(prefix=f".{dest.name}.{os.getpid()}-", suffix=f".part{suffix}", dir=dest.parent)
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


def rename_no_replace(src: str | os.PathLike, dest: str | os.PathLike) -> None:
    """Rename ``src`` (a file or folder) to ``dest`` only if ``dest`` does not exist, atomically;
    ``FileExistsError`` otherwise, with both left as they are.

    Linux's ``renameat2(RENAME_NOREPLACE)`` (glibc 2.28+, through ctypes: Python has no binding)
    does it in one step; where the file system lacks it, a file is hard-linked then unlinked
    (``link`` never replaces either), and a folder falls back to check-then-rename.
    """
    src, dest = os.fspath(src), os.fspath(dest)
    rc = _renameat2(src, dest)
    if rc == 0:
        return
    if rc == errno.EEXIST:
        raise FileExistsError(errno.EEXIST, "exists", dest)
    if rc not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, -1):
        raise OSError(rc, os.strerror(rc), dest)
    if os.path.isdir(src):
        if os.path.lexists(dest):
            raise FileExistsError(errno.EEXIST, "exists", dest)
        os.rename(src, dest)
        return
    os.link(src, dest)
    os.unlink(src)


def _renameat2(src: str, dest: str) -> int:
    """0 on success, else the errno (-1 when the call is not available at all)."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return -1
    at_fdcwd, rename_noreplace = -100, 1
    if fn(at_fdcwd, os.fsencode(src), at_fdcwd, os.fsencode(dest), rename_noreplace) == 0:
        return 0
    return ctypes.get_errno()


def remove_dead_siblings(dest: Path) -> list[Path]:
    """Remove the temporary siblings of ``dest`` (:func:`temp_sibling`) that a process no longer
    running on this machine left (a SIGKILL, a power cut): a run that ends any other way removes
    its own. Returns what was removed. Names without a process id are left alone."""
    import glob
    import shutil

    removed = []
    prefix = f".{dest.name}."
    for p in dest.parent.glob(f".{glob.escape(dest.name)}.*.part*"):
        pid = p.name[len(prefix):].split("-", 1)[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
        removed.append(p)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True
