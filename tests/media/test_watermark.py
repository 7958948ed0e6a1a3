"""Static-overlay detection on real photographs panned like a camera, with a logo burnt in."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import skimage.data

from media.masks import fit_frame, fit_mask, same_aspect
from media.watermark import (AUTO_MASK_MIN_CONFIDENCE, OverlayNotFound, WatermarkEstimate,
                            detect_pooled_overlay, detect_static_overlay, detect_watermark, frames_showing_overlay,
                            overlay_strengths, sample_indices)
from media.watermark_synth import overlay_watermark, pan_clip
from isvi_models.errors import InputError
from tests.batch_clips import rotating_clip, write_clip


def near_fraction(mask: np.ndarray, overlay: np.ndarray, tol: float = 5.0) -> float:
    """Fraction of the detected pixels within ``tol`` px of an overlay pixel."""
    dist = cv2.distanceTransform((~overlay).astype(np.uint8), cv2.DIST_L2, 5)
    return float((dist[mask] <= tol).mean())


def coverage(mask: np.ndarray, overlay: np.ndarray) -> float:
    return float((mask & overlay).sum() / overlay.sum())


SHORTFALLS = {"motion": "too little of the content moved", "contrast": "edges are faint",
              "clarity": "may miss part of the overlay"}


@pytest.fixture(scope="module")
def astronaut_pan() -> np.ndarray:
    return pan_clip(skimage.data.astronaut(), n=30, size=(192, 256), seed=1)


@pytest.fixture(scope="module")
def chelsea_pan() -> np.ndarray:
    return pan_clip(skimage.data.chelsea(), n=30, size=(192, 256), seed=3)


@pytest.mark.parametrize("kind,seed", [("logo", 0), ("text", 1), ("timestamp", 2)])
def test_detects_overlay_on_panning_footage(astronaut_pan, kind, seed):
    frames, overlay = overlay_watermark(astronaut_pan, kind, seed, alpha=0.45, colour=(255, 255, 255))
    est = detect_static_overlay(frames)
    assert est.found
    assert coverage(est.mask, overlay) >= 0.95
    assert near_fraction(est.mask, overlay) >= 0.80
    assert est.mask.shape == overlay.shape and est.mask.dtype == bool
    assert 0.5 <= est.confidence <= 1.0
    # No stray blobs: every detected pixel is within the margin plus the letter-joining
    # closing (and its anti-aliasing) of the overlay, nowhere else in the frame.
    assert near_fraction(est.mask, overlay, tol=12.0) == 1.0


def test_detects_dark_logo_on_other_footage(chelsea_pan):
    frames, overlay = overlay_watermark(chelsea_pan, "logo", 4, alpha=0.5, colour=(0, 0, 0))
    est = detect_static_overlay(frames)
    assert coverage(est.mask, overlay) >= 0.95
    assert near_fraction(est.mask, overlay) >= 0.80


@pytest.mark.parametrize("kind", ["logo", "text"])
def test_detects_overlay_that_differs_only_in_hue(chelsea_pan, kind):
    """A chroma-only overlay (luma unchanged): invisible in grey, found through the Cr/Cb gradients."""
    _, overlay = overlay_watermark(chelsea_pan, kind, 0, alpha=0.5, colour=(255, 255, 255))
    ycc = np.stack([cv2.cvtColor(f, cv2.COLOR_RGB2YCrCb) for f in chelsea_pan]).astype(np.int16)
    ycc[:, overlay, 1] -= 30  # towards cyan/green; Y stays
    ycc[:, overlay, 2] += 30
    frames = np.stack([cv2.cvtColor(f, cv2.COLOR_YCrCb2RGB) for f in np.clip(ycc, 0, 255).astype(np.uint8)])
    grey = lambda clip: np.stack([cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in clip]).astype(int)  # noqa: E731
    assert np.abs(grey(frames) - grey(chelsea_pan))[:, overlay].mean() < 3  # nothing to see in grey
    est = detect_static_overlay(frames)
    assert coverage(est.mask, overlay) >= 0.95
    assert near_fraction(est.mask, overlay) >= 0.80


def drifting_patch(frames: np.ndarray, drift_px: float, y0: int = 20, x0: int = 20, size: int = 64) -> np.ndarray:
    """Paste a blurred window grid (a facade: edges in every direction) into the panning
    footage, sliding ``drift_px`` in x and y over the clip instead of following the pan, as a
    far building near a crane shot's rotation centre does. Returns the frames."""
    grid = np.full((size + 16, size + 16), 40, np.float32)
    for y in range(4, size + 16, 12):
        for x in range(4, size + 16, 12):
            grid[y:y + 6, x:x + 6] = 220
    grid = cv2.GaussianBlur(grid, (0, 0), 1.0)
    out = frames.copy()
    for i, f in enumerate(out):
        d = drift_px * i / (len(out) - 1)
        m = np.float32([[1, 0, d - 8], [0, 1, d - 8]])
        patch = cv2.warpAffine(grid, m, (size, size), flags=cv2.INTER_LINEAR)
        f[y0:y0 + size, x0:x0 + size] = np.clip(patch, 0, 255).astype(np.uint8)[..., None]
    return out


def test_edges_that_drift_a_few_pixels_are_not_an_overlay(astronaut_pan):
    """The patch's edges stay within 3 px for the whole clip, so they persist through the
    median and no camera model explains them: without the drift test it is masked as an
    overlay (checked below with max_drift=0); with it only the real overlay is."""
    frames, overlay = overlay_watermark(drifting_patch(astronaut_pan, 3.0), "logo", 0, alpha=0.45,
                                        colour=(255, 255, 255))
    patch = np.zeros(overlay.shape, bool)
    patch[20:84, 20:84] = True
    assert not (patch & overlay).any()
    naive = detect_static_overlay(frames, max_drift=0)
    assert (naive.mask & patch).mean() > 0.5 * patch.mean()  # the facade fools the median alone
    est = detect_static_overlay(frames)
    assert not (est.mask & patch).any()
    assert coverage(est.mask, overlay) >= 0.95
    assert near_fraction(est.mask, overlay) >= 0.80


def test_drift_test_keeps_a_static_straight_edge_and_sees_one_that_moved_across():
    """A box's long top edge whose strength varies along it, differently in the early and the
    late frames (it shows more or less against what passes under it): shifted along itself
    it correlates about as well as unshifted, and the noise used to pick a shift, so the
    edge was taken for drift (a compressed timestamp box lost its top strip). Moved 3 px
    across, it is still drift."""
    from media.watermark import _edge_texture, _sobel, _unshifted

    rng = np.random.default_rng(0)

    def texture(row: int, phase: float) -> np.ndarray:
        img = cv2.GaussianBlur(rng.normal(0, 2, (120, 200)).astype(np.float32), (0, 0), 1.0)
        strength = 40 + 15 * np.sin(np.arange(20, 180) / 9 + phase)
        img[row:row + 20, 20:180] += strength  # the box, its top edge at ``row``
        return _edge_texture(*_sobel(img), 2.0)

    early = texture(64, 0.0)
    assert _unshifted(early, texture(64, 2.0), 6, 15)[63:66, 40:160].mean() > 0.95
    moved = _unshifted(early, texture(67, 2.0), 6, 15)
    assert moved[63:66, 40:160].mean() < 0.05 and moved[66:69, 40:160].mean() < 0.05


def test_edges_discarded_around_the_mask_lower_the_confidence(astronaut_pan):
    """A drifting facade just above the logo: the logo is still found whole, but the strong
    edges the drift test threw away next to it make the mask less clear-cut, and the
    confidence says so (on the night-city clip this marked the partial masks)."""
    clean, overlay = overlay_watermark(astronaut_pan, "logo", 0, alpha=0.45, colour=(255, 255, 255))
    base = detect_static_overlay(clean)
    frames, _ = overlay_watermark(drifting_patch(astronaut_pan, 3.0, y0=100, x0=150, size=48), "logo", 0,
                                  alpha=0.45, colour=(255, 255, 255))
    est = detect_static_overlay(frames)
    assert coverage(est.mask, overlay) >= 0.95
    assert base.clarity > 0.95
    assert est.clarity < 0.8
    assert est.confidence < base.confidence - 0.2
    weakest = min(est.terms, key=est.terms.get)
    assert est.terms[weakest] < 0.8
    with pytest.raises(OverlayNotFound, match="clarity") as refused:
        est.require(0.99)
    assert SHORTFALLS[weakest] in str(refused.value)


def test_a_logo_where_the_camera_hardly_moved_the_scene_is_refused_not_half_masked():
    """Rolled about the logo's centre, the scene under the logo hardly moves: the camera
    model puts the logo into the scene's coordinates, explains most of it away and the mask
    is partial. Those explained-away edges count against the clarity, so the partial mask
    is refused (before, it came with confidence 0.61 at coverage 0.70). The same roll about
    the opposite corner finds the whole logo, clearly."""
    image = skimage.data.astronaut()
    _, overlay = overlay_watermark(np.zeros((1, 192, 256, 3), np.uint8), "logo", 0)
    ys, xs = np.nonzero(overlay)
    at_logo, far = (xs.mean(), ys.mean()), (256 - xs.mean(), 192 - ys.mean())
    frames, overlay = overlay_watermark(rotating_clip(image, far, 12.0), "logo", 0, alpha=0.45,
                                        colour=(255, 255, 255))
    clear = detect_static_overlay(frames)
    assert coverage(clear.mask, overlay) >= 0.95 and clear.terms["clarity"] == 1.0
    frames, _ = overlay_watermark(rotating_clip(image, at_logo, 12.0), "logo", 0, alpha=0.45,
                                  colour=(255, 255, 255))
    est = detect_static_overlay(frames)
    assert near_fraction(est.mask, overlay) >= 0.80
    assert coverage(est.mask, overlay) < 0.95  # what motion cannot tell here
    assert est.clarity < 0.5 and est.confidence < AUTO_MASK_MIN_CONFIDENCE
    with pytest.raises(OverlayNotFound, match="clarity") as refused:
        est.require(AUTO_MASK_MIN_CONFIDENCE)
    assert SHORTFALLS["clarity"] in str(refused.value)


def overlay_on(n: int, clean: str, count: int) -> np.ndarray:
    """Which of ``n`` frames carry the overlay: all but ``count``, at the clip's start, end or middle."""
    on = np.ones(n, bool)
    start = {"start": 0, "end": n - count, "middle": (n - count) // 2}[clean]
    on[start:start + count] = False
    return on


def shown_on(frames: np.ndarray, marked: np.ndarray, clean: str, count: int) -> np.ndarray:
    """``marked`` on all but ``count`` frames, which stay clean at the clip's start, end or middle."""
    return np.where(overlay_on(len(frames), clean, count)[:, None, None, None], marked, frames)


@pytest.mark.parametrize("pan,kind,clean", [("chelsea", "logo", "end"), ("chelsea", "text", "start"),
                                            ("chelsea", "timestamp", "end"), ("astronaut", "logo", "start")])
def test_an_overlay_on_part_of_the_frames_is_found_whole(request, pan, kind, clean):
    """A logo that arrives late or leaves early, on 21 of 30 frames: the drift test read it
    as gone from one third and nothing (or 10%) was found; estimated again from the frames
    that show it, it is found whole and confidently. The frame to preview it on is one
    that carries it, and its template tells the frames that carry it from the others."""
    frames = request.getfixturevalue(f"{pan}_pan")
    marked, overlay = overlay_watermark(frames, kind, 0, alpha=0.45, colour=(255, 255, 255))
    shown = shown_on(frames, marked, clean, 9)
    est = detect_static_overlay(shown)
    assert coverage(est.mask, overlay) >= 0.95
    assert near_fraction(est.mask, overlay) >= 0.80
    assert est.confidence >= AUTO_MASK_MIN_CONFIDENCE
    assert est.frames_showing <= 21 < est.frames_used
    on = overlay_on(len(frames), clean, 9)
    assert on[est.clearest_frame[None]]
    strength = overlay_strengths(shown, est.template)
    assert strength[on].min() >= 0.5 and strength[~on].max() < 0.25


@pytest.mark.parametrize("clean", ["end", "middle"])
def test_an_overlay_on_part_of_the_frames_found_partly_is_refused(astronaut_pan, clean):
    """The timestamp box on 21 of 30 frames comes out partial (its outline fades into the
    busy photograph): refused, not accepted half-masked. (With the middle third clean, a
    mask of 0.56 of it once came within 0.004 of the confidence floor.)"""
    marked, overlay = overlay_watermark(astronaut_pan, "timestamp", 0, alpha=0.45, colour=(255, 255, 255))
    est = detect_static_overlay(shown_on(astronaut_pan, marked, clean, 9))
    assert coverage(est.mask, overlay) < 0.95
    with pytest.raises(OverlayNotFound):
        est.require(AUTO_MASK_MIN_CONFIDENCE)


def test_the_frames_to_inpaint_give_every_doubt_to_masking():
    """Leaving a frame that shows the logo unmasked puts it back on screen; masking a clean
    one costs little. So only long runs without it are left out, with a guard around them."""
    strength = np.array([1.0] * 5 + [0.0] * 20 + [0.9] * 5 + [0.05] * 3 + [0.8] * 3 + [0.0] * 12)
    on = frames_showing_overlay(strength, level=0.1, min_gap=10, guard=2)
    expected = np.ones(len(strength), bool)
    expected[7:23] = False  # the 20-frame break, less 2 guard frames at each end
    expected[38:] = False  # the 12 frames at the end, less the guard; the 3-frame dip is masked
    np.testing.assert_array_equal(on, expected)
    # a video where no frame shows the overlay: the template may not fit it, so mask it all
    assert frames_showing_overlay(np.zeros(8)).all()
    assert frames_showing_overlay(np.ones(8)).all()


def test_a_second_mask_extends_the_first_only_when_it_holds_it_and_is_larger():
    """The rule that prefers the estimate from the frames showing the overlay even when it is
    less confident: it must hold the first mask and add to it, not merely differ."""
    from media.watermark import _extends

    first = np.zeros((40, 40), bool)
    first[10:20, 10:20] = True
    bigger = first.copy()
    bigger[10:20, 20:25] = True  # the rest of the overlay, 1.5x
    assert _extends(bigger, first)
    assert not _extends(first, first)  # the same mask adds nothing
    shifted = np.roll(bigger, 3, axis=0)  # larger, but loses 30% of the first
    assert not _extends(shifted, first)
    assert not _extends(bigger, np.zeros_like(first))


@pytest.mark.parametrize("weak", ["motion", "contrast", "clarity"])
def test_a_refusal_says_which_confidence_terms_fell_short(weak):
    """The weakest term is named, and terms that cost little (here 0.9) are not."""
    terms = {"motion": 0.9, "contrast": 0.9, "clarity": 0.9, weak: 0.3}
    mask = np.zeros((8, 8), bool)
    mask[2:4, 2:4] = True
    est = WatermarkEstimate(mask=mask, confidence=0.3, frames_sampled=10, frames_used=10, videos=1, motion=0.7,
                            contrast=2.0, clarity=0.6, threshold=50.0, components=1,
                            persistent_edges=np.zeros((8, 8)), terms=terms)
    with pytest.raises(OverlayNotFound, match=r"^clip.mp4: overlay found with confidence 0.30") as refused:
        est.require(0.6, what="clip.mp4")
    message = str(refused.value)
    assert SHORTFALLS[weak] in message and "--box" in message
    assert not any(text in message for term, text in SHORTFALLS.items() if term != weak)
    assert est.require(0.3) is est


def test_a_still_patch_is_still_found(astronaut_pan):
    """The same grid without drift is, as far as motion can tell, an overlay: kept."""
    frames = drifting_patch(astronaut_pan, 0.0)
    patch = np.zeros(frames.shape[1:3], bool)
    patch[20:84, 20:84] = True
    est = detect_static_overlay(frames)
    assert (est.mask & patch).sum() >= 0.9 * patch.sum()


def test_clean_panning_footage_has_no_overlay(astronaut_pan):
    est = detect_static_overlay(astronaut_pan)
    assert not est.found
    assert est.confidence == 0.0
    assert est.bbox is None
    with pytest.raises(OverlayNotFound, match="no static overlay found"):
        est.require(0.3)


def test_static_clip_is_refused():
    still = np.repeat(skimage.data.astronaut()[None, :192, :256], 20, axis=0)
    frames, _ = overlay_watermark(still, "logo", 0, alpha=0.5, colour=(255, 255, 255))
    with pytest.raises(InputError, match="too static to tell"):
        detect_static_overlay(frames, sources=["still.mp4"])


def test_static_camera_with_small_moving_object_is_refused():
    """Most of the scene is still: every edge persists, an overlay cannot be told apart."""
    base = skimage.data.astronaut()[:192, :256].copy()
    frames = np.repeat(base[None], 24, axis=0)
    for i, f in enumerate(frames):  # a small bright block walks across the view
        x = 10 + 8 * i
        f[120:150, x:x + 20] = 250
    marked, _ = overlay_watermark(frames, "text", 0, alpha=0.5, colour=(255, 255, 255))
    with pytest.raises(InputError, match="too static to tell") as info:
        detect_static_overlay(marked, sources=["cam.mp4"])
    assert "cam.mp4" in str(info.value)


def test_margin_grows_the_mask(astronaut_pan):
    frames, overlay = overlay_watermark(astronaut_pan, "logo", 0, alpha=0.45, colour=(255, 255, 255))
    tight = detect_static_overlay(frames, margin=0)
    wide = detect_static_overlay(frames, margin=6)
    assert wide.mask.sum() > tight.mask.sum()
    assert (wide.mask | tight.mask).sum() == wide.mask.sum()  # the wide mask contains the tight one


def test_accepts_an_iterable_of_frames(astronaut_pan):
    frames, overlay = overlay_watermark(astronaut_pan, "text", 1, alpha=0.45, colour=(255, 255, 255))
    est = detect_static_overlay(iter(list(frames)))
    assert coverage(est.mask, overlay) >= 0.95


def test_dense_motion_model_detects_overlay_on_panning_footage(astronaut_pan):
    frames, overlay = overlay_watermark(astronaut_pan, "logo", 0, alpha=0.45, colour=(255, 255, 255))
    est = detect_static_overlay(frames, motion_model="dense")
    assert coverage(est.mask, overlay) >= 0.95
    assert near_fraction(est.mask, overlay) >= 0.80
    assert near_fraction(est.mask, overlay, tol=12.0) == 1.0


def test_dense_motion_model_finds_nothing_on_clean_footage(astronaut_pan):
    assert not detect_static_overlay(astronaut_pan, motion_model="dense").found


def test_dense_motion_model_refuses_a_static_camera():
    """Flow of 0 explains static content perfectly, but it moved by less than min_flow, so it
    cannot be told from an overlay: the clip is as static for the dense model as for the other."""
    base = skimage.data.astronaut()[:192, :256].copy()
    frames = np.repeat(base[None], 24, axis=0)
    for i, f in enumerate(frames):
        f[120:150, 10 + 8 * i:30 + 8 * i] = 250
    marked, _ = overlay_watermark(frames, "text", 0, alpha=0.5, colour=(255, 255, 255))
    with pytest.raises(InputError, match="too static to tell"):
        detect_static_overlay(marked, motion_model="dense")


def test_unknown_motion_model_is_refused(astronaut_pan):
    with pytest.raises(ValueError, match="motion_model"):
        detect_static_overlay(astronaut_pan, motion_model="affine")


def test_sample_indices_spread_and_sorted():
    idx = sample_indices(1000, 7)
    assert idx == sorted(idx) and idx[0] == 0 and idx[-1] == 999 and len(idx) == 7
    assert sample_indices(5, 60) == [0, 1, 2, 3, 4]




def static_logo_videos() -> tuple[list[np.ndarray], np.ndarray]:
    """Five static-camera scenes (6 frames each) with the same logo, and the logo's mask."""
    photos = [skimage.data.astronaut(), skimage.data.coffee(), skimage.data.chelsea(), skimage.data.rocket(),
              skimage.data.immunohistochemistry()]
    videos, overlay = [], None
    for k, img in enumerate(photos):
        still = np.repeat(img[None, :192, :256], 6, axis=0)
        # Slight sensor noise so consecutive frames are not byte-identical.
        noise = np.random.default_rng(k).normal(0, 1.0, still.shape)
        still = np.clip(still + noise, 0, 255).astype(np.uint8)
        marked, overlay = overlay_watermark(still, "logo", 0, alpha=0.5, colour=(255, 255, 255))
        videos.append(marked)
    return videos, overlay


def test_pooling_static_camera_videos_of_one_source(tmp_path):
    """Each video alone is too static; five different scenes with the same logo are not."""
    videos, overlay = static_logo_videos()
    paths = []
    for k, marked in enumerate(videos):
        paths.append(tmp_path / f"v{k}.mkv")
        write_clip(paths[-1], marked)
    with pytest.raises(InputError, match="too static"):
        detect_watermark(paths[:1], dedupe_level=0)
    est = detect_watermark(paths, max_frames_per_video=4, dedupe_level=0)
    assert est.videos == 5 and est.frames_used == 20
    assert coverage(est.mask, overlay) >= 0.95
    assert near_fraction(est.mask, overlay) >= 0.80


def test_pooling_frames_in_memory_names_the_videos():
    videos, overlay = static_logo_videos()
    with pytest.raises(InputError, match="too static") as info:
        detect_pooled_overlay([("cam-a", videos[0]), ("cam-b", videos[1][:1])], dedupe_level=0)
    assert "cam-a, cam-b" in str(info.value)
    est = detect_pooled_overlay([(f"cam-{k}", iter(list(v))) for k, v in enumerate(videos)], dedupe_level=0)
    assert est.videos == 5 and est.frames_used == 30
    assert coverage(est.mask, overlay) >= 0.95
    assert near_fraction(est.mask, overlay) >= 0.80


def test_videos_of_another_aspect_ratio_are_refused(tmp_path, astronaut_pan):
    a, b = tmp_path / "a.mkv", tmp_path / "b.mkv"
    write_clip(a, astronaut_pan[:5])
    write_clip(b, astronaut_pan[:5, :96, :256])
    with pytest.raises(InputError, match="b.mkv") as info:
        detect_watermark([b, a])
    assert "aspect ratio" in str(info.value)


def test_pooling_videos_of_several_resolutions(tmp_path):
    """A channel's videos at 256x192 and 512x384, each scene too static alone, its logo drawn
    at each size: pooled at the larger size, and each size's mask holds its own logo."""
    videos, small_overlay = static_logo_videos()
    photos = [skimage.data.astronaut(), skimage.data.coffee(), skimage.data.chelsea(), skimage.data.rocket(),
              skimage.data.immunohistochemistry()]
    paths, large_overlay = [], None
    for k, marked in enumerate(videos):
        if k % 2:  # the same scene at twice the size, the logo drawn at that size
            scene = cv2.resize(photos[k][:192, :256], (512, 384), interpolation=cv2.INTER_CUBIC)
            noise = np.random.default_rng(k).normal(0, 1.0, (6, 384, 512, 3))
            still = np.clip(scene[None] + noise, 0, 255).astype(np.uint8)
            marked, large_overlay = overlay_watermark(still, "logo", 0, alpha=0.5, colour=(255, 255, 255))
        paths.append(tmp_path / f"v{k}.mkv")
        write_clip(paths[-1], marked)
    est = detect_watermark(paths, max_frames_per_video=4, dedupe_level=0)
    assert est.videos == 5 and est.mask.shape == (384, 512)
    assert est.template.size == (384, 512)
    for overlay in (small_overlay, large_overlay):
        mask = est.mask_at(*overlay.shape)
        assert mask.shape == overlay.shape
        assert coverage(mask, overlay) >= 0.95
        assert near_fraction(mask, overlay) >= 0.80
    # The inputs' order does not choose the size.
    again = detect_watermark(paths[1:] + paths[:1], max_frames_per_video=4, dedupe_level=0)
    assert again.mask.shape == (384, 512)
    # A frame of the smaller size is measured as the detection saw it: fitted to the larger.
    assert est.template.strength(videos[0][0]) > 0.5
    assert est.template.strength(videos[0][0]) == pytest.approx(
        est.template.strength(fit_frame(videos[0][0], (384, 512))))


def test_fit_mask_keeps_every_fringe_pixel():
    """Scaled down, a pixel partly in the hole is in it; scaled up, every pixel of the hole
    stays in it, with at most a pixel's fringe added."""
    mask = np.zeros((90, 160), bool)
    mask[31:40, 101:130] = True
    small = fit_mask(mask, (45, 80))
    assert small[15:20, 50:65].all() and small.sum() == 5 * 15
    big = fit_mask(mask, (180, 320))
    exact = np.repeat(np.repeat(mask, 2, 0), 2, 1)
    fringe = cv2.dilate(exact.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    assert big[exact].all() and not (big & ~fringe).any()
    assert fit_mask(mask, (90, 160)) is mask
    assert not same_aspect((256, 192), (256, 96)) and same_aspect((854, 480), (1920, 1080))


def test_missing_input_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        detect_watermark([tmp_path / "nope.mp4"])


def test_solid_regions_seal_a_stroke_whose_outline_has_a_gap():
    """The outline of a stroke too wide for the closing (radius 4) to bridge, with a 12-px
    break: without sealing, its inside leaks out of the hole fill and stays empty. Sealing
    adds the inside up to radius/2 from the edges, nothing farther, and leaves the wide bay
    between two separate bars empty."""
    from media.watermark import _solid_regions

    edges = np.zeros((80, 160), bool)
    edges[20, 10:100] = edges[30, 10:100] = True          # the stroke's two long sides
    edges[20:31, 10] = edges[20:31, 99] = True            # its ends
    edges[30, 50:62] = False                              # a break in the outline
    inside = np.zeros_like(edges)
    inside[21:30, 11:99] = True
    closed = cv2.morphologyEx(edges.astype(np.uint8), cv2.MORPH_CLOSE,
                              cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9))).astype(bool)
    assert (closed & inside)[:, 20:90].sum() == 0           # the closing alone fills none of it
    solid = _solid_regions(edges, 4)
    rims = inside & (cv2.distanceTransform((~edges).astype(np.uint8), cv2.DIST_L2, 5) <= 2)
    assert (solid & rims).sum() >= 0.95 * rims.sum()
    assert not (solid & inside & ~rims)[:, 20:90].any()
    # Two separate bars 30 px apart: the bay between them stays out.
    bars = np.zeros((80, 160), bool)
    bars[50:53, 110:150] = bars[20:23, 110:150] = True
    assert not _solid_regions(bars, 4)[30:45, 115:145].any()
