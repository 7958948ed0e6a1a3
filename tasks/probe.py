"""The batch's first stage per video: identity, mask checks and shots (cached by content)."""

from __future__ import annotations

import numpy as np

from isvi_models.errors import ConfigError
from storage.manifests import VideoItem, localize
from storage.zarr_cache import ZarrCache
from tasks.automask import mask_of, open_video_holes, scratch_dir
from tasks.config import InpaintConfig, text_params_for
from tasks.keys import content_id, probe_key
from tasks.refs import ShotSpec, VideoRef
from tasks.textmask import detector_fingerprint, frame_ranges, text_frames


def probe_video(item: VideoItem, output: str, cfg: InpaintConfig, cache: ZarrCache, *, scratch: str | None = None,
                mask_pool: str | None = None) -> VideoRef:
    """Open a video and its mask, check them, find its shots (cached by content) with ``cfg``'s shot
    settings, as ``isvi inpaint`` finds them. A ``text`` mask is detected with ``cfg.text``'s settings,
    which enter the video's content id (other settings: other holes, other stages).

    ``mask_pool``: for an ``auto`` mask, the id of the pooled detection
    (:func:`tasks.automask.detect_pool_masks`) to use instead of detecting this video's overlay
    on its own.
    """
    from media.video import VideoSource
    from tasks.inpaint_video import video_shots

    local = localize(item.source, scratch_dir(scratch))
    mask, boxes = mask_of(item, cfg)
    if mask is None and not boxes:
        raise ConfigError(f"{item.source}: no mask; give --mask/--box or a mask in the manifest")
    mask_pool = mask_pool if mask == "auto" else None
    params = text_params_for(mask, cfg.text)
    with VideoSource(local, folder_fps=cfg.fps_fraction) as src:
        info = src.info
        vid = content_id(local, mask, boxes, mask_pool, detector_fingerprint(params) if mask == "text" else None)
        masks = open_video_holes(mask, boxes, info, cache=cache, video_id=vid, local=str(local), mask_pool=mask_pool,
                                 auto_frames=cfg.auto_mask_frames, text_params=params)
        coverage = masks.fillable_coverage()
        has_text = text_frames(cache, vid, params) if mask == "text" else None
        key = probe_key(vid, cfg.detect_shots, cfg.shot_threshold, cfg.min_shot_frames)
        if (marker := cache.complete_marker(key)) is not None:
            shots = [tuple(s) for s in marker["shots"]]
        else:
            shots = video_shots(src, cfg)
            cache.mark_complete(key, shots=shots, source=item.source)
    return VideoRef(name=item.name, source=item.source, local=str(local), output=output, video_id=vid, mask=mask,
                    boxes=tuple(boxes), frames=info.frames, width=info.width, height=info.height,
                    fps=str(info.fps), is_folder=info.is_folder,
                    shots=tuple(ShotSpec(i, a, b) for i, (a, b) in enumerate(shots)),
                    passthrough=not coverage.any(), mask_pool=mask_pool,
                    frames_with_hole=int(np.count_nonzero(coverage)),
                    frames_with_text=None if has_text is None else int(has_text.sum()),
                    text_frames=None if has_text is None else frame_ranges(has_text))
