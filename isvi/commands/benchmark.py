"""``isvi benchmark CLIPS_DIR -o REPORT_DIR``: the pipeline and classical baselines on a clip folder.

Runs the Prefect flow ``flows.benchmark.benchmark_clips``; see that module for the clip layout
and the protocol.
"""

from __future__ import annotations

import shlex


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "benchmark", help="run the pipeline and classical baselines on clips with ground truth, write a report",
        description="For every clip of CLIPS_DIR (gt.mp4 + masks/ or a mask generator), blank the hole, run each "
                    "method, score it against the ground truth, and write report.md, results.json, plots and "
                    "contact sheets to REPORT_DIR.")
    p.add_argument("clips_dir", metavar="CLIPS_DIR", help="folder of clips, laid out like shared/devset")
    p.add_argument("-o", "--out", required=True, metavar="REPORT_DIR", help="folder for the report")
    p.add_argument("--methods", default="isvi,telea,ns,temporal_nearest",
                   help="comma-separated: isvi, telea, ns, temporal_nearest, removelogo (FFmpeg's filter, one mask for "
                        "the clip: for static logos), blank (default: the first four)")
    p.add_argument("--clips", help="comma-separated clip names (default: all)")
    p.add_argument("--max-frames", type=int, help="use only the first N frames of each clip")
    p.add_argument("--mask-generator", metavar="SPEC",
                   help="for clips without masks/: squares[:SEED], blobs[:SEED], text[:SEED] (then ,key=value "
                        "options, e.g. squares:3,count=2), or a mask folder")
    p.add_argument("--dilate-px", type=int, default=0,
                   help="grow every clip's hole by this many pixels for all methods (default 0: masks as given)")
    p.add_argument("--isvi-option", action="append", default=[], metavar="KEY=VALUE",
                   help="pipeline option (InpaintConfig field), e.g. flow_preset=fast; repeatable")
    p.add_argument("--sheet-frames", type=int, default=3, help="frames per contact sheet (default 3)")
    p.add_argument("--no-flow", action="store_true", help="skip the flow warping error")
    p.add_argument("--method-timeout", type=float, help="seconds after which a method run is abandoned")
    p.set_defaults(func=run)


def _parse_options(items: list[str]) -> dict:
    import json

    from isvi_models.errors import ConfigError

    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"isvi-option: expected KEY=VALUE, got {item!r}")
        try:
            out[key.strip().replace("-", "_")] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip().replace("-", "_")] = value
    if out:  # validate now, not after the first clip has been prepared
        from tasks.config import InpaintConfig

        InpaintConfig(**{"dilate_px": 0, **out})
    return out


def command_line(args) -> str:
    parts = ["isvi", "benchmark", args.clips_dir, "-o", args.out, "--methods", args.methods]
    for flag, value in (("--clips", args.clips), ("--max-frames", args.max_frames),
                        ("--mask-generator", args.mask_generator), ("--method-timeout", args.method_timeout)):
        if value is not None:
            parts += [flag, str(value)]
    if args.dilate_px:
        parts += ["--dilate-px", str(args.dilate_px)]
    for opt in args.isvi_option:
        parts += ["--isvi-option", opt]
    if args.sheet_frames != 3:
        parts += ["--sheet-frames", str(args.sheet_frames)]
    if args.no_flow:
        parts.append("--no-flow")
    return shlex.join(parts)


def run(args) -> int:
    from tasks.evaluation.baselines import METHODS
    from isvi_models.errors import ConfigError

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise ConfigError(f"methods: unknown {', '.join(unknown) or '(none given)'} "
                          f"(choose from {', '.join(METHODS)})")
    if args.max_frames is not None and args.max_frames < 2:
        raise ConfigError("max-frames: must be at least 2")
    if args.dilate_px < 0:
        raise ConfigError("dilate-px: must be >= 0")
    if args.mask_generator and not __import__("pathlib").Path(args.mask_generator).is_dir():
        from tasks.evaluation.mask_generators import parse_spec

        parse_spec(args.mask_generator)
    isvi_config = _parse_options(args.isvi_option)
    clips = [c.strip() for c in args.clips.split(",")] if args.clips else None

    from flows.benchmark import benchmark_clips, discover_clips

    discover_clips(args.clips_dir, clips)  # bad folder or clip names: fail before Prefect starts
    results = benchmark_clips(args.clips_dir, args.out, methods=methods, max_frames=args.max_frames, clips=clips,
                              mask_generator=args.mask_generator, dilate_px=args.dilate_px, isvi_config=isvi_config,
                              sheet_frames=args.sheet_frames, temporal=not args.no_flow,
                              method_timeout_s=args.method_timeout, command=command_line(args))
    from tasks.evaluation.report import markdown_table

    print(markdown_table(results["means"]))
    print(f"report: {args.out}/report.md")
    failed = [f"{c}/{m}" for c, e in results["clips"].items() for m, r in e["methods"].items() if r.get("error")]
    if failed:
        print(f"failed: {', '.join(failed)} (see the report)")
        return 1
    return 0
