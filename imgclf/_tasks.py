"""Tasks: what is predicted (classes, head kind, named heads) and at which input size."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .errors import PluginError

HeadKind = Literal["softmax", "sigmoid", "regression"]
#: What a task's class head may be: a kind, or ``auto`` (classes from the data only).
ClassHead = Literal["softmax", "sigmoid", "auto"]
#: The image side when neither the run, the task nor the model builder names one.
DEFAULT_IMAGE_SIZE = 128

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
        classes: class names in output order. Empty (``()``): the classes come from
            the data, so one task serves any data set (the built-in ``classify``):
            every label is a class as spelled (stripped), sorted; ``label_map``
            still renames or drops; the run folder's config.json keeps them.
        input_size: default square image side in pixels (channels are always 3);
            ``None``: the model builder's ``default_size`` (a pretrained
            backbone's), else 128.
        head: ``softmax`` (one of N classes) or ``sigmoid`` (binary, one output
            scoring ``classes[1]``): the kind of the class head, named ``classes``.
            ``auto`` (only with classes from the data): ``sigmoid`` when the data
            holds two classes, ``softmax`` when more; the Head a run trains is
            always one of the two (``head_for``).
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
        recipes: named TOML files of settings the plugin ships (package data), name
            -> path; ``--config NAME`` runs one, so a pip-installed plugin's recipe
            needs no checkout (keras-hub's presets, for settings).
    """

    name: str
    classes: tuple[str, ...]
    input_size: int | None = DEFAULT_IMAGE_SIZE
    head: ClassHead = "softmax"
    default_model: str | None = None
    default_augmenter: str = "none"
    label_aliases: dict[str, str] = field(default_factory=dict)
    datasets: tuple[str, ...] = ()
    defaults: dict[str, Any] = field(default_factory=dict)
    loader_defaults: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    heads: dict[str, Head] = field(default_factory=dict)
    references: tuple[Reference, ...] = ()
    recipes: dict[str, Path] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.head == "auto" and self.classes:
            raise PluginError(
                f"Task {self.name!r}: head 'auto' is for tasks whose classes come from the "
                f"data (classes=()); received classes={tuple(self.classes)!r}. Give head "
                "'softmax' or 'sigmoid', or leave classes empty."
            )

    @property
    def classes_from_data(self) -> bool:
        """True when the task names no classes: each run takes them from its data."""
        return not self.classes

    def head_kind(self, classes: tuple[str, ...] = ()) -> HeadKind:
        """The concrete kind of the class head for ``classes`` (``auto`` resolved)."""
        if self.head != "auto":
            return self.head
        return "sigmoid" if len(classes) == 2 else "softmax"

    def available_heads(self) -> dict[str, Head]:
        """Every head a run can pick: ``classes`` first, then the task's own. With
        classes from the data the class head holds none until ``head_for`` knows them."""
        classes = tuple(self.classes)
        return {CLASS_HEAD: Head(self.head_kind(classes), classes), **self.heads}

    def head_for(self, classes: tuple[str, ...] | None = None) -> Head:
        """The head for the classes a run trains on (a subset of the task's, or the
        data's own when the task names none)."""
        chosen = tuple(classes or self.classes)
        return Head(self.head_kind(chosen), chosen)

    def image_size(self, requested: int | None = None, builder: object = None) -> int:
        """The run's image side: ``requested`` (``--image-size``), else the task's, else
        the model builder's ``default_size`` (pretrained backbones carry one), else 128."""
        return int(
            requested
            or self.input_size
            or getattr(builder, "default_size", None)
            or DEFAULT_IMAGE_SIZE
        )
