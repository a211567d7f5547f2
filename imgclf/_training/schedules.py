"""Per-step learning-rate schedules (``lr_schedule = cosine | onecycle``).

Both are Keras' own ``CosineDecay`` (serialisable with the model, stepped by the
optimizer's ``iterations``), laid over the steps of one phase: each phase of a
fine-tuning run (phases.py) compiles a new optimizer whose ``iterations`` start at
0, so each gets its own schedule over its own epochs. A resumed run continues at
the right step because BackupAndRestore restores ``iterations`` with the rest of the
optimizer's state (tests/test_recipe.py).

- ``cosine``: a linear warm-up from 0 to ``lr`` over ``warmup_epochs``, then cosine
  decay to 0 at the phase's last step.
- ``onecycle`` (Smith 2018, as PyTorch's OneCycleLR without momentum cycling): a
  linear warm-up from ``lr / 25`` to ``lr`` over ``warmup_epochs`` (0: the first 30%
  of the phase's steps), then cosine decay to ``lr / 25 / 1e4``.

``plateau`` (ReduceLROnPlateau) and ``none`` keep a constant rate per epoch.
"""

from __future__ import annotations

from typing import Any

PER_STEP = ("cosine", "onecycle")
ONECYCLE_DIV = 25.0  # initial = peak / 25 (PyTorch's div_factor)
ONECYCLE_FINAL_DIV = 1e4  # final = initial / 1e4 (final_div_factor)
ONECYCLE_WARMUP = 0.3  # share of the steps warming up when warmup_epochs is 0 (pct_start)


def warmup_steps(kind: str, warmup_epochs: int, steps_per_epoch: int, total: int) -> int:
    """Warm-up steps of a phase of ``total`` steps, leaving at least one to decay."""
    steps = warmup_epochs * steps_per_epoch
    if kind == "onecycle" and not warmup_epochs:
        steps = round(ONECYCLE_WARMUP * total)
    return max(0, min(steps, total - 1))


def learning_rate(config: Any, lr: float, steps_per_epoch: int | None, epochs: int) -> Any:
    """What the optimizer takes as ``learning_rate`` for a phase of ``epochs`` epochs at
    peak ``lr``: a float, or a ``CosineDecay`` over the phase's steps."""
    import keras

    kind = config.lr_schedule
    if kind not in PER_STEP:
        return lr
    total = max(1, int(steps_per_epoch or 1) * max(1, epochs))
    warm = warmup_steps(kind, config.warmup_epochs, int(steps_per_epoch or 1), total)
    start = 0.0 if kind == "cosine" else lr / ONECYCLE_DIV
    alpha = 0.0 if kind == "cosine" else 1 / (ONECYCLE_DIV * ONECYCLE_FINAL_DIV)
    if not warm:
        return keras.optimizers.schedules.CosineDecay(lr, total, alpha=alpha)
    return keras.optimizers.schedules.CosineDecay(
        start, total - warm, alpha=alpha, warmup_target=lr, warmup_steps=warm
    )


def current_rate(optimizer: Any, step: int | None = None) -> float:
    """The rate ``optimizer`` applies at ``step`` (default: its last step)."""
    import keras
    import numpy as np

    rate = optimizer._learning_rate
    if isinstance(rate, keras.optimizers.schedules.LearningRateSchedule):
        if step is None:
            step = max(0, int(np.asarray(optimizer.iterations)) - 1)
        return float(np.asarray(rate(step)))
    return float(np.asarray(optimizer.learning_rate))
