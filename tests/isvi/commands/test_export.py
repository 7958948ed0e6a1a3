"""``isvi export``: argument handling and the files it writes."""

from __future__ import annotations

import argparse

import onnx
import pytest

from isvi.commands import export as export_cmd
from isvi_models.errors import ConfigError


def parse(argv):
    parser = argparse.ArgumentParser(prog="isvi")
    export_cmd.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["export", *argv])


class TestExportCommand:
    @pytest.mark.slow
    def test_random_weights_write_a_seeded_model(self, tmp_path, capsys):
        args = parse(["-o", str(tmp_path), "--only", "asfn", "--asfn-variant", "asfn_tiny", "--random-weights",
                      "--seed", "5", "--cnum", "6"])
        assert args.func is export_cmd.run
        assert args.func(args) == 0
        assert f"asfn: {tmp_path / 'asfn.onnx'}" in capsys.readouterr().out
        meta = {p.key: p.value for p in onnx.load(str(tmp_path / "asfn.onnx")).metadata_props}
        assert meta["isvi.variant"] == "asfn_tiny" and '"cnum": 6' in meta["isvi.config"]
        assert not (tmp_path / "igfc.onnx").exists()

    def test_without_checkpoint_or_random_weights_is_a_config_error(self, tmp_path):
        args = parse(["-o", str(tmp_path)])
        with pytest.raises(ConfigError, match="--igfc-ckpt"):
            args.func(args)
        assert not any(tmp_path.iterdir())

    @pytest.mark.parametrize("argv,match", [(["--cnum", "7"], "--cnum"), (["--igfc-variant", "nope"], "unknown")])
    def test_bad_values_are_config_errors(self, tmp_path, argv, match):
        args = parse(["-o", str(tmp_path), "--random-weights", *argv])
        with pytest.raises(ConfigError, match=match):
            args.func(args)

    def test_registered_in_the_cli(self):
        from isvi.cli import COMMANDS

        assert "isvi.commands.export" in COMMANDS
