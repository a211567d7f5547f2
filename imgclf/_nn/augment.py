"""Augmenters built from Keras core preprocessing layers (always available), and the
seeding rules every augmenter follows.

Inside ``tf.data`` (graph mode) random ops built with one seed return the same
values, and Keras layers given one seed start the same stream. So each random layer
of an augmenter gets its own seed, ``derive_seed(seed, key)``, and holds its state in
a ``keras.random.SeedGenerator``, where ``seed_generators`` finds it.
"""

from __future__ import annotations

import hashlib
from typing import Any

from .. import _plugins as plugins
from .._config import RunConfig
from .._resolve import get_task
from .._tasks import TaskSpec
from ..errors import ConfigError


def derive_seed(seed: int | None, *keys: int | str) -> int | None:
    """A seed of its own for one random layer of an augmenter: ``derive_seed(seed,
    "flip")``, ``derive_seed(seed, "rot90")``. A hash, not ``seed + i``: ``seed + 1`` is
    the next run's seed and what other code adds to a seed. In [1, 2**31 - 2]: keras-cv
    reads 0 as "no seed" and Keras folds seeds into int32. ``None`` stays ``None``."""
    if seed is None:
        return None
    text = repr((int(seed), *keys)).encode()
    digest = hashlib.blake2b(text, digest_size=8, person=b"imgclf-augment").digest()
    return int.from_bytes(digest, "big") % (2**31 - 2) + 1


def seed_generators(augmenter: Any) -> list[Any]:
    """Every ``keras.random.SeedGenerator`` in ``augmenter``'s layer tree: all of the
    random state of imgclf's augmenters (reset or restore their ``state`` variables)."""
    layers = augmenter._flatten_layers(include_self=True, recursive=True)
    return [g for layer in layers for g in layer._seed_generators]


def flip_rotate_translate(
    rotation_degrees: float = 20.0, translation: float = 0.1, seed: int | None = None
) -> Any:
    """Horizontal flip, rotation up to ``rotation_degrees``, translation up to a fraction
    of each side, reflected at the borders: one resampling pass per image
    (``imgclf._nn.affine.RandomFlipRotateTranslate``), not one per Keras layer."""
    import keras

    from .affine import RandomFlipRotateTranslate

    layer = RandomFlipRotateTranslate(
        rotation_degrees, translation, seed=derive_seed(seed, "affine"), name="affine"
    )
    return keras.Sequential([layer], name="augment")


def flip(seed: int | None = None) -> Any:
    """Horizontal flip only."""
    import keras

    layer = keras.layers.RandomFlip("horizontal", seed=derive_seed(seed, "flip"), name="flip")
    return keras.Sequential([layer], name="augment")


def augmenter_name(name: str | None, task: TaskSpec | None) -> str | None:
    """The registered name for ``name``: ``<task>/<name>`` (a task's own) wins."""
    name = name or (task.default_augmenter if task else None)
    if not name or name == "none":
        return None
    regs = plugins.registries()["augmenters"]
    plugin, colon, bare = name.rpartition(":")  # face_emotion:paper -> its face-emotion/paper
    scoped = f"{plugin}{colon}{task.name}/{bare}" if task else name
    return scoped if scoped in regs else regs.get(name) and name


def augmenter_for(config: RunConfig, task: TaskSpec | None) -> Any:
    """The training-split augmenter, built with ``--set augmenter.KEY=VALUE`` options."""
    resolved = augmenter_name(config.augmenter, task)
    if not resolved:
        return None
    build = plugins.registries()["augmenters"].get(resolved)
    options = {k: _number(v) for k, v in config.augmenter_options.items()}
    try:
        return build(seed=config.seed, **options)
    except TypeError as exc:
        raise ConfigError(
            f"Augmenter {resolved!r} does not take the options {sorted(options)}: {exc}."
        ) from None


def _number(value: Any) -> Any:
    """'0.2' -> 0.2 for options given as strings on the command line."""
    if isinstance(value, str):
        for kind in (int, float):
            try:
                return kind(value)
            except ValueError:
                pass
    return value


def build_augmenter(
    name: str | None, task: str | None = None, seed: int | None = None, **options: Any
) -> Any:
    """The augmenter a run applies to training batches, to test or use outside a run.

    ``name`` resolves as ``--augmenter`` does (``<task>/<name>``, a task's own, first;
    ``None``: the task's default); ``options`` are its ``--set augmenter.KEY=VALUE``
    settings. The same ``seed`` gives the same draws, ``None`` a random one; ``"none"``
    gives ``None`` (no augmentation).
    """
    spec = get_task(task) if task else None
    cfg = RunConfig(task or "", augmenter=name, augmenter_options=options, seed=seed)
    return augmenter_for(cfg, spec)
