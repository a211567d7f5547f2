"""Augmenters built from Keras core preprocessing layers (always available), and the
seeding rules every augmenter follows.

Inside ``tf.data`` (graph mode) random ops built with one seed return the same
values, and Keras layers given one seed start the same stream. So each random layer
of an augmenter gets its own seed, ``derive_seed(seed, key)``, and holds its state in
a ``keras.random.SeedGenerator``, where ``seed_generators`` finds it.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from .. import _plugins as plugins
from .._config import RunConfig
from .._options import route_options
from .._resolve import get_task
from .._tasks import TaskSpec
from .._tfquiet import import_tensorflow_quietly
from ..errors import ConfigError

if TYPE_CHECKING:
    import keras


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
    rotation_degrees: float = 20.0,
    translation: float = 0.1,
    seed: int | None = None,
    zoom: float = 0.0,
) -> keras.Layer:
    """Horizontal flip, rotation up to ``rotation_degrees``, translation up to a fraction
    of each side, optionally a scale in [1/(1+``zoom``), 1+``zoom``], reflected at the
    borders: one resampling pass per image
    (``imgclf._nn.affine.RandomFlipRotateTranslate``), not one per Keras layer. A zoom
    puts the ``crops``/``ten-crop`` test views (1.14x) inside what training saw."""
    import keras

    from .affine import RandomFlipRotateTranslate

    try:
        layer = RandomFlipRotateTranslate(
            rotation_degrees,
            translation,
            seed=derive_seed(seed, "affine"),
            name="affine",
            zoom=zoom,
        )
    except ValueError as exc:  # the layer's own check, in the run's terms
        raise ConfigError(f"augmenter.{exc}") from None
    return keras.Sequential([layer], name="augment")


def flip(seed: int | None = None) -> keras.Layer:
    """Horizontal flip only."""
    import keras

    layer = keras.layers.RandomFlip("horizontal", seed=derive_seed(seed, "flip"), name="flip")
    return keras.Sequential([layer], name="augment")


def mixup(alpha: float = 0.2, seed: int | None = None) -> Any:
    """Keras' MixUp: each image blended with another of its batch, weight ~ Beta(alpha,
    alpha), labels blended alike (soft labels; training pipeline only)."""
    import keras

    layer = keras.layers.MixUp(alpha=alpha, seed=derive_seed(seed, "mixup"), name="mixup")
    layer.mixes_labels = True
    return layer


def cutmix(factor: float = 1.0, seed: int | None = None) -> Any:
    """Keras' CutMix: a box of another image of the batch pasted in, labels mixed by
    its area (soft labels; training pipeline only)."""
    import keras

    layer = keras.layers.CutMix(factor=factor, seed=derive_seed(seed, "cutmix"), name="cutmix")
    layer.mixes_labels = True
    return layer


def randaugment(num_ops: int = 2, factor: float = 0.5, seed: int | None = None) -> Any:
    """Keras' RandAugment on [0, 1] images: ``num_ops`` operations drawn per batch at
    magnitude ``factor``; all of its draws come from its one SeedGenerator."""
    import keras

    layer = keras.layers.RandAugment(
        value_range=(0, 1), num_ops=num_ops, factor=factor,
        seed=derive_seed(seed, "randaugment"), name="randaugment",
    )  # fmt: skip
    return keras.Sequential([layer], name="augment")


def erasing(
    probability: float = 0.5,
    scale_min: float = 0.02,
    scale_max: float = 0.33,
    seed: int | None = None,
) -> keras.Layer:
    """Keras' RandomErasing on [0, 1] images (Zhong et al. 2020; part of the published
    FER2013 VGG recipes): with ``probability`` a box of each image becomes noise. Each
    side of the box is sqrt(u) of the image's, u ~ U(scale_min, scale_max)."""
    import keras

    layer = keras.layers.RandomErasing(
        factor=(probability, probability), scale=(scale_min, scale_max), value_range=(0, 1),
        seed=derive_seed(seed, "erasing"), name="erasing",
    )  # fmt: skip
    return keras.Sequential([layer], name="augment")


mixup.mixes_labels = True  # type: ignore[attr-defined]
cutmix.mixes_labels = True  # type: ignore[attr-defined]


def augmenter_name(name: str | None, task: TaskSpec | None) -> str | None:
    """The registered name for ``name``: ``<task>/<name>`` (a task's own) wins; parts
    joined by ``+`` (``flip+mixup``) resolve one by one."""
    name = name or (task.default_augmenter if task else None)
    if not name or name == "none":
        return None
    if "+" in name:
        return "+".join(augmenter_name(part.strip(), task) or "none" for part in name.split("+"))
    regs = plugins.registries()["augmenters"]
    plugin, colon, bare = name.rpartition(":")  # face_emotion:paper -> its face-emotion/paper
    scoped = f"{plugin}{colon}{task.name}/{bare}" if task else name
    return scoped if scoped in regs else regs.get(name) and name


def augmenter_for(config: RunConfig, task: TaskSpec | None) -> Any:
    """The run's training-split augmenter (``augmenter``, its options, ``seed``)."""
    return build_named(config.augmenter, config.augmenter_options, task, config.seed)


def build_named(
    name: str | None, settings: dict[str, Any], task: TaskSpec | None, seed: int | None
) -> Any:
    """The augmenter ``name`` built with ``--set augmenter.KEY=VALUE`` options;
    several parts (``flip+mixup``) become one layer (mixing.py)."""
    resolved = augmenter_name(name, task)
    if not resolved:
        return None
    regs = plugins.registries()["augmenters"]
    names = [n for n in resolved.split("+") if n != "none"]
    options = {k: _number(v) for k, v in settings.items()}
    routed = route_options(names, options, [regs.get(n) for n in names])
    parts = []
    for name in names:
        try:
            parts.append(regs.get(name)(seed=seed, **routed[name]))
        except TypeError as exc:
            raise ConfigError(
                f"Augmenter {name!r} does not take the options {sorted(routed[name])}: {exc}."
            ) from None
    if len(parts) == 1 and not getattr(parts[0], "mixes_labels", False):
        return parts[0]
    from .mixing import compose

    return compose(parts) if parts else None


def mixes_labels(config: RunConfig, task: TaskSpec | None) -> bool:
    """Whether the run's augmenter mixes labels (MixUp, CutMix: ``mixes_labels``)."""
    resolved = augmenter_name(config.augmenter, task)
    regs = plugins.registries()["augmenters"]
    names = [n for n in (resolved or "").split("+") if n and n != "none"]
    return any(getattr(regs.get(n), "mixes_labels", False) for n in names)


def soft_labels(
    config: RunConfig, task: TaskSpec | None, head_kind: str, soft_targets: bool = False
) -> bool:
    """Whether a class head trains on soft labels: one-hot (softmax) or N x 1 (sigmoid)
    floats, for MixUp/CutMix, for a softmax head's label smoothing, and for a softmax
    head whose training records carry soft targets (``soft_targets``)."""
    if head_kind == "regression":
        return False
    softmax_only = config.label_smoothing > 0 or soft_targets
    return mixes_labels(config, task) or (head_kind == "softmax" and softmax_only)


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
) -> keras.Layer | None:
    """The augmenter a run applies to training batches, to test or use outside a run.

    ``name`` resolves as ``--augmenter`` does (``<task>/<name>``, a task's own, first;
    ``None``: the task's default); ``options`` are its ``--set augmenter.KEY=VALUE``
    settings. The same ``seed`` gives the same draws, ``None`` a random one; ``"none"``
    gives ``None`` (no augmentation).
    """
    spec = get_task(task) if task else None
    import_tensorflow_quietly()
    return build_named(name, options, spec, seed)
