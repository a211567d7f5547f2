"""imgclf's type hints hold: mypy checks the package with the settings in
pyproject.toml ([tool.mypy]), and the package ships ``py.typed`` (PEP 561) so a
user's type checker reads them."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_package_is_marked_typed():
    assert (ROOT / "imgclf" / "py.typed").is_file()
    assert 'imgclf = ["py.typed"]' in (ROOT / "pyproject.toml").read_text()


@pytest.mark.skipif(
    importlib.util.find_spec("mypy") is None,
    reason="mypy is not installed (it is in the 'test' extra: pip install -e '.[test]')",
)
def test_mypy_passes_on_imgclf():
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "imgclf"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found" in done.stdout
