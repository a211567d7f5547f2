"""The example plugin (examples/imgclf-plugin-example) installed the way a user would.

The example is built into a wheel by the interpreter running the tests, with the
pinned setuptools of the test extra (``--no-build-isolation --no-index``: an explicit
build backend, not whatever the base interpreter has). A fresh virtual environment
then sees exactly the test environment's packages (a ``.pth`` line adds its site
directories, so this works inside a venv as well as without one; TensorFlow and the
core come from there, nothing is downloaded) and gets the wheel with ``pip install
--no-deps --no-index``. Its ``imgclf`` CLI must list the plugin by its distribution
name and hooks, run its task end to end and forget it after ``pip uninstall``; the
example's own tests must pass there too.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
from importlib import metadata
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


def outer_site_dirs() -> list[str]:
    """Where this interpreter's packages live (a venv's, or the system's)."""
    dirs = [*site.getsitepackages()]
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    return [d for d in dict.fromkeys(dirs) if Path(d).is_dir()]


def see_outer_packages(venv: Path) -> None:
    """Let ``venv`` import what the test environment has, behind its own packages.

    ``venv --system-site-packages`` would expose the *base* interpreter, which inside
    a user's venv holds neither imgclf nor TensorFlow. ``site.addsitedir`` (not a bare
    path) also runs those directories' ``.pth`` files, which editable installs need.
    """
    python = venv_python(venv)
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    lines = [f"import site; site.addsitedir({d!r})" for d in outer_site_dirs()]
    (Path(purelib) / "_imgclf_test_outer.pth").write_text("\n".join(lines) + "\n")


def build_wheel(src: Path, dest: Path) -> Path:
    """The example's wheel, built offline by the pinned setuptools of this environment."""
    try:
        version = metadata.version("setuptools")
    except metadata.PackageNotFoundError:
        pytest.fail("setuptools is not installed: pip install -e '.[test]' brings the pinned one")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "--no-index", "--disable-pip-version-check", "-w", str(dest), str(src)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, f"building the example with setuptools {version} failed:\n" + (
        proc.stdout[-2000:] + proc.stderr[-3000:]
    )
    (wheel,) = dest.glob("imgclf_plugin_example-*.whl")
    return wheel


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
    wheel = build_wheel(src, work / "dist")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    see_outer_packages(venv)
    e = Env(venv, work)
    e.run("-m", "pip", "install", "-q", "--no-deps", "--no-index", "--disable-pip-version-check",
          str(wheel))  # fmt: skip
    e.src = src
    return e


def plugin_row(plugins_output: str) -> str:
    rows = [line for line in plugins_output.splitlines() if "│ shapes " in line]
    return rows[0] if rows else ""


def test_plugins_lists_it_with_its_hooks(env):
    out = env.imgclf("plugins")
    row = plugin_row(out)
    assert f"│ {DIST} 0.1.0 │" in row and row.rstrip("│ ").endswith("ok"), out
    for hook in HOOKS:
        assert hook in row, f"{hook} missing:\n{out}"
    infos = {i["name"]: i for i in json.loads(env.imgclf("plugins", "--json"))}
    info = infos["shapes"]
    assert (info["distribution"], info["version"], info["status"]) == (DIST, "0.1.0", "ok")
    assert set(HOOKS) <= set(info["hooks"])


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
    assert "shapes,shapes-cnn,42,1," in (env.cwd / "runs" / "tracking.csv").read_text()


def test_its_own_tests_pass_there(env):
    out = env.run("-m", "pytest", "-q", "-p", "no:cacheprovider", str(env.src / "tests")).stdout
    summary = out.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary and "error" not in summary, out


def test_uninstall_removes_it_and_imgclf_still_works(env):
    env.run("-m", "pip", "uninstall", "-y", "-q", DIST)
    out = env.imgclf("plugins")
    assert plugin_row(out) == "" and DIST not in out, out
    assert "shapes" not in {i["name"] for i in json.loads(env.imgclf("plugins", "--json"))}
    out = env.imgclf("list")
    assert "shapes-cnn" not in out and "│ shapes " not in out
    assert "│ folder" in out  # the built-ins are still there
