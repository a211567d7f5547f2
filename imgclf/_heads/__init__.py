"""Which head a run trains (``--head``), and what a regression head changes in a run.

Every task has its class head, named ``classes``; a task may declare more in
``TaskSpec.heads`` (face-emotion: ``va``, valence/arousal regression). For a
regression head the run keeps only records with targets, splits without
stratifying (there are no classes to balance), monitors the validation loss and
uses no class weights; the classification-only steps (threshold picking,
confusion matrix, ROC, Grad-CAM per class) are not run.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .._config import RunConfig
from .._data import labels as labelmap
from .._data.records import Record
from .._data.sources import pick_loader
from .._log import note
from .._tasks import CLASS_HEAD, Head, TaskSpec
from ..errors import ConfigError, DataError, did_you_mean
from . import classification, regression

#: config.json of runs made before named heads held the head kind under "head".
_LEGACY_NAMES = ("softmax", "sigmoid")


def select_head(config: RunConfig, task: TaskSpec) -> Head:
    """The head ``config.head`` names, or a ConfigError listing the task's heads."""
    heads = task.available_heads()
    name = CLASS_HEAD if config.head in _LEGACY_NAMES else config.head
    if name not in heads:
        raise ConfigError(
            f"Task {task.name!r} has no head {config.head!r}.{did_you_mean(name, heads)} "
            f"Heads: {', '.join(heads)} (see 'imgclf list tasks')."
        )
    return heads[name]


def describe_heads(task: TaskSpec) -> str:
    """``classes (softmax), va (regression: valence, arousal)`` for ``imgclf list``."""
    parts = []
    for name, head in task.available_heads().items():
        what = f"regression: {', '.join(head.targets)}" if head.kind == "regression" else head.kind
        if name == CLASS_HEAD and task.head == "auto":
            what = "sigmoid for 2 classes, else softmax"
        parts.append(f"{name} ({what})")
    return ", ".join(parts)


def adjust_config(config: RunConfig, task: TaskSpec, console: Any = None) -> RunConfig:
    """A regression run monitors ``val_loss`` (or keeps its last epoch, ``last``) and
    takes no class weights."""
    if select_head(config, task).kind != "regression":
        return config
    if config.class_weight != "none":
        note(console, "class weights do not apply to a regression head")
    monitor = "last" if config.monitor == "last" else "val_loss"
    return dataclasses.replace(config, monitor=monitor, class_weight="none")


def with_targets(
    records: list[Record], head: Head, skipped: Counter, config: RunConfig
) -> list[Record]:
    """The records a regression head can learn from; the others are counted."""
    kept = [r for r in records if r.targets is not None]
    if not kept:
        raise ConfigError(
            f"Head {config.head!r} learns {', '.join(head.targets)}, but none of the "
            f"{len(records)} images of --data {', '.join(config.data)} carries them: the "
            f"loader gives labels only. Use a loader that reads them (e.g. affectnet), or "
            f"the class head (--head {CLASS_HEAD})."
        )
    for r in kept:
        if r.targets is not None and len(r.targets) != len(head.targets):
            raise DataError(
                f"{r.path} has {len(r.targets)} target value(s); head {config.head!r} "
                f"needs {len(head.targets)} ({', '.join(head.targets)})."
            )
    left_out = len(records) - len(kept)
    if left_out:
        skipped[f"no {'/'.join(head.targets)} (left out of head {config.head!r})"] += left_out
    return kept


def run_classes(records: list[Record], task: TaskSpec) -> tuple[str, ...]:
    """The task's classes the records hold (counts in reports; a regression run
    needs no class at all)."""
    seen = {r.label for r in records}
    return tuple(c for c in task.classes if c in seen)


def references_for(config: RunConfig, task: TaskSpec) -> list[dict[str, Any]]:
    """The task's published figures for this run's head, for config.json; each says
    whether this run read the same data set (by the loaders it used)."""
    name = CLASS_HEAD if config.head in _LEGACY_NAMES else config.head
    refs = [r for r in task.references if r.head == name]
    if not refs:
        return []
    used = sorted({pick_loader(config, task, Path(src)) for src in config.data})
    return [
        {
            **dataclasses.asdict(r),
            "loaders": list(r.loaders),
            "run_loaders": used,
            "same_data": bool(used) and all(u in r.loaders for u in used),
        }
        for r in refs
    ]


@dataclasses.dataclass(frozen=True)
class HeadKind:
    """What differs between head kinds, so the runner never branches on one.

    Before training: ``keep`` (the records the head can learn from), ``classes`` (the
    run's classes), ``has_classes`` (stratified splits, class weights and every
    class of test seen in train), ``head_for`` (the head the model ends with) and
    ``saved`` (what config.json adds). Training: ``loss(head, label_smoothing,
    soft)`` (``soft``: the labels are float rows, see pipeline.label_array) and
    ``metrics``. After:
    how the test split is predicted, its predictions.csv, and how a finished
    folder's result is read back.
    """

    keep: Callable[[list[Record], Head, Counter, RunConfig], list[Record]]
    classes: Callable[[list[Record], TaskSpec], tuple[str, ...]]
    has_classes: bool
    head_for: Callable[[Head, TaskSpec, tuple[str, ...]], Head]
    saved: Callable[[Head], dict[str, Any]]
    loss: Callable[..., Any]
    metrics: Callable[[], list[Any]]
    predict_test: Callable[..., Any]
    write_predictions: Callable[[Path, Any], None]
    load_result: Callable[[Path, dict[str, Any], dict], Any]


HEADS = {
    "classes": HeadKind(
        keep=lambda records, head, skipped, config: records,
        classes=labelmap.classes_present,
        has_classes=True,
        head_for=lambda head, task, classes: task.head_for(classes),
        saved=lambda head: {},
        loss=classification.class_loss,
        metrics=lambda: ["accuracy"],
        predict_test=classification.predict_test,
        write_predictions=classification.write_predictions,
        load_result=classification.load_classification_result,
    ),
    "regression": HeadKind(
        keep=with_targets,
        classes=run_classes,
        has_classes=False,
        head_for=lambda head, task, classes: head,
        saved=lambda head: {"targets": list(head.targets)},
        loss=lambda head, label_smoothing=0.0, soft=False: "mean_squared_error",
        metrics=regression.training_metrics,
        predict_test=regression.predict_test,
        write_predictions=regression.write_regression_predictions,
        load_result=regression.load_regression_result,
    ),
}
"""Head kind -> HeadKind; ``softmax`` and ``sigmoid`` heads are both ``classes``."""


def kind_name(head: str) -> str:
    """The kind of a head as ``config.json`` and results record it: ``softmax`` and
    ``sigmoid`` are ``classes``; ``regression`` is ``regression``."""
    return "regression" if head == "regression" else "classes"


def kind_of(head: str) -> HeadKind:
    """The HeadKind of a head as ``config.json`` records it (``softmax``, ``regression``...)."""
    return HEADS[kind_name(head)]
