"""The ``isvi`` command line: a thin front over the subcommand modules in ``isvi.commands``.

Each subcommand module exposes ``register(subparsers)``, which adds its parser and sets
``func`` to a callable taking the parsed args and returning an exit code. Modules are
imported when the CLI starts, so keep their top-level imports light (no torch, no prefect).

Exit codes: 0 success; 2 bad input (missing file, mask mismatch, invalid config value,
usage error), printed as one ``isvi: error: ...`` line; 1 any other expected failure.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from isvi import __version__

# Subcommand modules, in the order ``--help`` lists them.
COMMANDS = (
    "isvi.commands.inpaint",
    "isvi.commands.export",
    "isvi.commands.evaluate",
    "isvi.commands.benchmark",
    "isvi.commands.detect_watermark",
    "isvi.commands.batch",
    "isvi.commands.cache",
    "isvi.commands.train",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="isvi",
        description="Remove objects, logos and watermarks from videos with the ISVI method.",
    )
    parser.add_argument("--version", action="version", version=f"isvi {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(name).register(sub)
    return parser


def error_line(exc: BaseException) -> str:
    """One line per problem: pydantic errors as ``field: message``, others as their message."""
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        parts = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "config"
            parts.append(f"{loc}: {err['msg']} (got {err.get('input')!r})")
        return "; ".join(parts)
    return str(exc)


def main(argv: list[str] | None = None) -> int:
    from pydantic import ValidationError

    from isvi_models.errors import ConfigError, InputError, IsviError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (InputError, ConfigError, ValidationError) as exc:
        print(f"isvi: error: {error_line(exc)}", file=sys.stderr)
        return 2
    except IsviError as exc:
        print(f"isvi: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("isvi: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
