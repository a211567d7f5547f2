"""The building blocks of report.html that every head's page uses: tables, sections, page."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from html import escape
from typing import Any

from .._heads.classification import EvaluationResult
from .history import Plot
from .reference import comparisons

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
 margin:0 auto;max-width:1100px;padding:24px;color:#1f2328;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2em;
 margin-top:2em}.meta{color:#57606a}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.92em}
th,td{border:1px solid #d0d7de;padding:4px 9px;text-align:right;vertical-align:top}
th{background:#f6f8fa}td.l,th.l{text-align:left}td.diag{background:#dbe9f7;font-weight:600}
.note{background:#fff8c5;border:1px solid #d4a72c;padding:8px 12px;border-radius:6px}
.warn{background:#ffebe9;border:2px solid #cf222e;padding:4px 16px 8px;border-radius:6px}
.warn h2{margin-top:.6em;border:0;color:#a40e26}
.plots{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:8px 24px}
figure{margin:.6em 0 1.4em}figure.wide{grid-column:1/-1}h3{margin:.4em 0}
figure img{max-width:100%;height:auto;border:1px solid #d0d7de}
figcaption{color:#57606a;font-size:.92em}.wrap{overflow-x:auto}
code{font-size:.92em;background:#f6f8fa;padding:1px 4px;border-radius:4px}
"""


def table(header: list[str], rows: list[list[str]], left: int = 1) -> str:
    """An HTML table of already escaped cells; the first ``left`` columns left-aligned."""

    def cells(values: list[str], tag: str) -> str:
        return "".join(
            f"<{tag}{' class=l' if i < left else ''}>{v}</{tag}>" for i, v in enumerate(values)
        )

    body = "".join(f"<tr>{cells(r, 'td')}</tr>" for r in rows)
    return f"<div class=wrap><table><tr>{cells(header, 'th')}</tr>{body}</table></div>"


WIDE_PLOTS = ("samples.png", "gradcam.png")


def reference_section(result: EvaluationResult) -> str:
    """The task's published figures next to this run's (see reference.py)."""
    lines = [escape(ref["line"]) for ref in comparisons(result)]
    return "<h2>Compared with the paper</h2><p>" + "<br>".join(lines) + "</p>" if lines else ""


def plots_section(images: dict[str, bytes], plots: Sequence[Plot]) -> str:
    """Every plot as an embedded PNG with title and caption."""
    parts = []
    for plot in plots:
        if plot.file in images:
            data = base64.b64encode(images[plot.file]).decode("ascii")
            wide = " class=wide" if plot.file in WIDE_PLOTS else ""
            parts.append(
                f"<figure{wide}><h3>{escape(plot.title)}</h3><img alt='{escape(plot.title)}' "
                f"src='data:image/png;base64,{data}'><figcaption>{escape(plot.caption)}"
                "</figcaption></figure>"
            )
    return f"<h2>Plots</h2><div class=plots>{''.join(parts)}</div>" if parts else ""


def counts_table(counts: dict[str, dict[str, int]], classes: list[str], what: str) -> str:
    """Rows of per-class counts with totals."""
    header = [escape(what), *(escape(c) for c in classes), "total"]
    rows = [
        [escape(str(k)), *(str(c.get(cls, 0)) for cls in classes), str(sum(c.values()))]
        for k, c in counts.items()
    ]
    totals = [sum(c.get(cls, 0) for c in counts.values()) for cls in classes]
    rows.append(["<b>total</b>", *(f"<b>{t}</b>" for t in totals), f"<b>{sum(totals)}</b>"])
    return table(header, rows)


def data_section(summary: dict[str, Any], classes: list[str]) -> str:
    """Images per split/source and class, and what was left out while loading."""
    if not summary:
        return ""
    known = list(summary.get("classes") or classes)
    parts = ["<h2>Data</h2>"]
    if summary.get("counts"):
        parts += [
            "<h3>Images per split and class</h3>",
            counts_table(summary["counts"], known, "split"),
        ]
    if summary.get("sources"):
        parts += [
            "<h3>Images per source and class</h3>",
            counts_table(summary["sources"], known, "source"),
        ]
    skipped = summary.get("skipped") or {}
    if skipped:
        rows = [[escape(str(k)), str(v)] for k, v in sorted(skipped.items())]
        parts += ["<h3>Left out while loading</h3>", table(["what", "images"], rows)]
    return "".join(parts)


def config_section(config: dict[str, Any]) -> str:
    """The run's settings and library versions."""
    if not config:
        return ""
    skip = {"data", "versions"}
    rows = [
        [escape(k), escape(v if isinstance(v, str) else json.dumps(v, default=str))]
        for k, v in config.items()
        if k not in skip
    ]
    parts = ["<h2>Configuration</h2>", table(["setting", "value"], rows, left=2)]
    versions = config.get("versions") or {}
    if versions:
        rows = [[escape(k), escape(str(v))] for k, v in versions.items()]
        parts += ["<h3>Versions</h3>", table(["package", "version"], rows, left=2)]
    return "".join(parts)


def page(title: str, body: str) -> str:
    """A self-contained HTML page around ``body``."""
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)} \u2013 imgclf report</title><style>{CSS}</style></head>"
        f"<body>{body}</body></html>\n"
    )
