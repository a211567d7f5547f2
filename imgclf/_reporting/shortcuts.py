"""The honest-evaluation pieces of a class head's report (docs/shortcut-learning.md):
the shortcut warning (confounding), internal vs external results, per-source
figures and the two thresholds of an evaluation, for report.html and the console.
Everything is read from ``result.metrics`` (``_heads/shortcuts.py`` computes it)."""

from __future__ import annotations

from html import escape
from typing import Any

from rich.console import Console
from rich.markup import escape as rich_escape
from rich.table import Table

from .common import fmt
from .page import table

RATES = ("sensitivity", "specificity")


def confounding_section(m: dict[str, Any]) -> str:
    """A highlighted section for the top of the page when the class rides on the source."""
    found = m.get("confounding") or {}
    if found.get("level") in (None, "none"):
        return ""
    classes = found["classes"]
    rows = [
        [escape(s), *(str(per.get(c, 0)) for c in classes)] for s, per in found["table"].items()
    ]
    head = "Shortcut warning" if found["level"] == "strong" else "Shortcut note"
    return (
        f"<div class=warn><h2>{head}: the class depends on the data source</h2>"
        f"<p>{escape(found.get('message', ''))}</p>"
        + table(["source", *(escape(c) for c in classes)], rows)
        + f"<p class=meta>Cramér's V {fmt(found.get('cramers_v'))} (0: none, 1: the source "
        f"names the class); strong from {fmt(found.get('strong_v'), 1)}.</p></div>"
    )


def gap_sentence(internal: float, name: str, external: float) -> str:
    gap = internal - external
    return (
        f"accuracy {internal:.2f} on the run's test split, {external:.2f} on {name}: "
        f"{abs(gap):.2f} {'lower' if gap >= 0 else 'higher'}"
    )


def external_section(m: dict[str, Any]) -> str:
    """The run's test split and each external set side by side, the gap in words."""
    external = m.get("external") or {}
    if not external:
        return ""
    keys = ("n", "accuracy", "balanced_accuracy", *RATES, "roc_auc")
    header = ["data", "images", "accuracy", "balanced accuracy", *RATES, "ROC AUC"]
    rows = [["the run's test split", *(fmt(m.get(k)) if k != "n" else str(m["n"]) for k in keys)]]
    lines = []
    for name, ext in external.items():
        if "error" in ext:
            lines.append(f"{escape(name)}: not evaluated ({escape(ext['error'])})")
            continue
        rows.append([escape(name), *(fmt(ext.get(k)) if k != "n" else str(ext["n"]) for k in keys)])
        lines.append(escape(gap_sentence(m["accuracy"], name, ext["accuracy"])))
    return (
        "<h2>External evaluation</h2>"
        + table(header, rows)
        + "<div class=note>"
        + "<br>".join(lines)
        + "</div>"
    )


def per_source_section(m: dict[str, Any]) -> str:
    """Accuracy (and sensitivity/specificity) per data source of the test images."""
    per = m.get("per_source") or {}
    if not per:
        return ""
    binary = any("sensitivity" in row for row in per.values())
    header = ["source", "images", "accuracy", *(RATES if binary else ())]
    rows = [
        [escape(s), str(r["n"]), fmt(r["accuracy"]), *(fmt(r.get(k)) for k in RATES if binary)]
        for s, r in per.items()
    ]
    return (
        "<h2>Per source</h2>"
        + table(header, rows)
        + "<p class=meta>n/a: the source holds no image of that class.</p>"
    )


THRESHOLD_LABELS = {
    "run": "at the run's threshold",
    "youden_on_this_data": "at Youden's J on this data",
}


def threshold_rows(m: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    both = m.get("thresholds") or {}
    return [(THRESHOLD_LABELS[k], both[k]) for k in THRESHOLD_LABELS if both.get(k)]


def thresholds_section(m: dict[str, Any]) -> str:
    """An evaluation of a sigmoid model: figures at both thresholds."""
    rows = threshold_rows(m)
    if not rows:
        return ""
    keys = ("threshold", "accuracy", "balanced_accuracy", *RATES, "precision", "f1")
    body = [[escape(label), *(fmt(f.get(k)) for k in keys)] for label, f in rows]
    note = (m.get("thresholds") or {}).get("note")
    return (
        "<h2>Decision threshold</h2>"
        + table(["", "threshold", "accuracy", "balanced acc.", *RATES, "precision", "F1"], body)
        + "<p class=meta>The run picked its threshold on its own validation split; the "
        "second row re-picks it on this data (Youden's J, sensitivity + specificity - 1 "
        "at its highest), the threshold to use where this data comes from."
        + (f" {escape(note)}" if note else "")
        + "</p>"
    )


def print_shortcuts(m: dict[str, Any], console: Console) -> None:
    """Per-source figures, both thresholds and external sets in the terminal."""
    per = m.get("per_source") or {}
    if per:
        t = Table(title="Per source (test images)")
        for col in ("source", "images", "accuracy", *RATES):
            t.add_column(col, justify="left" if col == "source" else "right")
        for s, r in per.items():
            t.add_row(
                rich_escape(s), str(r["n"]), fmt(r["accuracy"]), *(fmt(r.get(k)) for k in RATES)
            )
        console.print(t)
    for label, f in threshold_rows(m):
        rates = ", ".join(f"{k} {fmt(f.get(k))}" for k in RATES)
        console.print(
            f"{label}: threshold {fmt(f['threshold'], 4)}, accuracy {fmt(f['accuracy'])}, {rates}"
        )
    for name, ext in (m.get("external") or {}).items():
        if "accuracy" in ext:
            console.print(rich_escape(gap_sentence(m["accuracy"], name, ext["accuracy"])))
