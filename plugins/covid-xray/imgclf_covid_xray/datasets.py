"""Loaders for the two public COVID-19 chest X-ray layouts.

``ieee8023``: the ``metadata.csv`` of the ieee8023 collection (covid-chestxray-dataset).
Rows are kept when the modality is X-ray, the view is one of ``views`` (PA, AP and
AP Supine by default; lateral films look different and are left out) and the finding
is COVID-19 (label ``COVID``; ``COVID-19`` as the whole value or as the last part of
``Pneumonia/Viral/COVID-19``) or ``No Finding`` (label ``NORMAL``), in any case.
Everything else is left out and counted, so a run says what it did not use.
Each record's group is its ``patientid``: films of one patient stay in one split.

The Kaggle "COVID-19 X-ray dataset train & test sets" folder needs no loader of its
own: the core ``folder`` loader steps through its wrapper folder
(``xray_dataset_covid19/``) and keeps the given train/test split.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from imgclf import DataError, DatasetLoader, LoadResult, Record, read_csv_rows

METADATA = "metadata.csv"
DEFAULT_VIEWS = ("PA", "AP", "AP Supine")
VIEW_ALIASES = {"aps": "ap supine"}  # SCHEMA.md: "AP Supine (APS)"
FILE_COLUMNS = ("filename", "imagename")
REQUIRED = ("patientid", "finding", "view", "modality")


def covid_or_normal(finding: str) -> str | None:
    """``COVID`` / ``NORMAL`` for a ``finding`` value, else None (left out)."""
    value = finding.strip().casefold()
    if value == "covid-19" or value.split("/")[-1].strip() == "covid-19":
        return "COVID"
    if value == "no finding":
        return "NORMAL"
    return None


def _norm_view(view: str) -> str:
    v = " ".join(view.split()).casefold()
    return VIEW_ALIASES.get(v, v)


def parse_views(views: str | Iterable[str] | None) -> set[str]:
    """Views to keep from ``"PA,AP"`` or a list; None means the default three."""
    if views is None:
        views = DEFAULT_VIEWS
    if isinstance(views, str):
        views = views.split(",")
    kept = {_norm_view(v) for v in views if v.strip()}
    if not kept:
        raise DataError(f"loader option views names no view; received {views!r}. Example: PA,AP.")
    return kept


def _is_xray(modality: str) -> bool:
    return modality.casefold().replace("-", "").replace(" ", "") == "xray"


def read_metadata(path: Path, notes: list[str]) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows with lower-cased column names (UTF-8, else latin-1 with a note)."""
    header, rows = read_csv_rows(path, notes)
    return [h.casefold() for h in header], [{k.casefold(): v for k, v in r.items()} for r in rows]


def metadata_path(source: Path) -> Path:
    """The metadata.csv for ``--data``: the file itself or the one in the folder."""
    source = Path(source)
    return source / METADATA if source.is_dir() else source


def _file_column(header: list[str], path: Path) -> str:
    missing = [c for c in REQUIRED if c not in header]
    file_col = next((c for c in FILE_COLUMNS if c in header), None)
    if missing or file_col is None:
        need = [*missing, *([] if file_col else ["filename or imagename"])]
        raise DataError(
            f"{path} lacks the column(s) {', '.join(need)} of the ieee8023 layout; columns: "
            f"{', '.join(header) or 'none'}. Use --loader csv for another CSV layout."
        )
    return file_col


def _image_path(root: Path, row: dict[str, str], file_col: str, csv_path: Path) -> Path:
    p = Path(os.path.normpath(root / (row.get("folder") or "images") / row[file_col]))
    if root not in p.parents:
        raise DataError(
            f"{csv_path}: image {row[file_col]!r} (folder {row.get('folder')!r}) points "
            f"outside the data folder {str(root)!r}."
        )
    return p


def _reason(row: dict[str, str], views: set[str]) -> tuple[str | None, str | None]:
    """(label, None) for a kept row, (None, why) for one left out."""
    if not _is_xray(row["modality"]):
        return None, f"modality {row['modality']!r} left out"
    if _norm_view(row["view"]) not in views:
        return None, f"view {row['view']!r} left out"
    label = covid_or_normal(row["finding"])
    if label is None:
        return None, f"finding {row['finding']!r} left out"
    return label, None


def load_ieee8023(source: Path, views: str | Iterable[str] | None = None) -> LoadResult:
    """COVID and NORMAL X-ray records from an ieee8023 ``metadata.csv``, grouped by patient."""
    path = metadata_path(source)
    if not path.is_file():
        raise DataError(f"No {METADATA} at {str(path)!r}; give the folder that holds it.")
    keep_views = parse_views(views)
    result = LoadResult([])
    header, rows = read_metadata(path, result.notes)
    file_col = _file_column(header, path)
    root = Path(os.path.normpath(path.parent.absolute()))
    seen: set[Path] = set()
    for row in rows:
        label, why = _reason(row, keep_views)
        if why:
            result.skipped[why] += 1
            continue
        if not row[file_col]:
            result.skipped["row without a file name"] += 1
            continue
        image = _image_path(root, row, file_col, path)
        if not image.is_file():
            result.skipped["missing file"] += 1
        elif image in seen:
            result.skipped["duplicate file row"] += 1
        else:
            seen.add(image)
            result.records.append(
                Record(str(image), label, row["patientid"] or None, None, str(source))
            )
    _check_result(result, path)
    return result


def _check_result(result: LoadResult, path: Path) -> None:
    found = Counter(r.label for r in result.records)
    if not result.records:
        raise DataError(
            f"{path}: no COVID-19 or No Finding X-ray with an existing file "
            f"({dict(result.skipped)}). Check the views option and the images folder."
        )
    if found["NORMAL"] < 0.1 * len(result.records):
        result.notes.append(
            f"{path}: only {found['NORMAL']} NORMAL film(s) next to {found['COVID']} COVID; "
            "normal films should come from a second source (another --data)"
        )


def detect_ieee8023(source: Path) -> bool:
    """A folder holding metadata.csv, or a file named metadata.csv."""
    source = Path(source)
    if source.is_dir():
        return (source / METADATA).is_file()
    return source.name.casefold() == METADATA and source.is_file()


LOADERS = {
    "ieee8023": DatasetLoader(
        load_ieee8023,
        detect_ieee8023,
        "ieee8023 metadata.csv: COVID-19 / No Finding X-rays (PA, AP, AP Supine), by patient",
        ("views",),
    ),
}
