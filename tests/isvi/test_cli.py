"""``isvi.cli.main``: the exit status after SIGTERM, whatever the command did with the raise."""
import argparse
import os
import signal

import pytest

from isvi import cli


def _parser_running(func):
    parser = argparse.ArgumentParser()
    parser.set_defaults(func=func, command="fake")
    return lambda: parser


def _swallows_sigterm(args):
    """What Prefect's flow engine does with an exception raised inside a flow run: a failed run, exit 1."""
    try:
        os.kill(os.getpid(), signal.SIGTERM)
    except BaseException:
        pass
    return 1


class _OwnSignal(BaseException):
    pass


def _own_handler_swallows_sigterm(args):
    """Prefect's flow engine: its own SIGTERM handler during the run, its exception lost on the way."""
    def handler(signum, frame):
        raise _OwnSignal()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        os.kill(os.getpid(), signal.SIGTERM)
    except BaseException:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 1


def _fails_after_sigterm(args):
    try:
        os.kill(os.getpid(), signal.SIGTERM)
    except BaseException:
        pass
    raise RuntimeError("the flow run crashed")


@pytest.mark.parametrize("func", [_swallows_sigterm, _own_handler_swallows_sigterm, _fails_after_sigterm])
def test_sigterm_swallowed_by_the_command_still_exits_143(func, monkeypatch, capsys):
    monkeypatch.setattr(cli, "build_parser", _parser_running(func))
    assert cli.main([]) == 143
    assert "isvi: terminated" in capsys.readouterr().err


def test_a_failure_without_sigterm_keeps_its_status(monkeypatch):
    monkeypatch.setattr(cli, "build_parser", _parser_running(lambda args: 1))
    assert cli.main([]) == 1
    monkeypatch.setattr(cli, "build_parser", _parser_running(_raise_runtime))
    with pytest.raises(RuntimeError):
        cli.main([])


def _raise_runtime(args):
    raise RuntimeError("a bug")
