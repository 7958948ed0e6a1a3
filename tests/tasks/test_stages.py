"""The stages run one by one (no Prefect, no Dask) reproduce ``isvi inpaint`` and skip finished work."""


import numpy as np
import pytest

from tasks.config import InpaintConfig
from media.video import read_video
from storage.manifests import VideoItem
from storage.zarr_cache import ZarrCache
from tasks import stages
from tasks.keys import encode_key, overlay_key, plan_shot
from tasks.probe import probe_video
from tests.batch_clips import cut_clip, write_clip

CFG = InpaintConfig(box=("20,14,14,12",), window_frames=10, overlap_frames=3, flow_preset="ultrafast",
                    codec="ffv1", dilate_px=2)


def run_all(item, out, cfg, cache, detect=True, **kw):
    """Sequential driver: the same order and keys the flow submits; returns the refs of every stage.
    ``detect=False``: the whole video as one shot (``cfg``'s ``detect_shots`` off)."""
    if not detect:
        cfg = cfg.model_copy(update={"detect_shots": False})
    v = probe_video(item, str(out), cfg, cache, **kw)
    return v, run_stages(v, cfg, cache)


def run_stages(v, cfg, cache):
    """The stages after the probe of ``v``, in the flow's order; returns their refs."""
    refs, composites = [], []
    okey = overlay_key(v, cfg)
    o = None if okey is None else stages.overlay_video(v, okey, cfg, cache)
    refs += [o] if o is not None else []
    for shot in v.shots:
        plan = plan_shot(v, shot, cfg)
        d = stages.decode_shot(v, shot, plan.decode, cfg, cache)
        refs.append(d)
        prev = None
        for wk in plan.windows:
            f = stages.flow_window(v, wk.window, wk.flow, d, prev, cfg, cache)
            c = stages.complete_window(v, wk.complete, f, cfg, cache)
            fi = stages.fill_window(v, wk.fill, f, c, cfg, cache, o)
            prev = stages.composite_window(v, wk.window, wk.composite, d, prev, f, fi, cfg, cache)
            refs += [f, c, fi, prev]
            composites.append(prev)
    refs.append(stages.encode_video(v, encode_key(v, [c.key.fp for c in composites], cfg), composites, cfg, cache))
    return refs


def test_same_frames_as_isvi_inpaint(clip, tmp_path):
    from tasks.inpaint_video import inpaint_video

    v, refs = run_all(VideoItem(str(clip), "pan.mkv"), tmp_path / "batch.mkv", CFG, ZarrCache(str(tmp_path / "c")),
                      detect=False)
    assert len(v.shots) == 1 and all(r.computed for r in refs)
    inpaint_video(clip, tmp_path / "single.mkv", CFG)
    batch, _ = read_video(tmp_path / "batch.mkv")
    single, _ = read_video(tmp_path / "single.mkv")
    np.testing.assert_array_equal(batch, single)
    src, _ = read_video(clip)
    assert not np.array_equal(batch, src)  # something was filled


@pytest.mark.slow  # two inpaintings of 32 frames, every window with key frames
def test_an_overlay_undone_as_isvi_inpaint_undoes_it(tmp_path):
    """The batch's overlay stage (frames over the whole video) and ``isvi inpaint`` find the same
    overlay and give the same frames; without ``unblend_samples`` the fills differ."""
    import cv2

    from tasks.inpaint_video import inpaint_video
    from tests.synth import overlaid_scenes

    marked, _, hole, _ = overlaid_scenes(frames=32, scenes=16)
    clip = write_clip(tmp_path / "scenes.mkv", marked)
    mask = tmp_path / "mask.png"
    cv2.imwrite(str(mask), hole.astype(np.uint8) * 255)
    cfg = InpaintConfig(mask=str(mask), window_frames=20, overlap_frames=4, flow_preset="ultrafast", codec="ffv1",
                        dilate_px=0, unblend_samples=64)
    v, refs = run_all(VideoItem(str(clip), "scenes.mkv"), tmp_path / "batch.mkv", cfg, ZarrCache(str(tmp_path / "c")),
                      detect=False)
    overlay = [r for r in refs if r.key.stage == "overlay"]
    assert len(overlay) == 1 and not overlay[0].passthrough  # found, not "none here"
    report = inpaint_video(clip, tmp_path / "single.mkv", cfg.model_copy(update={"detect_shots": False}))
    assert report.overlay.startswith("semi-transparent overlay undone")
    np.testing.assert_array_equal(read_video(tmp_path / "batch.mkv")[0], read_video(tmp_path / "single.mkv")[0])
    inpaint_video(clip, tmp_path / "off.mkv", cfg.model_copy(update={"detect_shots": False, "unblend_samples": 0}))
    assert not np.array_equal(read_video(tmp_path / "off.mkv")[0], read_video(tmp_path / "single.mkv")[0])


def test_rerun_skips_and_one_setting_recomputes_downstream_only(clip, tmp_path):
    cache = ZarrCache(str(tmp_path / "c"))
    item = VideoItem(str(clip), "pan.mkv")
    _, first = run_all(item, tmp_path / "a.mkv", CFG, cache, detect=False)
    _, again = run_all(item, tmp_path / "a.mkv", CFG, cache, detect=False)
    assert not any(r.computed for r in again)
    _, changed = run_all(item, tmp_path / "b.mkv", CFG.model_copy(update={"consistency_px": 50.0}), cache,
                         detect=False)
    ran = {(r.key.stage, r.key.part) for r in changed if r.computed}
    # fill changed, so the first window's decode/flow/complete are reused; later windows' flows
    # depend on the first window's output (their anchors) and rerun
    assert ("decode", "") not in ran and ("flow", "w0000") not in ran and ("complete", "w0000") not in ran
    assert {("fill", "w0000"), ("composite", "w0000"), ("flow", "w0001"), ("encode", "")} <= ran


def test_unmarked_stage_reruns_alone(clip, tmp_path):
    cache = ZarrCache(str(tmp_path / "c"))
    item = VideoItem(str(clip), "pan.mkv")
    _, first = run_all(item, tmp_path / "a.mkv", CFG, cache, detect=False)
    last_fill = [r for r in first if r.key.stage == "fill"][-1]
    before, _ = read_video(tmp_path / "a.mkv")
    (tmp_path / "c" / f"{last_fill.key.relpath}.complete.json").unlink()
    (tmp_path / "a.mkv").unlink()
    _, again = run_all(item, tmp_path / "a.mkv", CFG, cache, detect=False)
    assert {(r.key.stage, r.key.part) for r in again if r.computed} == {("fill", last_fill.key.part),
                                                                          ("encode", "")}
    np.testing.assert_array_equal(read_video(tmp_path / "a.mkv")[0], before)


def test_shots_do_not_borrow_across_a_cut(tmp_path):
    clip = write_clip(tmp_path / "cut.mkv", cut_clip(20, 20))
    v, refs = run_all(VideoItem(str(clip), "cut.mkv"), tmp_path / "out.mkv", CFG, ZarrCache(str(tmp_path / "c")))
    assert [(s.start, s.stop) for s in v.shots] == [(0, 20), (20, 40)]
    out, _ = read_video(tmp_path / "out.mkv")
    # each shot equals that shot inpainted on its own
    from tasks.inpaint_video import inpaint_arrays
    from media.masks import boxes_mask, parse_box

    frames, _ = read_video(clip)
    holes = np.broadcast_to(boxes_mask([parse_box(CFG.box[0])], 64, 48), (20, 48, 64)).copy()
    for a in (0, 20):
        np.testing.assert_array_equal(out[a:a + 20], inpaint_arrays(frames[a:a + 20], holes, CFG))




def test_references_past_the_window_same_as_isvi_inpaint(tmp_path):
    """A fixed camera, a hole over frames 0-14 only: the first window never sees under it, later
    frames do. The flow stage keeps the window's references; the fill takes the hidden content
    from them, and the batch's frames equal ``isvi inpaint``'s."""
    import cv2

    from tasks.inpaint_video import inpaint_video
    from tests.batch_clips import pan_frames

    still = np.repeat(pan_frames(1, seed=3)[:1], 30, axis=0)
    clip = write_clip(tmp_path / "still.mkv", still)
    masks = tmp_path / "masks"
    masks.mkdir()
    for i in range(30):
        m = np.zeros(still.shape[1:3], np.uint8)
        m[10:30, 20:44] = 255 if i < 15 else 0
        cv2.imwrite(str(masks / f"{i:05d}.png"), m)
    cfg = CFG.model_copy(update={"box": (), "mask": str(masks), "dilate_px": 0, "flow_preset": "fine"})
    cache = ZarrCache(str(tmp_path / "c"))
    v, refs = run_all(VideoItem(str(clip), "still.mkv"), tmp_path / "batch.mkv", cfg, cache, detect=False)
    first_flow = next(r for r in refs if r.key.stage == "flow")
    assert cache.read(first_flow.key, [])[1]["reference_times"]  # frames 10, 20, ... outside window 0
    inpaint_video(clip, tmp_path / "single.mkv", cfg)
    batch, _ = read_video(tmp_path / "batch.mkv")
    np.testing.assert_array_equal(batch, read_video(tmp_path / "single.mkv")[0])
    err = np.abs(batch[:10, 10:30, 20:44].astype(int) - still[:10, 10:30, 20:44]).mean()
    assert err < 2.0  # copied from a frame that shows it (a spatial fill is far off on this photograph)


def test_stages_on_a_host_without_the_probes_copy_fetch_the_source_again(clip, tmp_path, s3_bucket):
    """On a Dask cluster of several hosts a remote source is copied where the probe ran; a stage on
    another host read ``v.local``, a path that does not exist there. Removing the copy after the
    probe stands in for that host: the stages copy the source in again and give the same output."""
    import s3fs

    from storage.manifests import release

    fs = s3fs.S3FileSystem(skip_instance_cache=True)
    fs.put_file(str(clip), f"{s3_bucket[5:]}/in/pan.mkv")
    url, scratch = f"{s3_bucket}/in/pan.mkv", str(tmp_path / "scratch")
    cfg = CFG.model_copy(update={"detect_shots": False})
    v = probe_video(VideoItem(url, "pan.mkv"), str(tmp_path / "remote.mkv"), cfg, ZarrCache(str(tmp_path / "c")),
                    scratch=scratch)
    release(url, scratch)
    assert not (tmp_path / "scratch").exists() or not any((tmp_path / "scratch").rglob("*.mkv"))
    run_stages(v, cfg, ZarrCache(str(tmp_path / "c")))
    run_all(VideoItem(str(clip), "pan.mkv"), tmp_path / "local.mkv", cfg, ZarrCache(str(tmp_path / "c2")))
    np.testing.assert_array_equal(read_video(tmp_path / "remote.mkv")[0], read_video(tmp_path / "local.mkv")[0])
