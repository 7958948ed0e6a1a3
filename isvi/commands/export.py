"""``isvi export``: write igfc.onnx and asfn.onnx for ``isvi inpaint --models DIR``.

No trained ISVI weights are published, so the networks come either from torch state_dicts
(``--igfc-ckpt`` / ``--asfn-ckpt``, e.g. from a later training run) or from seeded random
weights (``--random-weights``, for trying the learned path and for benchmarks). torch is imported
only when the command runs, so the CLI starts fast.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "export", help="export IGFC/ASFN to ONNX for the learned pipeline",
        description="Export the IGFC and ASFN networks to ONNX (dynamic batch, height and width).")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="DIR",
                   help="models directory to write igfc.onnx and asfn.onnx into")
    p.add_argument("--only", choices=("igfc", "asfn"), help="export just one of the two networks")
    p.add_argument("--igfc-ckpt", type=Path, metavar="PATH", help="IGFC torch state_dict")
    p.add_argument("--asfn-ckpt", type=Path, metavar="PATH", help="ASFN torch state_dict")
    p.add_argument("--random-weights", action="store_true",
                   help="use seeded random weights for networks without a checkpoint (no trained weights exist yet)")
    p.add_argument("--seed", type=int, default=0, help="seed for --random-weights (default 0)")
    p.add_argument("--igfc-variant", default="igfc_base", help="registered IGFC variant (default igfc_base)")
    p.add_argument("--asfn-variant", default="asfn_base", help="registered ASFN variant (default asfn_base)")
    p.add_argument("--cnum", type=int, help="override the base width of both networks")
    p.add_argument("--igfc-res-blocks", type=int, help="override IGFC's residual block count")
    p.add_argument("--asfn-transfer-blocks", type=int, help="override ASFN's style-fusion block count")
    p.add_argument("--no-verify", action="store_true", help="skip the ONNX Runtime vs PyTorch check")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from isvi_models.errors import ConfigError
    from isvi_models.export import export_models
    from isvi_models.nets import list_models

    for kind in ("igfc", "asfn"):
        variant = getattr(args, f"{kind}_variant")
        if variant not in list_models(kind):
            raise ConfigError(f"--{kind}-variant: unknown {variant!r}; known: {', '.join(list_models(kind))}")
    if args.cnum is not None and (args.cnum < 2 or args.cnum % 2):
        raise ConfigError(f"--cnum: must be an even number >= 2 (got {args.cnum})")
    igfc_kw = {k: v for k, v in (("cnum", args.cnum), ("res_blocks", args.igfc_res_blocks)) if v is not None}
    asfn_kw = {k: v for k, v in (("cnum", args.cnum), ("transfer_blocks", args.asfn_transfer_blocks)) if v is not None}
    which = (args.only,) if args.only else ("igfc", "asfn")
    for kind in which:
        if getattr(args, f"{kind}_ckpt") is None and not args.random_weights:
            raise ConfigError(f"--{kind}-ckpt: no checkpoint given; pass one, or --random-weights "
                              "(no trained ISVI weights are published)")
    logging.getLogger("isvi").info("exporting %s to %s", ", ".join(which), args.output)
    written = export_models(args.output, which=which, igfc_variant=args.igfc_variant, asfn_variant=args.asfn_variant,
                            igfc_kwargs=igfc_kw, asfn_kwargs=asfn_kw, igfc_ckpt=args.igfc_ckpt,
                            asfn_ckpt=args.asfn_ckpt, random_weights=args.random_weights, seed=args.seed,
                            verify=not args.no_verify)
    for kind, path in written.items():
        print(f"{kind}: {path}")
    return 0
