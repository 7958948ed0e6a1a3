"""``isvi cache ls|clear URL``: show and prune the Zarr caches of ``isvi batch``."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cache", help="show or prune batch caches",
                       description="List stage outputs of a batch cache per video, or remove them.")
    csub = p.add_subparsers(dest="action", metavar="ACTION")
    csub.required = True
    ls = csub.add_parser("ls", help="per video (id and source file): stage outputs, complete and unfinished")
    ls.add_argument("url", help="cache URL (folder, file://, s3://)")
    ls.add_argument("--long", action="store_true", help="one line per stage output")
    cl = csub.add_parser("clear", help="remove caches")
    cl.add_argument("url", help="cache URL")
    cl.add_argument("--video", help="only this video id")
    cl.add_argument("--incomplete", action="store_true", help="only outputs without a completion marker")
    cl.add_argument("--force", action="store_true",
                    help="also the videos a running batch job holds a lease on (which then fails or recomputes)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from collections import Counter

    from storage.zarr_cache import ZarrCache

    cache = ZarrCache(args.url)
    if args.action == "clear":
        # a running job's unfinished outputs are the ones it is writing: leave its videos alone
        busy = [] if args.force else sorted(cache.videos_in_use(args.video or "*"))
        n = cache.clear(args.video, incomplete_only=args.incomplete, keep=busy)
        print(f"removed {n} stage outputs", file=sys.stderr)
        if busy:
            print(f"kept {len(busy)} video(s) that a running batch job uses: {', '.join(busy)} "
                  "(--force removes them too)", file=sys.stderr)
        return 0
    rows = cache.ls()
    if args.long:
        for r in rows:
            part = f"/{r['part']}" if r["part"] else ""
            print(f"{r['video']}  {r['group']}/{r['stage']}{part}  {r['fp']}  "
                  f"{'complete' if r['complete'] else 'UNFINISHED'}")
        return 0
    names = cache.sources()
    per = {}
    for r in rows:
        per.setdefault(r["video"], Counter())[(r["stage"], r["complete"])] += 1
    encoded, in_use = cache.encoded_videos(), cache.videos_in_use()
    for video in sorted(per.keys() | names.keys()):
        c = per.get(video, Counter())
        stages = " ".join(f"{s}:{c[(s, True)]}" + (f"(+{c[(s, False)]} unfinished)" if c[(s, False)] else "")
                          for s in ("decode", "flow", "complete", "fill", "composite")
                          if c[(s, True)] or c[(s, False)])
        if not stages:  # only its markers: a finished video's intermediates are removed unless --keep-cache
            stages = "encoded; per-shot intermediates removed" if video in encoded else "probed; no stage outputs"
        label = f" ({', '.join(names[video])})" if names.get(video) else ""
        jobs = in_use.get(video)
        print(f"{video}{label}  {stages}" + (f"  [in use by {', '.join(jobs)}]" if jobs else ""))
    return 0
