"""The ``isvi`` command line: a thin front over the subcommand modules in ``isvi.commands``.

Each subcommand module exposes ``register(subparsers)``, which adds its parser and sets
``func`` to a callable taking the parsed args and returning an exit code. Modules are
imported when the CLI starts, so keep their top-level imports light (no torch, no prefect).

Exit codes: 0 success; 2 bad input (missing file, mask mismatch, invalid config value,
usage error) or a write error (read-only folder, disk full), printed as one ``isvi: error: ...``
line naming the file; 1 any other expected failure; 130 after Ctrl-C and 143 after SIGTERM, both
with no temporary output left behind.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import signal
import sys

from isvi import __version__

# Subcommand modules, in the order ``--help`` lists them.
COMMANDS = (
    "isvi.commands.inpaint",
    "isvi.commands.export",
    "isvi.commands.evaluate",
    "isvi.commands.benchmark",
    "isvi.commands.detect_watermark",
    "isvi.commands.detect_text",
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


TRAIN_MODULES = ("torch", "onnx", "onnxscript")  # the `train` extra: training and ONNX export only
WRITE_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO}


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the process is, so it unwinds like Ctrl-C: every writer aborts
    and removes its temporary output."""


def _raise_terminated(signum, frame) -> None:
    raise Terminated()


class _SignalLog:
    """Which signals reached the process while a command ran, whoever's Python handler took them.

    Prefect's flow engine puts its own SIGTERM handler in place during a flow run, and its
    ``TerminationSignal`` can be swallowed on the way (raised inside pydantic's serialiser it
    became a ``PydanticSerializationError`` and a failed video, exit 1). The interpreter writes
    every caught signal's number to the wakeup fd before any handler runs, so this pipe sees it.
    Main thread only (``set_wakeup_fd`` raises ValueError elsewhere).
    """

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        for fd in (self._read, self._write):
            os.set_blocking(fd, False)
        self._previous = signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)
        self._seen: set[int] = set()

    def close(self) -> set[int]:
        """Stop recording (once; later calls only answer); the signal numbers seen."""
        if self._read is not None:
            signal.set_wakeup_fd(self._previous)
            try:
                while chunk := os.read(self._read, 4096):
                    self._seen |= set(chunk)
            except BlockingIOError:
                pass
            os.close(self._read)
            os.close(self._write)
            self._read = None
        return self._seen


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # not the main thread (an embedding program): leave its signals alone
        return _run(args)
    log = _SignalLog()
    try:
        code = _run(args)
    except Exception:
        if signal.SIGTERM not in log.close():
            raise
        code = None  # an error the SIGTERM caused on its way out
    finally:
        log.close()
        signal.signal(signal.SIGTERM, previous)
    if signal.SIGTERM in log.close() and code != 143:  # swallowed on the way (a failed flow run, exit 1)
        print("isvi: terminated", file=sys.stderr)
        return 143
    return code


def _run(args) -> int:
    """``args.func(args)``, with each expected failure turned into its one line and exit status."""
    from pydantic import ValidationError

    from isvi_models.errors import ConfigError, InputError, IsviError

    try:
        return int(args.func(args) or 0)
    except (InputError, ConfigError, ValidationError) as exc:
        print(f"isvi: error: {error_line(exc)}", file=sys.stderr)
        return 2
    except IsviError as exc:
        print(f"isvi: error: {exc}", file=sys.stderr)
        return 1
    except ModuleNotFoundError as exc:
        if exc.name not in TRAIN_MODULES:
            raise
        print(f"isvi: error: {args.command} needs {exc.name}: install the 'train' extra "
              f"(pip install -e '.[cpu,train]')", file=sys.stderr)
        return 2
    except OSError as exc:  # a write error (read-only folder, disk full): name the path, nothing partial is left
        if exc.errno not in WRITE_ERRNOS and exc.filename is None:
            raise
        print(f"isvi: error: {exc.filename or getattr(args, 'output', 'output')}: {exc.strerror or exc}",
              file=sys.stderr)
        return 2
    except Terminated:
        print("isvi: terminated", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print("isvi: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
