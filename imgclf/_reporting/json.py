"""The ``json`` reporter: ``metrics.json``, every metric of ``result.metrics``.

The runner writes ``metrics.json`` itself for every run (it is a required
artifact, written before any reporter runs); this reporter writes the same file
and is what ``imgclf report`` and ``imgclf evaluate`` use to (re)write it.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from .._files import write_json
from .._heads.classification import EvaluationResult

METRICS_FILE = "metrics.json"


def write_metrics(result: EvaluationResult, run_dir: Path) -> Path:
    """Write ``run_dir/metrics.json`` atomically and return its path."""
    path = Path(run_dir) / METRICS_FILE
    write_json(path, result.metrics)
    return path


def report_json(result: EvaluationResult, run_dir: Path, console: Console) -> None:
    """metrics.json: every metric (the runner writes it for every run as well)."""
    write_metrics(result, run_dir)
