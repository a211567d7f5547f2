"""Evaluate a saved model on another data set (``imgclf evaluate``).

The data set's labels are mapped onto the model's classes (the classes its run
trained on, from the run's ``config.json``) through the task's aliases and the
caller's ``label_map``. Images whose label is no class of the model are left out
and counted; model classes the data lacks are reported (support 0); a data set
sharing no class with the model is an error. The result is a new folder
(``<run>/evaluations/<timestamp>/`` by default) holding ``config.json``,
``predictions.csv``, ``metrics.json`` and the reports.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from . import _plugins as plugins
from ._config import TTA, RunConfig
from ._data import labels as labelmap
from ._data.checks.confounding import source_names
from ._data.pipeline import label_array, make_dataset
from ._data.records import Record
from ._data.sources import read_records
from ._files import write_json
from ._heads.classification import EvaluationResult, threshold_of, write_predictions
from ._log import console_or_quiet, note, warn
from ._nn import tta
from ._nn.saving import load_model
from ._reporting import chosen_reporters, render
from ._reporting.json import write_metrics
from ._run_folder.artifacts import open_run
from ._run_folder.model import ModelInfo
from ._run_folder.rundir import new_timestamped_dir
from ._run_folder.splitfile import absolute
from ._runner import PreparedData, RunResult, data_summary
from ._tasks import TaskSpec
from .errors import ConfigError, DataError, ImgclfError, ModelError, did_you_mean


def task_of(name: str, config: dict[str, Any]) -> tuple[TaskSpec, str | None]:
    """The registered task ``name``; when no installed plugin registers it, a TaskSpec
    rebuilt from the run's ``config.json`` (classes, head, image size) and a note
    saying so. Only a bare .keras file, which records nothing, needs the task."""
    tasks = plugins.registries()["tasks"]
    if name in tasks or not config.get("classes"):
        return tasks.get(name), None
    head = config.get("head") if config.get("head") in ("softmax", "sigmoid") else "softmax"
    size = int(config.get("image_size") or 128)
    spec = TaskSpec(name, tuple(config["classes"]), size, head)  # type: ignore[arg-type]
    note = (
        f"task {name!r} is not installed (no plugin registers it): using the classes, head "
        "and image size its run folder records; its data set loaders and label aliases "
        "are not available, so --data is read with imgclf's own loaders."
    )
    return spec, note


def resolve_model(model: str | Path, task: str | None = None) -> ModelInfo:
    """The model file, its run folder (if any) and classes; ``task`` for a bare file."""
    p = Path(model)
    run_dir: Path | None
    if p.is_dir():
        run_dir, path = p, p / "model.keras"
    else:
        run_dir = p.parent if (p.parent / "config.json").is_file() else None
        path = p
    if not path.is_file():
        raise ModelError(f"No model at {str(model)!r}: give a run folder or a .keras file.")
    config = open_run(run_dir).config if run_dir else {}
    name = config.get("task") or task
    if task and config.get("task") and task != config["task"]:
        raise ConfigError(
            f"--task {task!r} contradicts the run's task {config['task']!r}; leave --task out."
        )
    if not name:
        raise ConfigError(
            f"{str(model)!r} is a bare .keras file with no config.json beside it; say which "
            "task it was trained for with --task NAME (see 'imgclf list tasks')."
        )
    spec, note = task_of(name, config)
    if spec.classes_from_data and not config.get("classes"):
        raise ConfigError(
            f"{str(model)!r} has no config.json naming its classes, and task {spec.name!r} "
            "takes its classes from the data: give the model's run folder, which records them."
        )
    if config.get("head") == "regression":
        raise ConfigError(
            f"{str(model)!r} is a regression model (head {config.get('head_name')!r}); "
            "'imgclf evaluate' evaluates class heads only. Its test figures are in the run "
            "folder's metrics.json ('imgclf report RUN_DIR' re-renders them)."
        )
    return ModelInfo.from_config(
        config, run_dir, path, task=spec.name, spec=spec, task_note=note,
        classes=tuple(config.get("classes") or spec.classes), head=config.get("head") or spec.head,
    )  # fmt: skip


def check_outputs(model: Any, saved: ModelInfo) -> None:
    """The model's output width must match its classes (1 for a sigmoid head)."""
    units = int(model.output_shape[-1])
    expected = 1 if saved.head == "sigmoid" else len(saved.classes)
    if units != expected:
        raise ModelError(
            f"Model {str(saved.path)!r} has {units} outputs, but {len(saved.classes)} classes "
            f"({', '.join(saved.classes)}) need {expected}. Evaluate its run folder instead: "
            "its config.json names the classes the model was trained on."
        )


def map_onto_model(
    saved: ModelInfo, data: Sequence[str], loader: str | None, options: Mapping[str, Any]
) -> tuple[PreparedData, Counter]:
    """Records relabelled with model classes, and counts of left-out labels (as spelt)."""
    label_map = dict(options.get("label_map") or {})
    config = RunConfig(
        task=saved.task_spec.name,
        data=[str(d) for d in data],
        loader=loader,
        loader_options=dict(options.get("loader_options") or {}),
        label_map=label_map,
    )
    records, skipped, notes = read_records(config, saved.task_spec)
    table = labelmap.label_table(saved.task_spec, label_map)
    kept: list[Record] = []
    left_out: Counter[str] = Counter()
    for r in records:
        cls = labelmap.class_of(r.label, table, saved.task_spec)
        if cls in saved.classes:
            r.label = cls
            kept.append(r)
        else:
            left_out[r.label or ""] += 1
    check_unknown(saved, table, left_out)
    if not kept:
        found = ", ".join(f"{k!r} ({n})" for k, n in left_out.most_common(12))
        raise DataError(
            f"The data shares no class with the model: none of its labels ({found}) maps "
            f"onto the model's classes ({', '.join(saved.classes)}). Map a label onto a "
            "class with --map SRC=CLASS."
        )
    return PreparedData({"evaluation": kept}, saved.classes, skipped, notes), left_out


def check_unknown(saved: ModelInfo, table: Mapping[str, str], left_out: Counter) -> None:
    """With classes from the data, a label that is no class of the run is an error
    (not silently left out): its classes are only what its data held."""
    if not saved.task_spec.classes_from_data:
        return
    unknown = {lab: n for lab, n in left_out.items() if table.get(lab.strip().casefold()) != ""}
    if unknown:
        listed = "; ".join(
            f"{lab!r} ({n}){did_you_mean(lab, saved.classes)}"
            for lab, n in sorted(unknown.items(), key=lambda kv: -kv[1])
        )
        raise DataError(
            f"Labels that are not classes of the run: {listed}. The run's classes: "
            f"{', '.join(saved.classes)}. Map a label onto a class with --map SRC=CLASS, or "
            "leave it out with --map SRC=."
        )


def run_test_split(saved: ModelInfo) -> tuple[PreparedData, Counter]:
    """The test split of the model's own run (its splits.csv), as evaluation records."""
    if saved.run_dir is None:
        raise ConfigError(
            f"{str(saved.path)!r} is a bare .keras file: it has no test split of its own. "
            "Give the data to evaluate on with --data."
        )
    test = open_run(saved.run_dir).run_splits(check_files=True).get("test") or []
    kept = [r for r in test if r.label in saved.classes]
    left_out = Counter(r.label or "" for r in test if r.label not in saved.classes)
    if not kept:
        raise DataError(
            f"Run folder {str(saved.run_dir)!r} has no test image of the model's classes; "
            "give the data to evaluate on with --data."
        )
    for r in kept:
        r.split = "evaluation"
    return PreparedData({"evaluation": kept}, saved.classes, Counter(), []), left_out


def new_folder(base: Path) -> Path:
    """``base/<timestamp>``, made unique if two evaluations start together."""
    return new_timestamped_dir(base, "evaluation")


def predict_records(
    model: Any, data: PreparedData, head: str, size: int, batch_size: int, mode: str = "none"
) -> tuple[Any, Any]:
    """(true class indices, model scores) for the evaluation records, streamed; ``mode``:
    test-time augmentation (the run's ``tta``, _nn/tta.py)."""
    records = data.splits["evaluation"]
    ds = make_dataset(
        records, data.classes, head, size, batch_size, cache="none", with_labels=False
    )
    return label_array(records, data.classes, "softmax"), tta.predict(model, ds, mode)


def print_left_out(console: Console, data: PreparedData, left_out: Counter) -> None:
    """Loader notes, skipped items and how many images are evaluated or left out."""
    for text in data.notes:
        note(console, text)
    for what, n in sorted(data.skipped.items()):
        warn(console, f"{n} x {what}", tag="skipped")
    n = len(data.splits["evaluation"])
    console.print(f"Images evaluated: {n}; left out (no model class): {sum(left_out.values())}")


def evaluation_summary(
    prepared: PreparedData,
    saved: ModelInfo,
    data: Sequence[str | Path],
    left_out: Counter,
    y_true: Any,
) -> dict[str, Any]:
    """The data summary of an evaluation, with what was left out and what is missing."""
    summary = data_summary(prepared)
    present = set(y_true.tolist())
    summary["evaluation"] = {
        "model": str(saved.path),
        "data": [absolute(d) for d in data],
        "left_out": dict(sorted(left_out.items())),
        "missing_classes": [c for i, c in enumerate(saved.classes) if i not in present],
    }
    return summary


def evaluation_config(
    saved: ModelInfo, size: int, names: list[str], summary: dict[str, Any]
) -> dict[str, Any]:
    """The evaluation folder's config.json: the run's, plus where the model is."""
    config = {
        **saved.config,
        "task": saved.task,
        "classes": list(saved.classes),
        "head": saved.head,
        "image_size": size,
        "model_path": str(saved.file.resolve()),
        "report": names,
        "data": [str(d) for d in summary["evaluation"]["data"]],
        "data_summary": summary,
    }
    if saved.head == "sigmoid":
        config["threshold"] = threshold_of(saved.config)
    return config


def evaluate_saved(
    model: str | Path,
    data: Sequence[str | Path],
    *,
    task: str | None = None,
    loader: str | None = None,
    label_map: Mapping[str, str] | None = None,
    loader_options: Mapping[str, Any] | None = None,
    output: str | Path | None = None,
    report: str | Sequence[str] | None = None,
    batch_size: int = 64,
    console: Console | None = None,
    tta_mode: str | None = None,
) -> RunResult:
    """Evaluate ``model`` on ``data`` (empty: its run's test split) and write an
    evaluation folder (see module doc). ``tta_mode``: test-time augmentation (None:
    the run's ``tta`` from its config.json)."""
    if tta_mode is not None and tta_mode not in TTA:
        raise ConfigError(
            f"tta must be one of {', '.join(TTA)}; received {tta_mode!r}."
            f"{did_you_mean(tta_mode, TTA)}"
        )
    console = console_or_quiet(console)
    names = chosen_reporters(report)
    saved = resolve_model(model, task)
    if saved.task_note:
        note(console, saved.task_note)
    opts = {"label_map": label_map, "loader_options": loader_options}
    if data:
        prepared, left_out = map_onto_model(saved, [str(d) for d in data], loader, opts)
    else:  # the run's own test split, from its splits.csv
        prepared, left_out = run_test_split(saved)
        data = [Path(saved.run_dir or ".") / "splits.csv"]
    print_left_out(console, prepared, left_out)
    keras_model = load_model(saved.file)
    check_outputs(keras_model, saved)
    size = saved.image_size or int(keras_model.input_shape[1])
    mode = tta_mode or saved.config.get("tta") or "none"
    y_true, scores = predict_records(keras_model, prepared, saved.head, size, batch_size, mode)
    summary = evaluation_summary(prepared, saved, data, left_out, y_true)
    folder = new_folder(Path(output) if output else (saved.run_dir or Path(".")) / "evaluations")
    config = {**evaluation_config(saved, size, names, summary), "tta": mode}
    write_json(folder / "config.json", config)
    result = EvaluationResult(
        y_true=y_true,
        scores=scores,
        classes=saved.classes,
        head=saved.head,
        paths=[r.path for r in prepared.splits["evaluation"]],
        threshold=threshold_of(config),
        config=config,
        data_summary=summary,
        sources=[r.source for r in prepared.splits["evaluation"]],
    )
    write_predictions(folder, result)
    tta.record(result, mode)
    write_metrics(result, folder)
    console.print(f"Evaluation folder: [bold]{escape(str(folder))}[/bold]")
    render(names, result, folder, console)
    return RunResult(folder, result.metrics, keras_model, result, dict(prepared.skipped))


def check_eval_paths(paths: Sequence[str]) -> None:
    """Every ``--eval-data`` path exists: checked before a run trains anything."""
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise DataError(
            f"--eval-data path(s) {', '.join(map(repr, missing))} do not exist; nothing was "
            "trained. Check the path(s), or leave --eval-data out."
        )


EXTERNAL_KEYS = ("n", "accuracy", "balanced_accuracy", "sensitivity", "specificity", "roc_auc",
                 "threshold", "ece")  # fmt: skip


def external_summary(path: str, folder: Path, metrics: dict[str, Any], internal: float) -> dict:
    """What metrics.json's ``external.<name>`` holds for one external set."""
    out: dict[str, Any] = {"data": absolute(path), "folder": str(folder)}
    out.update({k: metrics[k] for k in EXTERNAL_KEYS if k in metrics})
    out["accuracy_gap"] = internal - metrics["accuracy"]  # internal minus external
    if metrics.get("thresholds"):
        out["youden_on_this_data"] = metrics["thresholds"].get("youden_on_this_data")
    return out


def evaluate_external(run: RunResult, paths: Sequence[str], console: Console) -> dict:
    """Evaluate a finished run's model on each external set (``--eval-data``), add them
    to its metrics.json (``external``) and report; a set that fails is recorded and
    raised after the run's own files are written, which are kept."""
    names = source_names(paths)
    assert run.result is not None, "the chief evaluates: run_config checks"
    internal = float(run.metrics["accuracy"])
    external: dict[str, dict[str, Any]] = {}
    failed: list[str] = []
    for path in paths:
        name = names[path]
        console.print(f"[bold]External evaluation on {escape(name)}[/bold] ({escape(path)})")
        try:
            ev = evaluate_saved(
                run.run_dir, [path], output=run.run_dir / "external" / name,
                report=run.result.config.get("report"), console=console,
            )  # fmt: skip
        except ImgclfError as exc:
            failed.append(f"{name}: {exc}")
            external[name] = {"data": absolute(path), "error": str(exc)}
            continue
        external[name] = external_summary(path, ev.run_dir, ev.metrics, internal)
        gap = external[name]["accuracy_gap"]
        console.print(
            f"accuracy {internal:.2f} on the run's test split, {ev.metrics['accuracy']:.2f} on "
            f"{escape(name)}: {abs(gap):.2f} {'lower' if gap >= 0 else 'higher'}"
        )
    record_external(run, external)
    if failed:
        raise DataError(
            f"External evaluation failed for {'; '.join(failed)}. The run's own results are "
            f"kept in {run.run_dir}."
        )
    return external


def record_external(run: RunResult, external: dict[str, Any]) -> None:
    """``external`` into the run's config.json and metrics.json; report.html re-rendered."""
    result = run.result
    assert result is not None, "the chief evaluates: run_config checks"
    result.config["external"] = external
    write_json(run.run_dir / "config.json", result.config)
    result.__dict__.pop("metrics", None)  # a cached_property: recomputed with 'external'
    run.metrics = result.metrics
    write_json(run.run_dir / "metrics.json", run.metrics)
    names = [n for n in result.config.get("report") or [] if n == "html"]
    render(names, result, run.run_dir, Console(file=io.StringIO()))
