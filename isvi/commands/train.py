"""``isvi train igfc|asfn``: prepare the training samples (cached as Zarr), train with checkpoints
and resume, plot the loss curves and export ONNX. Runs the Prefect flow ``flows.train.train_flow``.

Data sources: scikit-image's sample photographs plus ``--photos DIR`` (e.g. unpacked Debian
wallpaper packages) in simulated motion, and real clips (``--clips``; only ``shared/trainclips``
may be used for training) with DIS flow as pseudo ground truth. Run the same command again after
an interruption: it resumes at the last checkpoint in ``--out``.
"""

from __future__ import annotations

from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "train", help="train IGFC or ASFN (Prefect flow: data, checkpoints/resume, curves, ONNX export)",
        description="Train IGFC (flow completion) or ASFN (gradient style fusion) on simulated motion over real "
                    "photographs and on real clips with pseudo ground-truth flow; resumes from OUT/last.pt.")
    p.add_argument("kind", choices=("igfc", "asfn"), help="igfc: flow completion; asfn: gradient style fusion")
    p.add_argument("-o", "--out", type=Path, required=True, metavar="DIR", help="checkpoints, loss.png, <kind>.onnx")
    p.add_argument("--data", type=Path, metavar="ZARR", help="prepared samples (default OUT/data.zarr; made if absent)")
    p.add_argument("--photos", type=Path, action="append", default=[], metavar="DIR",
                   help="extra folder of photographs (repeatable); scikit-image's are always used")
    p.add_argument("--clips", type=Path, metavar="DIR",
                   help="folder of training clips (*.mp4), e.g. shared/trainclips; never the dev set")
    p.add_argument("--n-sim", type=int, default=3000, metavar="N", help="simulated samples to prepare (default 3000)")
    p.add_argument("--n-clip", type=int, default=1500, metavar="N", help="real-clip samples to prepare (default 1500)")
    p.add_argument("--size", type=int, default=64, metavar="PX", help="crop size in pixels, a multiple of 8 (default 64)")
    p.add_argument("--mask-speed", type=float, default=4.0, metavar="PX",
                   help="IGFC data: top speed of the moving masks in px/frame (default 4)")
    p.add_argument("--asfn-clip-samples", choices=("simulated", "propagated"), default="simulated",
                   help="ASFN data: make the real-clip samples with the paper's simulation (neighbours t±1 "
                        "warped in, light change) or with the pipeline's own gradient propagation over "
                        "7-frame windows (default simulated)")
    p.add_argument("--steps", type=int, default=1000, metavar="N", help="optimiser steps (default 1000)")
    p.add_argument("--batch-size", type=int, default=8, metavar="N", help="samples per step (default 8)")
    p.add_argument("--lr", type=float, default=1e-4, metavar="X", help="Adam learning rate (default 1e-4)")
    p.add_argument("--lr-decay-at", type=float, default=0.8, metavar="F",
                   help="fraction of --steps after which the learning rate is divided by 10 (default 0.8)")
    p.add_argument("--init-from", type=Path, metavar="PT",
                   help="warm start: begin from these weights (a last.pt or a state_dict) instead of scratch")
    p.add_argument("--reinit", action="append", default=[], metavar="PREFIX",
                   help="with --init-from: re-initialise the parameters whose names start with PREFIX (repeatable)")
    p.add_argument("--cnum", type=int, default=16, metavar="N", help="base width (default 16: the CPU configuration)")
    p.add_argument("--ckpt-every", type=int, default=100, metavar="N",
                   help="write OUT/last.pt every N steps; a re-run resumes from it (default 100)")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="seed of the data split, batches and weights (default 0)")
    p.add_argument("--threads", type=int, default=2, metavar="N", help="torch CPU threads (default 2)")
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"), help="where to train (default cpu)")
    p.add_argument("--amp", action="store_true", help="bf16 autocast (GPU)")
    p.add_argument("--no-export", action="store_true", help="do not write OUT/<kind>.onnx at the end")
    p.set_defaults(func=run)


def run(args) -> int:
    from isvi_models.errors import ConfigError

    if args.size % 8:
        raise ConfigError(f"size: must be a multiple of 8 (got {args.size})")
    if args.clips is not None and Path(args.clips).resolve().name == "devset":
        raise ConfigError("clips: the dev set is for benchmarks, not training")
    clip_paths = sorted(str(p) for p in Path(args.clips).glob("*.mp4")) if args.clips else []
    if args.clips is not None and not clip_paths:
        raise ConfigError(f"clips: no *.mp4 in {args.clips}")
    data = args.data or (args.out / "data.zarr")
    cfg = dict(kind=args.kind, data=str(data), out_dir=str(args.out), cnum=args.cnum, steps=args.steps,
               batch_size=args.batch_size, lr=args.lr, lr_decay_at=args.lr_decay_at, ckpt_every=args.ckpt_every,
               seed=args.seed, threads=args.threads, device=args.device, amp=args.amp, export=not args.no_export,
               init_from=str(args.init_from) if args.init_from else None, reinit=args.reinit)
    if args.init_from is not None and not args.init_from.is_file():
        raise ConfigError(f"init_from: no such file {args.init_from}")
    if args.reinit and args.init_from is None:
        raise ConfigError("reinit: only with --init-from")
    data_cfg = dict(n_sim=args.n_sim, n_clip=args.n_clip, size=args.size, photo_dirs=[str(p) for p in args.photos],
                    clip_paths=clip_paths, seed=args.seed, mask_speed_px=args.mask_speed,
                    asfn_clip_mode=args.asfn_clip_samples)
    from isvi_models.train.loop import TrainConfig

    TrainConfig(**cfg)  # bad values: fail before Prefect starts
    from flows.train import DataConfig, train_flow

    DataConfig(**data_cfg)

    summary = train_flow(cfg, data_cfg)
    print(f"trained {args.kind} to step {summary['step']}" + (f"; wrote {summary['onnx']}" if "onnx" in summary else ""))
    return 0
