"""Tasks: what is predicted (classes, head kind) and at which input size."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

HeadKind = Literal["softmax", "sigmoid"]


@dataclass(frozen=True)
class Head:
    """The output a model must end with; built by ``imgclf.output_layer``."""

    kind: HeadKind
    classes: tuple[str, ...]

    @property
    def units(self) -> int:
        return 1 if self.kind == "sigmoid" else len(self.classes)


@dataclass(frozen=True)
class TaskSpec:
    """A task a plugin registers.

    Args:
        classes: class names in output order.
        input_size: default square image side in pixels (channels are always 3).
        head: ``softmax`` (one of N classes) or ``sigmoid`` (binary, one output
            scoring ``classes[1]``).
        default_model: model used when ``--model`` is not given.
        default_augmenter: augmenter for the training split (``none`` for none).
        label_aliases: spellings a data set may use -> class name; matched
            case-insensitively, like the class names themselves.
        datasets: loaders tried first when ``--loader`` is not given.
        defaults: RunConfig values this task changes (e.g. ``class_weight``).
        loader_defaults: loader options used where the chosen loader takes them
            (e.g. a ``group_pattern`` for a naming convention); ``--set loader.*`` wins.
        description: one line for ``imgclf list``.
    """

    name: str
    classes: tuple[str, ...]
    input_size: int = 128
    head: HeadKind = "softmax"
    default_model: str | None = None
    default_augmenter: str = "none"
    label_aliases: dict[str, str] = field(default_factory=dict)
    datasets: tuple[str, ...] = ()
    defaults: dict[str, Any] = field(default_factory=dict)
    loader_defaults: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    def head_for(self, classes: tuple[str, ...] | None = None) -> Head:
        """The head for the classes a run trains on (a subset of the task's)."""
        return Head(self.head, tuple(classes or self.classes))
