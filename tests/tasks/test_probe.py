"""The probe stage: identity, mask checks and shots."""


import pytest

from storage.manifests import VideoItem
from storage.zarr_cache import ZarrCache
from tests.tasks.test_stages import CFG
from tasks.probe import probe_video



def test_bad_mask_is_an_input_error(clip, tmp_path):
    from isvi_models.errors import InputError

    item = VideoItem(str(clip), "pan.mkv", mask=str(tmp_path / "missing.png"), own_mask=True)
    with pytest.raises(InputError, match="missing.png"):
        probe_video(item, str(tmp_path / "o.mkv"), CFG, ZarrCache(str(tmp_path / "c")))
