"""``--help`` of the commands a user meets first: every option says what it does (issue 22 item 12:
``isvi batch --help`` showed ``--max-side MAX`` and ``--codec CODEC`` bare, ``isvi train`` had no
help at all)."""

import argparse

import pytest

from isvi.cli import build_parser


def _subparser(name: str) -> argparse.ArgumentParser:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[name]


def _options(name: str) -> dict[str, argparse.Action]:
    return {a.option_strings[-1]: a for a in _subparser(name)._actions
            if a.option_strings and not isinstance(a, argparse._HelpAction)}


@pytest.mark.parametrize("command", ["inpaint", "batch", "train"])
def test_every_option_has_help(command):
    bare = [flag for flag, a in _options(command).items() if not (a.help or "").strip()]
    assert bare == [], f"isvi {command}: options without help: {bare}"


def test_batch_shares_the_method_and_output_options_of_inpaint():
    """One definition for both: the same help, choices and defaults."""
    inpaint, batch = _options("inpaint"), _options("batch")
    for flag in ("--max-side", "--codec", "--crf", "--preset", "--window", "--overlap", "--dilate",
                 "--flow-completion", "--style-fusion", "--spatial-fill", "--models"):
        assert flag in batch, flag
        assert (batch[flag].help, batch[flag].choices) == (inpaint[flag].help, inpaint[flag].choices), flag
    assert list(batch["--codec"].choices) == ["h264", "ffv1"] and "default h264" in batch["--codec"].help
    assert "default 960" in batch["--max-side"].help
    text = _subparser("batch").format_help()
    assert "--max-side MAX " not in text and "--codec CODEC" not in text


def test_text_detector_options_in_inpaint_and_batch():
    """Issue 23: ``--mask text``'s detector options in both commands, with detect-text's help and choices;
    inpaint's ``--dilate`` stays the hole's growth."""
    inpaint, batch, detect = _options("inpaint"), _options("batch"), _options("detect-text")
    pairs = {"--text-region": "--region", "--text-min-height": "--min-height", "--text-dilate": "--dilate",
             "--text-shape": "--text-shape", "--glyph-grow": "--glyph-grow",
             "--text-analysis-size": "--analysis-size"}
    for flag, own in pairs.items():
        for command in (inpaint, batch):
            assert flag in command, flag
            assert (command[flag].help, command[flag].choices) == (detect[own].help, detect[own].choices), flag
        assert detect[own].help.strip(), own
    assert list(inpaint["--text-shape"].choices) == ["glyphs", "boxes"]
    assert "default glyphs" in inpaint["--text-shape"].help and "default 3" in inpaint["--text-dilate"].help
    assert "default 960" in batch["--text-analysis-size"].help
    assert inpaint["--dilate"].help != inpaint["--text-dilate"].help
    for command in ("inpaint", "batch"):
        text = " ".join(_subparser(command).format_help().split())
        assert "--text-shape {glyphs,boxes}" in text and "lower 35% of the frame" in text
