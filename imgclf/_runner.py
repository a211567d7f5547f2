"""One run, step by step: records -> split -> pipeline -> train -> evaluate -> report."""

from __future__ import annotations

import logging
import os
import platform
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from rich.console import Console

from . import _heads as heads
from . import _plugins as plugins
from ._config import RunConfig
from ._data.bysource import split_by_source
from ._data.checks.confounding import Confounding, check_confounding, confounding_error
from ._data.checks.preflight import (
    Preflight,
    check_split_copies,
    notes_for,
    preflight,
    write_skipped,
)
from ._data.pipeline import label_array, make_dataset
from ._data.records import Record, counts, has_soft_targets
from ._data.sources import limit_records, load_records
from ._data.split import split_records
from ._files import write_json
from ._heads import kind_of
from ._heads.classification import EvaluationResult
from ._log import note, tell, warn
from ._nn.augment import augmenter_for, augmenter_name, soft_labels
from ._nn.backbones import build_with_weights, check_weights, model_builder
from ._options import check_run_options, values_checked
from ._reporting import render
from ._run_folder.model import ModelInfo
from ._run_folder.run import Run
from ._run_folder.rundir import new_run_dir
from ._run_folder.splitfile import absolute, write_splits
from ._run_folder.state import (
    RunState,
    guarded_run,
    image_errors,
    read_saved_config,
    resumable_dir,
)
from ._tasks import TaskSpec
from ._training.fit import require_tensorboard, set_seeds, train
from ._training.strategy import is_other_worker, output_root, task_name
from ._training.strategy import prepare as prepare_strategy
from .errors import DataError, PluginError

if TYPE_CHECKING:
    import keras


@dataclass
class RunResult:
    """What ``imgclf.run`` returns. A multi-worker run's workers other than the chief
    do not evaluate: their ``metrics`` are empty and ``result`` is None."""

    run_dir: Path
    metrics: dict[str, Any]
    model: keras.Model
    result: EvaluationResult | None
    skipped: dict[str, int] = field(default_factory=dict)


def versions() -> dict[str, str]:
    from importlib import metadata

    out = {"python": platform.python_version()}
    for dist in ("imgclf", "tensorflow", "keras", "keras-cv", "scikit-learn", "numpy"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


def render_reports(
    config: RunConfig, result: EvaluationResult, run_dir: Path, console: Console
) -> None:
    """Run the configured reporters; one that fails is warned about and skipped."""
    render(config.report, result, run_dir, console)


def check_names(config: RunConfig, task: TaskSpec) -> None:
    """Unknown model/augmenter/reporter names and plugin options fail before any data is read."""
    regs = plugins.registries()
    if config.model is not None:  # no default model: the message below
        check_weights(model_builder(config.model), config.weights, config.model)
    check_run_options(config, regs, augmenter_name(config.augmenter, task))
    for name in config.report:
        regs["reporters"].get(name)
    model_name(config, task)
    if config.tensorboard:
        require_tensorboard()


def model_name(config: RunConfig, task: TaskSpec) -> str:
    """The run's model: ``--model`` or the task's default (an error when it has none)."""
    if config.model is None:
        raise PluginError(f"Task {task.name!r} has no default model; pass --model.")
    return config.model


@dataclass
class PreparedData:
    splits: dict[str, list[Record]]
    classes: tuple[str, ...]
    skipped: Counter
    notes: list[str]
    checks: Preflight | None = None
    head: Any = None
    confounding: Confounding | None = None
    test_source: str | None = None


def prepare_data(config: RunConfig, task: TaskSpec, console: Console | None = None) -> PreparedData:
    """Records mapped onto the task's classes, limited, checked (data/checks/), split;
    what depends on the head's kind comes from ``HEADS`` (heads/)."""
    head = heads.select_head(config, task)
    kind = kind_of(head.kind)
    records, skipped, notes = load_records(config, task)
    records = kind.keep(records, head, skipped, config)
    records = limit_records(records, config.limit, config.seed)
    records, checks = preflight(records, config.strict, console)
    if checks.unreadable:
        skipped["unreadable image"] += len(checks.unreadable)
    classes = kind.classes(records, task)
    confounding = check_confounding(records) if kind.has_classes else None
    if confounding and confounding.strong and config.strict:
        raise confounding_error(confounding)
    splits, test_source = split_for(config, records, kind.has_classes)
    tested = sorted({str(r.label) for r in splits["test"]})
    if test_source and len(tested) < 2 and kind.has_classes:
        notes.append(
            f"the held-out source {test_source!r} holds one class only ({tested[0]}): its "
            "accuracy is that class's recall; the other classes are not measured there"
        )
    for name in ("train", "val"):
        if not splits[name]:
            raise DataError(f"The {name} split is empty; add data or change the fractions.")
    labels = {name: {r.label for r in splits[name] if r.label is not None} for name in splits}
    missing = sorted(labels["test"] - labels["train"])
    if missing and kind.has_classes:
        raise DataError(
            f"Class(es) {', '.join(missing)} occur in test but not in train; the model could "
            "never predict them. Add training images of them or leave them out with "
            "--set label_map.NAME=''."
        )
    check_split_copies(splits, checks, config.allow_leakage, config.drop_leaked)
    notes += notes_for(checks)
    head = kind.head_for(head, task, classes)
    return PreparedData(splits, classes, skipped, notes, checks, head, confounding, test_source)


def split_for(
    config: RunConfig, records: list[Record], stratify: bool
) -> tuple[dict[str, list[Record]], str | None]:
    """(the splits, the held-out source of a by-source split or None)."""
    if config.split == "by-source":
        return split_by_source(
            records, config.test_source, config.seed, config.val_fraction, stratify
        )
    splits = split_records(
        records, config.seed, config.val_fraction, config.test_fraction, stratify
    )
    return splits, None


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
        **({"confounding": data.confounding.to_dict()} if data.confounding else {}),
        **({"test_source": data.test_source} if data.test_source else {}),
    }


def print_data(console: Console, data: PreparedData) -> None:
    for text in data.notes:
        note(console, text)
    for what, n in sorted(data.skipped.items()):
        warn(console, f"{n} x {what}", tag="skipped")
    print_confounding(console, data.confounding)
    if data.test_source:
        console.print(f"Split by source: the test split is {data.test_source!r} only")
    sizes = ", ".join(f"{k} {len(v)}" for k, v in data.splits.items())
    console.print(f"Images: {sizes}; classes: {', '.join(data.classes)}")
    sources = data_summary(data)["sources"]
    if len(sources) > 1:
        for source, per_class in sources.items():
            shown = ", ".join(f"{c} {n}" for c, n in per_class.items())
            console.print(f"  from {source}: {shown}")


def print_confounding(console: Console, found: Confounding | None) -> None:
    """The confounding finding: a warning (strong) or a note (moderate)."""
    if found is None or found.level == "none":
        return
    if found.strong:
        tell(console, "warning", found.message(), logging.WARNING, "bold yellow", False)
    else:
        tell(console, "note", found.message(), logging.INFO, highlight=False)


@dataclass
class Pipelines:
    """tf.data pipelines and label arrays for the splits of one run."""

    data: PreparedData
    head: Any
    size: int
    config: RunConfig
    cache_dir: Path
    augment: Any = None
    soft: bool = False  # float label rows (MixUp/CutMix, label smoothing: pipeline.py)

    def ds(
        self, split: str, training: bool = False, epochs: tuple[int, int] | None = None,
        input_context: Any = None,
    ) -> Any:  # fmt: skip
        """The pipeline of ``split``; ``input_context``: this worker's share only."""
        c = self.config
        return make_dataset(
            self.data.splits[split], self.data.classes, self.head.kind, self.size,
            c.batch_size, training=training, augment=self.augment, seed=c.seed,
            cache=c.cache, cache_dir=self.cache_dir, name=split,
            pillow_paths=self.data.checks.pillow_paths if self.data.checks else None,
            epochs=epochs, deterministic=c.deterministic, soft=self.soft,
            input_context=input_context,
        )  # fmt: skip

    def labels(self, split: str) -> np.ndarray:
        return label_array(self.data.splits[split], self.data.classes, "softmax")


def weights_file_or_word(weights: str | None) -> str | None:
    """``--weights`` for config.json: a file made absolute (like ``data``), else as given."""
    if weights is None or weights.strip().casefold() in ("imagenet", "none"):
        return weights
    return absolute(os.path.expanduser(weights))


def saved_config(config: RunConfig, task: TaskSpec, data: PreparedData, size: int) -> dict:
    """What config.json holds: the resolved settings plus what the run derived."""
    return {
        **config.to_dict(),
        "data": [absolute(d) for d in config.data],  # read the same from any directory
        "weights": weights_file_or_word(config.weights),
        "augmenter": augmenter_name(config.augmenter, task) or "none",
        "image_size": size,
        "head": data.head.kind,
        "head_name": config.head,
        "classes": list(data.classes),
        **kind_of(data.head.kind).saved(data.head),
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
            augmenter_for(config, task)
    data = prepare_data(config, task, console)
    print_data(console, data)
    started = None
    if resume:
        run_dir = resumable_dir(resume)
        started = read_saved_config(run_dir).get("dtype_policy")  # precision.py keeps it
        shutil.rmtree(run_dir / "cache", ignore_errors=True)  # a half-written tf.data cache
    else:
        run_dir = new_run_dir(output_root(config), task.name, model_name(config, task))
    write_skipped(run_dir, data.checks)
    write_splits(run_dir, data.splits)
    size = task.image_size(config.image_size, model_builder(model_name(config, task)))
    saved = ModelInfo.from_config(
        saved_config(config, task, data, size), run_dir, run_dir / "model.keras"
    )
    if started:
        saved.config["dtype_policy"] = started
    write_json(run_dir / "config.json", saved.config)
    console.print(f"Run folder: [bold]{run_dir}[/bold]")
    state = RunState(run_dir, config.epochs)
    run = Run(config, task, data, run_dir, saved, console, state)
    hint = f"imgclf run {task.name} --resume {run_dir}"
    every = [r.path for part in data.splits.values() for r in part]
    from ._nn.determinism import op_determinism

    determinism = op_determinism(config.deterministic)  # TensorFlow's op determinism: global
    with guarded_run(state, console, hint), image_errors(lambda: every, config.data), determinism:
        return train_and_evaluate(run)


def fit_model(run: Run) -> tuple[Any, dict[str, list[float]], Pipelines]:
    """Seed, build the pipelines and the model, train: (model, history, pipelines).
    Every head trains here; class weights only for a class head. The training data
    of each phase holds the epochs still to run, from the backup's epoch on
    (determinism.py, training/phases.py)."""
    config, data = run.config, run.data
    head, size = data.head, run.saved.image_size
    set_seeds(config.seed)
    pipes = Pipelines(data, head, size, config, run.run_dir / "cache",
                      augmenter_for(config, run.task),
                      soft_labels(config, run.task, head.kind,
                                  has_soft_targets(data.splits["train"])))  # fmt: skip
    builder = model_builder(model_name(config, run.task))
    y_train = pipes.labels("train") if kind_of(head.kind).has_classes else None
    model, history = train(
        run, lambda: build_with_weights(builder, (size, size, 3), head, config.weights,
                                        config.model),
        lambda epochs, context: pipes.ds("train", True, epochs, context),
        lambda context: pipes.ds("val", input_context=context), y_train=y_train,
        extra_callbacks=plugins.callbacks_for(config, run.run_dir),
        steps_per_epoch=-(-len(data.splits["train"]) // config.batch_size),
        blocks=getattr(builder, "blocks", None),
    )  # fmt: skip
    run.state.update(trained=True)
    return model, history, pipes


def train_and_evaluate(run: Run) -> RunResult:
    """Train, predict the test split, write predictions and metrics, report (any head).
    In a multi-worker run only the chief evaluates and reports (distributed.md)."""
    model, history, pipes = fit_model(run)
    if is_other_worker(run.config):
        shutil.rmtree(run.run_dir / "cache", ignore_errors=True)
        run.console.print(f"{task_name()}: trained; the chief evaluates the test split and reports")
        return RunResult(run.run_dir, {}, model, None, dict(run.data.skipped))
    kind = kind_of(run.data.head.kind)
    result = kind.predict_test(run, model, pipes, history)
    kind.write_predictions(run.run_dir, result)
    write_json(run.run_dir / "metrics.json", result.metrics)
    shutil.rmtree(run.run_dir / "cache", ignore_errors=True)
    render_reports(run.config, result, run.run_dir, run.console)
    return RunResult(run.run_dir, result.metrics, model, result, dict(run.data.skipped))
