"""Fixtures of the batch-stage tests."""

import pytest

from tests.batch_clips import pan_frames, write_clip


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """A 24-frame panning clip (lossless), written once per test module."""
    return write_clip(tmp_path_factory.mktemp("clips") / "pan.mkv", pan_frames(24))
