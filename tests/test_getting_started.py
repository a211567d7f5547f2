"""docs/getting-started.md runs as written: its Python blocks, in order, in an empty folder.

A block right after a line ``<!-- no-run: REASON -->`` is skipped (it needs real
data or minutes); the reason must be given.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import imgclf

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "getting-started.md"
BLOCK = re.compile(r"(?:^(<!--[^\n]*-->)\n)?^```python\n(.*?)^```", re.M | re.S)


def needs_face_emotion() -> None:
    if "face-emotion" not in imgclf.list_tasks():
        pytest.skip("needs the face-emotion plugin: pip install -e plugins/face-emotion")


def python_blocks(text: str) -> list[tuple[str | None, str]]:
    """(marker comment or None, code) for every ```python block."""
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(text)]


def test_blocks_are_found_and_skips_have_reasons():
    blocks = python_blocks(PAGE.read_text())
    assert len(blocks) >= 4
    for marker, _ in blocks:
        if marker:
            assert re.fullmatch(r"<!-- no-run: \S.* -->", marker), f"no reason: {marker}"


def test_getting_started_code_runs(tmp_path, monkeypatch, capsys):
    needs_face_emotion()
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "getting_started"}
    for i, (marker, code) in enumerate(python_blocks(PAGE.read_text())):
        if marker and "no-run" in marker:
            continue
        exec(compile(code, f"{PAGE.name} block {i + 1}", "exec"), namespace)  # noqa: S102
    out = capsys.readouterr().out
    assert "test accuracy" in out and "(3, 3)" in out
    run_dir = namespace["run_dir"]
    assert run_dir.resolve().parent == tmp_path.resolve() / "demo-runs" / "face-emotion" / "alexnet"
    assert (run_dir / "report.html").is_file()


def test_python_api_example_runs(tmp_path, capsys):
    """examples/python_api.py, the API used from another project, runs as shipped."""
    import runpy

    needs_face_emotion()
    module = runpy.run_path(str(ROOT / "examples" / "python_api.py"), run_name="python_api")
    module["main"](tmp_path)
    out = capsys.readouterr().out
    assert "accuracy" in out and "img_0_0.png:" in out
    assert (tmp_path / "runs" / "face-emotion" / "alexnet").is_dir()
