"""The optimizer of a phase (``optimizer``, ``momentum``, ``nesterov``, ``weight_decay``,
``ema``): Keras' own classes, so model.keras loads without imgclf.

``weight_decay`` is Keras' decoupled decay (``Optimizer(weight_decay=...)``);
``None`` means AdamW's Keras default (0.004) and none for SGD; Adam takes none
(config.py refuses it: that is AdamW). ``ema``: the optimizer keeps an exponential
moving average of the weights (``use_ema``); the averaged weights are validated,
checkpointed and returned (``EMAWeights`` in callbacks.py).
"""

from __future__ import annotations

from typing import Any

from .._config import RunConfig
from . import schedules

ADAMW_DEFAULT_DECAY = 0.004  # keras.optimizers.AdamW's default


def make_optimizer(
    config: RunConfig, lr: float, steps_per_epoch: int | None = None, epochs: int | None = None
) -> Any:
    """A new optimizer at peak ``lr`` for a phase of ``epochs`` epochs (default: the run's)."""
    import keras

    rate = schedules.learning_rate(config, lr, steps_per_epoch, epochs or config.epochs)
    common = {"learning_rate": rate, "use_ema": config.ema, "ema_momentum": config.ema_momentum}
    if config.optimizer == "adamw":
        decay = ADAMW_DEFAULT_DECAY if config.weight_decay is None else config.weight_decay
        return keras.optimizers.AdamW(weight_decay=decay, **common)
    if config.optimizer == "sgd":
        return keras.optimizers.SGD(
            momentum=config.momentum, nesterov=config.nesterov,
            weight_decay=config.weight_decay or None, **common,
        )  # fmt: skip
    return keras.optimizers.Adam(**common)


def describe(config: RunConfig) -> str | None:
    """One console line for a recipe other than the default (None for the default)."""
    parts = []
    if config.optimizer != "adam":
        parts.append(config.optimizer)
    if config.lr_schedule in schedules.PER_STEP:
        warm = f", {config.warmup_epochs} warm-up epoch(s)" if config.warmup_epochs else ""
        parts.append(f"{config.lr_schedule} schedule{warm}")
    if config.ema:
        parts.append(f"EMA of the weights (momentum {config.ema_momentum:g})")
    if config.label_smoothing:
        parts.append(f"label smoothing {config.label_smoothing:g}")
    return f"Recipe: {', '.join(parts)}" if parts else None
