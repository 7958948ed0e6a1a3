"""Training on tiny data: the data simulation is exact, the loss falls, an interrupted run resumes to
the same weights as an uninterrupted one, export works, and ``isvi train`` runs the Prefect flow."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from isvi_models.losses import backward_warp
from isvi_models.train import asfn_sim, data
from isvi_models.train.loop import TrainConfig, train


@pytest.fixture(scope="module")
def photos():
    return data.load_photographs(max_side=160)


@pytest.fixture(scope="module")
def igfc_zarr(tmp_path_factory, photos):
    path = tmp_path_factory.mktemp("igfc") / "igfc.zarr"
    rng = np.random.default_rng(0)
    samples = [data.simulated_igfc_sample(rng, photos, 3, 32) for _ in range(16)]
    return data.write_zarr(path, {k: np.stack([s[k] for s in samples]) for k in data.IGFC_KEYS}, {"kind": "igfc"})


@pytest.fixture(scope="module")
def asfn_zarr(tmp_path_factory, photos):
    path = tmp_path_factory.mktemp("asfn") / "asfn.zarr"
    rng = np.random.default_rng(0)
    samples = []
    for _ in range(8):
        samples += asfn_sim.simulated_asfn_samples(rng, photos, 32)
    return data.write_zarr(path, {k: np.stack([s[k] for s in samples]) for k in asfn_sim.ASFN_KEYS}, {"kind": "asfn"})


def test_simulated_flow_is_exact(photos):
    """Frame t+1 warped back by the simulated flow t->t+1 reproduces frame t where nothing is occluded."""
    rng = np.random.default_rng(3)
    for _ in range(4):
        seq = data.simulate_sequence(rng, photos, 3, 48, 48)
        flow = seq.flow(0, 1)
        warped = backward_warp(torch.from_numpy(seq.frames[1]).permute(2, 0, 1)[None],
                               torch.from_numpy(flow).permute(2, 0, 1)[None])[0].permute(1, 2, 0).numpy()
        err = np.abs(warped - seq.frames[0]).max(-1)
        still = np.abs(seq.frames[1] - seq.frames[0]).max(-1)
        assert np.median(err) < 0.03  # bilinear resampling twice, nothing more
        if np.abs(flow).max() > 1:
            assert np.median(err) < 0.5 * np.median(still)
        # the inverse flow undoes it: F_{0->1}(x) + F_{1->0}(x + F_{0->1}(x)) ~= 0 on the background
        back = seq.flow(1, 0)
        w = asfn_sim.fb_consistency(flow, back, soft=False)
        assert w.mean() > 0.5


def test_igfc_sample_matches_inference_inputs(photos):
    from isvi_models.ops.flow_completion import laplace_fill_flows

    rng = np.random.default_rng(1)
    s = data.simulated_igfc_sample(rng, photos, 3, 32)
    assert s["filled"].shape == (3, 2, 32, 32) and s["masks"].shape == (3, 1, 32, 32)
    gt = s["gt"].astype(np.float32).transpose(1, 2, 0)
    hole = s["masks"][1, 0].astype(bool)
    assert hole.any()
    # outside the hole the pivot input is the ground truth; inside, the Laplacian fill of it
    pivot = s["filled"][1].astype(np.float32).transpose(1, 2, 0)
    np.testing.assert_allclose(pivot[~hole], gt[~hole], atol=1e-2)
    ref = laplace_fill_flows(np.where(hole[..., None], 0, gt)[None], hole[None])[0]
    np.testing.assert_allclose(pivot, ref, atol=2e-2)


def test_asfn_simulation_changes_only_the_hole(photos):
    rng = np.random.default_rng(2)
    seq = data.simulate_sequence(rng, photos, 3, 32, 32)
    hole = np.zeros((32, 32), bool)
    hole[8:20, 10:22] = True
    sim = asfn_sim.simulate_propagation(rng, seq.frames, 1, hole, {s: seq.flow(1, s) for s in (0, 2)},
                                        {s: seq.flow(s, 1) for s in (0, 2)})
    from isvi_models.ops.gradients import gradient_hole

    outside = ~gradient_hole(hole)
    np.testing.assert_array_equal(sim["in_x"][outside], sim["gt_x"][outside])
    assert not np.array_equal(sim["in_x"][hole], sim["gt_x"][hole])  # light adjustment changes the hole
    assert np.abs(sim["in_x"][hole] - sim["gt_x"][hole]).mean() < np.abs(sim["gt_x"][hole]).mean() + 0.05


def test_propagated_samples_come_from_the_pipelines_propagation():
    from isvi_models.ops.gradients import gradient_hole
    from tests.synth import panned_clip

    clip = panned_clip(frames=12, height=80, width=112).astype(np.float32)  # float RGB in [0, 1]
    rng = np.random.default_rng(3)
    errs, scales = [], []
    for _ in range(6):
        for s in asfn_sim.propagated_asfn_samples(rng, [clip], 32, light_p=0.0):
            inp, tgt = s["input"].astype(np.float32), s["target"].astype(np.float32)
            hole = s["mask"][0].astype(bool)
            outside = ~gradient_hole(hole)
            np.testing.assert_array_equal(inp[:, outside], tgt[:, outside])
            errs.append(np.abs(inp - tgt)[:, hole].mean())
            scales.append(np.abs(tgt)[:, hole].mean())
    assert errs
    # a camera pan is propagated from the other frames of the window: far better than nothing
    assert np.mean(errs) < 0.5 * np.mean(scales)


def test_prepare_asfn_data_refuses_an_unknown_clip_mode(tmp_path):
    with pytest.raises(ValueError, match="clip_mode"):
        asfn_sim.prepare_asfn_data(tmp_path / "x.zarr", n_sim=0, n_clip=1, clip_mode="magic")


def _cfg(kind, data_path, out, **kw):
    base = dict(kind=kind, data=data_path, out_dir=out, cnum=8, steps=10, batch_size=4, lr=1e-3, ckpt_every=3,
                log_every=100, val_every=5, val_fraction=0.2, threads=2, export=False)
    return TrainConfig(**{**base, **kw})


def _weights(out, kind):
    state = torch.load(out / "last.pt", weights_only=False)
    return state["model"], state["step"]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["igfc", "asfn"])
def test_interrupted_run_resumes_to_the_same_weights(tmp_path, igfc_zarr, asfn_zarr, kind):
    zarr_path = igfc_zarr if kind == "igfc" else asfn_zarr
    whole = train(_cfg(kind, zarr_path, tmp_path / "whole"), log=lambda s: None)
    assert whole["step"] == 10
    part = train(_cfg(kind, zarr_path, tmp_path / "parts"), stop_after=4, log=lambda s: None)
    assert part == {"step": 4, "interrupted": True}
    logs = []
    train(_cfg(kind, zarr_path, tmp_path / "parts"), log=logs.append)
    assert any("resumed" in line and "step 4" in line for line in logs)
    a, sa = _weights(tmp_path / "whole", kind)
    b, sb = _weights(tmp_path / "parts", kind)
    assert sa == sb == 10
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6)
    hist = json.loads((tmp_path / "parts" / "history.json").read_text())
    assert hist["step"] == list(range(1, 11))
    assert (tmp_path / "parts" / "loss.png").stat().st_size > 1000


@pytest.mark.slow
def test_loss_falls_and_export_runs(tmp_path, igfc_zarr):
    from isvi_models import learned

    out = tmp_path / "igfc"
    summary = train(_cfg("igfc", igfc_zarr, out, steps=30, val_every=30, ckpt_every=30, export=True),
                    log=lambda s: None)
    hist = json.loads((out / "history.json").read_text())
    total = hist["train"]["total"]
    assert np.mean(total[-8:]) < 0.7 * np.mean(total[:8])
    completer = learned.load_flow_completer(out)
    flows = np.random.default_rng(0).normal(0, 2, (4, 32, 40, 2)).astype(np.float32)
    holes = np.zeros((4, 32, 40), bool)
    holes[:, 8:20, 8:24] = True
    res = completer(flows, holes, "forward")
    assert res.shape == flows.shape and np.isfinite(res).all()
    np.testing.assert_array_equal(res[~holes], flows[~holes])
    assert summary["onnx"].endswith("igfc.onnx")


@pytest.mark.slow
def test_cli_train_runs_the_prefect_flow(on_prefect_server, tmp_path, asfn_zarr):
    from isvi.cli import main

    out = tmp_path / "run"
    rc = main(["train", "asfn", "-o", str(out), "--data", str(asfn_zarr), "--steps", "3", "--batch-size", "2",
               "--cnum", "8", "--ckpt-every", "2", "--no-export"])
    assert rc == 0
    assert torch.load(out / "last.pt", weights_only=False)["step"] == 3
    assert (out / "loss.png").is_file()


def test_cli_prepares_propagated_asfn_samples(on_prefect_server, tmp_path):
    from isvi.cli import main
    from tests.batch_clips import write_clip
    from tests.synth import panned_clip

    clips = tmp_path / "clips"
    clips.mkdir()
    frames = (panned_clip(frames=12, height=96, width=128) * 255).astype(np.uint8)
    write_clip(clips / "pan.mp4", frames, codec="h264")  # isvi train --clips takes *.mp4
    out = tmp_path / "run"
    rc = main(["train", "asfn", "-o", str(out), "--clips", str(clips), "--n-sim", "0", "--n-clip", "3", "--size", "32",
               "--asfn-clip-samples", "propagated", "--steps", "1", "--batch-size", "2", "--cnum", "8", "--no-export"])
    assert rc == 0
    arrays, attrs = data.read_zarr(out / "data.zarr")
    assert attrs["clip_mode"] == "propagated"
    assert len(arrays["input"]) == 6  # x and y gradient of 3 frames


def test_cli_refuses_the_devset(tmp_path):
    from isvi.cli import main

    devset = tmp_path / "devset"
    devset.mkdir()
    assert main(["train", "igfc", "-o", str(tmp_path / "o"), "--clips", str(devset)]) == 2


def test_cli_warm_start_begins_from_the_given_weights(on_prefect_server, tmp_path, asfn_zarr):
    """--init-from loads the weights (and --reinit re-draws the named ones) before step 1."""
    from isvi.cli import main

    common = ["--data", str(asfn_zarr), "--batch-size", "2", "--cnum", "8", "--no-export"]
    first = tmp_path / "first"
    assert main(["train", "asfn", "-o", str(first), "--steps", "2", *common]) == 0
    second = tmp_path / "second"
    # One step at a vanishing learning rate: the weights stay where they started.
    assert main(["train", "asfn", "-o", str(second), "--steps", "1", "--lr", "1e-12",
                 "--init-from", str(first / "last.pt"), *common]) == 0
    a, _ = _weights(first, "asfn")
    b, step = _weights(second, "asfn")
    assert step == 1
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6)
    third = tmp_path / "third"
    prefix = next(iter(a)).split(".")[0]
    assert main(["train", "asfn", "-o", str(third), "--steps", "1", "--lr", "1e-12",
                 "--init-from", str(first / "last.pt"), "--reinit", prefix, *common]) == 0
    c, _ = _weights(third, "asfn")
    redrawn = [k for k in a if k.startswith(prefix) and a[k].is_floating_point() and a[k].numel() > 1]
    assert redrawn and any(not torch.allclose(a[k], c[k]) for k in redrawn)


def test_cli_reinit_needs_init_from(tmp_path, asfn_zarr, capsys):
    from isvi.cli import main

    assert main(["train", "asfn", "-o", str(tmp_path / "o"), "--data", str(asfn_zarr), "--reinit", "final"]) == 2
    assert "only with --init-from" in capsys.readouterr().err


def test_cli_refuses_a_bad_mask_speed_before_starting(tmp_path, capsys):
    from isvi.cli import main

    assert main(["train", "igfc", "-o", str(tmp_path / "o"), "--mask-speed", "0"]) == 2
    out = capsys.readouterr()
    assert "mask_speed_px" in out.err
    assert "Flow run" not in out.out + out.err  # refused before a Prefect flow started
    assert not (tmp_path / "o").exists()
