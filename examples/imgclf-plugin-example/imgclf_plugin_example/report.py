"""``shape-summary``: a Markdown table of how well each shape is recognised."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def shape_summary(result, run_dir: Path, console) -> None:
    """summary.md: accuracy, then recall and support per class, from result.metrics.

    A reporter reads the EvaluationResult and never recomputes: every number comes
    from ``result.metrics`` (what metrics.json holds), so all reports agree.
    """
    from rich.markup import escape

    m = result.metrics
    lines = [
        f"# {escape(str(result.config.get('task', '')))}: accuracy {m['accuracy']:.3f}",
        "",
        "| class | recall | support |",
        "| --- | ---: | ---: |",
    ]
    for cls in result.classes:
        row = m["per_class"][cls]
        lines.append(f"| {cls} | {row['recall']:.3f} | {row['support']} |")
    _write_atomically(Path(run_dir) / "summary.md", "\n".join(lines) + "\n")
    worst = min(result.classes, key=lambda c: m["per_class"][c]["recall"])
    console.print(f"Hardest class: {escape(worst)} (recall per class in summary.md)")


def _write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)
