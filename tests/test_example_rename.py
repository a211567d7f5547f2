"""The template's rename, run as its README says: the package is renamed everywhere,
and the README's own rename instructions survive it (they used to be rewritten into
``mv imgclf_leaf_disease imgclf_leaf_disease``)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "imgclf-plugin-example"
OLD, NEW = "imgclf_plugin_example", "imgclf_leaf_disease"


def rename_block(readme: str) -> str:
    """The first bash block of the README's "Make it yours" section."""
    section = readme.split("## Make it yours", 1)[1]
    return re.search(r"```bash\n(.*?)```", section, re.S).group(1)


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or not shutil.which("bash"),
    reason="the README's commands use GNU sed -i (Linux)",
)
def test_the_readme_rename_renames_the_package_and_keeps_its_instructions(tmp_path):
    work = tmp_path / "checkout"
    shutil.copytree(EXAMPLE, work / "examples" / EXAMPLE.name,
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))  # fmt: skip
    block = rename_block((EXAMPLE / "README.md").read_text())
    script = "set -euo pipefail\n" + "\n".join(line.strip() for line in block.splitlines())
    done = subprocess.run(["bash", "-c", script], cwd=work, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr

    renamed = tmp_path / "imgclf-leaf-disease"
    assert (renamed / NEW / "__init__.py").is_file() and not (renamed / OLD).exists()
    files = [p for p in renamed.rglob("*") if p.suffix in (".py", ".toml", ".md")]
    assert not [p for p in files if OLD in p.read_text()], "the old name is left somewhere"
    readme = (renamed / "README.md").read_text()
    assert rename_block(readme) == block, "the rename rewrote its own instructions"
    assert f"python -m {NEW} shapes-data" in readme  # the rest of the README follows it
    assert f'"{NEW}"' in (renamed / "pyproject.toml").read_text()
