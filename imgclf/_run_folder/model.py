"""A saved model and what its outputs mean: the one type for it.

The runner fills it for the model a run trains (``config``: the ``config.json``
it writes), ``evaluation.resolve_model`` for a run folder's or a ``.keras``
file's model (``spec``: its task), and ``prediction`` for an exported file (its
``.json`` sidecar, ``to_json``) or a regression run's model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._heads.classification import threshold_of
from .._tasks import TaskSpec
from ..errors import ModelError


@dataclass
class ModelInfo:
    """A model file, what its outputs mean and the image size it takes.

    ``classes``: the model's outputs (a regression head's targets); ``head``: its
    kind (``softmax``, ``sigmoid``, ``regression``); ``image_size`` 0 when unknown
    (the model's input says). ``path``: the model file, ``config``: its run's
    ``config.json`` ({} when it has none), ``spec``: its TaskSpec, ``task_note``:
    why ``spec`` was rebuilt from the run folder (its plugin is not installed).
    ``extra``: what an exported file's sidecar adds (format, quantize...).
    """

    classes: tuple[str, ...]
    head: str
    image_size: int = 0
    threshold: float = 0.5
    task: str | None = None
    run_dir: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    config: dict[str, Any] = field(default_factory=dict)
    spec: TaskSpec | None = None
    task_note: str | None = None

    @classmethod
    def from_config(
        cls,
        config: dict[str, Any],
        run_dir: Path | None = None,
        path: Path | None = None,
        **fields: Any,
    ) -> ModelInfo:
        """What a run's ``config.json`` says about its model (``fields`` override)."""
        regression = config.get("head") == "regression"
        values: dict[str, Any] = {
            "classes": tuple(config.get("targets" if regression else "classes") or ()),
            "head": config.get("head") or "",
            "image_size": int(config.get("image_size") or 0),
            "threshold": threshold_of(config),
            "task": config.get("task"),
            "run_dir": run_dir,
            "path": path,
            "config": config,
        }
        return cls(**{**values, **fields})

    @property
    def file(self) -> Path:
        """``path``: the model file (a saved model resolved from a run or ``.keras`` file
        has one; an exported file's sidecar does not)."""
        if self.path is None:
            raise ModelError(f"No model file is known for the model of task {self.task!r}.")
        return self.path

    @property
    def task_spec(self) -> TaskSpec:
        """``spec``: the model's task (known once the model is resolved)."""
        if self.spec is None:
            raise ModelError(
                f"The task of the model {str(self.path)!r} is not known; pass task=NAME."
            )
        return self.spec

    def to_json(self) -> dict[str, Any]:
        """The sidecar of an exported model (``path``, ``config`` and ``spec`` are not in it)."""
        return {
            "task": self.task,
            "classes": list(self.classes),
            "head": self.head,
            "image_size": self.image_size,
            "threshold": self.threshold,
            "run_dir": str(self.run_dir) if self.run_dir else None,
            **self.extra,
        }
