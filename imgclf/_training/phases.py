"""Training phases: fine-tuning a pretrained backbone the Keras transfer-learning way.

A model whose builder put a pretrained network in a layer named ``backbone`` trains
in two phases (keras.io/guides/transfer_learning): phase 1 trains the new head on
the frozen backbone for ``frozen_epochs``; phase 2 unfreezes the top ``unfreeze``
blocks (or ``all``) and trains on at ``lr * finetune_lr_factor``. The backbone is
called with ``training=False`` by its builder, so its batch-norm layers use their
ImageNet statistics in both phases (phase 2 keeps them frozen: see
``unfreeze_top``). Any other model (or ``--weights none``: there
is nothing to keep) trains in one phase, as before.

Epochs are counted over the whole run: phase 2 continues where phase 1 stopped
(``[frozen_epochs, epochs)``), so history.csv, state.json and ``--resume`` see one
sequence of epochs with a ``phase`` column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._config import RunConfig
from ..errors import ModelError

BACKBONE = "backbone"  # the layer name a builder gives the pretrained network


@dataclass(frozen=True)
class Phase:
    """One ``model.fit``: epochs ``[start, stop)`` at ``lr`` with ``trainable`` applied."""

    number: int
    start: int
    stop: int
    lr: float
    trainable: Callable[[Any], None]
    describe: str

    def marker(self, run_dir: Path) -> Path:
        """The weights at the end of this phase: a resume after it starts from them."""
        return Path(run_dir) / f"phase{self.number}.weights.h5"


def backbone_of(model: Any) -> Any | None:
    """The nested pretrained network, or None for a model built without one."""
    try:
        return model.get_layer(BACKBONE)
    except ValueError:
        return None


def pretrained(config: RunConfig, model: Any) -> bool:
    """Whether the run starts from trained backbone weights (imagenet or a file)."""
    weights = getattr(config, "weights", None)
    return backbone_of(model) is not None and str(weights or "imagenet").lower() != "none"


def require_backbone(model: Any) -> Any:
    """The nested pretrained network of a model that fine-tunes in phases."""
    backbone = backbone_of(model)
    if backbone is None:
        raise ModelError(
            f"Model {getattr(model, 'name', '?')!r} has no layer named {BACKBONE!r}: only a "
            "model built on a Backbone trains in phases (set frozen_epochs=0 otherwise)."
        )
    return backbone


def freeze_backbone(model: Any) -> None:
    require_backbone(model).trainable = False


def unfreeze_top(model: Any, blocks: list[list[str]] | None, top: int | str) -> None:
    """Make the top ``top`` blocks of the backbone trainable (all for ``all``); the
    others stay frozen. ``blocks``: the builder's grouping of the backbone's layers."""
    import keras

    backbone = require_backbone(model)
    backbone.trainable = True
    frozen: set[str] = set()
    if top != "all" and blocks and int(top) < len(blocks):
        frozen = {name for block in blocks[: len(blocks) - int(top)] for name in block}
    for layer in backbone._flatten_layers(include_self=False, recursive=True):
        # Keras 3 runs a nested model's layers with the outer call's ``training``, so
        # ``backbone(x, training=False)`` alone does not keep batch norm in inference
        # mode; a frozen BatchNormalization layer always runs in it (tests/test_phases.py).
        if layer.name in frozen or isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False


def plan(config: RunConfig, model: Any, blocks: list[list[str]] | None = None) -> list[Phase]:
    """The phases of this run; a single phase unless it fine-tunes a pretrained backbone."""
    epochs, lr = config.epochs, config.lr
    if not pretrained(config, model):
        return [Phase(1, 0, epochs, lr, lambda m: None, "")]
    frozen = min(config.frozen_epochs, epochs)
    top = config.unfreeze
    which = "all blocks" if top == "all" else f"the top {top} block(s)"
    if blocks and top != "all":
        which += f" of {len(blocks)}"
    fine_lr = lr * config.finetune_lr_factor
    phases = [
        Phase(1, 0, frozen, lr, freeze_backbone, "the new head on the frozen backbone"),
        Phase(
            2, frozen, epochs, fine_lr, lambda m: unfreeze_top(m, blocks, top),
            f"{which} of the backbone unfrozen; batch norm stays in inference mode",
        ),
    ]  # fmt: skip
    return [p for p in phases if p.stop > p.start]


def describe(phase: Phase, count: int) -> str:
    """``Phase 1/2 (epochs 1-5, lr 0.001): the new head on the frozen backbone``."""
    return (
        f"Phase {phase.number}/{count} (epochs {phase.start + 1}-{phase.stop}, "
        f"lr {phase.lr:g}): {phase.describe}"
    )


def resume_point(phases: list[Phase], run_dir: Path) -> int:
    """Index of the first phase still to train: the one after the last whose end
    weights were saved (a resume never repeats a finished phase)."""
    done = [i for i, p in enumerate(phases[:-1]) if p.marker(run_dir).is_file()]
    return done[-1] + 1 if done else 0


def count_trainable(model: Any) -> int:
    import numpy as np

    return int(sum(np.prod(v.shape) for v in model.trainable_weights))
