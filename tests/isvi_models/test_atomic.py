"""``isvi_models.atomic``: a failed writer leaves the destination as it was and no temporary behind."""

from __future__ import annotations

import os
import stat

import pytest

from isvi_models.atomic import atomic_path, write_bytes


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    dest = tmp_path / "model.onnx"
    dest.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_path(dest) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("writer died")
    assert dest.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]


def test_a_finished_write_replaces_the_file_with_the_usual_mode(tmp_path):
    old = os.umask(0o022)
    try:
        p = write_bytes(tmp_path / "sub" / "a.json", b"{}")
    finally:
        os.umask(old)
    assert p.read_bytes() == b"{}" and stat.S_IMODE(p.stat().st_mode) == 0o644
    assert sorted(x.name for x in p.parent.iterdir()) == ["a.json"]


def test_suffix_keeps_the_format_in_the_temporary_name(tmp_path):
    with atomic_path(tmp_path / "loss.png", ".png") as tmp:
        assert tmp.name.endswith(".png") and tmp.parent == tmp_path and not tmp.exists()
        tmp.write_bytes(b"png")
    assert (tmp_path / "loss.png").read_bytes() == b"png"
