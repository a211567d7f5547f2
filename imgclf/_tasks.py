"""Tasks: what is predicted (classes, head kind, named heads) and at which input size."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

HeadKind = Literal["softmax", "sigmoid", "regression"]

#: The name of every task's class head (``--head classes``, the default).
CLASS_HEAD = "classes"


@dataclass(frozen=True)
class Head:
    """The output a model must end with; built by ``imgclf.output_layer``.

    ``classes`` for ``softmax``/``sigmoid`` heads; ``targets`` (one unit each) for a
    ``regression`` head, whose ``activation`` is ``None`` (linear) or e.g. ``tanh``
    when every target lies in [-1, 1].
    """

    kind: HeadKind
    classes: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    activation: str | None = None

    @property
    def units(self) -> int:
        if self.kind == "regression":
            return len(self.targets)
        return 1 if self.kind == "sigmoid" else len(self.classes)


@dataclass(frozen=True)
class Reference:
    """A published figure a run of ``head`` is lined up with in the reports.

    ``metric`` is a key of ``metrics.json`` (e.g. ``accuracy``, ``rmse_mean``);
    ``loaders`` are the loaders that read the data set the figure was measured
    on, so a report can say "different data set" for a run on other data.
    """

    head: str
    metric: str
    value: float
    dataset: str
    source: str
    label: str = ""
    loaders: tuple[str, ...] = ()


@dataclass(frozen=True)
class TaskSpec:
    """A task a plugin registers.

    Args:
        classes: class names in output order.
        input_size: default square image side in pixels (channels are always 3).
        head: ``softmax`` (one of N classes) or ``sigmoid`` (binary, one output
            scoring ``classes[1]``): the kind of the class head, named ``classes``.
        heads: further heads a run may pick with ``--head NAME`` (e.g. a
            ``regression`` head ``va``), name -> Head.
        references: published figures the reports line a run up with.
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
    heads: dict[str, Head] = field(default_factory=dict)
    references: tuple[Reference, ...] = ()

    def available_heads(self) -> dict[str, Head]:
        """Every head a run can pick: ``classes`` first, then the task's own."""
        return {CLASS_HEAD: Head(self.head, tuple(self.classes)), **self.heads}

    def head_for(self, classes: tuple[str, ...] | None = None) -> Head:
        """The head for the classes a run trains on (a subset of the task's)."""
        return Head(self.head, tuple(classes or self.classes))
