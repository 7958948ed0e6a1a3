"""``isvi detect-text`` (mask PNGs, preview, messages, exit codes) and ``isvi inpaint --mask text``."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from isvi.cli import main
from media.video import read_video
from tasks.evaluation.metrics import masked_psnr
from tests.batch_clips import write_clip
from tests.media.text.clips import background, burn_text


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("dt")
    clean = background(12)
    frames, truth = burn_text(clean, {0: "Hello there, friend", 6: "Second line here"})
    write_clip(d / "subs.mkv", frames)
    plain = np.full((6, 120, 200, 3), 90, np.uint8)
    plain[..., 1] = np.linspace(40, 200, 200, dtype=np.uint8)[None, None, :]
    write_clip(d / "plain.mkv", plain)
    return d, clean, truth


def test_writes_one_mask_png_per_frame_and_a_preview(clips, capsys):
    d, _, truth = clips
    out, preview = d / "masks", d / "sheet.png"
    assert main(["detect-text", str(d / "subs.mkv"), "-o", str(out), "--preview", str(preview),
                 "--analysis-size", "640", "--dilate", "2"]) == 0
    text = capsys.readouterr().out
    assert "text in 12 of 12 frames" in text and "wrote 12 masks" in text and "wrote preview" in text
    files = sorted(out.iterdir())
    assert [f.name for f in files] == [f"{k:05d}.png" for k in range(12)]
    masks = np.stack([cv2.imread(str(f), cv2.IMREAD_UNCHANGED) for f in files])
    assert masks.dtype == np.uint8 and set(np.unique(masks)) <= {0, 255}
    assert ((masks > 0) & truth).sum() / truth.sum() > 0.97
    sheet = cv2.imread(str(preview))
    assert sheet is not None and sheet.shape[1] >= 480
    assert not any(p.name.startswith(".") for p in d.iterdir())   # no temporary folder left


def test_text_shape_boxes_and_glyphs(clips):
    d, _, truth = clips
    read = {}
    for shape in ("boxes", "glyphs"):
        out = d / f"shape-{shape}"
        assert main(["detect-text", str(d / "subs.mkv"), "-o", str(out), "--analysis-size", "640",
                     "--text-shape", shape]) == 0
        read[shape] = np.stack([cv2.imread(str(out / f"{k:05d}.png"), 0) > 0 for k in range(12)])
        assert (read[shape] & truth).sum() / truth.sum() > 0.97
    assert read["glyphs"].sum() < 0.85 * read["boxes"].sum() and not (read["glyphs"] & ~read["boxes"]).any()


def test_region_bottom_and_existing_output(clips, capsys):
    d, _, truth = clips
    out = d / "bottom"
    assert main(["detect-text", str(d / "subs.mkv"), "-o", str(out), "--region", "bottom",
                 "--analysis-size", "640"]) == 0
    masks = np.stack([cv2.imread(str(out / f"{k:05d}.png"), 0) > 0 for k in range(12)])
    assert not masks[:, :110].any() and (masks & truth).sum() / truth.sum() > 0.95
    assert main(["detect-text", str(d / "subs.mkv"), "-o", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err


def test_no_text_writes_empty_masks_and_says_so(clips, capsys):
    d, _, _ = clips
    out = d / "none"
    assert main(["detect-text", str(d / "plain.mkv"), "-o", str(out), "--analysis-size", "640"]) == 0
    assert "no text found in 6 frames" in capsys.readouterr().out
    assert len(list(out.iterdir())) == 6
    assert all(not cv2.imread(str(p), 0).any() for p in out.iterdir())


@pytest.mark.parametrize("argv, needle", [
    (["missing.mp4"], "missing.mp4: no such file"),
    (["subs.mkv", "--region", "middle"], "region"),
    (["subs.mkv", "--dilate", "-1"], "--dilate"),
    (["subs.mkv", "--glyph-grow", "-1"], "--glyph-grow"),
])
def test_bad_input_is_one_line_and_exit_2(clips, capsys, argv, needle):
    d, _, _ = clips
    argv = [str(d / argv[0]), *argv[1:]]
    assert main(["detect-text", *argv, "-o", str(d / "bad")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("isvi: error:") and needle in err and "\n" not in err
    assert not (d / "bad").exists()


def test_inpaint_mask_text_removes_the_subtitles(clips, capsys):
    d, clean, truth = clips
    out = d / "clean.mkv"
    assert main(["inpaint", str(d / "subs.mkv"), "--mask", "text", "-o", str(out), "--codec", "ffv1", "-q"]) == 0
    result, _ = read_video(out)
    burnt, _ = read_video(d / "subs.mkv")
    before = np.mean([masked_psnr(b, c, t) for b, c, t in zip(burnt, clean, truth)])
    after = np.mean([masked_psnr(r, c, t) for r, c, t in zip(result, clean, truth)])
    assert after > before + 8, (before, after)


def test_inpaint_mask_text_copies_a_video_without_text(clips, capsys):
    d, _, _ = clips
    out = d / "plain_out.mkv"
    assert main(["inpaint", str(d / "plain.mkv"), "--mask", "text", "-o", str(out), "--codec", "ffv1"]) == 0
    assert "no text found; copied through" in capsys.readouterr().err
    np.testing.assert_array_equal(read_video(out)[0], read_video(d / "plain.mkv")[0])


def test_batch_takes_mask_text_from_the_command_line_and_a_manifest(tmp_path):
    from isvi.cli import build_parser
    from isvi.commands.batch import resolve_job
    from storage.manifests import list_videos

    args = build_parser().parse_args(["batch", str(tmp_path / "src"), "-o", str(tmp_path / "dst"), "--mask", "text"])
    assert resolve_job(args).inpaint.mask == "text"  # no longer refused
    (tmp_path / "a.mp4").write_bytes(b"")
    (tmp_path / "m.csv").write_text("video,mask\na.mp4,text\n")
    (item,) = list_videos(str(tmp_path / "m.csv"))
    assert item.mask == "text" and item.own_mask  # a detection, not a file beside the manifest


def _changed(out, src):
    """Pixels an ffv1 inpainting changed (outside its hole every pixel is the input's)."""
    return (read_video(out)[0] != read_video(src)[0]).any(-1)


def test_inpaint_text_options_reach_the_detector(clips):
    """``--text-shape boxes`` (issue 23): the hole is the text lines, a larger one than the default glyphs',
    and each is the mask detect-text writes with those settings."""
    d, _, truth = clips
    fast = ["--codec", "ffv1", "-q", "--flow-preset", "ultrafast", "--no-shots", "--text-analysis-size", "640"]
    changed, masks = {}, {}
    for shape in ("glyphs", "boxes"):
        out = d / f"inpaint-{shape}.mkv"
        assert main(["inpaint", str(d / "subs.mkv"), "--mask", "text", "--text-shape", shape, "-o", str(out),
                     *fast]) == 0
        changed[shape] = _changed(out, d / "subs.mkv")
        assert main(["detect-text", str(d / "subs.mkv"), "-o", str(d / f"inpaint-masks-{shape}"),
                     "--analysis-size", "640", "--text-shape", shape]) == 0
        masks[shape] = np.stack([cv2.imread(str(d / f"inpaint-masks-{shape}" / f"{k:05d}.png"), 0) > 0
                                 for k in range(12)])
        assert not (changed[shape] & ~masks[shape]).any()  # inside the hole detect-text finds (--dilate 0)
        assert changed[shape][truth].mean() > 0.5
    assert changed["boxes"].sum() > 1.15 * changed["glyphs"].sum()
    assert (changed["boxes"] & ~masks["glyphs"]).sum() > 0.1 * changed["boxes"].sum()  # box corners, not glyphs


def test_inpaint_text_region_is_where_the_detector_looks(clips):
    """``--text-region top``: only the upper 35% is searched, so the subtitles at the bottom stay."""
    d, _, _ = clips
    out = d / "inpaint-top.mkv"
    assert main(["inpaint", str(d / "subs.mkv"), "--mask", "text", "--text-region", "top", "-o", str(out),
                 "--codec", "ffv1", "-q", "--text-analysis-size", "640"]) == 0
    changed = _changed(out, d / "subs.mkv")
    assert not changed[:, 63:].any()  # 0.35 * 180 rows


@pytest.mark.parametrize("argv, needle", [
    (["--box", "0,0,8,8", "--text-shape", "boxes"], "--text-shape: only with --mask text"),
    (["--mask", "auto", "--text-dilate", "2", "--glyph-grow", "1"], "--text-dilate, --glyph-grow: only with --mask text"),
    (["--box", "0,0,8,8", "--config", "{toml}"], "[text] in "),
    (["--mask", "text", "--text-dilate", "65"], "text.dilate_px"),
    (["--mask", "text", "--text-region", "middle"], "region"),
    (["--mask", "text", "--text-analysis-size", "10"], "text.analysis_size"),
])
def test_inpaint_text_options_refused_one_line(clips, capsys, argv, needle):
    """Without ``--mask text`` the detector's options (and a [text] table) are refused, not ignored;
    bad values name the field. One line, exit 2, nothing written."""
    d, _, _ = clips
    toml = d / "text.toml"
    toml.write_text('[text]\nshape = "boxes"\n')
    out = d / "refused.mkv"
    assert main(["inpaint", str(d / "subs.mkv"), "-o", str(out),
                 *[a.format(toml=toml) for a in argv]]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("isvi: error:") and needle in err and "\n" not in err, err
    assert not out.exists()


def test_batch_text_options_refused_without_a_text_mask(clips, tmp_path, capsys, monkeypatch):
    """In the batch too, unless a manifest gives a video the text mask: then they are that mask's."""
    import flows.inpaint_collection

    d, _, _ = clips
    jobs = []
    monkeypatch.setattr(flows.inpaint_collection, "run_collection", lambda job, **kw: jobs.append(job) or [])
    src = tmp_path / "src"
    src.mkdir()
    write_clip(src / "a.mkv", np.zeros((2, 16, 16, 3), np.uint8))
    assert main(["batch", str(src), "-o", str(tmp_path / "o1"), "--box", "0,0,4,4", "--text-shape", "boxes"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--text-shape: only with --mask text" in err and "\n" not in err
    toml = tmp_path / "job.toml"
    toml.write_text('[inpaint]\nbox = ["0,0,4,4"]\n[inpaint.text]\ndilate_px = 5\n')
    assert main(["batch", str(src), "-o", str(tmp_path / "o2"), "--config", str(toml)]) == 2
    assert "[inpaint.text] in " in capsys.readouterr().err
    assert jobs == []
    manifest = tmp_path / "jobs.csv"
    manifest.write_text("video,mask\nsrc/a.mkv,text\n")
    assert main(["batch", str(manifest), "-o", str(tmp_path / "o3"), "--text-shape", "boxes",
                 "--text-region", "bottom"]) == 0
    (job,) = jobs
    assert (job.inpaint.mask, job.inpaint.text.shape, job.inpaint.text.region) == (None, "boxes", "bottom")
