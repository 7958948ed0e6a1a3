"""What a fresh install gets: the licence it declares, no torch for inpainting, a clean checkout."""

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_declared_licence_ships():
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"] == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text()
    assert text.lstrip().startswith("Apache License") and "Version 2.0, January 2004" in text


def test_torch_is_only_in_the_train_extra():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    base = " ".join(project["dependencies"])
    assert "torch" not in base and "onnxscript" not in base
    assert any(d.startswith("torch==2.13.0") for d in project["optional-dependencies"]["train"])
    assert "find-links" not in tomllib.loads((ROOT / "pyproject.toml").read_text()).get("tool", {}).get("uv", {})


def test_inpainting_with_the_learned_stages_imports_no_torch(tmp_path):
    code = ("import sys, numpy as np\n"
            "from tasks.config import InpaintConfig\n"
            "from tasks.inpaint_video import inpaint_arrays\n"
            "import isvi.cli\n"
            "isvi.cli.build_parser()\n"
            "f = np.zeros((3, 32, 32, 3), np.uint8); h = np.zeros((3, 32, 32), bool); h[:, 8:16, 8:16] = True\n"
            "inpaint_arrays(f, h, InpaintConfig(flow_completion='igfc', style_fusion='asfn'))\n"
            "assert 'torch' not in sys.modules and 'onnx' not in sys.modules, 'torch imported'\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, res.stderr[-2000:]


def test_the_quick_start_output_is_ignored_by_git():
    res = subprocess.run(["git", "check-ignore", "-q", "city_clean.mp4"], cwd=ROOT)
    assert res.returncode == 0
