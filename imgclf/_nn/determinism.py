"""Same seed, same numbers: every random draw of training as a function of the seed.

After the split (seeded in data/split.py) a run draws random numbers in four places;
each is made a function of (run seed, epoch[, batch]) alone, so that two runs with
one seed, and a run resumed from its last completed epoch (faults.py), draw the same:

- the order of the training images: epoch ``e`` shuffles with ``epoch_seed(seed, e)``
  (``data/pipeline.py`` lays the epochs out one after the other in one dataset);
- the augmenter: its random state is set from (seed, epoch, batch) inside the
  ``tf.data`` map that applies it (``batch_augmenter``), so prefetching, which runs
  ahead of Keras' callbacks, cannot race it;
- the model's own random state (Dropout's ``SeedGenerator``s): set from (seed, epoch)
  as each epoch begins (``EpochSeeds``);
- TensorFlow's kernels: ``--deterministic`` turns on op determinism for the run
  (``op_determinism``).

The first three hold in every run; the last is what ``--deterministic`` adds, with
a sequential augment step when the augmenter's random state cannot be passed in
(see ``batch_augmenter``). Op determinism is process-global in TensorFlow: it is
turned on when a deterministic run starts and restored to its previous setting when
that run ends, so runs in one process (the test suite) do not leak it to each other;
two runs in one process at the same time (threads) would share it.

Imported lazily (it imports TensorFlow and Keras).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from ..errors import ConfigError

#: Folded in instead of a batch index for the model's state, so that it never
#: equals the augmenter's state of a batch.
MODEL_TAG = 1 << 40
_MAX_STATE = 2**31 - 1  # Keras folds seeds into int32; stay in range for every backend


@contextlib.contextmanager
def op_determinism(on: bool) -> Iterator[None]:
    """TensorFlow op determinism while the block runs (when ``on``), then the setting
    the process had before: it is process-global, and tests run many runs in one."""
    if not on:
        yield
        return
    from tensorflow.python.framework import config as tf_config  # no public getter

    was_on = getattr(tf_config, "is_op_determinism_enabled", lambda: True)()
    tf.config.experimental.enable_op_determinism()
    try:
        yield
    finally:
        if not was_on and hasattr(tf_config, "disable_op_determinism"):
            tf_config.disable_op_determinism()


def epoch_seed(seed: int, epoch: int) -> int:
    """The shuffle seed of ``epoch``: a 31-bit hash of (seed, epoch), stable across
    NumPy versions (``SeedSequence`` is specified to be)."""
    entropy = [int(seed) & (2**64 - 1), int(epoch)]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0] & _MAX_STATE)


def backed_up_epoch(run_dir: Path | str) -> int:
    """The epoch Keras' BackupAndRestore will continue from (0 without a backup):
    the training data of a resumed run starts there."""
    path = Path(run_dir) / "backup" / "training_metadata.json"
    try:
        return int(json.loads(path.read_text(encoding="utf-8"))["epoch"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def epoch_range(run_dir: Path | str, epochs: int) -> tuple[int, int]:
    """(first epoch to train, ``epochs``): the backup's epoch on. A backup of the last
    epoch (killed before evaluating) gives (epochs - 1, epochs); Keras runs none."""
    return min(backed_up_epoch(run_dir), epochs - 1), epochs


def find_generators(obj: Any) -> tuple[list[Any], list[Any]]:
    """(Keras ``SeedGenerator``s, ``tf.random.Generator``s) in the layer tree of ``obj``
    (keras-cv's layers hold the latter); ([], []) for a plain function."""
    if not isinstance(obj, keras.layers.Layer):
        return [], []
    found: dict[int, Any] = {}
    for layer in obj._flatten_layers(include_self=True, recursive=True):
        for gen in getattr(layer, "_seed_generators", ()):
            found.setdefault(id(gen), gen)
        for value in vars(layer).values():
            if isinstance(value, tf.random.Generator):
                found.setdefault(id(value), value)
    gens = list(found.values())
    return [g for g in gens if isinstance(g, keras.random.SeedGenerator)], [
        g for g in gens if isinstance(g, tf.random.Generator)
    ]


def state_key(seed: Any, epoch: Any, batch: Any) -> Any:
    """A stateless key for (seed, epoch, batch): tensors or ints, in a graph or eagerly."""
    if isinstance(seed, int):
        seed %= 2**63 - 1
    base = tf.stack([tf.cast(seed, tf.int64), tf.cast(epoch, tf.int64)])
    return tf.random.experimental.stateless_fold_in(base, tf.cast(batch, tf.int64), alg="philox")


def _states(key: Any, n: int) -> Any:
    """``n`` independent random states (3 numbers each: enough for either kind)."""
    return tf.random.stateless_uniform(
        [max(n, 1), 3], seed=key, minval=0, maxval=_MAX_STATE, dtype=tf.int64, alg="philox"
    )


def assign_states(keras_gens: list[Any], tf_gens: list[Any], key: Any) -> None:
    """Set every generator's state from ``key`` (each gets its own stream)."""
    values = _states(key, len(keras_gens) + len(tf_gens))
    for i, gen in enumerate(keras_gens):
        gen.state.assign(tf.cast(values[i, :2], gen.state.dtype))
    for i, gen in enumerate(tf_gens, start=len(keras_gens)):
        gen.reset(tf.cast(values[i, : gen.state.shape[0]], gen.state.dtype))


def batch_augmenter(
    augment: Callable, seed: int, deterministic: bool
) -> tuple[Callable[[Any, Any, Any], Any], bool]:
    """``(fn(epoch, batch, images) -> images, may_run_in_parallel)``.

    Keras ``SeedGenerator``s only (Keras core layers, imgclf's own): their states
    are passed in through a ``keras.StatelessScope``, so each call is a pure function
    of (seed, epoch, batch) and the map stays parallel. Other random state
    (``tf.random.Generator``s of keras-cv, or none found: a plain function or
    legacy ``tf.random`` ops) cannot be passed in; under ``deterministic`` the map
    then runs sequentially, setting the generators found before each batch.
    """
    keras_gens, tf_gens = find_generators(augment)

    def plain(epoch: Any, batch: Any, images: Any) -> Any:
        return augment(images, training=True)

    if keras_gens and not tf_gens:

        def stateless(epoch: Any, batch: Any, images: Any) -> Any:
            values = _states(state_key(seed, epoch, batch), len(keras_gens))
            mapping = [(g.state, tf.cast(values[i, :2], g.state.dtype))
                       for i, g in enumerate(keras_gens)]  # fmt: skip
            with keras.StatelessScope(state_mapping=mapping):
                return augment(images, training=True)

        return stateless, True
    if not deterministic:
        return plain, True

    def reseeded(epoch: Any, batch: Any, images: Any) -> Any:
        assign_states(keras_gens, tf_gens, state_key(seed, epoch, batch))
        return augment(images, training=True)

    return reseeded, False


class EpochSeeds(keras.callbacks.Callback):
    """The model's random state (Dropout's generators) from (seed, epoch) as each epoch
    begins. After BackupAndRestore: a resumed fit must start at the epoch its training
    data starts at (``epochs``, see ``epoch_range``)."""

    def __init__(self, seed: int, epochs: tuple[int, int] | None = None) -> None:
        super().__init__()
        self.seed, self.epochs = seed, epochs
        self.gens: tuple[list[Any], list[Any]] = ([], [])

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.gens = find_generators(self.model)
        initial = getattr(self.model, "_initial_epoch", None)  # set by a restored backup
        if initial is None:
            return
        if self.epochs and initial < self.epochs[1] and initial != self.epochs[0]:
            raise ConfigError(
                f"The backup continues at epoch {initial + 1} but the training data starts "
                f"at epoch {self.epochs[0] + 1} (Keras restored the backup's previous copy); "
                "run the same --resume command again."
            )

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        assign_states(*self.gens, state_key(self.seed, epoch, MODEL_TAG))
