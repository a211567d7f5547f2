"""The example plugin (examples/imgclf-plugin-example) installed the way a user would.

A fresh virtual environment that sees the system's packages (so TensorFlow and the
core come from there, nothing is downloaded) gets a copy of the example with
``pip install --no-deps --no-build-isolation --no-index``. The ``imgclf`` CLI of
that environment must list the plugin and its hooks, run its task end to end and
forget it after ``pip uninstall``; the example's own tests must pass there too.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "imgclf-plugin-example"
DIST = "imgclf-plugin-example"
HOOKS = (
    "extra_callbacks",
    "register_augmenters",
    "register_datasets",
    "register_models",
    "register_reporters",
    "register_tasks",
)


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


class Env:
    """Run commands with the venv's Python, wide tables, quiet TensorFlow."""

    def __init__(self, venv: Path, cwd: Path) -> None:
        self.python, self.cwd = venv_python(venv), cwd
        self.env = {**os.environ, "COLUMNS": "200", "TF_CPP_MIN_LOG_LEVEL": "2"}
        self.env.pop("IMGCLF_LOAD_PLUGINS", None)
        self.env.pop("PYTHONPATH", None)

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [str(self.python), *args], cwd=self.cwd, env=self.env, capture_output=True,
            text=True, timeout=timeout,
        )  # fmt: skip
        assert proc.returncode == 0, f"{args} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        return proc

    def imgclf(self, *args: str) -> str:
        return self.run("-m", "imgclf", *args).stdout


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    try:
        metadata.distribution(DIST)
    except metadata.PackageNotFoundError:
        pass
    else:
        pytest.skip(f"{DIST} is installed in this environment; the isolation test needs it absent")
    work = tmp_path_factory.mktemp("example-plugin")
    src = work / "imgclf-plugin-example"  # a copy: building writes build/ and *.egg-info
    ignore = shutil.ignore_patterns("build", "*.egg-info", "__pycache__", ".pytest_cache")
    shutil.copytree(EXAMPLE, src, ignore=ignore)
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    e = Env(venv, work)
    # --no-deps: imgclf and TensorFlow come from the system; building needs setuptools,
    # which pip fetches (and nothing else) only if the system has none.
    isolation = ["--no-build-isolation", "--no-index"] if find_spec("setuptools") else []
    e.run("-m", "pip", "install", "-q", "--no-deps", *isolation, "--disable-pip-version-check",
          str(src))  # fmt: skip
    e.src = src
    return e


def plugin_row(plugins_output: str) -> str:
    rows = [line for line in plugins_output.splitlines() if "│ shapes " in line]
    return rows[0] if rows else ""


def test_plugins_lists_it_with_its_hooks(env):
    out = env.imgclf("plugins")
    row = plugin_row(out)
    assert "0.1.0" in row and row.rstrip("│ ").endswith("ok"), out
    for hook in HOOKS:
        assert hook in out.split("│ shapes ")[1], f"{hook} missing:\n{out}"


def test_list_shows_its_task_model_loader_augmenter_reporter(env):
    out = env.imgclf("list")
    for name in ("shapes ", "shapes-cnn", "shapes-manifest", "shapes/turns", "shape-summary"):
        assert f"│ {name}" in out, f"{name!r} not listed:\n{out}"


def test_run_end_to_end_through_the_cli(env):
    data = env.cwd / "shapes-data"
    env.run("-m", "imgclf_plugin_example", str(data), "--per-class", "8", "--size", "16")
    out = env.imgclf(
        "run", "shapes", "--data", str(data), "--epochs", "1", "--image-size", "16",
        "--report", "console,json,shape-summary", "--output", str(env.cwd / "runs"),
    )  # fmt: skip
    assert "Done." in out
    (run_dir,) = (env.cwd / "runs" / "shapes" / "shapes-cnn").iterdir()
    config = json.loads((run_dir / "config.json").read_text())
    assert config["augmenter"] == "shapes/turns" and config["classes"] == [
        "circle",
        "square",
        "triangle",
    ]
    assert json.loads((run_dir / "metrics.json").read_text())["n"] > 0
    assert (run_dir / "summary.md").is_file()
    assert "shapes,shapes-cnn,42,0," in (env.cwd / "runs" / "tracking.csv").read_text()


def test_its_own_tests_pass_there(env):
    out = env.run("-m", "pytest", "-q", "-p", "no:cacheprovider", str(env.src / "tests")).stdout
    summary = out.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary and "error" not in summary, out


def test_uninstall_removes_it_and_imgclf_still_works(env):
    env.run("-m", "pip", "uninstall", "-y", "-q", DIST)
    assert plugin_row(env.imgclf("plugins")) == ""
    out = env.imgclf("list")
    assert "shapes-cnn" not in out and "│ shapes " not in out
    assert "│ folder" in out  # the built-ins are still there
