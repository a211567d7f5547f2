"""One run, step by step: records -> split -> pipeline -> train -> evaluate -> report."""

from __future__ import annotations

import platform
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from . import heads, plugins
from .config import RunConfig
from .data import labels as labelmap
from .data.preflight import Preflight, check_split_copies, notes_for, preflight, write_skipped
from .data.records import Record, counts
from .data.split import split_records
from .data.splitfile import write_splits
from .errors import ConfigError, DataError, PluginError
from .evaluation import EvaluationResult
from .faults import RunState, guarded_run, image_errors, resumable_dir
from .options import check_options, check_run_options, values_checked
from .rundir import new_run_dir, write_csv, write_json
from .strategy import output_root
from .strategy import prepare as prepare_strategy
from .tasks import TaskSpec
from .thresholds import pick_threshold


@dataclass
class RunResult:
    """What ``imgclf.run`` returns."""

    run_dir: Path
    metrics: dict[str, Any]
    model: Any
    result: EvaluationResult
    skipped: dict[str, int] = field(default_factory=dict)


def pick_loader(config: RunConfig, task: TaskSpec, source: Path) -> str:
    """``--loader`` if given, else the first loader (task's first) that detects ``source``."""
    regs = plugins.registries()["datasets"]
    if config.loader:
        regs.get(config.loader)
        return config.loader
    for name in [*task.datasets, *regs.names()]:
        if name in regs and regs.get(name).detect(source):
            return name
    raise DataError(
        f"No dataset loader recognises {str(source)!r}. Give a folder of class folders, a "
        f"CSV file, or pick one with --loader ({', '.join(regs.names())})."
    )


def read_records(config: RunConfig, task: TaskSpec) -> tuple[list[Record], Counter, list[str]]:
    """Records of every ``--data`` source with the data set's own label spellings."""
    if not config.data:
        raise ConfigError("No data given. Pass --data PATH (a folder of class folders or a CSV).")
    regs = plugins.registries()["datasets"]
    records, skipped, notes = [], Counter(), []
    for src in config.data:
        source = Path(src)
        if not source.exists():
            raise DataError(f"Data path {src!r} does not exist. Check --data.")
        name = pick_loader(config, task, source)
        loader = regs.get(name)
        check_options("loader", name, config.loader_options, loader.options)
        defaults = {k: v for k, v in task.loader_defaults.items() if k in loader.options}
        got = loader(source, **{**defaults, **config.loader_options})
        for r in got.records:
            r.source = r.source or str(source)
        records += got.records
        skipped.update(got.skipped)
        notes += got.notes
    return records, skipped, notes


def load_records(config: RunConfig, task: TaskSpec) -> tuple[list[Record], Counter, list[str]]:
    """Records with labels mapped onto the task's classes, what was skipped, loader notes."""
    records, skipped, notes = read_records(config, task)
    mapped, dropped = labelmap.map_labels(
        records, task, config.label_map, config.drop_unknown_labels
    )
    skipped.update({f"label {k!r} left out": v for k, v in dropped.items()})
    return mapped, skipped, notes


def limit_records(records: list[Record], limit: int | None, seed: int) -> list[Record]:
    """A stratified sample of about ``limit`` records, same per seed."""
    if not limit or len(records) <= limit:
        return records
    rng = np.random.default_rng(seed)
    strata: dict[tuple, list[Record]] = {}
    for r in records:
        strata.setdefault((r.split, r.label), []).append(r)
    out = []
    for key in sorted(strata, key=str):
        part = strata[key]
        k = max(1, round(len(part) * limit / len(records)))
        out += [part[i] for i in sorted(rng.choice(len(part), size=k, replace=False))]
    return out


def versions() -> dict[str, str]:
    from importlib import metadata

    out = {"python": platform.python_version()}
    for dist in ("imgclf", "tensorflow", "keras", "keras-cv", "scikit-learn", "numpy"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


def augmenter_name(name: str | None, task: TaskSpec | None) -> str | None:
    """The registered name for ``name``: ``<task>/<name>`` (a task's own) wins."""
    name = name or (task.default_augmenter if task else None)
    if not name or name == "none":
        return None
    regs = plugins.registries()["augmenters"]
    plugin, colon, bare = name.rpartition(":")  # face_emotion:paper -> its face-emotion/paper
    scoped = f"{plugin}{colon}{task.name}/{bare}" if task else name
    return scoped if scoped in regs else regs.get(name) and name


def build_augmenter(config: RunConfig, task: TaskSpec | None) -> Any:
    """The training-split augmenter, built with ``--set augmenter.KEY=VALUE`` options."""
    resolved = augmenter_name(config.augmenter, task)
    if not resolved:
        return None
    build = plugins.registries()["augmenters"].get(resolved)
    options = {k: _number(v) for k, v in config.augmenter_options.items()}
    try:
        return build(seed=config.seed, **options)
    except TypeError as exc:
        raise ConfigError(
            f"Augmenter {resolved!r} does not take the options {sorted(options)}: {exc}."
        ) from None


def _number(value: Any) -> Any:
    """'0.2' -> 0.2 for options given as strings on the command line."""
    if isinstance(value, str):
        for kind in (int, float):
            try:
                return kind(value)
            except ValueError:
                pass
    return value


def write_predictions(run_dir: Path, result: EvaluationResult) -> None:
    """``predictions.csv``: path, true, predicted, one probability column per class.

    Probabilities keep 9 significant digits (exact for float32 scores), so
    ``imgclf report`` recomputes the very same metrics from this file.
    """
    probs = result.probabilities
    pred = result.y_pred
    rows = (
        [p, result.classes[t], result.classes[y], *(f"{v:.9g}" for v in probs[i])]
        for i, (p, t, y) in enumerate(zip(result.paths, result.y_true, pred))
    )
    write_csv(run_dir / "predictions.csv", ["path", "true", "predicted", *result.classes], rows)


def render_reports(
    config: RunConfig, result: EvaluationResult, run_dir: Path, console: Console
) -> None:
    """Run the configured reporters; one that fails is warned about and skipped."""
    from .reporting import render

    render(config.report, result, run_dir, console)


def check_names(config: RunConfig, task: TaskSpec) -> None:
    """Unknown model/augmenter/reporter names and plugin options fail before any data is read."""
    regs = plugins.registries()
    regs["models"].get(config.model)
    check_run_options(config, regs, augmenter_name(config.augmenter, task))
    for name in config.report:
        regs["reporters"].get(name)
    if config.model is None:
        raise PluginError(f"Task {task.name!r} has no default model; pass --model.")
    if config.tensorboard:
        from .training import require_tensorboard

        require_tensorboard()


@dataclass
class PreparedData:
    splits: dict[str, list[Record]]
    classes: tuple[str, ...]
    skipped: Counter
    notes: list[str]
    checks: Preflight | None = None
    head: Any = None


def prepare_data(config: RunConfig, task: TaskSpec, console: Console | None = None) -> PreparedData:
    """Records mapped onto the task's classes, limited, checked (data/preflight.py), split."""
    head = heads.select_head(config, task)
    regression = head.kind == "regression"
    records, skipped, notes = load_records(config, task)
    if regression:
        records = heads.with_targets(records, head, skipped, config)
    records = limit_records(records, config.limit, config.seed)
    records, checks = preflight(records, config.strict, console)
    if checks.unreadable:
        skipped["unreadable image"] += len(checks.unreadable)
    classes = (
        heads.run_classes(records, task) if regression else labelmap.classes_present(records, task)
    )
    splits = split_records(
        records, config.seed, config.val_fraction, config.test_fraction, not regression
    )
    for name in ("train", "val"):
        if not splits[name]:
            raise DataError(f"The {name} split is empty; add data or change the fractions.")
    missing = sorted({r.label for r in splits["test"]} - {r.label for r in splits["train"]})
    if missing and not regression:
        raise DataError(
            f"Class(es) {', '.join(missing)} occur in test but not in train; the model could "
            "never predict them. Add training images of them or leave them out with "
            "--set label_map.NAME=''."
        )
    check_split_copies(splits, checks, config.allow_leakage, config.drop_leaked)
    notes += notes_for(checks)
    if not regression:
        head = task.head_for(classes)
    return PreparedData(splits, classes, skipped, notes, checks, head)


def data_summary(data: PreparedData) -> dict[str, Any]:
    """Counts per split and class, and per source and class, for config.json and reports."""
    every = [r for part in data.splits.values() for r in part]
    by_source: dict[str, Counter] = {}
    for r in every:
        by_source.setdefault(r.source, Counter())[r.label] += 1
    return {
        "classes": list(data.classes),
        "counts": counts(every),
        "sources": {s: dict(sorted(c.items())) for s, c in sorted(by_source.items())},
        "skipped": dict(data.skipped),
        **({"checks": data.checks.summary()} if data.checks else {}),
    }


def print_data(console: Console, data: PreparedData) -> None:
    for note in data.notes:
        console.print(f"[yellow]note:[/yellow] {note}")
    for what, n in sorted(data.skipped.items()):
        console.print(f"[yellow]skipped:[/yellow] {n} x {what}")
    sizes = ", ".join(f"{k} {len(v)}" for k, v in data.splits.items())
    console.print(f"Images: {sizes}; classes: {', '.join(data.classes)}")
    sources = data_summary(data)["sources"]
    if len(sources) > 1:
        for source, per_class in sources.items():
            shown = ", ".join(f"{c} {n}" for c, n in per_class.items())
            console.print(f"  from {source}: {shown}")


@dataclass
class Pipelines:
    """tf.data pipelines and label arrays for the splits of one run."""

    data: PreparedData
    head: Any
    size: int
    config: RunConfig
    cache_dir: Path
    augment: Any = None

    def ds(self, split: str, training: bool = False, epochs: tuple[int, int] | None = None) -> Any:
        from .data.pipeline import make_dataset

        c = self.config
        return make_dataset(
            self.data.splits[split], self.data.classes, self.head.kind, self.size,
            c.batch_size, training=training, augment=self.augment, seed=c.seed,
            cache=c.cache, cache_dir=self.cache_dir, name=split,
            pillow_paths=self.data.checks.pillow_paths if self.data.checks else None,
            epochs=epochs, deterministic=c.deterministic,
        )  # fmt: skip

    def labels(self, split: str) -> np.ndarray:
        from .data.pipeline import label_array

        return label_array(self.data.splits[split], self.data.classes, "softmax")


def saved_config(config: RunConfig, task: TaskSpec, data: PreparedData, size: int) -> dict:
    """What config.json holds: the resolved settings plus what the run derived."""
    return {
        **config.to_dict(),
        "augmenter": augmenter_name(config.augmenter, task) or "none",
        "image_size": size,
        "head": data.head.kind,
        "head_name": config.head,
        "classes": list(data.classes),
        **({"targets": list(data.head.targets)} if data.head.kind == "regression" else {}),
        "references": heads.references_for(config, task),
        "data_summary": data_summary(data),
        "versions": versions(),
    }


def execute(
    config: RunConfig, task: TaskSpec, console: Console, resume: str | Path | None = None
) -> RunResult:
    """Run ``config`` end to end and return its RunResult; artifacts land in the run dir.

    ``resume``: the folder of an interrupted run of the same config, continued
    from its last completed epoch (see faults.py).
    """
    check_names(config, task)
    config = heads.adjust_config(config, task, console)
    prepare_strategy(config)  # before any TensorFlow op: the pre-flight decodes images
    if config.augmenter_options:  # a trial build: the builder's own checks, before any folder
        name = augmenter_name(config.augmenter, task)
        with values_checked("augmenter", name, config.augmenter_options):
            build_augmenter(config, task)
    data = prepare_data(config, task, console)
    print_data(console, data)
    if resume:
        run_dir = resumable_dir(resume)
        shutil.rmtree(run_dir / "cache", ignore_errors=True)  # a half-written tf.data cache
    else:
        run_dir = new_run_dir(output_root(config), task.name, config.model)
    write_skipped(run_dir, data.checks)
    write_splits(run_dir, data.splits)
    saved = saved_config(config, task, data, config.image_size or task.input_size)
    write_json(run_dir / "config.json", saved)
    console.print(f"Run folder: [bold]{run_dir}[/bold]")
    state = RunState(run_dir, config.epochs)
    hint = f"imgclf run {task.name} --resume {run_dir}"
    every = [r.path for part in data.splits.values() for r in part]
    from .determinism import op_determinism

    determinism = op_determinism(config.deterministic)  # TensorFlow's op determinism: global
    with guarded_run(state, console, hint), image_errors(lambda: every, config.data), determinism:
        fit = train_and_evaluate
        if data.head.kind == "regression":
            from .regression import train_and_evaluate_regression as fit
        return fit(config, task, data, run_dir, saved, console, state)


def fit_model(
    config: RunConfig,
    task: TaskSpec,
    data: PreparedData,
    run_dir: Path,
    saved: dict[str, Any],
    console: Console,
    state: RunState,
) -> tuple[Any, dict[str, list[float]], Pipelines]:
    """Seed, build the pipelines and the model, train: (model, history, pipelines).
    Every head trains here; class weights only for a class head. The training data
    holds the epochs still to run, from the backup's epoch on (determinism.py)."""
    from .determinism import epoch_range
    from .training import set_seeds, train

    head, size = data.head, saved["image_size"]
    set_seeds(config.seed)
    pipes = Pipelines(data, head, size, config, run_dir / "cache",
                      build_augmenter(config, task))  # fmt: skip
    builder = plugins.registries()["models"].get(config.model)
    y_train = None if head.kind == "regression" else pipes.labels("train")
    epochs = epoch_range(run_dir, config.epochs)
    model, history = train(
        config, lambda: builder((size, size, 3), head), head, pipes.ds("train", True, epochs),
        pipes.ds("val"), run_dir, console, y_train=y_train,
        extra_callbacks=plugins.callbacks_for(config), state=state, epochs=epochs,
        steps_per_epoch=-(-len(data.splits["train"]) // config.batch_size),
    )  # fmt: skip
    state.update(trained=True)
    return model, history, pipes


def train_and_evaluate(
    config: RunConfig,
    task: TaskSpec,
    data: PreparedData,
    run_dir: Path,
    saved: dict[str, Any],
    console: Console,
    state: RunState,
) -> RunResult:
    """Train, pick the threshold, predict the test split, write the artifacts, report."""
    head = data.head
    model, history, pipes = fit_model(config, task, data, run_dir, saved, console, state)
    threshold = pick_threshold(config, head.kind, model, pipes.ds("val"), pipes.labels("val"))
    if head.kind == "sigmoid":
        saved.update(threshold=threshold, threshold_rule=str(config.threshold))
        write_json(run_dir / "config.json", saved)
    result = EvaluationResult(
        y_true=pipes.labels("test"), scores=model.predict(pipes.ds("test"), verbose=0),
        classes=data.classes, head=head.kind, paths=[r.path for r in data.splits["test"]],
        threshold=threshold, history=history, config=saved, data_summary=saved["data_summary"],
    )  # fmt: skip
    write_predictions(run_dir, result)
    write_json(run_dir / "metrics.json", result.metrics)
    shutil.rmtree(run_dir / "cache", ignore_errors=True)
    render_reports(config, result, run_dir, console)
    return RunResult(run_dir, result.metrics, model, result, dict(data.skipped))
